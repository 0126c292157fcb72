"""The fast read-only open knows exactly the migrations that store/schema.py registers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oss_tracker.store import open as dbfile
from oss_tracker.store import schema
from tests.conftest import FIXTURES, ROOT, before_migration, older_refused, rows, run


def test_schema_list_matches_the_migrations() -> None:
    assert dbfile.SCHEMA == schema.KNOWN


def test_open_readonly_only_for_a_current_database(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert dbfile.open_readonly(db) is None  # no file
    dbfile.open_db(db).conn.close()
    conn = dbfile.open_readonly(db)
    assert conn is not None
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    conn.close()
    (tmp_path / "junk.db").write_text("not a database")
    assert dbfile.open_readonly(tmp_path / "junk.db") is None


def _schema(db: Path) -> list[tuple[str, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def _applied(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_migrations_make_what_sqlite_utils_makes_and_each_reads_the_others_files(tmp_path: Path) -> None:
    """The tracker applies its migrations without sqlite-utils (its import costs a first sync
    ~75 ms): the same tables, indexes, views and `_sqlite_migrations` rows, character for
    character, as sqlite-utils' own runner makes; a file sqlite-utils began is finished by the
    tracker, and sqlite-utils finds nothing pending in the tracker's."""
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    def theirs() -> Migrations:
        out = Migrations("oss_tracker")
        for m in schema.migrations._migrations:
            out(name=m.name)(m.fn)
        return out

    ours_db, theirs_db, half_db = tmp_path / "ours.db", tmp_path / "theirs.db", tmp_path / "half.db"
    dbfile.open_db(ours_db).close()
    with sqlite_utils.Database(theirs_db) as db:
        theirs().apply(db)
        db.execute("PRAGMA journal_mode = wal")
    assert _schema(ours_db) == _schema(theirs_db)
    # In the order they are written in (m011 and m012 came after m013), as both runners apply them.
    written = [m.name for m in schema.migrations._migrations]
    assert set(written) == schema.KNOWN
    assert _applied(ours_db) == _applied(theirs_db) == [("oss_tracker", name) for name in written]
    with sqlite_utils.Database(ours_db) as db:
        assert theirs().pending(db) == []
    with sqlite_utils.Database(half_db) as db:
        theirs().apply(db, stop_before="m005_report_indexes")
    assert len(_applied(half_db)) == 4
    dbfile.open_db(half_db).close()
    assert _schema(half_db) == _schema(ours_db)
    assert _applied(half_db) == _applied(ours_db)


# -- a file an older version wrote: reports refuse it, the sync migrates it once ------------------------
REPORTS = (("trends",), ("compare",), ("top",), ("status",), ("report", "--org", "Qwen"), ("changes",))


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first two bundled recordings: the third is the sync of these tests."""
    db = tmp_path_factory.mktemp("two-days") / "t.db"
    for day in ("2025-11-24", "2025-11-25"):
        assert run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day)).exit_code == 0
    return db


def test_a_report_never_migrates_an_older_file(two_days: Path, bundled_history: Path, tmp_path: Path) -> None:
    """A migration of a long history holds the write lock for seconds: a report that migrated made
    the cron sync fail that day. Every report refuses the file in one line and leaves it as it is;
    the sync upgrades it."""
    older = before_migration(two_days, tmp_path / "older.db", "m007_derivative_latest", "derivative_latest")
    for command in REPORTS:
        assert older_refused(older, *command), command
    synced = run("sync", "--db", str(older), "--replay", str(FIXTURES / "replay" / "2025-11-27"))
    assert synced.exit_code == 0, synced.stderr
    assert sorted(_applied(older)) == sorted(_applied(bundled_history))
    assert run("trends", "--db", str(older)).exit_code == 0


def test_a_sync_waits_for_another_process_migrating_and_finds_the_migration_done(
    two_days: Path, bundled_history: Path, tmp_path: Path
) -> None:
    """Another process (here the test's own connection) applies m007 in a transaction it holds for
    a while. The sync, in a process of its own, waits for the lock (no "database is locked",
    though its statements give up after 2 s), then reads the migrations inside its own IMMEDIATE
    transaction, finds m007 applied and does not apply it twice ("table already exists"), and
    stores its run."""
    older = before_migration(two_days, tmp_path / "older.db", "m007_derivative_latest", "derivative_latest")
    other = dbfile.Store(sqlite3.connect(older))
    other.conn.execute("BEGIN IMMEDIATE")
    schema.m007_derivative_latest(other)
    other.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('oss_tracker', ?, 'now')",
        ["m007_derivative_latest"],
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "OSS_TRACKER_DB")}
    env["PYTHONPATH"] = str(ROOT / "src")
    sync = subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", "-q", "sync", "--db", str(older),
         "--replay", str(FIXTURES / "replay" / "2025-11-27")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        time.sleep(3.0)  # longer than the sync's 2 s busy timeout
        assert sync.poll() is None  # still waiting for the lock
        other.conn.execute("COMMIT")
        out, err = sync.communicate(timeout=60)
    finally:
        other.close()
        if sync.poll() is None:
            sync.kill()
    assert (sync.returncode, err) == (0, "")
    assert sorted(_applied(older)) == sorted(_applied(bundled_history))  # each migration once
    assert rows(older, "SELECT count(*) FROM runs") == rows(bundled_history, "SELECT count(*) FROM runs")
