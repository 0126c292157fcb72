"""The reports on the bundled fixtures (fixtures/worlds: four orgs, 24, 25 and 27 Nov 2025, 26 a gap).

The expected numbers come straight from the world files, independently of the tracker: the
downloads of a period are the all-time differences over the `_id`s present on both days, plus
the all-time count of each `_id` absent on the first day and created after its sync (06:00 UTC).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, load_world, run, sync_argv
from tests.fakehub import FakeHub

DAYS = ("2025-11-24", "2025-11-25", "2025-11-27")
ORGS = ("deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI")

pytestmark = pytest.mark.skipif(
    not all((FIXTURES / "worlds" / f"{d}.json").exists() for d in DAYS), reason="bundled worlds not built"
)


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fixtures")
    db = folder / "fx.db"
    env = {"OSS_TRACKER_RETRY_WAIT": "0", "OSS_TRACKER_MAX_WAIT": "0", "HF_HOME": str(folder / "hf")}
    with FakeHub(load_world(DAYS[0])) as hub:
        for day in DAYS:
            hub.set_world(load_world(day))
            result = run(*sync_argv(hub, db, *ORGS, now=f"{day}T06:00:00Z"), env=env)
            assert result.exit_code == 0, result.stderr
    return db


def _all_time(day: str) -> dict[str, tuple[str, str, int, str]]:
    return {
        m["_id"]: (m["author"], m["id"], m["downloadsAllTime"], m["createdAt"])
        for m in load_world(day)["models"]
    }


def _period(a: str, b: str, org: str) -> tuple[int, list[tuple[str, int]]]:
    before, after = _all_time(a), _all_time(b)
    both = [i for i in after if i in before and after[i][0] == org]
    drops = sorted((after[i][1], after[i][2] - before[i][2]) for i in both if after[i][2] < before[i][2])
    launched = [
        i for i in after if i not in before and after[i][0] == org and after[i][3][:19] > f"{a}T06:00:00"
    ]
    return sum(after[i][2] - before[i][2] for i in both) + sum(after[i][2] for i in launched), drops


def test_the_launches_of_the_worlds_count_whole(fixture_db: Path) -> None:
    """DeepSeek-Math-V2 (created 27 Nov 01:30, after the 25th's sync) adds its 1,287 downloads to
    DeepSeek's 25 -> 27 Nov; Qwen3-VL-32B-Thinking-FP8 (created 25 Nov 02:10) its 412 to Qwen's
    24 -> 25 Nov, and its 930 to the whole window."""
    series = {s["org"]: s for s in _json(fixture_db, "trends")["series"]}
    launches = {
        org: [(p["launches"], p["launch_downloads"]) for p in s["points"]]
        + [(s["window"]["launches"], s["window"]["launch_downloads"])]
        for org, s in series.items()
    }
    assert launches == {
        "deepseek-ai": [(0, None), (0, 0), (0, None), (1, 1_287), (1, 1_287)],
        "Qwen": [(0, None), (1, 412), (0, None), (0, 0), (1, 930)],
        "moonshotai": [(0, None), (0, 0), (0, None), (0, 0), (0, 0)],
        "MiniMaxAI": [(0, None), (0, 0), (0, None), (0, 0), (0, 0)],
    }
    # The pair without the launch, from the worlds: 747,308.
    paired = sum(
        after[2] - before[2]
        for i, after in _all_time("2025-11-27").items()
        if after[0] == "deepseek-ai" and (before := _all_time("2025-11-25").get(i))
    )
    assert series["deepseek-ai"]["points"][3]["change"] == paired + 1_287 == 747_308 + 1_287


def _json(db: Path, *args: str) -> Any:
    result = run(*args, "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_period_downloads_gap_and_drops_match_the_worlds(fixture_db: Path) -> None:
    data = _json(fixture_db, "trends")
    for s in data["series"]:
        org = s["org"]
        assert [p["period"] for p in s["points"]] == ["2025-11-24", "2025-11-25", "2025-11-26", "2025-11-27"]
        assert [p["gap"] for p in s["points"]] == [False, False, True, False]
        assert s["points"][1]["change"] == _period("2025-11-24", "2025-11-25", org)[0]
        assert s["points"][3]["change"] == _period("2025-11-25", "2025-11-27", org)[0]
        assert s["points"][3]["days"] == 2
        assert s["window"]["change"] == _period("2025-11-24", "2025-11-27", org)[0]
    flagged = sorted((d["model"], d["change"]) for d in data["drops"])
    expected = sorted(d for org in ORGS for d in _period("2025-11-25", "2025-11-27", org)[1])
    assert flagged == expected
    assert [m for m, _ in flagged] == ["Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1"]


def test_compare_shares_and_licence_change(fixture_db: Path) -> None:
    data = _json(fixture_db, "compare")
    last = load_world("2025-11-27")["models"]
    d30 = {org: sum(m["downloads"] for m in last if m["author"] == org) for org in ORGS}
    for row in data["orgs"]:
        assert row["downloads_30d"] == d30[row["org"]]
        assert row["share_30d_pct"] == round(100 * d30[row["org"]] / sum(d30.values()), 1)
        assert row["downloads_period"] == _period("2025-11-24", "2025-11-27", row["org"])[0]
    changes = _json(fixture_db, "licenses")["changes"]
    assert [(c["id"], c["from"], c["to"], c["at"][:10], c["shift"]) for c in changes] == [
        ("MiniMaxAI/MiniMax-M2", "mit", "modified-mit", "2025-11-25", "from permissive")
    ]


def test_a_rename_is_not_a_release(fixture_db: Path) -> None:
    data = _json(fixture_db, "releases", "--limit", "0")
    ids = {m["_id"] for day in DAYS for m in load_world(day)["models"] if m["author"] in ORGS}
    assert data["total"] == len(ids)  # one release per _id of a watched org, whatever its names
    names = [r["id"] for r in data["releases"]]
    assert "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic" in names
    assert "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8" not in names


def test_compare_of_some_orgs_gives_both_shares_apart(bundled_history: Path) -> None:
    """Share of the orgs compared and share of every tracked org: two keys, two labels."""
    last = load_world("2025-11-27")["models"]
    d30 = {o: sum(m["downloads"] for m in last if m["author"] == o) for o in (*ORGS, "Wan-AI")}
    pair = d30["Qwen"] + d30["deepseek-ai"]
    everyone = sum(d30.values())
    data = _json(bundled_history, "compare", "Qwen", "deepseek-ai")
    qwen = next(r for r in data["orgs"] if r["org"] == "Qwen")
    assert (qwen["share_30d_pct"], qwen["share_30d_of_all_pct"]) == (
        round(100 * d30["Qwen"] / pair, 1), round(100 * d30["Qwen"] / everyone, 1)
    ) == (81.0, 79.3)  # fmt: skip
    assert data["all_tracked"]["downloads_30d"] == everyone == 91_250_254
    assert data["group"]["share_30d_of_all_pct"] == round(100 * pair / everyone, 1) == 97.9
    csv_head = run("compare", "Qwen", "deepseek-ai", "--db", str(bundled_history), "-f", "csv").stdout
    assert "share_30d_pct,share_period_pct,share_30d_of_all_pct,share_period_of_all_pct" in csv_head
    table = run("compare", "Qwen", "deepseek-ai", "--db", str(bundled_history), env={"COLUMNS": "200"}).stdout
    shares = [" ".join(line.strip("│ ").split()) for line in table.splitlines() if "Share 30d" in line]
    assert shares == [
        "Share 30d of compared │ 81.0% │ 19.0% │ 100.0%",
        "Share 30d of all tracked │ 79.3% │ 18.7% │ 97.9%",
    ]
    # Compared with all of them, the two shares are one: the table shows it once, JSON both.
    whole = _json(bundled_history, "compare")
    assert all(r["share_30d_pct"] == r["share_30d_of_all_pct"] for r in whole["orgs"])
    assert "of all tracked" not in run("compare", "--db", str(bundled_history), env={"COLUMNS": "200"}).stdout
