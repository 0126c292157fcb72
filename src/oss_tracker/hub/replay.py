"""Record the Hub's responses to a folder, and serve them again with no network.

A recording is `manifest.json` (endpoint, time of the run) and `responses.jsonl`, one
response a line in the order received: method, path and query relative to the endpoint,
status, the headers the tracker reads, and the body (as JSON where it parses). Request
headers are never saved, so neither is a token.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

import httpx2

from oss_tracker.files import NotRegular, UnusableFolder, create_new, empty_folder, open_regular
from oss_tracker.names import account_problem, shown
from oss_tracker.records import REPLAY_ENDPOINT

MANIFEST = "manifest.json"
RESPONSES = "responses.jsonl"
# Response headers worth keeping: what the client and the tracker act upon.
KEPT_HEADERS = (
    "content-type",
    "link",
    "location",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "x-error-code",
    "x-error-message",
)


class ReplayError(Exception):
    """A recording that is missing, unreadable, or lacks a response the run asked for."""


def _key(method: str, path: str, query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return method + " " + path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


class FolderRecorder:
    """Appends every response the tracker receives to a recording folder.

    Only into a new or empty folder, and never through a symlink: the folder itself must not be
    one, and both files are created new (O_EXCL | O_NOFOLLOW, relative to the folder opened
    once), so that a recording never replaces, truncates or creates a file it did not make.
    """

    def __init__(
        self, folder: Path, endpoint: str, started_at: datetime, orgs: list[str] | None = None
    ) -> None:
        self.folder = folder
        self.endpoint = endpoint.rstrip("/")
        manifest = {"recorded_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "orgs": orgs}
        dir_fd = _empty_folder(folder)
        try:
            with _create(folder, MANIFEST, dir_fd) as f:
                f.write(json.dumps(manifest, indent=2) + "\n")
            self._file = _create(folder, RESPONSES, dir_fd)
        finally:
            os.close(dir_fd)
        self._lock = threading.Lock()

    def save(self, request: httpx2.Request, response: httpx2.Response) -> None:
        headers = {}
        for name in KEPT_HEADERS:
            if name in response.headers:
                value = response.headers[name]
                headers[name] = _relative_link(value, self.endpoint) if name == "link" else value
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query.decode(),
            "status": response.status_code,
            "headers": headers,
        }
        try:
            entry["json"] = json.loads(response.content)
        except ValueError:
            entry["text"] = response.content.decode("utf-8", "replace")
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def _relative_link(value: str, endpoint: str) -> str:
    return value.replace("<" + endpoint, "<")


def _empty_folder(folder: Path) -> int:
    """A descriptor of `folder`, made if missing; ReplayError if it is a symlink, not a folder, or not empty."""
    try:
        return empty_folder(folder, "record")
    except UnusableFolder as err:
        raise ReplayError(str(err)) from None


def _create(folder: Path, name: str, dir_fd: int) -> TextIO:
    try:
        fd = create_new(folder, name, dir_fd)
    except UnusableFolder as err:
        raise ReplayError(str(err)) from None
    return os.fdopen(fd, "w", encoding="utf-8")


def _read_text(path: Path) -> TextIO:
    """A recording's file for reading; ReplayError if it is not a regular file (a FIFO or a device
    would block or never end)."""
    try:
        return os.fdopen(open_regular(path), encoding="utf-8")
    except NotRegular:
        raise ReplayError(f"{path} is not a regular file: not a recording") from None


@dataclass
class Manifest:
    """A recording's manifest, checked: the accounts it asked for and when it was recorded."""

    orgs: list[str] | None
    recorded_at: datetime | None


def read_manifest(folder: Path) -> Manifest:
    """The manifest, checked: `orgs` a list of Hub account names (each once), `recorded_at` a time."""
    path = folder / MANIFEST
    try:
        with _read_text(path) as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        raise ReplayError(f"{folder} is not a recording (no {MANIFEST})") from None
    except (OSError, ValueError) as err:
        raise ReplayError(f"cannot read {path}: {err}") from None
    if not isinstance(data, dict):
        raise ReplayError(f"{path} is not a recording's manifest (not a JSON object)")
    orgs = data.get("orgs")
    if orgs is not None:
        if not isinstance(orgs, list):
            # A bare string would be taken letter by letter.
            raise ReplayError(f"{path}: orgs must be a list of Hub account names, not {shown(orgs)}")
        seen: set[str] = set()
        for org in orgs:
            problem = account_problem(org)
            if problem is not None:
                raise ReplayError(f"{path}: orgs: {problem}")
            if org.lower() in seen:
                raise ReplayError(f"{path}: orgs lists {shown(org)} twice")
            seen.add(org.lower())
    recorded = data.get("recorded_at")
    recorded_at = None
    if recorded is not None:
        try:
            recorded_at = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            raise ReplayError(
                f"{path}: recorded_at {shown(recorded)} is not a time like 2025-11-24T06:00:00Z"
            ) from None
    return Manifest(orgs=orgs, recorded_at=recorded_at)


class ReplayTransport(httpx2.BaseTransport):
    """Answers each request with the recorded response for the same method, path and query."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest = read_manifest(folder)
        self._queues: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self._last: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        n = 0
        try:
            with _read_text(folder / RESPONSES) as f:
                for n, line in enumerate(f, 1):  # noqa: B007 (n names the bad line)
                    if line.strip():
                        entry = json.loads(line)
                        self._queues[_key(entry["method"], entry["path"], entry["query"])].append(entry)
        except FileNotFoundError:
            raise ReplayError(f"{folder} is not a recording (no {RESPONSES})") from None
        except OSError as err:
            raise ReplayError(f"cannot read {folder / RESPONSES}: {err.strerror}") from None
        except (ValueError, KeyError, TypeError) as err:
            raise ReplayError(f"{folder / RESPONSES} line {n} is not a recorded response: {err}") from None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = urlsplit(str(request.url))
        key = _key(request.method, url.path, url.query)
        with self._lock:
            queue = self._queues.get(key)
            if queue:
                entry = queue.popleft()
                self._last[key] = entry
            elif key in self._last:
                entry = self._last[key]
            else:
                raise ReplayError(
                    f"the recording in {self.folder} has no response for {request.method} {url.path}"
                )
        if "json" in entry:
            body = json.dumps(entry["json"], ensure_ascii=False).encode()
        else:
            body = entry.get("text", "").encode()
        headers = dict(entry.get("headers", {}))
        if "link" in headers:
            headers["link"] = headers["link"].replace("</", f"<{REPLAY_ENDPOINT}/")
        return httpx2.Response(
            entry["status"], headers=headers, stream=httpx2.ByteStream(body), request=request
        )
