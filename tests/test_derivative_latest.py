"""derivative_latest, each model's latest and previous count: what derivative_counts says, kept by every sync."""

from __future__ import annotations

import json
from pathlib import Path

from oss_tracker.records import ChildCounts
from oss_tracker.store import derivatives
from oss_tracker.store.open import open_db
from tests.conftest import before_migration, migrate, model, older_refused, rows, run, sync, world
from tests.fakehub import FakeHub

LATEST = "SELECT model_id, day, run_id, finetune, quantized, adapter, merge, total, prev_day, prev_total FROM derivative_latest ORDER BY model_id"


def from_counts(db: Path) -> list[tuple]:
    """The same, worked out here from every stored count."""
    out = []
    counts: dict[int, list[tuple]] = {}
    for row in rows(
        db, "SELECT model_id, day, run_id, finetune, quantized, adapter, merge, total FROM derivative_counts"
    ):
        counts.setdefault(row[0], []).append(row)
    for model_id in sorted(counts):
        history = sorted(counts[model_id], key=lambda r: r[1])
        prev = history[-2] if len(history) > 1 else None
        out.append((*history[-1], prev[1] if prev else None, prev[7] if prev else None))
    return out


def test_the_recordings_leave_each_models_latest_and_previous_count(bundled_history: Path) -> None:
    latest = rows(bundled_history, LATEST)
    assert latest == from_counts(bundled_history)
    # Counted in rotation: some models twice or more (a previous count), most once.
    assert (
        len(latest) == rows(bundled_history, "SELECT count(DISTINCT model_id) FROM derivative_counts")[0][0]
    )
    with_previous = [r for r in latest if r[8] is not None]
    assert 0 < len(with_previous) < len(latest)


def test_each_count_moves_the_latest_to_previous(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    for when, children in (
        ("2025-11-24T06:00:00Z", 3),
        ("2025-11-25T06:00:00Z", 5),
        ("2025-11-26T06:00:00Z", 8),
    ):
        hub.set_world(world(model("Alpha/base", childrenModelCount=children)))
        assert sync(hub, db, "Alpha", now=when, derivatives="all").exit_code == 0
    assert rows(db, "SELECT day, total, prev_day, prev_total FROM derivative_latest") == [
        ("2025-11-26", 8, "2025-11-25", 5)
    ]
    assert rows(db, LATEST) == from_counts(db)
    out = run("derivatives", "--db", str(db), "-f", "json")
    assert [(b["id"], b["total"], b["change"]) for b in json.loads(out.stdout)["bases"]] == [
        ("Alpha/base", 8, 3)
    ]


def test_a_second_count_on_one_day_replaces_the_latest_and_keeps_the_previous(
    hub: FakeHub, tmp_path: Path
) -> None:
    """A sync counts a model once a day; were it counted again, that day's count is replaced."""
    db = tmp_path / "t.db"
    hub.set_world(world(model("Alpha/base", childrenModelCount=3)))
    assert sync(hub, db, "Alpha", now="2025-11-24T06:00:00Z", derivatives="all").exit_code == 0
    database = open_db(db)
    model_id = database.execute("SELECT id FROM models").fetchone()[0]
    with database.conn:
        for total in (5, 9):
            derivatives.save_counts(database, model_id, 1, "2025-11-25", ChildCounts(total, None, []))
    database.conn.close()
    assert rows(db, "SELECT day, total, prev_day, prev_total FROM derivative_latest") == [
        ("2025-11-25", 9, "2025-11-24", 3)
    ]
    assert rows(db, LATEST) == from_counts(db)


def test_the_migration_fills_the_table_from_the_counts_already_stored(
    bundled_history: Path, tmp_path: Path
) -> None:
    older = before_migration(
        bundled_history, tmp_path / "older.db", "m007_derivative_latest", "derivative_latest"
    )
    assert older_refused(older, "derivatives")  # a report never migrates
    migrate(older)  # as a sync does first
    assert rows(older, LATEST) == rows(bundled_history, LATEST)
