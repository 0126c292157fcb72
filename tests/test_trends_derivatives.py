"""`trends --metric derivatives`: the level is the sum of each model's latest count (carried
forward), the change is measured over the models counted at both points only (a first count is
coverage, not growth), and a day is a gap only when no run stored the org (or no run of the day
counted derivatives at all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import model, run, sync_argv, world
from tests.fakehub import FakeHub

# With two orgs of one listing page each, a quota of 26 leaves `auto` 2 model_info calls a run
# (26 - 4 listing calls - a reserve of 20): the rotation reaches 2 of the 4 models a day.
QUOTA = 26
KEYS = ("date", "gap", "total", "counted", "models", "refreshed", "change", "days", "per_day", "growth_pct")


def lab(a: Any, b: Any, c: Any, x: Any, *, drop_b: bool = False) -> dict:
    items = [
        model("Lab/a", downloads=400, childrenModelCount=a),
        model("Lab/b", downloads=300, childrenModelCount=b),
        model("Lab/c", downloads=200, childrenModelCount=c),
        model("Side/x", downloads=100, childrenModelCount=x),
    ]
    if drop_b:
        items.pop(1)
    return world(*items)


def sync(db: Path, hub_world: dict, now: str, mode: str = "auto", quota: int = QUOTA) -> None:
    with FakeHub(hub_world, quota=quota) as hub:  # a new rate-limit window each day
        result = run(*sync_argv(hub, db, "Lab", "Side", now=now, derivatives=mode))
    assert result.exit_code == 0, result.stderr


def trends(db: Path, *extra: str) -> dict:
    result = run("trends", "--metric", "derivatives", "--db", str(db), "-f", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def points(data: dict, org: str) -> list[tuple]:
    (s,) = [s for s in data["series"] if s["org"] == org]
    return [tuple(p[k] for k in KEYS) for p in s["points"]]


def window(data: dict, org: str) -> dict:
    (s,) = [s for s in data["series"] if s["org"] == org]
    return s["window"]


def rotated_db(tmp_path: Path) -> Path:
    """Three `auto` runs (24, 25, 27 Nov; no run on 26), two model counts refreshed a run.

    24 Nov: never counted, most downloaded first: Lab/a = 10, Lab/b = 5.
    25 Nov: never counted: Lab/c = 7 and Side/x = 3 (first counts). Lab/a's Hub count is 12
            that day, but the rotation does not reach it.
    27 Nov: the oldest counts: Lab/a = 20 (15 + 5), Lab/b = 4. Lab/c (9 on the Hub) and Side/x
            (8 on the Hub) keep their 25 Nov counts.
    """
    db = tmp_path / "t.db"
    sync(db, lab({"finetune": 10}, 5, {"quantized": 7}, 3), "2025-11-24T06:00:00Z")
    sync(db, lab({"finetune": 12}, 5, {"quantized": 7}, 3), "2025-11-25T06:00:00Z")
    sync(db, lab({"finetune": 15, "quantized": 5}, 4, {"quantized": 9}, 8), "2025-11-27T06:00:00Z")
    return db


def test_first_counts_are_coverage_not_growth(tmp_path: Path) -> None:
    data = trends(rotated_db(tmp_path))
    assert (data["since"], data["until"]) == ("2025-11-24", "2025-11-27")
    # (date, gap, total, counted, models, refreshed, change, days, per_day, growth_pct)
    assert points(data, "Lab") == [
        ("2025-11-24", False, 15, 2, 3, 2, None, None, None, None),
        # Lab/c's first count (7) raises the level, not the change: a and b did not move.
        ("2025-11-25", False, 22, 3, 3, 1, 0, 1, 0.0, 0.0),
        (None, True, None, None, None, None, None, None, None, None),
        # (20 - 10) + (4 - 5) + (7 - 7) = 9 on the 22 they had on 25 Nov
        ("2025-11-27", False, 31, 3, 3, 2, 9, 2, 4.5, 40.91),
    ]
    # 24 -> 27 Nov over the models counted on both days (a and b): 9 on 15
    assert window(data, "Lab") == {
        "from": "2025-11-24",
        "to": "2025-11-27",
        "change": 9,
        "growth_pct": 60.0,
        "snapshots": 3,
        "gaps": 1,
    }


def test_a_day_outside_the_rotation_is_a_point_not_a_gap(tmp_path: Path) -> None:
    data = trends(rotated_db(tmp_path))
    # Side starts at its first count (25 Nov). On 27 Nov a run stored Side but the rotation did
    # not reach Side/x: its 25 Nov count stands, nothing was recounted, nothing changed.
    assert points(data, "Side") == [
        ("2025-11-25", False, 3, 1, 1, 1, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        ("2025-11-27", False, 3, 1, 1, 0, 0, 2, 0.0, 0.0),
    ]
    assert (window(data, "Side")["change"], window(data, "Side")["snapshots"]) == (0, 2)
    (side,) = [s for s in data["series"] if s["org"] == "Side"]
    assert side["points"][-1]["as_of"] == "2025-11-27T06:00:00Z"
    assert set(data["definitions"]) == {"total", "counted", "models", "refreshed", "change", "gap"}


def test_the_table_and_csv_show_the_coverage(tmp_path: Path) -> None:
    db = rotated_db(tmp_path)
    env = {"COLUMNS": "120", "NO_COLOR": "1"}
    table = run("trends", "--metric", "derivatives", "--db", str(db), env=env).stdout
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in table.splitlines() if "│" in line]
    assert ["Org", "Day", "Latest", "Counted", "Change", "Days", "Per day", "Growth", "Note"] in [
        [c.strip() for c in line.strip("┃").split("┃")] for line in table.splitlines() if "┃" in line
    ]
    per_day = [c for c in cells if len(c) == 9]
    assert per_day == [
        ["Lab", "24 Nov 2025", "15", "2/3", "—", "—", "—", "—", ""],
        ["Lab", "25 Nov 2025", "22", "3/3", "0", "1", "+0", "+0.0%", ""],
        ["Lab", "26 Nov 2025", "—", "", "—", "—", "—", "—", "no snapshot"],
        ["Lab", "27 Nov 2025", "31", "3/3", "+9", "2", "+4.5", "+40.9%", "over 2 days"],
        ["Side", "25 Nov 2025", "3", "1/1", "—", "—", "—", "—", ""],
        ["Side", "26 Nov 2025", "—", "", "—", "—", "—", "—", "no snapshot"],
        ["Side", "27 Nov 2025", "3", "1/1", "0", "2", "+0", "+0.0%", "over 2 days"],
    ]
    assert "first count is coverage, not growth" in " ".join(table.split())
    csv = run("trends", "--metric", "derivatives", "--db", str(db), "-f", "csv").stdout.splitlines()
    assert csv[0].startswith(
        "org,model,period,period_start,date,as_of,gap,total,counted,models,refreshed,change,"
    )
    assert csv[1].startswith("Lab,,2025-11-24,2025-11-24,2025-11-24,2025-11-24T06:00:00Z,false,15,2,3,2,,")


def test_a_model_series_has_the_same_rules(tmp_path: Path) -> None:
    data = trends(rotated_db(tmp_path), "--model", "Lab/c")
    (s,) = data["series"]
    assert s["model"] == "Lab/c"
    # Lab/c: first counted on 25 Nov; seen but not recounted on 27 Nov.
    assert [tuple(p[k] for k in KEYS) for p in s["points"]] == [
        ("2025-11-25", False, 7, 1, 1, 1, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        ("2025-11-27", False, 7, 1, 1, 0, 0, 2, 0.0, 0.0),
    ]


def test_a_day_without_any_count_is_a_gap_and_a_removal_is_not_a_loss(tmp_path: Path) -> None:
    """`all` on 24 and 27 Nov, `none` on 25 Nov: that day holds no derivative information.

    Lab/b (5) is removed by 27 Nov: it leaves the level and the comparison, it is no decline.
    """
    db = tmp_path / "t.db"
    sync(db, lab({"finetune": 10}, 5, 7, 3), "2025-11-24T06:00:00Z", "all", quota=100_000)
    sync(db, lab({"finetune": 11}, 5, 7, 3), "2025-11-25T06:00:00Z", "none", quota=100_000)
    sync(db, lab({"finetune": 12}, 5, 8, 3, drop_b=True), "2025-11-27T06:00:00Z", "all", quota=100_000)
    data = trends(db)
    assert points(data, "Lab") == [
        ("2025-11-24", False, 22, 3, 3, 3, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        # a: 10 -> 12, c: 7 -> 8; b removed: +3 on the 17 that a and c had
        ("2025-11-27", False, 20, 2, 2, 2, 3, 3, 1.0, 17.65),
    ]
    assert (window(data, "Lab")["change"], window(data, "Lab")["growth_pct"]) == (3, 17.65)
    assert points(data, "Side") == [
        ("2025-11-24", False, 3, 1, 1, 1, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        (None, True, None, None, None, None, None, None, None, None),
        ("2025-11-27", False, 3, 1, 1, 1, 0, 3, 0.0, 0.0),
    ]
