"""Peak RSS of `oss-tracker sync` for one org of 20,000 models (and smaller ones, for the slope).

    python bench/memory.py [--sizes 2000 20000]

Each size: a synthetic world (bench/synth.py), the fake Hub in its own process (no latency),
then the real CLI, `oss-tracker sync --org ORG --derivatives none`, as a child whose peak
resident set (getrusage ru_maxrss) is read when it ends. A first sync inserts every model; a
second one, the next day, updates them (the daily case).
"""

from __future__ import annotations

import argparse
import json
import sys

from _common import OSS_TRACKER, env, fakehub_process, machine, mib, run_child, table, workdir
from synth import make_world

LIMIT = 150 * 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000])
    args = parser.parse_args()
    rows = []
    with workdir() as tmp:
        environ = env(tmp)
        _w, _c, base_rss, _e = run_child([OSS_TRACKER, "--version"], environ)
        rows.append(["`oss-tracker --version`", "", "", mib(base_rss), ""])
        for n in args.sizes:
            org = f"big-{n}"
            world_file = tmp / f"{org}.json"
            world_file.write_text(json.dumps(make_world({org: n})))
            db = tmp / f"{org}.db"
            with fakehub_process(world_file) as url:
                for day, label in (
                    ("2025-11-24T06:00:00", "first sync (inserts)"),
                    ("2025-11-25T06:00:00", "next day (updates)"),
                ):
                    cmd = [OSS_TRACKER, "sync", "--org", org, "--derivatives", "none", "--endpoint", url,
                           "--db", str(db), "--now", day]  # fmt: skip
                    wall, code, rss, err = run_child(cmd, environ)
                    if code != 0:
                        sys.exit(f"sync of {org} failed ({code}): {err.strip()}")
                    print(
                        f"{org} {label}: {wall:.1f} s, {mib(rss)}; {err.strip().splitlines()[-1]}",
                        file=sys.stderr,
                    )
                    rows.append([f"sync of 1 org, {label}", f"{n:,}", f"{wall:.1f} s", mib(rss),
                                 "yes" if rss < LIMIT else "NO"])  # fmt: skip
    print(f"machine: {machine()}\n")
    print(table(["run", "models", "wall time", "peak RSS", "under 150 MB"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
