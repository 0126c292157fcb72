"""Local files the tool reads, locks or writes: one rule for "a regular file", checked without
hanging, and one for "a folder to write into".

A FIFO given as a database or a recording would block an open (or a read) for ever, and a
device reads as garbage: only a regular file is ever used. A folder the tool writes into
(`sync --record`, `export`) is a new or empty one, and no symlink is followed into a write.
Imports nothing but the standard library (every stage uses it: the store, the sync lock, the
replay).
"""

from __future__ import annotations

import contextlib
import errno
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


class UnusableFolder(Exception):
    """A folder the tool may not write into, or a file it cannot create there; the message says
    why, for the user."""


def empty_folder(folder: Path, verb: str) -> int:
    """A descriptor of `folder`, made if missing, to create files in with `create_new`;
    UnusableFolder if it is a symbolic link, not a folder, or not empty. `verb` words the advice
    (`record` -> "record into a new folder").

    The folder is opened once, O_NOFOLLOW: a symlink put in its place is refused, and files made
    relative to the descriptor land in the folder that was checked, whatever is renamed later."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR) and folder.is_symlink():
            raise UnusableFolder(f"{folder} is a symbolic link: {verb} into a new folder") from None
        if err.errno == errno.ENOTDIR:
            raise UnusableFolder(f"{folder} is not a folder: {verb} into a new folder") from None
        raise UnusableFolder(f"cannot {verb} into {folder}: {err.strerror}") from None
    if os.listdir(fd):
        os.close(fd)
        raise UnusableFolder(f"{folder} is not empty: {verb} into a new or empty folder")
    return fd


def create_new(folder: Path, name: str, dir_fd: int) -> int:
    """A descriptor of a new file `name` in the folder `dir_fd` (from `empty_folder`), for writing:
    never an existing file, never through a symlink (O_EXCL | O_NOFOLLOW); UnusableFolder if not."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(name, flags, 0o644, dir_fd=dir_fd)
    except OSError as err:
        raise UnusableFolder(f"cannot create {folder / name}: {err.strerror}") from None
