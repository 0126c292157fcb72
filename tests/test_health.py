"""`oss-tracker status` (health for cron) and `oss-tracker backup` (a checked copy)."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import dump, hub_fixtures, model, rows, run, world
from tests.dbstate import isolated_env
from tests.fakehub import FakeHub

ROOT = Path(__file__).resolve().parent.parent
WORLD = world(model("Org/a"), model("Org/b"), model("Other/c"), followers={"Org": 10, "Other": 20})


shared_hub, hub = hub_fixtures(WORLD)


def sync(hub: FakeHub, db: Path, now: str, *orgs: str) -> int:
    args = ["sync", "--db", str(db), "--endpoint", hub.url, "--now", now, "--derivatives", "none"]
    for org in orgs or ("Org", "Other"):
        args += ["--org", org]
    return run(*args).exit_code


def status(db: Path, now: str, *extra: str) -> tuple[int, dict]:
    result = run("status", "--db", str(db), "--format", "json", "--now", now, *extra)
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


@pytest.fixture(scope="module")
def _history(shared_hub: FakeHub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("history")
    db = folder / "t.db"
    shared_hub.clear_faults()
    with pytest.MonkeyPatch.context() as env:  # the autouse env fixture is per test, set it here too
        isolated_env(env, folder)
        assert sync(shared_hub, db, "2025-11-20T06:00:00Z") == 0
        assert sync(shared_hub, db, "2025-11-22T06:00:00Z") == 0
        assert sync(shared_hub, db, "2025-11-25T06:00:00Z") == 0
        shared_hub.add_fault("status", match="Other/overview", times=99, status=503)
        assert sync(shared_hub, db, "2025-11-25T18:00:00Z") == 3
    shared_hub.clear_faults()
    return db


@pytest.fixture
def history(_history: Path, tmp_path: Path) -> Path:
    """Runs on the 20th, 22nd and 25th (twice); Other failed on the 25th (partial). A fresh copy."""
    db = tmp_path / "t.db"
    src, dst = sqlite3.connect(_history), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    return db


def test_status_of_a_healthy_database(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert sync(hub, db, "2025-11-24T06:00:00Z") == 0
    code, data = status(db, "2025-11-24T20:00:00Z")
    assert code == 0
    assert data["health"] == "ok"
    assert data["runs"] == 1 and data["first_day"] == "2025-11-24"
    assert data["last_run"]["id"] == 1 and data["last_run"]["status"] == "ok"
    assert data["last_run"]["started_at"] == "2025-11-24T06:00:00Z"
    assert data["last_run"]["requests"] == 4 and data["last_run"]["message"] is None
    assert data["last_ok_run"] == data["last_run"]
    assert data["last_run_age_hours"] == 14.0
    assert data["days_missed"] == 0 and data["missed_days"] == []
    assert data["size_bytes"] + data["wal_bytes"] == db.stat().st_size + _wal(db)
    assert data["size_bytes"] > 0 and data["free_bytes"] > 0
    assert data["orgs"] == [
        {"org": "Org", "last_day": "2025-11-24", "complete": True, "listed": 2, "days_missed": 0},
        {"org": "Other", "last_day": "2025-11-24", "complete": True, "listed": 1, "days_missed": 0},
    ]


def _wal(db: Path) -> int:
    wal = Path(str(db) + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_status_counts_missed_days_and_reports_a_partial_last_run(history: Path) -> None:
    code, data = status(history, "2025-11-26T05:00:00Z")
    assert code == 3
    assert data["health"] == "partial"
    assert data["runs"] == 4
    assert data["last_run"]["id"] == 4 and data["last_run"]["status"] == "partial"
    assert (
        data["last_run"]["message"]
        == "Other: HTTP 503 for GET /api/organizations/Other/overview after 6 attempts"
    )
    assert data["last_ok_run"]["id"] == 3
    # From the 20th up to yesterday (the 25th): no run on the 21st, 23rd, 24th.
    assert data["missed_days"] == ["2025-11-21", "2025-11-23", "2025-11-24"]
    assert data["days_missed"] == 3 and data["days_missed_recent"] == 3
    assert [(o["org"], o["last_day"], o["days_missed"]) for o in data["orgs"]] == [
        ("Org", "2025-11-25", 3),
        ("Other", "2025-11-25", 3),
    ]


def test_status_csv_writes_raw_values_and_markdown_stays_in_words(history: Path) -> None:
    """CSV is for scripts: bytes, hours, ISO dates and the missed days as they are, one per line."""
    out = run("status", "--db", str(history), "--now", "2025-11-26T05:00:00Z", "-f", "csv")
    assert out.exit_code == 3
    got = dict(csv.reader(io.StringIO(out.stdout)))
    assert got.pop("item") == "value"  # the header
    size, wal, free = (int(got.pop(k)) for k in ("size_bytes", "wal_bytes", "free_bytes"))
    assert size + wal == history.stat().st_size + _wal(history) and free > 0
    assert got == {
        "health": "partial",
        "database": str(history),
        "runs": "4",
        "first_day": "2025-11-20",
        "last_run_id": "4",
        "last_run_started_at": "2025-11-25T18:00:00Z",
        "last_run_finished_at": got["last_run_finished_at"],  # this machine's clock at the run's end
        "last_run_status": "partial",
        "last_run_requests": got["last_run_requests"],
        "last_run_tool_version": "0.1.0",
        "last_run_message": "Other: HTTP 503 for GET /api/organizations/Other/overview after 6 attempts",
        "last_ok_run_id": "3",
        "last_ok_run_started_at": "2025-11-25T06:00:00Z",
        "last_run_age_hours": "11.0",
        "max_age_hours": "36.0",
        "days_missed": "3",
        "days_missed_recent": "3",
        "missed_days": "2025-11-21 2025-11-23 2025-11-24",
        "last_failure_failed_at": "",
        "last_failure_started_at": "",
        "last_failure_endpoint": "",
        "last_failure_reason": "",
        "last_failure_requests": "",
        "last_failure_exit_code": "",
        "failures_since_last_run": "0",
        "source": "hub",
    }
    assert int(got["last_run_requests"]) > 0
    md = run("status", "--db", str(history), "--now", "2025-11-26T05:00:00Z", "-f", "markdown").stdout
    assert "| last run age | 11.0 h |" in md and "| days missed | 3 in all, 3 in the last 30 days: " in md


def test_status_today_is_not_missed_before_the_run(history: Path) -> None:
    """At 05:00 the 06:00 cron has not run yet: today does not count as missed."""
    _, data = status(history, "2025-11-25T05:00:00Z")
    assert data["missed_days"] == ["2025-11-21", "2025-11-23", "2025-11-24"]


def test_status_is_stale_when_the_last_run_is_too_old(history: Path) -> None:
    code, data = status(history, "2025-11-28T06:00:00Z")
    assert code == 1
    assert data["health"] == "stale"
    assert data["missed_days"][-2:] == ["2025-11-26", "2025-11-27"]
    code, data = status(history, "2025-11-28T06:00:00Z", "--max-age", "72")
    assert code == 3 and data["health"] == "partial"


def test_status_table_for_people(history: Path) -> None:
    result = run("status", "--db", str(history), "--now", "2025-11-26T05:00:00Z")
    assert result.exit_code == 3
    out = result.stdout
    assert "partial: the last run stored some organizations, not all" in out
    assert "#4 2025-11-25T18:00:00Z partial" in out
    assert "3 in all, 3 in the last 30 days: 2025-11-21," in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_status_of_an_empty_database(tmp_path: Path) -> None:
    from oss_tracker.store.open import open_db

    db = tmp_path / "t.db"
    open_db(db).conn.close()
    code, data = status(db, "2025-11-26T05:00:00Z")
    assert code == 1
    assert data["health"] == "empty" and data["last_run"] is None and data["orgs"] == []


def test_status_without_a_database(tmp_path: Path) -> None:
    result = run("status", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"oss-tracker: error: no database at {tmp_path / 'none.db'}: run `oss-tracker sync` first\n"
    )
    assert not (tmp_path / "none.db").exists()


def test_status_and_backup_do_not_import_huggingface_hub(history: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from oss_tracker.cli import app\n"
        f"r = CliRunner().invoke(app, ['status', '--db', {str(history)!r}])\n"
        f"b = CliRunner().invoke(app, ['backup', {str(tmp_path / 'b.db')!r}, '--db', {str(history)!r}])\n"
        "print(r.exit_code, b.exit_code, 'huggingface_hub' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split()[1:] == ["0", "False"]


# -- backup ---------------------------------------------------------------------------------


def test_backup_is_a_checked_single_file_copy(history: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    result = run("backup", str(dest), "--db", str(history))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{dest}\n"
    assert result.stderr.startswith("backed up 4 run(s), ") and result.stderr.endswith(f" to {dest}\n")
    assert dump(dest) == dump(history)
    assert rows(dest, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


def test_backup_into_a_folder_is_dated(history: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    result = run("-q", "backup", str(folder), "--db", str(history))
    assert result.exit_code == 0 and result.stderr == ""
    [made] = list(folder.iterdir())
    assert made.name.startswith("t-20") and made.suffix == ".db"
    assert result.stdout == f"{made}\n"


def test_backup_into_a_folder_written_with_a_slash_makes_it_and_next_week_works(
    history: Path, tmp_path: Path
) -> None:
    """The README's weekly cron line, `backup $HOME/backups/oss-tracker/`, from its very first run:
    the slash says folder (made, parents too), never a file of that name."""
    from datetime import UTC, datetime, timedelta

    from oss_tracker.store.backup import backup

    folder = tmp_path / "backups" / "oss-tracker"
    result = run("-q", "backup", f"{folder}/", "--db", str(history))
    assert result.exit_code == 0, result.stderr
    [made] = list(folder.iterdir())
    assert made.name == f"t-{datetime.now(UTC):%Y-%m-%d}.db"
    assert result.stdout == f"{made}\n" and dump(made) == dump(history)
    later = backup(history, f"{folder}/", now=datetime.now(UTC) + timedelta(days=7))
    assert later.path == folder / f"t-{datetime.now(UTC) + timedelta(days=7):%Y-%m-%d}.db"
    assert sorted(p.name for p in folder.iterdir()) == sorted([made.name, later.path.name])
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    refused = run("backup", f"{taken}/", "--db", str(history))
    assert refused.exit_code == 1
    assert refused.stderr == f"oss-tracker: error: {taken}/ names a folder, but {taken} is a file\n"
    assert taken.read_text() == "not a folder"


def test_backup_into_a_symbolic_link_written_with_a_slash_says_it_is_one(
    history: Path, tmp_path: Path
) -> None:
    """`backup lnk/` where lnk is a dangling symbolic link said "lnk is a file": refused still (no
    link is followed into a write, nor its target made), in words that say what lnk is."""
    dangling, target = tmp_path / "lnk", tmp_path / "gone"
    dangling.symlink_to(target)
    refused = run("backup", f"{dangling}/", "--db", str(history))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"oss-tracker: error: {dangling}/ names a folder, but {dangling} is a symbolic link to nothing "
        "(its target does not exist)\n"
    )
    assert not os.path.lexists(target) and os.readlink(dangling) == str(target)
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    to_file = tmp_path / "to-file"
    to_file.symlink_to(afile)
    refused = run("backup", f"{to_file}/", "--db", str(history))
    assert (
        refused.stderr
        == f"oss-tracker: error: {to_file}/ names a folder, but {to_file} is a symbolic link to a file\n"
    )
    assert refused.exit_code == 1 and afile.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != history.name) == ["afile", "lnk", "to-file"]


def test_backup_never_overwrites_without_force(history: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_text("an older backup")
    result = run("backup", str(dest), "--db", str(history))
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {dest} already exists: pass --force to replace it\n"
    assert dest.read_text() == "an older backup"
    assert run("backup", str(dest), "--db", str(history), "--force").exit_code == 0
    assert dump(dest) == dump(history)


def test_backup_onto_the_database_itself_is_refused(history: Path) -> None:
    before = dump(history)
    result = run("backup", str(history), "--db", str(history), "--force")
    assert result.exit_code == 1 and "is the database itself" in result.stderr
    assert dump(history) == before


@pytest.mark.parametrize("kind", ["missing", "not-sqlite", "no-folder"])
def test_backup_problems_leave_nothing_behind(tmp_path: Path, history: Path, kind: str) -> None:
    source, dest = history, tmp_path / "out" / "copy.db"
    (tmp_path / "out").mkdir()
    if kind == "missing":
        source = tmp_path / "nothing.db"
        message = f"no database at {source}: nothing to back up"
    elif kind == "not-sqlite":
        source = tmp_path / "notes.db"
        source.write_text("not a database\n" * 100)
        message = f"{source} is not a usable SQLite database (file is not a database)"
    else:
        dest = tmp_path / "nowhere" / "copy.db"
        message = f"cannot write {dest}: no folder {dest.parent}"
    result = run("backup", str(dest), "--db", str(source))
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {message}\n"
    assert list((tmp_path / "out").iterdir()) == []


def test_a_backup_that_fails_writing_leaves_no_file(history: Path, tmp_path: Path) -> None:
    """A write error half-way (here a file-size limit, as a full disk would): no partial backup."""
    big = tmp_path / "big.db"
    conn = sqlite3.connect(big)
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (randomblob(1000))", [()] * 300)
    conn.commit()
    conn.close()
    out = tmp_path / "out"
    out.mkdir()

    def limit() -> None:  # in the child: writes past 100 KB fail (EFBIG) instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    proc = subprocess.run(
        [sys.executable, "-m", "oss_tracker", "backup", str(out / "copy.db"), "--db", str(big)],
        capture_output=True, text=True, cwd=ROOT, preexec_fn=limit, env={**os.environ},
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"oss-tracker: error: cannot back up {big} to {out / 'copy.db'}: ")
    assert list(out.iterdir()) == []


# -- a last run in the future; a --now far ahead -----------------------------------------------


def _text(out: str) -> str:
    """A table's text as words, its borders left out."""
    return " ".join(out.translate(str.maketrans("│┃", "  ")).split())


def test_status_flags_a_last_run_in_the_future(history: Path) -> None:
    """It said `health ok`, age -640,776 h, exit 0 while every later sync was refused."""
    code, data = status(history, "2025-11-24T00:00:00Z")  # 42 h before the last run (the 25th, 18:00)
    assert code == 1
    assert data["health"] == "future"
    assert data["last_run_age_hours"] == -42.0
    table = run("status", "--db", str(history), "--now", "2025-11-24T00:00:00Z")
    assert table.exit_code == 1
    assert (
        "health future: the last run is dated 2025-11-25T18:00:00Z, after this machine's clock "
        "(the clock or a recording was wrong); sync refuses every later run database" in _text(table.stdout)
    )
    assert "last run age 42.0 h in the future days missed 2 in all" in _text(table.stdout)
    # Within the clock skew allowed (5 minutes) it is just the last run.
    code, data = status(history, "2025-11-25T17:56:00Z")
    assert (code, data["health"], data["last_run_age_hours"]) == (3, "partial", -0.1)


def test_status_far_ahead_counts_missed_days_without_walking_or_listing_them(history: Path) -> None:
    """`--now 9999-12-31` printed 52 MB, one line per missed day, after walking them one by one."""
    started = time.monotonic()
    result = run("status", "--db", str(history), "--format", "json", "--now", "9999-12-31")
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert len(result.stdout) < 10_000
    data = json.loads(result.stdout)
    total = (date(9999, 12, 31) - date(2025, 11, 20)).days - 3  # runs on the 20th, 22nd and 25th
    assert (data["health"], data["days_missed"], data["days_missed_recent"]) == ("stale", total, 30)
    assert data["missed_days"] == [f"9999-12-{d:02d}" for d in range(1, 31)]
    assert [(o["org"], o["days_missed"]) for o in data["orgs"]] == [("Org", total), ("Other", total)]
    table = run("status", "--db", str(history), "--now", "9999-12-31")
    assert table.exit_code == 1 and len(table.stdout) < 10_000
    assert f"days missed {total:,} in all, 30 in the last 30 days: …, " + ", ".join(
        f"9999-12-{d:02d}" for d in range(21, 31)
    ) in _text(table.stdout)


def test_status_lists_the_last_30_missed_days_and_counts_them_all(history: Path) -> None:
    code, data = status(history, "2026-01-31T05:00:00Z")
    assert code == 1
    # The 21st, 23rd and 24th of November, then every day from the 26th to 30 January: 3 + 66.
    assert (data["days_missed"], data["days_missed_recent"]) == (69, 30)
    assert data["missed_days"] == [f"2026-01-{d:02d}" for d in range(1, 31)]


def test_a_file_of_another_at_the_backups_temporary_name_is_left_alone(history: Path, tmp_path: Path) -> None:
    """The copy is written beside its target under `.NAME.tmp-PID`, made new (O_EXCL): a file that
    is already there is someone else's, and the refusal must not delete it."""
    theirs = tmp_path / f".copy.db.tmp-{os.getpid()}"
    theirs.write_text("someone else's\n")
    result = run("backup", str(tmp_path / "copy.db"), "--db", str(history))
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: cannot write ") and "File exists" in result.stderr
    assert theirs.read_text() == "someone else's\n"
    assert not (tmp_path / "copy.db").exists()
