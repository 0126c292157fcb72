"""Offline (issue 12, point 23): one line saying what cannot be reached and why, no retrying of a
name that does not resolve, retries shown on a terminal's progress line, and `watch add` offline
pointing at `--no-check`.

`http://nonexistent.invalid` never resolves (`.invalid` is reserved for that, RFC 2606): no
network is touched. A refused connection is a port on 127.0.0.1 that nobody listens on.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.conftest import hub_fixtures, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-11-24T06:00:00Z"
NOWHERE = "http://nonexistent.invalid"

shared_hub, hub = hub_fixtures(world(model("Alpha/a"), model("Beta/b")))


def sync_to(endpoint: str, db: Path, *extra: str) -> list[str]:
    return ["sync", "--db", str(db), "--endpoint", endpoint, "--org", "Alpha", "--org", "Beta",
            "--now", NOW, "--derivatives", "none", *extra]  # fmt: skip


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_name_that_does_not_resolve_is_said_once_and_not_retried(tmp_path: Path) -> None:
    """It printed one ~480-character line, the same network error per org without the endpoint
    or the cause, after 32 s of retrying the lookup 5 times per request. Now: one line, at once
    (a retry would wait 30 s here), and nothing stored."""
    db = tmp_path / "t.db"
    started = time.monotonic()
    result = run(*sync_to(NOWHERE, db, "--retry-wait", "30", "--max-wait", "30"))
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert result.stderr == (
        "oss-tracker: error: sync failed, nothing stored: cannot reach http://nonexistent.invalid: "
        "name resolution failed\n"
    )
    assert elapsed < 10, elapsed
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]


def test_a_refused_connection_is_retried_then_said_once(tmp_path: Path) -> None:
    """A refused (or timed-out) connection may be a restart of the server: it is still retried,
    and then said once, with the endpoint and the cause."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "t.db"
    result = run("-v", *sync_to(endpoint, db, "--retries", "2", "--retry-wait", "0"))
    assert result.exit_code == 1
    retried = [line for line in result.stderr.splitlines() if "; retrying in" in line]
    assert len(retried) == 4  # two orgs' overviews, two retries each
    assert all(
        "no connection (connection refused) from the Hub for GET /api/organizations/" in r for r in retried
    )
    assert result.stderr.splitlines()[-1] == (
        f"oss-tracker: error: sync failed, nothing stored: cannot reach {endpoint}: "
        "connection refused (after 3 attempts)"
    )


def test_watch_add_offline_suggests_no_check(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "watchlist.toml"
    result = run("--config", str(config), "watch", "add", "Foo", "--endpoint", NOWHERE)
    assert result.exit_code == 1
    assert result.stderr == (
        "oss-tracker: error: cannot reach http://nonexistent.invalid: name resolution failed; "
        "to add Foo without checking it on the Hub, pass --no-check\n"
    )
    assert not config.parent.exists()
    added = run("--config", str(config), "watch", "add", "Foo", "--no-check")  # no Hub asked, no endpoint
    assert added.exit_code == 0, added.stderr
    text = config.read_text()
    assert '[companies.Foo]\naccounts = ["Foo"]\nunverified = ["Foo"]\n' in text


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(argv: list[str], timeout: float = 60) -> tuple[int, str]:
    """The CLI in a child process whose stderr is a terminal (a pty of 200 columns): its exit code
    and everything it drew there, cursor moves stripped."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", *argv],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env,
    )  # fmt: skip
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=10)
    return code, ANSI.sub("", out.decode("utf-8", "replace"))


def test_retries_show_on_the_progress_line_on_a_terminal(hub: FakeHub, tmp_path: Path) -> None:
    """On a terminal the spinner said nothing while the sync retried (32 s offline). Now the
    progress line names the retry being waited for, and drops it once the request got through."""
    hub.add_fault("status", match="Beta/overview", times=1, status=503)
    db = tmp_path / "t.db"
    argv = sync_argv(hub, db, "Alpha", "Beta", now=NOW, extra=("--retry-wait", "1", "--max-wait", "1"))
    code, drawn = on_a_terminal(argv)
    assert code == 0, drawn
    assert (
        "HTTP 503 from the Hub for GET /api/organizations/Beta/overview: retrying in 1 s (attempt 2 of 6)"
        in drawn
    )
    assert drawn.rstrip().splitlines()[-1].startswith("sync ok: 2 org(s), 2 models")
    assert rows(db, "SELECT status FROM runs") == [("ok",)]
