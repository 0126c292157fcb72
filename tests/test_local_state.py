"""Bad local state: a clear message, a non-zero exit, no Hub request, and nothing overwritten.

Permission tests run as root too: the child process drops the capabilities that let
root ignore permission bits (`setpriv`), so the tool meets them as any user would.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oss_tracker.store import open as store
from oss_tracker.store.backup import backup
from tests.conftest import Result, copy_db, dump, hub_fixtures, model, rows, run, sync_argv, world
from tests.dbstate import content
from tests.fakehub import FakeHub

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-11-24T06:00:00Z"
LATER = "2025-11-25T06:00:00Z"
WORLD = world(*[model(f"Org/m{i:03d}", downloads=i) for i in range(300)], followers={"Org": 5})


shared_hub, hub = hub_fixtures(WORLD)


def args(hub: FakeHub, db: Path, now: str = NOW) -> list[str]:
    return sync_argv(hub, db, "Org", now=now)


@pytest.fixture
def good(hub: FakeHub, tmp_path: Path) -> Path:
    """A database with one run, as one plain file (no write-ahead log beside it)."""
    live = tmp_path / "live" / "t.db"
    assert run(*args(hub, live)).exit_code == 0
    hub.requests.clear()
    return backup(live, tmp_path / "good.db", now=datetime(2025, 11, 24)).path


# -- not a database, a damaged one, a newer one -------------------------------------------------


DAMAGE = [
    pytest.param(lambda b: b"my notes, not a database\n" * 100, "is not a usable SQLite database (file is not a database)", id="text-file"),
    pytest.param(lambda b: b[:100], "is not a usable SQLite database (database disk image is malformed)", id="header-only"),
    pytest.param(lambda b: b[: len(b) // 2], "is not a usable SQLite database (database disk image is malformed)", id="cut-in-half"),
    pytest.param(lambda b: b[:4096] + bytes(range(256)) * 16 + b[8192:], "the database file is damaged (database disk image is malformed): restore it from a backup", id="garbage-in-page-2"),
]  # fmt: skip


@pytest.mark.parametrize(("damage", "message"), DAMAGE)
def test_a_file_that_is_not_a_sound_database_is_left_untouched(
    hub: FakeHub, good: Path, damage, message: str
) -> None:
    good.write_bytes(damage(good.read_bytes()))
    before = good.read_bytes()
    result = run(*args(hub, good, LATER))
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert good.read_bytes() == before
    assert hub.requests == []


def test_a_folder_given_as_the_database(hub: FakeHub, tmp_path: Path) -> None:
    result = run(*args(hub, tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {tmp_path} is a folder, not a database file\n"
    assert hub.requests == []


@pytest.mark.parametrize("command", ["sync", "report", "status", "changes"])
def test_a_database_from_a_newer_version_is_refused_and_untouched(
    hub: FakeHub, good: Path, command: str
) -> None:
    conn = sqlite3.connect(good)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('oss_tracker', 'm999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    before = good.read_bytes()
    extra = {"sync": args(hub, good, LATER)[1:], "report": ["--org", "Org", "--db", str(good)]}.get(
        command, ["--db", str(good)]
    )
    result = run(command, *extra)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"oss-tracker: error: {good} was written by a newer oss-tracker; upgrade to read it\n"
    )
    assert good.read_bytes() == before
    assert hub.requests == []


# -- a full disk, a failing write ---------------------------------------------------------------


def test_a_full_disk_rolls_the_run_back(
    hub: FakeHub, good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLITE_FULL mid-run (simulated with max_page_count): nothing of the run is kept."""
    db = tmp_path / "t.db"
    shutil.copy(good, db)
    before = dump(db)
    real_open = store.open_db

    def open_nearly_full(path: Path, **options: Any):
        database = real_open(path, **options)
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        database.execute(f"PRAGMA max_page_count = {pages + 2}")
        return database

    monkeypatch.setattr(store, "open_db", open_nearly_full)
    result = run(*args(hub, db, LATER))
    assert result.exit_code == 1
    assert result.stderr == "oss-tracker: error: the disk is full: the run was rolled back\n"
    assert dump(db) == before
    monkeypatch.setattr(store, "open_db", real_open)
    assert run(*args(hub, db, LATER)).exit_code == 0  # room again: the next run just works
    assert rows(db, "SELECT id, status FROM runs") == [(1, "ok"), (2, "ok")]


def test_a_write_error_at_commit_keeps_the_database_as_it_was(
    hub: FakeHub, good: Path, tmp_path: Path
) -> None:
    """A real failing write (a file-size limit: EFBIG, as ENOSPC would fail it) in a real process."""
    db = tmp_path / "t.db"
    shutil.copy(good, db)
    before = dump(db)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    proc = subprocess.run(
        [sys.executable, "-m", "oss_tracker", *args(hub, db, LATER)],
        capture_output=True, text=True, cwd=ROOT, preexec_fn=limit,
    )  # fmt: skip
    assert proc.returncode == 1
    assert (
        proc.stderr == "oss-tracker: error: database error: disk I/O error (is the disk full or failing?)\n"
    )
    assert dump(db) == before
    assert run(*args(hub, db, LATER)).exit_code == 0
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]


# -- permissions (as an ordinary user would meet them) -----------------------------------------


def unprivileged(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *cmd]


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        unprivileged([sys.executable, "-m", "oss_tracker", *argv]), capture_output=True, text=True, cwd=ROOT
    )


def test_an_unwritable_folder(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        proc = cli(*args(hub, folder / "t.db"))
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1
    assert proc.stderr == f"oss-tracker: error: cannot create {folder / 't.db'}: the folder is not writable\n"
    assert list(folder.iterdir()) == []
    assert hub.requests == []


def test_a_read_only_database_is_refused_by_sync_but_readable(hub: FakeHub, good: Path) -> None:
    good.chmod(0o444)
    before = good.read_bytes()
    proc = cli(*args(hub, good, LATER))
    assert proc.returncode == 1
    assert proc.stderr == f"oss-tracker: error: cannot write to {good}: permission denied\n"
    assert good.read_bytes() == before
    assert hub.requests == []
    report = cli("report", "--org", "Org", "--db", str(good), "--format", "json")
    assert report.returncode == 0, report.stderr
    assert '"models": 300' in report.stdout


# -- the sync lock is the database file's own (flock): nothing beside it is opened or written ----


@pytest.fixture
def reference(hub: FakeHub, tmp_path: Path) -> dict:
    """What the database holds after a sync of NOW and one of LATER, with nothing in the way."""
    db = tmp_path / "reference" / "r.db"
    assert run(*args(hub, db)).exit_code == 0
    assert run(*args(hub, db, LATER)).exit_code == 0
    hub.requests.clear()
    return content(db)


@pytest.mark.parametrize("planted", ["symlink-to-the-database", "someone-elses-file"])
def test_a_file_named_like_the_old_lock_file_is_never_opened(
    hub: FakeHub, good: Path, tmp_path: Path, reference: dict, planted: str
) -> None:
    """`ln -s a.db a.db.lock` once made a sync truncate the database to its pid (a 3-run
    database became 5 bytes); a file of that name was overwritten."""
    db = tmp_path / "a.db"
    shutil.copy(good, db)
    lock = tmp_path / "a.db.lock"
    if planted == "symlink-to-the-database":
        lock.symlink_to("a.db")
    else:
        lock.write_bytes(b"someone else's notes\n")
    result = run(*args(hub, db, LATER))
    assert result.exit_code == 0, result.stderr
    assert content(db) == reference
    if planted == "symlink-to-the-database":
        assert lock.is_symlink() and os.readlink(lock) == "a.db"
    else:
        assert lock.read_bytes() == b"someone else's notes\n"


def test_a_database_path_beside_a_lock_file_of_another_tool(hub: FakeHub, tmp_path: Path) -> None:
    """`--db Pipfile`: the file is refused, and `Pipfile.lock` (once overwritten with a pid) is untouched."""
    pipfile, pipfile_lock = tmp_path / "Pipfile", tmp_path / "Pipfile.lock"
    pipfile.write_bytes(b'[packages]\nrequests = "*"\n')
    pipfile_lock.write_bytes(b'{"_meta": {"hash": {"sha256": "0123abcd"}}, "default": {}}\n')
    result = run(*args(hub, pipfile))
    assert result.exit_code == 1
    assert result.stderr == (
        f"oss-tracker: error: {pipfile} is not a usable SQLite database (file is not a database)\n"
    )
    assert pipfile.read_bytes() == b'[packages]\nrequests = "*"\n'
    assert pipfile_lock.read_bytes() == b'{"_meta": {"hash": {"sha256": "0123abcd"}}, "default": {}}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pipfile", "Pipfile.lock"]
    assert hub.requests == []


def test_a_dangling_symlink_as_the_database_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    """A new database is created by the tool itself (O_EXCL | O_NOFOLLOW), never through a symlink."""
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "planted.db"
    link = tmp_path / "t.db"
    link.symlink_to(target)
    result = run(*args(hub, link))
    assert result.exit_code == 1
    assert result.stderr == (
        f"oss-tracker: error: {link} is a symbolic link to {target}, which does not exist: "
        "refusing to create a database through it\n"
    )
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert hub.requests == []


def test_a_symlink_to_a_database_is_the_database(
    hub: FakeHub, good: Path, tmp_path: Path, reference: dict
) -> None:
    """Reached through a symlink, the database is synced in place (its -wal and -shm beside it)."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "t.db"
    shutil.copy(good, db)
    link = tmp_path / "link.db"
    link.symlink_to(db)
    assert run(*args(hub, link, LATER)).exit_code == 0
    assert content(db) == reference
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir() if p.name != "reference") == [
        "data", "good.db", "link.db", "live"
    ]  # fmt: skip


LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="flock and fcntl locks are separate kinds on Linux only (man 2 flock); elsewhere the lock is a record lock",
)
LOCKS = [
    pytest.param(True, id="flock", marks=LINUX_ONLY),
    pytest.param(False, id="record-lock"),  # what other platforms use; POSIX semantics, tried here too
]


@pytest.mark.parametrize("use_flock", LOCKS)
@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_the_sync_lock_and_sqlites_own_locks_never_meet(
    good: Path, tmp_path: Path, journal: str, use_flock: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flock (the sync lock on Linux) and fcntl record locks (SQLite's) are separate kinds on Linux;
    the record lock of other platforms is on a byte SQLite never locks. Either way SQLite's write
    lock held in one process does not stop the sync lock, nor the sync lock a SQLite writer."""
    from oss_tracker.sync import lock
    from oss_tracker.sync.lock import sync_lock

    monkeypatch.setattr(lock, "USE_FLOCK", use_flock)
    db = tmp_path / "t.db"
    shutil.copy(good, db)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.close()
    insert = "INSERT INTO orgs (name) VALUES ('X' || abs(random()))"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=0)\n"
         f"c.execute('BEGIN IMMEDIATE'); c.execute({insert!r}); print('holding', flush=True)\n"
         "sys.stdin.readline(); c.execute('COMMIT')"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "holding\n"  # SQLite's write lock is held...
        with sync_lock(db):  # ...and the sync lock is taken at once (no --wait)
            pass
        holder.communicate("go\n", timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert holder.returncode == 0
    with sync_lock(db):  # the sync lock is held: another process still writes through SQLite at once
        writer = subprocess.run(
            [sys.executable, "-c", f"import sqlite3; c = sqlite3.connect({str(db)!r}, timeout=0)\n"
             f"c.execute({insert!r}); c.commit()"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    assert writer.returncode == 0, writer.stderr
    assert rows(db, "SELECT count(*) FROM orgs WHERE name LIKE 'X%'") == [(2,)]


def test_the_lock_is_flock_on_linux_and_a_record_lock_elsewhere() -> None:
    """Review of issue 11, finding 6: on BSD and macOS flock and fcntl locks may share one lock
    list, where a whole-file flock would stop SQLite's own locks (the sync's included)."""
    from oss_tracker.sync import lock

    assert lock.USE_FLOCK is sys.platform.startswith("linux")
    assert lock.LOCK_BYTE > 0x40000000 + 512  # past SQLite's PENDING, RESERVED and SHARED bytes


def test_the_record_lock_keeps_a_second_sync_out(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record lock (other platforms) is a lock: held by one process, another is busy at once."""
    from oss_tracker.errors import Busy
    from oss_tracker.sync import lock

    monkeypatch.setattr(lock, "USE_FLOCK", False)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom pathlib import Path\nfrom oss_tracker.sync import lock\n"
         "lock.USE_FLOCK = False\n"
         f"with lock.sync_lock(Path({str(good)!r})):\n    print('holding', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(Busy), lock.sync_lock(good):
            pass
        holder.communicate("go\n", timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    with lock.sync_lock(good):  # released with the process
        pass


def _open_after(monkeypatch: pytest.MonkeyPatch, change) -> None:
    """Run `change()` between the sync lock and SQLite's open (the window of a race)."""
    real_open = store.open_db

    def open_db(path: Path, **options: Any):
        change()
        return real_open(path, **options)

    monkeypatch.setattr(store, "open_db", open_db)


def test_a_symlink_swapped_after_the_lock_cannot_lead_sqlite_elsewhere(
    hub: FakeHub, good: Path, tmp_path: Path, reference: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of issue 11, finding 7: the lock resolved the symlink and locked the real file, but
    SQLite opened the path given: a symlink repointed in between sent the run into a file the
    lock did not cover. Now SQLite opens the real path the lock holds."""
    locked, other = tmp_path / "a.db", tmp_path / "b.db"
    shutil.copy(good, locked)
    shutil.copy(good, other)
    before = dump(other)
    link = tmp_path / "link.db"
    link.symlink_to(locked)

    def repoint() -> None:
        link.unlink()
        link.symlink_to(other)

    _open_after(monkeypatch, repoint)
    result = run(*args(hub, link, LATER))
    assert result.exit_code == 0, result.stderr
    assert content(locked) == reference
    assert dump(other) == before


def test_a_database_renamed_over_after_the_lock_is_refused(
    hub: FakeHub, good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """...and if the real path itself is replaced in that window (a restore renamed a file over
    it), the file SQLite has open is not the one locked: the sync stops, nothing written to it."""
    db, restored = tmp_path / "t.db", tmp_path / "restored.db"
    shutil.copy(good, db)
    shutil.copy(good, restored)
    before = dump(restored)
    _open_after(monkeypatch, lambda: os.replace(restored, db))
    result = run(*args(hub, db, LATER))
    assert result.exit_code == 1
    assert result.stderr == (
        f"oss-tracker: error: {db} was replaced while the sync opened it: nothing stored; run the sync again\n"
    )
    assert dump(db) == before
    assert hub.requests == []


def test_sigterm_while_another_program_holds_sqlites_write_lock(
    hub: FakeHub, good: Path, tmp_path: Path
) -> None:
    """Review of issue 11, finding 8: SQLite waited up to 30 s for another program's write lock
    (its busy timeout, inside one C call), and a SIGTERM then was handled only when the wait
    ended. The sync's wait is now 2 s: it stops within a few seconds, nothing stored; noting the
    failed attempt does not wait on that lock a second time (it stopped after 4 s when it did)."""
    db = tmp_path / "t.db"
    shutil.copy(good, db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = wal")
    conn.close()
    before = dump(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('holding', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "holding\n"
        proc = subprocess.Popen(
            [sys.executable, "-m", "oss_tracker", *args(hub, db, LATER)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "OSS_TRACKER_RETRY_WAIT": "0", "OSS_TRACKER_MAX_WAIT": "0"},
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not any(r["path"] == "/api/models" for r in hub.requests):  # fetching: the writer waits
            assert time.monotonic() < deadline and proc.poll() is None, "the sync never fetched"
            time.sleep(0.02)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, err = proc.communicate(timeout=60)
        stopped = time.monotonic() - signalled
        holder.communicate("go\n", timeout=10)
    finally:
        for p in (holder, proc):
            if p.poll() is None:
                p.kill()
    assert proc.returncode == 1, err
    assert err == "oss-tracker: error: interrupted by SIGTERM: nothing from this run was stored\n"
    assert stopped < 3, stopped
    assert dump(db) == before


def test_another_programs_long_write_lock_fails_the_sync_in_one_line(
    hub: FakeHub, good: Path, tmp_path: Path
) -> None:
    """Held past the sync's 2 s wait: one line, exit 1, nothing stored (the next run tries again)."""
    db = tmp_path / "t.db"
    shutil.copy(good, db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = wal")  # as a sync leaves it
    conn.close()
    before = dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        result = run(*args(hub, db, LATER))
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr == "oss-tracker: error: database error: database is locked\n"
    assert 2 <= waited < 10, waited
    assert dump(db) == before


# -- paths and names are just names ------------------------------------------------------------


@pytest.mark.parametrize("name", ["a b.db", "x#1.db", "q?x=1.db", "p%20q.db", "ü中文.db", 'it\'s;"q".db'])
def test_odd_database_paths(hub: FakeHub, tmp_path: Path, name: str) -> None:
    """`#`, `?` and `%` in a path once made read-only opens (reports) create and read another file."""
    folder = tmp_path / "dbs"
    folder.mkdir()
    db = folder / name
    assert run(*args(hub, db)).exit_code == 0
    report = run("report", "--org", "Org", "--db", str(db), "--format", "json")
    assert report.exit_code == 0, report.stderr
    assert '"models": 300' in report.stdout
    assert run("status", "--db", str(db), "--now", NOW).exit_code == 0
    copy = run("backup", str(tmp_path / "copy.db"), "--db", str(db))
    assert copy.exit_code == 0, copy.stderr
    assert content(tmp_path / "copy.db") == content(db)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [name] + [f"{name}-{s}" for s in ("wal", "shm") if (folder / f"{name}-{s}").exists()]
    )


def test_names_with_quotes_semicolons_and_unicode_are_just_names(tmp_path: Path) -> None:
    """Model ids and licence names from the Hub are just data. (An account name is a Hub name:
    letters, digits, `-`, `_`, `.`; anything else is refused, see test_names.py.)"""
    org = "O_Brien-1.0"
    cjk = "Tongyi_Qianwen"
    odd = model(f"{org}/mö'del\"; DELETE FROM models;--", downloads=7, all_time=70)
    odd["author"] = org
    emoji = model(
        f"{cjk}/通义千问-ü🙂 %s ?", downloads=8, all_time=80, license="other", license_name="qwen'); --"
    )
    with FakeHub(world(odd, emoji, followers={org: 3, cjk: 4})) as hub:
        db = tmp_path / "t.db"
        argv = ["sync", "--db", str(db), "--endpoint", hub.url, "--org", org, "--org", cjk, "--now", NOW]
        result = run(*argv)
        assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT name FROM orgs ORDER BY name") == [(org,), (cjk,)]
    assert rows(db, "SELECT repo_id, license, license_name FROM models ORDER BY repo_id") == [
        (odd["id"], "mit", None),
        (emoji["id"], "qwen'); --", "qwen'); --"),
    ]
    assert rows(db, "SELECT count(*) FROM runs") == [(1,)]
    report = run("report", "--org", org, "--db", str(db), "--format", "json")
    assert report.exit_code == 0, report.stderr
    assert odd["id"] in set(_strings(json.loads(report.stdout)))
    assert run("report", "--org", cjk, "--db", str(db), "--format", "csv").exit_code == 0
    assert run("changes", "--db", str(db)).exit_code == 0
    status = run("status", "--db", str(db), "--format", "json", "--now", NOW)
    assert status.exit_code == 0 and cjk in status.stdout
    releases = run("releases", "--org", cjk, "--db", str(db), "--format", "json")
    assert [r["id"] for r in json.loads(releases.stdout)["releases"]] == [emoji["id"]]


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON document, keys and values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# -- what is not a regular file: refused at once, never waited on -------------------------------
# Each runs in a child process with a timeout: a regression fails instead of hanging the suite.


def cli_with_timeout(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oss_tracker", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.mark.parametrize("command", ["sync", "report", "status", "changes", "backup"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_database_path_that_is_not_a_regular_file_is_refused_without_hanging(
    hub: FakeHub, tmp_path: Path, command: str, kind: str
) -> None:
    """A FIFO as `--db` made `report` and `status` wait for ever (SQLite's open blocks on it)."""
    db = tmp_path / "t.db"
    if kind == "fifo":
        os.mkfifo(db)
    else:
        db.symlink_to("/dev/zero")
    argv = {
        "sync": args(hub, db),
        "report": ["report", "--org", "Org", "--db", str(db)],
        "backup": ["backup", str(tmp_path / "copy.db"), "--db", str(db)],
    }.get(command, [command, "--db", str(db)])
    proc = cli_with_timeout(*argv)
    assert proc.returncode == 1
    assert (
        proc.stderr
        == f"oss-tracker: error: {db} is not a regular file (a FIFO, a device...): not a database\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]
    assert hub.requests == []


@pytest.mark.parametrize("name", ["manifest.json", "responses.jsonl"])
def test_a_recording_whose_file_is_a_fifo_is_refused_without_hanging(tmp_path: Path, name: str) -> None:
    rec = tmp_path / "rec"
    shutil.copytree(ROOT / "fixtures" / "replay" / "2025-11-24", rec)
    (rec / name).unlink()
    os.mkfifo(rec / name)
    db = tmp_path / "t.db"
    proc = cli_with_timeout("sync", "--db", str(db), "--replay", str(rec), "--derivatives", "none")
    assert proc.returncode == 1
    assert proc.stderr == f"oss-tracker: error: {rec / name} is not a regular file: not a recording\n"
    assert not db.exists() or rows(db, "SELECT count(*) FROM runs") == [(0,)]


# -- a sound database on a read-only filesystem is readable -------------------------------------


def _can_mount_read_only() -> bool:
    try:
        probe = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def read_only_cli(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI with `folder` bind-mounted read-only over itself: a real read-only filesystem
    (EROFS), in a user and mount namespace of its own, so no root is needed and nothing outside
    the child sees the mount."""
    if not _can_mount_read_only():
        pytest.skip("no user namespaces here (unshare --user --mount): cannot mount read-only without root")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", str(folder),
         sys.executable, "-m", "oss_tracker", *argv],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip


@pytest.fixture
def two_runs(hub: FakeHub, tmp_path: Path) -> Iterator[Path]:
    """A WAL-mode database with runs of NOW and LATER, the second still in its -wal: another
    connection stayed open, so the sync's close did not fold the log into the file."""
    db = tmp_path / "src" / "t.db"
    assert run(*args(hub, db)).exit_code == 0
    holder = sqlite3.connect(db)
    holder.execute("SELECT count(*) FROM runs").fetchone()
    assert run(*args(hub, db, LATER)).exit_code == 0
    hub.requests.clear()
    yield db
    holder.close()


def _copy(db: Path, to: Path, suffixes: tuple[str, ...]) -> None:
    for suffix in suffixes:
        shutil.copy(f"{db}{suffix}", f"{to}{suffix}")


def _checkpointed_copy(db: Path, to: Path) -> None:
    """A WAL-mode file holding everything, with no -wal or -shm: as a sync's close leaves it."""
    copy_db(db, to)
    conn = sqlite3.connect(to)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


def _main_file_runs(db: Path) -> int:
    """Runs in the main file alone (immutable: the -wal is not read)."""
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("state", ["checkpointed", "wal-and-shm"])
def test_a_database_on_a_read_only_filesystem_is_readable(two_runs: Path, tmp_path: Path, state: str) -> None:
    """Every report, `status` and `backup` said "not a usable SQLite database" there."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "t.db"
    if state == "checkpointed":
        _checkpointed_copy(two_runs, db)
        assert _main_file_runs(db) == 2
    else:  # as a crashed or still running sync leaves it: the second run only in the -wal
        _copy(two_runs, db, ("", "-wal", "-shm"))
        assert _main_file_runs(db) == 1
    assert db.read_bytes()[18:20] == b"\x02\x02"  # WAL mode
    files = sorted(p.name for p in folder.iterdir())

    report = read_only_cli(folder, "report", "--org", "Org", "--db", str(db), "-f", "json")
    status = read_only_cli(folder, "status", "--db", str(db), "-f", "json", "--now", "2025-11-25T07:00:00Z")
    releases = read_only_cli(folder, "releases", "--db", str(db), "-f", "csv", "--limit", "3")
    out = tmp_path / "out"
    out.mkdir()
    copy = read_only_cli(folder, "backup", str(out / "copy.db"), "--db", str(db))

    assert sorted(p.name for p in folder.iterdir()) == files  # nothing written there
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert (data["as_of"], data["previous_as_of"], data["models"], data["downloads_30d"]) == (
        LATER, NOW, 300, sum(range(300))
    )  # fmt: skip
    assert report.stdout == run("report", "--org", "Org", "--db", str(two_runs), "-f", "json").stdout
    assert status.returncode == 0, status.stderr
    health = json.loads(status.stdout)
    assert (health["health"], health["runs"], health["last_run"]["id"], health["last_run"]["started_at"]) == (
        "ok", 2, 2, LATER
    )  # fmt: skip
    assert releases.returncode == 0, releases.stderr
    assert releases.stdout == run("releases", "--db", str(two_runs), "-f", "csv", "--limit", "3").stdout
    assert copy.returncode == 0, copy.stderr
    assert content(out / "copy.db") == content(two_runs)


def test_a_wal_without_its_shm_on_a_read_only_filesystem_is_refused_not_shown_short(
    two_runs: Path, tmp_path: Path
) -> None:
    """SQLite cannot read that -wal without writing a -shm; read without it, the last run would be
    missing from every report. Said so, instead."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "t.db"
    _copy(two_runs, db, ("", "-wal"))
    proc = read_only_cli(folder, "report", "--org", "Org", "--db", str(db), "-f", "json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        f"oss-tracker: error: cannot read {db} on a read-only filesystem: its t.db-wal holds changes that "
        "SQLite can read only with a t.db-shm beside it (copy the three files somewhere writable)\n"
    )


def test_a_folder_this_user_cannot_write(two_runs: Path, tmp_path: Path) -> None:
    """Not a read-only filesystem: another user's sync may write there, so the file is not opened
    `immutable`. With the -shm present it reads as usual; without, one line says why not."""
    theirs, closed = tmp_path / "theirs", tmp_path / "closed"
    theirs.mkdir()
    closed.mkdir()
    _copy(two_runs, theirs / "t.db", ("", "-wal", "-shm"))
    _checkpointed_copy(two_runs, closed / "t.db")
    for folder in (theirs, closed):
        folder.chmod(0o555)
    try:
        report = cli("report", "--org", "Org", "--db", str(theirs / "t.db"), "-f", "json")
        refused = cli("report", "--org", "Org", "--db", str(closed / "t.db"), "-f", "json")
    finally:
        for folder in (theirs, closed):
            folder.chmod(0o755)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["as_of"] == LATER
    assert refused.returncode == 1
    assert refused.stderr == (
        f"oss-tracker: error: cannot read {closed / 't.db'}: SQLite needs to create t.db-shm beside it, "
        f"and {closed} is not writable for this user (make it writable, or read a copy)\n"
    )


# -- a run from the future ------------------------------------------------------------------------

FUTURE = "2099-01-01T00:00:00Z"
CLOCK = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"  # this machine's clock, as the message shows it


def test_a_run_dated_after_the_clock_is_refused(hub: FakeHub, good: Path) -> None:
    """One run from 2099 (a wrong --now, a clock set wrong once) blocked every later sync."""
    before = dump(good)
    result = run(*args(hub, good, FUTURE))
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"oss-tracker: error: the run is dated {FUTURE}, after this machine's clock \({CLOCK}\): a run from "
        r"the future is not stored \(check --now, the recording's recorded_at, or the clock\)\n",
        result.stderr,
    )
    assert dump(good) == before and hub.requests == []


def test_a_recording_dated_after_the_clock_is_refused(bundled_history: Path, tmp_path: Path) -> None:
    db = copy_db(bundled_history, tmp_path / "t.db")
    before = dump(db)
    rec = tmp_path / "rec"
    shutil.copytree(ROOT / "fixtures" / "replay" / "2025-11-24", rec)
    manifest = json.loads((rec / "manifest.json").read_text())
    (rec / "manifest.json").write_text(json.dumps({**manifest, "recorded_at": FUTURE}))
    result = run("sync", "--db", str(db), "--replay", str(rec), "--derivatives", "none")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"oss-tracker: error: the run is dated {FUTURE}, after this machine's clock ("
    )
    assert dump(db) == before


def test_the_clock_may_be_a_few_minutes_behind_the_run(hub: FakeHub, tmp_path: Path) -> None:
    def ahead(minutes: int) -> str:
        return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert run(*args(hub, tmp_path / "a.db", ahead(4))).exit_code == 0
    refused = run(*args(hub, tmp_path / "b.db", ahead(6)))
    assert refused.exit_code == 1 and "a run from the future is not stored" in refused.stderr
    assert rows(tmp_path / "a.db", "SELECT count(*) FROM runs") == [(1,)]
    assert rows(tmp_path / "b.db", "SELECT count(*) FROM runs") == [(0,)]


def test_a_database_already_holding_a_future_run_says_so(hub: FakeHub, good: Path) -> None:
    """Not just "would go back in time": the stored run is the one that is wrong."""
    conn = sqlite3.connect(good)
    with conn:
        conn.execute("UPDATE runs SET started_at = ?, day = ?", [FUTURE, FUTURE[:10]])
    conn.close()
    before = dump(good)
    result = run(*args(hub, good, LATER))
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"oss-tracker: error: the database holds a run dated {FUTURE}, after this machine's clock \({CLOCK}\): "
        r"a clock or a recording was wrong when it was stored, and no run can be stored after it until it is "
        r"gone \(restore a backup from before it\)\n",
        result.stderr,
    )
    assert dump(good) == before and hub.requests == []
    status = run("status", "--db", str(good), "--format", "json")  # this machine's own clock
    assert status.exit_code == 1 and json.loads(status.stdout)["health"] == "future"


# -- --record: only into a new or empty folder, never through a symlink ------------------------------


def record(hub: FakeHub, db: Path, folder: Path) -> Result:
    return run(*args(hub, db, LATER), "--record", str(folder))


def test_record_into_a_new_or_an_empty_folder(hub: FakeHub, good: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "new" / "rec", empty):
        db = copy_db(good, tmp_path / f"{folder.name}.db")
        assert record(hub, db, folder).exit_code == 0
        assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "responses.jsonl"]
        assert json.loads((folder / "manifest.json").read_text()) == {"recorded_at": LATER, "orgs": ["Org"]}
        assert len((folder / "responses.jsonl").read_text().splitlines()) == 2  # overview, one page


@pytest.mark.parametrize(
    "case", ["a-web-apps-manifest", "symlinked-manifest", "dangling-responses-symlink", "folder-is-a-symlink"]
)
def test_record_never_writes_a_file_it_did_not_create(
    hub: FakeHub, good: Path, tmp_path: Path, case: str
) -> None:
    """An existing manifest.json was replaced, a symlinked one had its target overwritten, a
    dangling responses.jsonl symlink had its target created."""
    rec, outside = tmp_path / "rec", tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.json").write_bytes(b'{"name": "my-web-app"}\n')
    message = f"{rec} is not empty: record into a new or empty folder"
    if case == "folder-is-a-symlink":
        rec.symlink_to(outside)
        message = f"{rec} is a symbolic link: record into a new folder"
    else:
        rec.mkdir()
        if case == "a-web-apps-manifest":
            (rec / "manifest.json").write_bytes(b'{"name": "my-web-app"}\n')
        elif case == "symlinked-manifest":
            (rec / "manifest.json").symlink_to(outside / "keep.json")
        else:
            (rec / "responses.jsonl").symlink_to(outside / "created.jsonl")
    before = dump(good)
    listing = sorted((p.name, p.is_symlink()) for p in rec.iterdir())
    result = record(hub, good, rec)
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {message}\n"
    assert sorted((p.name, p.is_symlink()) for p in rec.iterdir()) == listing
    assert sorted(p.name for p in outside.iterdir()) == ["keep.json"]
    assert (outside / "keep.json").read_bytes() == b'{"name": "my-web-app"}\n'
    if case == "a-web-apps-manifest":
        assert (rec / "manifest.json").read_bytes() == b'{"name": "my-web-app"}\n'
    assert dump(good) == before and hub.requests == []
