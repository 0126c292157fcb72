"""The site's folder: written beside, then put in place; never through a symbolic link.

`oss-tracker site OUT` writes only into a folder that does not exist yet, an empty one, or one
it wrote before (it holds the marker file `.oss-tracker-site`), which it replaces. The new site
is written into a fresh folder beside OUT (made by mkdtemp, so nobody else's: no symbolic link
can be waiting in it), each file created new (O_EXCL | O_NOFOLLOW, relative to its folder's
descriptor), then put in place: a half-written site is never seen at OUT, and a failure leaves
OUT as it was. An earlier site is swapped with the new one in one step where the system can
(Linux: renameat2 RENAME_EXCHANGE), so OUT never stops existing while a web server reads it;
elsewhere in two renames (the old one aside, the new one in). The old one is then deleted
(shutil.rmtree never follows a link).

What a user put at the top of an earlier site is never deleted: the files that publish it
(`KEPT`: CNAME, .git, ...) move into the new site; anything else the earlier site did not
write (its marker lists what it wrote) makes the command refuse, naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oss_tracker.errors import TrackerError

MARKER = ".oss-tracker-site"
MAGIC = b"oss-tracker site\n"
# Publishing files a user adds at the top of the site (GitHub Pages' CNAME, a git clone, a Space's
# README): moved into each new site.
KEPT = ("CNAME", ".git", ".gitignore", ".gitattributes", "README.md")
# What a site's top level held before its marker listed it (oss-tracker 0.1's sites).
WRITTEN = ("index.html", "derivatives.html", "releases.html", "feed.xml", ".nojekyll", MARKER, "assets", "org",
           "company", "model")  # fmt: skip


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


def _foreign(out: Path) -> list[str]:
    """The entries at the top of an earlier site that it did not write (its marker's `files`)."""
    try:
        with open(out / MARKER, "rb") as f:
            listed = json.loads(f.read()[len(MAGIC) :] or b"{}").get("files")
    except (OSError, ValueError, AttributeError):
        listed = None
    written = set(listed) if isinstance(listed, list) else set(WRITTEN)
    return sorted(e for e in os.listdir(out) if e not in written)


def marker_files(staging: Staging) -> list[str]:
    """The top-level names a site writes (what its marker lists)."""
    return sorted({name.split("/", 1)[0] for name in staging.sizes} | {MARKER})


@contextlib.contextmanager
def staged(out: Path, marker: dict[str, object]) -> Iterator[Staging]:
    """A Staging folder beside OUT; when the block ends well, the site is moved into OUT (the
    publishing files of an earlier site, `KEPT`, with it)."""
    replace = check_out(out)
    _check_foreign(out, replace)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    staging = Staging(tmp)
    moved: list[str] = []
    try:
        yield staging
        files = marker_files(staging)
        staging.write(MARKER, MAGIC + json.dumps({**marker, "files": files}).encode() + b"\n")
        staging.close()
        _publishable(tmp)
        replace = check_out(out)  # again: it may have changed while the site was written
        if not replace:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(out)  # an empty folder (rmdir never removes a link nor a full folder)
            os.rename(tmp, out)
            return
        _check_foreign(out, replace)
        for name in KEPT:
            if os.path.lexists(out / name) and name not in files:
                os.rename(out / name, tmp / name)
                moved.append(name)
        if _exchange(tmp, out):  # tmp now holds the earlier site
            shutil.rmtree(tmp)
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
        for name in moved:  # the user's files back where they were
            with contextlib.suppress(OSError):
                os.rename(tmp / name, out / name)
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_foreign(out: Path, replace: bool) -> None:
    if not replace:
        return
    foreign = [e for e in _foreign(out) if e not in KEPT]
    if foreign:
        raise SiteError(
            f"{out} holds {', '.join(repr(e) for e in foreign[:5])}{' ...' if len(foreign) > 5 else ''}, which the "
            f"site did not write: move {'them' if len(foreign) > 1 else 'it'} away, or write the site into a new "
            f"folder (nothing was changed; {', '.join(KEPT)} are kept)"
        )


RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the system
    cannot (another OS, an old kernel or C library, a filesystem without it)."""
    import ctypes
    import errno

    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if call(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _publishable(root: Path) -> None:
    """Folders and files readable by all (a web server's user), as the umask allows: mkdtemp made
    the staging folder for this user alone."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
