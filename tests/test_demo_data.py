"""The bundled demo is labelled as such: a report on replayed runs says "demo data", and the
fixtures keep their invented numbers apart from the real records (fixtures/worlds/provenance.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, copy_db, load_world, model, run, sync, world
from tests.fakehub import FakeHub

EXAMPLES = str(ROOT / "examples" / "watchlist.toml")
DEMO = "demo data: replayed from a recording, not fetched from the Hub (the bundled demo's numbers are partly invented)"
# Every command that reads the database, as a user would type it.
REPORTS = {
    "report": ("report", "--org", "Qwen"),
    "report-company": ("report", "--company", "Alibaba"),
    "report-group": ("report", "--group", "china"),
    "changes": ("changes",),
    "changes-since": ("changes", "--since", "2025-11-24"),
    "model": ("model", "Qwen/Qwen3-8B"),
    "trends": ("trends",),
    "trends-model": ("trends", "--model", "Qwen/Qwen3-8B", "--metric", "derivatives"),
    "releases": ("releases",),
    "releases-dataset": ("releases", "--type", "dataset"),
    "licenses": ("licenses",),
    "compare": ("compare",),
    "compare-company": ("compare", "--by", "company"),
    "derivatives": ("derivatives",),
    "derivatives-family": ("derivatives", "--family", "Qwen3-*"),
    "derivatives-model": ("derivatives", "Qwen/Qwen3-8B"),
    "derivatives-edges": ("derivatives", "--edges"),
    "status": ("status", "--max-age", "876000", "--now", "2025-11-27T07:00:00Z"),
}


def _out(db: Path, args: tuple[str, ...], fmt: str) -> str:
    result = run("--config", EXAMPLES, *args, "--db", str(db), "--format", fmt, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_on_a_replay_says_it_is_demo_data(bundled_history: Path, name: str) -> None:
    args = REPORTS[name]
    assert json.loads(_out(bundled_history, args, "json"))["source"] == "replay"
    assert _words(_out(bundled_history, args, "table")).endswith(DEMO)  # the footer, however wrapped
    assert _out(bundled_history, args, "markdown").rstrip().endswith(f"{DEMO}_")


def test_a_report_on_the_hub_is_not_called_demo_data(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(model("Org/a")))
    db = tmp_path / "t.db"
    assert sync(hub, db, "Org").exit_code == 0
    for args in (("report", "--org", "Org"), ("changes",), ("status", "--now", "2025-11-24T07:00:00Z")):
        assert json.loads(_out(db, args, "json"))["source"] == "hub"
        assert "demo data" not in _out(db, args, "table")


def test_real_runs_after_a_replay_make_the_source_mixed(
    bundled_history: Path, hub: FakeHub, tmp_path: Path
) -> None:
    db = copy_db(bundled_history, tmp_path / "mixed.db")
    hub.set_world(world(model("Org/a")))
    assert sync(hub, db, "Org", now="2025-11-28T06:00:00Z").exit_code == 0
    assert json.loads(_out(db, ("changes",), "json"))["source"] == "mixed"
    assert _words(_out(db, ("changes",), "table")).endswith(
        "3 of 4 runs replayed from a recording, not fetched from the Hub (the bundled demo's numbers are "
        "partly invented)"
    )


# -- fixtures: what is real and what is invented ----------------------------------------------

PROVENANCE = FIXTURES / "worlds" / "provenance.json"
DAYS = ("2025-11-24", "2025-11-25", "2025-11-27")


def _provenance() -> dict:
    return json.loads(PROVENANCE.read_text())


def test_every_repo_of_the_worlds_has_a_provenance() -> None:
    prov = _provenance()
    for day in DAYS:
        w = load_world(day)
        for kind in ("models", "datasets", "spaces"):
            ids = {r["id"] for r in w[kind]}
            assert ids <= set(prov[kind]), (day, kind, sorted(ids - set(prov[kind]))[:3])
    # The renamed model is listed under both names (the world's two days).
    assert {r["id"] for d in DAYS for r in load_world(d)["models"]} == set(prov["models"])


def test_the_provenance_keeps_the_invented_numbers_apart() -> None:
    prov = _provenance()
    models = prov["models"]
    qwen = [i for i, p in models.items() if i.startswith("Qwen/")]
    assert len([i for i in qwen if models[i]["repo"] == "invented"]) == 677  # the extra conversions
    # Every downloadsAllTime and follower count is invented, and what the listing's expand says a
    # release is (issue 14, point 8); nothing else passes for a measurement.
    assert set(prov["invented_everywhere"]) == {
        "downloadsAllTime", "numFollowers", "day-to-day changes", "config", "gguf", "inferenceProviderMapping",
    }  # fmt: skip
    assert all("downloadsAllTime" not in p["real_fields"] for p in models.values())
    r1 = models["deepseek-ai/DeepSeek-R1"]
    assert r1["repo"] == "real" and {"_id", "createdAt", "downloads", "likes"} <= set(r1["real_fields"])
    assert models["example-lab/Qwen3-8B-R1-0528-slerp"] == {"repo": "invented", "real_fields": []}
    assert prov["datasets"]["MiniMaxAI/MiniMax-Text-01-LongCtx-Eval"]["repo"] == "invented"
    assert prov["datasets"]["Qwen/ProcessBench"]["repo"] == "real"
    assert prov["spaces"]["Qwen/Qwen3-VL-Thinking-Demo"]["repo"] == "invented"
    # The first day's 30-day downloads of a real record are the record's own.
    day1 = {m["id"]: m for m in load_world(DAYS[0])["models"]}
    assert day1["deepseek-ai/DeepSeek-R1"]["downloads"] == 1117590


def test_the_fixture_files_are_what_the_script_builds() -> None:
    """provenance.json and the worlds' README are written by build_worlds.py, never by hand."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(FIXTURES / "build_worlds.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
