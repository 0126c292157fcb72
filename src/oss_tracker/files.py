"""Local files the tool reads or locks: one rule for "a regular file", checked without hanging.

A FIFO given as a database or a recording would block an open (or a read) for ever, and a
device reads as garbage: only a regular file is ever used. Imports nothing but the standard
library (every stage uses it: the store, the sync lock, the replay).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegular(OSError):
    """A path that names a FIFO, a device, a socket or a folder: not a file the tool can use."""


def is_regular(path: Path) -> bool:
    """Whether `path` (through symlinks) is a regular file; a check that opens nothing (opening
    some devices has effects of its own)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def open_regular(
    path: Path, flags: int = os.O_RDONLY, mode: int = 0o644, *, dir_fd: int | None = None
) -> int:
    """A descriptor of `path` opened with `flags`, if it is a regular file; NotRegular if not.

    Opened O_NONBLOCK (opening a FIFO otherwise waits for a writer), checked on the descriptor
    itself (no race with a rename), then made blocking again for ordinary reads and writes.
    """
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"{path} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
