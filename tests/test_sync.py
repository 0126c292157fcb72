"""`oss-tracker sync` against the fake Hub: paging, records, renames, removals, licences, atomicity."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, dump, model, rows, run, sync, world
from tests.fakehub import FakeHub


def big_org(n: int, org: str = "BigOrg") -> list[dict]:
    return [
        model(
            f"{org}/m-{i:05d}",
            created_at=f"2025-{1 + i % 12:02d}-0{1 + i % 9}T00:00:00.000Z",
            downloads=i,
            all_time=10 * i,
            likes=i % 7,
        )
        for i in range(n)
    ]


def test_an_org_of_2345_models_comes_back_whole_in_three_pages(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(*big_org(2345), followers={"BigOrg": 4321}))
    db = tmp_path / "t.db"
    result = sync(hub, db, "BigOrg")
    assert result.exit_code == 0, result.stderr
    assert hub.count("/api/models") == 3
    assert hub.count("/api/organizations") == 1
    assert rows(db, "SELECT count(*), count(DISTINCT hub_id) FROM models") == [(2345, 2345)]
    assert rows(db, "SELECT count(*), sum(downloads_30d), sum(downloads_all_time) FROM model_snapshots") == [
        (2345, sum(range(2345)), 10 * sum(range(2345)))
    ]
    assert rows(db, "SELECT num_models, followers, listed, complete FROM org_snapshots") == [
        (2345, 4321, 2345, 1)
    ]
    assert rows(db, "SELECT status, requests, orgs FROM runs") == [("ok", 4, '["BigOrg"]')]
    assert "sync ok: 1 org(s), 2,345 models, 0 new (1 org(s) synced for the first time)" in result.stderr


def test_listing_asks_for_every_field_the_reports_need(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(model("A/x")))
    sync(hub, tmp_path / "t.db", "A")
    listing = next(r for r in hub.requests if r["path"] == "/api/models")
    expand = [v for k, v in listing["query"] if k == "expand"]
    assert expand == [
        "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "trendingScore", "tags",
        "cardData", "pipeline_tag", "library_name", "gated", "safetensors", "sha", "config", "gguf",
        "inferenceProviderMapping",
    ]  # fmt: skip
    assert ("author", "A") in listing["query"] and ("sort", "createdAt") in listing["query"]


def test_records_licences_bases_and_sizes(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(
        world(
            model("Org/plain-mit", license="mit"),
            model("Org/kimi", license="other", license_name="modified-mit"),
            model("Org/other-unnamed", license="other"),
            model("Org/no-tag", license=None),
            model(
                "Org/quant",
                license="apache-2.0",
                tags=["license:apache-2.0", "base_model:Org/base", "base_model:quantized:Org/base"],
                safetensors={"parameters": {"BF16": 7615616512}, "total": 7615616512},
                gated="auto",
                trendingScore=12.5,
            ),
        )
    )
    db = tmp_path / "t.db"
    assert sync(hub, db, "Org").exit_code == 0
    got = rows(
        db,
        "SELECT repo_id, license, license_tag, license_name, base_model, base_relation, parameters, gated "
        "FROM models ORDER BY repo_id",
    )
    assert got == [
        ("Org/kimi", "modified-mit", "other", "modified-mit", None, None, None, "false"),
        ("Org/no-tag", "unknown", None, None, None, None, None, "false"),
        ("Org/other-unnamed", "other", "other", None, None, None, None, "false"),
        ("Org/plain-mit", "mit", "mit", None, None, None, None, "false"),
        ("Org/quant", "apache-2.0", "apache-2.0", None, "Org/base", "quantized", 7615616512, "auto"),
    ]
    assert rows(
        db, "SELECT trending FROM model_snapshots JOIN models ON id = model_id WHERE repo_id = 'Org/quant'"
    ) == [(12.5,)]


def test_rename_removal_and_licence_change_between_two_syncs(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    keep = model("Org/keep", license="mit")
    old = model("Org/old-name")
    gone = model("Org/gone")
    hub.set_world(world(keep, old, gone))
    assert sync(hub, db, "Org", now="2025-11-24T06:00:00Z").exit_code == 0
    renamed = {**old, "id": "Org/new-name"}
    relicensed = model("Org/keep", license="other", license_name="modified-mit")
    fresh = model("Org/fresh", created_at="2025-11-25T01:00:00.000Z")
    hub.set_world(world(relicensed, renamed, fresh, renames={"Org/old-name": "Org/new-name"}))
    result = sync(hub, db, "Org", now="2025-11-25T06:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert "1 new, 1 removed, 1 renamed, 1 licence change(s)" in result.stderr
    assert rows(db, "SELECT count(*) FROM models") == [(4,)]
    assert rows(db, "SELECT repo_id, removed_at FROM models WHERE removed_at IS NOT NULL") == [
        ("Org/gone", "2025-11-25T06:00:00Z")
    ]
    changes = json.loads(run("changes", "--db", str(db), "--format", "json").stdout)
    digest = ("window", "restored", "releases", "movers", "events")  # issue 14: tests/test_changes_digest.py
    assert [(e["change"], e["id"]) for e in changes["events"]] == [
        ("new", "Org/fresh"), ("removed", "Org/gone"), ("renamed", "Org/new-name"), ("licence", "Org/keep")
    ]  # fmt: skip
    assert {k: v for k, v in changes.items() if k not in digest} == {
        "as_of": "2025-11-25T06:00:00Z",
        "since": "2025-11-24T06:00:00Z",
        "new": ["Org/fresh"],
        "removed": ["Org/gone"],
        "renamed": [{"from": "Org/old-name", "to": "Org/new-name"}],
        "license_changed": [{"id": "Org/keep", "from": "mit", "to": "modified-mit"}],
        "datasets": {"new": [], "removed": [], "renamed": []},
        "spaces": {"new": [], "removed": [], "renamed": []},
        "source": "hub",
    }
    # The removed model keeps its history; the report counts only current models.
    report = json.loads(run("report", "--org", "Org", "--db", str(db), "--format", "json").stdout)
    assert report["models"] == 3 and report["change"]["models"] == 0


def test_a_removed_model_that_returns_is_restored_not_new(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    a, b = model("Org/a"), model("Org/b")
    hub.set_world(world(a, b))
    sync(hub, db, "Org", now="2025-11-24T06:00:00Z")
    hub.set_world(world(a))
    sync(hub, db, "Org", now="2025-11-25T06:00:00Z")
    hub.set_world(world(a, b))
    sync(hub, db, "Org", now="2025-11-26T06:00:00Z")
    assert rows(db, "SELECT kind, run_id FROM events ORDER BY id") == [("removed", 2), ("restored", 3)]
    assert rows(db, "SELECT count(*), count(removed_at) FROM models") == [(2, 0)]
    assert json.loads(run("changes", "--db", str(db), "-f", "json").stdout)["new"] == []


def test_repeated_items_are_counted_once(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(*big_org(5, "Rep")))

    def repeat_first(payload: list) -> list:
        return payload + payload[:2]

    hub.add_fault("mutate", match="/api/models", fn=repeat_first)
    db = tmp_path / "t.db"
    assert sync(hub, db, "Rep").exit_code == 0
    assert rows(db, "SELECT count(*) FROM model_snapshots") == [(5,)]


def test_one_failing_org_leaves_the_others_stored_and_exits_partial(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(model("Good/a"), model("Bad/b")))
    hub.add_fault("status", match="author=Bad", times=99, status=503)
    db = tmp_path / "t.db"
    result = sync(hub, db, "Good", "Bad")
    assert result.exit_code == 3
    assert (
        "sync partial" in result.stderr
        and "Bad: HTTP 503 for GET /api/models after 6 attempts" in result.stderr
    )
    assert rows(db, "SELECT o.name FROM org_snapshots JOIN orgs o ON o.id = org_id") == [("Good",)]
    assert rows(db, "SELECT status FROM runs") == [("partial",)]


def test_a_listing_cut_short_on_page_two_stores_nothing_of_that_org(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(*big_org(1500, "Big"), model("Small/a")))
    assert sync(hub, db, "Big", "Small").exit_code == 0
    before = rows(db, "SELECT count(*) FROM model_snapshots")
    hub.add_fault("status", match="cursor=", times=99, status=502)
    result = sync(hub, db, "Big", "Small", now="2025-11-25T06:00:00Z")
    assert result.exit_code == 3
    # Run 2 stored Small only: Big is neither half-written nor marked removed.
    assert rows(db, "SELECT run_id, count(*) FROM model_snapshots GROUP BY run_id") == [
        (1, before[0][0]),
        (2, 1),
    ]
    assert rows(db, "SELECT count(*) FROM models WHERE removed_at IS NOT NULL") == [(0,)]


def test_when_every_org_fails_the_database_is_left_exactly_as_it_was(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(model("A/x"), model("B/y")))
    assert sync(hub, db, "A", "B").exit_code == 0
    before = dump(db)
    hub.add_fault("status", match="/api/models", times=99, status=500)
    result = sync(hub, db, "A", "B", now="2025-11-25T06:00:00Z")
    assert result.exit_code == 1
    assert result.stderr.startswith("oss-tracker: error: sync failed, nothing stored:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert dump(db) == before


def test_unknown_org_is_one_line_and_no_write(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(model("A/x")))
    assert sync(hub, db, "A").exit_code == 0
    before = dump(db)
    result = sync(hub, db, "A", "NoSuchOrg", now="2025-11-25T06:00:00Z")
    assert result.exit_code == 1
    assert result.stderr == "oss-tracker: error: unknown organization 'NoSuchOrg': the Hub answered 404\n"
    assert dump(db) == before


def test_a_page_that_is_not_json(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(model("A/x")))
    hub.add_fault("badjson", match="/api/models")
    result = sync(hub, db, "A")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "oss-tracker: error: sync failed, nothing stored: A: the Hub sent a page that is not JSON\n"
    )
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]


def test_hub_unreachable(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    result = run("sync", "--db", str(db), "--endpoint", "http://127.0.0.1:9", "--org", "A", "--retries", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "oss-tracker: error: sync failed, nothing stored: "
        "A: cannot reach http://127.0.0.1:9: connection refused (after 2 attempts)\n"
    )


def test_a_file_that_is_not_sqlite_is_left_untouched(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n" * 100)
    result = sync(hub, db, "A")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"oss-tracker: error: {db} is not a usable SQLite database")
    assert db.read_text() == "my notes, not a database\n" * 100
    assert hub.count() == 0


def test_a_database_path_under_a_file_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = sync(hub, blocker / "sub" / "t.db", "A")
    assert result.exit_code == 1
    assert (
        result.stderr == f"oss-tracker: error: cannot create the folder {blocker / 'sub'}: Not a directory\n"
    )
    assert hub.count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_an_unwritable_folder(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = sync(hub, folder / "t.db", "A")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 1
    assert (
        result.stderr == f"oss-tracker: error: cannot create {folder / 't.db'}: the folder is not writable\n"
    )


def test_the_token_is_sent_but_never_stored_or_printed(hub: FakeHub, tmp_path: Path) -> None:
    secret = "hf_SECRETsecretSECRETsecret0123456789"
    hub.set_world(world(model("A/x")))
    db, rec = tmp_path / "t.db", tmp_path / "rec"
    args = ["-v", "sync", "--db", str(db), "--endpoint", hub.url, "--org", "A", "--record", str(rec)]
    result = run(*args, env={"HF_TOKEN": secret})
    assert result.exit_code == 0
    assert secret not in result.stdout + result.stderr
    assert {r["authorization"] for r in hub.requests} == {f"Bearer {secret}"}
    assert secret.encode() not in db.read_bytes()
    for f in rec.iterdir():
        assert secret not in f.read_text()


def test_record_then_replay_stores_the_same_run(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(*big_org(1200, "Big"), model("Small/a", license="other", license_name="qwen")))
    live, replayed, rec = tmp_path / "live.db", tmp_path / "replay.db", tmp_path / "rec"
    assert sync(hub, live, "Big", "Small", extra=("--record", str(rec))).exit_code == 0
    sent = hub.count()
    result = run("sync", "--db", str(replayed), "--replay", str(rec), "--org", "Big", "--org", "Small")
    assert result.exit_code == 0, result.stderr
    assert hub.count() == sent  # the replay made no request
    query = "SELECT m.repo_id, m.license, s.downloads_30d, s.downloads_all_time FROM models m JOIN model_snapshots s ON s.model_id = m.id ORDER BY 1"
    assert rows(replayed, query) == rows(live, query)
    assert rows(replayed, "SELECT started_at, endpoint FROM runs") == [
        ("2025-11-24T06:00:00Z", "http://replay.invalid")
    ]


def test_a_run_that_would_go_back_in_time_is_refused_before_any_request(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    hub.set_world(world(model("A/x")))
    assert sync(hub, db, "A", now="2025-11-25T06:00:00Z").exit_code == 0
    before, sent = dump(db), hub.count()
    for when in ("2025-11-25T06:00:00Z", "2025-11-24T06:00:00Z"):  # the same replay twice, or an older one
        result = sync(hub, db, "A", now=when)
        assert result.exit_code == 1
        assert result.stderr == (
            f"oss-tracker: error: the database already holds a run of 2025-11-25T06:00:00Z; a run of {when} "
            "would go back in time (replay recordings once each, in date order)\n"
        )
    assert dump(db) == before and hub.count() == sent


def test_someone_elses_sqlite_file_is_never_touched(hub: FakeHub, tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    before = dump(other)
    for argv in (
        ["licenses", "--db", str(other)],
        ["sync", "--db", str(other), "--endpoint", hub.url, "--org", "A"],
    ):
        result = run(*argv)
        assert result.exit_code == 1
        assert (
            result.stderr
            == f"oss-tracker: error: {other} is an SQLite database, but not oss-tracker's: left untouched\n"
        )
    assert dump(other) == before and hub.count() == 0
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run("report", "--org", "Qwen", "--db", str(empty))
    assert (
        result.stderr
        == f"oss-tracker: error: no oss-tracker data in {empty} yet: run `oss-tracker sync` first\n"
    )
    assert empty.read_bytes() == b""


def test_record_never_overwrites_a_recording(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(world(model("A/x")))
    rec = tmp_path / "rec"
    assert sync(hub, tmp_path / "a.db", "A", extra=("--record", str(rec))).exit_code == 0
    kept = (rec / "responses.jsonl").read_text()
    result = sync(hub, tmp_path / "b.db", "A", extra=("--record", str(rec)))
    assert result.exit_code == 1
    assert result.stderr == f"oss-tracker: error: {rec} is not empty: record into a new or empty folder\n"
    assert (rec / "responses.jsonl").read_text() == kept


def test_a_sync_refused_as_busy_writes_nothing(hub: FakeHub, tmp_path: Path) -> None:
    from oss_tracker.sync.lock import sync_lock

    db = tmp_path / "new.db"
    hub.set_world(world(model("A/x")))
    with sync_lock(db):  # the holder creates the database file, empty
        result = sync(hub, db, "A")
    assert result.exit_code == 4
    assert result.stderr.startswith("oss-tracker: error: another sync is running on ")
    assert db.read_bytes() == b"" and hub.count() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]  # no -wal, no -shm, no lock file


def test_a_session_hands_huggingface_hub_its_own_client_factory_back() -> None:
    """The tracker routes huggingface_hub through its transport for a run, then gives the library
    its own default factory back (the private name hub/client.py imports: checked here)."""
    from huggingface_hub.utils import _http

    from oss_tracker.hub import client

    assert client.default_client_factory is _http.default_client_factory
    with client.connect(replay=ROOT / "fixtures" / "replay" / "2025-11-24"):
        assert _http._GLOBAL_CLIENT_FACTORY is not _http.default_client_factory
    assert _http._GLOBAL_CLIENT_FACTORY is _http.default_client_factory
