"""Record the Hub's responses to a folder, and serve them again with no network.

A recording is `manifest.json` (endpoint, time of the run) and `responses.jsonl`, one
response a line in the order received: method, path and query relative to the endpoint,
status, the headers the tracker reads, and the body (as JSON where it parses). Request
headers are never saved, so neither is a token.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2

REPLAY_ENDPOINT = "http://replay.invalid"
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
    """Appends every response the tracker receives to a recording folder."""

    def __init__(
        self, folder: Path, endpoint: str, started_at: datetime, orgs: list[str] | None = None
    ) -> None:
        self.folder = folder
        self.endpoint = endpoint.rstrip("/")
        if (folder / RESPONSES).exists():
            raise ReplayError(f"{folder} already holds a recording: record into a new folder")
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {"recorded_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "orgs": orgs}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        self._file = (folder / RESPONSES).open("w", encoding="utf-8")
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


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReplayError(f"{folder} is not a recording (no {MANIFEST})") from None
    except (OSError, ValueError) as err:
        raise ReplayError(f"cannot read {path}: {err}") from None


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
            with (folder / RESPONSES).open(encoding="utf-8") as f:
                for n, line in enumerate(f, 1):  # noqa: B007 (n names the bad line)
                    if line.strip():
                        entry = json.loads(line)
                        self._queues[_key(entry["method"], entry["path"], entry["query"])].append(entry)
        except FileNotFoundError:
            raise ReplayError(f"{folder} is not a recording (no {RESPONSES})") from None
        except (ValueError, KeyError) as err:
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
