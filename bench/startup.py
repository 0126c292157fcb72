"""Start-up: wall time and import time of `--version`, `--help` and the report commands, and the
heavy modules each one loads.

    python bench/startup.py [--rounds 9]

Every command runs against a small database (bench/synth.py: 4 orgs, 200 models, 30 days), so
what is measured is start-up, not queries. Wall time: median of interleaved rounds.
Import time: the sum of `python -X importtime` self times. Modules: read from sys.modules
when the command exits.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from _common import OSS_TRACKER, PYTHON, env, machine, median, ms, run_child, table, workdir
from synth import build_history

HEAVY = ("huggingface_hub", "httpx2", "numpy", "pandas", "matplotlib", "pydantic", "sqlite_utils", "rich")
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(m for m in {heavy!r} if m in sys.modules) + '\\n'))\n"
    "sys.argv = ['oss-tracker', *{args!r}]\n"
    "from oss_tracker.cli import main\n"
    "main()\n"
)


def commands(db: str) -> list[tuple[str, list[str]]]:
    return [
        ("--version", ["--version"]),
        ("--help", ["--help"]),
        ("report --help", ["report", "--help"]),
        ("report --org lab-00", ["report", "--org", "lab-00", "--db", db]),
        ("trends", ["trends", "--db", db]),
        ("compare", ["compare", "--db", db]),
        ("derivatives", ["derivatives", "--db", db]),
        ("releases", ["releases", "--db", db]),
        ("licenses", ["licenses", "--db", db]),
        ("status", ["status", "--db", db, "--max-age", "1000000"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with workdir() as tmp:
        db = tmp / "small.db"
        build_history(db, orgs=4, models=200, days=30, quiet=True)
        environ = env(tmp)
        cmds = commands(str(db))
        for _name, argv in cmds:  # warm the bytecode cache and the OS page cache
            run_child([OSS_TRACKER, *argv], environ)
        walls: dict[str, list[float]] = {name: [] for name, _ in cmds}
        for _ in range(args.rounds):
            for name, argv in cmds:
                wall, code, _rss, err = run_child([OSS_TRACKER, *argv], environ)
                if code != 0:
                    sys.exit(f"{name} failed ({code}): {err.strip()}")
                walls[name].append(wall)
        rows = []
        version = median(walls["--version"])
        for name, argv in cmds:
            probe = subprocess.run(
                [PYTHON, "-X", "importtime", "-c", PROBE.format(heavy=HEAVY, args=argv)],
                env=environ, capture_output=True, text=True,
            )  # fmt: skip
            self_us = sum(int(m.group(1)) for m in re.finditer(r"import time:\s+(\d+) \|", probe.stderr))
            loaded = re.search(r"MODULES (.*)", probe.stderr)
            mods = loaded.group(1).split() if loaded else ["?"]
            wall = median(walls[name])
            rows.append([f"`oss-tracker {name}`", ms(wall), f"{wall / version:.2f}", ms(self_us / 1e6),
                         ", ".join(mods) or "none of them"])  # fmt: skip
    print(f"machine: {machine()}\nrounds: {args.rounds} (median)\n")
    print(
        table(
            [
                "command",
                "wall time",
                "× --version",
                "import time",
                f"heavy modules loaded (of {', '.join(HEAVY)})",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
