"""Hostile Hub data (issue 11): values out of range, text SQLite cannot take, impossible dates,
items that are not repos or not the org's, listings that run away, sums that overflow.

Each test syncs a hostile world and compares the whole database with what a sync of the
same world, with the hostile values replaced by what they must be stored as (null, or
left out), gives: "stored as unknown" is checked row for row, not by spot checks.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, hub_fixtures, model, rows, world
from tests.dbstate import content, without
from tests.fakehub import FakeHub
from tests.test_faults import LATER, WORLD, _mutate, baseline, later_pages, sync

shared_hub, fake = hub_fixtures(WORLD, name="fake", page_size=2)
BY_ORG = "SELECT o.name, s.listed, s.complete FROM org_snapshots s JOIN orgs o ON o.id = s.org_id ORDER BY 1, s.run_id"


def edited(changes: dict[str, dict[str, Any]], orgs: dict[str, Any] | None = None) -> dict[str, Any]:
    """WORLD with fields of some models changed (a value of ... deletes the field)."""
    out = copy.deepcopy(WORLD)
    for item in out["models"]:
        for key, value in changes.get(item["id"], {}).items():
            if value is ...:
                item.pop(key, None)
            else:
                item[key] = value
    for org, fields in (orgs or {}).items():
        out["orgs"][org].update(fields)
    return out


def synced(hub: FakeHub, tmp_path: Path, world: dict[str, Any], name: str, *orgs: str) -> tuple[Result, dict]:
    hub.set_world(world)
    db = tmp_path / f"{name}.db"
    result = sync(hub, db, *orgs)
    return result, content(db)


def message(db_state: dict) -> tuple[str, str | None]:
    [run] = db_state["runs"]
    return run[5], run[7]  # status, message


# -- 2: counts out of range ------------------------------------------------------------------


def test_counts_out_of_range_are_stored_as_unknown_and_counted(fake: FakeHub, tmp_path: Path) -> None:
    """2**63 and more crashed the insert (exit 1, every org lost); -1 was stored as a count;
    10**400 as trendingScore raised OverflowError and the item was skipped as "no _id or id"."""
    over = 2**53  # one more than the largest count kept
    hostile = {
        "Alpha/two": {"downloads": 2**63, "downloadsAllTime": 10**30, "likes": -1, "trendingScore": 10**400},
        "Alpha/three": {"downloads": over, "downloadsAllTime": over - 1},
        "Beta/x": {"safetensors": {"parameters": {"BF16": 2**64}, "total": 2**64}},
        "Beta/y": {"trendingScore": float("nan")},
        "Beta/z": {"trendingScore": float("inf")},
    }
    unknown = {
        "Alpha/two": {"downloads": None, "downloadsAllTime": None, "likes": None, "trendingScore": None},
        "Alpha/three": {"downloads": None, "downloadsAllTime": over - 1},
        "Beta/x": {"safetensors": None},
        "Beta/y": {"trendingScore": None},
        "Beta/z": {"trendingScore": None},
    }
    result, state = synced(fake, tmp_path, edited(hostile, {"Alpha": {"numFollowers": 2**64}}), "hostile")
    _, expected = synced(fake, tmp_path, edited(unknown, {"Alpha": {"numFollowers": None}}), "expected")
    assert result.exit_code == 0, result.stderr
    note = "9 odd value(s) stored as unknown (Alpha: 6, Beta: 3)"
    assert message(state) == ("ok", note)
    assert result.stderr.endswith(f", run #1 — {note}\n")
    assert "no _id or id" not in result.stderr and "Traceback" not in result.stderr
    assert without(state, "runs") == without(expected, "runs")
    assert rows(tmp_path / "hostile.db", "SELECT max(downloads_all_time) FROM model_snapshots") == [
        (over - 1,)
    ]


# -- 2: text SQLite cannot store --------------------------------------------------------------


def test_a_lone_surrogate_or_nul_in_metadata_is_unknown_not_a_crash(fake: FakeHub, tmp_path: Path) -> None:
    """A lone surrogate in any string failed the whole run's insert (UnicodeEncodeError, exit 1)."""
    tags = ["transformers", "license:\ud800", "license:other", "base_model:quantized:X/b\udfffase"]
    hostile = {
        "Alpha/two": {
            "pipeline_tag": "text\ud800",
            "library_name": "\udfff",
            "sha": "ab\x00cd",
            "gated": "\ud800",
            "tags": tags,
            "cardData": {"license_name": "q\ud800"},
        }
    }
    unknown = {
        "Alpha/two": {
            "pipeline_tag": None,
            "library_name": None,
            "sha": None,
            "gated": None,
            "tags": ["transformers", "license:other"],
            "cardData": {},
        }
    }
    result, state = synced(fake, tmp_path, edited(hostile), "hostile")
    _, expected = synced(fake, tmp_path, edited(unknown), "expected")
    assert result.exit_code == 0, result.stderr
    assert message(state) == ("ok", "4 odd value(s) stored as unknown (Alpha: 4)")
    assert without(state, "runs") == without(expected, "runs")
    assert rows(
        tmp_path / "hostile.db",
        "SELECT license, license_tag, base_model FROM models WHERE repo_id = 'Alpha/two'",
    ) == [("other", "other", None)]


@pytest.mark.parametrize(
    "ids",
    [
        {"id": "Alpha/t\ud800wo"},
        {"_id": "\udc00" * 24},
        {"_id": "abc\x00def"},
        {"id": "Alpha/\x00"},
        {"id": "Alpha/" + "x" * 995},
    ],
    ids=["surrogate-in-id", "surrogate-in-_id", "nul-in-_id", "nul-in-id", "id-of-1001-characters"],
)
def test_an_id_that_cannot_be_stored_costs_its_org_only(
    fake: FakeHub, tmp_path: Path, ids: dict[str, str]
) -> None:
    beta_only = baseline(fake, tmp_path, "Beta")
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", **ids))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = "Alpha: listed 4 of 5 models (1 unusable item(s) skipped): not stored"
    assert message(content(db)) == ("partial", reason)
    assert (
        "WARNING Alpha: skipped a listing item whose _id or id is no Hub name (a NUL, a lone surrogate, or too long)"
        in result.stderr
    )
    assert without(content(db), "runs") == without(beta_only, "runs")


# -- 21: a page with items that are not objects -----------------------------------------------


def test_a_bare_string_item_is_skipped_not_taken_for_a_page_that_is_not_a_list(
    fake: FakeHub, tmp_path: Path
) -> None:
    """It failed the org with "the Hub sent a models listing page that is not a list"."""
    expected = baseline(fake, tmp_path)
    fake.add_fault(
        "mutate", match="author=Alpha", times=1, fn=lambda page: [*page, "a bare string", 42, ["x"]]
    )
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("WARNING Alpha: skipped a listing item that is not a JSON object") == 3
    state = content(db)
    assert message(state) == ("ok", "3 unusable item(s) skipped (Alpha: 3)")
    assert without(state, "runs") == without(expected, "runs")


# -- 18: dates outside what the Hub can hold ---------------------------------------------------


def test_implausible_dates_are_stored_as_unknown(fake: FakeHub, tmp_path: Path) -> None:
    """createdAt before the Hub's floor (2022-03-02) or after the run (+1 day of clock skew),
    lastModified before 2015 or after the run, and dates that are no day at all. A year before
    1000 was stored as `999-06-01T...` (strftime does not pad it), which broke `releases`."""
    hostile = {
        "Alpha/one": {"createdAt": "0999-06-01T00:00:00.000Z"},
        "Alpha/two": {"createdAt": "9999-12-31T23:59:59.000Z"},
        "Alpha/three": {"createdAt": "2022-03-01T23:59:59.000Z"},
        "Alpha/four": {"createdAt": "2025-11-25T06:00:01.000Z"},
        "Alpha/five": {"createdAt": "2025-02-30T00:00:00.000Z"},
        "Beta/x": {"lastModified": "2014-12-31T23:59:59.000Z", "createdAt": "2022-03-02T23:29:04.000Z"},
        "Beta/y": {"lastModified": "2025-11-25T06:00:00.000Z"},  # the latest date still taken
        "Beta/z": {"lastModified": "2022-03-01T00:00:00Z", "createdAt": "２０２５-01-01T00:00:00.000Z"},
    }
    unknown = {
        **{
            m: {"createdAt": None}
            for m in ("Alpha/one", "Alpha/two", "Alpha/three", "Alpha/four", "Alpha/five")
        },
        "Beta/x": {"lastModified": None, "createdAt": "2022-03-02T23:29:04.000Z"},
        "Beta/y": {"lastModified": "2025-11-25T06:00:00.000Z"},
        "Beta/z": {"lastModified": "2022-03-01T00:00:00Z", "createdAt": None},
    }
    result, state = synced(fake, tmp_path, edited(hostile), "hostile")
    _, expected = synced(fake, tmp_path, edited(unknown), "expected")
    assert result.exit_code == 0, result.stderr
    assert message(state) == ("ok", "7 odd value(s) stored as unknown (Alpha: 5, Beta: 2)")
    assert without(state, "runs") == without(expected, "runs")
    assert rows(
        tmp_path / "hostile.db",
        "SELECT repo_id, created_at, last_modified FROM models WHERE repo_id LIKE 'Beta/%' ORDER BY 1",
    ) == [
        ("Beta/x", "2022-03-02T23:29:04Z", None),
        ("Beta/y", "2025-07-01T00:00:00Z", "2025-11-25T06:00:00Z"),
        ("Beta/z", None, "2022-03-01T00:00:00Z"),
    ]


# -- defence in depth: the org name in the overview's URL path ---------------------------------


def test_the_overview_url_never_carries_a_raw_name(fake: FakeHub) -> None:
    """Names are validated before a sync starts; this is the backstop: `?`, `#`, `/` and a
    dot segment in a name would have asked the Hub for another URL."""
    from huggingface_hub.errors import HfHubHTTPError

    from oss_tracker.hub import client as hubmod

    with hubmod.connect(endpoint=fake.url, token=False) as session:
        for name in ("a?b#c/d", ".."):
            with pytest.raises(HfHubHTTPError):
                hubmod.fetch_overview(session.api, name)
        assert hubmod.fetch_overview(session.api, "Alpha").num_models == 5
    assert [r["raw_path"] for r in fake.requests] == [
        "/api/organizations/a%3Fb%23c%2Fd/overview",
        "/api/organizations/%2E%2E/overview",
        "/api/organizations/Alpha/overview",
    ]


def test_an_overview_naming_a_lookalike_account_keeps_the_name_asked_for(
    fake: FakeHub, tmp_path: Path
) -> None:
    """`"\u212aimi".lower()` is `kimi` (a Kelvin sign): the overview's spelling was taken, and
    the listing then asked for the lookalike's models (none: the org failed)."""
    fake.set_world({**world(model("Kimi/a"), model("Kimi/b")), "orgs": {"Kimi": {"name": "\u212aimi"}}})
    db = tmp_path / "t.db"
    result = sync(fake, db, "Kimi")
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT name FROM orgs") == [("Kimi",)]
    assert rows(db, "SELECT listed, complete FROM org_snapshots") == [(2, 1)]


# -- 7: items of another account; listings longer than their count ----------------------------


def _append(*items: dict[str, Any]):
    """A `mutate` fault adding items to a listing page."""
    return lambda page: [*page, *items]


def _item(repo_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "_id": f"{abs(hash(repo_id)):024x}"[:24],
        "id": repo_id,
        "createdAt": "2025-06-01T00:00:00.000Z",
        **extra,
    }


def test_another_accounts_model_in_a_listing_is_left_out_not_counted(fake: FakeHub, tmp_path: Path) -> None:
    """`Victim/planted` in Alpha's listing was counted and stored as Alpha's (as was an item in
    Alpha's namespace whose `author` is another account)."""
    expected = baseline(fake, tmp_path)
    planted = _item("Victim/planted", downloads=10**9)
    authored = _item("Alpha/planted", author="Victim", downloads=10**9)
    fake.add_fault("mutate", match="author=Alpha", times=1, fn=_append(planted, authored))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    state = content(db)
    assert message(state) == ("ok", "2 item(s) of other accounts left out (Alpha: 2)")
    assert without(state, "runs") == without(expected, "runs")


def _drop_and_plant(dropped: tuple[str, ...], planted: dict[str, Any]):
    """A `mutate` fault: leave `dropped` out of a listing page and add `planted`, twice."""
    return lambda page: [i for i in page if i.get("id") not in dropped] + [planted, planted]


def test_another_accounts_item_never_stands_in_for_a_missing_model(fake: FakeHub, tmp_path: Path) -> None:
    """Review of issue 11, finding 2. Day 2: Alpha's listing (its overview still says 5) drops
    Alpha/two and Alpha/three and carries Victim/planted on every page, six times in all. Each
    foreign item was counted, repeats included (3 own + 6 = 9 >= 5): the run was `ok` and the two
    real models were marked removed. Now a foreign item counts once, and only if it was Alpha's:
    Alpha is not stored that day, nothing is removed, Beta is stored as usual."""
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    expected = tmp_path / "expected.db"
    assert sync(fake, expected).exit_code == 0
    assert sync(fake, expected, "Beta", now=LATER).exit_code == 0  # day 2: Beta alone
    planted = _item("Victim/planted", downloads=10**9)
    fake.add_fault(
        "mutate", match="author=Alpha", times=99, fn=_drop_and_plant(("Alpha/two", "Alpha/three"), planted)
    )
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 3, result.stderr
    assert rows(db, "SELECT status, message FROM runs WHERE id = 2") == [
        ("partial", "Alpha: listed 3 of 5 models (1 item(s) of other accounts not counted): not stored")
    ]
    assert rows(db, "SELECT repo_id FROM models WHERE removed_at IS NOT NULL") == []
    assert rows(db, "SELECT count(*) FROM events") == [(0,)]
    assert without(content(db), "runs") == without(content(expected), "runs")


def test_a_model_transferred_out_meets_the_count_but_proves_no_removal(fake: FakeHub, tmp_path: Path) -> None:
    """Day 2: Alpha/two now shows in Alpha's listing as Gamma/two (same `_id`: transferred to an
    account not watched), and Alpha's overview still counts it (5). It was Alpha's at day 1, so it
    helps meet the count: Alpha is stored. But Alpha's own items (4) are fewer than its count, so
    the listing proves nothing of what is missing: no removals that day (it marked Alpha/two
    removed, on the strength of a count met by an item it had just left out)."""
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    fake.add_fault(
        "mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", id="Gamma/two", author="Gamma")
    )
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT status, message FROM runs WHERE id = 2") == [
        ("ok", "1 item(s) of other accounts left out (Alpha: 1)")
    ]
    assert rows(db, BY_ORG) == [("Alpha", 5, 1), ("Alpha", 4, 1), ("Beta", 3, 1), ("Beta", 3, 1)]
    assert rows(db, "SELECT repo_id, removed_at, last_seen_run FROM models WHERE repo_id = 'Alpha/two'") == [
        ("Alpha/two", None, 1)
    ]
    assert rows(db, "SELECT count(*) FROM events") == [(0,)]


def test_a_listing_a_little_past_its_count_is_models_created_during_the_sync(
    fake: FakeHub, tmp_path: Path
) -> None:
    """Up to max(10, 1 %) more than the overview's count: new models, stored."""
    extra = [_item(f"Alpha/new-{i}") for i in range(10)]
    fake.add_fault("mutate", match="author=Alpha", times=1, fn=_append(*extra))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert rows(db, BY_ORG) == [("Alpha", 15, 1), ("Beta", 3, 1)]
    assert rows(db, "SELECT count(*) FROM models WHERE repo_id LIKE 'Alpha/new-%'") == [(10,)]


def test_a_listing_well_past_its_count_is_incomplete_not_ok(fake: FakeHub, tmp_path: Path) -> None:
    """One item more than the slack: Alpha is not stored (it passed as complete, 16 of 5)."""
    beta_only = baseline(fake, tmp_path, "Beta")
    extra = [_item(f"Alpha/new-{i}") for i in range(11)]
    fake.add_fault("mutate", match="author=Alpha", times=1, fn=_append(*extra))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = (
        "Alpha: the models listing ran past the Hub's count of 5 (16 items in 3 page(s)): stopped, not stored"
    )
    assert message(content(db)) == ("partial", reason)
    assert without(content(db), "runs") == without(beta_only, "runs")


# -- 15: an endless next-page cursor ----------------------------------------------------------


def listing_requests(hub: FakeHub, org: str) -> int:
    return sum(1 for r in hub.requests if r["path"] == "/api/models" and ("author", org) in r["query"])


def test_an_endless_cursor_stops_at_once_and_the_other_org_is_stored(fake: FakeHub, tmp_path: Path) -> None:
    """Beta claims 3 models; its listing links on and on, 70 new models a page (the issue saw
    954 pages, 66,800 "models"). The fault ends after 50 pages so that the unfixed tool fails
    this test instead of hanging it."""
    alpha_only = baseline(fake, tmp_path, "Alpha")
    fake.add_fault("endless", match="author=Beta", times=50, items=70)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = (
        "Beta: the models listing ran past the Hub's count of 3 (70 items in 1 page(s)): stopped, not stored"
    )
    assert message(content(db)) == ("partial", reason)
    assert listing_requests(fake, "Beta") == 1
    assert without(content(db), "runs") == without(alpha_only, "runs")


def test_an_endless_cursor_with_no_count_stops_at_the_page_cap(
    fake: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No numModels to check against: MAX_PAGES (200 = 200,000 items; 5 here, to keep the test fast)."""
    from oss_tracker.hub import client as hubmod

    monkeypatch.setattr(hubmod, "MAX_PAGES", 5, raising=False)
    alpha_only = baseline(fake, tmp_path, "Alpha")
    fake.set_world(edited({}, {"Beta": {"numModels": None}}))
    fake.add_fault("endless", match="author=Beta", times=50, items=3)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = (
        "Beta: the models listing went on past 5 pages with no count to check it against: stopped, not stored"
    )
    assert message(content(db)) == ("partial", reason)
    assert listing_requests(fake, "Beta") == 5
    assert without(content(db), "runs") == without(alpha_only, "runs")


def test_endless_empty_pages_stop_at_once_and_the_other_org_is_stored(fake: FakeHub, tmp_path: Path) -> None:
    """Review of issue 11, finding 1: an endless run of EMPTY pages (`[]`, each with a new next
    link) never ran past a count of items, so Beta (which claims 3 models) was followed through
    all 400 pages, and a Hub that never stops would hold the sync and its lock for ever."""
    alpha_only = baseline(fake, tmp_path, "Alpha")
    fake.add_fault("endless", match="author=Beta", times=400, items=0)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = "Beta: the models listing sent an empty page that links to another (page 1): stopped, not stored"
    assert message(content(db)) == ("partial", reason)
    assert listing_requests(fake, "Beta") == 1
    assert without(content(db), "runs") == without(alpha_only, "runs")


def test_empty_pages_after_a_real_first_page_stop_too(fake: FakeHub, tmp_path: Path) -> None:
    """Beta's first page is real (2 models and a next link), then the Hub answers `[]` + a next
    link for ever."""
    alpha_only = baseline(fake, tmp_path, "Alpha")
    fake.add_fault("endless", match=later_pages("Beta"), times=400, items=0)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    reason = "Beta: the models listing sent an empty page that links to another (page 2): stopped, not stored"
    assert message(content(db)) == ("partial", reason)
    assert listing_requests(fake, "Beta") == 2
    assert without(content(db), "runs") == without(alpha_only, "runs")


def test_endless_empty_dataset_pages_cost_the_datasets_only(tmp_path: Path) -> None:
    """Datasets and Spaces page through the same code: an endless run of empty dataset pages
    stops at once; the org's models are stored, its datasets are not (exit 3)."""
    models = [model("Gamma/a"), model("Gamma/b", downloads=7)]
    datasets = [model(f"Gamma/d{i}") for i in range(3)]
    with FakeHub(world(*models, datasets=datasets), page_size=2) as hub:
        clean = tmp_path / "clean.db"
        assert sync(hub, clean, "Gamma").exit_code == 0
        hub.add_fault("endless", match="/api/datasets?author=Gamma", times=400, items=0)
        db = tmp_path / "t.db"
        result = sync(hub, db, "Gamma")
        datasets_asked = sum(1 for r in hub.requests if r["path"] == "/api/datasets")
    assert result.exit_code == 3, result.stderr
    reason = (
        "Gamma: dataset listing failed: the datasets listing sent an empty page that links to another "
        "(page 1): stopped, not stored"
    )
    assert message(content(db)) == ("partial", reason)
    assert datasets_asked == 3  # the clean run's two pages, then the first empty one
    expected = content(clean)
    assert content(db)["org_snapshots"] == [(1, "Gamma", 2, 100, 2, 0, 3, 0, None, 0)]
    assert expected["org_snapshots"] == [(1, "Gamma", 2, 100, 2, 1, 3, 0, 3, 0)]
    assert without(content(db), "runs", "org_snapshots", "repos", "repo_snapshots") == without(
        expected, "runs", "org_snapshots", "repos", "repo_snapshots"
    )
    assert content(db)["repos"] == [] and content(db)["repo_snapshots"] == []


def test_pages_that_shrink_after_the_first_stop_at_what_the_count_needs(tmp_path: Path) -> None:
    """A first page of 10 (the listing's page size), then pages of one new model each: the
    count (25, so 35 items at most) needs 4 pages of 10; 4 + PAGE_SLACK = 9 pages are asked
    for, not the 26 that running past 35 items would take."""
    models = [model(f"Delta/m-{i:02d}", created_at=f"2025-01-{1 + i:02d}T00:00:00.000Z") for i in range(25)]
    with FakeHub(world(*models), page_size=10) as hub:
        hub.add_fault("endless", match="cursor=", times=400, items=1)
        db = tmp_path / "t.db"
        result = sync(hub, db, "Delta")
        asked = listing_requests(hub, "Delta")
    assert result.exit_code == 1, result.stderr
    assert result.stderr == (
        "oss-tracker: error: sync failed, nothing stored: Delta: the models listing went on past 9 pages "
        "for a count of 25: stopped, not stored\n"
    )
    assert asked == 9
    assert content(db)["runs"] == []


# -- 2: one model in two watched orgs' listings in one run ------------------------------------


def test_a_model_in_transfer_listed_by_both_orgs_is_stored_once(fake: FakeHub, tmp_path: Path) -> None:
    """Alpha/two moves to Beta while the sync pages: Alpha's listing still has it as Alpha/two,
    Beta's already as Beta/two (same `_id`). The second snapshot of one model in one run was a
    PRIMARY KEY error that lost the whole run (exit 1). The first stored wins (watch-list order);
    Beta's overview counts it (4), and Beta's 3 models plus the one skipped meet that count."""
    expected = baseline(fake, tmp_path)
    moved = {**next(m for m in WORLD["models"] if m["id"] == "Alpha/two"), "id": "Beta/two", "author": "Beta"}
    fake.set_world(edited({}, {"Beta": {"numModels": 4}}))
    fake.add_fault("mutate", match="author=Beta", times=1, fn=_append(moved))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    state = content(db)
    assert message(state) == (
        "ok",
        "1 item(s) already stored under another account this run skipped (Beta: 1)",
    )
    assert state["org_snapshots"] == [
        (1, "Alpha", 5, 1000, 5, 1, 0, 0, 0, 0),
        (1, "Beta", 4, 20, 3, 1, 0, 0, 0, 0),
    ]
    assert without(state, "runs", "org_snapshots") == without(expected, "runs", "org_snapshots")


def test_a_dataset_in_transfer_listed_by_both_orgs_is_stored_once(tmp_path: Path) -> None:
    """As for models: A/d1 moves to B while the sync pages, and B's dataset listing already holds
    it as B/d1 (same `_id`). Stored once, under A (listed first); B's two datasets met with it."""
    from tests.conftest import sync as sync_orgs

    d1, d2 = model("A/d1", hub_id="d1" * 12), model("B/d2", hub_id="d2" * 12)
    moved = {**d1, "id": "B/d1", "author": "B"}
    start = world(model("A/x"), model("B/q"), datasets=[d1, d2])
    start["orgs"]["B"]["numDatasets"] = 2  # B's overview counts the one moving in
    with FakeHub(start) as hub:
        hub.add_fault("mutate", match="/api/datasets?author=B", times=1, fn=_append(moved))
        db = tmp_path / "t.db"
        result = sync_orgs(hub, db, "A", "B")
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT status, message FROM runs") == [
        ("ok", "1 item(s) already stored under another account this run skipped (B: 1)")
    ]
    assert rows(db, "SELECT r.kind, r.hub_id, r.repo_id, o.name FROM repos r JOIN orgs o ON o.id = r.org_id "
                    "ORDER BY r.repo_id") == [("dataset", "d1" * 12, "A/d1", "A"), ("dataset", "d2" * 12, "B/d2", "B")]  # fmt: skip
    assert rows(db, "SELECT count(*) FROM repo_snapshots") == [(2,)]


@pytest.mark.parametrize("order", [("Alpha", "Beta"), ("Beta", "Alpha")], ids=["alpha-first", "beta-first"])
def test_a_model_transferred_is_stored_under_the_org_its_id_names(
    fake: FakeHub, tmp_path: Path, order: tuple[str, str]
) -> None:
    """Day 2: Alpha/two is now Beta/two. Alpha's listing (stale) still shows it, with the new id:
    left out of Alpha (whose overview still counts 5: 4 own + 1 left out), stored under Beta.
    Beta first: Beta has already taken the model over when Alpha's listing is checked; it still
    counts for Alpha, which held it when the run began."""
    db = tmp_path / "t.db"
    assert sync(fake, db, *order).exit_code == 0
    two = next(m for m in WORLD["models"] if m["id"] == "Alpha/two")
    moved = {**two, "id": "Beta/two", "author": "Beta"}
    fake.set_world(edited({}, {"Beta": {"numModels": 4}}))
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", id="Beta/two"))
    fake.add_fault("mutate", match="author=Beta", times=1, fn=_append(moved))
    result = sync(fake, db, *order, now="2025-11-25T06:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT status, message FROM runs WHERE id = 2") == [
        ("ok", "1 item(s) of other accounts left out (Alpha: 1)")
    ]
    assert rows(
        db,
        "SELECT m.repo_id, o.name, m.removed_at FROM models m JOIN orgs o ON o.id = m.org_id WHERE hub_id = ?",
        two["_id"],
    ) == [("Beta/two", "Beta", None)]
    assert rows(db, "SELECT run_id, count(*) FROM model_snapshots GROUP BY run_id") == [(1, 8), (2, 8)]
    assert rows(db, BY_ORG) == [("Alpha", 5, 1), ("Alpha", 4, 1), ("Beta", 3, 1), ("Beta", 4, 1)]
    assert rows(db, "SELECT kind, old, new FROM events") == [("renamed", "Alpha/two", "Beta/two")]


# -- 2: sums past 64 bits ----------------------------------------------------------------------


def test_totals_that_overflow_are_stored_as_unknown_not_the_org_lost(tmp_path: Path) -> None:
    """1,025 models at the largest count kept (2**53 - 1) sum past 2**63. SQLite's "integer
    overflow" in the run's totals first lost every org (exit 1), then (strict totals) cost that
    org every day, though each of its snapshot rows is storable. Now every row is stored and only
    the sums that overflow are unknown (NULL) in org_run_totals, noted on the run; exit 0."""
    big = [
        model(f"Big/m-{i:04d}", created_at=f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
              downloads=2**53 - 1, all_time=2**53 - 1)
        for i in range(1025)
    ]  # fmt: skip
    small = [model("Small/a"), model("Small/b", downloads=7)]
    with FakeHub(world(*big, *small)) as hub:
        alone = tmp_path / "alone.db"
        assert sync(hub, alone, "Small").exit_code == 0
        db = tmp_path / "t.db"
        result = sync(hub, db, "Big", "Small")
    assert result.exit_code == 0, result.stderr
    state = content(db)
    assert message(state) == ("ok", "2 total(s) past 64 bits stored as unknown (Big: 2)")
    assert rows(
        db,
        "SELECT count(*), min(downloads_30d), max(downloads_30d), min(downloads_all_time), max(downloads_all_time) "
        "FROM model_snapshots s JOIN models m ON m.id = s.model_id WHERE m.repo_id LIKE 'Big/%'",
    ) == [(1025, 2**53 - 1, 2**53 - 1, 2**53 - 1, 2**53 - 1)]
    # run, org, previous run, models, downloads_30d, downloads_all_time, likes, downloads, base, drops,
    # launches, launch_downloads, first_seen_not_counted, stalls
    assert [r for r in state["org_run_totals"] if r[1] == "Big"] == [
        (1, "Big", None, 1025, None, None, 1025, None, None, 0, 0, None, 0, 0)
    ]
    assert [r for r in state["org_snapshots"] if r[1] == "Big"] == [
        (1, "Big", 1025, 100, 1025, 1, 0, 0, 0, 0)
    ]
    big_keys = {"Big", *(m["_id"] for m in big), *(m["id"] for m in big)}
    small_only = {
        table: [r for r in found if not big_keys.intersection(r)]
        for table, found in without(state, "runs").items()
    }
    assert small_only == without(content(alone), "runs")


def test_reports_read_sums_past_64_bits_as_unknown(tmp_path: Path) -> None:
    """A database written before counts were bounded holds counts up to 2**63 - 1: summing three
    failed `compare` and `trends` with "database error: integer overflow" (exit 1)."""
    import json
    import sqlite3

    from tests.conftest import run

    db = tmp_path / "t.db"
    models = [model("A/x"), model("A/y"), model("A/z"), model("B/q")]
    with FakeHub(world(*models, datasets=[model("A/d1"), model("A/d2")], followers={"A": 3, "B": 4})) as hub:
        for day in ("2025-11-24", "2025-11-25", "2025-11-26"):
            assert (
                sync(hub, db, "A", "B", now=f"{day}T06:00:00Z", extra=("--derivatives", "all")).exit_code == 0
            )
    huge = 2**62
    conn = sqlite3.connect(db)
    with conn:  # as an old version stored them; org_run_totals then had to be rebuilt
        conn.execute(
            "UPDATE model_snapshots SET downloads_30d = ?, downloads_all_time = ? + run_id, likes = ?",
            [huge, huge, huge],
        )
        conn.execute(
            "UPDATE repo_snapshots SET downloads_30d = ?, downloads_all_time = ?, likes = ?", [huge] * 3
        )
        conn.execute("UPDATE derivative_latest SET total = ?", [huge])
        conn.execute("UPDATE derivative_counts SET total = ?", [huge])
        conn.execute("DELETE FROM org_run_totals")
    conn.close()

    def report(*argv: str) -> Any:
        result = run(*argv, "--db", str(db), "-f", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    a = report("report", "--org", "A")
    assert {k: a[k] for k in ("models", "downloads_30d", "downloads_all_time", "likes")} == {
        "models": 3, "downloads_30d": None, "downloads_all_time": None, "likes": None,
    }  # fmt: skip
    assert a["change"] == {
        "models": 0, "downloads_30d": None, "downloads_all_time": None, "likes": None, "followers": 0
    }  # fmt: skip
    assert a["datasets"] == {"count": 2, "downloads_30d": None, "downloads_all_time": None, "likes": None}
    assert a["derivatives"]["total"] is None and a["derivatives"]["models_counted"] == 3
    by_org = {r["org"]: r for r in report("compare")["orgs"]}
    assert (by_org["A"]["downloads_30d"], by_org["A"]["downloads_period"]) == (None, 6)  # 3 models, +1 a day
    assert (by_org["B"]["downloads_30d"], by_org["B"]["downloads_all_time"]) == (huge, huge + 3)
    trend = {s["org"]: s for s in report("trends")["series"]}
    assert [p["total"] for p in trend["A"]["points"]] == [None, None, None]
    assert [p["total"] for p in trend["B"]["points"]] == [huge + 1, huge + 2, huge + 3]
    assert [p["change"] for p in trend["A"]["points"]] == [None, 3, 3]
    for argv in (
        ("trends", "--interval", "week"),
        ("trends", "--metric", "derivatives"),
        ("trends", "--metric", "likes"),
    ):
        report(*argv)


# -- 8: a childrenModelCount that is no count -------------------------------------------------

UNREADABLE_CHILDREN = {
    "Kids/float": 2.5,
    "Kids/text": "7",
    "Kids/negative": -1,
    "Kids/huge": 2**53,
    "Kids/bool": True,
    "Kids/null": None,
    "Kids/list": [3],
    "Kids/dict-text": {"quantized": "2", "finetune": 1},
    "Kids/dict-huge": {"quantized": 2**63},
    "Kids/dict-float": {"adapter": 1.5},
    "Kids/dict-sum-huge": {"quantized": 2**52, "finetune": 2**52},
}


def test_a_derivative_count_that_is_no_count_leaves_the_stored_count(tmp_path: Path) -> None:
    """Such a count was stored as 0 derivatives (a collapse in the derivative reports). Now the
    model's previous count stands: no row for the day, derivative_latest unchanged. A count is
    read by the rules of every other count (`values.count`): 7.0 and {"quantized": 2.0} are 7 and
    2 (they were unknown, while a `downloads` of 7.0 was 7)."""
    names = [
        "Kids/ok-int",
        "Kids/ok-dict",
        "Kids/integral-float",
        "Kids/dict-integral-float",
        *UNREADABLE_CHILDREN,
    ]
    day1 = {name: 4 for name in names} | {"Kids/ok-dict": {"quantized": 2, "merge": 1}}
    day2 = (
        {name: 5 for name in names}
        | {"Kids/ok-dict": {"quantized": 3, "merge": 1}}
        | {"Kids/integral-float": 7.0, "Kids/dict-integral-float": {"quantized": 2.0, "finetune": 1}}
        | UNREADABLE_CHILDREN
    )
    db = tmp_path / "t.db"
    with FakeHub() as hub:
        for now, counts in (("2025-11-24T06:00:00Z", day1), ("2025-11-25T06:00:00Z", day2)):
            hub.set_world(world(*(model(n, childrenModelCount=c) for n, c in counts.items())))
            result = sync(hub, db, "Kids", now=now, extra=("--derivatives", "all"))
            assert result.exit_code == 0, result.stderr
    assert "derivatives: 4 refreshed, 11 left stale, 11 unreadable, run #2" in result.stderr
    counts = "SELECT m.repo_id, d.day, d.finetune, d.quantized, d.adapter, d.merge, d.total FROM derivative_counts d JOIN models m ON m.id = d.model_id"
    assert rows(db, counts + " WHERE d.day = '2025-11-25' ORDER BY 1") == [
        ("Kids/dict-integral-float", "2025-11-25", 1, 2, 0, 0, 3),
        ("Kids/integral-float", "2025-11-25", None, None, None, None, 7),
        ("Kids/ok-dict", "2025-11-25", 0, 3, 0, 1, 4),
        ("Kids/ok-int", "2025-11-25", None, None, None, None, 5),
    ]
    assert rows(db, counts + " WHERE d.day = '2025-11-24' ORDER BY 1") == sorted(
        [("Kids/ok-dict", "2025-11-24", 0, 2, 0, 1, 3)]
        + [(n, "2025-11-24", None, None, None, None, 4) for n in names if n != "Kids/ok-dict"]
    )
    latest = "SELECT m.repo_id, d.day, d.total, d.prev_day, d.prev_total FROM derivative_latest d JOIN models m ON m.id = d.model_id ORDER BY 1"
    assert rows(db, latest) == sorted(
        [
            ("Kids/dict-integral-float", "2025-11-25", 3, "2025-11-24", 4),
            ("Kids/integral-float", "2025-11-25", 7, "2025-11-24", 4),
            ("Kids/ok-dict", "2025-11-25", 4, "2025-11-24", 3),
            ("Kids/ok-int", "2025-11-25", 5, "2025-11-24", 4),
        ]
        + [(n, "2025-11-24", 4, None, None) for n in UNREADABLE_CHILDREN]
    )


# -- 18: impossible dates already in a database ------------------------------------------------


def test_reports_read_impossible_stored_dates_as_unknown(tmp_path: Path) -> None:
    """A database written before dates were checked holds createdAt years like 999 (stored
    unpadded) and 9999: `releases` failed with "invalid literal for int()", and the year 9999
    walked the per-month chart through 108,000 months (--plot failed)."""
    import json
    import sqlite3

    from tests.conftest import run

    db = tmp_path / "t.db"
    names = {
        "A/ancient": "2024-02-10",
        "A/future": "2024-03-10",
        "A/old": "2024-01-10",
        "A/fine": "2025-05-05",
    }
    with FakeHub(world(*(model(n, created_at=f"{d}T00:00:00.000Z") for n, d in names.items()))) as hub:
        assert sync(hub, db, "A").exit_code == 0
    conn = sqlite3.connect(db)
    with conn:
        for repo_id, stored in (
            ("A/ancient", "999-06-01T00:00:00Z"),
            ("A/future", "9999-12-31T23:59:59Z"),
            ("A/old", "2021-05-05T00:00:00Z"),  # before the Hub's floor
        ):
            conn.execute("UPDATE models SET created_at = ? WHERE repo_id = ?", [stored, repo_id])
    conn.close()

    def report(*argv: str) -> Any:
        result = run(*argv, "--db", str(db), "-f", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    releases = report("releases")
    assert [(r["id"], r["created_at"], r["first_seen"]) for r in releases["releases"]] == [
        ("A/ancient", None, "2025-11-24T06:00:00Z"),
        ("A/future", None, "2025-11-24T06:00:00Z"),
        ("A/old", None, "2025-11-24T06:00:00Z"),
        ("A/fine", "2025-05-05T00:00:00Z", "2025-11-24T06:00:00Z"),
    ]
    assert releases["by_month"] == [
        {
            "month": "2025-11",
            "org": "A",
            "releases": 3,
            "originals": 3,
            "conversions": 0,
        },  # dated by first seen, as with no createdAt
        {"month": "2025-05", "org": "A", "releases": 1, "originals": 1, "conversions": 0},
    ]
    a = report("report", "--org", "A")
    assert a["releases_by_month"] == {"2025-05": 1}
    assert sorted((m["id"], m["created_at"]) for m in a["top_models"]) == [
        ("A/ancient", None), ("A/fine", "2025-05-05T00:00:00Z"), ("A/future", None), ("A/old", None),
    ]  # fmt: skip
    assert report("compare")["orgs"][0]["releases_90d"] == 3
    assert run("releases", "--db", str(db)).exit_code == 0
    plot = run("releases", "--db", str(db), "--plot", str(tmp_path / "r.svg"))
    assert plot.exit_code == 0, plot.stderr
    assert (tmp_path / "r.svg").stat().st_size > 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"_id": "a\xff", "id": "Alpha/x"}]', "the Hub sent a page that is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "the Hub sent a page nested too deeply to read"),
    ],
    ids=["not-utf-8", "nested-too-deep"],
)
def test_a_page_no_json_reader_takes_fails_its_org_with_one_line(
    fake: FakeHub, tmp_path: Path, body: bytes, reason: str
) -> None:
    beta_only = baseline(fake, tmp_path, "Beta")
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=lambda page: body)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    assert message(content(db)) == ("partial", f"Alpha: {reason}")
    assert without(content(db), "runs") == without(beta_only, "runs")
