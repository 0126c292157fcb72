"""Opening the database file: for a report, read-only with plain sqlite3 when the file is
current (reports start faster: no sqlite-utils); for a sync (or an older file), through
sqlite-utils with its migrations, and with a reason for every file that cannot be used.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from oss_tracker.files import is_regular

if TYPE_CHECKING:  # sqlite-utils is imported only when a file is opened for writing
    from sqlite_utils import Database

# The migrations of store/schema.py, in order (tests/test_dbfile.py keeps the two in step).
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
        "m009_attempts",
        "m010_archive_runs",
        "m020_families",
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


class StoreError(Exception):
    """The database file cannot be used: missing, unreadable, not SQLite, or too new."""


def check_location(path: Path, *, create: bool = True) -> None:
    """Raise StoreError unless the database can be opened (and, with `create`, written) there.

    Creates a missing folder but never the database itself (sync/lock.py's open_database_file does,
    never through a symlink). Anything but a regular file is refused before SQLite opens it:
    opening a FIFO would wait forever for a writer.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file")
    if os.path.exists(path) and not is_regular(path):
        raise StoreError(f"{path} is not a regular file (a FIFO, a device...): not a database")
    if not path.exists():
        if not create:
            raise StoreError(f"no database at {path}: run `oss-tracker sync` first")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create the folder {parent}: {err.strerror}") from None
        if not os.access(parent, os.W_OK):
            raise StoreError(f"cannot create {path}: the folder is not writable")
    elif create and not os.access(path, os.W_OK):
        raise StoreError(f"cannot write to {path}: permission denied")


def open_db(path: Path, *, create: bool = True, timeout: float = 30) -> Database:
    """Open (and if need be create and migrate) the database, or raise StoreError with a reason.

    `timeout`: seconds a statement waits for another connection's write lock (SQLite's busy
    timeout), a wait no signal can cut short."""
    from sqlite_utils import Database

    from oss_tracker.store.schema import KNOWN, migrations

    check_location(path, create=create)
    try:
        conn = sqlite3.connect(path, timeout=timeout) if create else connect_readonly(path)
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Unreadable as err:
        raise StoreError(str(err)) from None
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} is not a usable SQLite database ({err})") from None
    applied = {m.name for m in migrations.applied(db)}
    if applied - KNOWN:
        raise StoreError(f"{path} was written by a newer oss-tracker; upgrade to read it")
    if not applied:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        if tables - {"_sqlite_migrations"}:
            # Someone else's database: neither a sync nor a report may add tables to it.
            raise StoreError(f"{path} is an SQLite database, but not oss-tracker's: left untouched")
        if not create:
            raise StoreError(f"no oss-tracker data in {path} yet: run `oss-tracker sync` first")
    if create:
        try:
            db.enable_wal()
            migrations.apply(db)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot prepare {path}: {err}") from None
    elif applied != KNOWN:
        # A file from an older version: migrations only add, so a report may apply them.
        conn.close()
        if not os.access(path, os.W_OK):
            raise StoreError(f"{path} needs an upgrade: run `oss-tracker sync` once to migrate it")
        return open_db(path, create=True)
    return db
