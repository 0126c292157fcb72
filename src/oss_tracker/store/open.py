"""Opening an up-to-date database for reading with plain sqlite3 (reports start faster).

Anything unusual (no file, not SQLite, an older or newer schema) returns None, and the
caller falls back to store.open_db, which migrates or explains the problem.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

# The migrations of store.py, in order (tests/test_dbfile.py keeps the two in step).
SCHEMA = frozenset(
    {
        "m001_initial",
        "m002_derivatives",
        "m003_views",
        "m004_datasets_spaces",
        "m005_report_indexes",
        "m006_org_run_totals",
        "m007_derivative_latest",
        "m008_runs_day",
    }
)


class Unreadable(Exception):
    """The file cannot be read read-only where it is; the message says why, for the user."""


def connect_readonly(path: Path, *, timeout: float = 30) -> sqlite3.Connection:
    """A read-only connection, also on a read-only filesystem; raises sqlite3 errors or Unreadable.

    A database in WAL mode is read with its `-shm` index beside it, which SQLite creates if it is
    missing. Where it cannot (a read-only filesystem, the file checkpointed and closed, so no
    `-shm`), the file is opened `immutable=1`: no locks, no `-shm`. That is safe only because
    nothing can write to a read-only filesystem, so the file cannot change while it is read; it is
    not done where the folder is merely not writable for this user (another user's sync could be
    writing). `immutable` reads the main file alone: a `-wal` with content (runs not yet in the
    main file) would be ignored, so that case is refused rather than shown without them.
    """
    # as_uri() escapes `#`, `?` and `%`: in a raw `file:` URI they would name another file.
    uri = path.absolute().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        folder = path.absolute().parent
        if not _read_only_fs(folder):
            if not os.access(folder, os.W_OK) and not _exists(path, "-shm"):
                raise Unreadable(
                    f"cannot read {path}: SQLite needs to create {path.name}-shm beside it, and "
                    f"{folder} is not writable for this user (make it writable, or read a copy)"
                ) from None
            raise
        if _size(path, "-wal") > 0:
            raise Unreadable(
                f"cannot read {path} on a read-only filesystem: its {path.name}-wal holds changes that "
                f"SQLite can read only with a {path.name}-shm beside it (copy the three files somewhere writable)"
            ) from None
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=timeout)


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _exists(path: Path, suffix: str) -> bool:
    return os.path.lexists(f"{path}{suffix}")


def _size(path: Path, suffix: str) -> int:
    try:
        return os.stat(f"{path}{suffix}").st_size
    except OSError:
        return 0


def is_regular(path: Path) -> bool:
    """A regular file (through symlinks): a FIFO or a device given as the database would block
    SQLite's open forever, or read as garbage."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def open_readonly(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to an oss-tracker database whose schema is current, else None."""
    if not is_regular(path):
        return None
    try:
        conn = connect_readonly(path)
    except (sqlite3.Error, Unreadable):
        return None
    try:
        applied = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'oss_tracker'"
            ).fetchall()
        }
    except sqlite3.Error:
        conn.close()
        return None
    if applied != SCHEMA:
        conn.close()
        return None
    return conn
