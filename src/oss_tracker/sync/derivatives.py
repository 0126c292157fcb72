"""Direct-derivative counts per watched model: as many as the quota allows, fetched at once, stored.

A count costs one `model_info` request per model, so a run refreshes the stalest
models first (never counted, then oldest, most-downloaded among equals) as far as
the rate-limit budget allows; over consecutive daily runs every model gets its turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from oss_tracker.errors import describe
from oss_tracker.records import ChildCounts
from oss_tracker.store.derivatives import Target, save_counts
from oss_tracker.store.open import Store

log = logging.getLogger("oss_tracker")

# Requests `auto` allows itself when the Hub sends no RateLimit headers: half the
# anonymous quota of 500 calls per 5 minutes.
UNKNOWN_BUDGET = 250


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


def refresh(
    db: Store,
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
