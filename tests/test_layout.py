"""The layout is the architecture: each stage imports only what lies below it, and nothing loops.

Every `import` and `from ... import` of every module is read (module level, inside functions and
under TYPE_CHECKING alike: a lazy import is still a dependency), so the rules hold as the package
grows. Data enters in hub/, is kept by store/, read by reports/ into a plain report model, shown
by render/; sync/ runs hub/ into store/, and cli/ wires them. The shared vocabulary (records,
errors, licences, names, values, the watch list...) sits at the top and imports no stage.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "oss_tracker"
STAGES = ("cli", "hub", "sync", "store", "reports", "render")

# stage -> stages (or modules) it must never import, and why
FORBIDDEN = {
    "hub": (
        {"store", "sync", "reports", "render", "cli"},
        "the Hub layer knows HTTP, nothing of SQLite or reports",
    ),
    "store": ({"hub", "sync", "reports", "render", "cli"}, "the store knows SQLite, nothing of HTTP"),
    "sync": ({"reports", "render", "cli"}, "a sync fetches and stores; it shows nothing"),
    "reports": ({"hub", "sync", "render", "cli"}, "reports read the database into a report model"),
    "render": (
        {"hub", "sync", "store", "cli"},
        "render turns a report model into text, never touches the database",
    ),
    "": ({"cli", "hub", "sync", "store", "reports", "render"}, "the shared vocabulary depends on no stage"),
}
# render/ may take the report model from reports/, and nothing else of it.
RENDER_MAY_USE = {"oss_tracker.reports.model"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("oss_tracker", *parts))] = path
    return found


MODULES = modules()


def imports(name: str) -> set[str]:
    """The package's own modules that `name` imports, wherever in the file."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            # `from oss_tracker.store import totals` names a module; `from x import f` a name in x
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in MODULES and t != name}
    return out


GRAPH = {name: imports(name) for name in MODULES}


def stage(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES) else ""


def test_every_stage_is_a_package_and_the_top_level_holds_only_shared_vocabulary() -> None:
    for s in STAGES:
        assert (PACKAGE / s / "__init__.py").is_file(), f"{s}/ is not a package"
    top = sorted(n for n in MODULES if stage(n) == "" and n != "oss_tracker")
    assert top == [
        "oss_tracker.__main__",
        "oss_tracker.errors",
        "oss_tracker.escape",
        "oss_tracker.files",
        "oss_tracker.humanize",
        "oss_tracker.licenses",
        "oss_tracker.names",
        "oss_tracker.records",
        "oss_tracker.values",
        "oss_tracker.watchlist",
    ]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_stage_imports_what_it_must_not(module: str) -> None:
    here = stage(module)
    if module in ("oss_tracker", "oss_tracker.__main__"):
        return  # the package's face and `python -m` lead to the command line
    banned, why = FORBIDDEN.get(here, (set(), ""))
    for target in sorted(GRAPH[module]):
        there = stage(target)
        if here == "render" and there == "reports":
            assert target in RENDER_MAY_USE, (
                f"{module} imports {target}: render/ may use only the report model"
            )
            continue
        assert there not in banned, f"{module} imports {target}: {why}"


def test_no_import_cycle_anywhere_in_the_package() -> None:
    cycles = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)


def test_the_graph_is_read_at_all() -> None:
    """A guard on the reader itself: edges that exist must be seen (else every rule passes)."""
    assert "oss_tracker.hub.parse" in GRAPH["oss_tracker.hub.client"]
    assert "oss_tracker.reports.model" in GRAPH["oss_tracker.render.formats"]
    assert "oss_tracker.store.totals" in GRAPH["oss_tracker.store.schema"]  # a lazy import
    assert "oss_tracker.cli.core" in GRAPH["oss_tracker.cli.options"]


def test_report_commands_load_no_hub_client_nor_heavy_libraries(
    tmp_path: Path, bundled_history: Path
) -> None:
    """`report` in every format (and `top`, `trends --by company`, `changes --since`, `model`)
    imports neither huggingface_hub nor sqlite-utils nor numpy, nor pyarrow (the backfill's and
    export's Parquet library); into a pipe (as here) not even rich: a table for a pipe or a file
    is drawn without it."""
    runs = [["report", "--org", "Qwen", "-f", fmt] for fmt in ("table", "json", "csv", "markdown")]
    runs += [["top", "-f", "json"], ["trends", "--by", "company", "--metric", "share"]]
    runs += [
        ["changes", "--since", "2025-11-24", "-f", "markdown"],
        ["model", "Qwen/Qwen3-8B", "-f", "table"],
    ]
    for argv in runs:
        code = (
            "import os, sys\n"
            "_exit = os._exit\n"
            "def _report(code):  # a report ends with os._exit (no teardown): look before it\n"
            "    heavy = sorted(m for m in ('huggingface_hub', 'httpx2', 'sqlite_utils', 'numpy', 'pandas',"
            " 'matplotlib', 'rich', 'pyarrow', 'duckdb') if m in sys.modules)\n"
            "    print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
            "    sys.stderr.flush()\n"
            "    _exit(code)\n"
            "os._exit = _report\n"
            "from oss_tracker.cli import main\n"
            f"sys.argv = ['oss-tracker', *{argv!r}, '--db', {str(bundled_history)!r}]\n"
            "main()\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "HEAVY [] EXIT 0" in result.stderr, (argv, result.stderr)


def test_the_site_command_loads_no_hub_client_nor_heavy_libraries(
    tmp_path: Path, bundled_history: Path
) -> None:
    """`site` reads the database and writes files: no huggingface_hub or httpx2, no sqlite-utils, and
    not even plotly's Python package (only its plotly.min.js file is copied)."""
    out = tmp_path / "site"
    code = (
        "import sys\n"
        "from oss_tracker.cli import main\n"
        f"sys.argv = ['oss-tracker', '-q', 'site', {str(out)!r}, '--db', {str(bundled_history)!r}, '--models', '1']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('huggingface_hub', 'httpx2', 'sqlite_utils', 'numpy', 'pandas', 'matplotlib',"
        " 'pyarrow', 'plotly', 'narwhals') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr
    assert (out / "index.html").is_file()


@pytest.mark.parametrize(("fmt", "loaded"), [("csv", []), ("parquet", ["numpy", "pyarrow"])])
def test_export_loads_no_pandas(tmp_path: Path, bundled_history: Path, fmt: str, loaded: list[str]) -> None:
    """Issue 18's "no numpy or pandas unless a chart is drawn", as far as export can keep it: a CSV
    export loads neither (nor pyarrow, nor sqlite-utils); a Parquet one loads pyarrow, which imports
    numpy itself when it is installed (`import pyarrow` does, whatever is written: documented in
    docs/benchmarks.md), but never pandas (pyarrow imports it only to convert pandas objects)."""
    code = (
        "import sys\n"
        "from oss_tracker.cli import main\n"
        f"sys.argv = ['oss-tracker', '-q', 'export', {str(tmp_path / 'out')!r}, '-f', {fmt!r},"
        f" '--db', {str(bundled_history)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('huggingface_hub', 'httpx2', 'sqlite_utils', 'numpy', 'pandas', 'matplotlib',"
        " 'pyarrow', 'plotly') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"HEAVY {loaded}" in result.stderr
    assert (tmp_path / "out" / f"models.{fmt}").is_file()
