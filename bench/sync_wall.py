"""Sync wall time against the fake Hub with 100 ms per request: concurrent vs one request at a time.

    python bench/sync_wall.py [--latency 0.1] [--watchlist 50] [--repeat 1]

tests/fakehub.py runs in its own process with `--latency 0.1` (every answer waits 100 ms);
`sync.run_sync` runs here, as `oss-tracker sync` calls it, with the shipped concurrency
(run_sync's defaults, read from its signature: 16 org workers, 8 derivative workers; the org
pool is capped at the number of orgs) and with one worker of each (one request at a time, the
same requests). Also with 4 org workers (the default before) and one worker per org, to show
what the org pool size costs.
Listing-only runs use `--derivatives none`; the derivative run uses `auto` under a quota
of 300 requests a window, so its budget (~250 counts) is the same for both runs.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, chain, fakehub_process, load_range, lower_bound, machine, table, workdir
from synth import make_world, watchlist_sizes

DEFAULT_ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]


def shipped_workers() -> tuple[int, int]:
    """run_sync's default org and derivative workers (what `oss-tracker sync` uses)."""
    from oss_tracker.sync.run import run_sync

    params = inspect.signature(run_sync).parameters
    return params["workers"].default, params["derivative_workers"].default


def one_sync(world_file: Path, orgs: list[str], db: Path, *, latency: float, workers: int,
             derivative_workers: int, mode: str, quota: int) -> tuple[float, int, str]:  # fmt: skip
    from oss_tracker.hub import client as hub
    from oss_tracker.store import open as store
    from oss_tracker.sync.run import run_sync

    with fakehub_process(world_file, latency=latency, quota=quota) as url:
        database = store.open_db(db)
        session = hub.connect(endpoint=url, token=False)
        try:
            start = time.perf_counter()
            summary = run_sync(
                database, session, orgs, now=datetime.now(UTC), workers=workers,
                derivative_mode=mode, derivative_workers=derivative_workers,
            )  # fmt: skip
            wall = time.perf_counter() - start
        finally:
            session.close()
            database.conn.close()
    return wall, summary.requests, summary.line()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--watchlist", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=1, help="interleaved rounds of each case (the median is kept)"
    )
    args = parser.parse_args()
    rows = []
    with workdir() as tmp:
        os.environ["HF_HOME"] = str(tmp / "hf-home")  # no token, no cache of the user's
        os.environ.pop("HF_TOKEN", None)
        fixture_file = ROOT / "fixtures" / "worlds" / "2025-11-24.json"
        fixture = json.loads(fixture_file.read_text())
        sizes = watchlist_sizes(args.watchlist)
        synthetic = make_world(sizes)
        synthetic_file = tmp / "watchlist.json"
        synthetic_file.write_text(json.dumps(synthetic))
        org_w, der_w = shipped_workers()
        n = args.watchlist
        cases = [
            # name, world file, world, orgs, derivative mode, quota, [(label, org workers, derivative workers)]
            ("4 default orgs, listing only", fixture_file, fixture, DEFAULT_ORGS, "none", 100_000,
             [(f"shipped ({org_w} org workers, {min(org_w, 4)} used)", org_w, der_w), ("one at a time", 1, 1)]),
            (f"{n} orgs, listing only", synthetic_file, synthetic, list(sizes), "none", 100_000,
             [(f"shipped ({min(org_w, n)} org workers)", org_w, der_w), ("4 org workers (the old default)", 4, der_w),
              (f"{n} org workers", n, der_w), ("one at a time", 1, 1)]),
            ("4 default orgs, + derivative counts (auto, quota 300)", fixture_file, fixture, DEFAULT_ORGS, "auto", 300,
             [(f"shipped ({min(org_w, 4)} + {der_w} workers)", org_w, der_w), ("one at a time", 1, 1)]),
        ]  # fmt: skip
        for name, world_file, world, orgs, mode, quota, variants in cases:
            bound = lower_bound(world, orgs)
            floor = max(chain(world, org) for org in orgs) * args.latency
            walls: dict[str, list[float]] = {label: [] for label, _w, _d in variants}
            loads: list[float] = []
            results = {}
            for i in range(args.repeat):  # interleaved rounds: load that comes and goes hits every variant
                for label, workers, dworkers in variants:
                    db = tmp / f"{abs(hash((name, label, i)))}.db"
                    loads.append(os.getloadavg()[0])
                    wall, requests, line = one_sync(
                        world_file, orgs, db, latency=args.latency, workers=workers,
                        derivative_workers=dworkers, mode=mode, quota=quota,
                    )  # fmt: skip
                    print(f"{name} / {label}: {wall:.2f} s; {line}", file=sys.stderr)
                    walls[label].append(wall)
                    results[label] = (statistics.median(walls[label]), requests)
            serial = results["one at a time"][0]
            for label, (wall, requests) in results.items():
                rows.append([
                    name, label, requests, f"{wall:.2f} s",
                    f"{requests * args.latency:.1f} s", f"{floor:.1f} s" if mode == "none" else "",
                    f"{wall / serial:.2f}", load_range(loads),
                ])  # fmt: skip
            if mode == "none":
                print(f"{name}: listing bound {bound['total']} requests", file=sys.stderr)
    print(
        f"machine: {machine()}\nlatency: {args.latency * 1000:.0f} ms a request (fake Hub in its own process)\n"
    )
    print(
        table(
            [
                "sync",
                "workers",
                "requests",
                "wall time",
                "requests × latency (the sum)",
                "slowest org's chain (overview, longest listing)",
                "ratio to one at a time",
                "machine load (the case's runs)",
            ],  # fmt: skip
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
