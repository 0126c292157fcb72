"""The baseline: the script an analyst would write instead of oss-tracker (issue 18).

    python bench/naive_script.py --endpoint URL --db FILE.db [--derivatives] ORG [ORG ...]

huggingface_hub's `list_models(author=org, expand=[...])` for each org, one org after the
other, then (with `--derivatives`) one `model_info(expand=["childrenModelCount"])` per model,
and the rows into sqlite3 with `executemany`, one transaction. It asks for the same listing
fields the tracker stores and keeps the same columns, but does none of the tracker's other
work: no overview (so no check that a listing is complete), no datasets or Spaces, no values
checked, no renames, removals or events, no totals. Kept as plain as an analyst would write
it: the yardstick `bench/vs_naive.py` holds the tracker to.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime

from huggingface_hub import HfApi

EXPAND = [
    "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "trendingScore", "tags",
    "cardData", "pipeline_tag", "library_name", "gated", "safetensors", "sha",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--derivatives", action="store_true", help="one model_info per model")
    parser.add_argument("orgs", nargs="+")
    args = parser.parse_args()

    api = HfApi(endpoint=args.endpoint, token=False)
    conn = sqlite3.connect(args.db)
    conn.execute("""CREATE TABLE IF NOT EXISTS models (
        day TEXT, org TEXT, id TEXT, created_at TEXT, last_modified TEXT, downloads INTEGER,
        downloads_all_time INTEGER, likes INTEGER, trending REAL, license TEXT, pipeline_tag TEXT,
        library_name TEXT, parameters INTEGER, gated TEXT, sha TEXT, PRIMARY KEY (day, id))""")
    conn.execute("""CREATE TABLE IF NOT EXISTS derivatives (
        day TEXT, id TEXT, finetune INTEGER, quantized INTEGER, adapter INTEGER, merge INTEGER,
        PRIMARY KEY (day, id))""")
    day = datetime.now(UTC).date().isoformat()
    n = requests = 0
    for org in args.orgs:
        rows = []
        for m in api.list_models(author=org, expand=EXPAND):
            license = next((t[8:] for t in m.tags or [] if t.startswith("license:")), None)
            rows.append((
                day, org, m.id,
                m.created_at.isoformat() if m.created_at else None,
                m.last_modified.isoformat() if m.last_modified else None,
                m.downloads, m.downloads_all_time, m.likes, m.trending_score, license,
                m.pipeline_tag, m.library_name,
                m.safetensors.total if m.safetensors else None,
                str(m.gated), m.sha,
            ))  # fmt: skip
        requests += len(rows) // 1000 + 1
        conn.executemany(f"INSERT OR REPLACE INTO models VALUES ({', '.join('?' * 15)})", rows)
        n += len(rows)
        if args.derivatives:
            for row in rows:
                children = api.model_info(row[2], expand=["childrenModelCount"]).children_model_count or {}
                if isinstance(children, int):
                    children = {}
                conn.execute(
                    "INSERT OR REPLACE INTO derivatives VALUES (?, ?, ?, ?, ?, ?)",
                    (day, row[2], *(children.get(k) for k in ("finetune", "quantized", "adapter", "merge"))),
                )
                requests += 1
    conn.commit()
    conn.close()
    print(f"{n} models, ~{requests} requests", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
