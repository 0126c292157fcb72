"""Fault injection against the fake Hub: each fault, what the tool does, and the exact database afterwards.

Every test first stores the same world with no fault (the baseline), then runs with the
fault and compares the whole database (tests/dbstate.py) with that baseline: a fault
that is retried away must leave no trace but the request count; one that is not must
leave the other orgs stored exactly as they would have been.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from oss_tracker.hub import client as hubmod
from oss_tracker.hub.transport import Interrupted, RetryPolicy
from tests.conftest import Result, dump, hub_fixtures, model, rows, run, world
from tests.dbstate import content, without
from tests.fakehub import FakeHub

NOW = "2025-11-24T06:00:00Z"
LATER = "2025-11-25T06:00:00Z"


def alpha() -> list[dict[str, Any]]:
    return [
        model("Alpha/one", created_at="2025-01-01T00:00:00.000Z", downloads=11, all_time=110, likes=1),
        model("Alpha/two", created_at="2025-02-01T00:00:00.000Z", downloads=22, all_time=220, likes=2),
        model("Alpha/three", created_at="2025-03-01T00:00:00.000Z", downloads=33, all_time=330, likes=3),
        model(
            "Alpha/four",
            created_at="2025-04-01T00:00:00.000Z",
            license="other",
            license_name="modified-mit",
            downloads=44,
            all_time=440,
        ),
        model("Alpha/five", created_at="2025-05-01T00:00:00.000Z", license=None, downloads=55, all_time=550),
    ]


def beta() -> list[dict[str, Any]]:
    return [
        model("Beta/x", created_at="2025-06-01T00:00:00.000Z", downloads=7, all_time=70),
        model("Beta/y", created_at="2025-07-01T00:00:00.000Z", downloads=8, all_time=80, trendingScore=4.5),
        model("Beta/z", created_at="2025-08-01T00:00:00.000Z", downloads=9, all_time=90),
    ]


FOLLOWERS = {"Alpha": 1000, "Beta": 20}
WORLD = world(*alpha(), *beta(), followers=FOLLOWERS)


def world_of(*orgs: str) -> dict[str, Any]:
    models = {"Alpha": alpha, "Beta": beta}
    return world(*[m for o in orgs for m in models[o]()], followers={o: FOLLOWERS[o] for o in orgs})


# Two models a page: Alpha is three pages, Beta two, so a fault can hit page 2.
shared_hub, fake = hub_fixtures(WORLD, name="fake", page_size=2)


def sync(hub: FakeHub, db: Path, *orgs: str, now: str = NOW, extra: tuple[str, ...] = ()) -> Result:
    args = ["sync", "--db", str(db), "--endpoint", hub.url, "--now", now, "--derivatives", "none"]
    for org in orgs or ("Alpha", "Beta"):
        args += ["--org", org]
    return run(*args, *extra)


_BASELINES: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}


def baseline(hub: FakeHub, tmp_path: Path, *orgs: str) -> dict[str, Any]:
    """The database that syncing `orgs` (default both) of WORLD gives with no fault at all."""
    orgs = orgs or ("Alpha", "Beta")
    key = (hub.url, orgs)
    if key not in _BASELINES:
        saved = hub._faults[:]
        hub.clear_faults()
        hub.set_world(world_of(*orgs))
        db = tmp_path / "baseline.db"
        result = sync(hub, db, *orgs)
        assert result.exit_code == 0, result.stderr
        _BASELINES[key] = content(db)
        hub.set_world(WORLD)
        hub._faults[:] = saved
    hub.requests.clear()
    return _BASELINES[key]


def later_pages(org: str) -> str:
    """A fault match for the pages after the first of one org's listing (those with a cursor)."""
    expand = "&".join(f"expand={e}" for e in hubmod.LISTING_EXPAND)
    return f"author={org}&sort=createdAt&{expand}&cursor="


def statuses(hub: FakeHub, needle: str) -> list[int]:
    """HTTP statuses the fake Hub answered to requests whose path?query contains `needle`."""
    out = []
    for r in hub.requests:
        target = r["path"] + "?" + "&".join(f"{k}={v}" for k, v in r["query"])
        if needle in target:
            out.append(r["status"])
    return out


# -- transient faults: retried, and the run is exactly the fault-free run ---------------------

TRANSIENT = [
    pytest.param("status", "author=Alpha", 2, {"status": 429, "reset": 7}, id="429-ratelimit-r0-retry-after"),
    pytest.param(
        "status",
        "author=Beta",
        1,
        {"status": 429, "headers": {"RateLimit": '"api";r=12;t=40', "Retry-After": "3"}},
        id="429-retry-after-only",
    ),
    pytest.param("status", "author=Alpha", 4, {"status": 500}, id="500-burst-first-page"),
    pytest.param("status", "cursor=", 3, {"status": 502}, id="502-on-later-pages"),
    pytest.param("status", "/overview", 3, {"status": 503}, id="503-on-org-overview"),
    pytest.param("status", "author=Beta", 2, {"status": 504}, id="504"),
    pytest.param("status", "author=Beta", 2, {"status": 408}, id="408"),
    pytest.param("drop", "author=Alpha", 2, {}, id="connection-dropped"),
    pytest.param("drop", "Alpha/overview", 1, {}, id="connection-dropped-on-overview"),
    pytest.param("truncate", "cursor=", 2, {}, id="body-cut-short"),
    pytest.param("truncate", "Beta/overview", 2, {}, id="overview-body-cut-short"),
]


@pytest.mark.parametrize(("kind", "match", "times", "opts"), TRANSIENT)
def test_a_transient_fault_is_retried_and_leaves_no_trace(
    fake: FakeHub, tmp_path: Path, kind: str, match: str, times: int, opts: dict[str, Any]
) -> None:
    expected = baseline(fake, tmp_path)
    fake.add_fault(kind, match=match, times=times, **opts)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert content(db) == expected
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sync ok: 2 org(s), 8 models")
    # The faulted request was really answered badly `times` times, then retried.
    got = statuses(fake, match)
    if kind == "status":
        assert got.count(opts["status"]) == times
    assert got[-1] == 200
    assert rows(db, "SELECT requests FROM runs") == [(7 + times,)]


def test_retries_are_logged_with_verbose(fake: FakeHub, tmp_path: Path) -> None:
    fake.add_fault("status", match="Beta/overview", times=2, status=503)
    result = sync(fake, tmp_path / "t.db", extra=())
    assert result.exit_code == 0 and "retrying" not in result.stderr  # quiet about what it fixed
    fake.add_fault("status", match="Beta/overview", times=2, status=503)
    result = run(
        "-v", "sync", "--db", str(tmp_path / "t.db"), "--endpoint", fake.url, "--org", "Beta",
        "--derivatives", "none", "--now", LATER,
    )  # fmt: skip
    assert result.exit_code == 0
    assert (
        result.stderr.count("HTTP 503 from the Hub for GET /api/organizations/Beta/overview; retrying") == 2
    )


def test_a_timeout_is_retried(tmp_path: Path) -> None:
    with FakeHub(WORLD, page_size=2) as hub:
        expected = baseline(hub, tmp_path)
        hub.add_fault("delay", match="author=Beta", times=1, seconds=1.4)
        db = tmp_path / "t.db"
        started = time.monotonic()
        result = sync(hub, db, extra=("--timeout", "1"))
        assert result.exit_code == 0, result.stderr
        assert time.monotonic() - started < 10
        assert content(db) == expected
        assert rows(db, "SELECT requests FROM runs") == [(8,)]  # one more: Beta's page 1, timed out once


def test_a_listing_request_sent_with_no_timeout_gets_the_transports_own() -> None:
    """huggingface_hub pages listings with `timeout=None`: without a default, a stalled Hub hangs cron."""
    import httpx2

    from oss_tracker.hub.transport import HubTransport

    waits: list[float] = []
    with FakeHub(WORLD, page_size=2) as hub:
        transport = HubTransport(
            httpx2.HTTPTransport(), endpoint=hub.url, policy=RetryPolicy(sleep=waits.append), timeout=0.5
        )
        hub.add_fault("delay", match="author=Alpha", times=1, seconds=1.0)
        with httpx2.Client(transport=transport) as client:
            response = client.get(f"{hub.url}/api/models", params={"author": "Alpha"}, timeout=None)
    assert response.status_code == 200 and len(response.json()) == 2
    assert transport.requests == 2 and waits == [1.0]  # timed out once (else: 1 request, 1 s)


def test_a_slow_hub_within_the_timeout_is_just_slow(tmp_path: Path) -> None:
    with FakeHub(WORLD, page_size=2, latency=0.05) as slow:
        expected = baseline(slow, tmp_path)
        db = tmp_path / "t.db"
        assert sync(slow, db).exit_code == 0
        assert content(db) == expected


# -- retries run out: the other orgs are stored, the run is partial (exit 3) ----------------


EXHAUSTED = [
    pytest.param("status", "author=Beta", {"status": 503}, "HTTP 503 for GET /api/models after 6 attempts", id="503"),
    pytest.param("status", "Beta/overview", {"status": 500}, "HTTP 500 for GET /api/organizations/Beta/overview after 6 attempts", id="overview-500"),
    pytest.param("status", "author=Beta", {"status": 429, "reset": 300}, "HTTP 429 for GET /api/models after 6 attempts", id="429-forever"),
    pytest.param("drop", "author=Beta", {}, "connection closed mid-response for GET /api/models after 6 attempts", id="dropped"),
    pytest.param("truncate", "cursor=", {}, "connection closed mid-response for GET /api/models after 6 attempts", id="page-2-cut-short"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "match", "opts", "message"), EXHAUSTED)
def test_when_retries_run_out_for_one_org_the_others_are_stored(
    fake: FakeHub, tmp_path: Path, kind: str, match: str, opts: dict[str, Any], message: str
) -> None:
    if match == "cursor=":
        match = later_pages("Beta")  # only Beta's page 2 fails
    alpha_only = baseline(fake, tmp_path, "Alpha")
    fake.add_fault(kind, match=match, times=99, **opts)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    assert result.stderr == (
        "sync partial: 1 org(s), 5 models, 0 new (1 org(s) synced for the first time), 0 removed, 0 renamed, 0 licence change(s), "
        f"{rows(db, 'SELECT requests FROM runs')[0][0]} requests, run #1 — Beta: {message}\n"
    )
    state = content(db)
    assert state["runs"] == [
        # source, revision, bytes_read (m010_archive_runs), file_rows (m022): a live sync's are NULL
        (
            1,
            NOW,
            "2025-11-24",
            fake.url,
            '["Alpha", "Beta"]',
            "partial",
            "0.1.0",
            f"Beta: {message}",
            None,
            None,
            None,
            None,
        )
    ]
    assert without(state, "runs") == without(alpha_only, "runs")


def test_an_org_cut_short_is_neither_half_stored_nor_taken_for_removed(fake: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    before = content(db)
    fake.add_fault("truncate", match=later_pages("Alpha"), times=99)  # page 1 comes, page 2 never
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 3
    after = content(db)
    assert rows(db, "SELECT run_id, count(*) FROM model_snapshots GROUP BY run_id") == [(1, 8), (2, 3)]
    assert rows(db, "SELECT count(*) FROM models WHERE removed_at IS NOT NULL") == [(0,)]
    assert after["events"] == before["events"] == []
    assert [r[1] for r in after["org_snapshots"]] == ["Alpha", "Beta", "Beta"]


def test_when_every_org_fails_nothing_is_written(fake: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    before = dump(db)
    fake.add_fault("status", match="/api/", times=999, status=503)
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: sync failed, nothing stored: ")
    assert "Alpha: HTTP 503" in result.stderr and "Beta: HTTP 503" in result.stderr
    assert dump(db) == before


# -- retry waits: what the Hub asks, capped, never slept for real in tests --------------------


class FakeClock:
    """The transport's clock and sleep: a wait moves time on, nobody waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


def _waits(hub: FakeHub, call: str, *, max_wait: float = 300.0, retries: int = 5) -> list[float]:
    clock = FakeClock()
    policy = RetryPolicy(retries=retries, base_wait=1.0, max_wait=max_wait, sleep=clock.sleep)
    with hubmod.connect(endpoint=hub.url, token=False, policy=policy) as session:
        session.transport.clock = clock.monotonic
        try:
            if call == "overview":
                session.api.get_organization_overview("Alpha")
            else:
                list(session.api.list_models(author="Alpha", sort="created_at"))
        except Exception:  # noqa: BLE001 - the waits are what is tested
            pass
    return clock.waits


def test_a_429_with_an_exhausted_ratelimit_waits_for_the_reset(fake: FakeHub) -> None:
    fake.add_fault("status", match="author=Alpha", times=2, status=429, reset=42)
    assert _waits(fake, "list") == [43.0, 43.0]


def test_a_429_with_retry_after_waits_that_long(fake: FakeHub) -> None:
    headers = {"RateLimit": '"api";r=99000;t=200', "Retry-After": "9"}
    fake.add_fault("status", match="/overview", times=1, status=429, headers=headers)
    assert _waits(fake, "overview") == [10.0]


def test_a_retry_after_date_is_understood(fake: FakeHub) -> None:
    from email.utils import formatdate

    fake.add_fault(
        "status",
        match="/overview",
        times=1,
        status=503,
        headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)},
    )
    [wait] = _waits(fake, "overview")
    assert 28 <= wait <= 32


def test_5xx_backs_off_exponentially_up_to_max_wait(fake: FakeHub) -> None:
    fake.add_fault("status", match="/overview", times=99, status=503)
    assert _waits(fake, "overview", max_wait=5) == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_huge_retry_after_is_capped_by_max_wait(fake: FakeHub) -> None:
    """Capped, then the pacing still knows the window has not reset: at most 2 x max_wait a try."""
    fake.add_fault("status", match="/overview", times=1, status=429, reset=86_400)
    assert _waits(fake, "overview", max_wait=60) == [60.0, 60.0]


def test_pacing_waits_for_the_window_before_the_quota_runs_out() -> None:
    """With 22 calls a window and a reserve of 20, the third call waits for the reset, capped."""
    with FakeHub(WORLD, page_size=2, quota=22) as hub:
        waits = _waits(hub, "list", max_wait=120)
        assert waits == [120.0]
        assert [r["status"] for r in hub.requests] == [200, 200, 200]


def test_a_small_quota_is_paced_not_hammered(tmp_path: Path) -> None:
    """A real (small) window: the run pauses once for the reset and never gets a 429."""
    with FakeHub(WORLD, page_size=2, quota=25, window=0.5) as hub:
        expected = baseline(hub, tmp_path)
        time.sleep(0.5)  # a fresh window
        db = tmp_path / "t.db"
        started = time.monotonic()
        result = sync(hub, db, extra=("--max-wait", "0.6"))
        assert result.exit_code == 0, result.stderr
        assert time.monotonic() - started < 15
        assert content(db) == expected
        assert {r["status"] for r in hub.requests} == {200}


def test_a_cancelled_transport_stops_at_once(fake: FakeHub) -> None:
    with hubmod.connect(endpoint=fake.url, token=False, policy=RetryPolicy(base_wait=30)) as session:
        fake.add_fault("status", match="/overview", times=99, status=503)
        done = threading.Event()
        errors: list[BaseException] = []

        def call() -> None:
            try:
                session.api.get_organization_overview("Alpha")
            except BaseException as err:  # noqa: BLE001
                errors.append(err)
            done.set()

        threading.Thread(target=call, daemon=True).start()
        time.sleep(0.3)  # now in its 30 s backoff
        started = time.monotonic()
        session.transport.cancel()
        assert done.wait(5)
        assert time.monotonic() - started < 5  # not the 30 s backoff
        assert isinstance(errors[0], Interrupted)
        with pytest.raises(Interrupted):
            session.api.get_organization_overview("Beta")


# -- bad data from the Hub: no crash, no wrong number ---------------------------------------


def _mutate(repo_id: str, **changes: Any):
    """A `mutate` fault: change (or, with value ..., delete) fields of one item in a page."""

    def fn(payload: Any) -> Any:
        if isinstance(payload, list):
            for item in payload:
                if item.get("id") == repo_id:
                    for key, value in changes.items():
                        if value is ...:
                            item.pop(key, None)
                        else:
                            item[key] = value
        return payload

    return fn


SNAPSHOT = "SELECT s.downloads_30d, s.downloads_all_time, s.likes, s.trending FROM model_snapshots s JOIN models m ON m.id = s.model_id WHERE m.repo_id = ?"
BY_ORG = "SELECT o.name, s.listed, s.complete FROM org_snapshots s JOIN orgs o ON o.id = s.org_id"
MODEL = "SELECT license, license_tag, license_name, created_at, pipeline_tag, library_name, parameters, gated, sha FROM models WHERE repo_id = ?"

ODD_VALUES = [
    pytest.param({"trendingScore": 12.75}, (22, 220, 2, 12.75), None, id="fractional-trendingScore"),
    pytest.param({"downloads": 22.0, "likes": 2.0}, (22, 220, 2, 3.0), None, id="integral-floats"),
    pytest.param({"downloads": 22.5, "downloadsAllTime": "220"}, (None, None, 2, 3.0), None, id="fractional-or-text-counts-are-unknown-not-rounded"),
    pytest.param({"downloads": None, "downloadsAllTime": None, "likes": None, "trendingScore": None}, (None, None, None, None), None, id="nulls"),
    pytest.param({"downloads": ..., "downloadsAllTime": ..., "likes": ..., "trendingScore": ...}, (None, None, None, None), None, id="missing-counts"),
    pytest.param({"likes": True, "trendingScore": "hot", "downloads": [22]}, (None, 220, None, None), None, id="wrong-types"),
    pytest.param({"downloads": -5}, (None, 220, 2, 3.0), None, id="negative-is-unknown"),
    pytest.param(
        {"tags": None, "cardData": None, "pipeline_tag": None, "library_name": None, "gated": None, "sha": None},
        None, ("unknown", None, None, "2025-02-01T00:00:00Z", None, None, None, None, None), id="null-metadata",
    ),
    pytest.param(
        {"tags": "license:mit", "cardData": "a string", "pipeline_tag": ["x"], "library_name": 5, "gated": 7, "sha": 5},
        None, ("unknown", None, None, "2025-02-01T00:00:00Z", None, None, None, None, None), id="wrong-metadata-types",
    ),
    pytest.param(
        {"tags": [None, 5, {"a": 1}, "license:apache-2.0"], "cardData": {"license_name": ["x"]}},
        None, ("apache-2.0", "apache-2.0", None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="junk-in-tags",
    ),
    pytest.param({"tags": ["license:"]}, None, ("unknown", None, None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="empty-licence-tag"),
    pytest.param({"tags": ["license:MIT"]}, None, ("mit", "MIT", None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="licence-case"),
    pytest.param({"tags": ["license:other"], "cardData": {"license_name": 42}}, None, ("other", "other", None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="other-with-odd-name"),
    pytest.param({"tags": ["license:other"], "cardData": {"license_name": " Qwen "}}, None, ("qwen", "other", "Qwen", "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="other-named"),
    pytest.param({"tags": ["license:mit", "license:apache-2.0"]}, None, ("mit", "mit", None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "false", None), id="two-licence-tags-first-wins"),
    pytest.param({"gated": "manual", "safetensors": {"parameters": {"BF16": 7}, "total": 7.5}}, None, ("mit", "mit", None, "2025-02-01T00:00:00Z", "text-generation", "transformers", None, "manual", None), id="fractional-parameter-count"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "snapshot", "meta"), ODD_VALUES)
def test_odd_values_in_an_item_become_unknown_not_wrong(
    fake: FakeHub, tmp_path: Path, changes: dict[str, Any], snapshot: tuple | None, meta: tuple | None
) -> None:
    expected = baseline(fake, tmp_path)
    if meta is not None:
        changes = {"sha": None, **changes}  # the sha column is then None whatever the change
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", **changes))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    if snapshot is not None:
        assert rows(db, SNAPSHOT, "Alpha/two") == [snapshot]
    if meta is not None:
        assert rows(db, MODEL, "Alpha/two") == [meta]
    # Every other model is exactly as without the fault.
    state, clean = content(db), expected
    for table in ("model_snapshots", "models"):
        others = [r for r in state[table] if "Alpha/two" not in r and _hub_id("Alpha/two") not in r]
        assert others == [r for r in clean[table] if "Alpha/two" not in r and _hub_id("Alpha/two") not in r]
    assert state["org_snapshots"] == clean["org_snapshots"]


def _hub_id(repo_id: str) -> str:
    return next(m["_id"] for m in WORLD["models"] if m["id"] == repo_id)


def test_an_item_with_only_its_ids_is_kept_with_unknowns(fake: FakeHub, tmp_path: Path) -> None:
    def strip(payload: list) -> list:
        return [{"_id": i["_id"], "id": i["id"]} if i["id"] == "Beta/x" else i for i in payload]

    fake.add_fault("mutate", match="author=Beta", times=99, fn=strip)
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    assert rows(db, MODEL, "Beta/x") == [("unknown", None, None, None, None, None, None, None, None)]
    assert rows(db, SNAPSHOT, "Beta/x") == [(None, None, None, None)]
    assert rows(db, "SELECT count(*) FROM model_snapshots") == [(8,)]


# Items huggingface_hub's ModelInfo() raises on: read item by item from the JSON (hub/parse.py),
# they cost at most that one field (or, with no id, that one item), never the org.
UNPARSEABLE = [
    pytest.param({"createdAt": "yesterday"}, id="unparseable-date"),
    pytest.param({"lastModified": 1700000000}, id="numeric-date"),
    pytest.param({"safetensors": {"total": 7}}, id="safetensors-without-parameters"),
    pytest.param({"safetensors": "7B"}, id="safetensors-a-string"),
]


@pytest.mark.parametrize("changes", UNPARSEABLE)
def test_an_item_the_client_cannot_parse_costs_one_field_not_the_org(
    fake: FakeHub, tmp_path: Path, changes: dict[str, Any]
) -> None:
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", **changes))
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT count(*) FROM model_snapshots") == [(8,)]
    assert rows(db, SNAPSHOT, "Alpha/two") == [(22, 220, 2, 3.0)]


@pytest.mark.parametrize("bad", [None, 5, {"_id": "x"}], ids=["null", "number", "no-id"])
def test_an_item_that_is_not_a_model_is_skipped_and_the_org_marked_incomplete(
    fake: FakeHub, tmp_path: Path, bad: Any
) -> None:
    fake.add_fault("mutate", match="author=Alpha", times=1, fn=lambda page: [*page, bad])
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT count(*) FROM model_snapshots") == [(8,)]


def test_an_item_without_an_object_id_is_skipped_and_the_org_is_incomplete(
    fake: FakeHub, tmp_path: Path
) -> None:
    """The listing then falls short of the overview's count: the org is not stored that run
    (half an org would read as a collapse), and no model is taken for removed."""
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    fake.add_fault("mutate", match="author=Alpha", times=99, fn=_mutate("Alpha/two", _id=None))
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 3
    assert "WARNING Alpha: skipped a listing item with no _id or id" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "Alpha: listed 4 of 5 models (1 unusable item(s) skipped): not stored"
    )
    assert rows(db, BY_ORG + " WHERE s.run_id = 2 ORDER BY o.name") == [("Beta", 3, 1)]
    assert rows(db, "SELECT count(*) FROM model_snapshots WHERE run_id = 2") == [(3,)]
    assert rows(db, "SELECT count(*) FROM models WHERE removed_at IS NOT NULL") == [(0,)]


def test_an_item_repeated_on_a_later_page_is_counted_once(fake: FakeHub, tmp_path: Path) -> None:
    """Paging on a moving sort can repeat rows: the first copy wins, totals are not inflated."""
    expected = baseline(fake, tmp_path)
    first_page: list[dict] = []

    def remember_or_repeat(payload: list) -> list:
        if not first_page:
            first_page.extend(payload)
            return payload
        # Same _id, other numbers: must not be added, must not replace the first copy.
        return payload + [{**i, "downloads": 999_999} for i in first_page]

    fake.add_fault("mutate", match="author=Alpha", times=3, fn=remember_or_repeat)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 0, result.stderr
    assert content(db) == expected


def test_an_item_repeated_within_a_page_is_counted_once(fake: FakeHub, tmp_path: Path) -> None:
    expected = baseline(fake, tmp_path)
    fake.add_fault("mutate", match="author=Beta", times=1, fn=lambda page: page + page)
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    assert content(db) == expected


def test_a_cursor_that_loops_stops_the_org_with_an_error(fake: FakeHub, tmp_path: Path) -> None:
    beta_only = baseline(fake, tmp_path, "Beta")
    fake.add_fault("repeat_page", match=later_pages("Alpha"), times=1000)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3
    assert "Alpha: the Hub's next-page link repeats a page already fetched (GET /api/models)" in result.stderr
    assert len(statuses(fake, "author=Alpha")) == 2  # page 1, then page 2 pointing at itself: stop
    assert without(content(db), "runs") == without(beta_only, "runs")


def test_a_first_page_that_links_to_itself_is_a_loop_too(fake: FakeHub, tmp_path: Path) -> None:
    fake.add_fault("repeat_page", match="author=Alpha", times=1000)
    db = tmp_path / "t.db"
    started = time.monotonic()
    result = sync(fake, db)
    assert time.monotonic() - started < 10
    assert result.exit_code == 3
    assert "Alpha: the Hub's next-page link repeats a page already fetched" in result.stderr
    assert len(statuses(fake, "author=Alpha")) == 1


def test_a_cycle_over_two_pages_is_caught(fake: FakeHub, tmp_path: Path) -> None:
    """Page 3 of Alpha links back to page 2."""
    db = tmp_path / "t.db"
    assert sync(fake, db, "Alpha").exit_code == 0
    later = [
        r["query"]
        for r in fake.requests
        if ("author", "Alpha") in r["query"] and r["query"][-1][0] == "cursor"
    ]
    assert len(later) == 2  # pages 2 and 3
    back = f"{fake.url}/api/models?{urlencode(later[0])}"
    link = {"Link": f'<{back}>; rel="next"'}
    fake.add_fault("status", match="cursor=" + later[1][-1][1], times=1, status=200, headers=link)
    fake.requests.clear()
    result = sync(fake, db, "Alpha", now=LATER)
    assert result.exit_code == 1
    assert "Alpha: the Hub's next-page link repeats a page already fetched" in result.stderr
    assert len(statuses(fake, "author=Alpha")) == 3
    assert rows(db, "SELECT count(*) FROM runs") == [(1,)]


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"error": "Something went wrong"}, "Alpha: "),
        ("<html>maintenance</html>", "Alpha: the Hub sent a page that is not JSON"),
    ],
    ids=["json-object-instead-of-a-list", "html-page"],
)
def test_a_page_that_is_not_a_list_of_models_fails_that_org_only(
    fake: FakeHub, tmp_path: Path, page: Any, message: str
) -> None:
    if isinstance(page, str):
        fake.add_fault("badjson", match="author=Alpha", times=99)
    else:
        fake.add_fault("mutate", match="author=Alpha", times=99, fn=lambda _: page)
    db = tmp_path / "t.db"
    result = sync(fake, db)
    assert result.exit_code == 3, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert rows(db, "SELECT o.name FROM org_snapshots JOIN orgs o ON o.id = org_id") == [("Beta",)]


def test_an_overview_with_odd_counts_stores_unknowns(fake: FakeHub, tmp_path: Path) -> None:
    fake.set_world(
        {
            **WORLD,
            "orgs": {"Alpha": {"numFollowers": "lots", "numModels": None}, "Beta": {"numFollowers": 2.5}},
        }
    )
    db = tmp_path / "t.db"
    result = sync(fake, db)
    # Without a count the listing cannot be checked: stored, flagged, and no removals inferred.
    assert result.exit_code == 3, result.stderr
    assert result.stderr.endswith(
        "— Alpha: no count of models to check the listing: no removals; "
        "2 odd value(s) stored as unknown (Alpha: 1, Beta: 1)\n"
    )
    assert rows(
        db,
        "SELECT o.name, s.num_models, s.followers, s.listed, s.complete FROM org_snapshots s JOIN orgs o ON o.id = s.org_id ORDER BY 1",
    ) == [("Alpha", None, None, 5, 0), ("Beta", 3, None, 3, 1)]


def test_a_listing_shorter_than_the_overview_count_is_partial(fake: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert sync(fake, db).exit_code == 0
    fake.set_world({**WORLD, "orgs": {"Alpha": {"numModels": 9}, "Beta": {}}})
    fake.add_fault(
        "mutate", match="author=Alpha", times=99, fn=lambda page: [i for i in page if i["id"] != "Alpha/one"]
    )
    result = sync(fake, db, now=LATER)
    assert result.exit_code == 3
    assert result.stderr.endswith("— Alpha: listed 4 of 9 models: not stored\n")
    # Not stored at all that run, and Alpha/one is not marked removed on that evidence.
    assert rows(db, BY_ORG + " WHERE s.run_id = 2 ORDER BY o.name") == [("Beta", 3, 1)]
    assert rows(db, "SELECT count(*) FROM models WHERE removed_at IS NOT NULL") == [(0,)]
    assert json.loads(json.dumps(rows(db, "SELECT status FROM runs ORDER BY id"))) == [["ok"], ["partial"]]
