"""The fake Hub's dataset repo: an archive like `cfahlgren1/hub-stats`, for `oss-tracker backfill`.

tests/fakehub.py delegates these routes here (`FakeHub.archive = ArchiveRepo(...)`):

* ``GET /api/datasets/{repo}/commits/{rev}``    the commits, newest first, paged with ``Link`` (``?p=N``)
* ``HEAD|GET /datasets/{repo}/resolve/{rev}/{path}``  a revision's file: ``Range`` answered with 206 and
  ``Content-Range``; with ``redirect``, a 302 to a second local server (another origin, as the real
  Hub's content host) with ``X-Linked-Size`` and ``X-Linked-Etag``; 404 ``EntryNotFound`` for a
  file the revision does not hold

The content server (`ContentServer`) records every request's ``Authorization`` header, so a test
can check that no token reaches it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote


@dataclass
class ArchiveCommit:
    sha: str
    date: str  # ISO, as the Hub writes it
    title: str
    files: dict[str, bytes]  # the repo's tree after this commit


def sha_of(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/octet-stream"


def ranged(data: bytes, range_header: str | None, etag: str, head: bool) -> Answer:
    """A file answer: 206 for a valid `bytes=a-b` range, 200 for the whole file, 416 past its end."""
    headers = {"ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
    if range_header:
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header.strip())
        if m is None or int(m[1]) >= len(data):
            return Answer(416, b"", {"Content-Range": f"bytes */{len(data)}"})
        start = int(m[1])
        end = min(len(data) - 1, int(m[2])) if m[2] else len(data) - 1
        body = data[start : end + 1]
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return Answer(206, b"" if head else body, {**headers, "Content-Length": str(len(body))})
    return Answer(200, b"" if head else data, {**headers, "Content-Length": str(len(data))})


class ArchiveRepo:
    """A dataset repo's history: commits (oldest first as given), each with its tree."""

    def __init__(
        self,
        commits: list[ArchiveCommit],
        *,
        repo: str = "cfahlgren1/hub-stats",
        page_size: int = 2,
        content: ContentServer | None = None,
    ) -> None:
        self.repo = repo
        self.commits = list(commits)
        self.page_size = page_size
        self.content = content  # answer resolve with a redirect to this server
        self.ranges: list[tuple[str, str]] = []  # (path, Range) of every ranged GET served here
        self.reads: list[tuple[str, str, str]] = []  # (revision, path, Range) of the same
        self._etags: dict[int, str] = {}  # id of a file's bytes (held by self.commits) -> its hash
        if content is not None:
            for c in self.commits:
                for data in c.files.values():
                    content.blobs[hashlib.sha256(data).hexdigest()] = data

    def handles(self, route: str) -> bool:
        return route.startswith(f"/api/datasets/{self.repo}/commits/") or route.startswith(
            f"/datasets/{self.repo}/resolve/"
        )

    def route(self, method: str, route: str, query: list[tuple[str, str]], headers: Any, host: str) -> Answer:
        if route.startswith("/api/"):
            return self._commits(route, query, host)
        rest = route[len(f"/datasets/{self.repo}/resolve/") :]
        rev, _, path = rest.partition("/")
        commit = self._at(rev)
        if commit is None:
            return Answer(
                404,
                b'{"error": "Revision Not Found"}',
                {"X-Error-Code": "RevisionNotFound"},
                "application/json",
            )
        data = commit.files.get(path)
        if data is None:
            return Answer(
                404, b'{"error": "Entry not found"}', {"X-Error-Code": "EntryNotFound"}, "application/json"
            )
        etag = self._etag(data)
        if self.content is not None:
            return Answer(
                302,
                b"",
                {
                    "Location": f"{self.content.url}/blobs/{etag}?signature=x",
                    "X-Linked-Size": str(len(data)),
                    "X-Linked-Etag": f'"{etag}"',
                    "Content-Length": "0",
                },
            )
        if method == "GET" and headers.get("Range"):
            self.ranges.append((path, headers.get("Range")))
            self.reads.append((commit.sha, path, headers.get("Range")))
        return ranged(data, headers.get("Range"), etag, method == "HEAD")

    def _etag(self, data: bytes) -> str:
        """The file's content hash, once per file (a benchmark serves a 2 GB day from a memory map)."""
        key = id(data)
        if key not in self._etags:
            self._etags[key] = hashlib.sha256(data).hexdigest()
        return self._etags[key]

    def _at(self, rev: str) -> ArchiveCommit | None:
        if rev == "main":
            return self.commits[-1] if self.commits else None
        return next((c for c in self.commits if c.sha == rev), None)

    def _commits(self, route: str, query: list[tuple[str, str]], host: str) -> Answer:
        import json

        rev = route.rsplit("/", 1)[1]
        head = self._at(rev)
        if head is None:
            return Answer(
                404,
                b'{"error": "Revision Not Found"}',
                {"X-Error-Code": "RevisionNotFound"},
                "application/json",
            )
        newest_first = list(reversed(self.commits[: self.commits.index(head) + 1]))
        page = int(dict(query).get("p", "0"))
        items = newest_first[page * self.page_size : (page + 1) * self.page_size]
        body = json.dumps(
            [
                {"id": c.sha, "authors": [{"user": "bot"}], "date": c.date, "title": c.title, "message": ""}
                for c in items
            ]
        ).encode()
        headers = {}
        if (page + 1) * self.page_size < len(newest_first):
            headers["Link"] = (
                f'<http://{host}/api/datasets/{self.repo}/commits/{quote(rev)}?p={page + 1}>; rel="next"'
            )
        return Answer(200, body, headers, "application/json")


class ContentServer:
    """A second local server (another origin: the real Hub's content host) serving blobs by hash."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.seen: list[dict[str, Any]] = []  # method, path, Range, Authorization of every request
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small answers would otherwise wait ~40 ms for an ACK

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._serve(head=False)

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def _serve(self, *, head: bool) -> None:
                path = self.path.partition("?")[0]
                server.seen.append(
                    {
                        "method": self.command,
                        "path": path,
                        "range": self.headers.get("Range"),
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                key = path.rsplit("/", 1)[1]
                data = server.blobs.get(key)
                answer = (
                    Answer(404, b"") if data is None else ranged(data, self.headers.get("Range"), key, head)
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in answer.headers:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if not head:
                    self.wfile.write(answer.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # Another port is another origin (scheme, host and port), as the Hub's content host is.
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ContentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
