"""Opening the database file: for a report, read-only with plain sqlite3 when the file is
current (reports start faster); for a sync (or an older file), as a `Store` (plain sqlite3
too), with the migrations store/schema.py registers, and with a reason for every file that
cannot be used.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oss_tracker.files import is_regular

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
        "m013_launch_downloads",
        "m020_families",
        "m011_model_kinds",
        "m012_model_details",
        "m021_period_gaps_and_stalls",
        "m022_archive_checks",
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


class Store:
    """A connection a sync writes through: plain sqlite3 in autocommit mode (every statement
    outside `atomic()` is its own transaction), with sqlite-utils' `execute` and `atomic`.

    Not sqlite-utils' `Database`: importing sqlite-utils costs ~75 ms of CPU, and it imports numpy
    and pandas whenever they are installed (~100 ms more), on every sync, for nothing the tracker
    uses.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.isolation_level = None  # transactions are begun explicitly, by atomic()
        self.conn = conn
        self._names = itertools.count()

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    @contextmanager
    def atomic(self) -> Iterator[Store]:
        """A transaction, or a savepoint inside one: kept whole, or rolled back on any exception."""
        conn = self.conn
        if not conn.in_transaction:
            conn.execute("BEGIN")
            try:
                yield self
            except BaseException:
                conn.rollback()  # a no-op if the error already ended the transaction
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
            return
        name = f"oss_tracker_{next(self._names)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            # An error such as SQLITE_FULL can end the whole transaction, savepoints included.
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")

    def close(self) -> None:
        self.conn.close()


def _applied(conn: sqlite3.Connection) -> set[str]:
    """The names of the migrations applied to the file (none if it has no migrations table)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if found is None:
        return set()
    # Every column, in rowid order, as sqlite-utils reads it: the table itself is read (not only
    # its index), so that a damaged file is found here, before anything is fetched or written.
    rows = conn.execute(
        "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'oss_tracker' ORDER BY rowid"
    )
    return {r[0] for r in rows}


def _migrate(store: Store) -> None:
    """Apply the pending migrations of store/schema.py."""
    from oss_tracker.store.schema import migrations

    migrations.apply(store)


def open_db(path: Path, *, create: bool = True, timeout: float = 30) -> Store:
    """Open (and if need be create and migrate) the database, or raise StoreError with a reason.
    Without `create` (a report), read-only: a file that needs a migration is refused (`OLDER`).

    `timeout`: seconds a statement waits for another connection's write lock (SQLite's busy
    timeout), a wait no signal can cut short."""
    check_location(path, create=create)
    try:
        conn = sqlite3.connect(path, timeout=timeout) if create else connect_readonly(path)
        store = Store(conn)
        store.execute("PRAGMA foreign_keys = ON")
        store.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Unreadable as err:
        raise StoreError(str(err)) from None
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} is not a usable SQLite database ({err})") from None
    applied = _applied(conn)
    if applied - SCHEMA:
        raise StoreError(f"{path} was written by a newer oss-tracker; upgrade to read it")
    if not applied:
        tables = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        }
        if tables - {"_sqlite_migrations"}:
            # Someone else's database: neither a sync nor a report may add tables to it.
            raise StoreError(f"{path} is an SQLite database, but not oss-tracker's: left untouched")
        if not create:
            raise StoreError(f"no oss-tracker data in {path} yet: run `oss-tracker sync` first")
    if create:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            if applied != SCHEMA:
                _migrate(store)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot prepare {path}: {err}") from None
    elif applied != SCHEMA:
        # A file from an older version. A report never migrates it: a migration of a long history
        # holds the write lock for seconds, which would make the cron sync fail that day; the
        # sync migrates it, under its lock.
        conn.close()
        raise StoreError(OLDER.format(path=path))
    return store


OLDER = "{path} was written by an older oss-tracker: run `oss-tracker sync` once to upgrade it"
