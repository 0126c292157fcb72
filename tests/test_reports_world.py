"""The race in miniature, for the report tests: four orgs synced by the real CLI against the fake Hub.

Runs (UTC):
  #1 2025-11-24 06:00  derivative counts for every model
  #2 2025-11-25 06:00  an early run: superseded by #3, the day's LAST run (must not double-count)
  #3 2025-11-25 18:00  MiniMax-M2 goes mit -> other/modified-mit; Qwen3-Next released
  --  2025-11-26       no run: a gap day
  #4 2025-11-27 06:00  all-time drops for Qwen2.5-7B-Instruct and DeepSeek-R1; QwQ-32B-Preview
                       renamed (and relicensed qwen -> apache-2.0); deepseek-llm-7b-base removed;
                       derivative counts for every model

Every number below is chosen so that the reports' numbers can be worked out by hand
(see test_reports_numbers.py). `race_db` builds the database once per test session.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import model, rows, run, sync_argv, world
from tests.fakehub import FakeHub

RUNS = (
    ("2025-11-24T06:00:00Z", "d24", "all"),
    ("2025-11-25T06:00:00Z", "d25early", "none"),
    ("2025-11-25T18:00:00Z", "d25", "none"),
    ("2025-11-27T06:00:00Z", "d27", "all"),
)
ORGS = ("Qwen", "deepseek-ai", "MiniMaxAI", "moonshotai")

# repo id -> (createdAt, licence tag, licence name, parameters)
META = {
    "Qwen/Qwen2.5-7B-Instruct": ("2024-09-16T11:55:40.000Z", "apache-2.0", None, 7615616512),
    "Qwen/Qwen3-8B": ("2025-04-27T03:42:21.000Z", "apache-2.0", None, 8190735360),
    "Qwen/Qwen3-Next-80B-A3B-Instruct": ("2025-11-25T01:00:00.000Z", "apache-2.0", None, 81000000000),
    "Qwen/QwQ-32B-Preview": ("2024-11-27T15:00:00.000Z", "other", "qwen", 32763876352),
    "deepseek-ai/DeepSeek-R1": ("2025-01-20T03:46:07.000Z", "mit", None, 684531386000),
    "deepseek-ai/DeepSeek-V3.2-Exp": ("2025-09-29T06:07:26.000Z", "mit", None, 685396921344),
    "deepseek-ai/deepseek-llm-7b-base": ("2023-11-29T03:19:35.000Z", "other", "deepseek", 6910365696),
    "MiniMaxAI/MiniMax-M2": ("2025-10-22T00:00:00.000Z", "mit", None, 228700000000),
    "MiniMaxAI/MiniMax-Text-01": (
        "2025-01-14T00:00:00.000Z",
        "other",
        "minimax-model-agreement",
        456000000000,
    ),
    "moonshotai/Kimi-K2-Instruct": ("2025-07-11T00:00:00.000Z", "other", "modified-mit", 1026000000000),
    "moonshotai/Kimi-K2-Thinking": ("2025-11-06T00:00:00.000Z", "other", "modified-mit", 1058000000000),
}

# repo id -> {world: (downloads 30-day, downloads all-time, likes)}; absent = not listed that day
NUMBERS: dict[str, dict[str, tuple[int, int, int]]] = {
    "Qwen/Qwen2.5-7B-Instruct": {
        "d24": (500_000, 1_000_000, 800),
        "d25early": (505_000, 1_010_000, 802),
        "d25": (510_000, 1_050_000, 805),
        "d27": (480_000, 900_000, 810),  # all-time drop: -150,000
    },
    "Qwen/Qwen3-8B": {
        "d24": (90_000, 200_000, 300),
        "d25early": (90_000, 200_000, 300),
        "d25": (95_000, 230_000, 310),
        "d27": (100_000, 290_000, 330),
    },
    "Qwen/Qwen3-Next-80B-A3B-Instruct": {"d25": (1_000, 1_000, 10), "d27": (5_000, 5_000, 40)},
    "Qwen/QwQ-32B-Preview": {
        "d24": (20_000, 50_000, 100),
        "d25early": (20_000, 50_000, 100),
        "d25": (20_100, 50_500, 100),
        "d27": (20_300, 51_500, 101),  # listed as Qwen/QwQ-32B-Preview-2411, apache-2.0
    },
    "deepseek-ai/DeepSeek-R1": {
        "d24": (700_000, 2_000_000, 12_000),
        "d25early": (700_000, 2_000_000, 12_000),
        "d25": (710_000, 2_100_000, 12_010),
        "d27": (650_000, 2_050_000, 12_030),  # all-time drop: -50,000
    },
    "deepseek-ai/DeepSeek-V3.2-Exp": {
        "d24": (50_000, 100_000, 500),
        "d25early": (50_000, 100_000, 500),
        "d25": (52_000, 120_000, 520),
        "d27": (60_000, 160_000, 560),
    },
    "deepseek-ai/deepseek-llm-7b-base": {
        "d24": (8_000, 300_000, 100),
        "d25early": (8_000, 300_000, 100),
        "d25": (8_000, 300_100, 100),
    },
    "MiniMaxAI/MiniMax-M2": {
        "d24": (150_000, 400_000, 1_000),
        "d25early": (150_000, 400_000, 1_000),
        "d25": (160_000, 450_000, 1_100),
        "d27": (190_000, 550_000, 1_300),
    },
    "MiniMaxAI/MiniMax-Text-01": {
        "d24": (3_000, 30_000, 600),
        "d25early": (3_000, 30_000, 600),
        "d25": (3_100, 30_300, 600),
        "d27": (3_200, 30_900, 600),
    },
    "moonshotai/Kimi-K2-Instruct": {
        "d24": (200_000, 600_000, 2_000),
        "d25early": (200_000, 600_000, 2_000),
        "d25": (210_000, 640_000, 2_020),
        "d27": (230_000, 720_000, 2_060),
    },
    "moonshotai/Kimi-K2-Thinking": {
        "d24": (50_000, 50_000, 900),
        "d25early": (50_000, 50_000, 900),
        "d25": (80_000, 80_000, 1_000),
        "d27": (140_000, 140_000, 1_200),
    },
}
FOLLOWERS = {
    "d24": {"Qwen": 50_000, "deepseek-ai": 80_000, "MiniMaxAI": 5_000, "moonshotai": 9_000},
    "d25early": {"Qwen": 50_050, "deepseek-ai": 80_000, "MiniMaxAI": 5_000, "moonshotai": 9_000},
    "d25": {"Qwen": 50_100, "deepseek-ai": 80_200, "MiniMaxAI": 5_100, "moonshotai": 9_050},
    "d27": {"Qwen": 50_300, "deepseek-ai": 80_600, "MiniMaxAI": 5_300, "moonshotai": 9_150},
}
# childrenModelCount where the world sets it (every other model counts its children in the world: 0)
CHILDREN = {
    "d24": {
        "Qwen/Qwen3-8B": {"finetune": 300, "quantized": 100, "adapter": 50, "merge": 10},
        "deepseek-ai/DeepSeek-R1": 1_500,
        "moonshotai/Kimi-K2-Instruct": {"finetune": 20, "quantized": 40},
    },
    "d27": {
        "Qwen/Qwen3-8B": {"finetune": 320, "quantized": 110, "adapter": 55, "merge": 10},
        "deepseek-ai/DeepSeek-R1": 1_600,
        "moonshotai/Kimi-K2-Instruct": {"finetune": 25, "quantized": 50},
    },
}
RENAMED = ("Qwen/QwQ-32B-Preview", "Qwen/QwQ-32B-Preview-2411")


def race_world(name: str) -> dict[str, Any]:
    items = []
    for repo, days in NUMBERS.items():
        if name not in days:
            continue
        created, tag, license_name, params = META[repo]
        d30, all_time, likes = days[name]
        current = repo
        if repo == "MiniMaxAI/MiniMax-M2" and name in ("d25", "d27"):
            tag, license_name = "other", "modified-mit"
        if repo == RENAMED[0] and name == "d27":
            current, tag, license_name = RENAMED[1], "apache-2.0", None
        extra: dict[str, Any] = {"safetensors": {"parameters": {"BF16": params}, "total": params}}
        children = CHILDREN.get(name, {}).get(repo)
        if children is not None:
            extra["childrenModelCount"] = children
        item = model(
            current,
            created_at=created,
            downloads=d30,
            all_time=all_time,
            likes=likes,
            license=tag,
            license_name=license_name,
            **extra,
        )
        # The Hub's _id is stable across a rename.
        from tests.conftest import object_id

        item["_id"] = object_id(created, repo)
        items.append(item)
    extra_world: dict[str, Any] = {}
    if name == "d27":
        extra_world["renames"] = {RENAMED[0]: RENAMED[1]}
    return world(*items, followers=FOLLOWERS[name], **extra_world)


def build_race_db(db: Path, hf_home: Path) -> None:
    env = {
        "OSS_TRACKER_RETRY_WAIT": "0",
        "OSS_TRACKER_MAX_WAIT": "0",
        "HF_HOME": str(hf_home),
        "HF_TOKEN": None,
        "HF_ENDPOINT": None,
        "OSS_TRACKER_DB": None,
    }
    with FakeHub({"orgs": {}, "models": []}) as hub:
        for now, name, derivatives in RUNS:
            hub.set_world(race_world(name))
            argv = sync_argv(hub, db, *ORGS, now=now, derivatives=derivatives)
            result = run(*argv, env=env)  # type: ignore[arg-type]
            assert result.exit_code == 0, result.stderr


_BUILT: dict[str, Path] = {}


def shared_race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The race database, built once per test session whichever module asks first."""
    if "race" not in _BUILT:
        folder = tmp_path_factory.mktemp("race")
        build_race_db(folder / "race.db", folder / "hf-home")
        _BUILT["race"] = folder / "race.db"
    return _BUILT["race"]


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


def cli_json(db: Path, *args: str) -> Any:
    result = run(*args, "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- the world itself, and the SQL views ------------------------------------------------------------
def test_the_race_was_stored_as_four_runs_on_three_days(race_db: Path) -> None:
    assert rows(race_db, "SELECT id, day, status FROM runs ORDER BY id") == [
        (1, "2025-11-24", "ok"),
        (2, "2025-11-25", "ok"),
        (3, "2025-11-25", "ok"),
        (4, "2025-11-27", "ok"),
    ]
    assert rows(race_db, "SELECT kind, old, new FROM events ORDER BY id") == [
        ("license_changed", "mit", "modified-mit"),
        ("renamed", "Qwen/QwQ-32B-Preview", "Qwen/QwQ-32B-Preview-2411"),
        ("license_changed", "qwen", "apache-2.0"),
        ("removed", "deepseek-ai/deepseek-llm-7b-base", None),
    ]


def test_view_org_days_keeps_the_last_run_of_each_day(race_db: Path) -> None:
    got = rows(
        race_db,
        "SELECT day, run_id, as_of FROM org_days JOIN orgs ON orgs.id = org_id WHERE name = 'Qwen' ORDER BY day",
    )
    assert got == [
        ("2025-11-24", 1, "2025-11-24T06:00:00Z"),
        ("2025-11-25", 3, "2025-11-25T18:00:00Z"),
        ("2025-11-27", 4, "2025-11-27T06:00:00Z"),
    ]


def test_view_model_daily_gives_deltas_across_the_gap_and_flags_drops(race_db: Path) -> None:
    got = rows(
        race_db,
        """SELECT day, previous_day, days, downloads_all_time, downloads, likes_change, all_time_drop
           FROM model_daily WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct' ORDER BY day""",
    )
    assert got == [
        ("2025-11-24", None, None, 1_000_000, None, None, 0),
        ("2025-11-25", "2025-11-24", 1, 1_050_000, 50_000, 5, 0),
        ("2025-11-27", "2025-11-25", 2, 900_000, -150_000, 5, 1),
    ]


def test_view_org_daily_sums_downloads_over_models_present_on_both_days(race_db: Path) -> None:
    got = rows(
        race_db,
        """SELECT org, day, days, models, followers, followers_change, downloads_all_time, downloads,
                  all_time_drops, likes, likes_change
           FROM org_daily ORDER BY org COLLATE NOCASE, day""",
    )
    assert got == [
        ("deepseek-ai", "2025-11-24", None, 3, 80_000, None, 2_400_000, None, 0, 12_600, None),
        ("deepseek-ai", "2025-11-25", 1, 3, 80_200, 200, 2_520_100, 120_100, 0, 12_630, 30),
        ("deepseek-ai", "2025-11-27", 2, 2, 80_600, 400, 2_210_000, -10_000, 1, 12_590, -40),
        ("MiniMaxAI", "2025-11-24", None, 2, 5_000, None, 430_000, None, 0, 1_600, None),
        ("MiniMaxAI", "2025-11-25", 1, 2, 5_100, 100, 480_300, 50_300, 0, 1_700, 100),
        ("MiniMaxAI", "2025-11-27", 2, 2, 5_300, 200, 580_900, 100_600, 0, 1_900, 200),
        ("moonshotai", "2025-11-24", None, 2, 9_000, None, 650_000, None, 0, 2_900, None),
        ("moonshotai", "2025-11-25", 1, 2, 9_050, 50, 720_000, 70_000, 0, 3_020, 120),
        ("moonshotai", "2025-11-27", 2, 2, 9_150, 100, 860_000, 140_000, 0, 3_260, 240),
        ("Qwen", "2025-11-24", None, 3, 50_000, None, 1_250_000, None, 0, 1_200, None),
        # Qwen3-Next, created on the 25th at 01:00 (after the 24th's snapshot), counts whole: 1,000.
        ("Qwen", "2025-11-25", 1, 4, 50_100, 100, 1_331_500, 81_500, 0, 1_225, 25),
        ("Qwen", "2025-11-27", 2, 4, 50_300, 200, 1_246_500, -85_000, 1, 1_281, 56),
    ]
    assert rows(
        race_db,
        """SELECT org, day, launches, launch_downloads, first_seen_not_counted FROM org_daily
           WHERE launches OR first_seen_not_counted OR launch_downloads""",
    ) == [("Qwen", "2025-11-25", 1, 1_000, 0)]


def test_view_model_daily_counts_a_launch_whole_on_its_first_day(race_db: Path) -> None:
    assert rows(
        race_db,
        """SELECT day, previous_day, downloads_all_time, downloads, likes_change, launch FROM model_daily
           WHERE repo_id = 'Qwen/Qwen3-Next-80B-A3B-Instruct' ORDER BY day""",
    ) == [("2025-11-25", None, 1_000, 1_000, 10, 1), ("2025-11-27", "2025-11-25", 5_000, 4_000, 30, 0)]
    # A model seen from the org's first day had downloads nobody saw start: no launch.
    assert rows(race_db, "SELECT count(*) FROM model_daily WHERE launch = 1") == [(1,)]


def test_view_latest_model_stats_and_latest_derivative_counts(race_db: Path) -> None:
    assert rows(
        race_db,
        """SELECT repo_id, org, license, downloads_all_time, as_of, removed_at FROM latest_model_stats
           WHERE org = 'deepseek-ai' ORDER BY repo_id""",
    ) == [
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai", "mit", 2_050_000, "2025-11-27T06:00:00Z", None),
        ("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-ai", "mit", 160_000, "2025-11-27T06:00:00Z", None),
        (
            "deepseek-ai/deepseek-llm-7b-base",
            "deepseek-ai",
            "deepseek",
            300_100,
            "2025-11-25T18:00:00Z",
            "2025-11-27T06:00:00Z",
        ),
    ]
    assert rows(
        race_db,
        "SELECT repo_id, day, finetune, quantized, total FROM latest_derivative_counts WHERE total > 0 ORDER BY 1",
    ) == [
        ("Qwen/Qwen3-8B", "2025-11-27", 320, 110, 495),
        ("deepseek-ai/DeepSeek-R1", "2025-11-27", None, None, 1_600),
        ("moonshotai/Kimi-K2-Instruct", "2025-11-27", 25, 50, 75),
    ]


def test_the_views_read_with_plain_sqlite3(race_db: Path) -> None:
    conn = sqlite3.connect(f"file:{race_db}?mode=ro", uri=True)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    finally:
        conn.close()
    assert {"org_days", "latest_model_stats", "model_daily", "org_daily", "latest_derivative_counts"} <= names
