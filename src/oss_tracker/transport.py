"""The HTTP layer under huggingface_hub: pacing, retries, request counting, recording.

huggingface_hub retries only listings, with fixed waits of up to 23 s; `model_info` and
the org overview are not retried at all. Doing it here, below the client, gives every
call the same policy, waits that tests can shrink, and one place that sees the Hub's
`RateLimit` headers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit

import httpx2
from huggingface_hub.utils import parse_ratelimit_headers

log = logging.getLogger("oss_tracker")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
# huggingface_hub asks for this telemetry list through the same session; it is not our
# data and should not spend the user's quota, so it is answered here.
LOCAL_404_PATHS = frozenset({"/api/agent-harnesses"})


class HubUnavailable(Exception):
    """The Hub kept failing for one request after every retry."""


class CursorLoop(Exception):
    """A listing's next-page link pointed at a page already fetched."""


class OffEndpoint(Exception):
    """A request for a host other than the configured endpoint."""


class Interrupted(Exception):
    """The run was cancelled (SIGINT/SIGTERM): no more requests, no more waiting."""


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
    ) -> None:
        self.inner = inner
        # huggingface_hub sends listings and model_info with `timeout=None` (no timeout at
        # all), which overrides the client's default: a stalled connection would hang the run.
        self.timeout = timeout
        self.host = urlsplit(endpoint).netloc
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
        if request.url.netloc.decode() != self.host:
            raise OffEndpoint(f"refusing a request to {request.url.host}: not the configured Hub endpoint")
        self._check_cursor(request)
        self._default_timeout(request)
        policy = self.policy
        for attempt in range(policy.retries + 1):
            self._check_cancelled()
            self._pace()
            with self._lock:
                self.requests += 1
            try:
                response = self.inner.handle_request(request)
                raw = b"".join(response.iter_raw())
                response.close()
            except RETRY_ERRORS as err:
                problem, wait = _describe(err), policy.backoff(attempt)
            else:
                self._note_ratelimit(response)
                if response.status_code not in RETRY_STATUSES:
                    self._check_next(request, response)
                    out = httpx2.Response(
                        response.status_code,
                        headers=response.headers,
                        stream=httpx2.ByteStream(raw),
                        request=request,
                        extensions=response.extensions,
                    )
                    if self.recorder is not None:
                        out.read()
                        self.recorder.save(request, out)
                    return out
                problem = f"HTTP {response.status_code}"
                wait = _server_wait(response) or policy.backoff(attempt)
            if attempt == policy.retries:
                break
            wait = min(wait, policy.max_wait)
            log.info("%s from the Hub for %s; retrying in %.1f s", problem, _short(request), wait)
            self._sleep(wait)
        raise HubUnavailable(f"{problem} for {_short(request)} after {policy.retries + 1} attempts")

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
        """Stop the run: every later request, and any wait in progress, ends with Interrupted."""
        self._cancelled.set()

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


def _describe(err: Exception) -> str:
    if isinstance(err, httpx2.TimeoutException):
        return "timeout"
    if isinstance(err, httpx2.RemoteProtocolError):
        return "connection closed mid-response"
    return f"network error ({type(err).__name__})"


def _short(request: httpx2.Request) -> str:
    """Method and path of a request, without the (long, opaque) query string."""
    return f"{request.method} {request.url.path}"
