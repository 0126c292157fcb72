"""The README and docs state facts the code can check: these tests keep them true."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import typer

from oss_tracker.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command(*path: str):  # a Click command, as Typer builds it (Typer carries its own Click)
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _options(command) -> set[str]:
    """The long options a user can type (hidden ones, such as --now, and --help left out)."""
    return {
        opt
        for p in command.params
        if p.param_type_name == "option" and not p.hidden
        for opt in (*p.opts, *p.secondary_opts)
        if opt.startswith("--") and opt != "--help"
    }


def _block_after(heading: str) -> str:
    """The first code block after a README heading."""
    rest = README.split(heading, 1)[1]
    return rest.split("```", 2)[1]


def test_the_sync_synopsis_lists_every_option() -> None:
    synopsis = _block_after("### sync")
    assert synopsis.lstrip("\n").startswith("oss-tracker sync ")
    written = set(re.findall(r"--[a-z][a-z-]*", synopsis))
    assert written == _options(_command("sync")), "the README's sync synopsis and `sync --help` differ"


def test_the_watch_add_line_lists_every_option() -> None:
    line = " ".join(README.split("`oss-tracker watch add ACCOUNT", 1)[1].split("`", 1)[0].split())
    assert set(re.findall(r"--[a-z][a-z-]*", line)) == _options(_command("watch", "add")) - {"--check"}


def test_the_cron_sample_summary_line_is_in_todays_format() -> None:
    from oss_tracker.store.writes import OrgSaved
    from oss_tracker.sync.derivatives import DerivativesSummary
    from oss_tracker.sync.run import SyncSummary

    orgs = [OrgSaved("a", 1000, 3, 0, 0), OrgSaved("b", 200, 0, 0, 0), OrgSaved("c", 30, 0, 0, 0),
            OrgSaved("d", 4, 0, 0, 0)]  # fmt: skip
    summary = SyncSummary(
        run_id=87,
        status="ok",
        orgs=orgs,
        failed={},
        incomplete={},
        removed=[],
        requests=412,
        derivatives=DerivativesSummary("auto", refreshed=380, stale=854),
        repos={"dataset": 12, "space": 30},
    )
    assert f"`{summary.line()}`" in README


def test_the_python_versions_named_are_ones_that_run_the_tool() -> None:
    # Ubuntu 22.04's python3 is 3.10, below requires-python; 24.04 (3.12) and Debian 12 (3.11) fit.
    assert "Ubuntu 22.04 and" not in README
    assert re.search(r"Ubuntu 24\.04 and Debian 12 have both", README)
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()


def test_every_relative_link_of_the_readme_and_docs_exists() -> None:
    for doc in [ROOT / "README.md", ROOT / "DESIGN.md", *sorted((ROOT / "docs").glob("*.md"))]:
        prose = re.sub(r"(`+).*?\1", "", doc.read_text(encoding="utf-8"), flags=re.S)  # not in code
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", prose):
            assert (doc.parent / target).exists(), f"{doc.name} links to {target}, which does not exist"
    assert "](docs/hub-api.md)" in README.split("## Development", 1)[1]
    assert "/work/shared" not in README


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_gitignore_lists_no_tracked_file() -> None:
    ignored = subprocess.run(
        ["git", "ls-files", "-ci", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert ignored.returncode == 0, ignored.stderr
    assert ignored.stdout == ""


def test_the_readme_test_command_is_what_ci_runs() -> None:
    """The README says its test command is exactly what `.ci/run` runs (Chromium included)."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    [command] = [line for line in ci if "pytest -q" in line and not line.startswith("#")]
    block = README.split("runs the whole test suite (exactly what `.ci/run` runs):", 1)[1]
    assert block.split("```sh\n", 1)[1].split("\n```", 1)[0] == command
    assert "apt-get install -y -qq chromium" in command


def test_the_site_synopsis_lists_every_option() -> None:
    synopsis = _block_after("### site")
    assert synopsis.lstrip("\n").startswith("oss-tracker site OUT ")
    assert set(re.findall(r"--[a-z][a-z-]*", synopsis)) == _options(_command("site"))


# -- DESIGN.md: the map of the package ------------------------------------------------------------

PACKAGE = ROOT / "src" / "oss_tracker"
STAGE_DIRS = ("hub", "sync", "store", "reports", "render", "cli")


def _design() -> str:
    path = ROOT / "DESIGN.md"
    assert path.is_file(), "DESIGN.md is missing (the contributor guide, README and src/ point at it)"
    return path.read_text(encoding="utf-8")


def _package_modules() -> list[str]:
    """Every module of the package as a path under src/oss_tracker/ (`hub/client.py`)."""
    return sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )


def _py_names(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w./-])((?:[\w-]+/)*\w+\.py)\b", text))


def test_design_lists_every_module_of_the_package() -> None:
    """DESIGN.md's module list has a line for every module: a new module is placed on the map."""
    modules = _design().split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- `([\w/]+\.py)`", modules, flags=re.M))
    assert len(_package_modules()) > 60  # the walk found the package
    missing = [m for m in _package_modules() if m not in listed]
    assert missing == [], f"DESIGN.md's module list leaves out {missing}"


def test_every_module_design_or_the_readme_diagram_names_exists() -> None:
    """A module named in DESIGN.md (a path under src/oss_tracker/, or under the repository for
    tests/, fixtures/...) or in the README's "How it works" diagram (by its file name) exists: no
    stale name such as a report module that was removed."""
    named = _py_names(_design())
    assert {"hub/client.py", "records.py", "tests/test_layout.py"} <= named  # the reader finds names
    stale = sorted(n for n in named if not (PACKAGE / n).is_file() and not (ROOT / n).is_file())
    assert stale == [], f"DESIGN.md names modules that do not exist: {stale}"

    diagram = _block_after("## How it works")
    in_diagram = _py_names(diagram)
    assert {"transport.py", "backfill.py", "top.py", "grid.py"} <= in_diagram
    files = {p.name for p in PACKAGE.rglob("*.py")}
    stale = sorted(n for n in in_diagram if "/" in n or n not in files)
    assert stale == [], f"the README's diagram names modules that do not exist: {stale}"
    for stage in STAGE_DIRS:  # every stage is on the diagram
        assert f"{stage}/" in diagram, stage


def _comments_and_docstrings(path) -> list[str]:
    """The comments and docstrings of a Python file (not its other strings: a file name in code,
    such as a site's README.md that is kept, is no reference to a document)."""
    import ast
    import io
    import tokenize

    text = path.read_text(encoding="utf-8")
    out: list[str] = []
    last = -1
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            if token.start[0] == last + 1 and out:  # a comment goes on over the next lines
                out[-1] += " " + token.string.lstrip("#")
            else:
                out.append(token.string.lstrip("#"))
            last = token.start[0]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append(doc)
    return out


def test_every_document_the_code_refers_to_exists() -> None:
    """A `*.md` named in a comment or docstring under src/ is a file of the repository, and a
    section of DESIGN.md named there (`DESIGN.md, "Words"`) is one of its headings."""
    headings = set(re.findall(r"^#+ (.+)$", _design(), flags=re.M))
    referred: dict[str, set[str]] = {}
    sections: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for text in _comments_and_docstrings(path):
            text = " ".join(text.split())  # a reference may wrap across lines
            for doc in re.findall(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.md)\b", text):
                referred.setdefault(doc, set()).add(where)
            for title in re.findall(r'DESIGN\.md,? "([^"]+)"', text):
                sections.setdefault(title, set()).add(where)
    assert {"DESIGN.md", "docs/benchmarks.md"} <= set(referred)  # the reader finds references
    missing = {doc: sorted(files) for doc, files in referred.items() if not (ROOT / doc).is_file()}
    assert missing == {}, f"src/ refers to documents that do not exist: {missing}"
    assert "Words" in sections
    unknown = {title: sorted(files) for title, files in sections.items() if title not in headings}
    assert unknown == {}, f"src/ names sections DESIGN.md does not have: {unknown}"
