"""Derivative counts within the quota (issue 3): requests against the lower bound, wall time
against one request at a time, and peak RSS of the sync.

    python bench/derivative_quota.py [--latency 0.1] [--quota 300] [--days 5]

The four default orgs (fixtures/worlds/2025-11-24.json: 1,154 models, datasets and Spaces)
are synced with `--derivatives auto` against tests/fakehub.py answering each request after
100 ms, under a fixed-window quota of 300 requests: after its listing the sync refreshes as
many counts as the RateLimit headers leave above the reserve it keeps for the user's other
tools (10 % of the quota, at least 20). The fake Hub runs in this process (with TCP_NODELAY,
see fakehub_nodelay.py; a new one for each run, so each starts with a full window) and logs
every request it answers; the sync runs in a child process whose peak resident set
(getrusage ru_maxrss, through wait4) is read when it ends, as bench/memory.py does:

- `oss-tracker sync --derivatives auto`, the command cron runs (shipped workers);
- `sync.run_sync` in a child with the shipped workers (run_sync's defaults) and with one worker
  of each: the same requests, one at a time. Its wall time is timed around run_sync alone;
- the same `oss-tracker sync` on the next `--days` - 1 days (the same world, a new window each
  day), on the first run's database: how many days the rotation takes to count every model.

Lower bound: one overview per org, one listing page per 1000 models (at least one), per 1000
datasets and per 1000 Spaces where the overview counts any, and one model_info request per
count refreshed.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import OSS_TRACKER, PYTHON, ROOT, chain, env, lower_bound, machine, mib, table, workdir

DEFAULT_ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]
WORLD = ROOT / "fixtures" / "worlds" / "2025-11-24.json"
DAY1 = datetime(2025, 11, 24, 6, tzinfo=UTC)
NOW = DAY1.strftime("%Y-%m-%dT%H:%M:%S")


def shipped_workers() -> tuple[int, int]:
    """run_sync's default org and derivative workers (what `oss-tracker sync` uses)."""
    from oss_tracker.sync.run import run_sync

    params = inspect.signature(run_sync).parameters
    return params["workers"].default, params["derivative_workers"].default


def child(url: str, db: str, workers: int, derivative_workers: int) -> int:
    """In the child: one run_sync, as the CLI calls it; its figures as one JSON line on stdout."""
    from oss_tracker.hub import client as hub
    from oss_tracker.store import open as store
    from oss_tracker.sync.run import run_sync

    database = store.open_db(Path(db))
    session = hub.connect(endpoint=url, token=False)
    try:
        start = time.perf_counter()
        summary = run_sync(
            database, session, DEFAULT_ORGS, now=DAY1,
            workers=workers, derivative_mode="auto", derivative_workers=derivative_workers,
        )  # fmt: skip
        wall = time.perf_counter() - start
    finally:
        session.close()
        database.conn.close()
    d = summary.derivatives
    print(json.dumps({"wall": wall, "requests": summary.requests, "refreshed": d.refreshed if d else 0,
                      "stale": d.stale if d else 0, "failed": d.failed if d else 0, "line": summary.line()}))  # fmt: skip
    return 0


# A child's peak RSS (wait4) counts its parent's pages until it execs, and this process grows
# (the fake Hub's log, the world): run through GNU time, which forks from its own small image,
# the figure is the sync's own.
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None


def run(args: list[str], environ: dict[str, str], tmp: Path) -> tuple[float, float, int, str, str, int]:
    """A child to its end: (wall s, CPU s, peak RSS bytes, stdout, stderr, exit code)."""
    out_file, err_file, rss_file = tmp / "child.out", tmp / "child.err", tmp / "child.rss"
    if GNU_TIME:
        args = [GNU_TIME, "-o", str(rss_file), "-f", "%M", *args]
    start = time.perf_counter()
    with out_file.open("w") as out, err_file.open("w") as err:
        proc = subprocess.Popen(args, env=environ, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    rss = int(rss_file.read_text().split()[-1]) * 1024 if GNU_TIME else usage.ru_maxrss * 1024
    return (wall, usage.ru_utime + usage.ru_stime, rss, out_file.read_text(),
            err_file.read_text(), code)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--quota", type=int, default=300)
    parser.add_argument("--days", type=int, default=5, help="daily CLI runs on the first database")
    parser.add_argument("--child", nargs=4, metavar=("URL", "DB", "WORKERS", "DERIVATIVE_WORKERS"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.child:
        url, db, w, dw = args.child
        return child(url, db, int(w), int(dw))

    import fakehub_nodelay  # noqa: F401 - TCP_NODELAY on the fake Hub's connections

    from tests.fakehub import HARNESS_PATH, FakeHub

    world = json.loads(WORLD.read_text())
    listing = lower_bound(world, DEFAULT_ORGS)
    slowest = max(chain(world, org) for org in DEFAULT_ORGS)
    org_w, der_w = shipped_workers()
    shipped = f"{min(org_w, len(DEFAULT_ORGS))} + {der_w} workers"
    variants = [
        # label, run the CLI?, org workers, derivative workers, database, day
        (f"`oss-tracker sync` (shipped: {shipped})", True, org_w, der_w, "cli.db", DAY1),
        (f"run_sync, shipped ({shipped})", False, org_w, der_w, "shipped.db", DAY1),
        ("run_sync, one at a time (1 + 1)", False, 1, 1, "serial.db", DAY1),
    ]
    variants += [
        (f"`oss-tracker sync`, day {d + 1}", True, org_w, der_w, "cli.db", DAY1 + timedelta(days=d))
        for d in range(1, args.days)
    ]
    results = []
    with workdir() as tmp:
        environ = env(tmp)
        for label, cli, w, dw, db_name, day in variants:
            db = tmp / db_name
            with FakeHub(world, latency=args.latency, quota=args.quota) as hub:
                if cli:
                    cmd = [OSS_TRACKER, "sync", "--db", str(db), "--endpoint", hub.url, "--derivatives", "auto",
                           "--now", day.strftime("%Y-%m-%dT%H:%M:%S")]  # fmt: skip
                    for org in DEFAULT_ORGS:
                        cmd += ["--org", org]
                else:
                    cmd = [
                        PYTHON,
                        str(Path(__file__).resolve()),
                        "--child",
                        hub.url,
                        str(db),
                        str(w),
                        str(dw),
                    ]
                load = os.getloadavg()[0]
                wall, cpu, rss, out, err, code = run(cmd, environ, tmp)
                if code != 0:
                    sys.exit(f"{label}: sync failed ({code}): {err.strip()}")
                if cli:
                    line = err.strip().splitlines()[-1]
                    m = re.search(r"(\d+) requests.*derivatives: (\d+) refreshed, (\d+) left stale", line)
                    if m is None:
                        sys.exit(f"{label}: no summary line: {line!r}")
                    data = {"wall": wall, "requests": int(m.group(1)), "refreshed": int(m.group(2)),
                            "stale": int(m.group(3)), "line": line}  # fmt: skip
                else:
                    data = json.loads(out.strip().splitlines()[-1])
                log = [r for r in hub.requests if r["path"].rstrip("/") != HARNESS_PATH]
            with closing(sqlite3.connect(db)) as conn:
                data["never"] = conn.execute(
                    "SELECT count(*) FROM models WHERE removed_at IS NULL"
                    " AND id NOT IN (SELECT model_id FROM derivative_counts)"
                ).fetchone()[0]
            routes = [r["path"].rstrip("/") for r in log]
            counted = {
                "overview": sum(p.startswith("/api/organizations/") for p in routes),
                "model pages": sum(p == "/api/models" for p in routes),
                "repo pages": sum(p in ("/api/datasets", "/api/spaces") for p in routes),
                "model_info": sum(p.startswith("/api/models/") for p in routes),
                "total": len(routes),
                "429": sum(r["status"] == 429 for r in log),
                "not 200": sum(r["status"] != 200 for r in log),
            }
            if counted["not 200"]:
                print(f"{label}: {counted['not 200']} answers were not 200", file=sys.stderr)
            print(
                f"{label}: {wall:.2f} s (process), {cpu:.2f} s CPU, {mib(rss)}, load {load:.2f}; {data['line']}",
                file=sys.stderr,
            )
            results.append((label, w, dw, wall, cpu, rss, data, counted, load))

    models = sum(1 for m in world["models"] if (m.get("author") or m["id"].split("/")[0]) in DEFAULT_ORGS)
    serial = next(r[6]["wall"] for r in results if r[1] == 1 and r[2] == 1)
    rows = []
    for label, w, dw, _wall, cpu, rss, data, counted, load in results:
        refreshed = data["refreshed"]
        bound = listing["total"] + refreshed
        # What the latency alone costs with these pools: the listing (the slowest org's chain, or
        # the listing requests shared by the org workers and as many side workers, or one at a
        # time with one worker), then the counts, `dw` at a time.
        at_once = 1 if w == 1 else 2 * min(w, len(DEFAULT_ORGS))
        floor = (
            max(slowest, math.ceil(listing["total"] / at_once)) + math.ceil(refreshed / dw)
        ) * args.latency
        own = "" if data["requests"] == counted["total"] else f" (the sync counted {data['requests']})"
        rows.append([
            label,
            f"{counted['total']} / {bound}{own}",
            f"{counted['overview']} + {counted['model pages'] + counted['repo pages']} + {counted['model_info']}",
            f"{refreshed} / {data['never']:,}",
            f"{args.quota - counted['total']}, {counted['429']} × 429",
            f"{data['wall']:.2f} s",
            f"{floor:.1f} s",
            f"{data['wall'] / serial:.2f}",
            f"{cpu:.1f} s",
            mib(rss),
            f"{load:.1f}",
        ])  # fmt: skip
    print(
        f"machine: {machine()}\nlatency: {args.latency * 1000:.0f} ms a request; quota {args.quota} requests "
        f"a window; 4 default orgs, {models:,} models; bound {listing['overview']} overviews + "
        f"{listing['models'] + listing['datasets'] + listing['spaces']} listing pages + one model_info a count\n"
    )
    print(
        table(
            [
                "sync (--derivatives auto)",
                "requests (measured / bound)",
                "overviews + listing pages + model_info",
                "counts refreshed / never counted after",
                f"quota left of {args.quota}",
                "wall time",
                "latency floor",
                "ratio to one at a time",
                "CPU",
                "peak RSS",
                "machine load",
            ],  # fmt: skip
            rows,
        )
    )
    print(
        "\nwall time: the CLI row is the whole process (start-up included); the run_sync rows, run_sync alone;"
        "\nmachine load: the 1-minute load average as the run started (2 cores);"
        + (
            "\npeak RSS: the sync's own, from /usr/bin/time"
            if GNU_TIME
            else "\npeak RSS: from wait4, which counts this process's pages too: at least "
            f"{mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
