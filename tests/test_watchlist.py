"""Watch lists of companies and groups, roll-ups, and datasets and Spaces through the fake Hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oss_tracker import watchlist
from tests.conftest import ROOT, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub

CONFIG = """
[companies.Alibaba]
accounts = ["Qwen", "Wan-AI"]
country = "CN"

[companies.DeepSeek]
accounts = ["deepseek-ai"]
country = "CN"

[companies.Meta]
accounts = ["meta-llama"]
country = "US"

[groups]
china = ["Alibaba", "DeepSeek"]
us = ["Meta"]
"""


def dataset(repo_id: str, downloads: int, likes: int, created_at: str = "2025-02-01T00:00:00.000Z") -> dict:
    item = model(repo_id, downloads=downloads, all_time=downloads * 3, likes=likes, created_at=created_at)
    return {k: v for k, v in item.items() if k not in ("pipeline_tag", "library_name", "safetensors")}


def space(repo_id: str, likes: int, sdk: str = "gradio") -> dict:
    item = dataset(repo_id, 0, likes)
    for key in ("downloads", "downloadsAllTime"):
        item.pop(key)
    return {**item, "sdk": sdk}


def hub_world(*, drop_dataset: bool = False) -> dict:
    w = world(
        model("Qwen/Qwen3-8B", downloads=1000, all_time=9000, likes=50),
        model("Qwen/Qwen3-4B", downloads=500, all_time=4000, likes=20),
        model("Wan-AI/Wan2.2-T2V-A14B", downloads=300, all_time=1200, likes=40, license="apache-2.0"),
        model("deepseek-ai/DeepSeek-R1", downloads=2000, all_time=30000, likes=120),
        model("meta-llama/Llama-3.1-8B", downloads=4000, all_time=50000, likes=300),
        followers={"Qwen": 100, "Wan-AI": 10, "deepseek-ai": 200, "meta-llama": 300},
    )
    w["datasets"] = [dataset("Qwen/PolyMath", 70, 7), dataset("deepseek-ai/DeepSeek-ProverBench", 30, 3)]
    if not drop_dataset:
        w["datasets"].append(dataset("Qwen/CodeElo", 20, 2, created_at="2025-03-01T00:00:00.000Z"))
    w["spaces"] = [space("Qwen/Qwen3-Demo", 90), space("Wan-AI/Wan-2.2-5B", 15, sdk="docker")]
    return w


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(CONFIG)
    return path


def synced(hub: FakeHub, config: Path, db: Path, now: str = "2025-11-24T06:00:00Z") -> None:
    result = run("--config", str(config), *sync_argv(hub, db, now=now))
    assert result.exit_code == 0, result.stderr


def test_sync_without_org_watches_every_account_of_the_watch_list(
    hub: FakeHub, config: Path, tmp_path: Path
) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    assert rows(db, "SELECT name FROM orgs ORDER BY name") == [
        ("deepseek-ai",),
        ("meta-llama",),
        ("Qwen",),
        ("Wan-AI",),
    ]
    # overview + models page per account, plus one listing per kind only where the overview counts some
    assert hub.count() == 4 * 2 + 2 + 2
    assert rows(db, "SELECT kind, repo_id FROM repos ORDER BY kind, repo_id") == [
        ("dataset", "Qwen/CodeElo"),
        ("dataset", "Qwen/PolyMath"),
        ("dataset", "deepseek-ai/DeepSeek-ProverBench"),
        ("space", "Qwen/Qwen3-Demo"),
        ("space", "Wan-AI/Wan-2.2-5B"),
    ]
    assert rows(
        db,
        "SELECT r.repo_id, r.sdk, s.downloads_30d, s.likes FROM repos r JOIN repo_snapshots s ON s.repo_id = r.id WHERE kind = 'space' ORDER BY 1",
    ) == [
        ("Qwen/Qwen3-Demo", "gradio", None, 90),
        ("Wan-AI/Wan-2.2-5B", "docker", None, 15),
    ]


def test_a_broken_watch_list_costs_a_sync_of_named_accounts_nothing(
    hub: FakeHub, config: Path, tmp_path: Path
) -> None:
    """Accounts named on the command line need no watch list: one that became unreadable after
    the first sync costs only the companies (the stored ones are kept), never the day; without
    named accounts the watch list is what to sync, and the run stops in one line."""
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    stored = rows(db, "SELECT account, company FROM kind_companies ORDER BY 1")
    assert ("qwen", "Alibaba") in stored and ("wan-ai", "Alibaba") in stored
    config.write_text("[companies.X\n")
    named = run("--config", str(config), *sync_argv(hub, db, "Qwen", now="2025-11-25T06:00:00Z"))
    assert named.exit_code == 0, named.stderr
    assert "the watch list cannot be read (" in named.stderr and "not valid TOML" in named.stderr
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]
    assert rows(db, "SELECT account, company FROM kind_companies ORDER BY 1") == stored
    every = run("--config", str(config), *sync_argv(hub, db, now="2025-11-26T06:00:00Z"))
    assert (every.exit_code, every.stderr.count("\n")) == (1, 1)
    assert every.stderr.startswith("oss-tracker: error: ") and "is not valid TOML" in every.stderr
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]


def test_a_company_report_sums_its_accounts(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    out = run("--config", str(config), "report", "--company", "alibaba", "--db", str(db), "-f", "json")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["accounts"] == ["Qwen", "Wan-AI"]
    assert (data["models"], data["downloads_30d"], data["downloads_all_time"], data["likes"], data["followers"]) == (
        3, 1800, 14200, 110, 110
    )  # fmt: skip
    assert data["datasets"] == {"count": 2, "downloads_30d": 90, "downloads_all_time": 270, "likes": 9}
    assert data["spaces"]["count"] == 2 and data["spaces"]["likes"] == 105
    assert [m["id"] for m in data["top_models"]] == [
        "Qwen/Qwen3-8B",
        "Qwen/Qwen3-4B",
        "Wan-AI/Wan2.2-T2V-A14B",
    ]
    assert data["licenses"] == {"mit": 2, "apache-2.0": 1}


def test_a_group_compared_with_its_shares(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    out = run("--config", str(config), "compare", "--group", "china", "--db", str(db), "-f", "json")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    companies = {c["company"]: c for c in data["companies"]}
    assert set(companies) == {"Alibaba", "DeepSeek"}
    assert companies["Alibaba"]["downloads_30d"] == 1800 and companies["DeepSeek"]["downloads_30d"] == 2000
    # 1800 / 3800 of the group, 1800 / 7800 of all tracked downloads
    assert companies["Alibaba"]["share_of_group_pct"] == 47.4
    assert companies["Alibaba"]["share_of_all_pct"] == 23.1
    assert data["group"]["share_of_all_pct"] == 48.7
    assert data["all_tracked"]["downloads_30d"] == 7800
    everyone = json.loads(
        run("--config", str(config), "compare", "--by", "company", "--db", str(db), "-f", "json").stdout
    )
    assert [c["company"] for c in everyone["companies"]] == ["Meta", "DeepSeek", "Alibaba"]


def test_filters_by_company_and_group_on_reports(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    out = run(
        "--config",
        str(config),
        "releases",
        "--company",
        "Alibaba",
        "--db",
        str(db),
        "-f",
        "json",
        "--limit",
        "0",
    )
    assert sorted(r["id"] for r in json.loads(out.stdout)["releases"]) == [
        "Qwen/Qwen3-4B", "Qwen/Qwen3-8B", "Wan-AI/Wan2.2-T2V-A14B"
    ]  # fmt: skip
    lic = json.loads(
        run("--config", str(config), "licenses", "--group", "us", "--db", str(db), "-f", "json").stdout
    )
    assert [o["org"] for o in lic["orgs"]] == ["meta-llama"]
    bad = run("--config", str(config), "releases", "--company", "Nope", "--db", str(db))
    assert bad.exit_code == 1
    assert (
        bad.stderr
        == "oss-tracker: error: no company 'Nope' in the watch list (known: Alibaba, DeepSeek, Meta)\n"
    )


def test_dataset_and_space_releases_and_removal(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    hub.set_world(hub_world(drop_dataset=True))
    synced(hub, config, db, now="2025-11-25T06:00:00Z")
    out = json.loads(run("releases", "--type", "dataset", "--db", str(db), "-f", "json").stdout)
    assert [(r["id"], r["removed_at"]) for r in out["releases"]] == [
        ("Qwen/CodeElo", "2025-11-25T06:00:00Z"),
        ("Qwen/PolyMath", None),
        ("deepseek-ai/DeepSeek-ProverBench", None),
    ]
    spaces = run("releases", "--kind", "space", "--db", str(db), "-f", "csv").stdout.splitlines()
    assert spaces[0] == "created_at,id,org,license,sdk,first_seen,likes,removed_at"
    assert len(spaces) == 3
    assert rows(db, "SELECT kind, old FROM repo_events") == [("removed", "Qwen/CodeElo")]
    # The table says what the list is (every dataset seen, newest first) and marks the removed one.
    table = _cells(run("releases", "--type", "dataset", "--db", str(db), env={"COLUMNS": "200"}).stdout)
    assert table[:2] == [
        ["Datasets"],
        ["3", "datasets", "(1", "removed),", "newest", "first", "(by", "createdAt)"],
    ]
    rows_shown = [line for line in table if "2025" in line]
    assert [r[3] for r in rows_shown] == ["Qwen/CodeElo", "Qwen/PolyMath", "deepseek-ai/DeepSeek-ProverBench"]
    assert [r[-1] == "removed" for r in rows_shown] == [True, False, False]
    md = run("releases", "--type", "dataset", "--db", str(db), "-f", "markdown").stdout
    assert "| Qwen/CodeElo | Qwen | mit | 24 Nov 2025 | 20 | 2 | removed |" in md


def test_changes_list_new_removed_and_renamed_datasets_and_spaces(
    hub: FakeHub, config: Path, tmp_path: Path
) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    later = hub_world(drop_dataset=True)
    wan = next(s for s in later["spaces"] if s["id"] == "Wan-AI/Wan-2.2-5B")
    wan["id"] = "Wan-AI/Wan2.2-5B"  # same _id: a rename
    later["spaces"].append(space("Qwen/Qwen3-VL-Demo", 5))
    hub.set_world(later)
    synced(hub, config, db, now="2025-11-25T06:00:00Z")
    data = json.loads(run("changes", "--db", str(db), "-f", "json").stdout)
    assert (data["new"], data["removed"], data["renamed"]) == ([], [], [])
    assert data["datasets"] == {"new": [], "removed": ["Qwen/CodeElo"], "renamed": []}
    assert data["spaces"] == {
        "new": ["Qwen/Qwen3-VL-Demo"],
        "removed": [],
        "renamed": [{"from": "Wan-AI/Wan-2.2-5B", "to": "Wan-AI/Wan2.2-5B"}],
    }
    assert run("changes", "--db", str(db), "-f", "csv").stdout.splitlines() == [
        "change,kind,id,detail,at",
        "removed,dataset,Qwen/CodeElo,,2025-11-25T06:00:00Z",
        "new,Space,Qwen/Qwen3-VL-Demo,,2025-11-25T06:00:00Z",
        "renamed,Space,Wan-AI/Wan2.2-5B,from Wan-AI/Wan-2.2-5B,2025-11-25T06:00:00Z",
    ]
    md = run("changes", "--db", str(db), "-f", "markdown").stdout.splitlines()
    assert "- **removed** dataset Qwen/CodeElo" in md and "- **new** Space Qwen/Qwen3-VL-Demo" in md
    table = _cells(run("changes", "--db", str(db), env={"COLUMNS": "200"}).stdout)
    assert [r for r in table if r[0] in ("new", "removed", "renamed")] == [
        ["removed", "dataset", "Qwen/CodeElo"],
        ["new", "Space", "Qwen/Qwen3-VL-Demo"],
        ["renamed", "Space", "Wan-AI/Wan2.2-5B", "from", "Wan-AI/Wan-2.2-5B"],
    ]
    # A first listing (the accounts' first sync) is no wave of new datasets or Spaces.
    first = tmp_path / "first.db"
    synced(hub, config, first)
    fresh = json.loads(run("changes", "--db", str(first), "-f", "json").stdout)
    assert fresh["datasets"]["new"] == [] and fresh["spaces"]["new"] == []


def _cells(table: str) -> list[list[str]]:
    """A table's lines as words, without the box drawing."""
    out = [[w for w in line.split() if w.strip("│┃━─┏┓┗┛┡┩└┘┳┻╇┼┴┬╋")] for line in table.splitlines()]
    return [line for line in out if line]


def test_watch_add_checks_the_hub_and_remove_keeps_history(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    path = tmp_path / "cfg" / "watchlist.toml"
    base = ["--config", str(path)]
    missing = run(*base, "watch", "add", "NoSuchLab", "--endpoint", hub.url)
    assert missing.exit_code == 1
    assert missing.stderr == "oss-tracker: error: unknown organization 'NoSuchLab': the Hub answered 404\n"
    assert not path.exists()
    path.parent.mkdir()
    path.write_text(CONFIG)
    added = run(*base, "watch", "add", "Wan-AI", "--company", "Alibaba", "--endpoint", hub.url)
    assert added.exit_code == 1 and "already watched" in added.stderr
    ok = run(*base, "watch", "add", "meta-llama-2", "--company", "Meta", "--no-check")
    assert ok.exit_code == 0
    assert ok.stderr == (
        f"watching meta-llama-2 (company Meta, unverified: not checked on the Hub) — saved to {path}\n"
    )
    meta = watchlist.load(path).company("Meta")
    assert (meta.accounts, meta.unverified) == (["meta-llama", "meta-llama-2"], ["meta-llama-2"])
    assert 'unverified = ["meta-llama-2"]' in path.read_text()
    listed = json.loads(run(*base, "watch", "list", "-f", "json").stdout)
    assert next(c for c in listed["companies"] if c["name"] == "Meta")["unverified"] == ["meta-llama-2"]
    new = run(*base, "watch", "add", "deepseek-ai", "--endpoint", hub.url)
    assert new.exit_code == 1
    assert run(*base, "watch", "remove", "meta-llama").exit_code == 0
    # Checked on the Hub, an account is not marked unverified.
    again = run(*base, "watch", "add", "meta-llama", "--company", "Meta", "--endpoint", hub.url)
    assert again.exit_code == 0 and "unverified" not in again.stderr
    assert watchlist.load(path).company("Meta").unverified == ["meta-llama-2"]
    assert run(*base, "watch", "remove", "meta-llama").exit_code == 0
    listed = json.loads(run(*base, "watch", "list", "-f", "json").stdout)
    assert [c["name"] for c in listed["companies"]] == ["Alibaba", "DeepSeek", "Meta"]
    assert listed["groups"] == {"china": ["Alibaba", "DeepSeek"], "us": ["Meta"]}


def test_a_watch_list_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "w.toml"
    bad.write_text("[companies.X\naccounts = 3")
    out = run("--config", str(bad), "watch", "list")
    assert out.exit_code == 1
    assert out.stderr.startswith(f"oss-tracker: error: {bad} is not valid TOML:")
    assert len(out.stderr.splitlines()) == 1


def test_round_trip_and_the_bundled_example() -> None:
    example = watchlist.load(ROOT / "examples" / "watchlist.toml", explicit=True)
    again = watchlist.parse(__import__("tomllib").loads(watchlist.dumps(example)))
    assert again.companies == example.companies and again.groups == example.groups
    assert example.company("Alibaba").accounts[:2] == ["Qwen", "Wan-AI"]
    # Every account is either in the bundled fixtures or marked unverified.
    fixture_orgs = set(json.loads((ROOT / "fixtures" / "worlds" / "2025-11-27.json").read_text())["orgs"])
    for company in example.companies.values():
        for account in company.accounts:
            assert account in fixture_orgs or account in company.unverified, account


def test_an_account_gone_from_the_hub_does_not_stop_the_others(
    hub: FakeHub, config: Path, tmp_path: Path
) -> None:
    # The watch list names meta-llama; the Hub no longer knows it (renamed, deleted).
    w = hub_world()
    w["models"] = [m for m in w["models"] if not m["id"].startswith("meta-llama/")]
    w["orgs"].pop("meta-llama")
    hub.set_world(w)
    db = tmp_path / "t.db"
    result = run("--config", str(config), *sync_argv(hub, db))
    assert result.exit_code == 3
    assert result.stderr.endswith("— meta-llama: unknown organization 'meta-llama': the Hub answered 404\n")
    assert rows(db, "SELECT name FROM orgs ORDER BY name") == [("deepseek-ai",), ("Qwen",), ("Wan-AI",)]


def test_a_failing_space_listing_keeps_the_models(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    hub.add_fault("status", match="/api/spaces?author=Qwen", times=99, status=503)
    db = tmp_path / "t.db"
    args = ["--config", str(config), "sync", "--db", str(db), "--endpoint", hub.url, "--derivatives", "none"]
    result = run(*args, "--retries", "1")
    assert result.exit_code == 3
    assert "Qwen: space listing failed: HTTP 503 for GET /api/spaces after 2 attempts" in result.stderr
    assert rows(
        db,
        "SELECT count(*) FROM model_snapshots s JOIN models m ON m.id = s.model_id WHERE m.repo_id LIKE 'Qwen/%'",
    ) == [(2,)]
    assert rows(db, "SELECT kind, repo_id FROM repos WHERE repo_id LIKE 'Qwen/%' ORDER BY 1, 2") == [
        ("dataset", "Qwen/CodeElo"),
        ("dataset", "Qwen/PolyMath"),
    ]
    assert rows(
        db,
        "SELECT datasets_listed, spaces_listed FROM org_snapshots JOIN orgs o ON o.id = org_id WHERE o.name = 'Qwen'",
    ) == [(2, None)]


def test_a_group_report_sums_all_its_companies_accounts(hub: FakeHub, config: Path, tmp_path: Path) -> None:
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    synced(hub, config, db)
    out = run("--config", str(config), "report", "--group", "china", "--db", str(db), "-f", "json")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["accounts"] == ["Qwen", "Wan-AI", "deepseek-ai"]
    assert (data["models"], data["downloads_30d"], data["likes"], data["followers"]) == (4, 3800, 230, 310)


# -- each account once: the same account twice would count its models twice -----------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            CONFIG.replace('accounts = ["Qwen", "Wan-AI"]', 'accounts = ["Qwen", "Wan-AI", "qwen"]'),
            "the account 'qwen' is listed twice in companies.Alibaba.accounts: list it once",
            id="twice-in-one-company",
        ),
        pytest.param(
            CONFIG.replace('accounts = ["meta-llama"]', 'accounts = ["meta-llama", "QWEN"]'),
            "the account 'QWEN' is listed in companies.Alibaba.accounts and in companies.Meta.accounts: list it once",
            id="in-two-companies",
        ),
        pytest.param(
            CONFIG.replace('china = ["Alibaba", "DeepSeek"]', 'china = ["Alibaba", "DeepSeek", "Alibaba"]'),
            "group china names 'Alibaba' twice: its accounts would count twice",
            id="a-group-naming-a-company-twice",
        ),
    ],
)
def test_an_account_watched_twice_is_refused_on_load(
    hub: FakeHub, tmp_path: Path, text: str, message: str
) -> None:
    """`Qwen` and `qwen` in one company gave `report --company` 2,120 models (1,060 true), and one
    account in two companies of a group a 158.5 % share in `compare --by company`."""
    hub.set_world(hub_world())
    db = tmp_path / "t.db"
    good = tmp_path / "good.toml"
    good.write_text(CONFIG)
    synced(hub, good, db)
    hub.requests.clear()
    config = tmp_path / "watchlist.toml"
    config.write_text(text)
    expected = f"oss-tracker: error: {config}: {message}\n"
    for argv in (
        ["report", "--company", "Alibaba", "--db", str(db), "-f", "json"],
        ["compare", "--group", "china", "--db", str(db), "-f", "json"],
        ["watch", "list"],
        sync_argv(hub, tmp_path / "new.db"),
    ):
        result = run("--config", str(config), *argv)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected), argv
    assert hub.requests == [] and not (tmp_path / "new.db").exists()


def test_a_company_in_two_groups_is_fine(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.toml"
    config.write_text(CONFIG.replace('us = ["Meta"]', 'us = ["Meta"]\nall = ["Alibaba", "DeepSeek", "Meta"]'))
    wl = watchlist.load(config)
    assert wl.groups["all"] == ["Alibaba", "DeepSeek", "Meta"] and wl.groups["china"] == [
        "Alibaba",
        "DeepSeek",
    ]


def test_watch_add_of_an_account_another_company_watches_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.toml"
    config.write_text(CONFIG)
    result = run("--config", str(config), "watch", "add", "qwen", "--company", "Meta", "--no-check")
    assert (result.exit_code, result.stderr) == (
        1,
        "oss-tracker: error: 'qwen' is already watched (company Alibaba)\n",
    )
    assert config.read_text() == CONFIG
