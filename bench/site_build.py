"""`oss-tracker site` on two years of history: the whole site's build time, and its pages' sizes.

    python bench/site_build.py [--db HISTORY.db] [--rounds 5] [--models 5]

Builds (or reuses, with --db) the synthetic history of bench/synth.py: 730 days, 20 orgs,
5,000 models, about 3.6 million snapshot rows. Then runs `oss-tracker site OUT` as a user would
(a new process each round, OUT replaced each time: the previous site is there, as after
yesterday's cron run), and prints its wall and CPU time (median of the rounds), peak RSS, the
machine's load beside them, and the site: pages, bytes, the largest page. Then, in process, how
the time splits between reading the reports (reports/site.py) and writing the files
(render/site), best of 3. Target (issue 17): the whole site under 10 s, each page under 1 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import OSS_TRACKER, env, machine, median, mib, table, workdir
from synth import build_history


def timed(args: list[str], environ: dict[str, str]) -> tuple[float, float, int, str, int]:
    """(wall s, CPU s (user + system), peak RSS bytes, stderr, exit code) of a child."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    return (
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss * 1024,
        err,
        os.waitstatus_to_exitcode(status),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="an existing synthetic history (else one is built)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", type=int, default=5, help="`site --models`: pages per account")
    args = parser.parse_args()
    with workdir() as tmp:
        db = args.db
        if db is None or not db.exists():
            db = db or tmp / "history.db"
            print(f"building {db} ...", file=sys.stderr)
            build_history(db)
        out = tmp / "site"
        environ = env(tmp)
        command = [OSS_TRACKER, "site", str(out), "--db", str(db), "--models", str(args.models)]
        rounds = []
        for _ in range(args.rounds):
            load = os.getloadavg()[0]
            wall, cpu, rss, err, code = timed(command, environ)
            if code != 0:
                sys.exit(f"site failed ({code}): {err}")
            rounds.append((wall, cpu, rss, load))
        pages = sorted(out.rglob("*.html"))
        sizes = {str(p.relative_to(out)): p.stat().st_size for p in pages}
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        library = next((out / "assets").glob("plotly-*.min.js"))
        largest = max(sizes.items(), key=lambda kv: kv[1])
        print(f"**Machine.** {machine()}\n")
        print(
            f"`oss-tracker site OUT --db {db.name} --models {args.models}`, {args.rounds} rounds (a new process each):\n"
        )
        print(
            table(
                ["round", "wall", "CPU (user + sys)", "peak RSS", "load (1 min) before"],
                [
                    [i + 1, f"{w:.2f} s", f"{c:.2f} s", mib(r), f"{load:.2f}"]
                    for i, (w, c, r, load) in enumerate(rounds)
                ],
            )
        )
        print(
            f"\nmedian wall {median([r[0] for r in rounds]):.2f} s, median CPU {median([r[1] for r in rounds]):.2f} s; "
            f"{len(pages)} pages and feed.xml, {total / 1e6:.1f} MB in all, of which {library.name} "
            f"{library.stat().st_size / 1e6:.1f} MB (once, shared by every page); largest page {largest[0]} "
            f"{largest[1] / 1e3:,.0f} KB; median page {median(list(sizes.values())) / 1e3:,.0f} KB; "
            f"pages over 1 MB: {sum(1 for s in sizes.values() if s >= 1_000_000)}"
        )
        print("\nIn process, best of 3 (reading the reports, then writing the files):\n")
        split = in_process(db, tmp / "site2", args.models)
        print(table(["step", "time"], [[k, f"{v:.2f} s"] for k, v in split.items()]))


def in_process(db: Path, out: Path, models: int) -> dict[str, float]:
    from oss_tracker.render.site import write_site
    from oss_tracker.reports.site import build_site
    from oss_tracker.store.open import open_readonly
    from oss_tracker.watchlist import load

    best = {
        "reports (reports/site.py build_site)": float("inf"),
        "files (render/site write_site)": float("inf"),
    }
    for _ in range(3):
        conn = open_readonly(db)
        start = time.perf_counter()
        site = build_site(conn, load(None, explicit=False), models=models)
        built = time.perf_counter()
        write_site(site, out)
        done = time.perf_counter()
        conn.close()
        best["reports (reports/site.py build_site)"] = min(
            best["reports (reports/site.py build_site)"], built - start
        )
        best["files (render/site write_site)"] = min(best["files (render/site write_site)"], done - built)
    return best


if __name__ == "__main__":
    main()
