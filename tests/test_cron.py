"""What cron sees: exit codes, one line on stderr, -q / -v / --debug, no colour, and no token anywhere.

Exit codes (src/oss_tracker/errors.py, docs/reliability.md): 0 ok, 1 failed (nothing
stored, bad database, interrupted), 2 usage, 3 partial (stored, but an org failed or
came back incomplete), 4 busy (another sync holds the lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oss_tracker.sync.lock import sync_lock
from tests.conftest import hub_fixtures, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-11-24T06:00:00Z"
WORLD = world(model("Good/a"), model("Good/b"), model("Bad/c"), followers={"Good": 1, "Bad": 2})
SECRET = "hf_SECRETsecretSECRETsecret0123456789"


shared_hub, hub = hub_fixtures(WORLD)


def sync_args(hub: FakeHub, db: Path, *orgs: str) -> list[str]:
    return sync_argv(hub, db, *(orgs or ("Good", "Bad")), now=NOW)


# -- exit codes --------------------------------------------------------------------------------


def test_exit_0_ok(hub: FakeHub, tmp_path: Path) -> None:
    assert run(*sync_args(hub, tmp_path / "t.db")).exit_code == 0


def test_exit_3_partial(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_fault("status", match="author=Bad", times=99, status=503)
    result = run(*sync_args(hub, tmp_path / "t.db"))
    assert result.exit_code == 3
    assert rows(tmp_path / "t.db", "SELECT status FROM runs") == [("partial",)]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("all-fail", "sync failed, nothing stored: "),
        ("unknown-org", "unknown organization 'Nobody': the Hub answered 404"),
        ("bad-db", "is not a usable SQLite database"),
        ("unreachable", "cannot reach http://127.0.0.1:9: connection refused (after 1 attempts)"),
    ],
)
def test_exit_1_failed(hub: FakeHub, tmp_path: Path, setup: str, message: str) -> None:
    db = tmp_path / "t.db"
    argv = sync_args(hub, db)
    if setup == "all-fail":
        hub.add_fault("status", match="/api/", times=999, status=500)
    elif setup == "unknown-org":
        argv = sync_args(hub, db, "Good", "Nobody")
    elif setup == "bad-db":
        db.write_text("not sqlite")
    else:
        argv = ["sync", "--db", str(db), "--endpoint", "http://127.0.0.1:9", "--org", "A", "--retries", "0"]
    result = run(*argv)
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--no-such-option"],
        ["sync", "--org", "Qwen/Qwen3-8B"],
        ["sync", "--record", "a", "--replay", "b"],
        ["sync", "--retries", "-1"],
        ["status", "--format", "yaml"],
        ["backup"],
        ["no-such-command"],
    ],
    ids=["unknown-option", "model-for-org", "record-and-replay", "negative-retries", "bad-format", "missing-argument", "unknown-command"],
)  # fmt: skip
def test_exit_2_usage(hub: FakeHub, argv: list[str], tmp_path: Path) -> None:
    result = run(*argv, "--db", str(tmp_path / "t.db")) if argv[0] != "no-such-command" else run(*argv)
    assert result.exit_code == 2
    assert hub.requests == [] and not (tmp_path / "t.db").exists()


def test_exit_4_busy(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert run(*sync_args(hub, db)).exit_code == 0
    with sync_lock(db):
        result = run(*sync_args(hub, db))
    assert result.exit_code == 4
    assert result.stderr == (
        f"oss-tracker: error: another sync is running on {db}; try again later or pass --wait SECONDS\n"
    )
    assert rows(db, "SELECT count(*) FROM failed_syncs") == [(0,)]  # refused as busy: no trace either


# -- logging for cron -------------------------------------------------------------------------


def cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process, stdout and stderr pipes (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "oss_tracker", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_a_cron_run_writes_one_plain_line(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_fault("status", match="author=Good", times=2, status=503)  # fixed by retries: not reported
    proc = cli(*sync_args(hub, tmp_path / "t.db"))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert proc.stderr == (
        "sync ok: 2 org(s), 3 models, 0 new (2 org(s) synced for the first time), 0 removed, 0 renamed, 0 licence change(s), 6 requests, run #1\n"
    )
    assert "\x1b" not in proc.stderr  # no colour, no progress bar


def test_quiet_is_silent_when_all_is_well_and_one_line_when_not(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    result = run("-q", *sync_args(hub, db))
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""
    hub.add_fault("status", match="author=Bad", times=99, status=503)
    result = run("--quiet", *sync_args(hub, tmp_path / "second.db"))
    assert result.exit_code == 3
    assert result.stderr.startswith("sync partial: ") and result.stderr.count("\n") == 1
    assert result.stderr.endswith("— Bad: HTTP 503 for GET /api/models after 6 attempts\n")
    hub.add_fault("status", match="/api/", times=999, status=503)
    result = run("-q", *sync_args(hub, tmp_path / "third.db"))
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: sync failed, nothing stored: ")
    assert result.stderr.count("\n") == 1


def test_verbose_tells_what_was_retried(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_fault("drop", match="author=Good", times=1)
    proc = cli("-v", *sync_args(hub, tmp_path / "t.db"))
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    assert any(
        "connection closed mid-response from the Hub for GET /api/models; retrying" in x for x in lines
    )
    assert lines[-1].startswith("sync ok: ")
    assert "\x1b" not in proc.stderr


def test_debug_shows_the_traceback(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    db.write_text("not sqlite")
    plain = run(*sync_args(hub, db))
    assert plain.exit_code == 1 and "Traceback" not in plain.stderr
    debug = cli("--debug", *sync_args(hub, db))
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "StoreError" in debug.stderr
    from oss_tracker.store.open import StoreError

    with pytest.raises(StoreError):  # the env var does the same (in-process: the exception itself)
        run(*sync_args(hub, db), env={"OSS_TRACKER_DEBUG": "1"})


# -- the token --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["env", "option"])
def test_the_token_never_reaches_output_database_recording_or_lock(
    hub: FakeHub, tmp_path: Path, how: str
) -> None:
    db, rec = tmp_path / "t.db", tmp_path / "rec"
    # Errors of every kind on the way: retried 5xx, a 401 for one org, a cut body.
    hub.add_fault("status", match="author=Good", times=2, status=503)
    hub.add_fault("status", match="Bad/overview", times=1, status=401)
    hub.add_fault("truncate", match="author=Good", times=1)
    argv = ["-v", "--debug", *sync_args(hub, db), "--record", str(rec)]
    proc = cli(*argv, "--token", SECRET) if how == "option" else cli(*argv, env={"HF_TOKEN": SECRET})
    assert proc.returncode == 3, proc.stderr
    assert "Bad: the Hub answered HTTP 401 for /api/organizations/Bad/overview" in proc.stderr
    assert {r["authorization"] for r in hub.requests} == {f"Bearer {SECRET}"}  # it was sent...
    secret = SECRET.encode()
    assert secret not in (proc.stdout + proc.stderr).encode()  # ...and never shown,
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path  # nor stored, recorded or locked away
    recorded = (rec / "responses.jsonl").read_text()
    assert "authorization" not in recorded.lower()


def test_a_token_in_the_endpoint_url_is_not_echoed(tmp_path: Path) -> None:
    result = run(
        "sync", "--db", str(tmp_path / "t.db"), "--endpoint", f"http://user:{SECRET}@127.0.0.1:9",
        "--org", "A", "--retries", "0",
    )  # fmt: skip
    assert result.exit_code == 1
    assert SECRET not in result.stdout + result.stderr
