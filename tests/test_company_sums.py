"""One rule for a company's (group's) figures, in `report --company`, `trends --by company` and
`compare --by company`: the sum of its accounts' figures, unknown when any is unknown; its
downloads summed on the days every account tracked by then has a snapshot, an account whose
history starts inside the period counted from its first snapshot (and named); a company named
twice counted once. Worlds served by the fake Hub; the expected figures are the worlds' counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import model, run, sync, world
from tests.fakehub import FakeHub

WATCHLIST = """
[companies.Lab]
accounts = ["LabA", "LabB"]
[companies.Other]
accounts = ["Solo"]
[groups]
g = ["Lab", "Other"]
h = ["Lab"]
"""
DAYS = ("2025-11-24T06:00:00Z", "2025-11-25T06:00:00Z", "2025-11-26T06:00:00Z")
# All-time downloads of each account's one model on each day (None: not synced that day).
COUNTS = {"LabA/a": (1_000, 1_600, 2_000), "LabB/b": (None, 500, 800), "Solo/s": (3_000, 3_100, 3_300)}


def _json(config: Path, db: Path, *args: str) -> Any:
    result = run("--config", str(config), *args, "--db", str(db), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def late(hub: FakeHub, tmp_path: Path) -> tuple[Path, Path]:
    """LabB is first synced on the 25th, inside any period from the 24th; its followers are
    unknown (the Hub's overview gives none)."""
    config = tmp_path / "watchlist.toml"
    config.write_text(WATCHLIST)
    db = tmp_path / "t.db"
    for day, now in enumerate(DAYS):
        items = [model(repo, all_time=n[day]) for repo, n in COUNTS.items() if n[day] is not None]
        w = world(*items, followers={"LabA": 70, "Solo": 5})
        if "LabB" in w["orgs"]:
            w["orgs"]["LabB"]["numFollowers"] = None
        hub.set_world(w)
        orgs = [o for o in ("LabA", "LabB", "Solo") if o in w["orgs"]]
        assert sync(hub, db, *orgs, now=now).exit_code == 0
    return config, db


def test_an_unknown_value_makes_the_company_s_sum_unknown(late: tuple[Path, Path]) -> None:
    config, db = late
    report = _json(config, db, "report", "--company", "Lab")
    assert [(a["org"], a["followers"]) for a in report["by_account"]] == [("LabA", 70), ("LabB", None)]
    assert report["followers"] is None  # not LabA's 70 alone
    assert report["downloads_all_time"] == 2_000 + 800
    table = " ".join(
        run("--config", str(config), "report", "--company", "Lab", "--db", str(db)).stdout.split()
    )
    assert "Note: followers unknown for LabB: the sum is unknown, not a sum of the others." in table
    [lab] = [c for c in _json(config, db, "compare", "--by", "company")["companies"] if c["company"] == "Lab"]
    assert (lab["followers"], lab["downloads_all_time"]) == (None, 2_800)


def test_a_late_account_counts_from_its_first_snapshot_in_every_command(late: tuple[Path, Path]) -> None:
    """Lab from 24 to 26 Nov: LabA's 1,000 -> 2,000, and LabB's 500 -> 800 from its first snapshot
    on the 25th (its downloads before are unknown): 1,300, named, in all three commands."""
    config, db = late
    expected = (2_000 - 1_000) + (800 - 500)
    flagged = [{"account": "LabB", "from": "2025-11-25"}]
    [lab] = [c for c in _json(config, db, "compare", "--by", "company")["companies"] if c["company"] == "Lab"]
    assert (lab["downloads_period"], lab["period_from"], lab["accounts_counted_from"]) == (
        expected, "2025-11-24", flagged,
    )  # fmt: skip
    trends = _json(config, db, "trends", "--by", "company", "--since", "2025-11-24")
    [series] = [s for s in trends["series"] if s["company"] == "Lab"]
    assert (series["window"]["change"], series["window"]["accounts_counted_from"]) == (expected, flagged)
    # The points add up to the window: 24->25 LabA alone (LabB's first point), 25->26 both.
    assert [p["change"] for p in series["points"]] == [None, 600, 400 + 300]
    report = _json(config, db, "report", "--company", "Lab")
    assert report["trend"]["window"]["change"] == expected
    assert report["trend"]["window"]["accounts_counted_from"] == flagged
    note = "Note: LabB's history starts 25 Nov 2025, inside the window: Lab counts it from that snapshot"
    assert note in " ".join(
        run(
            "--config", str(config), "trends", "--by", "company", "--since", "2025-11-24", "--db", str(db)
        ).stdout.split()
    )


@pytest.mark.parametrize(
    "args",
    [("--group", "g", "--group", "h"), ("--company", "Lab", "--company", "lab", "--by", "company")],
)
def test_a_company_named_twice_is_counted_once(late: tuple[Path, Path], args: tuple[str, ...]) -> None:
    config, db = late
    data = _json(config, db, "compare", *args)
    names = [c["company"] for c in data["companies"]]
    assert len(names) == len(set(names))
    assert sum(c["share_of_group_pct"] for c in data["companies"]) == pytest.approx(100.0)
    lab = next(c for c in data["companies"] if c["company"] == "Lab")
    # Of all tracked 30-day downloads: Lab's models 10 + 10 of the three models' 30 (conftest.model).
    assert lab["share_of_all_pct"] == round(100.0 * 20 / 30, 1)


def test_compare_by_account_sums_by_the_same_rule(late: tuple[Path, Path]) -> None:
    """`compare` (accounts side by side) sums its group column as a company does: LabB's followers
    are unknown, so the group's are (it gave LabA's and Solo's alone, 75), and a note says why;
    the downloads, all known, are summed and shared."""
    config, db = late
    data = _json(config, db, "compare")
    assert [(r["org"], r["followers"]) for r in data["orgs"]] == [("LabA", 70), ("LabB", None), ("Solo", 5)]
    assert data["group"]["followers"] is None
    assert data["group"]["downloads_all_time"] == 2_000 + 800 + 3_300
    assert [r["share_30d_pct"] for r in data["orgs"]] == [33.3, 33.3, 33.3]
    table = run("--config", str(config), "compare", "--db", str(db)).stdout
    assert "Note: followers unknown for LabB: the sum is unknown, not a sum of the others." in " ".join(
        table.split()
    )


def test_one_kind_of_companies_compared_says_nothing_of_originals(late: tuple[Path, Path]) -> None:
    """Filtered to one kind, the originals are not counted apart: no note that they are unknown
    (there were three: original models, releases in 30 and 90 days), the followers' one kept."""
    config, db = late
    table = " ".join(run("--config", str(config), "compare", "--by", "company", "--kind", "original",
                         "--db", str(db)).stdout.split())  # fmt: skip
    assert "Note: followers unknown for LabB: the sum is unknown, not a sum of the others." in table
    assert "original models unknown" not in table and "original releases 30d unknown" not in table


def test_one_share_rule_for_every_report() -> None:
    """compare, companies, families, licences and report share by `common.share_pct`: one decimal,
    unknown with an unknown part and of a total that is not positive (a period whose all-time
    counts went down can sum below zero: compare gave -50.0 % of it)."""
    from oss_tracker.reports.common import share_pct

    assert [share_pct(50, 200), share_pct(1, 3), share_pct(-20, 100)] == [25.0, 33.3, -20.0]
    assert [share_pct(50, -100), share_pct(5, 0), share_pct(None, 5), share_pct(5, None)] == [None] * 4
