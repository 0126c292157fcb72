"""One rule for a period (reports/period.py) across `top`, `compare`, `trends`, `changes` and a
model's own series, on the bundled demo (replays of 24, 25 and 27 Nov; no run on the 26th).

`--since D --until U` counts the downloads of the days D .. U: from each account's last snapshot
before D (else its first) to its last on or before U. The expected figures are worked out here
from the Hub-shaped worlds the recordings were made of (fixtures/worlds), not from the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_world, run

RUN_AT = {"2025-11-24": "2025-11-24T06:00:00Z", "2025-11-25": "2025-11-25T06:00:00Z",
          "2025-11-27": "2025-11-27T06:00:00Z"}  # fmt: skip


def _models(day: str, org: str) -> dict[str, dict[str, Any]]:
    return {m["_id"]: m for m in load_world(day)["models"] if m["id"].split("/")[0] == org}


def world_downloads(org: str, day0: str, day1: str) -> int:
    """The org's downloads between the snapshots of two days, from the worlds: all-time
    differences over the models at both, plus the whole count of each model created after the
    first snapshot's run (a launch)."""
    before, after = _models(day0, org), _models(day1, org)
    total = 0
    for hub_id, m in after.items():
        if hub_id in before:
            total += m["downloadsAllTime"] - before[hub_id]["downloadsAllTime"]
        elif m["createdAt"].replace(".000Z", "Z") > RUN_AT[day0]:
            total += m["downloadsAllTime"]
    return total


def _json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _all_time(day: str, repo: str) -> int:
    return next(m["downloadsAllTime"] for m in load_world(day)["models"] if m["id"] == repo)


def test_top_compare_trends_and_changes_measure_one_since_period_alike(bundled_history: Path) -> None:
    """--since 2025-11-25: from the 24th's snapshot to the 27th's, for every command."""
    db = str(bundled_history)
    expected = world_downloads("deepseek-ai", "2025-11-24", "2025-11-27")
    assert (
        expected == 1_271_586 + 1_287
    )  # the all-time differences, and DeepSeek-Math-V2 launched on the 27th

    [row] = _json("compare", "--org", "deepseek-ai", "--since", "2025-11-25", "--db", db)["orgs"]
    assert (row["downloads_period"], row["period_from"], row["period_to"]) == (
        expected,
        "2025-11-24",
        "2025-11-27",
    )

    [series] = _json("trends", "--org", "deepseek-ai", "--since", "2025-11-25", "--db", db)["series"]
    assert (series["window"]["change"], series["window"]["from"]) == (expected, "2025-11-24")

    top = _json("top", "--org", "deepseek-ai", "--since", "2025-11-25", "--limit", "0", "--db", db)
    assert sum(m["downloads"] for m in top["models"]) == expected
    assert {(m["from"], m["to"]) for m in top["models"]} == {("2025-11-24", "2025-11-27")}

    # One model, in top's ranking and in the digest's movers: the same downloads, same days.
    qwen3 = _all_time("2025-11-27", "Qwen/Qwen3-4B") - _all_time("2025-11-24", "Qwen/Qwen3-4B")
    ranked = _json("top", "--since", "2025-11-25", "--limit", "0", "--db", db)["models"]
    digest = _json("changes", "--since", "2025-11-25", "--limit", "1000", "--db", db)["movers"]
    for found in (ranked, digest):
        [mover] = [m for m in found if m["id"] == "Qwen/Qwen3-4B"]
        assert (mover["downloads"], mover["from"], mover["to"]) == (qwen3, "2025-11-24", "2025-11-27")
    # The digest ranks top's models whose count grew, in top's order.
    grew = [m["id"] for m in ranked if m["downloads"] > 0]
    assert [m["id"] for m in digest] == grew[: len(digest)]


def test_the_real_snapshots_are_said_when_they_are_not_the_days_asked(bundled_history: Path) -> None:
    """`top --days 1`: the 27th's downloads, measured from the 25th (no run on the 26th)."""
    data = _json("top", "--days", "1", "--db", str(bundled_history))
    assert (data["since"], data["until"], data["days"]) == ("2025-11-27", "2025-11-27", 1)
    assert {(m["from"], m["to"]) for m in data["models"]} == {("2025-11-25", "2025-11-27")}
    table = run("top", "--days", "1", "--db", str(bundled_history)).stdout
    assert "Top models by downloads in the period, 27 Nov 2025" in table
    assert "period 27 Nov 2025 (measured between the snapshots of 25 Nov 2025 and 27 Nov 2025)" in " ".join(
        table.split()
    )


@pytest.mark.parametrize(
    ("repo", "first_day", "before"),
    [
        ("Qwen/Qwen3-VL-32B-Thinking-FP8", "2025-11-25", "2025-11-24"),  # created 25 Nov 02:10
        ("deepseek-ai/DeepSeek-Math-V2", "2025-11-27", "2025-11-25"),  # created 27 Nov 01:30
    ],
)
def test_a_model_launched_in_the_window_counts_whole_in_its_own_series(
    bundled_history: Path, repo: str, first_day: str, before: str
) -> None:
    """Its first point is measured from its account's snapshot before it: absent then and created
    after it, its whole all-time count is downloads of that point, and of the window."""
    db = str(bundled_history)
    first = _all_time(first_day, repo)
    last = _all_time("2025-11-27", repo)
    [series] = _json("trends", "--model", repo, "--since", "2025-11-24", "--db", db)["series"]
    points = [p for p in series["points"] if not p["gap"]]
    assert (points[0]["date"], points[0]["change"], points[0]["launches"], points[0]["launch_downloads"]) == (
        first_day, first, 1, first,
    )  # fmt: skip
    assert (series["window"]["from"], series["window"]["change"], series["window"]["launches"]) == (
        before,
        last,
        1,
    )
    table = run("trends", "--model", repo, "--since", "2025-11-24", "--db", db).stdout
    assert "launched: its whole all-time count" in table

    page = _json("model", repo, "--since", "2025-11-24", "--db", db)
    shown = [p for p in page["trend"]["points"] if not p["gap"]]
    assert (shown[0]["downloads"], shown[0]["launch"]) == (first, True)
    assert page["trend"]["window"]["downloads"] == last

    # top ranks it on the same figure.
    ranked = _json("top", "--since", "2025-11-24", "--limit", "0", "--db", db)["models"]
    assert [(m["downloads"], m["launch"]) for m in ranked if m["id"] == repo] == [(last, True)]
