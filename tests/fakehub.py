"""A fake Hugging Face Hub HTTP server for tests and benchmarks.

The real ``huggingface_hub`` client (which speaks HTTP through ``httpx2``) is
pointed at it with ``HfApi(endpoint=hub.url)``.  It serves the model endpoints
the tracker uses, the way the real Hub answers them (see ``docs/hub-api.md``):

* ``GET /api/models``                          listing, keyset pagination via ``Link``
* ``GET /api/models/{org}/{name}``             model detail, ``expand``, 307 renames
* ``GET /api/organizations/{org}/overview``    org overview (``numModels`` ...)
* ``GET /api/agent-harnesses``                 always 404 (client telemetry)

Every answer carries ``RateLimit`` / ``RateLimit-Policy`` headers and a fixed
window rate limit is enforced.  Faults (error statuses, truncated bodies,
dropped connections, delays, broken JSON, looping cursors, mutated payloads)
can be injected with :meth:`FakeHub.add_fault`.

Run it by hand with ``python -m tests.fakehub WORLD.json [--port N]``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import hashlib
import json
import math
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode

__all__ = ["DETAIL_ONLY_EXPAND", "FAULT_KINDS", "LISTING_EXPAND", "SORT_KEYS", "FakeHub", "main"]

SORT_KEYS = frozenset(
    {"createdAt", "lastModified", "downloads", "likes", "trendingScore", "downloadsAllTime"}
)
DATE_SORT_KEYS = frozenset({"createdAt", "lastModified"})
DEFAULT_SORT = "trendingScore"

LISTING_EXPAND = frozenset(
    {
        "author", "cardData", "config", "createdAt", "disabled", "downloads", "downloadsAllTime",
        "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified", "library_name",
        "likes", "mask_token", "model-index", "pipeline_tag", "private", "safetensors", "sha",
        "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "widgetData",
        "resourceGroup", "evalResults",
    }
)  # fmt: skip
DETAIL_ONLY_EXPAND = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
# What the client accepts as `expand` on dataset and Space listings (huggingface_hub 2.4's types).
DATASET_EXPAND = frozenset(
    {
        "author", "cardData", "citation", "createdAt", "description", "disabled", "downloads",
        "downloadsAllTime", "gated", "lastModified", "likes", "paperswithcode_id", "private",
        "siblings", "sha", "tags", "trendingScore", "resourceGroup",
    }
)  # fmt: skip
SPACE_EXPAND = frozenset(
    {
        "author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes", "models",
        "private", "runtime", "sdk", "siblings", "sha", "subdomain", "tags", "trendingScore",
        "resourceGroup",
    }
)  # fmt: skip
DETAIL_EXPAND = LISTING_EXPAND | DETAIL_ONLY_EXPAND

# A default listing item (no expand / full), as recorded from the real Hub.
DEFAULT_LISTING_FIELDS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
    "pipeline_tag", "library_name", "createdAt",
)  # fmt: skip
# A `full=true` listing item, as recorded from the real Hub (samples/list_full_true_*).
FULL_LISTING_FIELDS = (
    "_id", "id", "author", "gated", "lastModified", "likes", "private", "sha", "downloads",
    "tags", "pipeline_tag", "library_name", "createdAt", "siblings",
)  # fmt: skip
OMIT_WHEN_UNSET = frozenset({"pipeline_tag", "library_name"})
# Stored fields a model detail only shows when asked for with `expand`.
DETAIL_EXPAND_ONLY_FIELDS = frozenset({"downloadsAllTime", "childrenModelCount", "baseModels"})

RELATIONS = ("finetune", "quantized", "adapter", "merge")
HARNESS_PATH = "/api/agent-harnesses"
FAULT_KINDS = frozenset(
    {
        "status", "truncate", "drop", "delay", "badjson", "repeat_page", "mutate",
        "endless",  # a listing page of `items` new models (default 70) that always links to one more
        "trickle",  # the answer `chunk` bytes (1) every `interval` s (1.0); head=True: the headers too;
        # for_seconds=S: the connection is closed after S seconds, whatever is left
        "gzip",  # the answer gzip-encoded; with bomb=N followed by N spaces (valid JSON, N bytes decoded)
        "huge",  # the answer padded with spaces to `size` bytes, sent as it is written
    }
)  # fmt: skip
LISTING_ONLY_FAULTS = frozenset({"repeat_page", "endless"})

JSON_CT = "application/json; charset=utf-8"
TEXT_CT = "text/plain; charset=utf-8"
AVATAR_URL = "https://example.invalid/a.png"


# --------------------------------------------------------------------------- helpers


class _BadRequest(Exception):
    """Raised while routing: answered as HTTP 400 with a JSON error body."""


@dataclass
class _Reply:
    status: int
    payload: Any = None
    text: str | None = None  # a non-JSON body (then `payload` is ignored)
    body: bytes | None = None  # raw bytes as they are (a `mutate` function returning bytes)
    content_type: str = JSON_CT
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: str
    match: str
    times: int
    opts: dict[str, Any]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, {"error": message}, headers=dict(headers or {}))


def _not_found() -> _Reply:
    return _error(404, "Not Found")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"true", "1", "yes"}


def _first(query: list[tuple[str, str]], name: str) -> str | None:
    for key, value in query:
        if key == name:
            return value
    return None


def _expand_values(query: list[tuple[str, str]]) -> list[str]:
    return [value for key, value in query if key in ("expand", "expand[]")]


def _author_of(model: dict[str, Any]) -> str | None:
    """The model's namespace: its `author`, or the id's prefix when `author` is unset."""
    author = model.get("author")
    if isinstance(author, str) and author:
        return author
    repo_id = model.get("id")
    if isinstance(repo_id, str) and "/" in repo_id:
        return repo_id.split("/", 1)[0]
    return None


def _sort_value(model: dict[str, Any], key: str) -> Any:
    """Sort value of a model; missing/null/odd values count as 0 (or "" for dates)."""
    value = model.get(key)
    if key in DATE_SORT_KEYS:
        return value if isinstance(value, str) else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return value


def _id_of(model: dict[str, Any]) -> str:
    value = model.get("_id")
    return "" if value is None else str(value)


def _fake_object_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def _encode_cursor(key: str, value: Any, last_id: str) -> str:
    condition = {"$or": [{key: value, "_id": {"$gt": last_id}}, {key: {"$lt": value}}]}
    raw = json.dumps(condition, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def _decode_cursor(cursor: str, key: str) -> tuple[Any, str]:
    """Return (sort value, last _id) from a cursor, or raise _BadRequest."""
    text = cursor.strip().replace(" ", "+")  # a raw '+' may have been form-decoded to ' '
    text += "=" * (-len(text) % 4)
    raw: bytes | None = None
    for altchars in (None, b"-_"):
        try:
            raw = base64.b64decode(text, altchars=altchars, validate=True)
            break
        except (binascii.Error, ValueError):
            continue
    if raw is None:
        raise _BadRequest("Invalid cursor")
    try:
        condition = json.loads(raw.decode("utf-8"))
        first = condition["$or"][0]
        value = first[key]
        last_id = first["_id"]["$gt"]
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError) as exc:
        raise _BadRequest("Invalid cursor") from exc
    if key in DATE_SORT_KEYS:
        value_ok = isinstance(value, str)
    else:
        value_ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not value_ok or not isinstance(last_id, str):
        raise _BadRequest("Invalid cursor")
    return value, last_id


def _first_after(values: list[Any], ids: list[str], value: Any, last_id: str) -> int:
    """Index of the first entry strictly after (value, last_id) in (value desc, _id asc) order."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        v = values[mid]
        if v < value or (v == value and ids[mid] > last_id):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _ratelimit(remaining: int, reset: int) -> str:
    return f'"api";r={remaining};t={reset}'


def _ceil_int(value: Any, default: int = 1) -> int:
    try:
        return max(0, math.ceil(float(value)))
    except (TypeError, ValueError, OverflowError):
        return default


# --------------------------------------------------------------------------- world


class _World:
    """An indexed, read-only snapshot of the world dict."""

    def __init__(self, world: Any) -> None:
        if not isinstance(world, dict):
            world = {}
        models = world.get("models")
        self.models: list[dict[str, Any]] = (
            [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []
        )
        orgs = world.get("orgs")
        self.orgs: dict[str, Any] = orgs if isinstance(orgs, dict) else {}
        renames = world.get("renames")
        self.renames: dict[str, str] = (
            {k: v for k, v in renames.items() if isinstance(k, str) and isinstance(v, str)}
            if isinstance(renames, dict)
            else {}
        )
        self.by_id: dict[str, dict[str, Any]] = {}
        self.author_counts: dict[str, int] = {}
        self.children: dict[str, dict[str, int]] = {}
        for model in self.models:
            repo_id = model.get("id")
            if isinstance(repo_id, str):
                self.by_id.setdefault(repo_id, model)
            author = _author_of(model)
            if author:
                self.author_counts[author] = self.author_counts.get(author, 0) + 1
            tags = model.get("tags")
            if not isinstance(tags, list):
                continue
            for tag in {t for t in tags if isinstance(t, str)}:
                if not tag.startswith("base_model:"):
                    continue
                relation, sep, base = tag[len("base_model:") :].partition(":")
                if sep and base and relation in RELATIONS:
                    per_relation = self.children.setdefault(base, {})
                    per_relation[relation] = per_relation.get(relation, 0) + 1
        self._orders: dict[str, tuple[list[dict[str, Any]], list[Any], list[str]]] = {}
        self._lock = threading.Lock()
        # Datasets and Spaces are listed like models: each kind is a world of its own.
        self.kinds: dict[str, _World] = {}
        for kind in ("datasets", "spaces"):
            items = world.get(kind)
            if isinstance(items, list) and items:
                self.kinds[kind] = _World({"models": items})

    def ordered(self, key: str) -> tuple[list[dict[str, Any]], list[Any], list[str]]:
        """Models sorted by `key` descending then `_id` ascending, with their keys."""
        with self._lock:
            cached = self._orders.get(key)
            if cached is None:
                rows = sorted(((_sort_value(m, key), _id_of(m), m) for m in self.models), key=lambda r: r[1])
                rows.sort(key=lambda r: r[0], reverse=True)  # stable: ties keep _id ascending
                cached = ([r[2] for r in rows], [r[0] for r in rows], [r[1] for r in rows])
                self._orders[key] = cached
            return cached

    def children_count(self, repo_id: str) -> dict[str, int] | int:
        counts = self.children.get(repo_id)
        if not counts:
            return 0
        return {rel: counts[rel] for rel in RELATIONS if counts.get(rel)}


# --------------------------------------------------------------------------- projections


def _listing_item(
    model: dict[str, Any], expand: list[str], full: bool, card: bool, config: bool
) -> dict[str, Any]:
    if expand:
        item = {k: model[k] for k in ("_id", "id") if k in model}
        for name in expand:
            if name in model:
                item[name] = model[name]
        return item
    fields = FULL_LISTING_FIELDS if full else DEFAULT_LISTING_FIELDS
    item = {}
    for name in fields:
        if name not in model:
            continue
        if name in OMIT_WHEN_UNSET and model[name] is None:
            continue
        item[name] = model[name]
    item["modelId"] = model.get("id")
    if card and "cardData" in model:
        item["cardData"] = model["cardData"]
    if config and "config" in model:
        item["config"] = model["config"]
    return item


def _provider_dict(mapping: Any) -> Any:
    """`inferenceProviderMapping` as `model_info` sends it: a dict keyed by provider, where a
    listing sends a list of items that each name their `provider` (huggingface_hub harmonises the
    two). A stored value of another shape (a test's hostile one) is sent as it is."""
    if not isinstance(mapping, list) or not all(isinstance(i, dict) and "provider" in i for i in mapping):
        return mapping
    return {i["provider"]: {k: v for k, v in i.items() if k != "provider"} for i in mapping}


def _detail_item(world: _World, model: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    if expand:
        item = {k: model[k] for k in ("_id", "id") if k in model}
        for name in expand:
            if name in model:
                item[name] = model[name]
            elif name == "childrenModelCount":
                repo_id = model.get("id")
                item[name] = world.children_count(repo_id) if isinstance(repo_id, str) else 0
        if "inferenceProviderMapping" in item:
            item["inferenceProviderMapping"] = _provider_dict(item["inferenceProviderMapping"])
        return item
    item = {k: model[k] for k in ("_id", "id") if k in model}
    item["modelId"] = model.get("id")
    for name, value in model.items():
        if name not in item and name not in DETAIL_EXPAND_ONLY_FIELDS:
            item[name] = _provider_dict(value) if name == "inferenceProviderMapping" else value
    return item


# --------------------------------------------------------------------------- HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    hub: FakeHub

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn): skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small writes otherwise wait ~40 ms for the peer's delayed ACK (Nagle).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.hub._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.hub._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:  # only the archive's files answer HEAD (tests/fakehub_archive.py)
        self._serve()

    def _discard_body_then_serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > 0:
            self.rfile.read(length)
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = _discard_body_then_serve

    def _serve(self) -> None:
        hub = self.server.hub
        if hub._stopped:
            self.close_connection = True
            return
        raw_path, _, raw_query = self.path.partition("?")
        path = unquote(raw_path)
        query = parse_qsl(raw_query, keep_blank_values=True)
        route = path.rstrip("/") or "/"
        entry: dict[str, Any] = {
            "method": self.command,
            "path": path,
            "raw_path": raw_path,
            "query": query,
            "status": 0,
            "authorization": self.headers.get("Authorization"),
        }
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        kind = ""
        is_harness = route == HARNESS_PATH
        remaining, reset, limited = hub._take_unit(consume=not is_harness)
        try:
            fault: _Fault | None = None
            if not is_harness:
                targets = (f"{raw_path}?{raw_query}", f"{path}?{unquote_plus(raw_query)}")
                is_listing = self.command == "GET" and route in (
                    "/api/models",
                    "/api/datasets",
                    "/api/spaces",
                )
                fault = hub._pop_fault(targets, is_listing)
                if hub.latency > 0:
                    time.sleep(hub.latency)
            kind = fault.kind if fault is not None else ""
            if fault is not None and kind == "delay":
                time.sleep(max(0.0, float(fault.opts.get("seconds", 0.0))))
            if kind == "drop":
                hub._log(entry)
                self.close_connection = True
                return
            if fault is not None and kind == "status":
                reply = _status_fault_reply(fault.opts)
            elif kind == "badjson":
                reply = _Reply(200, text="<html>oops", content_type=JSON_CT)
            elif fault is not None and kind == "endless":
                reply = hub._endless(fault, query, host, route)
            elif limited:
                reply = _error(
                    429,
                    f"Rate limit reached: the 'api' quota of {hub.quota} requests per "
                    f"{_ceil_int(hub.window)} seconds is used up. Retry after {reset} seconds.",
                    {"RateLimit": _ratelimit(0, reset), "Retry-After": str(reset)},
                )
            elif hub.archive is not None and hub.archive.handles(route):
                found = hub.archive.route(self.command, route, query, self.headers, host)
                reply = _Reply(
                    found.status, body=found.body, content_type=found.content_type, headers=found.headers
                )
            else:
                loop_url = f"http://{host}{self.path}" if kind == "repeat_page" else None
                reply = hub._route(self.command, route, query, raw_query, host, loop_url)
            if fault is not None and kind == "mutate" and reply.text is None:
                payload = json.loads(json.dumps(reply.payload, default=str))
                result = fault.opts["fn"](payload)
                if isinstance(result, bytes):
                    reply.body = result
                else:
                    reply.payload = payload if result is None else result
        except Exception as exc:  # never leave a client hanging
            kind = ""
            reply = _error(500, f"fake hub internal error: {type(exc).__name__}: {exc}")

        if reply.body is not None:
            body = reply.body
        elif reply.text is not None:
            body = reply.text.encode("utf-8")
        else:
            body = _json_body(reply.payload)
        headers = {
            "Content-Type": reply.content_type,
            "Content-Length": str(len(body)),
            "RateLimit": _ratelimit(remaining, reset),
            "RateLimit-Policy": f'"fixed window";"api";q={hub.quota};w={_ceil_int(hub.window)}',
        }
        headers.update(reply.headers)
        entry["status"] = reply.status
        hub._log(entry)
        opts = fault.opts if fault is not None else {}
        if kind == "gzip":
            body = _gzip(body, int(opts.get("bomb", 0)))
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(body))
        if kind == "huge":
            size = int(opts["size"])
            headers["Content-Length"] = str(max(size, len(body)))
            self._stream(reply.status, headers, _padded(body, size))
        elif kind == "trickle":
            self._trickle(reply.status, headers, body, opts)
        else:
            self._write(reply.status, headers, body, truncate=kind == "truncate")

    def _stream(self, status: int, headers: dict[str, str], chunks: Iterable[bytes]) -> None:
        """An answer written a chunk at a time (a body too big to build in memory)."""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in chunks:
                if self.server.hub._stopped:
                    break
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def _trickle(self, status: int, headers: dict[str, str], body: bytes, opts: dict[str, Any]) -> None:
        """Slow-loris: the answer a few bytes at a time, each after a pause; ends when the client goes."""
        interval, size = float(opts.get("interval", 1.0)), int(opts.get("chunk", 1))
        head = f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        if opts.get("head"):
            data = head.encode("latin-1") + body
        else:
            self.wfile.write(head.encode("latin-1"))
            data = body
        until = time.monotonic() + float(opts.get("for_seconds", math.inf))
        try:
            for i in range(0, len(data), size):
                time.sleep(interval)
                if self.server.hub._stopped or time.monotonic() > until:
                    break
                self.wfile.write(data[i : i + size])
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    def _write(self, status: int, headers: dict[str, str], body: bytes, *, truncate: bool) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if truncate:
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
            else:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True


_BOMBS: dict[int, bytes] = {}
_MIB = 1 << 20


def _gzip(body: bytes, bomb: int) -> bytes:
    """`body` gzip-encoded, followed by `bomb` spaces in the same member (~1000:1: a 1 GiB bomb
    is ~1 MB on the wire; its deflate blocks are cached, the CRC is computed each time)."""
    import gzip
    import struct
    import zlib

    if not bomb:
        return gzip.compress(body, mtime=0)
    if bomb not in _BOMBS:
        spaces = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate blocks, not final
        parts = [spaces.compress(b" " * _MIB) for _ in range(bomb // _MIB)]
        parts += [spaces.compress(b" " * (bomb % _MIB)), spaces.flush(zlib.Z_FULL_FLUSH)]
        _BOMBS[bomb] = b"".join(parts)
    head = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = head.compress(body) + head.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, not final
    crc = zlib.crc32(body)
    for _ in range(bomb // _MIB):
        crc = zlib.crc32(b" " * _MIB, crc)
    crc = zlib.crc32(b" " * (bomb % _MIB), crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    final = b"\x03\x00"  # an empty final block
    return header + deflated + _BOMBS[bomb] + final + struct.pack("<II", crc, (len(body) + bomb) & 0xFFFFFFFF)


def _padded(body: bytes, size: int) -> Iterable[bytes]:
    yield body
    left = size - len(body)
    block = b" " * (1 << 20)
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)


def _json_body(payload: Any) -> bytes:
    """JSON as the Hub writes it (UTF-8, not escaped); a lone surrogate, which UTF-8 cannot
    carry, is sent as the `\\udXXX` escape JSON allows (the whole body escaped then)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def _status_fault_reply(opts: dict[str, Any]) -> _Reply:
    status = int(opts["status"])
    headers: dict[str, str] = {}
    if status == 429:
        reset = _ceil_int(opts.get("reset", 1))
        headers["RateLimit"] = _ratelimit(0, reset)
        headers["Retry-After"] = str(reset)
    headers.update({str(k): str(v) for k, v in dict(opts.get("headers") or {}).items()})
    return _error(status, f"Injected fault: HTTP {status}", headers)


# --------------------------------------------------------------------------- the hub


class FakeHub:
    """A fake Hugging Face Hub on 127.0.0.1, serving a world of models.

    Use as a context manager (``with FakeHub(world) as hub: HfApi(endpoint=hub.url)``)
    or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        world: dict[str, Any] | None = None,
        *,
        page_size: int = 1000,
        quota: int = 100_000,
        window: float = 300.0,
        latency: float = 0.0,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        if window <= 0:
            raise ValueError("window must be > 0")
        self.page_size = page_size
        self.quota = quota
        self.window = window
        self.latency = latency
        self.url = ""
        self.requests: list[dict[str, Any]] = []
        self.archive: Any = None  # a dataset repo's history (tests/fakehub_archive.py's ArchiveRepo)
        self._lock = threading.Lock()
        self._world = _World(copy.deepcopy(world) if world is not None else {})
        self._start = (copy.deepcopy(world) if world is not None else {}, quota)  # what reset() goes back to
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._stopped = False
        self._t0 = time.monotonic()
        self._window_index = 0
        self._window_used = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> FakeHub:
        """Bind 127.0.0.1 (port 0 = any free port) and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", port), _Handler)
        server.hub = self
        with self._lock:
            self._t0 = time.monotonic()
            self._window_index = 0
            self._window_used = 0
        self._stopped = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub", daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}"
        return self

    def stop(self) -> None:
        """Stop serving and close every open (keep-alive) connection."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopped = True
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state

    def set_world(self, world: dict[str, Any]) -> None:
        """Replace the whole world (a deep copy is taken); safe while serving."""
        snapshot = _World(copy.deepcopy(world))
        with self._lock:
            self._world = snapshot

    def add_fault(self, kind: str, *, match: str = "", times: int = 1, **opts: Any) -> None:
        """Apply fault `kind` to the next `times` requests whose path?query contains `match`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "status" and "status" not in opts:
            raise ValueError("a 'status' fault needs status=<int>")
        if kind == "delay" and "seconds" not in opts:
            raise ValueError("a 'delay' fault needs seconds=<float>")
        if kind == "mutate" and not callable(opts.get("fn")):
            raise ValueError("a 'mutate' fault needs fn=<callable(payload)>")
        if times < 1:
            return
        with self._lock:
            self._faults.append(_Fault(kind, match, times, dict(opts)))

    def reset(self) -> FakeHub:
        """Back to the world and quota it started with, no fault, no logged request and a new
        rate-limit window: a shared fake Hub, fresh for the next test."""
        world, quota = self._start
        self.set_world(world)
        self.clear_faults()
        with self._lock:
            self.quota = quota
            self.requests.clear()
            self._t0 = time.monotonic()
            self._window_index = 0
            self._window_used = 0
        return self

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, prefix: str = "") -> int:
        """Logged requests whose path starts with `prefix` (agent-harnesses not counted)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r["path"].startswith(prefix) and (r["path"].rstrip("/") != HARNESS_PATH)
            )

    # ------------------------------------------------------------------ internals

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def _take_unit(self, *, consume: bool) -> tuple[int, int, bool]:
        """Use one unit of the current fixed window: (remaining, seconds to reset, limited)."""
        now = time.monotonic()
        with self._lock:
            window = float(self.window)
            index = int((now - self._t0) // window)
            if index != self._window_index:
                self._window_index = index
                self._window_used = 0
            if consume:
                self._window_used += 1
            used = self._window_used
            reset = max(1, math.ceil(self._t0 + (index + 1) * window - now))
            return max(0, self.quota - used), reset, consume and used > self.quota

    def _pop_fault(self, targets: Iterable[str], is_listing: bool) -> _Fault | None:
        targets = tuple(targets)
        with self._lock:
            for fault in self._faults:
                if fault.kind in LISTING_ONLY_FAULTS and not is_listing:
                    continue
                if fault.match and not any(fault.match in t for t in targets):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _route(
        self,
        method: str,
        route: str,
        query: list[tuple[str, str]],
        raw_query: str,
        host: str,
        loop_url: str | None,
    ) -> _Reply:
        with self._lock:
            world = self._world
        if method != "GET":
            return _not_found()
        try:
            if route == HARNESS_PATH:
                return _not_found()
            if route == "/api/models":
                return self._list_models(world, query, host, loop_url)
            if route in ("/api/datasets", "/api/spaces"):
                kind = route.rsplit("/", 1)[1]
                sub = world.kinds.get(kind) or _World({})
                return self._list_models(sub, query, host, loop_url, kind=kind)
            if route.startswith("/api/models/"):
                return self._model_info(world, route[len("/api/models/") :], query, raw_query)
            parts = route.split("/")
            if len(parts) == 5 and parts[1:3] == ["api", "organizations"] and parts[4] == "overview":
                return self._org_overview(world, parts[3])
            return _not_found()
        except _BadRequest as exc:
            return _error(400, str(exc))

    def _endless(self, fault: _Fault, query: list[tuple[str, str]], host: str, route: str) -> _Reply:
        """A listing page of new models of the author asked for, linking to yet another page."""
        with self._lock:
            n = fault.opts["served"] = int(fault.opts.get("served", 0)) + 1
        author = _first(query, "author") or "endless"
        items = []
        for i in range(int(fault.opts.get("items", 70))):
            repo_id = f"{author}/endless-{n}-{i}"
            items.append(
                {"_id": _fake_object_id(repo_id), "id": repo_id, "createdAt": "2025-01-01T00:00:00.000Z"}
            )
        params = [(k, v) for k, v in query if k != "cursor"] + [("cursor", f"endless-{n}")]
        return _Reply(200, items, headers={"Link": f'<http://{host}{route}?{urlencode(params)}>; rel="next"'})

    def _list_models(
        self,
        world: _World,
        query: list[tuple[str, str]],
        host: str,
        loop_url: str | None,
        kind: str = "models",
    ) -> _Reply:
        sort = _first(query, "sort")
        if sort is None:
            key = DEFAULT_SORT
        elif sort in SORT_KEYS:
            key = sort
        else:
            raise _BadRequest(f"Invalid sort parameter {sort!r}: expected one of {sorted(SORT_KEYS)}")
        page_size = self.page_size
        raw_limit = _first(query, "limit")
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError as exc:
                raise _BadRequest(f"Invalid limit parameter {raw_limit!r}") from exc
            if limit < 1:
                raise _BadRequest(f"Invalid limit parameter {raw_limit!r}")
            page_size = min(limit, page_size)
        expand = _expand_values(query)
        full = _truthy(_first(query, "full"))
        card = _truthy(_first(query, "cardData"))
        config = _truthy(_first(query, "config"))
        if expand and (full or card or config):
            raise _BadRequest("expand cannot be combined with full, cardData or config")
        allowed = {"models": LISTING_EXPAND, "datasets": DATASET_EXPAND, "spaces": SPACE_EXPAND}[kind]
        for name in expand:
            if kind == "models" and name in DETAIL_ONLY_EXPAND:
                raise _BadRequest(f"expand={name} is not supported on listings (model detail only)")
            if name not in allowed:
                raise _BadRequest(f"Invalid expand parameter {name!r}")
        raw_cursor = _first(query, "cursor")
        after = _decode_cursor(raw_cursor, key) if raw_cursor is not None else None

        author = _first(query, "author")
        search = (_first(query, "search") or "").lower()
        filters = [v for k, v in query if k == "filter"]
        pipeline_tag = _first(query, "pipeline_tag")

        def matches(model: dict[str, Any]) -> bool:
            if author is not None and _author_of(model) != author:
                return False
            if search:
                repo_id = model.get("id")
                if not isinstance(repo_id, str) or search not in repo_id.lower():
                    return False
            if filters:
                tags = model.get("tags")
                if not isinstance(tags, list) or any(f not in tags for f in filters):
                    return False
            return pipeline_tag is None or model.get("pipeline_tag") == pipeline_tag

        models, values, ids = world.ordered(key)
        start = _first_after(values, ids, after[0], after[1]) if after is not None else 0
        page: list[dict[str, Any]] = []
        last_index = -1
        more = False
        for index in range(start, len(models)):
            model = models[index]
            if not matches(model):
                continue
            if len(page) >= page_size:
                more = True
                break
            item = _listing_item(model, expand, full, card, config)
            if kind != "models":
                item.pop("modelId", None)
            page.append(item)
            last_index = index

        headers: dict[str, str] = {}
        if loop_url is not None:
            headers["Link"] = f'<{loop_url}>; rel="next"'
        elif more:
            params = [(k, v) for k, v in query if k != "cursor"]
            if sort is None:
                params.append(("sort", key))
            params.append(("cursor", _encode_cursor(key, values[last_index], ids[last_index])))
            headers["Link"] = f'<http://{host}/api/{kind}?{urlencode(params)}>; rel="next"'
        return _Reply(200, page, headers=headers)

    def _model_info(self, world: _World, rest: str, query: list[tuple[str, str]], raw_query: str) -> _Reply:
        parts = rest.split("/")
        if len(parts) in (1, 2) and all(parts):
            repo_id = rest
        elif len(parts) >= 4 and parts[2] == "revision" and parts[0] and parts[1]:
            repo_id = f"{parts[0]}/{parts[1]}"  # the revision itself is ignored
        else:
            return _not_found()
        expand = _expand_values(query)
        for name in expand:
            if name not in DETAIL_EXPAND:
                raise _BadRequest(f"Invalid expand parameter {name!r}")
        new_id = world.renames.get(repo_id)
        if new_id is not None:
            location = "/api/models/" + quote(new_id + rest[len(repo_id) :], safe="/")
            if raw_query:
                location += "?" + raw_query
            return _Reply(
                307,
                text=f"Temporary Redirect. Redirecting to {location}",
                content_type=TEXT_CT,
                headers={"Location": location},
            )
        model = world.by_id.get(repo_id)
        if model is None:
            return _error(
                404,
                "Repository not found",
                {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
            )
        return _Reply(200, _detail_item(world, model, expand))

    def _org_overview(self, world: _World, org: str) -> _Reply:
        stored = world.orgs.get(org)
        count = world.author_counts.get(org, 0)
        others = {k: w.author_counts.get(org, 0) for k, w in world.kinds.items()}
        if org not in world.orgs and count == 0:
            return _error(404, "Organization not found")
        payload: dict[str, Any] = {
            "_id": _fake_object_id(org),
            "name": org,
            "fullname": org,
            "avatarUrl": AVATAR_URL,
            "isVerified": True,
            "numUsers": 10,
            "numModels": count,
            "numDatasets": others.get("datasets", 0),
            "numSpaces": others.get("spaces", 0),
            "numFollowers": 0,
            "numPapers": 0,
        }
        if isinstance(stored, dict):
            payload.update(stored)
        return _Reply(200, payload)


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakehub", description=__doc__.split("\n")[0])
    parser.add_argument("world", help="world JSON file ({'orgs','models','renames'} or a list of models)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before each answer")
    parser.add_argument("--page-size", type=int, default=1000, help="listing page size (default 1000)")
    parser.add_argument("--quota", type=int, default=100_000, help="requests per rate-limit window")
    parser.add_argument("--window", type=float, default=300.0, help="rate-limit window in seconds")
    args = parser.parse_args(argv)

    with open(args.world, encoding="utf-8") as fh:
        world = json.load(fh)
    if isinstance(world, list):
        world = {"models": world}
    hub = FakeHub(world, page_size=args.page_size, quota=args.quota, window=args.window, latency=args.latency)
    hub.start(port=args.port)
    print(hub.url, flush=True)
    print(f"fakehub: serving {len(hub._world.models)} models; Ctrl-C to stop", file=sys.stderr, flush=True)

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
