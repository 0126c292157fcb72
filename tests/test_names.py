"""Names from outside: a Hub account is a Hub name wherever it comes in (command line, watch list,
replay manifest), and company and group names are one line of text, written back as real TOML."""

from __future__ import annotations

import json
import random
import shutil
import tomllib
from pathlib import Path

import pytest

from oss_tracker import names, watchlist
from tests.conftest import ROOT, hub_fixtures, model, run, sync_argv, world
from tests.fakehub import FakeHub

shared_hub, hub = hub_fixtures(world(model("Org/a"), followers={"Org": 1}))

RULE = "(letters, digits, '-', '_' and '.' only; no '--' or '..'; '-' and '.' neither first nor last)"
BAD = [
    "..", ".", "Redir?x=1", "Redir#frag", "a/b", "../../api/models/x", "%2e%2e", "-lead", "trail.",
    "a--b", "a..b", "x" * 97, "a\nb", "Qwen\x1b[2J", "Qwen\u202e", "通义", "a b",
]  # fmt: skip
GOOD = ["Qwen", "deepseek-ai", "Wan-AI", "01-ai", "MiniMaxAI", "a.b_c", "_x", "x" * 96, "A"]


@pytest.mark.parametrize("value", GOOD)
def test_hub_account_names_that_are_accepted(value: str) -> None:
    assert names.account_problem(value) is None


@pytest.mark.parametrize("value", BAD)
def test_hub_account_names_that_are_refused(value: str) -> None:
    problem = names.account_problem(value)
    assert problem == (
        f"{names.shown(value)} is not a Hub account name (longer than 96 characters)" if len(value) > 96
        else f"{value!r} is not a Hub account name {RULE}"
    )  # fmt: skip
    assert "\n" not in problem and "\x1b" not in problem and "\u202e" not in problem


@pytest.fixture
def db(hub: FakeHub, tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    assert run(*sync_argv(hub, path, "Org")).exit_code == 0
    hub.requests.clear()
    return path


COMMANDS = ["sync", "report", "trends", "top", "releases", "licenses", "changes", "derivatives", "compare",
            "watch-add", "watch-remove"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value", ["..", "Redir?x=1", "Redir#frag", "../../api/models/x", "a\nb"])
def test_an_account_that_is_not_a_hub_name_is_a_usage_error_everywhere(
    hub: FakeHub, db: Path, tmp_path: Path, command: str, value: str
) -> None:
    """`--org ..` asked the Hub for /api/organizations/../overview; `Redir?x=1` and `#frag`
    changed the URL's query and fragment."""
    config = tmp_path / "watchlist.toml"
    config.write_text('[companies.Org]\naccounts = ["Org"]\n')
    argv = {
        "sync": sync_argv(hub, tmp_path / "new.db", value),
        "compare": ["compare", value, "--db", str(db)],
        "watch-add": ["--config", str(config), "watch", "add", value, "--no-check"],
        "watch-remove": ["--config", str(config), "watch", "remove", value],
    }.get(command, [command, "--org", value, "--db", str(db)])
    before = db.read_bytes()
    result = run(*argv)
    assert result.exit_code == 2, result.stderr
    assert f"{value!r} is not a Hub account name {RULE}" in " ".join(result.stderr.split())
    assert hub.requests == []
    assert not (tmp_path / "new.db").exists() and db.read_bytes() == before
    assert config.read_text() == '[companies.Org]\naccounts = ["Org"]\n'


@pytest.mark.parametrize(
    ("accounts", "field"),
    [('["../../api/models/x"]', "accounts"), ('["Org", "a#b"]', "accounts"), ('["Org"]\nunverified = ["a/b"]', "unverified")],
)  # fmt: skip
def test_a_watch_list_account_that_is_not_a_hub_name_is_refused_on_load(
    hub: FakeHub, tmp_path: Path, accounts: str, field: str
) -> None:
    """`../../api/models/x` in a watch list was fetched, answered 200, and stored as an org."""
    config = tmp_path / "watchlist.toml"
    config.write_text(f"[companies.Org]\naccounts = {accounts}\n")
    bad = json.loads(accounts.split("\n")[-1].split("= ")[-1])[-1]
    expected = (
        f"oss-tracker: error: {config}: companies.Org.{field}: {bad!r} is not a Hub account name {RULE}\n"
    )
    for argv in (["watch", "list"], sync_argv(hub, tmp_path / "t.db")):
        result = run("--config", str(config), *argv)
        assert (result.exit_code, result.stderr) == (1, expected)
    assert hub.requests == [] and not (tmp_path / "t.db").exists()


@pytest.mark.parametrize(
    ("orgs", "message"),
    [
        ("Qwen", "orgs must be a list of Hub account names, not 'Qwen'"),
        (["Qwen", "../x"], f"orgs: '../x' is not a Hub account name {RULE}"),
        (["Qwen", 7], "orgs: 7 is not a Hub account name (not a string)"),
        (["Qwen", "qwen"], "orgs lists 'qwen' twice"),
    ],
)
def test_a_replay_manifest_names_hub_accounts(tmp_path: Path, orgs: object, message: str) -> None:
    """`"orgs": "Qwen"` was iterated letter by letter (Q, w, e, n)."""
    rec = tmp_path / "rec"
    shutil.copytree(ROOT / "fixtures" / "replay" / "2025-11-24", rec)
    manifest = json.loads((rec / "manifest.json").read_text())
    (rec / "manifest.json").write_text(json.dumps({**manifest, "orgs": orgs}))
    result = run("sync", "--db", str(tmp_path / "t.db"), "--replay", str(rec), "--derivatives", "none")
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {rec / 'manifest.json'}: {message}\n"
    assert not (tmp_path / "t.db").exists()


# -- company, group and country names: checked before anything is written; real TOML quoting -----


@pytest.mark.parametrize(
    ("option", "value"),
    [("--company", "a\nb"), ("--company", "x\x1b]0;title\x07"), ("--group", "g\rh"), ("--country", "C\x00N"),
     ("--company", "   "), ("--group", "x" * 101)],
)  # fmt: skip
@pytest.mark.parametrize("exists", [True, False])
def test_watch_add_refuses_a_name_no_watch_list_could_hold(
    hub: FakeHub, tmp_path: Path, option: str, value: str, exists: bool
) -> None:
    """`watch add --company $'a\\nb'` wrote a watch list no later command could read: every cron sync failed."""
    config = tmp_path / "cfg" / "watchlist.toml"
    if exists:
        config.parent.mkdir()
        config.write_text('[companies.Org]\naccounts = ["Org"]\n')
    result = run("--config", str(config), "watch", "add", "Other", "--no-check", option, value)
    assert result.exit_code == 2
    what = {"--company": "company name", "--group": "group name", "--country": "country"}[option]
    assert result.stderr.startswith(f"oss-tracker: error: invalid value for {option}: ")
    assert what in result.stderr
    assert result.stderr.count("\n") == 1
    if exists:
        assert config.read_text() == '[companies.Org]\naccounts = ["Org"]\n'
        assert sorted(p.name for p in config.parent.iterdir()) == ["watchlist.toml"]
    else:
        assert not config.parent.exists()
    assert hub.requests == []


def test_a_watch_list_that_load_would_refuse_is_never_saved(tmp_path: Path) -> None:
    """Names were checked twice (the command line, then WatchList.add, each its own list of the
    rules). Now the command line checks early (a usage error, before any Hub request) and `save`
    checks what it is about to write with `parse`, the rules `load` applies: whatever changed the
    list, a file no later command could read is never written."""
    from oss_tracker import watchlist as watchlists

    path = tmp_path / "watchlist.toml"
    path.write_text('[companies.Org]\naccounts = ["Org"]\n')
    wl = watchlists.load(path)
    wl.add("Other", "a\nb", None, None)
    with pytest.raises(watchlists.WatchListError) as refused:
        watchlists.save(wl, path)
    assert str(refused.value) == f"{path}: company name 'a\\nb' holds a control character"
    assert path.read_text() == '[companies.Org]\naccounts = ["Org"]\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["watchlist.toml"]


def test_a_company_name_with_toml_syntax_is_written_and_read_back(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.toml"
    name = 'Moonshot "AI" \\ [x] = #1 ü 中'
    result = run(
        "--config",
        str(config),
        "watch",
        "add",
        "new-lab",
        "--company",
        name,
        "--group",
        "a.b",
        "--no-check",
    )
    assert result.exit_code == 0, result.stderr
    wl = watchlist.load(config)
    assert wl.company(name).accounts == ["new-lab"]
    assert wl.groups["a.b"] == [name]
    assert run("--config", str(config), "watch", "list").exit_code == 0


def test_every_string_is_quoted_as_toml_reads_it() -> None:
    """The writer's quoting, for every control character and the characters TOML treats specially."""
    specials = [chr(c) for c in range(0x20)] + ["\x7f", '"', "\\", "'", "#", "\u2028", "\U0001f642", '"""']
    for text in [*specials, "".join(specials), "a\\nb", "\\u0041"]:
        assert tomllib.loads(f"k = {watchlist._quote(text)}")["k"] == text
        assert tomllib.loads(f"{watchlist._key(text)} = 1") == {text: 1}


def test_every_name_the_checks_accept_round_trips_through_the_file() -> None:
    """Random names (quotes, brackets, `#`, `=`, dots, spaces, Unicode, control characters): those
    the checks accept are written and read back identical; the others never reach the file."""
    rng = random.Random(11)
    alphabet = "aZ09-_. \"'\\#[]={}=,ü中🙂\t\n\r\x00\x1b\x7f\u202e\u2028" + "".join(
        chr(c) for c in range(0x80, 0xA0, 7)
    )
    companies: dict[str, watchlist.Company] = {}
    accepted = refused = 0
    for i in range(2000):
        label = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        account = "".join(rng.choice("aZ09-_.") for _ in range(rng.randint(1, 8)))
        if names.label_problem(label, "company name") is not None or label.lower() in {
            c.lower() for c in companies
        }:
            refused += 1
            continue
        account = f"{account}{i}"  # each account once in a watch list
        if names.account_problem(account) is not None:
            account = f"acct{i}"
        accepted += 1
        companies[label] = watchlist.Company(label, [account], country=label, unverified=[account])
    assert accepted > 100 and refused > 100  # both sides of the check were exercised
    groups = {name: [name] for name in list(companies)[:200]}
    wl = watchlist.WatchList(companies, groups)
    again = watchlist.parse(tomllib.loads(watchlist.dumps(wl)))
    assert again.companies == wl.companies and again.groups == wl.groups
