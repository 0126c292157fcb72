"""A real `oss-tracker sync` process, killed mid-run; and two syncs, or a sync and a report, at once.

The sync runs as a child process against a fake Hub that answers some requests slowly,
so that it is provably mid-run (the fake Hub has seen some of its requests and not the rest) when
the signal lands. Afterwards the database must hold, row for row (`iterdump`), what it held
before the run, and the next sync must work and store exactly what an uninterrupted
history would hold.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import dump, hub_fixtures, model, rows, run, sync_argv, world
from tests.dbstate import content, isolated_env
from tests.fakehub import FakeHub

NOW = "2025-11-24T06:00:00Z"
LATER = "2025-11-25T06:00:00Z"
ROOT = Path(__file__).resolve().parent.parent


def big_world() -> dict:
    models = [
        model(
            f"Big/m-{i:03d}", created_at=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00.000Z", downloads=i
        )
        for i in range(30)
    ]
    return world(*models, model("Small/a"), model("Small/b"), followers={"Big": 5, "Small": 6})


# Five models a page: Big is 6 pages, Small one.
shared_hub, hub = hub_fixtures(big_world(), page_size=5)


@pytest.fixture(scope="module")
def reference(shared_hub: FakeHub, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The history an uninterrupted cron would have: day 1, then day 2."""
    folder = tmp_path_factory.mktemp("reference")
    db = folder / "reference.db"
    with pytest.MonkeyPatch.context() as env:
        isolated_env(env, folder)
        assert run(*args(shared_hub, db, NOW)).exit_code == 0
        assert run(*args(shared_hub, db, LATER)).exit_code == 0
    return content(db)


def args(hub: FakeHub, db: Path, now: str, *extra: str) -> list[str]:
    return sync_argv(hub, db, "Big", "Small", now=now, extra=extra)


def start(hub: FakeHub, db: Path, now: str, *extra: str) -> subprocess.Popen[str]:
    """`python -m oss_tracker sync ...` as a child process (not a terminal: cron's situation)."""
    return subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", *args(hub, db, now, *extra)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the sync ended before the kill point: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the kill point was never reached")
        time.sleep(0.01)


def listing_pages(hub: FakeHub, org: str) -> int:
    return sum(1 for r in hub.requests if r["path"] == "/api/models" and ("author", org) in r["query"])


def model_infos(hub: FakeHub) -> int:
    return hub.count("/api/models/")


# Kill points: while Big is still being listed (slowly; Small's one page already in, and
# so already written into the open transaction), and later, when every org is written and
# the run is fetching derivative counts (slowly). (slow requests, kill point)
MID_LISTING = ("author=Big", lambda hub: listing_pages(hub, "Big") >= 3 and listing_pages(hub, "Small") >= 1)
MID_DERIVATIVES = ("/api/models/Big/", lambda hub: model_infos(hub) >= 6)

CASES = [
    pytest.param(signal.SIGKILL, *MID_LISTING, id="SIGKILL-mid-listing"),
    pytest.param(signal.SIGKILL, *MID_DERIVATIVES, id="SIGKILL-mid-derivatives"),
    pytest.param(signal.SIGTERM, *MID_LISTING, id="SIGTERM-mid-listing"),
    pytest.param(signal.SIGINT, *MID_DERIVATIVES, id="SIGINT-mid-derivatives"),
]


@pytest.mark.parametrize(("sig", "slow", "reached"), CASES)
def test_a_sync_killed_mid_run_leaves_the_database_as_it_was(
    hub: FakeHub,
    reference: dict,
    tmp_path: Path,
    sig: signal.Signals,
    slow: str,
    reached: Callable[[FakeHub], bool],
) -> None:
    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW)).exit_code == 0
    before = dump(db)
    hub.requests.clear()

    hub.add_fault("delay", match=slow, times=999, seconds=0.1)
    proc = start(hub, db, LATER, "--derivatives", "all", "--derivative-workers", "2")
    try:
        wait_until(lambda: reached(hub), proc)
        seen = len(hub.requests)
        proc.send_signal(sig)
        signalled = time.monotonic()
        _, stderr = proc.communicate(timeout=20)
        stopped = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
        hub.clear_faults()
    # Provably mid-run: the whole run needs 9 listing and overview calls, then 32 model_info calls.
    assert 0 < seen < 30

    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 1, stderr
        assert stderr == f"oss-tracker: error: interrupted by {sig.name}: nothing from this run was stored\n"
        assert stopped < 10
    assert dump(db) == before
    # A stopped sync leaves the trace of its attempt (written after the rollback); a killed one cannot.
    expected = [] if sig == signal.SIGKILL else [(LATER, f"interrupted by {sig.name}", 1)]
    assert rows(db, "SELECT started_at, reason, exit_code FROM failed_syncs") == expected

    # The lock went with the process; the next sync (same day) works and the history is whole.
    hub.requests.clear()
    result = run(*args(hub, db, LATER))
    assert result.exit_code == 0, result.stderr
    assert content(db) == reference
    assert rows(db, "SELECT id, status FROM runs") == [(1, "ok"), (2, "ok")]
    integrity = rows(db, "PRAGMA integrity_check")
    assert integrity == [("ok",)]


def test_sigterm_during_a_long_retry_wait_stops_at_once(hub: FakeHub, tmp_path: Path) -> None:
    """The transport's backoff is cut short: cron's `timeout` or systemd's stop is not kept waiting."""
    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW)).exit_code == 0
    before = dump(db)
    hub.requests.clear()
    hub.add_fault("status", match="author=Big", times=99, status=503)
    proc = start(hub, db, LATER, "--retry-wait", "60", "--max-wait", "60")
    try:
        wait_until(lambda: listing_pages(hub, "Big") >= 1, proc)
        time.sleep(0.3)  # now inside the 60 s wait
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - signalled < 15  # not the 60 s wait
    assert proc.returncode == 1
    assert stderr == "oss-tracker: error: interrupted by SIGTERM: nothing from this run was stored\n"
    assert dump(db) == before


# -- overlap ----------------------------------------------------------------------------------


@pytest.fixture
def running(hub: FakeHub, tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str], list[str]]]:
    """A database with one run, and a second sync of it in progress (slowly) in another process."""
    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW)).exit_code == 0
    before = dump(db)
    hub.requests.clear()
    hub.add_fault("delay", match="author=Big", times=999, seconds=0.5)  # 6 pages: 3 s
    proc = start(hub, db, LATER)
    try:
        wait_until(lambda: listing_pages(hub, "Big") >= 2, proc)
        yield db, proc, before
    finally:
        hub.clear_faults()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_second_sync_exits_busy_at_once_or_after_wait_and_touches_nothing(
    hub: FakeHub, running: tuple[Path, subprocess.Popen[str], list[str]]
) -> None:
    db, proc, before = running
    started = time.monotonic()
    result = run(*args(hub, db, LATER))
    assert time.monotonic() - started < 5
    assert result.exit_code == 4
    assert result.stderr == (
        f"oss-tracker: error: another sync is running on {db}; try again later or pass --wait SECONDS\n"
    )
    started = time.monotonic()
    result = run(*args(hub, db, LATER, "--wait", "0.5"))
    assert 0.4 < time.monotonic() - started < 8
    assert result.exit_code == 4
    assert proc.poll() is None  # the first one carries on, and finishes normally
    assert proc.wait(timeout=30) == 0
    assert rows(db, "SELECT id, status FROM runs") == [(1, "ok"), (2, "ok")]
    assert rows(db, "SELECT count(*) FROM failed_syncs") == [(0,)]  # a sync refused as busy writes nothing


def test_a_second_sync_with_a_long_enough_wait_runs_after_the_first(
    hub: FakeHub, running: tuple[Path, subprocess.Popen[str], list[str]]
) -> None:
    db, proc, _ = running
    hub.clear_faults()  # the first sync speeds up; the second must still wait for its lock
    assert proc.poll() is None
    result = run(*args(hub, db, "2025-11-25T07:00:00Z", "--wait", "60"))
    assert result.exit_code == 0, result.stderr
    assert proc.wait(timeout=5) == 0
    assert rows(db, "SELECT id, started_at, status FROM runs") == [
        (1, NOW, "ok"),
        (2, LATER, "ok"),
        (3, "2025-11-25T07:00:00Z", "ok"),
    ]


def test_reports_status_and_backup_do_not_wait_for_a_running_sync(
    hub: FakeHub, running: tuple[Path, subprocess.Popen[str], list[str]], tmp_path: Path
) -> None:
    """WAL: readers see the last committed run while a sync holds its write transaction."""
    db, proc, before = running
    hub.clear_faults()
    hub.add_fault("delay", match="author=Big", times=999, seconds=5)  # the sync stays mid-run
    changes = run("changes", "--db", str(db), "--format", "json")
    report = run("report", "--org", "Small", "--db", str(db), "--format", "json")
    status = run("status", "--db", str(db), "--format", "json", "--now", "2025-11-24T07:00:00Z")
    backup = run("backup", str(tmp_path / "copy.db"), "--db", str(db))
    assert proc.poll() is None, "the sync was still running throughout (readers did not wait for it)"
    assert changes.exit_code == 0 and report.exit_code == 0, changes.stderr + report.stderr
    assert status.exit_code == 0 and '"last_run"' in status.stdout
    assert backup.exit_code == 0, backup.stderr
    assert dump(tmp_path / "copy.db") == before  # the committed state, not the half-done run


def test_no_lock_file_is_left_beside_the_database(hub: FakeHub, tmp_path: Path) -> None:
    """The lock is the database file's own (flock): nothing beside it to delete, redirect or leak."""
    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW), env={"HF_TOKEN": "hf_secretsecret"}).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]


def test_sigterm_while_waiting_for_the_lock(hub: FakeHub, tmp_path: Path) -> None:
    from oss_tracker.sync.lock import sync_lock

    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW)).exit_code == 0
    with sync_lock(db):
        proc = start(hub, db, LATER, "--wait", "60")
        try:
            wait_until(lambda: _has_open(proc.pid, db), proc)  # it is in the lock's wait loop
            time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1
    assert stderr == "oss-tracker: error: interrupted by SIGTERM: nothing from this run was stored\n"
    assert rows(db, "SELECT count(*) FROM runs") == [(1,)]


def _has_open(pid: int, path: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


# -- one lock per database file, whatever path reaches it; time order inside the transaction -----


def test_a_second_sync_through_a_symlinked_path_is_busy_too(
    hub: FakeHub, running: tuple[Path, subprocess.Popen[str], list[str]], tmp_path: Path
) -> None:
    """The lock was a `PATH.lock` file: a symlink to the database got its own lock, and both ran."""
    db, proc, _ = running
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(db)
    started = time.monotonic()
    result = run(*args(hub, link, "2025-11-25T07:00:00Z"))
    assert time.monotonic() - started < 5
    assert result.exit_code == 4
    assert result.stderr == (
        f"oss-tracker: error: another sync is running on {link}; try again later or pass --wait SECONDS\n"
    )
    assert proc.wait(timeout=30) == 0
    assert rows(db, "SELECT id, started_at, status FROM runs") == [(1, NOW, "ok"), (2, LATER, "ok")]
    assert os.listdir(link.parent) == ["link.db"]  # nothing made beside the link


def test_a_run_dated_before_one_stored_meanwhile_is_refused_inside_its_transaction(
    hub: FakeHub, tmp_path: Path
) -> None:
    """Two writers the lock does not keep apart (an older version, a copy of the tool with another
    lock): the 08:00 run passed the first look at the runs, then a 12:00 run was committed. The
    order is checked again once the 08:00 run holds SQLite's write lock, so it is refused and
    the history never holds 12:00 then 08:00."""
    import sqlite3

    db = tmp_path / "t.db"
    assert run(*args(hub, db, NOW)).exit_code == 0
    insert = (
        "INSERT INTO runs (started_at, day, endpoint, orgs, status, tool_version) "
        "VALUES ('2025-11-25T12:00:00Z', '2025-11-25', 'elsewhere', '[]', 'ok', 'other')"
    )
    expected = tmp_path / "expected.db"
    copy = sqlite3.connect(expected)
    sqlite3.connect(db).backup(copy)
    copy.execute(insert)
    copy.commit()
    copy.close()
    hub.requests.clear()

    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other writer holds SQLite's write lock...
    other.execute(insert)
    proc = start(hub, db, "2025-11-25T08:00:00Z")
    try:
        # ...while the 08:00 run, past its first look (it fetches only after it), waits for that lock.
        wait_until(lambda: listing_pages(hub, "Big") >= 1 and listing_pages(hub, "Small") >= 1, proc)
        time.sleep(0.3)
        other.execute("COMMIT")
        _, stderr = proc.communicate(timeout=30)
    finally:
        other.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert stderr == (
        "oss-tracker: error: the database already holds a run of 2025-11-25T12:00:00Z; a run of "
        "2025-11-25T08:00:00Z would go back in time (replay recordings once each, in date order)\n"
    )
    assert dump(db) == dump(expected)
