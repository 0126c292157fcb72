"""The fast read-only open knows exactly the migrations that store/schema.py registers."""

from __future__ import annotations

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
