"""Direct-derivative counts per watched model: which to refresh within the quota, fetch, store.

A count costs one `model_info` request per model, so a run refreshes the stalest
models first (never counted, then oldest, most-downloaded among equals) as far as
the rate-limit budget allows; over consecutive daily runs every model gets its turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from oss_tracker.errors import describe
from oss_tracker.records import RELATIONS
from oss_tracker.values import MAX_COUNT, text

log = logging.getLogger("oss_tracker")

# Requests `auto` allows itself when the Hub sends no RateLimit headers: half the
# anonymous quota of 500 calls per 5 minutes.
UNKNOWN_BUDGET = 250


@dataclass(frozen=True)
class Target:
    model_id: int
    repo_id: str


@dataclass(frozen=True)
class ChildCounts:
    """What the Hub said: a split per relation (dict form) or only a total (int form); a total of
    None is an answer that could not be read (the model's stored count then stands)."""

    total: int | None
    split: dict[str, int] | None
    bases: list[tuple[str, str | None, str | None]]  # (repo id, hub _id, relation)


@dataclass
class DerivativesSummary:
    mode: str
    refreshed: int = 0
    failed: int = 0
    stale: int = 0
    unreadable: int = 0  # answered, with a count that is no count: left as it was

    def text(self) -> str:
        if self.mode == "none":
            return "derivatives skipped"
        out = f"derivatives: {self.refreshed} refreshed, {self.stale} left stale"
        out += f", {self.failed} failed" if self.failed else ""
        return out + (f", {self.unreadable} unreadable" if self.unreadable else "")


def parse_children(value: Any) -> tuple[int, dict[str, int] | None] | None:
    """`childrenModelCount` as int (total only) or dict per relation; None when it is no count.

    Unknown is never 0: a float, a string, a negative or huge number, a dict with any such
    value, or nothing at all (it was asked for) reads as unknown, and the stored count stands.
    """
    if type(value) is int:  # not bool
        return (value, None) if 0 <= value <= MAX_COUNT else None
    if type(value) is dict:
        if not all(type(v) is int and 0 <= v <= MAX_COUNT for v in value.values()):
            return None
        total = sum(value.values())
        if total > MAX_COUNT:
            return None
        return total, {r: value[r] for r in RELATIONS if r in value}
    return None


def parse_bases(value: Any) -> list[tuple[str, str | None, str | None]]:
    """`baseModels`: {"relation": R, "models": [{"_id", "id"}, ...]} -> [(id, _id, R)]."""
    if not isinstance(value, dict):
        return []
    relation = text(value.get("relation"))
    models = value.get("models")
    out = []
    for item in models if type(models) is list else []:
        if type(item) is dict and text(item.get("id")) is not None:
            out.append((item["id"], text(item.get("_id")), relation))
    return out


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


def refresh(
    db: Database,
    *,
    fetch: Callable[[str], ChildCounts],
    targets: list[Target],
    budget: int | None,
    run_id: int,
    day: str,
    mode: str,
    workers: int = 8,
) -> DerivativesSummary:
    """Fetch counts for as many targets as the budget allows (all in `all` mode) and store them."""
    summary = DerivativesSummary(mode)
    if mode == "none":
        return summary
    if budget is None:
        # No RateLimit headers (a mirror, an old proxy): assume the anonymous window.
        budget = UNKNOWN_BUDGET
    chosen = targets if mode == "all" else targets[: max(0, budget)]
    summary.stale = len(targets) - len(chosen)

    def one(target: Target) -> tuple[Target, ChildCounts | None, str | None]:
        try:
            return target, fetch(target.repo_id), None
        except Exception as err:  # noqa: BLE001 - one model's failure leaves it stale, no more
            return target, None, describe(err)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, chosen))
    # Written in target order whatever order the answers came in.
    for target, counts, error in results:
        if counts is None:
            summary.failed += 1
            summary.stale += 1
            log.info("derivative count of %s not refreshed: %s", target.repo_id, error)
            continue
        if counts.total is None:
            summary.unreadable += 1
            summary.stale += 1
            log.info(
                "derivative count of %s not refreshed: the Hub's childrenModelCount is no count",
                target.repo_id,
            )
            continue
        save_counts(db, target.model_id, run_id, day, counts)
        summary.refreshed += 1
    return summary


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
