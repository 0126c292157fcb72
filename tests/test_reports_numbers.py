"""Exact numbers from the analyst reports, worked out by hand from the worlds in test_reports_world.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import model, run, sync_argv, world
from tests.fakehub import FakeHub
from tests.test_reports_world import cli_json, shared_race_db


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


GAP = {
    "date": None,
    "as_of": None,
    "gap": True,
    "total": None,
    "change": None,
    "days": None,
    "per_day": None,
    "growth_pct": None,
    "drops": 0,
    "launches": 0,
    "launch_downloads": None,
    "first_seen_not_counted": 0,
    "stalls": 0,
}


def point(
    day: str, as_of: str, total, change=None, days=None, per_day=None, growth=None, drops=0, launched=(0, 0)
) -> dict:
    """A downloads point; `launched`: the models launched since the previous point (counted whole)
    and their all-time downloads (no previous point: none, and no such downloads)."""
    return {
        "period": day,
        "period_start": day,
        "date": day,
        "as_of": as_of,
        "gap": False,
        "total": total,
        "change": change,
        "days": days,
        "per_day": per_day,
        "growth_pct": growth,
        "drops": drops,
        "launches": launched[0],
        "launch_downloads": launched[1] if days is not None else None,
        "first_seen_not_counted": 0,
        "stalls": 0,
    }


def gap(day: str) -> dict:
    return {"period": day, "period_start": day, **GAP}


def series(data: dict, org: str) -> dict:
    return next(s for s in data["series"] if s["org"] == org)


# -- trends ---------------------------------------------------------------------------------------
def test_period_downloads_are_all_time_differences_over_models_in_both_snapshots(race_db: Path) -> None:
    data = cli_json(race_db, "trends", "--org", "Qwen")
    assert data["metric"] == "downloads" and data["interval"] == "day"
    assert (data["since"], data["until"], data["as_of"]) == (
        "2025-11-24",
        "2025-11-27",
        "2025-11-27T06:00:00Z",
    )
    qwen = series(data, "Qwen")
    # 24: 1,000,000 + 200,000 + 50,000. 25 (the 18:00 run, not the 06:00 one): Qwen3-Next is new,
    # created on the 25th at 01:00, after the 24th's snapshot (06:00): it had no downloads then, so
    # its 1,000 count whole: 50,000 + 30,000 + 500 + 1,000 = 81,500 on 1,250,000.
    # 27, two days after 25: -150,000 (a drop) + 60,000 + 4,000 + 1,000 = -85,000 on 1,331,500.
    assert qwen["points"] == [
        point("2025-11-24", "2025-11-24T06:00:00Z", 1_250_000),
        point(
            "2025-11-25", "2025-11-25T18:00:00Z", 1_331_500, 81_500, 1, 81_500.0, 6.52, launched=(1, 1_000)
        ),
        gap("2025-11-26"),
        point("2025-11-27", "2025-11-27T06:00:00Z", 1_246_500, -85_000, 2, -42_500.0, -6.38, drops=1),
    ]
    # The window is one pair, 24 -> 27: the three models present on both days (-8,500), and
    # Qwen3-Next's 5,000 (launched in between).
    assert qwen["window"] == {
        "from": "2025-11-24",
        "to": "2025-11-27",
        "change": -3_500,
        "growth_pct": -0.28,
        "snapshots": 3,
        "gaps": 1,
        "launches": 1,
        "launch_downloads": 5_000,
        "first_seen_not_counted": 0,
    }
    assert data["drops"] == [
        {
            "org": "Qwen",
            "model": "Qwen/Qwen2.5-7B-Instruct",
            "from": "2025-11-25",
            "to": "2025-11-27",
            "before": 1_050_000,
            "after": 900_000,
            "change": -150_000,
        }
    ]


def test_every_org_and_both_drops(race_db: Path) -> None:
    data = cli_json(race_db, "trends")
    assert [s["org"] for s in data["series"]] == ["deepseek-ai", "MiniMaxAI", "moonshotai", "Qwen"]
    changes = {s["org"]: [p["change"] for p in s["points"]] for s in data["series"]}
    assert changes == {
        "deepseek-ai": [None, 120_100, None, -10_000],  # 27: the removed 7b-base is not in both
        "MiniMaxAI": [None, 50_300, None, 100_600],
        "moonshotai": [None, 70_000, None, 140_000],
        "Qwen": [None, 81_500, None, -85_000],  # 25: Qwen3-Next's launch counts whole
    }
    windows = {s["org"]: (s["window"]["change"], s["window"]["growth_pct"]) for s in data["series"]}
    assert windows == {
        "deepseek-ai": (110_000, 5.24),
        "MiniMaxAI": (150_900, 35.09),
        "moonshotai": (210_000, 32.31),
        "Qwen": (-3_500, -0.28),
    }
    assert [(d["model"], d["change"]) for d in data["drops"]] == [
        ("deepseek-ai/DeepSeek-R1", -50_000),
        ("Qwen/Qwen2.5-7B-Instruct", -150_000),
    ]


def test_a_window_after_the_first_day_measures_its_first_point_from_the_day_before(race_db: Path) -> None:
    data = cli_json(race_db, "trends", "--org", "MiniMaxAI", "--since", "2025-11-25", "--until", "2025-11-26")
    mm = series(data, "MiniMaxAI")
    assert mm["points"] == [
        point("2025-11-25", "2025-11-25T18:00:00Z", 480_300, 50_300, 1, 50_300.0, 11.7),
        gap("2025-11-26"),
    ]
    assert mm["window"]["from"] == "2025-11-24" and mm["window"]["change"] == 50_300


def test_week_and_month_take_the_last_snapshot_of_each_bucket(race_db: Path) -> None:
    """The week's point is its last snapshot (27 Nov), measured from the first snapshot of the
    window (24 Nov: the history starts inside the week): the window a day series has too."""
    week = series(cli_json(race_db, "trends", "--org", "moonshotai", "--interval", "week"), "moonshotai")
    assert week["points"] == [
        {
            **point("2025-11-27", "2025-11-27T06:00:00Z", 860_000, 210_000, 3, 70_000.0, 32.31),
            "period": "2025-W48",
            "period_start": "2025-11-24",
        }
    ]
    assert week["window"] == {
        "from": "2025-11-24",
        "to": "2025-11-27",
        "change": 210_000,
        "growth_pct": 32.31,
        "snapshots": 1,
        "gaps": 0,
        "launches": 0,
        "launch_downloads": 0,
        "first_seen_not_counted": 0,
    }
    day = series(cli_json(race_db, "trends", "--org", "moonshotai"), "moonshotai")["window"]
    assert (day["from"], day["to"], day["change"]) == ("2025-11-24", "2025-11-27", 210_000)
    month = series(
        cli_json(race_db, "trends", "--org", "moonshotai", "--interval", "month", "--metric", "followers"),
        "moonshotai",
    )
    assert [(p["period"], p["date"], p["total"]) for p in month["points"]] == [
        ("2025-11", "2025-11-27", 9_150)
    ]


def test_likes_followers_models_and_derivatives(race_db: Path) -> None:
    def totals(metric: str, org: str) -> list:
        s = series(cli_json(race_db, "trends", "--org", org, "--metric", metric), org)
        return [(p["total"], p["change"], p["growth_pct"]) for p in s["points"]]

    assert totals("likes", "deepseek-ai") == [
        (12_600, None, None),
        (12_630, 30, 0.24),
        (None,) * 3,
        (12_590, -40, -0.32),
    ]
    assert totals("followers", "Qwen") == [
        (50_000, None, None),
        (50_100, 100, 0.2),
        (None,) * 3,
        (50_300, 200, 0.4),
    ]
    assert totals("models", "Qwen") == [(3, None, None), (4, 1, 33.33), (None,) * 3, (4, 0, 0.0)]
    # Derivative counts were taken on 24 and 27 only: 25 and 26 are gaps, not zeros.
    # Qwen3-8B: 300+100+50+10 = 460, then 320+110+55+10 = 495 (every other model counts 0).
    assert totals("derivatives", "Qwen") == [(460, None, None), (None,) * 3, (None,) * 3, (495, 35, 7.61)]
    # DeepSeek-R1 as a bare int; the removed 7b-base no longer counts on 27.
    assert totals("derivatives", "deepseek-ai") == [
        (1_500, None, None),
        (None,) * 3,
        (None,) * 3,
        (1_600, 100, 6.67),
    ]


def test_a_model_series_follows_the_model_through_its_rename(race_db: Path) -> None:
    data = cli_json(race_db, "trends", "--model", "Qwen/QwQ-32B-Preview")  # its former name
    (s,) = data["series"]
    assert (s["org"], s["model"]) == ("Qwen", "Qwen/QwQ-32B-Preview-2411")
    assert [(p["total"], p["change"]) for p in s["points"]] == [
        (50_000, None),
        (50_500, 500),
        (None, None),
        (51_500, 1_000),
    ]
    assert s["window"]["change"] == 1_500 and s["window"]["growth_pct"] == 3.0


def test_a_removed_model_series_stops_at_its_last_snapshot(race_db: Path) -> None:
    (s,) = cli_json(race_db, "trends", "--model", "deepseek-ai/deepseek-llm-7b-base")["series"]
    assert [(p["period"], p["total"]) for p in s["points"]] == [
        ("2025-11-24", 300_000),
        ("2025-11-25", 300_100),
    ]


def test_empty_windows_say_so(race_db: Path) -> None:
    # A window inside the history with no snapshot (the 26th): its day is a gap, shown as one.
    data = cli_json(race_db, "trends", "--since", "2025-11-26", "--until", "2025-11-26")
    assert [[p["gap"] for p in s["points"]] for s in data["series"]] == [[True]] * 4
    assert {s["window"]["snapshots"] for s in data["series"]} == {0}
    # Past the history's end: one line that says so, not "no snapshots yet" (issue 12, point 19).
    result = run("trends", "--db", str(race_db), "--since", "2026-01-01")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "oss-tracker: error: --since 2026-01-01 is past the end of the history: "
        "the history runs from 2025-11-24 to 2025-11-27\n"
    )


def test_usage_errors(race_db: Path) -> None:
    db = str(race_db)
    both = run("trends", "--db", db, "--org", "Qwen", "--model", "Qwen/Qwen3-8B")
    assert both.exit_code == 2 and "use --org or --model" in both.stderr
    followers = run("trends", "--db", db, "--model", "Qwen/Qwen3-8B", "--metric", "followers")
    assert followers.exit_code == 2 and "for organizations" in followers.stderr
    plot = run("trends", "--db", db, "--plot", "chart.pdf")
    assert plot.exit_code == 2 and "not a .png or .svg" in plot.stderr
    unknown = run("trends", "--db", db, "--org", "nobody")
    assert unknown.exit_code == 1 and "no data for organization 'nobody'" in unknown.stderr
    no_model = run("trends", "--db", db, "--model", "nobody/nothing")
    assert no_model.exit_code == 1 and "no model 'nobody/nothing'" in no_model.stderr


# -- releases ----------------------------------------------------------------------------------------
def test_releases_newest_first_with_removed_ones_kept(race_db: Path) -> None:
    data = cli_json(race_db, "releases", "--limit", "0")
    assert data["total"] == data["shown"] == 11
    assert [(r["id"], r["created_at"][:10]) for r in data["releases"][:3]] == [
        ("Qwen/Qwen3-Next-80B-A3B-Instruct", "2025-11-25"),
        ("moonshotai/Kimi-K2-Thinking", "2025-11-06"),
        ("MiniMaxAI/MiniMax-M2", "2025-10-22"),
    ]
    assert data["releases"][0] == {
        "id": "Qwen/Qwen3-Next-80B-A3B-Instruct",
        "org": "Qwen",
        "created_at": "2025-11-25T01:00:00Z",
        "first_seen": "2025-11-25T18:00:00Z",
        "license": "apache-2.0",
        "license_group": "permissive",
        "parameters": 81_000_000_000,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "removed_at": None,
        "status": "",
        "downloads_at_first_sight": 1_000,  # its all-time count in the run that first listed it
        "downloads_first_7_days": None,  # the history ends two days after its creation
        "downloads_first_30_days": None,
        # What it is (issue 14): no base declared (an original); its name says 3B active parameters.
        "kind": "original",
        "kind_inferred": False,
        "architecture": None,  # this world's listing sends no config, gguf or providers
        "model_type": None,
        "gated": "false",
        "active_parameters": 3_000_000_000,
        "context_length": None,
        "providers": None,
        "papers": None,
        "served_by": None,
        "papers_cited": None,
    }
    last = data["releases"][-1]
    assert (last["id"], last["removed_at"]) == ("deepseek-ai/deepseek-llm-7b-base", "2025-11-27T06:00:00Z")
    # A rename is not a release: QwQ appears once, under its current name.
    assert [r["id"] for r in data["releases"] if "QwQ" in r["id"]] == ["Qwen/QwQ-32B-Preview-2411"]


def test_releases_per_month_and_filters(race_db: Path) -> None:
    data = cli_json(race_db, "releases", "--org", "Qwen", "--org", "moonshotai", "--since", "2025-07-01")
    assert data["orgs"] == ["Qwen", "moonshotai"] and data["since"] == "2025-07-01"
    assert [r["id"] for r in data["releases"]] == [
        "Qwen/Qwen3-Next-80B-A3B-Instruct",
        "moonshotai/Kimi-K2-Thinking",
        "moonshotai/Kimi-K2-Instruct",
    ]
    assert data["by_month"] == [
        {"month": "2025-11", "org": "moonshotai", "releases": 1, "originals": 1, "conversions": 0},
        {"month": "2025-11", "org": "Qwen", "releases": 1, "originals": 1, "conversions": 0},
        {"month": "2025-07", "org": "moonshotai", "releases": 1, "originals": 1, "conversions": 0},
    ]
    assert (data["total"], data["originals"]) == (3, 3)
    limited = cli_json(race_db, "releases", "--limit", "2")
    assert (limited["total"], limited["shown"], len(limited["by_month"])) == (11, 2, 11)
    empty = run("releases", "--db", str(race_db), "--since", "2025-11-26")
    assert empty.exit_code == 0 and "no releases since 26 Nov 2025" in empty.stdout


# -- licences -------------------------------------------------------------------------------------------
def test_licence_groups_and_dated_changes(race_db: Path) -> None:
    data = cli_json(race_db, "licenses")
    groups = {o["org"]: (o["models"], o["groups"], o["permissive_share_pct"]) for o in data["orgs"]}
    assert groups == {
        "deepseek-ai": (2, {"permissive": 2, "copyleft": 0, "custom": 0, "unknown": 0}, 100.0),
        "MiniMaxAI": (2, {"permissive": 0, "copyleft": 0, "custom": 2, "unknown": 0}, 0.0),
        "moonshotai": (2, {"permissive": 0, "copyleft": 0, "custom": 2, "unknown": 0}, 0.0),
        "Qwen": (4, {"permissive": 4, "copyleft": 0, "custom": 0, "unknown": 0}, 100.0),
    }
    minimax = next(o for o in data["orgs"] if o["org"] == "MiniMaxAI")
    assert minimax["licenses"] == [
        {"license": "minimax-model-agreement", "group": "custom", "models": 1, "originals": 1,
         "downloads_30d": 3_200, "share_pct": 50.0, "downloads_share_pct": 1.7},
        {"license": "modified-mit", "group": "custom", "models": 1, "originals": 1,
         "downloads_30d": 190_000, "share_pct": 50.0, "downloads_share_pct": 98.3},  # 190,000 / 193,200
    ]  # fmt: skip
    assert data["changes"] == [
        {
            "at": "2025-11-27T06:00:00Z",
            "org": "Qwen",
            "id": "Qwen/QwQ-32B-Preview-2411",
            "from": "qwen",
            "to": "apache-2.0",
            "from_group": "custom",
            "to_group": "permissive",
            "shift": "to permissive",
        },
        {
            "at": "2025-11-25T18:00:00Z",
            "org": "MiniMaxAI",
            "id": "MiniMaxAI/MiniMax-M2",
            "from": "mit",
            "to": "modified-mit",
            "from_group": "permissive",
            "to_group": "custom",
            "shift": "from permissive",
        },
    ]
    assert data["by_release_month"][:2] == [
        {"month": "2025-11", "org": "moonshotai", "permissive": 0, "copyleft": 0, "custom": 1, "unknown": 0},
        {"month": "2025-11", "org": "Qwen", "permissive": 1, "copyleft": 0, "custom": 0, "unknown": 0},
    ]


# -- compare --------------------------------------------------------------------------------------------
def test_compare_side_by_side(race_db: Path) -> None:
    data = cli_json(race_db, "compare")
    # The last 30 days: 29 Oct to 27 Nov (measured from the last snapshot before 29 Oct, else the first).
    assert (data["as_of"], data["since"]) == ("2025-11-27T06:00:00Z", "2025-10-29")
    qwen = next(o for o in data["orgs"] if o["org"] == "Qwen")
    assert qwen == {
        "org": "Qwen",
        "as_of": "2025-11-27T06:00:00Z",
        "models": 4,
        "original_models": 4,  # no model of this world declares a base
        "releases_30d": 1,  # Qwen3-Next (25 Nov); 28 Oct is the 30-day line
        "original_releases_30d": 1,
        "releases_90d": 1,
        "original_releases_90d": 1,
        "downloads_30d": 605_300,  # 480,000 + 100,000 + 5,000 + 20,300
        "downloads_all_time": 1_246_500,
        # History starts 24 Nov: 24 -> 27 over the 3 models on both days (-8,500), and Qwen3-Next
        # (created 25 Nov, after the 24th's snapshot) counted whole (5,000).
        "downloads_period": -3_500,
        "period_launches": 1,
        "period_launch_downloads": 5_000,
        "period_first_seen_not_counted": 0,
        "period_from": "2025-11-24",
        "period_to": "2025-11-27",
        "period_growth_pct": -0.28,
        "likes": 1_281,
        "followers": 50_300,
        "derivatives": 495,
        "datasets": 0,  # this world lists no datasets or Spaces
        "spaces": 0,
        "share_30d_pct": 32.2,  # 605,300 / 1,878,500
        "share_period_pct": -0.7,  # -3,500 / 467,400
        "share_30d_of_all_pct": 32.2,  # every tracked org is compared: the same shares
        "share_period_of_all_pct": -0.7,
    }
    assert data["group"] == {
        "models": 10,
        "original_models": 10,
        "releases_30d": 2,
        "original_releases_30d": 2,
        "releases_90d": 4,
        "original_releases_90d": 4,
        "downloads_30d": 1_878_500,
        "downloads_all_time": 4_897_400,
        "downloads_period": 467_400,
        "period_launches": 1,
        "period_launch_downloads": 5_000,
        "period_first_seen_not_counted": 0,
        "likes": 19_031,
        "followers": 145_350,
        "derivatives": 2_170,
        "datasets": 0,
        "spaces": 0,
        "period_growth_pct": 10.55,  # 467,400 / (1,250,000 + 2,100,000 + 430,000 + 650,000)
        "share_30d_of_all_pct": 100.0,
        "share_period_of_all_pct": 100.0,
    }
    assert [(d["model"], d["change"]) for d in data["drops"]] == [("Qwen/Qwen2.5-7B-Instruct", -100_000)]
    shares = [o["share_30d_pct"] for o in data["orgs"]]
    assert shares == [37.8, 10.3, 19.7, 32.2]


def test_compare_named_orgs_and_a_period(race_db: Path) -> None:
    data = cli_json(race_db, "compare", "deepseek-ai", "MiniMaxAI", "--since", "2025-11-25")
    rows = {o["org"]: (o["downloads_period"], o["period_from"], o["share_period_pct"]) for o in data["orgs"]}
    # The downloads of 25-27 Nov: from the last snapshot before 25 Nov (the 24th's) to 27 Nov, as
    # `trends --since 2025-11-25` measures its window (reports/period.py).
    assert rows == {
        "deepseek-ai": (110_000, "2025-11-24", 42.2),
        "MiniMaxAI": (150_900, "2025-11-24", 57.8),
    }
    assert data["drops"] == []  # R1's count went down after the 25th's evening run only
    # --since 2025-11-26: from the last snapshot before the 26th, the 25th's 18:00 run.
    data = cli_json(race_db, "compare", "deepseek-ai", "MiniMaxAI", "--since", "2025-11-26")
    rows = {o["org"]: (o["downloads_period"], o["period_from"], o["share_period_pct"]) for o in data["orgs"]}
    assert rows == {
        "deepseek-ai": (-10_000, "2025-11-25", -11.0),
        "MiniMaxAI": (100_600, "2025-11-25", 111.0),
    }
    assert [d["model"] for d in data["drops"]] == ["deepseek-ai/DeepSeek-R1"]


# -- report --org grows ------------------------------------------------------------------------------------
def test_org_report_keeps_its_keys_and_adds_trend_and_derivatives(race_db: Path) -> None:
    data = cli_json(race_db, "report", "--org", "moonshotai")
    for key in ("org", "as_of", "models", "downloads_30d", "downloads_all_time", "likes", "followers"):
        assert key in data
    for key in ("licenses", "releases_by_month", "top_models", "previous_as_of", "change"):
        assert key in data
    assert data["trend"]["window"]["change"] == 210_000
    assert [p["change"] for p in data["trend"]["points"]] == [None, 70_000, None, 140_000]
    assert data["derivatives"] == {
        "models_counted": 2,
        "finetune": 25,
        "quantized": 50,
        "adapter": 0,
        "merge": 0,
        "total": 75,
        "as_of_day": "2025-11-27",
        "split_unknown": 0,
    }


def test_no_derivative_counts_yet(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(model("Org/a")))
    assert run(*sync_argv(hub, db, "Org")).exit_code == 0
    report = run("report", "--org", "Org", "--db", str(db))
    assert report.exit_code == 0 and "no derivative counts yet" in report.stdout
    assert (
        json.loads(run("report", "--org", "Org", "--db", str(db), "-f", "json").stdout)["derivatives"] is None
    )
    trend = run("trends", "--db", str(db), "--metric", "derivatives")
    assert trend.exit_code == 0 and "no derivative counts yet" in trend.stdout
    # One snapshot: the downloads of a period need two.
    one = json.loads(run("trends", "--db", str(db), "-f", "json").stdout)
    assert [p["change"] for p in one["series"][0]["points"]] == [None]


def test_reports_on_a_database_without_a_sync(tmp_path: Path) -> None:
    missing = run("trends", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "no database" in missing.stderr


# -- start-up: report commands never import huggingface_hub -------------------------------------------------
def test_report_commands_do_not_import_huggingface_hub(race_db: Path) -> None:
    for args in (
        ["trends", "--help"],
        ["trends", "--db", str(race_db)],
        ["releases", "--db", str(race_db)],
        ["licenses", "--db", str(race_db)],
        ["compare", "--db", str(race_db)],
        ["report", "--org", "Qwen", "--db", str(race_db)],
    ):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "oss_tracker", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        imported = [line for line in done.stderr.splitlines() if "import time:" in line]
        assert imported, "no -X importtime output"
        assert not [x for x in imported if "huggingface" in x or "httpx" in x or "matplotlib" in x], args
