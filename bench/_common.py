"""Helpers shared by the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.fakehub

PYTHON = sys.executable
OSS_TRACKER = str(Path(sys.executable).parent / "oss-tracker")
PAGE = 1000  # the Hub's listing page size, and the fake Hub's
# `oss-tracker --version` through the Typer app (every command built, then Typer's eager option),
# the reference of the "a report within 2x --version" goals: the command line itself answers
# `oss-tracker --version` before importing Typer (bench/startup.py measures both).
TYPER_VERSION = [PYTHON, "-c", "import sys\nsys.argv = ['oss-tracker', '--version']\n"
                 "from oss_tracker.cli import load\nload()(prog_name='oss-tracker')\n"]  # fmt: skip


def env(tmp: Path) -> dict[str, str]:
    """The environment of a measured child: bytecode cached (as after `pip install`), no token,
    an empty huggingface_hub home, no debug switch."""
    out = dict(os.environ)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "oss-tracker-bench-pycache")
    out["HF_HOME"] = str(tmp / "hf-home")
    out["HF_HUB_DISABLE_TELEMETRY"] = "1"
    for name in ("HF_TOKEN", "HF_ENDPOINT", "OSS_TRACKER_DB", "OSS_TRACKER_DEBUG"):
        out.pop(name, None)
    return out


@contextmanager
def workdir(keep: Path | None = None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="oss-tracker-bench-") as tmp:
        yield Path(tmp)


def run_child(
    args: list[str], environ: dict[str, str], *, stdout=subprocess.DEVNULL
) -> tuple[float, int, int, str]:
    """Run a child to its end: (wall seconds, exit code, peak RSS in bytes, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=environ, stdout=stdout, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss * 1024, err


@dataclass
class Child:
    """One measured child process: wall and CPU seconds (user + system), exit code, peak RSS,
    stderr, and the machine's 1-minute load average when it started."""

    wall: float
    cpu: float
    code: int
    rss: int
    err: str
    load: float


def run_measured(args: list[str], environ: dict[str, str]) -> Child:
    """Run a child to its end, as run_child, with its CPU time and the load it started under."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read() if proc.stderr else ""  # before waiting: a full pipe would block the child
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(wall, usage.ru_utime + usage.ru_stime, proc.returncode, usage.ru_maxrss * 1024, err, load)


def load_range(loads: list[float]) -> str:
    """The 1-minute load averages seen, as `load 1.2–2.3` (2 cores: above 2 the CPUs were shared)."""
    return f"load {min(loads):.1f}–{max(loads):.1f}" if loads else ""


@contextmanager
def fakehub_process(
    world: Path,
    *,
    latency: float = 0.0,
    quota: int = 100_000,
    window: float = 300.0,
    archive: tuple[Path, str] | None = None,
) -> Iterator[str]:
    """tests/fakehub.py in its own process (so that it does not share the GIL or the RSS of
    what is measured), with TCP_NODELAY (see fakehub_nodelay.py); yields its URL. `archive`:
    (file, commit date) of a one-day `cfahlgren1/hub-stats` to serve as well."""
    args = [PYTHON, str(ROOT / "bench" / "fakehub_nodelay.py"), str(world), "--latency", str(latency),
            "--quota", str(quota), "--window", str(window)]  # fmt: skip
    if archive is not None:
        args += ["--archive", str(archive[0]), "--archive-at", archive[1]]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().strip() if proc.stdout else ""
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake Hub did not start ({url!r})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def author(item: dict) -> str:
    return item.get("author") or str(item.get("id", "")).split("/", 1)[0]


def lower_bound(world: dict, orgs: list[str]) -> dict[str, int]:
    """Requests a listing-only sync cannot do without: one overview per org, one listing page per
    1000 models (at least one), per 1000 datasets and per 1000 Spaces (none when there are none)."""
    out = {"overview": len(orgs), "models": 0, "datasets": 0, "spaces": 0}
    for kind in ("models", "datasets", "spaces"):
        counts: dict[str, int] = {}
        for item in world.get(kind) or []:
            counts[author(item)] = counts.get(author(item), 0) + 1
        for org in orgs:
            n = counts.get(org, 0)
            out[kind] += max(1, math.ceil(n / PAGE)) if kind == "models" else math.ceil(n / PAGE)
    out["total"] = sum(out.values())
    return out


def chain(world: dict, org: str) -> int:
    """Round trips an org costs in a row with the shipped pools: its overview, then the longest of
    its listings (models, datasets and Spaces are listed side by side once the overview is in)."""
    b = lower_bound(world, [org])
    return 1 + max(b["models"], b["datasets"], b["spaces"])


def summary_requests(stderr: str) -> int | None:
    """The request count of the sync's one summary line."""
    m = re.search(r"(\d+) requests", stderr)
    return int(m.group(1)) if m else None


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{load}"
    )


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (numbers right-aligned), printed as it is pasted into docs/benchmarks.md."""
    cells = [[str(c) for c in r] for r in rows]
    out = ["| " + " | ".join(headers) + " |"]
    out.append("|" + "|".join("---:" if _numeric(rows, i) else "---" for i in range(len(headers))) + "|")
    out += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(out)


def _numeric(rows: list[list[object]], i: int) -> bool:
    return bool(rows) and all(
        isinstance(r[i], int | float) or re.match(r"^[\d,.×x\-+ %]+(ms|s|MiB|B)?$", str(r[i])) for r in rows
    )


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2)
