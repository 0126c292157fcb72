"""`backup`: a checked, self-contained copy of the database, safe while a sync runs."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oss_tracker.errors import TrackerError
from oss_tracker.files import is_regular
from oss_tracker.humanize import human_bytes
from oss_tracker.store.open import Unreadable, connect_readonly


class BackupError(TrackerError):
    """The copy could not be made or failed its check; nothing was written at the destination."""


@dataclass
class Backup:
    path: Path
    size: int
    runs: int | None


def names_folder(dest: Path | str) -> bool:
    """`DEST/`: a trailing slash means a folder, as it does to the shell and to `cp`."""
    return str(dest).endswith(("/", os.sep))


def backup_path(source: Path, dest: Path | str, now: datetime) -> Path:
    """`dest` itself, or inside a folder `dest` (an existing one, or any written `DEST/`) a
    dated file named after the database."""
    if names_folder(dest) or Path(dest).is_dir():
        return Path(dest) / f"{source.stem}-{now.astimezone(UTC):%Y-%m-%d}.db"
    return Path(dest)


def _not_a_folder(path: Path) -> str:
    """What stands at `path` instead of a folder, in words (a dangling link is no file)."""
    if path.is_symlink():
        return (
            "a symbolic link to a file"
            if path.exists()
            else "a symbolic link to nothing (its target does not exist)"
        )
    return "a file" if path.is_file() else "not a folder"


def backup(source: Path, dest: Path | str, *, now: datetime, force: bool = False) -> Backup:
    """Copy `source` with SQLite's online backup (safe while a sync runs), check it, then move it in place.

    The copy is written beside the target under a temporary name and renamed only once
    `PRAGMA quick_check` says ok, so an interrupted or failed backup never leaves a
    half-written file, nor replaces a good one. A `dest` written with a trailing slash is a
    folder, made if missing (then the dated file inside it), so that a weekly cron line such
    as `backup ~/backups/oss-tracker/` works from its first run on.
    """
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up")
    if source.is_dir():
        raise BackupError(f"{source} is a folder, not a database file")
    if not is_regular(source):  # a FIFO would block the open for ever
        raise BackupError(f"{source} is not a regular file (a FIFO, a device...): not a database")
    if names_folder(dest) and os.path.lexists(Path(dest)) and not Path(dest).is_dir():
        raise BackupError(f"{dest} names a folder, but {Path(dest)} is {_not_a_folder(Path(dest))}")
    target = backup_path(source, dest, now)
    if target.exists():
        with contextlib.suppress(OSError):
            if target.samefile(source):
                raise BackupError(f"{target} is the database itself")
        if not force:
            raise BackupError(f"{target} already exists: pass --force to replace it")
    if names_folder(dest) and not target.parent.is_dir():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise BackupError(f"cannot create the folder {target.parent}: {err.strerror or err}") from None
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: no folder {target.parent}")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    made = False  # only a file this run made is ever removed (one of that name may be another's)
    try:
        try:
            src = connect_readonly(source)
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except Unreadable as err:
            raise BackupError(str(err)) from None
        except sqlite3.DatabaseError as err:
            raise BackupError(f"{source} is not a usable SQLite database ({err})") from None
        # Made new, never through a symlink planted at that name; SQLite then fills the empty file.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644))
        made = True
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its check ({check}); nothing written to {target}")
            runs = _count_runs(dst)
        finally:
            dst.close()
            src.close()
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except sqlite3.OperationalError as err:
        _remove(tmp, made)
        if "full" in str(err):
            raise BackupError(f"the disk is full: no backup written to {target}") from None
        raise BackupError(f"cannot back up {source} to {target}: {err}") from None
    except OSError as err:
        _remove(tmp, made)
        raise BackupError(f"cannot write {target}: {err.strerror or err}") from None
    except BaseException:
        _remove(tmp, made)
        raise
    return Backup(target, target.stat().st_size, runs)


def _count_runs(conn: sqlite3.Connection) -> int | None:
    try:
        return int(conn.execute("SELECT count(*) FROM runs WHERE status IN ('ok', 'partial')").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(folder)


def _remove(path: Path, made: bool) -> None:
    if not made:
        return
    for p in [path, *(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm"))]:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def describe_backup(result: Backup) -> str:
    runs = f"{result.runs:,} run(s), " if result.runs is not None else ""
    return f"backed up {runs}{human_bytes(result.size)} to {result.path}"
