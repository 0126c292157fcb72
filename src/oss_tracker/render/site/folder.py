"""The site's folder: written beside, then put in place; never through a symbolic link.

`oss-tracker site OUT` writes only into a folder that does not exist yet, an empty one, or one
it wrote before (it holds the marker file `.oss-tracker-site`), which it replaces whole. The
new site is written into a fresh folder beside OUT (made by mkdtemp, so nobody else's: no
symbolic link can be waiting in it), each file created new (O_EXCL | O_NOFOLLOW, relative to
its folder's descriptor), then renamed into place: a half-written site is never seen at OUT,
and a failure leaves OUT as it was. Replacing an earlier site takes two renames (the old one
aside, the new one in), then the old one is deleted (shutil.rmtree never follows a link).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oss_tracker.errors import TrackerError

MARKER = ".oss-tracker-site"
MAGIC = b"oss-tracker site\n"


class SiteError(TrackerError):
    """The site cannot be written there: OUT is a link, a file, or a folder of something else."""


class Staging:
    """A fresh folder beside OUT that the site is written into, file by file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._dirs: dict[str, int] = {"": os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)}
        self.sizes: dict[str, int] = {}

    def write(self, name: str, content: bytes) -> None:
        """Create `name` (a relative path such as `org/Qwen.html`) holding `content`."""
        folder, _, base = name.rpartition("/")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(base, flags, 0o666, dir_fd=self._dir(folder))
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        self.sizes[name] = len(content)

    def _dir(self, folder: str) -> int:
        if folder not in self._dirs:
            parent, _, base = folder.rpartition("/")
            at = self._dir(parent)
            os.mkdir(base, 0o777, dir_fd=at)
            self._dirs[folder] = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=at)
        return self._dirs[folder]

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()


def check_out(out: Path) -> bool:
    """Whether OUT holds an earlier site (to be replaced); SiteError if it may not be written."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise SiteError(f"{out} is a symbolic link: write the site into a new folder")
    if not stat.S_ISDIR(st.st_mode):
        raise SiteError(f"{out} is not a folder: write the site into a new folder")
    entries = os.listdir(out)
    if not entries:
        return False
    if MARKER in entries and _is_marker(out / MARKER):
        return True
    raise SiteError(
        f"{out} is not empty and holds no site written by oss-tracker: write the site into a new or empty folder"
    )


def _is_marker(path: Path) -> bool:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return False
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


@contextlib.contextmanager
def staged(out: Path, marker: bytes) -> Iterator[Staging]:
    """A Staging folder beside OUT; when the block ends well, the site is moved into OUT."""
    replace = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    staging = Staging(tmp)
    try:
        yield staging
        staging.write(MARKER, MAGIC + marker)
        staging.close()
        _publishable(tmp)
        replace = check_out(out)  # again: it may have changed while the site was written
        if not replace:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(out)  # an empty folder (rmdir never removes a link nor a full folder)
            os.rename(tmp, out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        try:
            os.rename(out, old / "site")
        except BaseException:
            os.rmdir(old)
            raise
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old / "site", out)  # the earlier site back in place
            os.rmdir(old)
            raise
        shutil.rmtree(old)
    except BaseException:
        staging.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _publishable(root: Path) -> None:
    """Folders and files readable by all (a web server's user), as the umask allows: mkdtemp made
    the staging folder for this user alone."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
