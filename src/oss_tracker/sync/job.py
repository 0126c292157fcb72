"""A whole `sync` as cron runs it: which accounts, which clock, the lock, the database, the
Hub session, the run, and everything closed again in the right order."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oss_tracker.errors import FAILED, TrackerError
from oss_tracker.watchlist import WatchListError

log = logging.getLogger("oss_tracker")


@dataclass
class SyncJob:
    """What the command line asked for (None: the default)."""

    path: Path
    named: list[str] | None  # accounts named on the command line (then an unknown one stops the run)
    watched: Callable[[], list[str]]  # the watch list's accounts, read only when needed
    # The watch list's companies ({account: company}): which accounts are one company when models
    # are classified as originals, conversions or derived ones (store/kinds.py).
    companies: Callable[[], dict[str, str]] = dict
    endpoint: str | None = None
    token: str | None = None
    record: Path | None = None
    replay: Path | None = None
    wait: float = 0.0
    retries: int = 5
    retry_wait: float = 1.0
    max_wait: float = 300.0
    timeout: float = 60.0
    derivatives: str = "auto"
    derivative_workers: int = 8
    now: datetime | None = None


# Seconds the sync's statements wait for another program's SQLite write lock. No signal can cut
# SQLite's wait short (it sleeps inside one C call), so SIGTERM is handled only when it ends:
# kept short. Other syncs wait at the sync lock instead (--wait), which a signal does cut.
BUSY_TIMEOUT = 2.0


class NothingStored(TrackerError):
    """Every account failed: the run was not written."""

    exit_code = FAILED


def run_job(
    job: SyncJob,
    progress: Callable[[str, int], None] | None = None,
    retrying: Callable[[str | None], None] | None = None,
):
    """Run one sync and return its SyncSummary; raises on failure (nothing stored).

    `progress` is told each org's count of models so far, `retrying` each retry wait (a line to
    show) and None when a retried request got through."""
    from oss_tracker.hub import client as hub
    from oss_tracker.hub.replay import Manifest, read_manifest
    from oss_tracker.hub.transport import RetryPolicy
    from oss_tracker.store.open import check_location, open_db
    from oss_tracker.sync.lock import sync_lock
    from oss_tracker.sync.run import SyncFailed, run_sync
    from oss_tracker.sync.stop import stop_on_signals

    manifest = read_manifest(job.replay) if job.replay is not None else Manifest(None, None)
    # A replay asks for what its recording asked for, unless told otherwise.
    orgs = job.named or manifest.orgs or job.watched()
    try:
        companies: dict[str, str] | None = job.companies()
    except WatchListError as err:
        if job.named is None:  # the watch list names the accounts: without it there is no run
            raise
        # Accounts named on the command line need no watch list: a broken one costs the day's
        # classification by companies only (the stored companies are kept), never the day.
        log.warning("the watch list cannot be read (%s): models classified by the companies stored", err)
        companies = None
    now, clock = job.now, _wall_clock
    if job.replay is not None:
        now = now or manifest.recorded_at
        fixed = now
        clock = lambda: fixed  # noqa: E731 - a replay is dated by its recording
    start = (now.replace(tzinfo=now.tzinfo or UTC) if now else clock()).astimezone(UTC)

    # The lock first: a sync refused as busy writes nothing, not even a migration.
    check_location(job.path)
    with stop_on_signals(job.path) as on_stop, sync_lock(job.path, wait=job.wait) as locked:
        # The real path the lock holds: a symlink swapped meanwhile cannot lead SQLite elsewhere.
        db = open_db(locked.path, create=True, timeout=BUSY_TIMEOUT)
        if companies is None:
            from oss_tracker.store.kinds import stored_companies

            companies = stored_companies(db)
        session = None
        try:
            locked.check()  # ...nor a file renamed over the real path
            session = hub.connect(
                endpoint=job.endpoint,
                token=job.token,
                replay=job.replay,
                record=job.record,
                policy=RetryPolicy(retries=job.retries, base_wait=job.retry_wait, max_wait=job.max_wait),
                timeout=job.timeout,
                started_at=start,
                orgs=orgs,
            )
            session.transport.on_retry = retrying
            on_stop.append(session.transport.cancel)  # in-flight fetches stop at once
            try:
                return run_sync(
                    db,
                    session,
                    orgs,
                    now=start,
                    clock=clock,
                    progress=progress,
                    derivative_mode=job.derivatives,
                    derivative_workers=job.derivative_workers,
                    strict=job.named is not None,  # a typo on the command line stops; cron goes on
                    companies=companies,
                )
            except SyncFailed as err:
                raise NothingStored(f"sync failed, nothing stored: {err}") from None
            finally:
                session.close()
        except BaseException as err:
            # A signal's exception can land anywhere, inside a `with db.atomic()` exit before it
            # rolled back too: that suspended block would roll back only when collected, after the
            # connection is closed, and print a traceback then. Freed here, it rolls back now.
            _release_frames(err)
            # The run's transaction is rolled back by now: the attempt goes in one of its own.
            _record_failure(db, err, start=start, orgs=orgs, session=session)
            raise
        finally:
            db.close()  # before the lock's descriptor closes (see sync/lock.py)


def _release_frames(err: BaseException | None) -> None:
    """Drop what the frames of `err`'s tracebacks hold (their lines stay printable)."""
    while err is not None:
        traceback.clear_frames(err.__traceback__)
        err = err.__context__


def _record_failure(db, err: BaseException, *, start: datetime, orgs: list[str], session) -> None:
    """Keep a trace of a failed attempt (time, reason, requests) for `status`; never raises."""
    from oss_tracker import __version__
    from oss_tracker.errors import describe
    from oss_tracker.store.failures import Failure, record_failure

    if isinstance(err, KeyboardInterrupt):  # SIGINT, or SIGTERM/SIGHUP raised as one (sync/stop.py)
        reason = f"interrupted by {getattr(err, 'signame', 'SIGINT')}"
        # A stop was asked for: not another wait on a writer's lock to note it (left unrecorded then).
        db.execute("PRAGMA busy_timeout = 0")
    else:
        reason = describe(err)
    record_failure(
        db,
        Failure(
            started_at=_iso(start),
            failed_at=_iso(_wall_clock()),
            endpoint=getattr(session, "endpoint", None),
            orgs=list(orgs),
            reason=reason,
            requests=session.transport.requests if session is not None else 0,
            exit_code=getattr(err, "exit_code", FAILED),
            tool_version=__version__,
        ),
    )


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
