"""A public archive of Hub snapshots on the Hub itself (`cfahlgren1/hub-stats`), read over HTTP.

Its commits are listed page by page (`GET /api/datasets/{repo}/commits/{rev}`, `Link` paging),
and a revision's file is read with range requests (`GET /datasets/{repo}/resolve/{sha}/{path}`
with `Range`), through the tracker's transport: the endpoint and token of a sync, its retries,
pacing, size caps and cancel. A Parquet reader needs the footer and then only the column chunks
it asks for, so a day of a 1.5 GB file costs a small part of it (docs/benchmarks.md).

On the real Hub, `resolve` answers a large file with a redirect to a content host (another
origin). That one case is allowed: the redirect's target, https only (or the endpoint's own
scheme, a test Hub), is read with range requests *without* the token (httpx would drop it on a
cross-origin redirect too; here no redirect is followed, the target is asked directly).

Everything the archive sends is hostile: commit items are checked field by field, a file's
size must be a sane number, every range answer must be a 206 for exactly the bytes asked for.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin

from oss_tracker.hub.client import BadPage, HubSession, _headers, _json
from oss_tracker.hub.parse import iso_time

log = logging.getLogger("oss_tracker")

SHA = re.compile(r"[0-9a-f]{40}")
# Pages of commits a listing may bring: 100,000 commits at the Hub's page size, ~100 years of daily uploads.
MAX_COMMIT_PAGES = 2000
CHUNK = 16 * 2**20  # the most one range request asks for (the transport refuses answers past 64 MiB)
MAX_FILE = 2**40  # a file size past 1 TiB is no snapshot of the Hub


class ArchiveError(Exception):
    """The archive answered something that cannot be used (the message says what)."""


class FileMissing(ArchiveError):
    """The revision has no such file (404)."""


@dataclass(frozen=True)
class Commit:
    sha: str
    at: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    title: str


class CommitListing:
    """Every commit of the dataset repo, newest first (items that are not a commit are skipped),
    as an iterable; `complete` once the listing reached its last page.

    A listing ends early, not complete, on a page that brings nothing new (empty, or only commits
    already listed) or that is not older than the page before (a listing that loops or goes back
    up): the caller then treats the oldest day it saw as cut short."""

    def __init__(self, session: HubSession, repo: str, revision: str = "main") -> None:
        self.session, self.repo, self.revision = session, repo, revision
        self.complete = False
        self.pages = 0

    def __iter__(self) -> Iterator[Commit]:
        api = self.session.api
        url: str | None = (
            f"{api.endpoint}/api/datasets/{_repo_path(self.repo)}/commits/{quote(self.revision, safe='')}"
        )
        headers = _headers(api)
        from huggingface_hub.utils import get_session, hf_raise_for_status

        seen: set[str] = set()
        oldest: str | None = None  # the oldest date listed so far
        while url is not None:
            response = get_session().get(url, headers=headers)
            hf_raise_for_status(response)
            page = _json(response.content)
            if type(page) is not list:
                raise BadPage("the Hub sent a commit listing page that is not a list")
            self.pages += 1
            commits = [c for c in map(_commit, page) if c is not None and c.sha not in seen]
            url = response.links.get("next", {}).get("url")
            if not commits or (oldest is not None and max(c.at for c in commits) > oldest):
                if url is not None or commits:
                    log.info(
                        "the commit listing of %s stopped at page %d (nothing new or older)",
                        self.repo,
                        self.pages,
                    )
                    return
                break
            for commit in commits:
                seen.add(commit.sha)
                yield commit
            oldest = min(c.at for c in commits) if oldest is None else min(oldest, *(c.at for c in commits))
            if url is not None and self.pages >= MAX_COMMIT_PAGES:
                raise ArchiveError(f"the commit listing went on past {MAX_COMMIT_PAGES} pages: stopped")
        self.complete = True


def list_commits(session: HubSession, repo: str, revision: str = "main") -> CommitListing:
    """The dataset repo's commits, newest first (see CommitListing)."""
    return CommitListing(session, repo, revision)


def _commit(item: Any) -> Commit | None:
    if type(item) is not dict:
        return None
    sha, date, title = item.get("id"), item.get("date"), item.get("title")
    if type(sha) is not str or not SHA.fullmatch(sha) or type(date) is not str:
        return None
    try:
        moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Commit(sha, iso_time(moment.astimezone(UTC)) or "", title if type(title) is str else "")


def _repo_path(repo: str) -> str:
    return "/".join(quote(part, safe="") for part in repo.split("/"))


@dataclass
class FileInfo:
    url: str  # where the bytes are read (the resolve URL, or the content host it redirected to)
    size: int
    etag: str | None
    on_endpoint: bool  # False: a content host, asked without the token


def stat(session: HubSession, repo: str, revision: str, path: str) -> FileInfo:
    """Size, identity (ETag) and location of a file of a revision, from a HEAD of `resolve`.

    A redirect (the real Hub's answer for a large file) gives the size in `X-Linked-Size`, the
    content hash in `X-Linked-Etag`, and the content host in `Location`; a direct answer gives
    `Content-Length` and `ETag`. FileMissing on 404.
    """
    from huggingface_hub.utils import get_session

    api = session.api
    url = f"{api.endpoint}/datasets/{_repo_path(repo)}/resolve/{quote(revision, safe='')}/{quote(path)}"
    response = get_session().head(
        url, headers={**_headers(api), "Accept-Encoding": "identity"}, follow_redirects=False
    )
    status = response.status_code
    if status == 404:
        raise FileMissing(f"no {path} at revision {revision[:12]}")
    headers = response.headers
    if status in (301, 302, 303, 307, 308):
        location = headers.get("location")
        if not location:
            raise ArchiveError(f"the Hub redirected {path} at {revision[:12]} nowhere")
        target = urljoin(url, location)
        same = target.split("/", 3)[:3] == url.split("/", 3)[:3]
        if not same:
            session.transport.allow_content_host(target)
        size = _size(headers.get("x-linked-size"))
        etag = headers.get("x-linked-etag") or headers.get("etag")
        if size is None:  # ask the target itself
            head = get_session().head(
                target, headers={} if not same else _headers(api), follow_redirects=False
            )
            if head.status_code >= 400:
                raise ArchiveError(f"the content host answered HTTP {head.status_code} for {path}")
            size = _size(head.headers.get("content-length"))
        if size is None:
            raise ArchiveError(f"no usable size for {path} at {revision[:12]}")
        return FileInfo(target, size, _etag(etag), on_endpoint=same)
    if status >= 400:
        raise ArchiveError(f"the Hub answered HTTP {status} for {path} at {revision[:12]}")
    size = _size(headers.get("x-linked-size")) or _size(headers.get("content-length"))
    if size is None:
        raise ArchiveError(f"no usable size for {path} at {revision[:12]}")
    return FileInfo(url, size, _etag(headers.get("x-linked-etag") or headers.get("etag")), on_endpoint=True)


def _size(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 15:
        return None
    size = int(value.strip())
    return size if 0 < size <= MAX_FILE else None


def _etag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().removeprefix("W/").strip('"')
    return value[:200] or None


class RemoteFile:
    """A read-only, seekable file over range requests: what pyarrow's Parquet reader needs.

    Counts the bytes and requests it costs. Reads of more than CHUNK bytes are split. Thread-safe
    (pyarrow may read from its own threads)."""

    def __init__(self, session: HubSession, info: FileInfo) -> None:
        self.session = session
        self.info = info
        self.size = info.size
        self.bytes_read = 0
        self.requests = 0
        self._pos = 0
        self._lock = threading.Lock()
        self.closed = False

    # -- the file protocol pyarrow uses ------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        from oss_tracker.hub.archive_table import bounded

        with self._lock:
            start = self._pos
            end = start + bounded(n, self.size - start)
            if start >= end:
                return b""
            data = b"".join(self._range(a, min(end, a + CHUNK)) for a in range(start, end, CHUNK))
            self._pos = end
            return data

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> RemoteFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ------------------------------------------------------------------------------
    def _range(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file; ArchiveError unless the answer is exactly those."""
        from huggingface_hub.utils import get_session

        headers = {"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
        if self.info.on_endpoint:
            headers = {**_headers(self.session.api), **headers}
        response = get_session().get(self.info.url, headers=headers, follow_redirects=False)
        self.requests += 1
        body = response.content
        self.bytes_read += len(body)
        if response.status_code != 206:
            raise ArchiveError(
                f"the archive answered HTTP {response.status_code} to a range request (206 expected)"
            )
        found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("content-range", "").strip())
        if found is None or int(found[1]) != start or int(found[2]) != end - 1 or len(body) != end - start:
            raise ArchiveError("the archive answered a range request with other bytes than asked for")
        if found[3] != "*" and int(found[3]) != self.size:
            raise ArchiveError("the archive's file changed size while it was read")
        return body
