"""`oss-tracker top` (issue 14, point 4): models ranked by downloads in a period, growth, likes
gained or the Hub's trending score, with the rank change since the previous period of the same
length. Exact ranks worked out by hand from the race world (tests/test_reports_world.py) and
from the small worlds below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WATCHLIST, load_world, model, rows, run, sync, world
from tests.fakehub import FakeHub
from tests.test_reports_world import shared_race_db


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


def _top(db: Path, *args: str) -> Any:
    result = run("top", *args, "--db", str(db), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _ranking(data: Any, *keys: str) -> list[tuple]:
    return [(m["rank"], m["id"], *(m[k] for k in keys)) for m in data["models"]]


def test_models_ranked_by_downloads_in_the_last_two_days_with_their_rank_change(race_db: Path) -> None:
    """The last 2 days: 26 and 27 Nov, measured from the last snapshot before the 26th (25 Nov, its
    last run, 18:00) to 27 Nov (period.edges); the previous period, 24-25 Nov: from the first day,
    24 Nov (nothing before it), to 25 Nov. All-time counts 24 / 25 / 27 Nov, as in
    test_reports_world.NUMBERS."""
    data = _top(race_db, "--days", "2")
    assert (data["sort"], data["since"], data["until"], data["days"]) == (
        "downloads",
        "2025-11-26",
        "2025-11-27",
        2,
    )
    assert data["previous"] == {
        "since": "2025-11-24",
        "until": "2025-11-25",
        "from": "2025-11-24",
        "to": "2025-11-25",
    }
    assert (data["ranked"], data["shown"], data["launches"], data["first_seen_not_counted"]) == (10, 10, 0, 0)
    # previous period: R1 +100,000 (1), M2 +50,000 (2, before Qwen2.5 by name), Qwen2.5-7B +50,000 (3),
    # Kimi-Instruct +40,000 (4), Kimi-Thinking +30,000 (5), Qwen3-8B +30,000 (6), V3.2 +20,000 (7),
    # Qwen3-Next +1,000 (8: created 25 Nov 01:00, after the 24th's run: counted whole), QwQ +500 (9),
    # Text-01 +300 (10), the removed 7b-base +100 (11: not ranked now, no snapshot on the 27th).
    assert _ranking(data, "downloads", "previous_rank", "rank_change") == [
        (1, "MiniMaxAI/MiniMax-M2", 100_000, 2, 1),
        (2, "moonshotai/Kimi-K2-Instruct", 80_000, 4, 2),
        (3, "moonshotai/Kimi-K2-Thinking", 60_000, 5, 2),  # a tie with Qwen3-8B: by name
        (4, "Qwen/Qwen3-8B", 60_000, 6, 2),
        (5, "deepseek-ai/DeepSeek-V3.2-Exp", 40_000, 7, 2),
        (6, "Qwen/Qwen3-Next-80B-A3B-Instruct", 4_000, 8, 2),
        (7, "Qwen/QwQ-32B-Preview-2411", 1_000, 9, 2),
        (8, "MiniMaxAI/MiniMax-Text-01", 600, 10, 2),
        (9, "deepseek-ai/DeepSeek-R1", -50_000, 1, -8),  # the all-time drop, counted as it is
        (10, "Qwen/Qwen2.5-7B-Instruct", -150_000, 3, -7),
    ]
    first = data["models"][0]
    assert first == {
        "rank": 1,
        "previous_rank": 2,
        "rank_change": 1,
        "id": "MiniMaxAI/MiniMax-M2",
        "org": "MiniMaxAI",
        "downloads": 100_000,
        "growth_pct": 22.22,  # of 450,000
        "likes_gained": 200,
        "trending": 3.0,
        "downloads_all_time": 550_000,
        "launch": False,
        "from": "2025-11-25",
        "to": "2025-11-27",
    }
    table = run("top", "--days", "2", "--limit", "3", "--db", str(race_db)).stdout
    lines = [" ".join(line.split()) for line in table.splitlines()]
    assert lines[:2] == [
        "Top models by downloads in the period, 26 Nov 2025 – 27 Nov 2025",
        "3 models by downloads in the period (of 10)",
    ]
    assert "│ 1 │ +1 │ MiniMaxAI/MiniMax-M2 │ +100,000 │ +22.2% │ +200 │ 3.00 │ │" in lines
    assert "rank change since 24 Nov 2025 – 25 Nov 2025" in lines[-1]


def test_growth_likes_and_an_org_filter(race_db: Path) -> None:
    growth = _top(race_db, "--days", "2", "--sort", "growth", "--min-downloads", "100000")
    # Only models with at least 100,000 all-time downloads on 25 Nov are ranked by growth.
    assert _ranking(growth, "growth_pct") == [
        (1, "deepseek-ai/DeepSeek-V3.2-Exp", 33.33),  # 40,000 / 120,000
        (2, "Qwen/Qwen3-8B", 26.09),  # 60,000 / 230,000
        (3, "MiniMaxAI/MiniMax-M2", 22.22),
        (4, "moonshotai/Kimi-K2-Instruct", 12.5),
        (5, "deepseek-ai/DeepSeek-R1", -2.38),
        (6, "Qwen/Qwen2.5-7B-Instruct", -14.29),
    ]
    assert growth["min_downloads"] == 100_000
    likes = _top(race_db, "--days", "2", "--sort", "likes", "--org", "Qwen")
    assert _ranking(likes, "likes_gained", "rank_change") == [
        (1, "Qwen/Qwen3-Next-80B-A3B-Instruct", 30, 1),  # 10 -> 40; it gained 10 in the previous period
        (2, "Qwen/Qwen3-8B", 20, -1),
        (3, "Qwen/Qwen2.5-7B-Instruct", 5, 0),
        (4, "Qwen/QwQ-32B-Preview-2411", 1, 0),
    ]


def _world(day: int) -> dict:
    # (all-time, likes, trendingScore) on each of three Sundays
    numbers = {
        "Lab/steady": ((10_000, 50, 4.0), (12_000, 55, 3.0), (14_000, 60, 2.0)),
        "Lab/rising": ((1_000, 5, 1.0), (1_500, 6, 6.0), (5_000, 20, 30.5)),
        "Lab/launch": (None, None, (9_000, 300, 80.0)),  # created 20 Nov: a launch of the last week
        "Lab/public-late": (None, None, (50_000, 10, 7.0)),  # created in June, first listed 23 Nov
    }
    created = {"Lab/launch": "2025-11-20T12:00:00.000Z", "Lab/public-late": "2025-06-01T00:00:00.000Z"}
    items = []
    for repo, days in numbers.items():
        if days[day] is not None:
            all_time, likes, trending = days[day]
            items.append(model(repo, created_at=created.get(repo, "2025-01-20T03:46:07.000Z"),
                               all_time=all_time, likes=likes, trendingScore=trending))  # fmt: skip
    return world(*items)


@pytest.fixture
def weekly(hub: FakeHub, tmp_path: Path) -> Path:
    db = tmp_path / "t.db"
    for day, now in enumerate(("2025-11-09T06:00:00Z", "2025-11-16T06:00:00Z", "2025-11-23T06:00:00Z")):
        hub.set_world(_world(day))
        result = sync(hub, db, "Lab", now=now)
        assert result.exit_code == 0, result.stderr
    return db


def test_a_launch_ranks_whole_and_a_late_first_sight_is_not_ranked(weekly: Path) -> None:
    data = _top(weekly, "--days", "7")
    assert _ranking(data, "downloads", "previous_rank", "launch") == [
        (1, "Lab/launch", 9_000, None, True),  # created 20 Nov, after the 16th's run: all of it
        (2, "Lab/rising", 3_500, 2, False),
        (3, "Lab/steady", 2_000, 1, False),
    ]
    assert (data["launches"], data["first_seen_not_counted"]) == (1, 1)  # Lab/public-late
    table = run("top", "--db", str(weekly)).stdout
    assert "│    1 │ new  │ Lab/launch " in table and "new model" in table
    assert (
        "Note: 1 model first seen in the period had been created before it (made public late, moved in, newly "
        "watched): its downloads until then are unknown, so it is not ranked."
    ) in " ".join(table.split())


def test_trending_ranks_the_last_scores_against_the_first(weekly: Path) -> None:
    data = _top(weekly, "--sort", "trending")
    # The Hub's score on the 23rd, against the 16th's ranking (rising 6.0, steady 3.0). A model
    # first seen on the 23rd is ranked by its score: the score is no sum over the period.
    assert _ranking(data, "trending", "previous_rank", "rank_change") == [
        (1, "Lab/launch", 80.0, None, None),
        (2, "Lab/rising", 30.5, 1, -1),
        (3, "Lab/public-late", 7.0, None, None),
        (4, "Lab/steady", 2.0, 2, -2),
    ]
    assert data["previous"] == {  # the scores at the period's start (17-23 Nov): the 16th's
        "since": "2025-11-16",
        "until": "2025-11-16",
        "from": "2025-11-16",
        "to": "2025-11-16",
    }
    assert data["first_seen_not_counted"] == 1  # counted, though trending ranks it: no note about it
    assert "Note:" not in run("top", "--sort", "trending", "--db", str(weekly)).stdout


def test_a_period_of_a_first_day_alone_has_no_rank_change(weekly: Path) -> None:
    data = _top(weekly, "--since", "2025-11-09", "--until", "2025-11-16")
    assert data["previous"] is None
    assert _ranking(data, "downloads", "previous_rank", "rank_change") == [
        (1, "Lab/steady", 2_000, None, None),
        (2, "Lab/rising", 500, None, None),
    ]
    assert (
        "no earlier snapshot in the history: no rank change"
        in run("top", "--since", "2025-11-09", "--until", "2025-11-16", "--db", str(weekly)).stdout
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--since", "2025-11-01", "--days", "3"], "--days does nothing with --since (the period is --since to --until)"),
        (["--min-downloads", "10"], "--min-downloads does nothing without --sort growth (it bounds the growth ranking)"),
        (["--kind", "quantized"], "invalid value for --kind: 'quantized' is not one of 'original', 'conversion', "
                                  "'derived', 'all'"),
        (["--sort", "stars"], "invalid value for --sort: 'stars' is not one of 'downloads', 'growth', 'likes', "
                              "'trending'"),
        (["--since", "2025-11-20", "--until", "2025-11-10"], "--since 2025-11-20 is after --until 2025-11-10"),
    ],
)  # fmt: skip
def test_usage_errors(argv: list[str], line: str, tmp_path: Path) -> None:
    result = run("top", *argv, "--db", str(tmp_path / "none.db"))
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"oss-tracker: error: {line}\n")


def test_a_period_of_one_day_is_measured_from_the_snapshot_before_it(weekly: Path) -> None:
    """`--since D` counts day D's downloads: from the last snapshot before D (16 Nov: the world is
    synced weekly) to D's own, as `trends` and `changes --since` measure it; the footer says which
    snapshots those were, since they are not the day before D."""
    data = _top(weekly, "--since", "2025-11-23")
    assert (data["since"], data["until"], data["days"]) == ("2025-11-23", "2025-11-23", 1)
    assert _ranking(data, "downloads", "from", "to") == [
        (1, "Lab/launch", 9_000, "2025-11-16", "2025-11-23"),
        (2, "Lab/rising", 3_500, "2025-11-16", "2025-11-23"),
        (3, "Lab/steady", 2_000, "2025-11-16", "2025-11-23"),
    ]
    assert _ranking(data, "downloads") == _ranking(_top(weekly, "--days", "7"), "downloads")
    table = run("top", "--since", "2025-11-23", "--db", str(weekly)).stdout
    assert "Top models by downloads in the period, 23 Nov 2025" in table
    assert "period 23 Nov 2025 (measured between the snapshots of 16 Nov 2025 and 23 Nov 2025)" in table


def test_one_snapshot_up_to_the_period_s_end_says_so(weekly: Path) -> None:
    result = run("top", "--until", "2025-11-09", "--db", str(weekly))
    assert result.exit_code == 0, result.stderr
    assert (
        "no period to measure: the history holds one snapshot (9 Nov 2025) up to 9 Nov 2025" in result.stdout
    )
    assert "in the period in this period" not in result.stdout


def test_an_account_not_synced_on_the_period_s_last_day_is_left_out_and_said_so(
    hub: FakeHub, tmp_path: Path
) -> None:
    """Other was synced on the 9th and 16th only: ranked on 9 -> 16 (+900,000) it would top a
    ranking of 10-23 Nov. It is left out, named in a note and in the JSON."""
    db = tmp_path / "t.db"
    for day, (now, lab, other) in enumerate(
        (("2025-11-09T06:00:00Z", 1_000, 5_000), ("2025-11-16T06:00:00Z", 1_500, 905_000),
         ("2025-11-23T06:00:00Z", 4_000, None))
    ):  # fmt: skip
        items = [model("Lab/a", all_time=lab)] + ([model("Other/b", all_time=other)] if other else [])
        hub.set_world(world(*items))
        orgs = ("Lab", "Other") if other else ("Lab",)
        assert sync(hub, db, *orgs, now=now).exit_code == 0, day
    data = _top(db, "--days", "14")
    assert _ranking(data, "downloads", "from", "to") == [(1, "Lab/a", 3_000, "2025-11-09", "2025-11-23")]
    assert data["left_out"] == [{"org": "Other", "last_snapshot": "2025-11-16"}]
    table = " ".join(run("top", "--days", "14", "--db", str(db)).stdout.split())
    assert (
        "Note: not ranked, no snapshot on the period's last day (23 Nov 2025): Other (last 16 Nov 2025)."
        in table
    )


def test_kind_ranks_one_kind_of_model(bundled_history: Path) -> None:
    """`--kind` (issue 14): the recorded days' models of one kind ranked alone, 24 to 27 Nov. Every
    current model is ranked (903 conversions: Qwen's 727 declared and 176 named ones; 199 originals;
    61 derived), the launch of each kind counted apart (DeepSeek-Math-V2, Qwen3-VL-32B-Thinking-FP8)."""
    got = {}
    for kind in ("original", "conversion", "derived"):
        result = run(
            "top", "--kind", kind, "--days", "3", "--limit", "3", "--db", str(bundled_history), "--json"
        )
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        got[kind] = (
            data["kind"],
            data["ranked"],
            data["launches"],
            [(m["id"], m["downloads"]) for m in data["models"]],
        )
    assert got == {
        "original": ("original", 199, 1, [("Qwen/Qwen3-4B-Instruct-2507", 786_172),
                                          ("Qwen/Qwen2.5-VL-3B-Instruct", 719_963), ("deepseek-ai/DeepSeek-OCR", 530_466)]),
        "conversion": ("conversion", 903, 1, [("Qwen/Qwen3-32B-GPTQ-Int8", 30_387),
                                              ("Qwen/Qwen3-VL-4B-Instruct-FP8", 15_885),
                                              ("Qwen/Qwen3-VL-4B-Instruct-GGUF", 15_576)]),
        "derived": ("derived", 61, 0, [("Qwen/Qwen3-0.6B", 766_270), ("Qwen/Qwen2.5-1.5B-Instruct", 587_259),
                                       ("Qwen/Qwen3-8B", 486_400)]),
    }  # fmt: skip
    # Each figure is the all-time difference between the two snapshots, as stored.
    assert rows(
        bundled_history,
        """SELECT b.downloads_all_time - a.downloads_all_time FROM models m
           JOIN model_snapshots a ON a.model_id = m.id AND a.run_id = 1
           JOIN model_snapshots b ON b.model_id = m.id AND b.run_id = 3 WHERE m.repo_id = 'Qwen/Qwen3-32B-GPTQ-Int8'""",
    ) == [(30_387,)]


def _expected_week(*orgs: str) -> list[tuple[str, int]]:
    """The recorded days' ranking of `orgs`' current models worked out from the world files: each
    model's all-time count on 27 Nov less its count on 24 Nov (the last 7 days' first snapshot;
    matched by `_id`, a renamed model is one model), or all of it for a model created after the
    24th's run; ordered by downloads, then by name as `top` breaks ties."""
    first = {m["_id"]: m["downloadsAllTime"] for m in load_world("2025-11-24")["models"]}
    ranked = []
    for m in load_world("2025-11-27")["models"]:
        if m["author"] not in orgs:
            continue
        if m["_id"] in first:
            ranked.append((m["id"], m["downloadsAllTime"] - first[m["_id"]]))
        else:
            assert m["createdAt"] > "2025-11-24T06:00:00Z", m["id"]  # a launch, counted whole
            ranked.append((m["id"], m["downloadsAllTime"]))
    return sorted(ranked, key=lambda r: (-r[1], r[0].lower(), r[0]))


def _top_with_watchlist(db: Path, *args: str) -> Any:
    result = run("--config", str(WATCHLIST), "top", *args, "--limit", "0", "--db", str(db), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_company_ranks_the_models_of_all_its_accounts(bundled_history: Path) -> None:
    """`--company Alibaba` under examples/watchlist.toml: Qwen's and Wan-AI's current models, one
    ranking (the built-in watch list's Alibaba is Qwen alone)."""
    data = _top_with_watchlist(bundled_history, "--company", "Alibaba")
    expected = _expected_week("Qwen", "Wan-AI")
    assert (data["ranked"], data["shown"], data["launches"]) == (1068, 1068, 1)  # 1,060 + 8
    assert [(m["id"], m["downloads"]) for m in data["models"]] == expected
    assert {m["org"] for m in data["models"]} == {"Qwen", "Wan-AI"}
    by_id = {m["id"]: m for m in data["models"]}
    assert (
        by_id["Qwen/Qwen3-4B-Instruct-2507"]["rank"],
        by_id["Qwen/Qwen3-4B-Instruct-2507"]["downloads"],
    ) == (
        1,
        786_172,
    )
    wan = [(m["id"], m["downloads"]) for m in data["models"] if m["org"] == "Wan-AI"]
    assert wan == _expected_week("Wan-AI") and len(wan) == 8
    # the launch of the week (created 25 Nov), its whole count
    assert by_id["Qwen/Qwen3-VL-32B-Thinking-FP8"]["launch"] is True
    builtin = _top(bundled_history, "--company", "Alibaba", "--limit", "0")
    assert {m["org"] for m in builtin["models"]} == {"Qwen"}


def test_a_group_ranks_the_union_of_its_companies_accounts(bundled_history: Path) -> None:
    """`--group china`: every account of its companies that the history holds (deepseek-ai, Qwen,
    Wan-AI, moonshotai, MiniMaxAI; the unverified ones were never synced)."""
    data = _top_with_watchlist(bundled_history, "--group", "china")
    expected = _expected_week("deepseek-ai", "Qwen", "Wan-AI", "moonshotai", "MiniMaxAI")
    assert [(m["id"], m["downloads"]) for m in data["models"]] == expected
    assert (data["ranked"], data["launches"]) == (1163, 2)  # 1,060 + 8 + 71 + 14 + 10
    assert {m["id"] for m in data["models"] if m["launch"]} == {
        "Qwen/Qwen3-VL-32B-Thinking-FP8",
        "deepseek-ai/DeepSeek-Math-V2",
    }
