"""The tracker against the script an analyst would write (bench/naive_script.py), side by side.

    python bench/vs_naive.py [--latency 0.05 0.1] [--rounds 7] [--daily] [--derivatives] [--derivative-rounds 3]

For each latency, the fake Hub (tests/fakehub.py with TCP_NODELAY, bench/fakehub_nodelay.py)
runs in its own process with the four default orgs of fixtures/worlds/2025-11-24.json, each
answer waiting that long. Then, in pairs, whole processes into new databases (first syncs):

- listing only: `oss-tracker sync --derivatives none --org ...` (overviews, models, datasets,
  Spaces, every check, events and totals) against `naive_script.py ORG...` (models only);
- with `--daily`, the same from a copy of a database one run old (the tracker's run of the day
  before): the daily sync, updates, renames and removals checked, instead of a first one;
- with `--derivatives`: `oss-tracker sync --derivatives all` (a count for every model, 8 at a
  time, as shipped) against `naive_script.py --derivatives` (one `model_info` per model, in turn).

The two commands of a pair run back to back, their order alternating from round to round, and
the ratio (tracker / script) is taken pair by pair: load that comes and goes hits both. Medians;
the spread of the ratios; CPU (user + system) of each process; and the machine's 1-minute load
average when each pair started (2 cores: above 2, the two processes shared CPUs with others).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import (
    OSS_TRACKER,
    PYTHON,
    ROOT,
    Child,
    env,
    fakehub_process,
    load_range,
    machine,
    run_measured,
    summary_requests,
    table,
    workdir,
)

DEFAULT_ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]
WORLD = ROOT / "fixtures" / "worlds" / "2025-11-24.json"


def tracker_cmd(url: str, db: str, derivatives: str) -> list[str]:
    args = [OSS_TRACKER, "sync", "--db", db, "--endpoint", url, "--derivatives", derivatives]
    for org in DEFAULT_ORGS:
        args += ["--org", org]
    return args


def naive_cmd(url: str, db: str, derivatives: bool) -> list[str]:
    script = str(ROOT / "bench" / "naive_script.py")
    return [
        PYTHON,
        script,
        "--endpoint",
        url,
        "--db",
        db,
        *(["--derivatives"] if derivatives else []),
        *DEFAULT_ORGS,
    ]


def compare(tmp, latency: float, rounds: int, derivatives: bool, daily: bool = False) -> dict:
    """Paired runs at one latency; returns the medians and spreads. With `daily`, each run
    starts from a copy of a database one run old (the tracker's dated the day before)."""
    environ = env(tmp)
    tracker: list[Child] = []
    naive: list[Child] = []
    ratios: list[float] = []
    loads: list[float] = []
    with fakehub_process(WORLD, latency=latency) as url:
        seeds = _seeds(tmp, url, environ) if daily else {}
        for i in range(rounds):
            pair: dict[str, Child] = {}
            order = ("tracker", "naive") if i % 2 == 0 else ("naive", "tracker")
            for who in order:
                db = str(tmp / f"{who}-{latency}-{derivatives}-{daily}-{i}.db")
                if daily:
                    shutil.copyfile(seeds[who], db)
                cmd = (
                    tracker_cmd(url, db, "all" if derivatives else "none")
                    if who == "tracker"
                    else naive_cmd(url, db, derivatives)
                )
                child = run_measured(cmd, environ)
                if child.code != 0:
                    sys.exit(f"{who} failed ({child.code}): {child.err.strip()[-2000:]}")
                pair[who] = child
                loads.append(child.load)
            tracker.append(pair["tracker"])
            naive.append(pair["naive"])
            ratios.append(pair["tracker"].wall / pair["naive"].wall)
            print(
                f"{latency * 1000:.0f} ms, {'derivatives' if derivatives else 'listing'}, round {i + 1}: "
                f"tracker {pair['tracker'].wall:.2f} s (cpu {pair['tracker'].cpu:.2f}), "
                f"script {pair['naive'].wall:.2f} s (cpu {pair['naive'].cpu:.2f}), "
                f"ratio {ratios[-1]:.2f}, load {pair[order[0]].load:.2f}",
                file=sys.stderr,
            )
    return {
        "tracker": statistics.median(c.wall for c in tracker),
        "naive": statistics.median(c.wall for c in naive),
        "tracker_cpu": statistics.median(c.cpu for c in tracker),
        "naive_cpu": statistics.median(c.cpu for c in naive),
        "ratio": statistics.median(ratios),
        "spread": f"{min(ratios):.2f}–{max(ratios):.2f}",
        "requests": summary_requests(tracker[-1].err),
        "naive_requests": summary_requests(naive[-1].err),
        "load": load_range(loads),
        "last_line": tracker[-1].err.strip().splitlines()[-1],
    }


def _seeds(tmp, url: str, environ: dict[str, str]) -> dict[str, Path]:
    """A database of each after one run: the tracker's dated yesterday, so that today's is a daily sync."""
    out = {"tracker": tmp / "seed-tracker.db", "naive": tmp / "seed-naive.db"}
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for who, cmd in (
        ("tracker", [*tracker_cmd(url, str(out["tracker"]), "none"), "--now", yesterday]),
        ("naive", naive_cmd(url, str(out["naive"]), False)),
    ):
        out[who].unlink(missing_ok=True)
        child = run_measured(cmd, environ)
        if child.code != 0:
            sys.exit(f"{who} (seed) failed ({child.code}): {child.err.strip()[-2000:]}")
        if Path(f"{out[who]}-wal").exists():  # closed cleanly, SQLite leaves no log: the file is whole
            sys.exit(f"{who} (seed) left a write-ahead log")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, nargs="*", default=[0.05, 0.1], help="seconds per answer")
    parser.add_argument(
        "--rounds", type=int, default=7, help="pairs of listing-only runs per latency (0: none)"
    )
    parser.add_argument(
        "--daily", action="store_true", help="also compare next-day (daily) listing-only syncs"
    )
    parser.add_argument("--derivatives", action="store_true", help="also compare with derivative counts")
    parser.add_argument("--derivative-rounds", type=int, default=3, help="pairs with derivative counts")
    args = parser.parse_args()
    rows = []
    with workdir() as tmp:
        cases = [
            ("listing only, first sync", False, False, args.rounds),
            ("listing only, next day", False, True, args.rounds if args.daily else 0),
            ("counts of every model", True, False, args.derivative_rounds if args.derivatives else 0),
        ]
        for name, derivatives, daily, rounds in [c for c in cases if c[3] > 0]:
            for latency in args.latency:
                r = compare(tmp, latency, rounds, derivatives, daily)
                print(f"  {r['last_line']}", file=sys.stderr)
                rows.append([
                    name,
                    f"{latency * 1000:.0f} ms", rounds,
                    f"{r['tracker']:.2f} s", f"{r['naive']:.2f} s", f"{r['ratio']:.2f}", r["spread"],
                    f"{r['tracker_cpu']:.2f} s", f"{r['naive_cpu']:.2f} s",
                    f"{r['requests']} / ~{r['naive_requests']}", r["load"],
                ])  # fmt: skip
    print(f"machine: {machine()}\n")
    print(
        table(
            [
                "sync",
                "latency",
                "pairs",
                "tracker",
                "script",
                "ratio (median)",
                "ratio spread",
                "tracker CPU",
                "script CPU",
                "requests (tracker / script)",
                "machine load",
            ],
            rows,
        )  # fmt: skip
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
