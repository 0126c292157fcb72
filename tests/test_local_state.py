"""Bad local state: a clear message, a non-zero exit, no Hub request, and nothing overwritten.

Permission tests run as root too: the child process drops the capabilities that let
root ignore permission bits (`setpriv`), so the tool meets them as any user would.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from oss_tracker import store
from oss_tracker.health import backup
from tests.conftest import dump, hub_fixtures, model, rows, run, sync_argv, world
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

    def open_nearly_full(path: Path, *, create: bool = True):
        database = real_open(path, create=create)
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


def test_a_lock_file_that_cannot_be_opened(hub: FakeHub, good: Path) -> None:
    lock = Path(str(good) + ".lock")
    lock.write_text("")
    lock.chmod(0o444)
    before = dump(good)
    proc = cli(*args(hub, good, LATER))
    assert proc.returncode == 1
    assert proc.stderr == f"oss-tracker: error: Permission denied: {lock}\n"
    assert dump(good) == before  # (the file itself was switched to WAL mode before the lock: see report)
    assert hub.requests == []


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
        [name, f"{name}.lock"] + [f"{name}-{s}" for s in ("wal", "shm") if (folder / f"{name}-{s}").exists()]
    )


def test_names_with_quotes_semicolons_and_unicode_are_just_names(tmp_path: Path) -> None:
    org = "O'Brien\"; DROP TABLE runs;--"
    cjk = "通义千问-ü"
    odd = model(f"{org}/mö'del\"; DELETE FROM models;--", downloads=7, all_time=70)
    odd["author"] = org
    emoji = model(f"{cjk}/Qwen🙂 %s ?", downloads=8, all_time=80, license="other", license_name="qwen'); --")
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
