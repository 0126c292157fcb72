"""The sync lock: a lock on the database file itself, so that two syncs never overlap.

The lock belongs to the file, not to a path: every path that reaches it (a symlink, `..`, a
bind mount) meets the same lock, and there is no lock file beside it that a tmp cleaner could
delete or a symlink could redirect (a lock file once truncated whatever a symlink named).

On Linux it is `flock`, which does not meet SQLite's own locks: SQLite's unix VFS locks with
fcntl (POSIX record locks), and on Linux flock(2) locks are a separate kind with no interaction
with fcntl(2) locks (man 2 flock: "since Linux 2.0").
tests/test_local_state.py::test_the_sync_lock_and_sqlites_own_locks_never_meet checks both ways:
the lock is taken while another process holds SQLite's write lock, and another process writes
through SQLite while the lock is held. The exception is NFS (and CIFS), where the kernel emulates
flock with fcntl locks; SQLite's WAL mode, which the tracker uses, does not work on a network
filesystem anyway.

Elsewhere (macOS, the BSDs) flock and fcntl locks may share one lock list, where a whole-file
flock would stop SQLite's own locks, the sync's included. There the lock is a POSIX record lock
on one byte SQLite never locks (LOCK_BYTE, past its lock bytes at 1 GiB), which meets nothing of
SQLite's by construction; the same test runs with it on Linux. Such a lock needs a descriptor
open for writing (nothing is ever written through it) and, as POSIX locks go, is dropped when the
process closes any descriptor of the file: nothing in a sync opens the database a second time.

The descriptor is read-only for flock and is never written. POSIX rule to keep in mind: closing
any descriptor of a file drops every fcntl lock the process holds on it, SQLite's included, so the
lock must be released only once the process's SQLite connection has finished its transaction
(the sync closes its connection inside the locked block).

A backfill (sync/backfill.py) holds the lock only while it writes a day (`DatabaseLock`): its
reads of the archive, minutes a day over the network, leave the database to a sync. A sync that
has to wait says so with a shared record lock on WAITER_BYTE (past LOCK_BYTE: nothing of SQLite's
either) for as long as it waits, and a backfill about to write a day lets such a sync go first;
so a sync never waits for more than one day's write. A backfill also holds BACKFILL_BYTE for its
whole run (two backfills would read the same days twice): a second one is told it is busy.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from oss_tracker.errors import Busy, TrackerError
from oss_tracker.files import NotRegular, open_regular


class LockError(TrackerError):
    """The database path cannot be locked: a dangling symlink, not a regular file, unreadable."""


# flock where it is known not to meet SQLite's locks; a record lock on LOCK_BYTE elsewhere.
USE_FLOCK = sys.platform.startswith("linux")
# SQLite's lock bytes are 0x40000000 (PENDING) to 0x400001FF (the end of SHARED): 1 KiB past them.
LOCK_BYTE = 0x40000000 + 1024
WAITER_BYTE = LOCK_BYTE + 1  # held shared by every sync waiting for the lock
BACKFILL_BYTE = LOCK_BYTE + 2  # held by a running backfill


def open_database_file(db_path: Path) -> tuple[int, Path]:
    """A descriptor of the database file and its real path, creating an empty file if none.

    A missing database is created here, as an empty regular file (SQLite makes a new database
    of it), with O_CREAT | O_EXCL | O_NOFOLLOW: never through a symlink, and never truncating
    anything. A symlink whose target is missing is refused rather than followed into a create.
    """
    real = Path(os.path.realpath(db_path))
    flags = (os.O_RDONLY if USE_FLOCK else os.O_RDWR) | os.O_NOFOLLOW
    while True:
        try:
            return open_regular(real, flags), real
        except FileNotFoundError:
            if os.path.lexists(db_path):
                raise LockError(
                    f"{db_path} is a symbolic link to {real}, which does not exist: "
                    "refusing to create a database through it"
                ) from None
        except NotRegular:
            raise LockError(f"{db_path} is not a regular file: not a database") from None
        try:
            return open_regular(real, flags | os.O_CREAT | os.O_EXCL), real
        except FileExistsError:
            continue  # another sync created it first: open that one
        except OSError as err:
            raise LockError(f"cannot create {db_path}: {err.strerror}") from None


@dataclass
class HeldLock:
    """The database file a sync has locked: its real path, and a check that the path still names it."""

    path: Path
    fd: int

    def check(self) -> None:
        """LockError unless `path` still names the locked file (call it once SQLite has it open)."""
        if not _still_named(self.fd, self.path):
            raise LockError(
                f"{self.path} was replaced while the sync opened it: nothing stored; run the sync again"
            )


@contextmanager
def sync_lock(
    db_path: Path, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep
) -> Iterator[HeldLock]:
    """Hold the database file's lock for the block; wait up to `wait` seconds for another sync.

    Yields the locked file: open it by `path` (the real one: a symlink swapped meanwhile cannot
    lead SQLite to another file), then `check()`. The kernel releases the lock when the process
    dies, even by SIGKILL, so a crashed sync never leaves a stale lock behind.
    """
    deadline = time.monotonic() + wait
    fd, real = _open(db_path)
    marked = False  # this sync says it waits (WAITER_BYTE): a backfill lets it go first
    try:
        while True:
            if not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another sync is running on {db_path}; try again later or pass --wait SECONDS"
                    )
                marked = marked or _mark_waiting(fd)
                sleep(min(1.0, max(0.05, deadline - time.monotonic())))
                continue
            if _still_named(fd, real):
                break
            # The file we locked was replaced while we waited (a restore renamed a backup over
            # it): the lock must be on the file the path names now.
            old, fd = fd, -1
            os.close(old)
            marked = False  # closing the descriptor dropped it
            fd, real = _open(db_path)
        if marked:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, WAITER_BYTE)
            marked = False
        yield HeldLock(real, fd)
    finally:
        if fd >= 0:
            os.close(fd)


def _record_lock(fd: int, kind: int, byte: int) -> bool:
    """A POSIX record lock on one byte, without waiting; False if another process holds a conflicting one."""
    try:
        fcntl.lockf(fd, kind | fcntl.LOCK_NB, 1, byte)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _mark_waiting(fd: int) -> bool:
    """Say that this sync waits for the lock (a shared lock on WAITER_BYTE); False if it cannot
    now (a backfill is looking at that moment: the next try will do)."""
    try:
        return _record_lock(fd, fcntl.LOCK_SH, WAITER_BYTE)
    except OSError:
        return False  # a filesystem without record locks: the sync waits as before, unannounced


class DatabaseLock:
    """The lock for a backfill: taken for each day's write and given back between them, on one
    descriptor kept open (so that giving it back never drops SQLite's own locks), deferring to a
    sync that waits for it. `probe` is a second descriptor, open for writing, that asks whether a
    sync waits (a write lock on WAITER_BYTE fails while one holds it shared) and holds
    BACKFILL_BYTE. Close it only after the process's SQLite connection is closed."""

    def __init__(self, db_path: Path, *, exclusive: bool = True) -> None:
        self.db_path = db_path
        self.fd, self.path = _open(db_path)
        self.held = False
        try:
            self.probe = open_regular(self.path, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            os.close(self.fd)
            raise
        if exclusive and not _record_lock(self.probe, fcntl.LOCK_EX, BACKFILL_BYTE):
            self.close()
            raise Busy(f"another backfill is running on {db_path}; try again later")

    def acquire(
        self, wait: float, *, first: bool = False, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """Take the lock, letting a waiting sync go first; Busy after `wait` seconds (`first`: the
        backfill's start, worded as for a sync), LockError if the path now names another file (the
        database this backfill has open was replaced)."""
        deadline = time.monotonic() + wait
        while self.sync_waiting() or not _try_lock(self.fd):
            if time.monotonic() >= deadline:
                raise Busy(
                    f"another sync is running on {self.db_path}; try again later or pass --wait SECONDS"
                    if first
                    else f"a sync held {self.db_path} for more than {wait:,.0f} s: stopped; run the backfill again"
                )
            sleep(0.05)
        self.held = True
        if not _still_named(self.fd, self.path):
            self.release()
            raise LockError(f"{self.db_path} was replaced while the backfill ran: run it again")

    def release(self) -> None:
        if not self.held:
            return
        if USE_FLOCK:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        else:
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, LOCK_BYTE)
        self.held = False

    def sync_waiting(self) -> bool:
        """Whether a sync is waiting for the lock (holds WAITER_BYTE shared)."""
        if not _record_lock(self.probe, fcntl.LOCK_EX, WAITER_BYTE):
            return True
        fcntl.lockf(self.probe, fcntl.LOCK_UN, 1, WAITER_BYTE)
        return False

    def close(self) -> None:
        self.release()
        for fd in (self.probe, self.fd):
            if fd >= 0:
                os.close(fd)
        self.probe = self.fd = -1

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False if another process holds it."""
    try:
        if USE_FLOCK:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, LOCK_BYTE)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _open(db_path: Path) -> tuple[int, Path]:
    try:
        return open_database_file(db_path)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise LockError(f"cannot open {db_path}: {err.strerror}") from None
        raise


def _still_named(fd: int, real: Path) -> bool:
    try:
        now = os.stat(real)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
