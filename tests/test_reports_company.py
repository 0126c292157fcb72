"""`report --company` and `report --group`: an org report's sections, summed over the accounts.

The bundled history (fixtures/replay) holds Alibaba's two accounts, Qwen and Wan-AI; the
expected numbers come from the world files (fixtures/worlds), independently of the tracker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, load_world, model, run, sync_argv, world
from tests.fakehub import FakeHub

EXAMPLES = str(ROOT / "examples" / "watchlist.toml")


def _report(db: Path, *args: str, config: str = EXAMPLES, fmt: str = "json") -> Any:
    result = run("--config", config, "report", *args, "--db", str(db), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def _period(a: str, b: str, org: str) -> int:
    """Downloads of `org` between two days: all-time differences over the `_id`s listed on both,
    plus the all-time count of each `_id` created after the first day's sync (06:00)."""
    before = {m["_id"]: m["downloadsAllTime"] for m in load_world(a)["models"] if m["author"] == org}
    after = {m["_id"]: m for m in load_world(b)["models"] if m["author"] == org}
    return sum(
        m["downloadsAllTime"] - before[i] if i in before else m["downloadsAllTime"]
        for i, m in after.items()
        if i in before or m["createdAt"][:19] > f"{a}T06:00:00"
    )


def _all_time(day: str, *orgs: str) -> int:
    return sum(m["downloadsAllTime"] for m in load_world(day)["models"] if m["author"] in orgs)


def test_a_company_report_has_the_org_reports_sections_summed(bundled_history: Path) -> None:
    data = _report(bundled_history, "--company", "Alibaba")
    assert (data["company"], data["country"], data["accounts"]) == ("Alibaba", "CN", ["Qwen", "Wan-AI"])
    points = data["trend"]["points"]
    assert [(p["period"], p["gap"]) for p in points] == [
        ("2025-11-24", False), ("2025-11-25", False), ("2025-11-26", True), ("2025-11-27", False)
    ]  # fmt: skip
    assert [p["total"] for p in points] == [
        _all_time("2025-11-24", "Qwen", "Wan-AI"), _all_time("2025-11-25", "Qwen", "Wan-AI"), None,
        _all_time("2025-11-27", "Qwen", "Wan-AI"),
    ]  # fmt: skip
    pair = ("Qwen", "Wan-AI")
    assert [p["change"] for p in points] == [
        None,
        sum(_period("2025-11-24", "2025-11-25", o) for o in pair),
        None,
        sum(_period("2025-11-25", "2025-11-27", o) for o in pair),
    ]
    # The 25th: Qwen3-VL-32B-Thinking-FP8's launch (412) counts whole.
    assert [p["change"] for p in points] == [None, 2_262_524 + 412 + 7_493, None, 3_027_192 + 14_521]
    assert [(p["launches"], p["launch_downloads"]) for p in points] == [
        (0, None),
        (1, 412),
        (0, None),
        (0, 0),
    ]
    assert (points[3]["days"], points[3]["per_day"]) == (2, 1_520_856.5)
    assert data["trend"]["window"]["change"] == sum(_period("2025-11-24", "2025-11-27", o) for o in pair)
    assert [d["model"] for d in data["trend"]["drops"]] == ["Qwen/Qwen2.5-7B-Instruct"]
    # The derivative totals and releases per month of the two accounts, added up.
    qwen, wan = (_report(bundled_history, "--org", o) for o in pair)
    assert data["derivatives"]["total"] == qwen["derivatives"]["total"] + wan["derivatives"]["total"] == 2_086
    assert data["derivatives"]["models_counted"] == 1_060 + 8
    months = dict(qwen["releases_by_month"])
    for k, v in wan["releases_by_month"].items():
        months[k] = months.get(k, 0) + v
    assert data["releases_by_month"] == dict(sorted(months.items()))
    assert (data["releases_by_month"]["2025-02"], data["releases_by_month"]["2025-07"]) == (35, 36)


def test_a_company_report_shows_the_sections_and_honours_days(bundled_history: Path) -> None:
    text = _report(bundled_history, "--company", "Alibaba", "--days", "2", fmt="table")
    for title in (
        "Releases per month",
        "Downloads per day (last 2 days)",
        "All-time download counts that went down",
        "Derivatives (direct",
    ):
        assert title in text, title
    assert "+3,041,713" in text and "-1,516,081" in text
    data = _report(bundled_history, "--company", "Alibaba", "--days", "2")
    assert (data["trend"]["since"], data["trend"]["until"]) == ("2025-11-26", "2025-11-27")
    assert [p["period"] for p in data["trend"]["points"]] == ["2025-11-26", "2025-11-27"]


def test_the_org_report_lists_the_drop_its_warning_announces(bundled_history: Path) -> None:
    text = _report(bundled_history, "--org", "Qwen", fmt="table")
    assert "the period downloads include the drop, listed below" in " ".join(text.split())
    listed = text.split("All-time download counts that went down")[1]
    assert "Qwen/Qwen2.5-7B-Instruct" in listed and "126,340,042" in listed and "-1,516,081" in listed


def test_a_group_report_is_called_a_group(bundled_history: Path) -> None:
    data = _report(bundled_history, "--group", "CHINA")
    assert "company" not in data and "country" not in data
    # The group as the watch list spells it; only the companies of which an account was synced.
    assert data["group"] == "china"
    assert data["companies"] == ["DeepSeek", "Alibaba", "Moonshot AI", "MiniMax"]
    assert data["accounts"] == ["deepseek-ai", "Qwen", "Wan-AI", "moonshotai", "MiniMaxAI"]
    assert data["downloads_all_time"] == _all_time("2025-11-27", *data["accounts"])
    text = " ".join(_report(bundled_history, "--group", "china", fmt="table").split())
    assert "group china = the sum of its companies' accounts deepseek-ai, Qwen, Wan-AI" in text
    assert "company" not in text.split("group china = ")[1].split(";")[0]
    empty = run("--config", EXAMPLES, "report", "--group", "us", "--db", str(bundled_history))
    assert empty.exit_code == 1
    assert empty.stderr == (
        "oss-tracker: error: no data for group 'us': none of meta-llama, facebook, google, microsoft, "
        "nvidia, openai was synced yet\n"
    )


CONFIG = """
[companies.Co]
accounts = ["alpha", "beta", "gamma"]
"""


def _day(alpha: tuple[int, int], beta: int | None, gamma: int | None) -> dict[str, Any]:
    models = [
        model("alpha/a1", all_time=alpha[0], downloads=alpha[0] // 10),
        model("alpha/a2", all_time=alpha[1], downloads=alpha[1] // 10),
    ]
    if beta is not None:
        models.append(model("beta/b1", all_time=beta, downloads=beta // 10))
    if gamma is not None:
        models.append(model("gamma/c1", all_time=gamma, downloads=gamma // 10))
    return world(*models)


def test_a_day_an_account_misses_is_a_gap_of_the_sum(hub: FakeHub, tmp_path: Path) -> None:
    """alpha and beta on the 24th; alpha alone on the 25th (beta's listing failed, say); all three
    on the 26th, gamma for the first time. The 25th is a gap for the company, never alpha's part
    alone; the 26th sums each account's downloads since the 24th over its models present at both
    ends: gamma, new that day, adds nothing to the downloads (its level counts)."""
    config = tmp_path / "wl.toml"
    config.write_text(CONFIG)
    db = tmp_path / "t.db"
    for now, w, orgs in (
        ("2025-11-24T06:00:00Z", _day((1000, 500), 2000, None), ("alpha", "beta")),
        ("2025-11-25T06:00:00Z", _day((1100, 550), 2300, None), ("alpha",)),
        ("2025-11-26T06:00:00Z", _day((1300, 600), 2600, 10_000), ("alpha", "beta", "gamma")),
    ):
        hub.set_world(w)
        result = run(*sync_argv(hub, db, *orgs, now=now))
        assert result.exit_code == 0, result.stderr
    data = _report(db, "--company", "Co", config=str(config))
    points = [
        (p["period"], p["gap"], p["total"], p["change"], p["days"], p["growth_pct"])
        for p in data["trend"]["points"]
    ]
    assert points == [
        ("2025-11-24", False, 3_500, None, None, None),
        ("2025-11-25", True, None, None, None, None),
        # alpha 300 + 100, beta 600: 1,000 over the 3,500 they counted on the 24th
        ("2025-11-26", False, 14_500, 1_000, 2, 28.57),
    ]
    assert data["trend"]["window"] == {
        "from": "2025-11-24", "to": "2025-11-26", "change": 1_000, "growth_pct": 28.57, "snapshots": 2, "gaps": 1,
        "launches": 0, "launch_downloads": 0, "first_seen_not_counted": 0,
        "accounts_counted_from": [{"account": "gamma", "from": "2025-11-26"}],  # alone at its first: adds 0
    }  # fmt: skip
    # alpha's own report does have the 25th.
    alpha = _report(db, "--org", "alpha", config=str(config))
    assert [p["change"] for p in alpha["trend"]["points"]] == [None, 150, 250]
