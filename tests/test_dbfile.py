"""The fast read-only open knows exactly the migrations that store/schema.py registers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from oss_tracker.store import open as dbfile
from oss_tracker.store import schema


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
