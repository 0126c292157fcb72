"""Hostile Hub answers at the HTTP level (issue 11): gzip bombs and huge bodies (13), slow-loris
and stalled answers against `--timeout` and SIGTERM (14), endpoints written differently (20).

Memory and signals are measured on a real `python -m oss_tracker sync` child process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from oss_tracker.hub.transport import HubTransport, OffEndpoint, RetryPolicy
from tests.conftest import dump, hub_fixtures, model, rows, run, sync_argv, world
from tests.dbstate import content, without
from tests.fakehub import FakeHub

NOW = "2025-11-24T06:00:00Z"
LATER = "2025-11-25T06:00:00Z"
ROOT = Path(__file__).resolve().parent.parent


def two_orgs() -> dict:
    models = [
        model(f"Big/m-{i:02d}", created_at=f"2025-{1 + i % 12:02d}-01T00:00:00.000Z") for i in range(12)
    ]
    return world(*models, model("Small/a"), model("Small/b", downloads=7), followers={"Big": 5, "Small": 6})


# Five models a page: Big is 3 pages, Small one.
shared_hub, hub = hub_fixtures(two_orgs(), page_size=5)


def alone(hub: FakeHub, tmp_path: Path, org: str) -> dict:
    """The database a fault-free sync of `org` alone gives."""
    db = tmp_path / f"{org}-alone.db"
    assert run(*sync_argv(hub, db, org, now=NOW)).exit_code == 0
    hub.requests.clear()
    return content(db)


def child(
    hub: FakeHub, db: Path, now: str, *extra: str, orgs: tuple[str, ...] = ("Big", "Small")
) -> subprocess.Popen:
    """`python -m oss_tracker sync` as a child process; its output goes to files beside the db."""
    argv = sync_argv(hub, db, *orgs, now=now, extra=extra)
    return subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=open(db.with_suffix(".out"), "w"),  # noqa: SIM115 - closed with the process
        stderr=open(db.with_suffix(".err"), "w"),  # noqa: SIM115
        env={**os.environ, "OSS_TRACKER_RETRY_WAIT": "0", "OSS_TRACKER_MAX_WAIT": "0"},
    )


def reap(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, int, str]:
    """Wait for the child: (exit code, peak resident memory in MiB, stderr)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise AssertionError("the sync did not end")
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = Path(proc.args[proc.args.index("--db") + 1]).with_suffix(".err").read_text()
    return proc.returncode, usage.ru_maxrss // 1024, err


# -- 13: answers too big once decoded ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "opts"),
    [("gzip", {"bomb": 512 * 2**20}), ("huge", {"size": 256 * 2**20})],
    ids=["gzip-bomb-of-512-MiB-in-0.5-MB", "a-256-MiB-body"],
)
def test_an_answer_too_big_once_decoded_fails_its_org_in_bounded_memory(
    hub: FakeHub, tmp_path: Path, kind: str, opts: dict
) -> None:
    """Decoded by the client after the transport had joined the compressed bytes, a 1 MB bomb took
    2.1 GB. Now the transport decodes as it reads and refuses past MAX_BODY (16 MiB)."""
    small_only = alone(hub, tmp_path, "Small")
    clean = tmp_path / "clean.db"
    code, clean_peak, err = reap(child(hub, clean, NOW))
    assert code == 0, err

    hub.requests.clear()
    hub.add_fault(kind, match="author=Big", times=99, **opts)
    db = tmp_path / "t.db"
    code, peak, err = reap(child(hub, db, NOW))
    assert code == 3, err
    reason = "Big: the Hub's answer to GET /api/models is larger than 16 MiB once decoded: refused"
    assert err.endswith(f" — {reason}\n"), err
    assert "Traceback" not in err
    assert rows(db, "SELECT status, message FROM runs") == [("partial", reason)]
    assert without(content(db), "runs") == without(small_only, "runs")
    assert sum(1 for r in hub.requests if ("author", "Big") in r["query"]) == 1  # refused, not retried
    # The limit and one decoding step, not the answer: 512 MiB decoded would show here.
    assert peak - clean_peak < 100, (peak, clean_peak)


def _tiny_items(size: int):
    """A `mutate` fault: the page replaced by `[{},{},...]` of about `size` bytes (valid JSON)."""
    body = b"[" + b"{}," * (size // 3) + b"{}]"
    return lambda page: body


def test_an_answer_of_countless_tiny_values_is_refused_in_bounded_memory(
    hub: FakeHub, tmp_path: Path
) -> None:
    """Review of issue 11, finding 3: bytes alone do not bound what json.loads builds. 15 MiB of
    `{},` (under the 16 MiB cap) is 5.2 million objects: ~400 MiB once parsed (60 MiB, under the
    old 64 MiB cap, took 1.6 GB). Now an answer of more than MAX_VALUES (1,000,000) values is
    refused before it is parsed: Big fails with one line, Small is stored as alone, and the
    child's peak memory stays within 100 MiB of a clean run's."""
    small_only = alone(hub, tmp_path, "Small")
    clean = tmp_path / "clean.db"
    code, clean_peak, err = reap(child(hub, clean, NOW))
    assert code == 0, err

    hub.requests.clear()
    hub.add_fault("mutate", match="author=Big", times=99, fn=_tiny_items(15 * 2**20))
    db = tmp_path / "t.db"
    code, peak, err = reap(child(hub, db, NOW))
    assert code == 3, err
    reason = "Big: the Hub's answer to GET /api/models holds more than 1,000,000 JSON values: refused"
    assert err.endswith(f" — {reason}\n"), err
    assert rows(db, "SELECT status, message FROM runs") == [("partial", reason)]
    assert without(content(db), "runs") == without(small_only, "runs")
    assert sum(1 for r in hub.requests if ("author", "Big") in r["query"]) == 1  # refused, not retried
    assert peak - clean_peak < 100, (peak, clean_peak)


def test_a_gzip_answer_within_the_limit_is_decoded_as_before(hub: FakeHub, tmp_path: Path) -> None:
    expected = alone(hub, tmp_path, "Small")
    hub.add_fault("gzip", match="author=Small", times=1, bomb=3 * 2**20)  # the page, then 3 MiB of spaces
    db = tmp_path / "t.db"
    result = run(*sync_argv(hub, db, "Small", now=NOW))
    assert result.exit_code == 0, result.stderr
    assert content(db) == expected


# -- 14: --timeout bounds a whole request; SIGTERM cuts a read in progress ----------------------


def test_a_slow_loris_answer_ends_at_the_timeout_and_is_retried_as_one(hub: FakeHub, tmp_path: Path) -> None:
    """One byte every 0.2 s keeps every read within `--timeout 2`: the request lived as long as
    the server liked (here the fault gives up after 20 s; the Hub need not)."""
    small_only = alone(hub, tmp_path, "Small")
    hub.add_fault("trickle", match="author=Big", times=99, interval=0.2, for_seconds=20)
    db = tmp_path / "t.db"
    started = time.monotonic()
    result = run(*sync_argv(hub, db, "Big", "Small", now=NOW, extra=("--timeout", "2", "--retries", "1")))
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.stderr
    reason = "Big: timeout for GET /api/models after 2 attempts"
    assert rows(db, "SELECT status, message FROM runs") == [("partial", reason)]
    assert without(content(db), "runs") == without(small_only, "runs")
    assert 4 <= elapsed < 8, elapsed  # two attempts of 2 s each


def test_headers_trickled_byte_by_byte_end_at_the_timeout_too(hub: FakeHub, tmp_path: Path) -> None:
    small_only = alone(hub, tmp_path, "Small")
    hub.add_fault("trickle", match="author=Big", times=99, interval=0.2, head=True, for_seconds=20)
    db = tmp_path / "t.db"
    started = time.monotonic()
    result = run(*sync_argv(hub, db, "Big", "Small", now=NOW, extra=("--timeout", "2", "--retries", "0")))
    assert time.monotonic() - started < 5
    assert result.exit_code == 3, result.stderr
    assert rows(db, "SELECT message FROM runs") == [("Big: timeout for GET /api/models after 1 attempts",)]
    assert without(content(db), "runs") == without(small_only, "runs")


@pytest.mark.parametrize(
    ("kind", "opts"),
    [
        ("delay", {"seconds": 60}),  # nothing at all for a minute: a read blocked in recv()
        ("trickle", {"interval": 1.0, "head": True, "for_seconds": 60}),  # slow-loris, headers included
    ],
    ids=["stalled", "slow-loris"],
)
def test_sigterm_stops_a_sync_stuck_in_a_slow_read_within_seconds(
    hub: FakeHub, tmp_path: Path, kind: str, opts: dict
) -> None:
    """The transport's cancel only stopped the *next* request: a fetch thread stuck in a read
    kept the process alive (the thread pool waits for it) until the server let go."""
    db = tmp_path / "t.db"
    assert run(*sync_argv(hub, db, "Big", "Small", now=NOW)).exit_code == 0
    before = dump(db)
    hub.requests.clear()
    hub.add_fault(kind, match="author=Big", times=99, **opts)
    proc = child(hub, db, LATER, "--timeout", "120")
    try:
        deadline = time.monotonic() + 20
        while hub._faults and hub._faults[0].times == 99:  # the fake Hub logs a request once answered
            assert time.monotonic() < deadline and proc.poll() is None, "the sync never asked for Big"
            time.sleep(0.02)
        time.sleep(0.5)  # inside the slow read
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        code, _, err = reap(proc, timeout=90)
        stopped = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
        hub.clear_faults()
    assert code == 1, err
    assert err == "oss-tracker: error: interrupted by SIGTERM: nothing from this run was stored\n"
    assert stopped < 5, stopped
    assert dump(db) == before


# -- 20: the endpoint written another way --------------------------------------------------------


def test_origins_compare_as_a_browser_compares_them() -> None:
    from oss_tracker.hub.transport import origin, public_endpoint

    assert origin("HTTPS://User:Secret@Hub-Mirror.EXAMPLE:443/base/") == ("https", "hub-mirror.example", 443)
    assert origin("http://hub-mirror.example") == ("http", "hub-mirror.example", 80)
    assert origin("http://[::1]:8080") == ("http", "::1", 8080)
    assert (
        public_endpoint("HTTPS://User:Secret@Hub-Mirror.EXAMPLE:443/base/")
        == "https://hub-mirror.example/base"
    )
    assert public_endpoint("http://u:p@127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert public_endpoint("http://[::1]:80") == "http://[::1]"


def test_the_off_endpoint_check_compares_normalised_origins() -> None:
    """The transport compared `netloc` strings: `HUB-MIRROR.example:443` against the `hub-mirror.example`
    the client sends to, so every request was refused."""
    sent: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(str(request.url.copy_with(username=None, password=None)))
        return httpx2.Response(200, stream=httpx2.ByteStream(b"[]"))

    transport = HubTransport(
        httpx2.MockTransport(answer),
        endpoint="HTTPS://user:secret@HUB-MIRROR.example:443",
        policy=RetryPolicy(retries=0),
    )
    with httpx2.Client(transport=transport) as client:
        for url in (
            "https://hub-mirror.example/api/models",
            "https://Hub-Mirror.example:443/api/x",
            "https://u:p@hub-mirror.example/a",
        ):
            assert client.get(url).status_code == 200
        for url in (
            "http://hub-mirror.example/api/models",
            "https://hub-mirror.example:8443/a",
            "https://evil.com/a",
        ):
            with pytest.raises(OffEndpoint):
                client.get(url)
    assert sent == [
        "https://hub-mirror.example/api/models",
        "https://hub-mirror.example/api/x",
        "https://hub-mirror.example/a",
    ]


@pytest.mark.parametrize(
    ("endpoint", "stored"),
    [
        ("http://LOCALHOST:{port}", "http://localhost:{port}"),
        ("HTTP://127.0.0.1:{port}/", "http://127.0.0.1:{port}"),
        ("http://someone:pass-word@127.0.0.1:{port}", "http://127.0.0.1:{port}"),
        ("http://someone:pass-word@LocalHost:{port}", "http://localhost:{port}"),
    ],
    ids=["uppercase-host", "uppercase-scheme-and-slash", "user-password", "user-password-uppercase"],
)
def test_an_endpoint_written_another_way_syncs_and_keeps_its_password_to_itself(
    hub: FakeHub, tmp_path: Path, endpoint: str, stored: str
) -> None:
    port = hub.url.rsplit(":", 1)[1]
    endpoint, stored = endpoint.format(port=port), stored.format(port=port)
    db, rec = tmp_path / "t.db", tmp_path / "rec"
    argv = ["-v", "sync", "--db", str(db), "--org", "Big", "--org", "Small", "--now", NOW]
    result = run(*argv, "--derivatives", "all", "--record", str(rec), env={"HF_ENDPOINT": endpoint})
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT endpoint, status FROM runs") == [(stored, "ok")]
    assert rows(db, "SELECT count(*) FROM model_snapshots") == [(14,)]
    assert b"pass-word" not in db.read_bytes()
    assert "pass-word" not in result.stdout + result.stderr
    for f in rec.iterdir():
        assert "pass-word" not in f.read_text()
    # The recording replays (its links are relative to the endpoint, whatever its spelling).
    replayed = tmp_path / "replayed.db"
    assert run("sync", "--db", str(replayed), "--replay", str(rec)).exit_code == 0


def test_an_endpoints_password_goes_as_a_header_never_into_a_url(hub: FakeHub, tmp_path: Path) -> None:
    """Review of issue 11, finding 4: HfApi was built with the raw endpoint, so every request URL
    held `someone:pass-word@`, and a `--debug` traceback (an error quoting the URL) printed it.
    Now HfApi gets the public endpoint and the transport sends the credentials as HTTP Basic,
    as the URL's userinfo was sent before."""
    port = hub.url.rsplit(":", 1)[1]
    hub.add_fault("status", match="author=Big", times=1, status=403)  # not retried: quoted with a traceback
    db = tmp_path / "t.db"
    argv = ["--debug", "sync", "--db", str(db), "--org", "Big", "--org", "Small", "--now", NOW]
    result = run(*argv, "--endpoint", f"http://someone:pass-word@127.0.0.1:{port}", "--derivatives", "none")
    assert result.exit_code == 3, result.stderr
    assert "Traceback" in result.stderr and "403" in result.stderr  # the error, with its traceback
    assert "pass-word" not in result.stdout + result.stderr
    assert rows(db, "SELECT message FROM runs") == [("Big: the Hub answered HTTP 403 for /api/models",)]
    basic = "Basic c29tZW9uZTpwYXNzLXdvcmQ="  # base64 of someone:pass-word
    assert {r["authorization"] for r in hub.requests} == {basic}


def test_the_guarded_network_backend_is_in_place(caplog: pytest.LogCaptureFixture) -> None:
    """Review of issue 11, finding 9: the whole-request deadline and the cut-on-cancel rely on
    httpx2's private `_pool._network_backend`. With this httpx2 it is found; if a release moves
    it, the fallback says so once, as a warning (it used to be silent)."""
    from oss_tracker.hub import transport

    real, backend = transport.http_transport()
    assert isinstance(backend, transport.GuardedBackend)
    assert real._pool._network_backend is backend
    real.close()

    class Moved(httpx2.HTTPTransport):
        def __init__(self) -> None:
            super().__init__()
            self._pool = object()  # no _network_backend

    transport._fallback_warned.clear()
    original = transport.httpx2.HTTPTransport
    transport.httpx2.HTTPTransport = Moved  # type: ignore[misc]
    try:
        with caplog.at_level("WARNING", logger="oss_tracker"):
            assert transport.http_transport()[1] is None
            assert transport.http_transport()[1] is None
    finally:
        transport.httpx2.HTTPTransport = original  # type: ignore[misc]
    assert [r.getMessage() for r in caplog.records] == [
        "httpx2's connection pool has changed (no _pool._network_backend): --timeout is checked "
        "between reads only, and a stop waits for a read in progress"
    ]


def test_an_endpoint_with_its_default_port_written_out(tmp_path: Path) -> None:
    try:
        hub = FakeHub(two_orgs()).start(port=80)
    except OSError:
        pytest.skip("port 80 is not free (or not ours to bind)")
    try:
        db = tmp_path / "t.db"
        result = run(
            "sync", "--db", str(db), "--endpoint", "http://LOCALHOST:80/", "--org", "Small", "--now", NOW
        )
    finally:
        hub.stop()
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT endpoint, status FROM runs") == [("http://localhost", "ok")]


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_an_encoding_not_asked_for_is_refused(encoding: str) -> None:
    """Only gzip and deflate can be decoded step by step: anything else could inflate unbounded."""
    from oss_tracker.hub.transport import AnswerRefused

    asked: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        asked.append(request.headers["Accept-Encoding"])
        return httpx2.Response(200, headers={"Content-Encoding": encoding}, stream=httpx2.ByteStream(b"xx"))

    transport = HubTransport(
        httpx2.MockTransport(answer), endpoint="https://hub.test", policy=RetryPolicy(retries=3)
    )
    with (
        httpx2.Client(transport=transport) as client,
        pytest.raises(AnswerRefused, match="an encoding not asked for"),
    ):
        client.get("https://hub.test/api/models")
    assert asked == ["gzip, deflate"]  # asked once, not retried
