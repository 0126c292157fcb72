"""Opening an up-to-date database for reading with plain sqlite3 (reports start faster).

Anything unusual (no file, not SQLite, an older or newer schema) returns None, and the
caller falls back to store.open_db, which migrates or explains the problem.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# The migrations of store.py, in order (tests/test_dbfile.py keeps the two in step).
SCHEMA = frozenset(
    {
        "m001_initial",
        "m002_derivatives",
        "m003_views",
        "m004_datasets_spaces",
        "m005_report_indexes",
        "m006_org_run_totals",
        "m007_derivative_latest",
        "m008_runs_day",
    }
)


def open_readonly(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to an oss-tracker database whose schema is current, else None."""
    if not path.is_file():
        return None
    try:
        # as_uri() escapes `#`, `?` and `%`: in a raw `file:` URI they would name another file.
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        applied = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'oss_tracker'"
            ).fetchall()
        }
    except sqlite3.Error:
        conn.close()
        return None
    if applied != SCHEMA:
        conn.close()
        return None
    return conn
