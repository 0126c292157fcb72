"""`oss-tracker model ID` (issue 14 point 5): one model's page, by its name, a former name or its
Hub `_id`, on the bundled replays (fixtures/worlds: 24, 25 and 27 Nov 2025; the 26th a gap).

The expected values come from the world files, independently of the tracker.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPLAY_DAYS, load_world, run

WORLDS = {day: {m["id"]: m for m in load_world(day)["models"]} for day in REPLAY_DAYS}


def page(db: Path, ident: str, *args: str) -> dict[str, Any]:
    result = run("model", ident, "--db", str(db), "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def iso(at: str) -> str:
    return re.sub(r"\.\d+Z$", "Z", at)


def test_a_model_page_has_its_facts_history_and_trend(bundled_history: Path) -> None:
    """MiniMax-M2 changed licence on the 25th: created, first seen, the licence history, the
    downloads (all-time differences, the gap a gap) and likes each day, as the worlds say."""
    data = page(bundled_history, "MiniMaxAI/MiniMax-M2")
    w24, w25, w27 = (WORLDS[d]["MiniMaxAI/MiniMax-M2"] for d in REPLAY_DAYS)
    assert {k: data[k] for k in ("id", "hub_id", "org", "matched", "status", "created_at", "first_seen",
                                 "last_seen", "removed_at", "license", "license_tag", "license_name",
                                 "license_group", "parameters", "pipeline_tag", "library_name", "gated",
                                 "kind", "kind_inferred", "kind_basis", "details")} == {
        "id": "MiniMaxAI/MiniMax-M2", "hub_id": w27["_id"], "org": "MiniMaxAI", "matched": "name",
        "status": "current", "created_at": iso(w27["createdAt"]), "first_seen": "2025-11-24T06:00:00Z",
        "last_seen": "2025-11-27T06:00:00Z", "removed_at": None, "license": "modified-mit",
        "license_tag": "other", "license_name": "modified-mit", "license_group": "custom",
        "parameters": w27["safetensors"]["total"], "pipeline_tag": "text-generation",
        "library_name": "transformers", "gated": "false",
        # What it is (issue 14, points 1 and 8), read through reports.common.model_facts: no base
        # declared, and what its listing's config and provider mapping say.
        "kind": "original", "kind_inferred": False, "kind_basis": "no declared base",
        "details": {
            "architecture": w27["config"]["architectures"][0], "model_type": w27["config"]["model_type"],
            "context_length": None, "active_parameters": None,
            "moe": True,  # minimax_m2: a mixture of experts, though no name gives its active parameters
            "providers": {i["provider"]: i["status"] for i in w27["inferenceProviderMapping"]},
            "papers": sorted({t.removeprefix("arxiv:") for t in w27["tags"] if t.startswith("arxiv:")}) or None,
        },
    }  # fmt: skip
    assert data["details"]["providers"] == {"fireworks-ai": "live", "novita": "live"}
    assert data["first_sight"] == {"as_of": "2025-11-24T06:00:00Z", "downloads_30d": w24["downloads"],
                                   "downloads_all_time": w24["downloadsAllTime"], "likes": w24["likes"]}  # fmt: skip
    assert data["latest"] == {"as_of": "2025-11-27T06:00:00Z", "downloads_30d": w27["downloads"],
                              "downloads_all_time": w27["downloadsAllTime"], "likes": w27["likes"],
                              "trending": w27["trendingScore"]}  # fmt: skip
    assert data["license_changes"] == [{"at": "2025-11-25T06:00:00Z", "from": "mit", "to": "modified-mit"}]
    assert data["renames"] == [] and data["removals"] == [] and data["bases"] == []
    points = [(p["period"], p["gap"], p["downloads_all_time"], p["downloads"], p["days"], p["likes"],
               p["likes_change"]) for p in data["trend"]["points"]]  # fmt: skip
    assert points == [
        ("2025-11-24", False, w24["downloadsAllTime"], None, None, w24["likes"], None),
        ("2025-11-25", False, w25["downloadsAllTime"], w25["downloadsAllTime"] - w24["downloadsAllTime"], 1,
         w25["likes"], w25["likes"] - w24["likes"]),
        ("2025-11-26", True, None, None, None, None, None),
        ("2025-11-27", False, w27["downloadsAllTime"], w27["downloadsAllTime"] - w25["downloadsAllTime"], 2,
         w27["likes"], w27["likes"] - w25["likes"]),
    ]  # fmt: skip
    assert data["trend"]["window"] == {
        "from": "2025-11-24", "to": "2025-11-27",
        "downloads": w27["downloadsAllTime"] - w24["downloadsAllTime"],
        "growth_pct": round(100 * (w27["downloadsAllTime"] - w24["downloadsAllTime"]) / w24["downloadsAllTime"], 2),
        "likes_change": w27["likes"] - w24["likes"],
    }  # fmt: skip
    assert (data["since"], data["until"], data["interval"]) == ("2025-11-24", "2025-11-27", "day")


def test_a_former_name_and_the_hub_id_find_the_renamed_model(bundled_history: Path) -> None:
    old, new = "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8", "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic"
    by_old = page(bundled_history, old)
    assert (by_old["id"], by_old["matched"]) == (new, "former name")
    assert by_old["renames"] == [{"at": "2025-11-27T06:00:00Z", "from": old, "to": new}]
    by_id = page(bundled_history, WORLDS["2025-11-27"][new]["_id"])
    assert (by_id["id"], by_id["matched"]) == (new, "hub_id")
    by_name = page(bundled_history, new.lower())  # the Hub's names ignore case
    assert by_name["matched"] == "name"
    for other in (by_id, by_name):
        del other["matched"]
    del by_old["matched"]
    assert by_old == by_id == by_name
    # One model, with its history from day one under either name.
    assert [p["downloads_all_time"] for p in by_old["trend"]["points"]] == [
        WORLDS["2025-11-24"][old]["downloadsAllTime"], WORLDS["2025-11-25"][old]["downloadsAllTime"], None,
        WORLDS["2025-11-27"][new]["downloadsAllTime"],
    ]  # fmt: skip
    lines = run("model", old, "--db", str(bundled_history)).stdout.splitlines()
    assert any(re.fullmatch(rf"│ Found by +│ its former name {old} +│", line) for line in lines)
    assert any(re.fullmatch(r"│ Kind +│ conversion \(declared quantized\) +│", line) for line in lines)
    assert any(
        re.fullmatch(r"│ Active parameters +│ 3\.0B \(mixture of experts, from its name\) +│", line)
        for line in lines
    )
    assert any(re.match(rf"│ 27 Nov 2025 │ renamed +│ {old} -> {new} │", line) for line in lines)


def test_a_removed_model_says_when_and_its_trend_stops(bundled_history: Path) -> None:
    gone = "Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8"
    data = page(bundled_history, gone)
    assert (data["status"], data["removed_at"], data["last_seen"]) == (
        "removed", "2025-11-27T06:00:00Z", "2025-11-25T06:00:00Z"
    )  # fmt: skip
    assert data["removals"] == [{"at": "2025-11-27T06:00:00Z", "event": "removed"}]
    assert [p["period"] for p in data["trend"]["points"]] == ["2025-11-24", "2025-11-25"]
    assert data["latest"]["downloads_all_time"] == WORLDS["2025-11-25"][gone]["downloadsAllTime"]
    lines = run("model", gone, "--db", str(bundled_history)).stdout.splitlines()
    assert "│ Status                   │ removed 27 Nov 2025 (last listed 25 Nov 2025) │" in lines


def test_declared_bases_across_accounts_both_ways(bundled_history: Path) -> None:
    """Kimi-Dev-72B (moonshotai) declares Qwen/Qwen2.5-72B as its finetune base: Kimi's page shows
    the base and its account, Qwen's page shows Kimi among the watched models built on it."""
    declared = WORLDS["2025-11-27"]["moonshotai/Kimi-Dev-72B"]
    assert declared["baseModels"] == {"models": [{"_id": "66e6372a0b58755f964a861c", "id": "Qwen/Qwen2.5-72B"}],
                                      "relation": "finetune"}  # fmt: skip
    kimi = page(bundled_history, "moonshotai/Kimi-Dev-72B")
    assert kimi["bases"] == [
        {"id": "Qwen/Qwen2.5-72B", "relation": "finetune", "org": "Qwen", "declared": "tags, baseModels",
         "self": False}
    ]  # fmt: skip
    base = page(bundled_history, "Qwen/Qwen2.5-72B")
    assert {"id": "moonshotai/Kimi-Dev-72B", "org": "moonshotai", "relation": "finetune"} in base[
        "built_on_it"
    ]
    watched = {"deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI", "Wan-AI"}
    expected = sorted(
        m["id"]
        for m in WORLDS["2025-11-27"].values()
        if m["author"] in watched
        and any(t.endswith(":Qwen/Qwen2.5-72B") for t in m["tags"] if t.startswith("base_model:"))
    )
    assert [c["id"] for c in base["built_on_it"]] == expected


def test_derivative_counts_over_time(bundled_history: Path) -> None:
    data = page(bundled_history, "Qwen/Qwen3-8B")
    counts = {c["day"]: c for c in data["derivatives"]["counts"]}
    assert counts  # counted in rotation: on some of the days
    for day, count in counts.items():
        world = WORLDS[day]["Qwen/Qwen3-8B"]["childrenModelCount"]
        assert {k: count[k] for k in world} == world
        assert count["total"] == sum(world.values())
    latest = max(counts)
    assert data["derivatives"]["latest"] == counts[latest]


def test_week_interval_and_a_window(bundled_history: Path) -> None:
    data = page(bundled_history, "MiniMaxAI/MiniMax-M2", "--interval", "week", "--since", "2025-11-25")
    w24, w27 = (WORLDS[d]["MiniMaxAI/MiniMax-M2"] for d in ("2025-11-24", "2025-11-27"))
    [point] = data["trend"]["points"]
    assert (point["period"], point["date"], point["downloads"], point["days"]) == (
        "2025-W48", "2025-11-27", w27["downloadsAllTime"] - w24["downloadsAllTime"], 3
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (("nobody/none",), 1, "no model 'nobody/none' in the database (see `oss-tracker releases`)"),
        (("Qwen/Qwen3-8B", "--since", "2026-01-01"),
         1, "--since 2026-01-01 is past the end of the history: the history runs from 2025-11-24 to 2025-11-27"),
        (("Qwen/Qwen3-8B", "--since", "2025-11-27", "--until", "2025-11-24"),
         2, "--since 2025-11-27 is after --until 2025-11-24"),
        ((), 2, "model needs ID: a model: its repo id, a former name, or its Hub _id; see 'oss-tracker model -h'"),
    ],
)  # fmt: skip
def test_a_model_page_refuses_clearly(
    bundled_history: Path, args: tuple[str, ...], code: int, line: str
) -> None:
    result = run("model", *args, "--db", str(bundled_history))
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"oss-tracker: error: {line}\n")


def test_markdown_and_csv(bundled_history: Path) -> None:
    md = run("model", "MiniMaxAI/MiniMax-M2", "--db", str(bundled_history), "-f", "markdown").stdout
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# MiniMaxAI/MiniMax-M2",
        "## Downloads per day (· = no snapshot)",
        "## Likes (· = no snapshot)",
        "## About",
        "## History",
        "## Declared bases",
        "## Watched models built on it",
        "## Downloads and likes per day (24 Nov 2025 – 27 Nov 2025)",
        "## Direct derivatives by day (24 Nov 2025 – 27 Nov 2025)",
    ]
    assert "| 25 Nov 2025 | licence changed | mit -\\> modified-mit |" in md
    csv = run("model", "MiniMaxAI/MiniMax-M2", "--db", str(bundled_history), "-f", "csv").stdout.splitlines()
    assert (
        csv[0]
        == "period,period_start,date,as_of,gap,downloads_all_time,downloads,days,per_day,growth_pct,likes,likes_change,drops,launch,first_seen_not_counted"
    )
    assert csv[3] == "2025-11-26,2025-11-26,,,true,,,,,,,,0,false,false"


def test_a_model_declaring_itself_as_its_base_is_flagged(bundled_history: Path) -> None:
    """DeepSeek-Math-V2's card names DeepSeek-Math-V2 as its (quantized) base: no base of its own,
    a self-reference, flagged as such rather than listed as a relation."""
    repo = "deepseek-ai/DeepSeek-Math-V2"
    card = WORLDS["2025-11-27"][repo]
    assert f"base_model:quantized:{repo}" in card["tags"]
    data = page(bundled_history, repo)
    assert data["bases"] == [
        {
            "id": repo,
            "relation": "quantized",
            "org": "deepseek-ai",
            "declared": "tags, baseModels",
            "self": True,
        }
    ]
    table = " ".join(run("model", repo, "--db", str(bundled_history)).stdout.split())
    assert f"Declared bases │ {repo} (quantized; itself) │" in table
    assert "the model itself (its card names it as its own base)" in table
    assert (data["kind"], data["kind_basis"]) == ("original", "names itself as its base: no base declared")
