"""The bundled recordings replayed through the real sync: exact numbers, computed here from the worlds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, load_world, rows, run

DAYS = ["2025-11-24", "2025-11-25", "2025-11-27"]
ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A database after each replayed day (each one a copy carried forward)."""
    folder = tmp_path_factory.mktemp("replay")
    db = folder / "work.db"
    out = {}
    for day in DAYS:
        result = run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day))
        assert result.exit_code == 0, result.stderr
        snapshot = folder / f"{day}.db"
        # The online-backup API, not a file copy: in WAL mode the latest commits may
        # still be in the -wal file.
        with sqlite3.connect(db) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        out[day] = snapshot
    return out


def expected_license(item: dict) -> str:
    tag = next((t[8:] for t in item.get("tags", []) if t.startswith("license:")), None)
    if tag is None:
        return "unknown"
    name = (item.get("cardData") or {}).get("license_name")
    return name.lower() if tag == "other" and name else tag.lower()


def org_models(world: dict, org: str) -> list[dict]:
    return [m for m in world["models"] if m["id"].split("/")[0] == org]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("org", ORGS)
def test_report_totals_match_the_world(replayed: dict[str, Path], day: str, org: str) -> None:
    world = load_world(day)
    models = org_models(world, org)
    out = run("report", "--org", org, "--db", str(replayed[day]), "--format", "json")
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["as_of"] == f"{day}T06:00:00Z"
    assert report["models"] == len(models)
    assert report["downloads_30d"] == sum(m["downloads"] for m in models)
    assert report["downloads_all_time"] == sum(m["downloadsAllTime"] for m in models)
    assert report["likes"] == sum(m["likes"] for m in models)
    assert report["followers"] == world["orgs"][org]["numFollowers"]
    licences: dict[str, int] = {}
    for m in models:
        licences[expected_license(m)] = licences.get(expected_license(m), 0) + 1
    assert report["licenses"] == licences
    months: dict[str, int] = {}
    for m in models:
        months[m["createdAt"][:7]] = months.get(m["createdAt"][:7], 0) + 1
    assert report["releases_by_month"] == dict(sorted(months.items()))
    top = sorted(models, key=lambda m: (-m["downloads"], m["id"]))[:10]
    assert [(t["id"], t["downloads_30d"]) for t in report["top_models"]] == [
        (m["id"], m["downloads"]) for m in top
    ]


def test_qwen_needs_two_pages(replayed: dict[str, Path]) -> None:
    lines = (FIXTURES / "replay" / "2025-11-24" / "responses.jsonl").read_text().splitlines()
    qwen_pages = [
        json.loads(line) for line in lines if '"path":"/api/models"' in line and "author=Qwen" in line
    ]
    assert [len(p["json"]) for p in qwen_pages] == [1000, 60]
    assert "link" in qwen_pages[0]["headers"] and "link" not in qwen_pages[1]["headers"]


def test_changes_day_two_and_three(replayed: dict[str, Path]) -> None:
    day2 = json.loads(run("changes", "--db", str(replayed["2025-11-25"]), "-f", "json").stdout)
    assert (day2["new"], day2["removed"], day2["renamed"]) == (["Qwen/Qwen3-VL-32B-Thinking-FP8"], [], [])
    assert day2["license_changed"] == [{"id": "MiniMaxAI/MiniMax-M2", "from": "mit", "to": "modified-mit"}]
    day3 = json.loads(run("changes", "--db", str(replayed["2025-11-27"]), "-f", "json").stdout)
    assert day3["new"] == ["deepseek-ai/DeepSeek-Math-V2"]
    assert day3["removed"] == ["Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8"]
    assert day3["renamed"] == [
        {"from": "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8", "to": "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic"}
    ]
    assert day3["license_changed"] == []
    # The rename kept one model (one _id), with its history from day one.
    history = rows(
        replayed["2025-11-27"],
        "SELECT count(*) FROM model_snapshots s JOIN models m ON m.id = s.model_id WHERE m.hub_id = ?",
        "68c0440d534568a8e9c27d84",
    )
    assert history == [(3,)]


def test_derivative_counts_of_the_stored_forms(replayed: dict[str, Path]) -> None:
    out = json.loads(
        run("derivatives", "--db", str(replayed["2025-11-27"]), "-f", "json", "--limit", "3").stdout
    )
    by_id = {o["id"]: o for o in out["bases"]}
    world = {m["id"]: m for m in load_world("2025-11-27")["models"]}
    qwen3 = world["Qwen/Qwen3-8B"]["childrenModelCount"]
    assert by_id["Qwen/Qwen3-8B"]["finetune"] == qwen3["finetune"]
    assert by_id["Qwen/Qwen3-8B"]["total"] == sum(qwen3.values())
    r1 = by_id["deepseek-ai/DeepSeek-R1"]
    assert (r1["total"], r1["finetune"]) == (world["deepseek-ai/DeepSeek-R1"]["childrenModelCount"], None)


def test_replay_is_deterministic(replayed: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "again.db"
    assert run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / DAYS[0])).exit_code == 0
    query = "SELECT m.hub_id, s.downloads_all_time, s.likes FROM model_snapshots s JOIN models m ON m.id = s.model_id ORDER BY 1"
    assert rows(db, query) == rows(replayed[DAYS[0]], query)
    counts = "SELECT m.hub_id, d.total FROM derivative_counts d JOIN models m ON m.id = d.model_id ORDER BY 1"
    assert rows(db, counts) == rows(replayed[DAYS[0]], counts)


def test_a_models_counts_by_its_former_name(bundled_history: Path) -> None:
    """Renamed on day 3: the old name still finds the model (as trends --model does)."""
    old, new = "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8", "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic"
    by_old = json.loads(run("derivatives", old, "--db", str(bundled_history), "-f", "json").stdout)
    by_new = json.loads(run("derivatives", new, "--db", str(bundled_history), "-f", "json").stdout)
    assert by_old == by_new
    assert by_old["id"] == new and [c["day"] for c in by_old["counts"]] == ["2025-11-25"]


def test_edges_keep_to_the_accounts_asked_for(bundled_history: Path) -> None:
    def edges(*args: str) -> list[tuple[str, str]]:
        out = run("derivatives", "--edges", *args, "--db", str(bundled_history), "-f", "json")
        return [(e["id"], e["base"]) for e in json.loads(out.stdout)["edges"]]

    everyone = edges()
    assert everyone == [
        ("MiniMaxAI/SynLogic-7B", "Qwen/Qwen2.5-7B"),
        ("MiniMaxAI/SynLogic-Mix-3-32B", "Qwen/Qwen2.5-32B"),
        ("moonshotai/Kimi-Dev-72B", "Qwen/Qwen2.5-72B"),
    ]
    assert edges("--org", "moonshotai") == [("moonshotai/Kimi-Dev-72B", "Qwen/Qwen2.5-72B")]
    assert edges("--org", "Qwen") == everyone  # the base's side counts too
    table = run("derivatives", "--org", "moonshotai", "--db", str(bundled_history)).stdout
    assert "moonshotai/Kimi-Dev-72B" in table and "MiniMaxAI/SynLogic" not in table
