"""The command line as a new user meets it (issue 12, points 4, 5, 18 and 25): every usage
error is one line on stderr naming the fix, global options work after the command too, `-v`
shows no traceback (only `--debug` does), `-h` is help, and a closed pipe ends every format
the same way (exit 141, nothing on stderr).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, hub_fixtures, model, run, sync_argv, world
from tests.fakehub import FakeHub

shared_hub, hub = hub_fixtures(world(model("Good/a"), model("Bad/b")))


# -- point 4: one line, the prefix, the right fix -------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["repotr"], "no command 'repotr': did you mean 'report'?"),
        (["frob"], "no command 'frob': the commands are backup, changes, compare, derivatives, licenses, "
                   "releases, report, status, sync, trends, watch"),
        (["watch", "ad", "x"], "no command 'ad' in watch: did you mean 'add'?"),
        (["releases", "--limt", "3"], "releases has no option --limt: did you mean --limit?"),
        (["changes", "--kind", "dataset"],
         "changes has no option --kind (it is an option of releases); see 'oss-tracker changes -h'"),
        (["licenses", "--zzz"], "licenses has no option --zzz; see 'oss-tracker licenses -h'"),
        (["status", "--format", "yaml"],
         "invalid value for --format: 'yaml' is not one of 'table', 'json', 'csv', 'markdown'"),
        (["backup"], "backup needs DEST: file to write, or a folder (then NAME-YYYY-MM-DD.db inside it); "
                     "see 'oss-tracker backup -h'"),
        (["report", "Qwen"], "report takes no argument 'Qwen': did you mean --org Qwen?"),
        (["sync", "--retries", "-1"], "invalid value for --retries: -1 is not in the range 0<=x<=100"),
        (["status", "--debug=1"], "--debug takes no value; see 'oss-tracker -h'"),
        (["watch", "add", "x", "--compnay", "y"], "watch add has no option --compnay: did you mean --company?"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line_naming_the_fix(argv: list[str], line: str, tmp_path: Path) -> None:
    result = run(*argv)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"oss-tracker: error: {line}\n")


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    result = run("sync", "--db", str(tmp_path / "t.db"), env={"OSS_TRACKER_RETRY_WAIT": "nan"})
    assert result.exit_code == 2
    assert result.stderr == (
        "oss-tracker: error: invalid value for --retry-wait (from $OSS_TRACKER_RETRY_WAIT): nan is not a number\n"
    )
    assert not (tmp_path / "t.db").exists()


def test_help_is_dash_h_too() -> None:
    for argv in (["-h"], ["--help"], ["report", "-h"], ["watch", "add", "-h"]):
        result = run(*argv)
        assert result.exit_code == 0 and result.stderr == ""
        command = " ".join(a for a in argv if not a.startswith("-"))
        assert result.stdout.startswith(f"Usage: oss-tracker {command}".rstrip() + " [OPTIONS]")


# -- global options after the command --------------------------------------------------------------
def test_global_options_work_after_the_command(hub: FakeHub, tmp_path: Path) -> None:
    """`report --debug` was refused with "did you mean --db?"."""
    db = tmp_path / "t.db"
    loud = run(*sync_argv(hub, db, "Good"))
    assert loud.exit_code == 0 and loud.stderr.startswith("sync ok: 1 org(s)")
    for quiet, day in (("-q", "25"), ("--quiet", "26")):
        again = run(*sync_argv(hub, db, "Good", now=f"2025-11-{day}T06:00:00Z"), quiet)
        assert (again.exit_code, again.stderr) == (0, "")
    config = tmp_path / "list.toml"
    config.write_text('[companies.Acme]\naccounts = ["Good"]\n')
    listed = run("watch", "list", "-f", "csv", "--config", str(config))
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith("Acme,Good,")
    assert run("watch", "list", "-f", "csv", f"--config={config}").stdout == listed.stdout


def test_nothing_after_a_double_dash_is_moved(tmp_path: Path) -> None:
    result = run("compare", "--db", str(tmp_path / "t.db"), "--", "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "oss-tracker: error: invalid value for ORG: '-q' is not a Hub account name"
    )


# -- point 5: -v shows what failed, never a traceback; --debug does -------------------------------
def test_verbose_logs_a_failure_in_one_line_and_debug_shows_its_traceback(
    hub: FakeHub, tmp_path: Path
) -> None:
    hub.add_fault("status", match="/api/organizations/Bad/overview", times=100, status=500)
    verbose = run("-v", *sync_argv(hub, tmp_path / "v.db", "Good", "Bad", extra=("--retries", "0")))
    assert verbose.exit_code == 3
    assert "Traceback" not in verbose.stderr
    logged = [re.sub(r"^\S+ ", "", line) for line in verbose.stderr.splitlines()]
    assert (
        "DEBUG fetching Bad failed: HTTP 500 for GET /api/organizations/Bad/overview after 1 attempts"
        in logged
    )
    hub.add_fault("status", match="/api/organizations/Bad/overview", times=100, status=500)
    debug = run("--debug", *sync_argv(hub, tmp_path / "d.db", "Good", "Bad", extra=("--retries", "0")))
    assert debug.exit_code == 3
    assert re.search(
        r"(?m)^\S+ DEBUG fetching Bad failed\nTraceback \(most recent call last\):$", debug.stderr
    )


# -- point 18: a closed pipe ------------------------------------------------------------------------
def into_closed_pipe(*args: str) -> tuple[int, bytes]:
    """Run the real command with stdout a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(ROOT / "src")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "oss_tracker", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_a_closed_pipe_ends_every_format_quietly_with_141(bundled_history: Path, fmt: str) -> None:
    """`oss-tracker trends | head` exited 1 ("failed: nothing stored") for a table, 0 for JSON."""
    assert into_closed_pipe("trends", "--db", str(bundled_history), "-f", fmt) == (141, b"")


def test_a_closed_pipe_ends_help_and_version_the_same_way() -> None:
    assert into_closed_pipe("-h") == (141, b"")
    assert into_closed_pipe("report", "--help") == (141, b"")
