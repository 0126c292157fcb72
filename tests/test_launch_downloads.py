"""Launch downloads (issue 14, point 2): a model created inside a period had zero downloads at its
start, so its whole all-time count is downloads of the period; one first seen in the period but
created before it stays out, counted as `first_seen_not_counted`. And per release: downloads at
first sight and in its first 7 and 30 days (launch velocity).

Worlds synced by the real CLI against the fake Hub; every expected number is worked out below.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from oss_tracker.store import schema
from oss_tracker.store.open import open_db
from tests.conftest import copy_db, model, rows, run, sync, world
from tests.fakehub import FakeHub

# Run 1, 24 Nov 06:00: Alpha/a alone. Run 2, 25 Nov 06:00: Alpha/a, and four models first seen:
# - new:    created 24 Nov 20:00, after run 1 began: a launch, its 300 count whole;
# - late:   created 1 Jun (made public late, say): its 5,000 were downloaded before anyone saw it;
# - nodate: no createdAt: nobody can say, not counted;
# - edge:   created 24 Nov 06:00:00, the very second run 1 began: not after it, not counted.
DAYS = (
    ("2025-11-24T06:00:00Z", {"a": 1_000}),
    ("2025-11-25T06:00:00Z", {"a": 1_100, "new": 300, "late": 5_000, "nodate": 70, "edge": 9}),
    ("2025-11-26T06:00:00Z", {"a": 1_150, "new": 400, "late": 5_100, "nodate": 80, "edge": 10}),
)
CREATED = {
    "a": "2025-01-20T03:46:07.000Z",
    "new": "2025-11-24T20:00:00.000Z",
    "late": "2025-06-01T00:00:00.000Z",
    "nodate": "2025-06-01T00:00:00.000Z",  # its _id's time; the item says createdAt null
    "edge": "2025-11-24T06:00:00.000Z",
}


def _world(counts: dict[str, int]) -> dict:
    items = []
    for name, all_time in counts.items():
        extra = {"createdAt": None} if name == "nodate" else {}
        items.append(model(f"Alpha/{name}", created_at=CREATED[name], all_time=all_time, likes=3, **extra))
    return world(*items)


def _history(hub: FakeHub, db: Path) -> None:
    for now, counts in DAYS:
        hub.set_world(_world(counts))
        result = sync(hub, db, "Alpha", now=now)
        assert result.exit_code == 0, result.stderr


def _json(db: Path, *args: str) -> dict:
    result = run(*args, "--db", str(db), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_launch_counts_whole_and_a_late_first_sight_is_left_out_and_counted(
    hub: FakeHub, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    _history(hub, db)
    # run, previous run, downloads, launches, launch downloads, first seen not counted
    assert rows(
        db,
        """SELECT run_id, prev_run_id, downloads, launches, launch_downloads, first_seen_not_counted
           FROM org_run_totals ORDER BY run_id""",
    ) == [
        (1, None, None, 0, None, 0),
        (2, 1, 100 + 300, 1, 300, 3),  # a's 100, new's 300; late, nodate and edge left out
        (3, 2, 50 + 100 + 100 + 10 + 1, 0, None, 0),  # all five present at both ends
    ]
    data = _json(db, "trends")
    (alpha,) = data["series"]
    assert [
        (p["change"], p["launches"], p["launch_downloads"], p["first_seen_not_counted"])
        for p in alpha["points"]
    ] == [(None, 0, None, 0), (400, 1, 300, 3), (261, 0, 0, 0)]
    # The window, 24 -> 26 Nov in one pair: a's 150 and new's 400, counted whole.
    window = alpha["window"]
    assert (window["change"], window["growth_pct"], window["launches"], window["launch_downloads"]) == (
        550, 55.0, 1, 400  # on a's 1,000: a launch had no base to grow on
    )  # fmt: skip
    assert window["first_seen_not_counted"] == 3
    table = run("trends", "--db", str(db)).stdout
    assert "1 new model (+300); 3 first seen, not counted" in table
    assert (
        "Note: 3 models first seen in the window had been created before the snapshot they are measured from "
        "(made public late, moved in, newly watched): their downloads until then are unknown, so they are not "
        "counted in the period downloads."
    ) in table
    # compare's period: the same pair.
    (row,) = _json(db, "compare", "--since", "2025-11-24")["orgs"]
    assert {k: row[k] for k in row if "period" in k and "share" not in k} == {
        "downloads_period": 550,
        "period_launches": 1,
        "period_launch_downloads": 400,
        "period_first_seen_not_counted": 3,
        "period_from": "2025-11-24",
        "period_to": "2025-11-26",
        "period_growth_pct": 55.0,
    }
    # The views say the same.
    assert rows(
        db,
        "SELECT day, downloads, launches, launch_downloads, first_seen_not_counted FROM org_daily ORDER BY day",
    ) == [("2025-11-24", None, 0, None, 0), ("2025-11-25", 400, 1, 300, 3), ("2025-11-26", 261, 0, None, 0)]
    assert rows(
        db,
        """SELECT repo_id, downloads, likes_change, launch FROM model_daily WHERE day = '2025-11-25'
           ORDER BY repo_id""",
    ) == [
        ("Alpha/a", 100, 0, 0),
        ("Alpha/edge", None, None, 0),
        ("Alpha/late", None, None, 0),
        ("Alpha/new", 300, 3, 1),  # its likes since its creation too
        ("Alpha/nodate", None, None, 0),
    ]


def test_the_migration_recounts_a_history_stored_before_it(hub: FakeHub, tmp_path: Path) -> None:
    """A file from before m013: org_run_totals without the launch columns, its downloads without
    the launches, and m003's views. Opening it recounts the table and replaces the two views."""
    db = tmp_path / "t.db"
    _history(hub, db)
    fresh = rows(db, "SELECT * FROM org_run_totals ORDER BY run_id")
    old_views = sqlite3.connect(":memory:")
    schema.m003_views(old_views)  # the views as m003 made them
    conn = sqlite3.connect(copy_db(db, tmp_path / "older.db"))
    with conn:
        conn.execute("UPDATE org_run_totals SET downloads = downloads - coalesce(launch_downloads, 0)")
        for column in ("launches", "launch_downloads", "first_seen_not_counted", "stalls"):
            conn.execute(f"ALTER TABLE org_run_totals DROP COLUMN {column}")
        for name in ("org_daily", "model_daily"):
            conn.execute(f"DROP VIEW {name}")
            conn.execute(
                old_views.execute("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
            )
        # A file from before m013 is from before m021 too.
        conn.execute(
            "DELETE FROM _sqlite_migrations WHERE name IN ('m013_launch_downloads', 'm021_period_gaps_and_stalls')"
        )
    assert conn.execute("SELECT downloads FROM org_daily WHERE day = '2025-11-25'").fetchone() == (100,)
    conn.close()
    older = tmp_path / "older.db"
    assert rows(older, "SELECT downloads FROM org_run_totals WHERE run_id = 2") == [(100,)]
    open_db(older).conn.close()  # as the next sync (or a report, on a writable file) does
    assert rows(older, "SELECT * FROM org_run_totals ORDER BY run_id") == fresh
    assert rows(older, "SELECT downloads, launches FROM org_daily WHERE day = '2025-11-25'") == [(400, 1)]
    assert rows(older, "SELECT count(*) FROM model_daily WHERE launch = 1") == [(1,)]


def _beta(hub: FakeHub, db: Path, last: str) -> dict[str, tuple]:
    """Beta/new, created on 1 Nov at 10:00, synced on these days and on `last` (at 06:00)."""
    created = "2025-11-01T10:00:00.000Z"
    for now, count in (
        ("2025-11-01T06:00:00Z", None),  # before its creation
        ("2025-11-02T06:00:00Z", 500),  # first sight (20 h old)
        ("2025-11-07T06:00:00Z", 2_000),  # 5 d 20 h: not yet in its 7th day
        ("2025-11-08T06:00:00Z", 2_600),  # 6 d 20 h: its first 7 days
        ("2025-11-09T06:00:00Z", 3_000),  # 7 d 20 h: past them
        ("2025-11-30T06:00:00Z", 9_000),  # 28 d 20 h: not yet in its 30th day
        (last, 9_900),
    ):
        items = [model("Beta/old", all_time=100)]
        if count is not None:
            items.append(model("Beta/new", created_at=created, all_time=count))
        hub.set_world(world(*items))
        assert sync(hub, db, "Beta", now=now).exit_code == 0
    return {
        r["id"]: (r["downloads_at_first_sight"], r["downloads_first_7_days"], r["downloads_first_30_days"])
        for r in _json(db, "releases")["releases"]
    }


def test_releases_give_downloads_at_first_sight_and_in_the_first_7_and_30_days(
    hub: FakeHub, tmp_path: Path
) -> None:
    """A release's first N days: the all-time count of its last snapshot at most N days after its
    createdAt, if that snapshot is in the last of those days (between N - 1 and N days old)."""
    # 1 Dec 06:00 is 29 d 20 h after the creation: its first 30 days. Beta/old was created long
    # before the history began: its first days are not in it.
    assert _beta(hub, tmp_path / "a.db", "2025-12-01T06:00:00Z") == {
        "Beta/new": (500, 2_600, 9_900),
        "Beta/old": (100, None, None),
    }
    # 2 Dec 06:00 is 30 d 20 h: no snapshot in its 30th day (28 d 20 h is in its 29th): unknown.
    assert _beta(hub, tmp_path / "b.db", "2025-12-02T06:00:00Z") == {
        "Beta/new": (500, 2_600, None),
        "Beta/old": (100, None, None),
    }
    table = run("releases", "--db", str(tmp_path / "a.db"), "--org", "Beta").stdout
    assert "At first sight" in table and "First 7 days" in table and "2,600" in table and "9,900" in table
