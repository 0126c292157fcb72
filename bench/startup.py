"""Start-up: wall and CPU time of `--version`, `--help` and the report commands, as ratios to
`python -c pass` run beside them, the import time, and the heavy modules each one loads.

    python bench/startup.py [--rounds 15]

Every command runs against a small database (bench/synth.py: 4 orgs, 200 models, 30 days), so
what is measured is start-up, not queries; stdout is /dev/null (not a terminal: the plain
table path, as in cron or a pipe). Paired runs: each round runs `python -c pass` and then every
command once, in turn, and a command's ratio is the median over the rounds of its time divided
by that round's `python -c pass` (so a load that comes and goes weighs on both). CPU is the
child's user + system time. The 1-minute load average is read before every round: its range is
printed beside every row.

Also measured, to show what is Typer's own: `python -c "import typer"`, and `--version` the way
it ran before it was answered without Typer (the whole app built, then Typer's eager option),
which is the reference of the older goal "a report within 2x --version" (docs/benchmarks.md).
Import time: the sum of `python -X importtime` self times (it inflates them). Modules: read from
sys.modules when the command exits.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

from _common import OSS_TRACKER, PYTHON, env, machine, ms, table, workdir
from synth import build_history

HEAVY = ("huggingface_hub", "httpx2", "numpy", "pandas", "matplotlib", "pydantic", "sqlite_utils", "rich")
PROBE = (
    "import atexit, os, sys\n"
    "def _heavy():\n"
    "    sys.stderr.write('MODULES ' + ' '.join(m for m in {heavy!r} if m in sys.modules) + '\\n')\n"
    "    sys.stderr.flush()\n"
    "atexit.register(_heavy)\n"
    "_exit = os._exit\n"
    "os._exit = lambda code: (_heavy(), _exit(code))  # a report ends without Python's teardown\n"
    "sys.argv = ['oss-tracker', *{args!r}]\n"
    "from oss_tracker.cli import main\n"
    "main()\n"
)
# `--version` through Typer, as before it was answered first: every command built, then the
# eager option (the reference of the "2x --version" goal).
TYPER_VERSION = (
    "import sys\n"
    "sys.argv = ['oss-tracker', '--version']\n"
    "from oss_tracker.cli import load\n"
    "load()(prog_name='oss-tracker')\n"
)
VERSION_LIMIT = 4.0  # x python -c pass
REPORT_LIMIT = 6.0  # x python -c pass
REPORTS = ("report --org lab-00", "trends", "compare", "derivatives", "releases", "licenses", "status")


def commands(db: str) -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass", [PYTHON, "-c", "pass"]),
        ('python -c "import typer"', [PYTHON, "-c", "import typer"]),
        ("--version (through Typer, as before)", [PYTHON, "-c", TYPER_VERSION]),
        ("--version", [OSS_TRACKER, "--version"]),
        ("--help", [OSS_TRACKER, "--help"]),
        ("report --help", [OSS_TRACKER, "report", "--help"]),
        ("report --org lab-00", [OSS_TRACKER, "report", "--org", "lab-00", "--db", db]),
        ("report --org lab-00 -f json", [OSS_TRACKER, "report", "--org", "lab-00", "--db", db, "-f", "json"]),
        ("trends", [OSS_TRACKER, "trends", "--db", db]),
        ("compare", [OSS_TRACKER, "compare", "--db", db]),
        ("derivatives", [OSS_TRACKER, "derivatives", "--db", db]),
        ("releases", [OSS_TRACKER, "releases", "--db", db]),
        ("licenses", [OSS_TRACKER, "licenses", "--db", db]),
        ("status", [OSS_TRACKER, "status", "--db", db, "--max-age", "876000"]),
    ]


def run(argv: list[str], environ: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one child, stdout to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with workdir() as tmp:
        db = tmp / "small.db"
        build_history(db, orgs=4, models=200, days=30, quiet=True)
        environ = env(tmp)
        cmds = commands(str(db))
        for _name, argv in cmds:  # warm the bytecode cache and the OS page cache
            run(argv, environ)
        wall: dict[str, list[float]] = {name: [] for name, _ in cmds}
        cpu: dict[str, list[float]] = {name: [] for name, _ in cmds}
        wall_ratio: dict[str, list[float]] = {name: [] for name, _ in cmds}
        cpu_ratio: dict[str, list[float]] = {name: [] for name, _ in cmds}
        loads: list[float] = []
        for _ in range(args.rounds):
            loads.append(os.getloadavg()[0])
            base_wall = base_cpu = 0.0
            for name, argv in cmds:
                w, c, code = run(argv, environ)
                if code != 0:
                    sys.exit(f"{name} failed ({code})")
                if name == "python -c pass":
                    base_wall, base_cpu = w, c
                wall[name].append(w)
                cpu[name].append(c)
                wall_ratio[name].append(w / base_wall)
                cpu_ratio[name].append(c / max(base_cpu, 1e-4))
        loads.append(os.getloadavg()[0])
        load = f"{min(loads):.1f}–{max(loads):.1f}"
        rows = []
        med = statistics.median
        version = med(wall_ratio["--version"])
        typer_version = med(wall_ratio["--version (through Typer, as before)"])
        for name, argv in cmds:
            mods: list[str] = []
            self_us = 0
            if argv[0] == OSS_TRACKER:
                probe = subprocess.run(
                    [PYTHON, "-X", "importtime", "-c", PROBE.format(heavy=HEAVY, args=argv[1:])],
                    env=environ, capture_output=True, text=True,
                )  # fmt: skip
                self_us = sum(int(m.group(1)) for m in re.finditer(r"import time:\s+(\d+) \|", probe.stderr))
                loaded = re.search(r"MODULES (.*)", probe.stderr)
                mods = loaded.group(1).split() if loaded else ["?"]
            r = med(wall_ratio[name])
            rows.append([
                f"`{name}`" if name.startswith("python") else f"`oss-tracker {name}`" if "(" not in name
                else f"`oss-tracker {name.split(' (')[0]}` ({name.split(' (')[1]}",
                ms(med(wall[name])), f"{r:.2f}", f"{med(cpu_ratio[name]):.2f}",
                f"{r / version:.2f}", f"{r / typer_version:.2f}",
                ms(self_us / 1e6) if self_us else "", (", ".join(mods) or "none of them") if argv[0] == OSS_TRACKER else "",
                load,
            ])  # fmt: skip
        worst = max(med(wall_ratio[r]) for r in REPORTS)
    print(f"machine: {machine()}\nrounds: {args.rounds} (paired, medians); 1-minute load {load}\n")
    print(
        table(
            ["command", "wall", "× pass (wall)", "× pass (CPU)", "× --version", "× --version via Typer",
             "import time", f"heavy modules loaded (of {', '.join(HEAVY)})", "load"],
            rows,
        )
    )  # fmt: skip
    print(
        f"\n--version: {version:.2f} x python -c pass (goal <= {VERSION_LIMIT:g}: "
        f"{'met' if version <= VERSION_LIMIT else 'NOT met'}); slowest report: {worst:.2f} x "
        f"(goal <= {REPORT_LIMIT:g}: {'met' if worst <= REPORT_LIMIT else 'NOT met'}); "
        f"{worst / typer_version:.2f} x --version through Typer (goal <= 2)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
