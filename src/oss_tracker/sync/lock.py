"""The sync lock: `flock` on the database file itself, so that two syncs never overlap.

The lock belongs to the file, not to a path: every path that reaches it (a symlink, `..`, a
bind mount) meets the same lock, and there is no lock file beside it that a tmp cleaner could
delete or a symlink could redirect (a lock file once truncated whatever a symlink named).

flock and SQLite do not meet: SQLite's unix VFS locks with fcntl (POSIX record locks), and on
Linux flock(2) locks are a separate kind with no interaction with fcntl(2) locks (man 2 flock:
"since Linux 2.0"). tests/test_local_state.py::test_the_sync_lock_and_sqlites_own_locks_never_meet
checks both ways: the lock is taken while another process holds SQLite's write lock, and another
process writes through SQLite while the lock is held. The exception is NFS (and CIFS), where the
kernel emulates flock with fcntl locks; SQLite's WAL mode, which the tracker uses, does not work
on a network filesystem anyway.

The descriptor is opened read-only and is never written. POSIX rule to keep in mind: closing any
descriptor of a file drops every fcntl lock the process holds on it, SQLite's included, so the
lock must be released only once the process's SQLite connection has finished its transaction
(the sync closes its connection inside the locked block).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from oss_tracker.errors import Busy, TrackerError


class LockError(TrackerError):
    """The database path cannot be locked: a dangling symlink, not a regular file, unreadable."""


def open_database_file(db_path: Path) -> tuple[int, Path]:
    """A read-only descriptor of the database file and its real path, creating an empty file if none.

    A missing database is created here, as an empty regular file (SQLite makes a new database
    of it), with O_CREAT | O_EXCL | O_NOFOLLOW: never through a symlink, and never truncating
    anything. A symlink whose target is missing is refused rather than followed into a create.
    """
    real = Path(os.path.realpath(db_path))
    flags = (
        os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    )  # NONBLOCK: a FIFO must not hang the open
    while True:
        try:
            fd = os.open(real, flags)
            break
        except FileNotFoundError:
            if os.path.lexists(db_path):
                raise LockError(
                    f"{db_path} is a symbolic link to {real}, which does not exist: "
                    "refusing to create a database through it"
                ) from None
        try:
            fd = os.open(real, flags | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            continue  # another sync created it first: open that one
        except OSError as err:
            raise LockError(f"cannot create {db_path}: {err.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise LockError(f"{db_path} is not a regular file: not a database")
    return fd, real


@contextmanager
def sync_lock(
    db_path: Path, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep
) -> Iterator[Path]:
    """Hold the database file's lock for the block; wait up to `wait` seconds for another sync.

    Yields the database's real path. flock is released by the kernel when the process dies,
    even by SIGKILL, so a crashed sync never leaves a stale lock behind.
    """
    deadline = time.monotonic() + wait
    fd, real = _open(db_path)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another sync is running on {db_path}; try again later or pass --wait SECONDS"
                    ) from None
                sleep(min(1.0, max(0.05, deadline - time.monotonic())))
                continue
            if _still_named(fd, real):
                break
            # The file we locked was replaced while we waited (a restore renamed a backup over
            # it): the lock must be on the file the path names now.
            old, fd = fd, -1
            os.close(old)
            fd, real = _open(db_path)
        yield real
    finally:
        if fd >= 0:
            os.close(fd)


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
