"""A lock file beside the database so that two syncs never overlap."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from oss_tracker.errors import Busy


@contextmanager
def sync_lock(
    db_path: Path, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep
) -> Iterator[None]:
    """Hold `DB.lock` for the block; wait up to `wait` seconds for another sync to finish.

    flock is released by the kernel when the process dies, even by SIGKILL, so a
    crashed sync never leaves a stale lock behind.
    """
    path = db_path.with_name(db_path.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                    raise Busy(
                        f"another sync (pid {holder}) is running on {db_path}; "
                        "try again later or pass --wait SECONDS"
                    ) from None
                sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
