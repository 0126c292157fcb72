"""Helpers of the reliability tests: a database's content in a form two runs can be compared by.

Surrogate keys (`models.id`, `orgs.id`, `events.id`) depend on the order in which
concurrent orgs were saved, so they are left out and every reference to a model or
an org is replaced by its natural key (`_id`, org name). Run ids stay: they are the
history's own numbering. The wall-clock finish time and the request count of a run
(retries add requests) and the migrations' timestamps are left out too; everything
else, every row of every table, is compared, but for `failed_syncs`: the trace a failed
sync leaves after its run was rolled back is no change to the history (tests/test_failed_syncs.py
checks it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

NATURAL_KEYS = {"models": "hub_id", "orgs": "name"}
VOLATILE = {("runs", "finished_at"), ("runs", "requests")}


def content(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), with natural keys in place of surrogate ones."""
    conn = sqlite3.connect(f"{Path(db).absolute().as_uri()}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT IN ('_sqlite_migrations', 'failed_syncs') ORDER BY name"
            )
        ]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            refs = {
                fk[3]: fk[2]
                for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
                if fk[2] in NATURAL_KEYS
            }
            parts = []
            for _, name, kind, _, _, pk in columns:
                if (table, name) in VOLATILE:
                    continue
                if table in NATURAL_KEYS and name == "id" and pk and kind.upper() == "INTEGER":
                    continue
                if table == "events" and name == "id":
                    continue
                if name in refs:
                    target = refs[name]
                    parts.append(f'(SELECT {NATURAL_KEYS[target]} FROM {target} WHERE id = t."{name}")')
                else:
                    parts.append(f't."{name}"')
            rows = conn.execute(f'SELECT {", ".join(parts)} FROM "{table}" AS t').fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def without(state: dict[str, list[tuple[Any, ...]]], *tables: str) -> dict[str, list[tuple[Any, ...]]]:
    return {k: v for k, v in state.items() if k not in tables}


def isolated_env(monkeypatch: Any, folder: Path) -> None:
    """What conftest's autouse `_quiet_env` sets per test, for module-scoped fixtures (set up before it)."""
    monkeypatch.setenv("OSS_TRACKER_RETRY_WAIT", "0")
    monkeypatch.setenv("OSS_TRACKER_MAX_WAIT", "0")
    monkeypatch.setenv("HF_HOME", str(folder / "hf-home"))
    for name in ("HF_TOKEN", "HF_ENDPOINT", "OSS_TRACKER_DB", "OSS_TRACKER_DEBUG"):
        monkeypatch.delenv(name, raising=False)
