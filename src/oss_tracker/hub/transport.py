"""The HTTP layer under huggingface_hub: pacing, retries, request counting, recording.

huggingface_hub retries only listings, with fixed waits of up to 23 s; `model_info` and
the org overview are not retried at all. Doing it here, below the client, gives every
call the same policy, waits that tests can shrink, and one place that sees the Hub's
`RateLimit` headers.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpcore2
import httpx2
from huggingface_hub.utils import parse_ratelimit_headers

log = logging.getLogger("oss_tracker")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
# No connection made at all: when every attempt ends so, the endpoint is unreachable.
CONNECT_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout)
# huggingface_hub asks for this telemetry list through the same session; it is not our
# data and should not spend the user's quota, so it is answered here.
LOCAL_404_PATHS = frozenset({"/api/agent-harnesses"})
# The most one answer may hold once decoded: 20 times the largest page seen (a 1,000-item listing
# page with every field the tracker asks for is 0.8 MB, a Qwen page in fixtures/replay). Past this
# an answer is refused, not retried: a gzip "bomb" of 1 MB decoded to 2.1 GB in memory before
# there was a limit.
MAX_BODY = 16 * 1024 * 1024
# The most JSON values (counted as `,`, `{` and `[`, those inside strings too) one answer may hold.
# Bytes alone do not bound what json.loads builds: 16 MiB of `{},{},...` is 5.6 million objects,
# over 400 MiB in memory, while every value costs at most ~72 bytes, so this caps an answer at
# ~70 MiB of objects. Real answers hold one value per ~21 bytes (a Qwen page: 36,605 in 0.8 MB),
# so a real answer meets MAX_BODY long before this.
MAX_VALUES = 1_000_000
DECODE_STEP = 256 * 1024  # decoded bytes produced per step: a bomb never inflates in one go
# What we can decode step by step (the client would add br/zstd if installed, decoded whole).
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_PORTS = {"http": 80, "https": 443}


class HubUnavailable(Exception):
    """The Hub kept failing for one request after every retry."""


class HubUnreachable(HubUnavailable):
    """No connection to the endpoint at all: its name does not resolve (not retried), or every
    attempt to connect failed. The message names the endpoint and the cause, not a request."""


class CursorLoop(Exception):
    """A listing's next-page link pointed at a page already fetched."""


class OffEndpoint(Exception):
    """A request for a host other than the configured endpoint."""


class Interrupted(Exception):
    """The run was cancelled (SIGINT/SIGTERM): no more requests, no more waiting."""


class AnswerRefused(Exception):
    """An answer too big once decoded, or in an encoding the tracker did not ask for: not retried."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL as a browser compares them: case-insensitive scheme and
    host, the scheme's default port made explicit, user:password@ ignored."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


def public_endpoint(url: str) -> str:
    """The endpoint as it may be shown and stored: normalised, without `user:password@` (a secret)."""
    scheme, host, port = origin(url)
    path = urlsplit(url).path.rstrip("/")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    shown_port = "" if port is None or port == DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{host}{shown_port}{path}"


# The deadline of the request the current thread is sending (the transport sets it, the
# network streams below read it): `--timeout` bounds a whole request, not each read.
_request = threading.local()


def _left(timeout: float | None) -> float | None:
    """A socket operation's timeout: its own, cut to what is left of the request's deadline."""
    deadline = getattr(_request, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore2.ReadTimeout("the request took longer than its timeout")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore2.NetworkStream):
    """A connection whose reads and writes end at the request's deadline, and that a cancel
    can cut (a read blocked on a stalled server returns at once)."""

    def __init__(self, stream: httpcore2.NetworkStream, backend: GuardedBackend) -> None:
        self._stream = stream
        self._backend = backend
        backend.streams.add(self)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._backend.check()
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._backend.check()
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._backend.streams.discard(self)
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        self._backend.streams.discard(self)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout)), self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

    def abort(self) -> None:
        sock = self._stream.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # close() alone does not wake a blocked recv()


class GuardedBackend(httpcore2.NetworkBackend):
    """httpcore's own network backend, its streams wrapped in _Stream."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self.inner = inner
        self.streams: weakref.WeakSet[_Stream] = weakref.WeakSet()
        self.cancelled = threading.Event()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise httpcore2.ReadError("the run was interrupted")

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        self.check()
        return _Stream(
            self.inner.connect_tcp(host, port, _left(timeout), local_address, socket_options), self
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        self.check()
        return _Stream(self.inner.connect_unix_socket(path, _left(timeout), socket_options), self)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)

    def cancel(self) -> None:
        """Every later read fails, and every connection open now is cut."""
        self.cancelled.set()
        for stream in list(self.streams):
            stream.abort()


_fallback_warned = threading.Event()


def http_transport() -> tuple[httpx2.HTTPTransport, GuardedBackend | None]:
    """The real HTTP transport, its connections guarded (None if httpcore's layout has changed:
    a deadline is then checked between reads only, and a cancel waits for the read in progress;
    said once, as a warning, since the reliability guarantees then weaken)."""
    transport = httpx2.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, httpcore2.NetworkBackend):
        if not _fallback_warned.is_set():
            _fallback_warned.set()
            log.warning(
                "httpx2's connection pool has changed (no _pool._network_backend): --timeout is checked "
                "between reads only, and a stop waits for a read in progress"
            )
        return transport, None
    backend = GuardedBackend(inner)
    pool._network_backend = backend  # type: ignore[union-attr]
    return transport, backend


@dataclass
class RetryPolicy:
    """How often and how long to retry. `sleep` is swappable so tests never wait for real."""

    retries: int = 5
    base_wait: float = 1.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def backoff(self, attempt: int) -> float:
        return min(self.max_wait, self.base_wait * (2**attempt))


class Recorder(Protocol):
    def save(self, request: httpx2.Request, response: httpx2.Response) -> None: ...


@dataclass
class RateLimit:
    """The latest `RateLimit` state the Hub reported, with the local clock's reset time."""

    remaining: int | None = None
    quota: int | None = None
    reset_at: float | None = None


class HubTransport(httpx2.BaseTransport):
    """Wraps the real transport (or a replay) with the tracker's retry and pacing rules."""

    def __init__(
        self,
        inner: httpx2.BaseTransport,
        *,
        endpoint: str,
        policy: RetryPolicy | None = None,
        reserve: int = 20,
        reserve_share: float = 0.1,
        pace: bool = True,
        recorder: Recorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float | None = 60.0,
        backend: GuardedBackend | None = None,
        max_body: int = MAX_BODY,
        max_values: int = MAX_VALUES,
    ) -> None:
        self.inner = inner
        # huggingface_hub sends listings and model_info with `timeout=None` (no timeout at
        # all), which overrides the client's default: a stalled connection would hang the run.
        # It is also the deadline of a whole request (connect, send, every read).
        self.timeout = timeout
        self.origin = origin(endpoint)
        self.shown = public_endpoint(endpoint)  # what an error may name: never a user:password@
        # An endpoint's `user:password@` goes to the server as HTTP Basic credentials (as a client
        # would send it from the URL), never inside a request URL, where a traceback would show it.
        self.authorization = _basic(endpoint)
        self.backend = backend
        self.max_body = max_body
        self.max_values = max_values
        # Told before each retry wait (a line for the progress display) and with None once a
        # retried request gets through.
        self.on_retry: Callable[[str | None], None] | None = None
        self._unresolved: str | None = None  # set once the endpoint's name fails to resolve
        self.policy = policy or RetryPolicy()
        self.min_reserve = reserve
        self.pace = pace
        self.reserve_share = reserve_share
        self.recorder = recorder
        self.clock = clock
        self.requests = 0
        self.ratelimit = RateLimit()
        self._lock = threading.Lock()
        self._seen_cursors: set[str] = set()
        self._linked_pages: set[str] = set()  # listing pages fetched that had a next link
        self._cancelled = threading.Event()
        self._content_origins: set[tuple[str, str, int | None]] = set()

    def allow_content_host(self, url: str) -> None:
        """Let requests reach the host a `resolve` request of the endpoint redirected to (the Hub
        serves files from a content host): hub/archive.py calls this with the redirect's target, and
        sends no token there. Only https, or the endpoint's own scheme (a local test Hub)."""
        target = origin(url)
        if target[0] == "https" or target[0] == self.origin[0]:
            with self._lock:
                self._content_origins.add(target)

    # -- pacing ---------------------------------------------------------------------
    def _note_ratelimit(self, response: httpx2.Response) -> None:
        info = parse_ratelimit_headers(response.headers)
        if info is None:
            return
        reset_at = self.clock() + info.reset_in_seconds
        with self._lock:
            old = self.ratelimit
            same_window = old.reset_at is not None and reset_at <= old.reset_at + 2
            if same_window and old.remaining is not None and old.remaining < info.remaining:
                # Answers to concurrent requests arrive out of order: within one window
                # the lowest count seen (or our own estimate below it) is the true one.
                return
            self.ratelimit = RateLimit(
                remaining=info.remaining,
                quota=info.limit,
                reset_at=reset_at,
            )

    def _pace(self) -> None:
        """Before a request: if the quota is down to the reserve, wait for the window to reset."""
        if not self.pace:
            return
        with self._lock:
            rl = self.ratelimit
            wait = 0.0
            if rl.remaining is not None and rl.reset_at is not None:
                if rl.remaining <= self._reserve(rl):
                    wait = max(0.0, rl.reset_at - self.clock())
                    # A new window starts with the full quota; until a response says so, assume it.
                    self.ratelimit = RateLimit(rl.quota, rl.quota, None)
                else:
                    rl.remaining -= 1
        if wait > 0:
            wait = min(wait + 1, self.policy.max_wait)
            log.info("quota down to its reserve: waiting %.0f s for the rate-limit window to reset", wait)
            self._sleep(wait)

    def budget(self) -> int | None:
        """Requests this run may still make without eating into the reserve (None: not known yet)."""
        with self._lock:
            rl = self.ratelimit
            if rl.remaining is None:
                return None
            return max(0, rl.remaining - self._reserve(rl))

    def _reserve(self, rl: RateLimit) -> int:
        """Calls kept back for the user's other tools: a share of the quota, at least `reserve`."""
        return max(self.min_reserve, int((rl.quota or 0) * self.reserve_share))

    # -- requests -------------------------------------------------------------------
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path in LOCAL_404_PATHS:
            return httpx2.Response(404, request=request)
        url = request.url
        target = (url.scheme.lower(), url.host.lower(), url.port or DEFAULT_PORTS.get(url.scheme))
        if target != self.origin and target not in self._content_origins:
            raise OffEndpoint(f"refusing a request to {url.host}: not the configured Hub endpoint")
        if self._unresolved is not None:
            raise HubUnreachable(self._unresolved)  # looked up once: every later request fails alike
        self._check_cursor(request)
        self._default_timeout(request)
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        # The endpoint's own credentials go to the endpoint only: a content host it redirected to
        # (hub/archive.py) is another origin, which gets no Authorization at all.
        if self.authorization is not None and target == self.origin:
            request.headers["Authorization"] = self.authorization
        policy = self.policy
        for attempt in range(policy.retries + 1):
            connect_failed: Exception | None = None  # this attempt made no connection at all
            self._check_cancelled()
            self._pace()
            with self._lock:
                self.requests += 1
            _request.deadline = None if self.timeout is None else time.monotonic() + self.timeout
            try:
                response = self.inner.handle_request(request)
                try:
                    body = self._read(response, request)
                finally:
                    response.close()
            except RETRY_ERRORS as err:
                self._check_cancelled()  # a cancel cuts connections: that is no network error
                if _unresolvable(err):
                    # Not retried: a name that does not resolve now will not in a few seconds
                    # (offline, a typo in the endpoint), and every org would wait through it.
                    self._unresolved = f"cannot reach {self.shown}: name resolution failed"
                    raise HubUnreachable(self._unresolved) from None
                if isinstance(err, CONNECT_ERRORS):
                    connect_failed = err
                problem, wait = _describe(err), policy.backoff(attempt)
            else:
                self._note_ratelimit(response)
                if response.status_code not in RETRY_STATUSES:
                    self._check_next(request, response)
                    # A HEAD's Content-Length is the size of what a GET would send (hub/archive.py reads it).
                    head = request.method == "HEAD"
                    headers = [
                        (k, v)
                        for k, v in response.headers.raw
                        if k.lower() not in (b"content-encoding", b"transfer-encoding")
                        and (head or k.lower() != b"content-length")
                    ]
                    length = [] if head else [(b"Content-Length", str(len(body)).encode())]
                    out = httpx2.Response(
                        response.status_code,
                        headers=[*headers, *length],
                        stream=httpx2.ByteStream(body),
                        request=request,
                        extensions=response.extensions,
                    )
                    if self.recorder is not None:
                        out.read()
                        self.recorder.save(request, out)
                    if attempt and self.on_retry is not None:
                        self.on_retry(None)
                    return out
                problem = f"HTTP {response.status_code}"
                wait = _server_wait(response) or policy.backoff(attempt)
            finally:
                _request.deadline = None
            if attempt == policy.retries:
                break
            wait = min(wait, policy.max_wait)
            log.info("%s from the Hub for %s; retrying in %.1f s", problem, _short(request), wait)
            if self.on_retry is not None:
                self.on_retry(
                    f"{problem} from the Hub for {_short(request)}: retrying in {wait:.0f} s "
                    f"(attempt {attempt + 2} of {policy.retries + 1})"
                )
            self._sleep(wait)
        if connect_failed is not None:
            raise HubUnreachable(
                f"cannot reach {self.shown}: {_cause(connect_failed)} (after {policy.retries + 1} attempts)"
            )
        raise HubUnavailable(f"{problem} for {_short(request)} after {policy.retries + 1} attempts")

    def _read(self, response: httpx2.Response, request: httpx2.Request) -> bytes:
        """The answer's body, decoded here (not later by the client) so that its decoded size
        is bounded as it comes; the request's deadline and a cancel are checked between chunks."""
        inflate = _decoder(response.headers.get("content-encoding", ""), request)
        deadline = getattr(_request, "deadline", None)
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            self._check_cancelled()
            if deadline is not None and time.monotonic() > deadline:
                raise httpx2.ReadTimeout("the request took longer than its timeout", request=request)
            for piece in inflate(raw):
                size += len(piece)
                if size > self.max_body:
                    raise AnswerRefused(
                        f"the Hub's answer to {_short(request)} is larger than {self.max_body // 2**20} MiB "
                        "once decoded: refused"
                    )
                chunks.append(piece)
        body = b"".join(chunks)
        # At least one byte a value: a shorter answer cannot hold too many (the common case, uncounted).
        # A range read (hub/archive.py: a Parquet file's bytes) is never parsed as JSON: its bytes
        # are bounded by MAX_BODY alone, whatever they hold.
        ranged = "range" in request.headers
        if not ranged and size > self.max_values and _values(body) > self.max_values:
            raise AnswerRefused(
                f"the Hub's answer to {_short(request)} holds more than {self.max_values:,} JSON values: refused"
            )
        return body

    def _check_cursor(self, request: httpx2.Request) -> None:
        if b"cursor=" not in request.url.query:
            return
        key = str(request.url)
        with self._lock:
            if key in self._seen_cursors:
                raise CursorLoop(
                    f"the Hub's next-page link repeats a page already fetched ({_short(request)})"
                )
            self._seen_cursors.add(key)

    def _default_timeout(self, request: httpx2.Request) -> None:
        """Give a request sent with no timeout at all the transport's own."""
        given = request.extensions.get("timeout") or {}
        if self.timeout is None or given.get("read") is not None:
            return
        t = self.timeout
        request.extensions["timeout"] = {"connect": min(15.0, t), "read": t, "write": t, "pool": t}

    def _check_next(self, request: httpx2.Request, response: httpx2.Response) -> None:
        """A next-page link back to a page already fetched (the first page too) is a loop."""
        url = response.links.get("next", {}).get("url")
        if not url:
            return
        target = str(request.url.join(url))
        with self._lock:
            self._linked_pages.add(str(request.url))
            if target in self._linked_pages:
                raise CursorLoop(
                    f"the Hub's next-page link repeats a page already fetched ({_short(request)})"
                )

    # -- cancelling -----------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the run: every later request, any wait in progress, and any read in progress
        (its connection is cut), end with Interrupted."""
        self._cancelled.set()
        if self.backend is not None:
            self.backend.cancel()

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise Interrupted("the run was interrupted")

    def _sleep(self, seconds: float) -> None:
        """Wait (a retry or the rate-limit window); a cancel cuts a real wait short."""
        if self.policy.sleep is time.sleep:
            self._cancelled.wait(seconds)
        else:
            self.policy.sleep(seconds)
        self._check_cancelled()

    def close(self) -> None:
        self.inner.close()


def _server_wait(response: httpx2.Response) -> float | None:
    """Seconds the Hub asks us to wait: the RateLimit reset when exhausted, else Retry-After."""
    if response.status_code == 429:
        info = parse_ratelimit_headers(response.headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds) + 1
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value) + 1
    except ValueError:
        try:
            delta = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
        return max(0.0, delta) + 1


def _decoder(header: str, request: httpx2.Request) -> Callable[[bytes], Iterator[bytes]]:
    """A step-by-step decoder for a Content-Encoding (only what ACCEPT_ENCODING asks for)."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip() and c.strip().lower() != "identity"]
    if not codings:
        return lambda data: iter((data,)) if data else iter(())
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise AnswerRefused(f"the Hub answered {_short(request)} in an encoding not asked for ({header})")
    wbits = 16 + zlib.MAX_WBITS if codings[0] != "deflate" else zlib.MAX_WBITS
    state = {"inflater": zlib.decompressobj(wbits), "first": True}

    def inflate(data: bytes) -> Iterator[bytes]:
        inflater = state["inflater"]
        try:
            while data and not inflater.eof:
                try:
                    piece = inflater.decompress(data, DECODE_STEP)
                except zlib.error:
                    if not (state["first"] and wbits == zlib.MAX_WBITS):
                        raise
                    # "deflate" sent as a raw deflate stream, without the zlib header (as httpx allows)
                    inflater = state["inflater"] = zlib.decompressobj(-zlib.MAX_WBITS)
                    piece = inflater.decompress(data, DECODE_STEP)
                state["first"] = False
                data = inflater.unconsumed_tail
                if piece:
                    yield piece
        except zlib.error as err:
            raise httpx2.DecodingError(f"the Hub's answer does not decode ({err})", request=request) from None

    return inflate


def _values(body: bytes) -> int:
    """JSON values in an answer, counted from above: every `,`, `{` and `[` (in strings too)."""
    return body.count(b",") + body.count(b"{") + body.count(b"[")


def _basic(endpoint: str) -> str | None:
    """The `Authorization` header an endpoint's `user:password@` stands for, if it has one."""
    parts = urlsplit(endpoint)
    if parts.username is None and parts.password is None:
        return None
    credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(credentials.encode()).decode("ascii")


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = err
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _unresolvable(err: BaseException) -> bool:
    """A connection that failed because the endpoint's host name does not resolve (getaddrinfo)."""
    return isinstance(err, httpx2.ConnectError) and any(isinstance(e, socket.gaierror) for e in _chain(err))


def _cause(err: BaseException) -> str:
    """Why a connection could not be made, in a few words: `connection refused`, `connection timed out`."""
    if isinstance(err, httpx2.ConnectTimeout):
        return "connection timed out"
    for e in _chain(err):
        if isinstance(e, ssl.SSLError):
            return f"TLS failed ({e.reason or e})"
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[0].lower() + e.strerror[1:]
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _describe(err: Exception) -> str:
    if isinstance(err, CONNECT_ERRORS):
        return f"no connection ({_cause(err)})"
    if isinstance(err, httpx2.TimeoutException):
        return "timeout"
    if isinstance(err, httpx2.RemoteProtocolError):
        return "connection closed mid-response"
    return f"network error ({type(err).__name__})"


def _short(request: httpx2.Request) -> str:
    """Method and path of a request, without the (long, opaque) query string."""
    return f"{request.method} {request.url.path}"
