"""`trends --by company` and `--metric share` (issue 14, point 3): each company's accounts summed
day by day, and each company's share of the downloads of all shown, over time.

The bundled history holds Alibaba's two accounts (Qwen and Wan-AI in examples/watchlist.toml);
the expected numbers come from the world files (tests/test_reports_company.py's helpers). The
fake-Hub history below has an account that misses a day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import model, run, sync_argv, world
from tests.fakehub import FakeHub
from tests.test_reports_company import EXAMPLES, _all_time, _period

DAYS = ("2025-11-24", "2025-11-25", "2025-11-27")


def _trends(db: Path, *args: str, config: str = EXAMPLES) -> Any:
    result = run("--config", config, "trends", *args, "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_company_is_one_series_of_its_accounts_summed(bundled_history: Path) -> None:
    data = _trends(bundled_history, "--company", "Alibaba")
    assert data["by"] == "company"
    (alibaba,) = data["series"]
    assert (alibaba["company"], alibaba["accounts"]) == ("Alibaba", ["Qwen", "Wan-AI"])
    pair = ("Qwen", "Wan-AI")
    points = alibaba["points"]
    assert [p["total"] for p in points] == [
        _all_time(DAYS[0], *pair), _all_time(DAYS[1], *pair), None, _all_time(DAYS[2], *pair)
    ]  # fmt: skip
    assert [p["change"] for p in points] == [
        None, sum(_period(DAYS[0], DAYS[1], o) for o in pair), None, sum(_period(DAYS[1], DAYS[2], o) for o in pair)
    ] == [None, 2_262_936 + 7_493, None, 3_027_192 + 14_521]  # fmt: skip
    assert alibaba["window"]["change"] == sum(_period(DAYS[0], DAYS[2], o) for o in pair) == 5_312_068
    # --by org keeps the accounts apart, as before.
    apart = _trends(bundled_history, "--company", "Alibaba", "--by", "org")
    assert "by" not in apart and [s["org"] for s in apart["series"]] == ["Qwen", "Wan-AI"]
    # Levels add up too: likes.
    likes = _trends(bundled_history, "--company", "Alibaba", "--metric", "likes")["series"][0]["points"]
    assert [p["total"] for p in likes] == [47_506 + 4_140, 47_595 + 4_145, None, 47_798 + 4_152]


def test_every_account_in_its_company_and_one_of_no_company_alone(
    bundled_history: Path, tmp_path: Path
) -> None:
    """By company over the whole database: the default watch list has no Wan-AI, so Wan-AI is a
    company of its own; the example list puts it with Qwen."""
    no_file = {"XDG_CONFIG_HOME": str(tmp_path), "OSS_TRACKER_CONFIG": None}
    result = run("trends", "--by", "company", "--db", str(bundled_history), "--json", env=no_file)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stderr
    default = json.loads(result.stdout)
    assert [(s["company"], s["accounts"]) for s in default["series"]] == [
        ("Alibaba", ["Qwen"]),
        ("DeepSeek", ["deepseek-ai"]),
        ("MiniMax", ["MiniMaxAI"]),
        ("Moonshot AI", ["moonshotai"]),
        ("Wan-AI", ["Wan-AI"]),
    ]
    example = _trends(bundled_history, "--by", "company")
    assert [s["company"] for s in example["series"]] == ["Alibaba", "DeepSeek", "MiniMax", "Moonshot AI"]
    table = run("--config", EXAMPLES, "trends", "--group", "china", "--db", str(bundled_history)).stdout
    assert "Downloads per day by company" in table
    assert "a company is the sum of its accounts (Alibaba = Qwen + Wan-AI; DeepSeek = deepseek-ai;" in table


def test_each_companys_share_of_the_downloads_shown(bundled_history: Path) -> None:
    data = _trends(bundled_history, "--group", "china", "--metric", "share")
    assert data["metric"] == "share"
    accounts = {"Alibaba": ("Qwen", "Wan-AI"), "DeepSeek": ("deepseek-ai",), "MiniMax": ("MiniMaxAI",),
                "Moonshot AI": ("moonshotai",)}  # fmt: skip
    for a, b, index in ((DAYS[0], DAYS[1], 1), (DAYS[1], DAYS[2], 3)):
        downloads = {c: sum(_period(a, b, o) for o in orgs) for c, orgs in accounts.items()}
        whole = sum(downloads.values())
        for s in data["series"]:
            p = s["points"][index]
            assert (p["change"], p["group_downloads"]) == (downloads[s["company"]], whole)
            assert p["share_pct"] == round(100 * downloads[s["company"]] / whole, 1)
    shares = {s["company"]: [p["share_pct"] for p in s["points"]] for s in data["series"]}
    assert shares == {
        "Alibaba": [None, 79.8, None, 77.9],  # 2,270,429 of 2,846,573; 3,041,713 of 3,904,048
        "DeepSeek": [None, 18.4, None, 19.2],
        "MiniMax": [None, 0.9, None, 1.3],
        "Moonshot AI": [None, 1.0, None, 1.6],
    }
    windows = {s["company"]: (s["window"]["change"], s["window"]["share_pct"]) for s in data["series"]}
    assert windows == {
        "Alibaba": (5_312_068, 78.7),  # of 6,750,547
        "DeepSeek": (1_272_873, 18.9),
        "MiniMax": (76_405, 1.1),
        "Moonshot AI": (89_201, 1.3),
    }
    table = run(
        "--config", EXAMPLES, "trends", "--group", "china", "--metric", "share", "--db", str(bundled_history)
    )
    assert "│ Alibaba     │ 25 Nov 2025 │ +2,270,429 │ 2,846,573 │ 79.8% │" in table.stdout


def _world(day: int, accounts: tuple[str, ...]) -> dict:
    counts = {"alpha": (1_000, 1_100, 1_300), "beta": (500, 550, 600), "gamma": (2_000, 2_300, 2_600)}
    return world(*(model(f"{a}/m", all_time=counts[a][day]) for a in accounts))


CONFIG = """
[companies.Co]
accounts = ["alpha", "beta"]

[companies.Other]
accounts = ["gamma"]

[groups]
all = ["Co", "Other"]
"""


def test_a_day_one_account_misses_is_a_gap_for_its_company_and_for_the_shares(
    hub: FakeHub, tmp_path: Path
) -> None:
    """beta misses the 25th (its listing failed, say). Co (alpha + beta) has a gap that day, never
    alpha's part alone; Other (gamma) does not. Shares need every company's downloads between the
    same two days: the 25th is a gap for all of them, and the 26th is measured from the 24th."""
    config = tmp_path / "wl.toml"
    config.write_text(CONFIG)
    db = tmp_path / "t.db"
    for day, (now, orgs) in enumerate(
        (
            ("2025-11-24T06:00:00Z", ("alpha", "beta", "gamma")),
            ("2025-11-25T06:00:00Z", ("alpha", "gamma")),
            ("2025-11-26T06:00:00Z", ("alpha", "beta", "gamma")),
        )
    ):
        hub.set_world(_world(day, orgs))
        result = run(*sync_argv(hub, db, *orgs, now=now))
        assert result.exit_code == 0, result.stderr
    data = _trends(db, "--group", "all", config=str(config))
    got = {s["company"]: [(p["gap"], p["total"], p["change"]) for p in s["points"]] for s in data["series"]}
    assert got == {
        "Co": [(False, 1_500, None), (True, None, None), (False, 1_900, 400)],  # alpha 300 + beta 100
        "Other": [(False, 2_000, None), (False, 2_300, 300), (False, 2_600, 300)],
    }
    share = _trends(db, "--group", "all", "--metric", "share", config=str(config))
    got = {
        s["company"]: [(p["gap"], p["change"], p["group_downloads"], p["share_pct"]) for p in s["points"]]
        for s in share["series"]
    }
    assert got == {
        "Co": [(False, None, None, None), (True, None, None, None), (False, 400, 1_000, 40.0)],
        "Other": [(False, None, None, None), (True, None, None, None), (False, 600, 1_000, 60.0)],
    }


def test_what_share_and_by_do_not_go_with(bundled_history: Path) -> None:
    db = str(bundled_history)
    share = run("trends", "--db", db, "--model", "Qwen/Qwen3-8B", "--metric", "share")
    assert (share.exit_code, share.stderr) == (
        2, "oss-tracker: error: --metric share is for organizations and companies, not models\n"
    )  # fmt: skip
    by = run("trends", "--db", db, "--model", "Qwen/Qwen3-8B", "--by", "company")
    assert (by.exit_code, by.stderr) == (
        2,
        "oss-tracker: error: --by groups organizations: it does nothing with --model\n",
    )


def test_a_window_is_measured_from_the_last_day_every_account_has(hub: FakeHub, tmp_path: Path) -> None:
    """alpha misses the 22nd, beta the 23rd. A window from the 24th starts from the last day both
    have before it, the 21st, though each has a later one of its own (alpha the 23rd, beta the
    22nd): reading only each account's own last day before the window would go back to the 20th."""
    config = tmp_path / "wl.toml"
    config.write_text(CONFIG)
    db = tmp_path / "t.db"
    counts = {"alpha": [100, 110, 130, 160, 200], "beta": [1_000, 1_001, 1_003, 1_006, 1_010]}
    for day in range(5):
        orgs = [o for o, missing in (("alpha", 2), ("beta", 3)) if day != missing]
        hub.set_world(world(*(model(f"{o}/m", all_time=counts[o][day]) for o in orgs)))
        result = run(*sync_argv(hub, db, *orgs, now=f"2025-11-{20 + day}T06:00:00Z"))
        assert result.exit_code == 0, result.stderr
    data = _trends(db, "--company", "Co", "--since", "2025-11-24", config=str(config))
    (co,) = data["series"]
    assert [(p["period"], p["total"], p["change"], p["days"]) for p in co["points"]] == [
        ("2025-11-24", 1_210, (200 - 110) + (1_010 - 1_001), 3)
    ]
    assert (co["window"]["from"], co["window"]["change"]) == ("2025-11-21", 99)
