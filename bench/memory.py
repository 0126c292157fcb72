"""Peak RSS and CPU of `oss-tracker sync` for one org of 2,000, 20,000 and 100,000 models.

    python bench/memory.py [--sizes 2000 20000 100000]

Each size: a synthetic world (bench/synth.py), the fake Hub in its own process (no latency),
then the real CLI, `oss-tracker sync --org ORG --derivatives none`, as a child whose peak
resident set (getrusage ru_maxrss) is read when it ends. A first sync inserts every model; a
second one, the next day, updates them (the daily case). CPU is the child's user + system time
(start-up included); the CPU a model is the slope between the smallest size and each larger one,
so that start-up and the run's fixed costs drop out.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _common import (
    OSS_TRACKER,
    PYTHON,
    ROOT,
    env,
    fakehub_process,
    load_range,
    machine,
    mib,
    run_child,
    run_measured,
    table,
    workdir,
)

LIMIT = 150 * 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000, 100000])
    args = parser.parse_args()
    rows = []
    cpu: dict[tuple[str, int], float] = {}
    loads: list[float] = []
    with workdir() as tmp:
        environ = env(tmp)
        _w, _c, base_rss, _e = run_child([OSS_TRACKER, "--version"], environ)
        rows.append(["`oss-tracker --version`", "", "", mib(base_rss), "", "", "", ""])
        for n in args.sizes:
            # Made by another process: a child forked from this one while it held the world would
            # start with this process's pages, and its peak RSS would count them (300 MB at 100,000).
            org, world_file, db = "big-00", tmp / f"world-{n}.json", tmp / f"sync-{n}.db"
            subprocess.run([PYTHON, str(ROOT / "bench" / "synth.py"), "world", str(world_file), "--sizes", str(n)],
                           check=True, stderr=subprocess.DEVNULL)  # fmt: skip
            with fakehub_process(world_file) as url:
                for day, label in (
                    ("2025-11-24T06:00:00", "first sync (inserts)"),
                    ("2025-11-25T06:00:00", "next day (updates)"),
                ):
                    cmd = [OSS_TRACKER, "sync", "--org", org, "--derivatives", "none", "--endpoint", url,
                           "--db", str(db), "--now", day]  # fmt: skip
                    child = run_measured(cmd, environ)
                    if child.code != 0:
                        sys.exit(f"sync of {org} failed ({child.code}): {child.err.strip()}")
                    loads.append(child.load)
                    cpu[(label, n)] = child.cpu
                    smallest = min(args.sizes)
                    slope = (
                        f"{(child.cpu - cpu[(label, smallest)]) / (n - smallest) * 1e6:.0f} µs"
                        if n > smallest
                        else ""
                    )
                    print(
                        f"{org} {label}: {child.wall:.1f} s, cpu {child.cpu:.2f} s, {mib(child.rss)}, "
                        f"load {child.load:.2f}; {child.err.strip().splitlines()[-1]}",
                        file=sys.stderr,
                    )
                    rows.append([f"sync of 1 org, {label}", f"{n:,}", f"{child.wall:.1f} s", mib(child.rss),
                                 "yes" if child.rss < LIMIT else "NO", f"{child.cpu:.2f} s", slope,
                                 f"{child.load:.1f}"])  # fmt: skip
    print(f"machine: {machine()}; {load_range(loads)} during the syncs\n")
    print(
        table(
            ["run", "models", "wall time", "peak RSS", "under 150 MB", "CPU", "CPU a model (slope)", "load"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
