"""Derivative counts in the database: which models to count next, and each count stored with its latest-count row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from oss_tracker.records import RELATIONS, ChildCounts

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


@dataclass(frozen=True)
class Target:
    model_id: int
    repo_id: str


def stalest(db: Database, org_ids: list[int], today: str) -> list[Target]:
    """Current models of these orgs not counted today: never counted first, then oldest, then most downloaded."""
    if not org_ids:
        return []
    marks = ",".join("?" * len(org_ids))
    rows = db.execute(
        f"""SELECT m.id, m.repo_id
            FROM models m
            LEFT JOIN derivative_latest d ON d.model_id = m.id
            LEFT JOIN model_snapshots s ON s.model_id = m.id AND s.run_id = m.last_seen_run
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL AND (d.day IS NULL OR d.day < ?)
            ORDER BY d.day IS NOT NULL, d.day, coalesce(s.downloads_30d, 0) DESC, m.repo_id""",
        [*org_ids, today],
    ).fetchall()
    return [Target(int(r[0]), str(r[1])) for r in rows]


def save_counts(db: Database, model_id: int, run_id: int, day: str, counts: ChildCounts) -> None:
    split = counts.split
    values = [split.get(r) if split is not None else None for r in RELATIONS]
    if split is not None:
        # A relation the dict leaves out had no children: 0, not unknown.
        values = [v or 0 for v in values]
    db.execute(
        """INSERT OR REPLACE INTO derivative_counts
               (model_id, day, run_id, finetune, quantized, adapter, merge, total)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [model_id, day, run_id, *values, counts.total],
    )
    # The model's latest count; the one it replaces becomes the previous one, unless it was
    # of the same day (a second run that day counts again, it does not add a step).
    db.execute(
        """INSERT INTO derivative_latest (model_id, day, run_id, finetune, quantized, adapter, merge, total)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (model_id) DO UPDATE SET
               prev_day = CASE WHEN excluded.day > day THEN day ELSE prev_day END,
               prev_total = CASE WHEN excluded.day > day THEN total ELSE prev_total END,
               day = excluded.day, run_id = excluded.run_id, finetune = excluded.finetune,
               quantized = excluded.quantized, adapter = excluded.adapter, merge = excluded.merge,
               total = excluded.total""",
        [model_id, day, run_id, *values, counts.total],
    )
    db.execute("DELETE FROM model_bases WHERE model_id = ?", [model_id])
    for repo_id, hub_id, relation in counts.bases:
        db.execute(
            "INSERT OR REPLACE INTO model_bases (model_id, base_repo_id, base_hub_id, relation) VALUES (?, ?, ?, ?)",
            [model_id, repo_id, hub_id, relation],
        )


def rebuild_latest(db: Database) -> None:
    """derivative_latest again from every stored count (what save_counts keeps up to date)."""
    db.execute("DELETE FROM derivative_latest")
    db.execute("""
        INSERT INTO derivative_latest
        SELECT model_id, day, run_id, finetune, quantized, adapter, merge, total, prev_day, prev_total
        FROM (SELECT d.*, lag(day) OVER w AS prev_day, lag(total) OVER w AS prev_total,
                     row_number() OVER (PARTITION BY model_id ORDER BY day DESC) AS newest
              FROM derivative_counts d WINDOW w AS (PARTITION BY model_id ORDER BY day))
        WHERE newest = 1""")
