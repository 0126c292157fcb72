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
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
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
