"""Stopping a sync on SIGINT, SIGTERM or SIGHUP: the run's transaction rolls back, one line says so."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from oss_tracker.errors import FAILED, Stopped


class _Signalled(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C so that the open transaction rolls back."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


@contextmanager
def stop_on_signals(path: Path) -> Iterator[list[Callable[[], None]]]:
    """SIGINT, SIGTERM and SIGHUP stop a sync cleanly; a second signal ends the process at once.

    The first signal runs the hooks (the transport's cancel, so that fetches in other
    threads stop at their next request) and raises in the main thread: the run's
    transaction is rolled back, the lock released, and the block ends with `Stopped`
    (exit 1, one line). A second one exits on the spot, which SQLite survives as it
    survives SIGKILL: an uncommitted transaction is no change.
    """
    hooks: list[Callable[[], None]] = []
    last_run = last_run_id(path)
    if threading.current_thread() is not threading.main_thread():
        try:
            yield hooks
        except KeyboardInterrupt as err:
            raise _stopped(err, path, last_run) from None
        return
    caught: list[str] = []

    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if caught:
            message = f"oss-tracker: error: {name} again: stopped at once, nothing from this run was stored\n"
            os.write(2, message.encode())
            os._exit(FAILED)
        caught.append(name)
        for hook in hooks:
            hook()
        raise _Signalled(name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield hooks
    except KeyboardInterrupt as err:
        raise _stopped(err, path, last_run) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def last_run_id(path: Path) -> int | None:
    """The newest stored run, read without writing anything (None: no database or no run yet)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT max(id) FROM runs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _stopped(err: KeyboardInterrupt, path: Path, last_run: int | None) -> Stopped:
    """The one line for a sync stopped by a signal; true even if the signal came just after the commit."""
    name = getattr(err, "signame", "SIGINT")
    try:
        stored = last_run_id(path)
    except Exception:  # noqa: BLE001 - the message must still go out
        stored = last_run
    if stored != last_run:
        return Stopped(f"interrupted by {name} after run #{stored} was stored")
    return Stopped(f"interrupted by {name}: nothing from this run was stored")
