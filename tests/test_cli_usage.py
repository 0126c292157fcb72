"""The command line as a new user meets it (issue 12, points 4, 5, 18 and 25): every usage
error is one line on stderr naming the fix, global options work after the command too, `-v`
shows no traceback (only `--debug` does), `-h` is help, and a closed pipe ends every format
the same way (exit 141, nothing on stderr).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer

from oss_tracker.cli.options import DATE_FORMS, parse_day
from tests.conftest import ROOT, WATCHLIST, hub_fixtures, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub
from tests.test_reports_world import shared_race_db

shared_hub, hub = hub_fixtures(world(model("Good/a"), model("Bad/b")))


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


# -- point 4: one line, the prefix, the right fix -------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["repotr"], "no command 'repotr': did you mean 'report'?"),
        (["frob"], "no command 'frob': the commands are backfill, backup, changes, compare, derivatives, export, families, "
                   "licenses, model, releases, report, site, status, sync, top, trends, watch"),
        (["watch", "ad", "x"], "no command 'ad' in watch: did you mean 'add'?"),
        (["releases", "--limt", "3"], "releases has no option --limt: did you mean --limit?"),
        (["changes", "--kind", "dataset"],
         "changes has no option --kind (it is an option of compare, licenses, releases, report, top); "
         "see 'oss-tracker changes -h'"),
        (["releases", "--kind", "dataset", "--type", "space"],
         "--kind dataset is the old spelling of --type dataset: give --type alone"),
        (["releases", "--kind", "quantized"],
         "invalid value for --kind: 'quantized' is not one of 'original', 'conversion', 'derived', 'all'"),
        (["releases", "--kind", "original", "--type", "space"],
         "--kind original is a kind of model: it does nothing with --type space"),
        (["changes", "--days", "3"],
         "changes has no option --days (it is an option of report, site, top); see 'oss-tracker changes -h'"),
        (["licenses", "--zzz"], "licenses has no option --zzz; see 'oss-tracker licenses -h'"),
        (["status", "--format", "yaml"],
         "invalid value for --format: 'yaml' is not one of 'table', 'json', 'csv', 'markdown'"),
        (["backup"], "backup needs DEST: file to write, or a folder (then NAME-YYYY-MM-DD.db inside it); "
                     "DIR/ makes the folder if need be; see 'oss-tracker backup -h'"),
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


def test_the_bare_name_prints_the_help_on_stdout_and_succeeds() -> None:
    """`oss-tracker` and `oss-tracker watch` alone printed the help on stderr, exit 2: what a new
    user typing the name wants is the help, as `-h` prints it."""
    for argv in ([], ["watch"]):
        helped = run(*argv, "-h")
        assert helped.stdout.startswith(f"Usage: {shlex.join(['oss-tracker', *argv])} [OPTIONS] COMMAND")
        bare = run(*argv)
        assert (bare.exit_code, bare.stdout, bare.stderr) == (0, helped.stdout, "")
        through_main = entry(*argv)  # the console script's path (cli.main, its lazy loading)
        assert (through_main.returncode, through_main.stdout, through_main.stderr) == (
            0,
            entry(*argv, "-h").stdout,
            "",
        )


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


def test_export_and_backup_meet_a_closed_pipe_as_every_command_does(
    bundled_history: Path, tmp_path: Path
) -> None:
    """Their work is done (the folder, the copy) when they print its path: a closed pipe then is
    141 and nothing on stderr, as for a report (README, exit codes)."""
    assert into_closed_pipe("-q", "export", str(tmp_path / "csv"), "--db", str(bundled_history)) == (141, b"")
    assert (tmp_path / "csv" / "manifest.json").is_file()
    assert into_closed_pipe("-q", "backup", str(tmp_path / "b.db"), "--db", str(bundled_history)) == (
        141,
        b"",
    )
    assert (tmp_path / "b.db").is_file()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_a_closed_pipe_ends_every_format_quietly_with_141(bundled_history: Path, fmt: str) -> None:
    """`oss-tracker trends | head` exited 1 ("failed: nothing stored") for a table, 0 for JSON."""
    assert into_closed_pipe("trends", "--db", str(bundled_history), "-f", fmt) == (141, b"")


def test_a_closed_pipe_ends_help_and_version_the_same_way() -> None:
    assert into_closed_pipe("-h") == (141, b"")
    assert into_closed_pipe("report", "--help") == (141, b"")


# -- point 19: one parser for --since and --until ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("2025-11-27", date(2025, 11, 27), date(2025, 11, 27)),
        ("2025-11-27T06:00:00Z", date(2025, 11, 27), date(2025, 11, 27)),  # as runs and JSON print it
        ("2025-11-27T01:00:00+02:00", date(2025, 11, 26), date(2025, 11, 26)),  # its UTC day
        ("2025-11-27 06:00:00", date(2025, 11, 27), date(2025, 11, 27)),
        ("27 Nov 2025", date(2025, 11, 27), date(2025, 11, 27)),  # as tables print it
        ("2025-11", date(2025, 11, 1), date(2025, 11, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("7d", date(2025, 3, 24), date(2025, 3, 24)),
        ("4w", date(2025, 3, 3), date(2025, 3, 3)),
        ("3m", date(2024, 12, 31), date(2024, 12, 31)),  # 31 Mar back 3 months: the last of December
        ("1m", date(2025, 2, 28), date(2025, 2, 28)),  # clamped to the month's last day
        ("1y", date(2024, 3, 31), date(2024, 3, 31)),
        (" 0d ", date(2025, 3, 31), date(2025, 3, 31)),
    ],
)
def test_the_date_parser_reads_every_form(text: str, since: date, until: date) -> None:
    today = date(2025, 3, 31)
    assert parse_day(text, today=today) == since
    assert parse_day(text, end=True, today=today) == until


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("yesterday", f"'yesterday' is not a date: use {DATE_FORMS}"),
        ("2025-13", f"'2025-13' is not a date: use {DATE_FORMS}"),
        ("2025-02-30", f"'2025-02-30' is not a date: use {DATE_FORMS}"),
        ("5x", f"'5x' is not a date: use {DATE_FORMS}"),
        ("5300w", "5300w goes back more than 36,500 days"),
        ("101y", "101y goes back more than 36,500 days"),
    ],
)
def test_the_date_parser_refuses_the_rest(text: str, error: str) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        parse_day(text, today=date(2025, 3, 31))
    assert refused.value.message == error


def test_since_and_until_take_every_form_on_the_command_line(race_db: Path) -> None:
    def window(*args: str) -> tuple[str, str]:
        result = run("releases", "--db", str(race_db), "--json", *args)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        return data["since"], data["until"]

    assert window("--since", "2025-11", "--until", "2025-11") == ("2025-11-01", "2025-11-30")
    assert window("--since", "2025-11-25T06:00:00Z", "--until", "27 Nov 2025") == ("2025-11-25", "2025-11-27")
    before = datetime.now(UTC).date()
    since, _ = window("--since", "1000w")
    assert since in {(d - timedelta(weeks=1000)).isoformat() for d in (before, datetime.now(UTC).date())}
    bad = run("trends", "--db", str(race_db), "--since", "last week")
    assert (bad.exit_code, bad.stderr) == (
        2, f"oss-tracker: error: invalid value for --since: 'last week' is not a date: use {DATE_FORMS}\n"
    )  # fmt: skip
    crossed = run("trends", "--db", str(race_db), "--since", "2025-11-27", "--until", "2025-10")
    assert (
        crossed.exit_code == 2
        and crossed.stderr == "oss-tracker: error: --since 2025-11-27 is after --until 2025-10-31\n"
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["trends", "--since", "2026-01-01"], "--since 2026-01-01 is past the end of the history"),
        (["trends", "--org", "Qwen", "--since", "2025-11-28T00:00:00Z"], "--since 2025-11-28 is past the end of the history"),
        (["releases", "--since", "2026-01"], "--since 2026-01-01 is past the end of the history"),
        (["compare", "--since", "2026-01-01"], "--since 2026-01-01 is past the end of the history"),
        (["trends", "--until", "2024-12"], "--until 2024-12-31 is before the history starts"),
    ],
)  # fmt: skip
def test_a_window_outside_the_history_says_so(race_db: Path, argv: list[str], line: str) -> None:
    """`--since` after the last snapshot answered "no snapshots yet"."""
    result = run(*argv, "--db", str(race_db))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"oss-tracker: error: {line}: the history runs from 2025-11-24 to 2025-11-27\n"


# -- point 9: one report, one subject ---------------------------------------------------------------
def test_report_refuses_two_subjects_and_says_what_to_run(race_db: Path) -> None:
    """`report --org Qwen --org deepseek-ai` reported deepseek-ai alone, silently."""
    two = run("report", "--org", "Qwen", "--org", "deepseek-ai", "--db", str(race_db))
    assert (two.exit_code, two.stdout) == (2, "")
    assert two.stderr == (
        "oss-tracker: error: report covers one account, company or group, not 2 (--org Qwen --org deepseek-ai): "
        "run it once for each, or put accounts side by side with: oss-tracker compare --org Qwen --org deepseek-ai\n"
    )
    mixed = run("report", "--org", "Qwen", "--group", "china", "--db", str(race_db))
    assert mixed.exit_code == 2 and "not 2 (--org Qwen --group china)" in mixed.stderr
    none = run("report", "--db", str(race_db))
    assert (
        none.stderr == "oss-tracker: error: report needs one of --org ORG, --company NAME or --group NAME\n"
    )


@pytest.mark.parametrize(
    ("subjects", "fix"),
    [
        (["--org", "Qwen", "--org", "deepseek-ai"],
         "run it once for each, or put accounts side by side with: oss-tracker compare --org Qwen --org deepseek-ai"),
        (["--company", "Alibaba", "--company", "Moonshot AI"],
         "run it once for each, or put the companies side by side with: "
         "oss-tracker compare --company Alibaba --company 'Moonshot AI' --by company"),
        (["--group", "china", "--group", "us"],
         "run it once for each, or put their companies side by side with: oss-tracker compare --group china --group us"),
        # Mixed subjects: `compare --org Qwen --group china` was suggested, and refused.
        (["--org", "Qwen", "--group", "china"],
         "run one report for each: oss-tracker report --org Qwen; oss-tracker report --group china"),
    ],
)  # fmt: skip
def test_the_command_report_suggests_for_two_subjects_works(
    bundled_history: Path, subjects: list[str], fix: str
) -> None:
    config, db = ("--config", str(WATCHLIST)), ("--db", str(bundled_history))
    refused = run(*config, "report", *subjects, *db)
    listed = shlex.join(subjects)
    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        2,
        "",
        f"oss-tracker: error: report covers one account, company or group, not 2 ({listed}): {fix}\n",
    )
    for suggested in re.split(r"; (?=oss-tracker )", fix.split(": ", 1)[1]):
        words = shlex.split(suggested)
        assert words[0] == "oss-tracker"
        done = run(*config, *words[1:], *db)
        assert (done.exit_code, done.stderr) == (0, ""), suggested


def test_compare_says_group_implies_by_company(bundled_history: Path) -> None:
    """`compare --org Qwen --group china` was refused as if --by company had been given."""
    config, db = ("--config", str(WATCHLIST)), ("--db", str(bundled_history))
    refused = run(*config, "compare", "--org", "Qwen", "--group", "china", *db)
    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        2,
        "",
        "oss-tracker: error: --group implies --by company, which compares companies, not accounts (--org): "
        "add --by org to show the group's accounts beside them\n",
    )
    by_org = run(*config, "compare", "--org", "Qwen", "--group", "china", "--by", "org", *db, "--json")
    assert by_org.exit_code == 0, by_org.stderr
    assert [r["org"] for r in json.loads(by_org.stdout)["orgs"]] == [
        "Qwen",
        "deepseek-ai",
        "Wan-AI",
        "moonshotai",
        "MiniMaxAI",
    ]


def test_compare_of_a_group_and_a_company_shows_both(bundled_history: Path, tmp_path: Path) -> None:
    """`compare --group g --company MiniMax` left the company out without a word: the groups alone
    were read. Now the group's companies and the ones named, each once."""
    config = tmp_path / "watchlist.toml"
    config.write_text(
        '[companies.DeepSeek]\naccounts = ["deepseek-ai"]\n[companies.MiniMax]\naccounts = ["MiniMaxAI"]\n'
        '[companies.Moonshot]\naccounts = ["moonshotai"]\n[groups]\ng = ["DeepSeek", "Moonshot"]\n'
    )
    args = ("--config", str(config), "compare", "--db", str(bundled_history), "--json")
    both = run(*args, "--group", "g", "--company", "MiniMax", "--company", "deepseek")
    assert both.exit_code == 0, both.stderr
    data = json.loads(both.stdout)
    assert sorted(c["company"] for c in data["companies"]) == ["DeepSeek", "MiniMax", "Moonshot"]
    assert data["group"]["name"] == "group g and companies MiniMax, deepseek"


# -- point 16: a filter that matches no model says so ---------------------------------------------
def test_a_kind_no_model_is_of_is_named(bundled_history: Path) -> None:
    """`report --org Wan-AI --kind conversion` said "nothing to show" and "no derivative counts yet",
    `top` "no model has downloads in the period": Wan-AI has models, none of them a conversion."""
    kinds = dict(rows(bundled_history, "SELECT m.kind, count(*) FROM models m JOIN orgs g ON g.id = m.org_id "
                                       "WHERE g.name = 'Wan-AI' AND m.removed_at IS NULL GROUP BY m.kind"))  # fmt: skip
    assert kinds and "conversion" not in kinds and "derived" not in kinds, kinds

    def empties(*argv: str) -> list[tuple[str, str]]:
        """Each empty part of the Markdown form: (its title, what it says)."""
        done = run(*argv, "--db", str(bundled_history), "-f", "markdown")
        assert (done.exit_code, done.stderr) == (0, ""), done.stderr
        return re.findall(r"(?m)^## (.+)\n\n_(.+)_$", done.stdout)

    none = "no conversion among Wan-AI's models"
    assert empties("report", "--org", "Wan-AI", "--kind", "conversion") == [
        ("Top 10 models by downloads (last 30 days)", none),
        ("Licence mix", none),
        ("Releases per month (by createdAt; current models, removed ones not counted)", none),
        ("Derivatives (direct children; each model's latest count)", none),
    ]
    assert empties("top", "--org", "Wan-AI", "--kind", "derived") == [
        ("0 models by downloads in the period", "no derived model among Wan-AI's models")
    ]
    assert empties("licenses", "--org", "Wan-AI", "--kind", "conversion") == [
        ("Licences", none),
        ("Licence changes (newest first)", "no licence change seen"),
        ("Licences of each month's releases (current licences, by createdAt)", none),
    ]
    # A company is named; several accounts are named each. Alibaba (Qwen and Wan-AI) has Qwen's.
    company = ("--config", str(WATCHLIST), "report", "--kind", "conversion", "--company")
    assert [said for _, said in empties(*company, "MiniMax")] == ["no conversion among MiniMax's models"] * 4
    assert empties(*company, "Alibaba") == []
    assert empties("top", "--org", "Wan-AI", "--org", "MiniMaxAI", "--kind", "conversion") == [
        ("0 models by downloads in the period", "no conversion among the models of Wan-AI, MiniMaxAI")
    ]


# -- point 17: an option that does nothing where it is given is refused -----------------------------
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["derivatives", "Qwen/Qwen3-8B", "--relation", "finetune"],
         "--relation does nothing without --list (it picks which derivative repos --list shows)"),
        (["derivatives", "--endpoint", "http://127.0.0.1:9"], "--endpoint does nothing without --list (only --list asks the Hub)"),
        (["derivatives", "Qwen/Qwen3-8B", "--list", "--org", "Qwen"],
         "--org does nothing with --list (it lists ID's derivative repos live from the Hub)"),
        (["derivatives", "Qwen/Qwen3-8B", "--list", "--db", "x.db"],
         "--db does nothing with --list (it lists ID's derivative repos live from the Hub)"),
        (["derivatives", "Qwen/Qwen3-8B", "--limit", "5"],
         "--limit does nothing with an ID (its count history); give no ID for the ranking"),
        (["derivatives", "Qwen/Qwen3-8B", "--family", "qwen3-*"],
         "--family does nothing with an ID (its count history); give no ID for the ranking"),
        (["derivatives", "--edges", "--family", "qwen3-*"], "--family does nothing with --edges (every such model is listed)"),
        (["derivatives", "Qwen/Qwen3-8B", "--edges"],
         "--edges shows every watched model built on another watched account's: give no ID"),
        (["derivatives", "--list"], "--list needs a model ID: oss-tracker derivatives ID --list"),
        (["trends", "--model", "Qwen/Qwen3-8B", "--group", "china"], "use --group or --model, not both"),
        (["compare", "Qwen", "--by", "company"],
         "--by company compares companies: name them with --company or --group, not accounts"),
        (["releases", "--type", "dataset", "--plot", "x.png"], "--plot draws model releases: it does nothing with --type dataset"),
        (["sync", "--replay", "fixtures/replay/2025-11-24", "--token", "hf_x"],
         "--token does nothing with --replay (the recording answers, not a Hub)"),
        (["sync", "--replay", "fixtures/replay/2025-11-24", "--endpoint", "http://127.0.0.1:9"],
         "--endpoint does nothing with --replay (the recording answers, not a Hub)"),
        (["sync", "--derivatives", "none", "--derivative-workers", "4"], "--derivative-workers does nothing with --derivatives none"),
        (["watch", "add", "Other", "--no-check", "--endpoint", "http://127.0.0.1:9"],
         "--endpoint does nothing with --no-check (no Hub is asked)"),
        (["report", "--org", "Qwen", "--limit", "3", "--top", "3"], "--top is the old name of --limit: give --limit alone"),
        (["status", "--json", "-f", "csv"], "--json is short for --format json: it cannot go with --format csv"),
    ],
)  # fmt: skip
def test_an_option_that_would_do_nothing_is_refused(argv: list[str], line: str, tmp_path: Path) -> None:
    config = tmp_path / "list.toml"
    config.write_text('[companies.Org]\naccounts = ["Org"]\n')
    db = tmp_path / "t.db"
    result = run(
        "--config",
        str(config),
        *argv,
        *(["--db", str(db)] if "--db" not in argv and argv[0] != "watch" else []),
    )
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"oss-tracker: error: {line}\n")
    assert not db.exists() and config.read_text() == '[companies.Org]\naccounts = ["Org"]\n'


def test_the_environment_is_not_refused_where_the_option_would_be(tmp_path: Path) -> None:
    """HF_ENDPOINT feeds --endpoint: a replay run from a shell that sets it still works."""
    db = tmp_path / "t.db"
    replay = ROOT / "fixtures" / "replay" / "2025-11-24"
    result = run(
        "-q", "sync", "--replay", str(replay), "--db", str(db), env={"HF_ENDPOINT": "http://127.0.0.1:9"}
    )
    assert (result.exit_code, result.stderr) == (0, "")


def test_compare_group_by_org_shows_the_groups_accounts(race_db: Path, tmp_path: Path) -> None:
    """`compare --group X --by org` ignored --by org: it now shows the group's accounts, one column each."""
    config = tmp_path / "list.toml"
    config.write_text(
        '[companies.Alibaba]\naccounts = ["Qwen"]\n[companies.DeepSeek]\naccounts = ["deepseek-ai"]\n'
        '[companies.MiniMax]\naccounts = ["MiniMaxAI"]\n[groups]\nchina = ["Alibaba", "DeepSeek"]\n'
    )
    by_org = run(
        "--config", str(config), "compare", "--group", "china", "--by", "org", "--db", str(race_db), "--json"
    )
    assert by_org.exit_code == 0, by_org.stderr
    assert [r["org"] for r in json.loads(by_org.stdout)["orgs"]] == ["Qwen", "deepseek-ai"]
    by_company = run("--config", str(config), "compare", "--group", "china", "--db", str(race_db), "--json")
    assert [r["company"] for r in json.loads(by_company.stdout)["companies"]] == [
        "DeepSeek",
        "Alibaba",
    ]  # largest first


# -- point 25: one vocabulary ------------------------------------------------------------------------
def test_the_same_words_everywhere(race_db: Path) -> None:
    db = str(race_db)
    assert run("compare", "--org", "Qwen", "--org", "MiniMaxAI", "--db", db, "--json").stdout == (
        run("compare", "Qwen", "MiniMaxAI", "--db", db, "-f", "json").stdout
    )
    for argv in (
        ["report", "--org", "Qwen"],
        ["trends"],
        ["releases"],
        ["licenses"],
        ["changes"],
    ):
        short = run(*argv, "--db", db, "--json")
        assert short.stdout == run(*argv, "--db", db, "--format", "json").stdout and short.stdout.startswith(
            "{"
        )
    assert run("watch", "list", "--json").stdout == run("watch", "list", "-f", "json").stdout
    status = run("status", "--db", db, "--json", "--now", "2025-11-27T07:00:00Z")  # (free disk space varies)
    assert status.exit_code == 0 and json.loads(status.stdout)["health"] == "ok"
    limited = run("report", "--org", "Qwen", "--limit", "2", "--db", db, "--json")
    assert [m["id"] for m in json.loads(limited.stdout)["top_models"]] == [
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen/Qwen3-8B",
    ]
    old = run("report", "--org", "Qwen", "--top", "2", "--db", db, "--json")
    assert old.stdout == limited.stdout
    assert old.stderr == "oss-tracker: warning: --top is now --limit (--top will go)\n"
    # `releases --kind` names a kind of model now (issue 14): its old values, repo types, still work.
    spaces = run("releases", "--type", "space", "--db", db, "--json")
    old_kind = run("releases", "--kind", "space", "--db", db, "--json")
    assert spaces.exit_code == old_kind.exit_code == 0 and old_kind.stdout == spaces.stdout
    assert old_kind.stderr == (
        "oss-tracker: warning: --kind space is now --type space (--kind model|dataset|space will go)\n"
    )


def _with_limit() -> list[str]:
    from oss_tracker.cli import app

    root = typer.main.get_command(app)
    return [n for n, c in root.commands.items() if any("--limit" in p.opts for p in c.params)]  # type: ignore[attr-defined]


def test_top_is_read_as_limit_on_every_command_that_has_limit(bundled_history: Path) -> None:
    """`report --top 3` was read as --limit 3 with a warning, `changes --top 3` refused with no hint
    towards --limit: one rule now, wherever --limit is."""
    assert _with_limit() == ["report", "changes", "derivatives", "families", "top", "releases"]
    warning = "oss-tracker: warning: --top is now --limit (--top will go)\n"
    for name in _with_limit():
        argv = [
            name,
            *(["--org", "Qwen"] if name == "report" else []),
            "--db",
            str(bundled_history),
            "--json",
        ]
        limited, old = run(*argv, "--limit", "1"), run(*argv, "--top", "1")
        assert (old.exit_code, old.stdout, old.stderr) == (
            limited.exit_code,
            limited.stdout,
            warning + limited.stderr,
        ), name
        assert limited.exit_code == (1 if name == "families" else 0), (
            name,
            limited.stderr,
        )  # no families there
        if name != "families":
            assert run(*argv).stdout != limited.stdout, name  # --top 1 is not the default ignored
        both = run(*argv, "--limit", "1", "--top", "1")
        assert (both.exit_code, both.stdout, both.stderr) == (
            2,
            "",
            "oss-tracker: error: --top is the old name of --limit: give --limit alone\n",
        ), name
    assert run("changes", "--top", "-1").stderr == (
        "oss-tracker: error: invalid value for --top: -1 is not in the range 0<=x<=1000000\n"
    )


def _commands() -> list[list[str]]:
    from oss_tracker.cli import app

    root = typer.main.get_command(app)
    out: list[list[str]] = [[]]  # the root's own help, then each command's (and each group's)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        out += [[name], *([name, sub] for sub in subs)] if subs else [[name]]
    return out


@pytest.mark.parametrize("argv", _commands(), ids=lambda argv: " ".join(argv) or "(root)")
def test_every_help_has_examples_that_parse_and_plain_metavars(argv: list[str]) -> None:
    helped = run(*argv, "-h")
    assert helped.exit_code == 0
    text = helped.stdout
    # Typer's type names, and its choices in angle brackets (`-f <table|json|csv|markdown>`, where
    # `--kind original|conversion|derived|all` was plain), and a range beside --limit's default
    # (`[default: 20; 0<=x<=1000000]`; a range that says something, as --retries', stays).
    assert not re.search(r"<(int|float|str|path|text|integer)[^>]*>|INTEGER|FLOAT|TEXT|RANGE", text), text
    assert not re.search(r"<[^<>\s]*\|[^<>\s]*>", text), text
    assert not re.search(r"(--limit|--min-downloads) N[^\[]*\[default: \d+;", text), text
    examples = text.split("\n  Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith("    oss-tracker ") for line in examples)
    for line in examples:
        words = shlex.split(line)[1:]
        assert " ".join(argv) in " ".join(words)
        parsed = run(*words, "-h")  # every option named exists and has its value: help, not a usage error
        assert parsed.exit_code == 0, (line, parsed.stderr)


# -- start-up (issue 18): the entry point's fast paths keep every answer --------------------------
def entry(*args: str, code: str = "") -> subprocess.CompletedProcess[str]:
    """`oss-tracker ARGS` through the console entry point (`main`), in a child process."""
    script = f"import sys\nsys.argv = ['oss-tracker', *{list(args)!r}]\nfrom oss_tracker.cli import main\n{code}main()\n"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "OSS_TRACKER_DB")}
    env["PYTHONPATH"] = str(ROOT / "src")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)


def test_version_is_answered_without_typer() -> None:
    probe = (
        "import atexit\n"
        "atexit.register(lambda: print(sorted(m for m in ('typer', 'rich', 'sqlite3') if m in sys.modules),"
        " file=sys.stderr))\n"
    )
    for args in (["--version"], ["-q", "--version"]):
        done = entry(*args, code=probe)
        assert (done.returncode, done.stdout, done.stderr) == (0, "oss-tracker 0.1.0\n", "[]\n")
    through_typer = entry("report", "--version")  # after a command: Typer's own eager option
    assert (through_typer.returncode, through_typer.stdout) == (0, "oss-tracker 0.1.0\n")


def test_the_fast_exit_of_a_report_keeps_its_output_and_exit_code(
    bundled_history: Path, tmp_path: Path
) -> None:
    db = str(bundled_history)
    done = entry("report", "--org", "Qwen", "--db", db, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["org"] == "Qwen"
    assert done.stdout == run("report", "--org", "Qwen", "--db", db, "--json").stdout
    missing = entry("report", "--org", "nobody", "--db", db)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == (
        "oss-tracker: error: no data for organization 'nobody': it was never synced (see `oss-tracker status`)\n"
    )
    usage = entry("trends", "--since", "soon", "--db", db)
    assert usage.returncode == 2 and usage.stderr.startswith(
        "oss-tracker: error: invalid value for --since: 'soon'"
    )
    old = entry("status", "--db", str(tmp_path / "none.db"))
    assert old.returncode == 1 and old.stderr.startswith("oss-tracker: error: no database at ")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_output_is_one_line_and_exit_1(bundled_history: Path) -> None:
    """`> /dev/full`: help and --version died with a traceback (OSError: No space left on device)."""

    def into_full(*args: str) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        env["PYTHONPATH"] = str(ROOT / "src")
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "oss_tracker", *args], stdout=full, stderr=subprocess.PIPE, env=env,
                text=True, timeout=60,
            )  # fmt: skip
        return done.returncode, done.stderr

    full = "No space left on device"
    assert into_full("--version") == (1, f"oss-tracker: error: cannot write the output: {full}\n")
    assert into_full("-h") == (1, f"oss-tracker: error: cannot write the output: {full}\n")
    # One wording for every command: a report, and the path `export` and `backup` print once done.
    for fmt in ("table", "json"):
        assert into_full("trends", "--db", str(bundled_history), "-f", fmt) == (
            1,
            f"oss-tracker: error: cannot write the output: {full}\n",
        )
    with tempfile.TemporaryDirectory() as tmp:
        for args in (("export", f"{tmp}/csv"), ("backup", f"{tmp}/b.db")):
            code, err = into_full("-q", *args, "--db", str(bundled_history))
            assert (code, err) == (1, f"oss-tracker: error: cannot write the output: {full}\n"), args


def test_a_global_option_with_its_value_attached_comes_before_the_command(bundled_history: Path) -> None:
    """`oss-tracker --config=PATH report ...` failed with a KeyError traceback in `main` (the option
    looked up with its `=PATH`); `--quiet=yes` too."""
    config = ROOT / "examples" / "watchlist.toml"
    attached = entry(
        f"--config={config}", "report", "--company", "Alibaba", "--db", str(bundled_history), "--json"
    )
    apart = entry(
        "--config", str(config), "report", "--company", "Alibaba", "--db", str(bundled_history), "--json"
    )
    assert (attached.returncode, attached.stderr) == (0, "")
    assert attached.stdout == apart.stdout and json.loads(attached.stdout)["accounts"] == ["Qwen", "Wan-AI"]
    quiet = entry("--quiet=yes", "status", "--db", str(bundled_history))
    assert (quiet.returncode, quiet.stdout) == (2, "")
    assert quiet.stderr.startswith("oss-tracker: error: ") and quiet.stderr.count("\n") == 1
    assert "Traceback" not in quiet.stderr


def test_limit_zero_means_all_in_every_command_that_lists(bundled_history: Path) -> None:
    """--limit 0 was "all" in top and releases, "none" in changes, and refused by report,
    derivatives and families: now 0 lists everything wherever --limit exists."""
    db = str(bundled_history)

    def data(*args: str) -> Any:
        result = run(*args, "--limit", "0", "--db", db, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    live = rows(bundled_history, "SELECT count(*) FROM models m JOIN orgs g ON g.id = m.org_id "
                                 "WHERE g.name = 'Qwen' AND m.removed_at IS NULL")[0][0]  # fmt: skip
    assert len(data("report", "--org", "Qwen")["top_models"]) == live
    counted = rows(bundled_history, "SELECT count(*) FROM derivative_latest d JOIN models m ON m.id = d.model_id "
                                    "WHERE m.removed_at IS NULL")[0][0]  # fmt: skip
    assert len(data("derivatives")["bases"]) == counted
    for command in (("top",), ("releases",), ("changes",)):
        assert data(*command), command


def test_report_days_with_csv_is_refused(bundled_history: Path) -> None:
    """The CSV of `report` is its totals: --days (the trend's span) did nothing there."""
    result = run("report", "--org", "Qwen", "--days", "7", "-f", "csv", "--db", str(bundled_history))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "oss-tracker: error: --days does nothing with --format csv (the CSV is the totals; the trend is in "
        "the table and JSON)\n"
    )
