"""Failed sync attempts: not runs (a failed run is rolled back whole), but a trace of each one."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger("oss_tracker")

MAX_REASON = 2000  # characters kept of a reason: one line in `status`, not a dump


@dataclass
class Failure:
    started_at: str  # the run's own date (its --now, or a recording's time)
    failed_at: str  # this machine's clock when it failed
    endpoint: str | None
    orgs: list[str]
    reason: str  # a sentence for the user, token-free (errors.describe)
    requests: int
    exit_code: int
    tool_version: str


def record_failure(db: Database, failure: Failure) -> bool:
    """Store one failed attempt in a transaction of its own; False (and nothing written) when it
    cannot be: the connection is still inside a transaction, or SQLite refuses (a full disk).

    Called after the run's transaction was rolled back. Inside one, a commit here would store
    half a run: never written then. A failure to write is logged, never raised: the sync's own
    error is what the user must see.
    """
    if db.conn.in_transaction:
        log.debug("failed attempt not recorded: the connection is inside a transaction")
        return False
    try:
        with db.atomic():
            db.execute(
                """INSERT INTO failed_syncs (started_at, failed_at, endpoint, orgs, reason, requests, exit_code,
                       tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    failure.started_at,
                    failure.failed_at,
                    failure.endpoint,
                    json.dumps(failure.orgs),
                    failure.reason[:MAX_REASON],
                    failure.requests,
                    failure.exit_code,
                    failure.tool_version,
                ],
            )
    except Exception:  # noqa: BLE001 - the sync's own error goes out, not this one
        log.debug("failed attempt not recorded", exc_info=True)
        return False
    return True


def last_failures(db: Any, after: str | None = None) -> tuple[dict[str, Any] | None, int]:
    """The newest failed attempt, and how many failed after `after` (a run's start; all if None).

    `db` is any connection with `execute` (reports read with plain sqlite3)."""
    cols = ("started_at", "failed_at", "endpoint", "reason", "requests", "exit_code")
    row = db.execute(f"SELECT {', '.join(cols)} FROM failed_syncs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None, 0
    count = db.execute(
        "SELECT count(*) FROM failed_syncs WHERE ? IS NULL OR failed_at > ?", [after, after]
    ).fetchone()[0]
    return dict(zip(cols, row, strict=True)), int(count)
