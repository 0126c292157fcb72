"""What `backfill` (sync/backfill.py) and its families step (sync/families.py) share: an archived day
to read, its open file, and how a summary line words sizes and times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Candidate:
    """One day to import: where its file is and when the snapshot was taken."""

    day: str
    at: str  # the snapshot's time (UTC ISO)
    revision: str  # the commit, or the local file's path
    commit_before: str | None = None  # the last commit before that day (to see whether the file changed)
    local: Path | None = None
    # Earlier days of the same --every week|month bucket, newest first: tried in turn when this
    # day has no snapshot (a gap), so that a bucket is not lost for its last day.
    fallbacks: list[Candidate] = field(default_factory=list)


@dataclass
class Source:
    """An archived day's file, open: what its readers read from, and what reading it cost."""

    file: Any  # a seekable file object (a RemoteFile, or a local file counting its bytes)
    size: int
    label: str
    csv: bool

    @property
    def bytes_read(self) -> int:
        return self.file.bytes_read

    @property
    def requests(self) -> int:
        return getattr(self.file, "requests", 0)


class Counted:
    """A local file that counts the bytes read from it; a read past MAX_READ is refused."""

    def __init__(self, f: Any, size: int) -> None:
        self.f = f
        self.size = size
        self.bytes_read = 0

    def read(self, n: int = -1) -> bytes:
        from oss_tracker.hub.archive_table import bounded

        data = self.f.read(bounded(n, self.size - self.f.tell()))
        self.bytes_read += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.f, name)


def size_text(n: int) -> str:
    """Bytes for a summary line: kB under a megabyte (a test's files), MB, then GB."""
    if n < 1e6:
        return f"{n / 1e3:,.1f} kB"
    return f"{n / 1e6:,.1f} MB" if n < 1e10 else f"{n / 1e9:,.1f} GB"


def read_share(read: int, size: int) -> str:
    """`N MB read (P % of M MB)`: what reading cost against the files' size (more than 100 % when
    a small file's footer and columns were read more than once)."""
    return f"{size_text(read)} read" + (f" ({100 * read / size:.1f} % of {size_text(size)})" if size else "")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
