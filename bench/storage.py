"""Storage: bytes per model-snapshot row, from SQLite's own page accounting (dbstat).

    python bench/storage.py [--db HISTORY.db] [--days 10]

Two databases: the 2-year synthetic history (bench/synth.py, or --db), and one written by
real syncs (`oss-tracker sync --derivatives none`, the four default orgs of
fixtures/worlds/2025-11-24.json on --days consecutive days), so that page fill is the one
daily inserts leave. Per row: the model_snapshots table and its index, and the whole file.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from _common import OSS_TRACKER, ROOT, env, machine, run_child, table, workdir
from synth import build_history

from tests.fakehub import FakeHub

DEFAULT_ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]


def measure(name: str, path: Path) -> list[list[object]]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    rows = conn.execute("SELECT count(*) FROM model_snapshots").fetchone()[0]
    sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    payload = conn.execute(
        "SELECT sum(payload), sum(pgsize - unused) FROM dbstat WHERE name = 'model_snapshots'"
    ).fetchone()
    file_bytes = path.stat().st_size + sum(
        Path(f"{path}{x}").stat().st_size for x in ("-wal",) if Path(f"{path}{x}").exists()
    )
    table_b, index_b = sizes.get("model_snapshots", 0), sizes.get("model_snapshots_model", 0)
    per = lambda n: f"{n / rows:.1f}"  # noqa: E731
    return [
        [
            name,
            f"{rows:,}",
            per(payload[0]),
            per(table_b),
            per(index_b),
            per(table_b + index_b),
            per(file_bytes),
            f"{file_bytes / 2**20:,.1f} MiB",
        ],  # fmt: skip
    ]


def synced(tmp: Path, days: int) -> Path:
    world = json.loads((ROOT / "fixtures" / "worlds" / "2025-11-24.json").read_text())
    db = tmp / "synced.db"
    with FakeHub(world) as hub:
        for day in range(days):
            args = [OSS_TRACKER, "sync", "--db", str(db), "--endpoint", hub.url, "--derivatives", "none",
                    "--now", f"2025-11-{1 + day:02d}T06:00:00"]  # fmt: skip
            for org in DEFAULT_ORGS:
                args += ["--org", org]
            _w, code, _rss, err = run_child(args, env(tmp))
            if code != 0:
                sys.exit(f"sync failed ({code}): {err.strip()}")
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="the 2-year history (built there if missing)")
    parser.add_argument("--days", type=int, default=10, help="days of real syncs")
    args = parser.parse_args()
    with workdir() as tmp:
        big = args.db or tmp / "history.db"
        if not big.exists():
            build_history(big)
        rows = measure("2-year synthetic history", big)
        rows += measure(f"{args.days} real syncs, 4 default orgs", synced(tmp, args.days))
    print(f"machine: {machine()}\n")
    print(
        table(
            [
                "database",
                "snapshot rows",
                "payload B/row",
                "table B/row",
                "index B/row",
                "table + index B/row",
                "file B/row",
                "file",
            ],  # fmt: skip
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
