"""`oss-tracker backfill`: archived days from the fake Hub's dataset repo (or local files) into the history.

The archive is built from the fixture worlds (fixtures/build_archive.py) in the archive's column
shapes, served by the fake Hub (tests/fakehub_archive.py) with commits paged by `Link`, range
reads, and optionally a redirect to a second local server. No network.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.build_archive import archive_table, parquet_bytes, rows_of
from tests.conftest import load_world, rows, run, sync
from tests.dbstate import content
from tests.fakehub import FakeHub
from tests.fakehub_archive import ArchiveCommit, ArchiveRepo, ContentServer, sha_of

DAYS = ["2025-11-24", "2025-11-25", "2025-11-27"]
SMALL = ["MiniMaxAI", "moonshotai"]  # two small accounts: fast, and a licence change (MiniMax-M2)
FIVE = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI", "Wan-AI"]
CREATED_M2 = "2025-10-22T13:45:10Z"  # MiniMax-M2 in the worlds


@pytest.fixture(scope="session")
def worlds() -> dict[str, dict[str, Any]]:
    return {day: load_world(day) for day in DAYS}


@pytest.fixture(scope="session")
def parquet(worlds: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    return {day: parquet_bytes(archive_table(worlds[day])) for day in DAYS}


def history(parquet: dict[str, bytes], extra: list[ArchiveCommit] = ()) -> list[ArchiveCommit]:
    """The archive's commits: a models upload each day at 13:05, a datasets upload after it;
    on 2025-11-26 only datasets.parquet was uploaded (models.parquet unchanged: a gap)."""
    out: list[ArchiveCommit] = []
    models = b""
    for day in ["2025-11-24", "2025-11-25", "2025-11-26", "2025-11-27"]:
        if day in parquet:
            models = parquet[day]
            out.append(
                ArchiveCommit(
                    sha_of(day + "m"),
                    f"{day}T13:05:00.000Z",
                    "Upload models.parquet with huggingface_hub",
                    {"models.parquet": models},
                )  # fmt: skip
            )
        out.append(
            ArchiveCommit(
                sha_of(day + "d"),
                f"{day}T13:20:00.000Z",
                "Upload datasets.parquet with huggingface_hub",
                {"models.parquet": models, "datasets.parquet": day.encode()},
            )  # fmt: skip
        )
    return [*out, *extra]


@pytest.fixture(scope="module")
def shared_hub(worlds: dict[str, dict[str, Any]]) -> Iterator[FakeHub]:
    with FakeHub(worlds["2025-11-27"]) as fake:
        yield fake


@pytest.fixture
def hub(shared_hub: FakeHub, parquet: dict[str, bytes]) -> FakeHub:
    shared_hub.reset()
    shared_hub.archive = ArchiveRepo(history(parquet))
    return shared_hub


def backfill(hub: FakeHub | None, db: Path, *args: str, orgs: list[str] = SMALL) -> Any:
    argv = ["backfill", "--db", str(db), "--now", "2025-12-01T00:00:00Z", *args]
    if hub is not None:
        argv += ["--endpoint", hub.url]
    for org in orgs:
        argv += ["--org", org]
    return run(*argv)


def org_sums(db: Path, day: str) -> dict[str, tuple[int, int, int | None, int]]:
    return {
        name: (n, d30, dall, likes)
        for name, n, d30, dall, likes in rows(
            db,
            """SELECT g.name, count(*), sum(s.downloads_30d), sum(s.downloads_all_time), sum(s.likes)
               FROM model_snapshots s JOIN runs r ON r.id = s.run_id JOIN models m ON m.id = s.model_id
               JOIN orgs g ON g.id = m.org_id WHERE r.day = ? GROUP BY g.name""",
            day,
        )
    }


def world_sums(world: dict[str, Any], orgs: list[str]) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    for org in orgs:
        ms = [m for m in world["models"] if m["author"] == org]
        out[org] = (len(ms), sum(m["downloads"] for m in ms), sum(m["downloadsAllTime"] for m in ms),
                    sum(m["likes"] for m in ms))  # fmt: skip
    return out


def test_each_archived_day_is_one_run_with_the_worlds_numbers(
    hub: FakeHub, tmp_path: Path, worlds: dict[str, Any], parquet: dict[str, bytes]
) -> None:
    db = tmp_path / "a.db"
    result = backfill(hub, db)
    assert result.exit_code == 0, result.stderr
    read = rows(db, "SELECT sum(bytes_read) FROM runs")[0][0]
    size = sum(len(parquet[d]) for d in DAYS)
    assert result.stderr == (
        f"backfill ok: 3 day(s) imported (2025-11-24 – 2025-11-27), 2 org(s), 72 model snapshots, "
        f"24 new model(s), 0 removed, {read / 1e3:,.1f} kB read ({100 * read / size:.1f} % of {size / 1e3:,.1f} kB), "
        f"{hub.count() - 0} requests, 1 day(s) skipped — 2025-11-26: models.parquet did not change that day "
        f"(revision {sha_of('2025-11-26d')[:12]}): no snapshot\n"
    )
    runs = rows(
        db,
        "SELECT id, started_at, day, source, revision, status, orgs, endpoint FROM runs ORDER BY started_at",
    )
    # Imported newest first (each day is compared with the one after it: see the "read only what
    # changed" test): the 27th is run 1.
    assert runs == [
        (3 - i, f"{day}T13:05:00Z", day, "archive", sha_of(day + "m"), "ok", '["MiniMaxAI", "moonshotai"]',
         f"{hub.url}/datasets/cfahlgren1/hub-stats")
        for i, day in enumerate(DAYS)
    ]  # fmt: skip
    for day in DAYS:
        assert org_sums(db, day) == world_sums(worlds[day], SMALL)
    assert rows(db, "SELECT run_id, num_models, followers, listed, complete FROM org_snapshots ORDER BY run_id, org_id") == [
        (r, None, None, n, 1) for r in (1, 2, 3) for n in (10, 14)
    ]  # fmt: skip
    # The licence change of MiniMax-M2 (mit on the 24th, other/modified-mit on the 25th), dated by the archive.
    assert rows(db, "SELECT m.repo_id, e.kind, e.old, e.new, e.run_id, e.at FROM events e JOIN models m ON m.id = e.model_id") == [
        ("MiniMaxAI/MiniMax-M2", "license_changed", "mit", "modified-mit", 2, "2025-11-25T13:05:00Z")
    ]  # fmt: skip
    assert rows(db, "SELECT count(*) FROM models WHERE hub_id NOT LIKE 'archive:%'") == [(0,)]
    # Classified as a sync does (issue 14): Moonshot's four finetunes of its own models are derived,
    # the rest originals (MiniMax's SynLogic models are built on Qwen's); MoE names give active parameters.
    assert rows(db, "SELECT kind, kind_inferred, count(*), count(active_parameters) FROM models GROUP BY 1, 2") == [
        ("derived", 0, 4, 4), ("original", 0, 20, 3)
    ]  # fmt: skip
    # Only part of each file was read: the footer, the ids, the watched rows' columns.
    assert 0 < read < size


def test_the_resolve_redirect_is_followed_to_another_origin_without_the_token(
    shared_hub: FakeHub, tmp_path: Path, parquet: dict[str, bytes]
) -> None:
    shared_hub.reset()
    with ContentServer() as content_host:
        shared_hub.archive = ArchiveRepo(history(parquet), content=content_host)
        db = tmp_path / "r.db"
        result = backfill(shared_hub, db, "--token", "hf_secret_token")
        assert result.exit_code == 0, result.stderr
        ranged = [s for s in content_host.seen if s["method"] == "GET"]
        assert ranged and all(s["range"] for s in ranged)
        assert [s["authorization"] for s in content_host.seen] == [None] * len(content_host.seen)
    resolves = [r for r in shared_hub.requests if "/resolve/" in r["path"]]
    assert resolves and {r["authorization"] for r in resolves} == {"Bearer hf_secret_token"}
    assert "hf_secret_token" not in json.dumps(content(db), default=str)
    # The same days as read directly from the Hub.
    direct = tmp_path / "d.db"
    shared_hub.archive = ArchiveRepo(history(parquet))
    assert backfill(shared_hub, direct).exit_code == 0
    assert org_sums(db, "2025-11-25") == org_sums(direct, "2025-11-25")


def test_a_second_backfill_imports_nothing_and_an_interrupted_one_resumes(
    hub: FakeHub, tmp_path: Path, worlds: dict[str, Any]
) -> None:
    once = tmp_path / "once.db"
    assert backfill(hub, once).exit_code == 0
    before = content(once)
    again = backfill(hub, once)
    assert again.exit_code == 0
    assert again.stderr == "backfill ok: 0 day(s) imported, 3 day(s) already stored, 1 day(s) skipped — " + (
        f"2025-11-26: models.parquet did not change that day (revision {sha_of('2025-11-26d')[:12]}): no snapshot\n"
    )
    assert content(once) == before
    # The 25th's file fails every time: the other days are stored, the run says so (exit 3)...
    cut = tmp_path / "cut.db"
    hub.add_fault("status", match=f"/resolve/{sha_of('2025-11-25m')}/", times=99, status=503)
    first = backfill(hub, cut)
    assert first.exit_code == 3, first.stderr
    assert "2025-11-25: " in first.stderr and rows(cut, "SELECT day FROM runs ORDER BY day") == [
        ("2025-11-24",),
        ("2025-11-27",),
    ]
    # ...and the next run goes on: the same history as in one go (reports equal).
    hub.clear_faults()
    second = backfill(hub, cut)
    assert second.exit_code == 0, second.stderr
    assert "1 day(s) imported (2025-11-25 – 2025-11-25)" in second.stderr
    for day in DAYS:
        assert org_sums(cut, day) == world_sums(worlds[day], SMALL)
    assert reports(cut, SMALL) == reports(once, SMALL)


def reports(db: Path, orgs: list[str]) -> dict[str, Any]:
    """Every report's JSON that reads the history."""
    out: dict[str, Any] = {}
    flags = [f for o in orgs for f in ("--org", o)]
    commands = {
        "compare": ["compare", *orgs],
        "releases": ["releases", *flags, "--limit", "2000"],
        "licenses": ["licenses", *flags],
        "changes": ["changes"],
        # A period's digest reads its runs in time order (a backfilled day has a higher id).
        "changes since": ["changes", "--since", "2025-11-24", "--limit", "50"],
    }
    if "MiniMaxAI" in orgs:
        commands["model"] = ["model", "MiniMaxAI/MiniMax-M2"]
    for org in orgs:
        commands[f"report {org}"] = ["report", "--org", org, "--top", "50"]
    for metric in ("downloads", "likes", "models", "followers"):
        for interval in ("day", "week"):
            commands[f"trends {metric} {interval}"] = [
                "trends",
                *flags,
                "--metric",
                metric,
                "--interval",
                interval,
            ]
    commands["trends model"] = ["trends", "--model", "MiniMaxAI/MiniMax-M2"]
    for name, argv in commands.items():
        result = run(*argv, "--db", str(db), "--format", "json")
        assert result.exit_code == 0, (name, result.stderr)
        out[name] = json.loads(result.stdout)
    return out


def test_backfilled_days_give_the_reports_of_days_synced_in_order(hub: FakeHub, tmp_path: Path) -> None:
    """The same history built both ways: the archive first then a live sync, and a live sync
    first then the archive of the days before it. Every report's JSON is the same."""
    orgs = FIVE
    first = tmp_path / "archive-first.db"
    assert backfill(hub, first, "--until", "2025-11-25", orgs=orgs).exit_code == 0
    assert sync(hub, first, *orgs, now="2025-11-27T06:00:00Z").exit_code == 0
    last = tmp_path / "archive-last.db"
    assert sync(hub, last, *orgs, now="2025-11-27T06:00:00Z").exit_code == 0
    assert backfill(hub, last, "--until", "2025-11-25", orgs=orgs).exit_code == 0
    assert rows(last, "SELECT id, day, source FROM runs ORDER BY id") == [
        (1, "2025-11-27", None), (2, "2025-11-25", "archive"), (3, "2025-11-24", "archive")
    ]  # fmt: skip
    a, b = reports(first, orgs), reports(last, orgs)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    # What the reports show is the worlds': Qwen's downloads between the 25th and the 27th, the
    # licence change of the 25th, the removal and the rename of the 27th (no _id in the archive:
    # the old name is removed, the new one appears).
    trend = a["trends downloads day"]["series"]
    qwen = next(s for s in trend if s["org"] == "Qwen")
    assert [(p["date"], p["total"]) for p in qwen["points"]] == [
        ("2025-11-24", 868931617), ("2025-11-25", 871194553), (None, None), ("2025-11-27", 874163885)
    ]  # fmt: skip
    assert a["licenses"]["changes"][0]["id"] == "MiniMaxAI/MiniMax-M2"
    assert sorted(a["changes"]["removed"]) == [
        "Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8",
        "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8",
    ]
    # Totals cached for every org and run equal the live sums against the previous run in time.
    for db in (first, last):
        assert cached_totals(db) == live_totals(db)


def cached_totals(db: Path) -> list[tuple]:
    return rows(
        db, "SELECT org_id, run_id, prev_run_id, downloads, drops FROM org_run_totals ORDER BY org_id, run_id"
    )


def live_totals(db: Path) -> list[tuple]:
    from oss_tracker.store import totals
    from oss_tracker.store.open import open_db

    database = open_db(db, create=False)
    triples = database.execute(
        """SELECT o.org_id, o.run_id, lag(o.run_id) OVER (PARTITION BY o.org_id ORDER BY r.started_at, o.run_id)
           FROM org_snapshots o JOIN runs r ON r.id = o.run_id ORDER BY o.org_id, o.run_id"""
    ).fetchall()
    sums = totals.live_sums(database, [tuple(t) for t in triples], by="org")
    database.close()
    return [
        (o, r, p, sums[(o, r)]["downloads"], sums[(o, r)]["drops"]) for o, r, p in triples if (o, r) in sums
    ]


def test_a_live_sync_adopts_the_real_id_of_a_model_known_from_the_archive(
    hub: FakeHub, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    assert backfill(hub, db, "--until", "2025-11-25").exit_code == 0
    assert rows(db, "SELECT hub_id FROM models WHERE repo_id = 'MiniMaxAI/MiniMax-M2'") == [
        ("archive:MiniMaxAI/MiniMax-M2",)
    ]
    assert sync(hub, db, *SMALL, now="2025-11-27T06:00:00Z").exit_code == 0
    # One model, now under the Hub's _id, with its archived snapshots and its live one.
    assert rows(
        db,
        """SELECT m.hub_id, count(s.run_id), min(r.day), max(r.day) FROM models m
           JOIN model_snapshots s ON s.model_id = m.id JOIN runs r ON r.id = s.run_id
           WHERE m.repo_id = 'MiniMaxAI/MiniMax-M2' GROUP BY m.id""",
    ) == [("68f8dfe68cb208be9702aa87", 3, "2025-11-24", "2025-11-27")]
    assert rows(db, "SELECT count(*) FROM models WHERE hub_id LIKE 'archive:%'") == [(0,)]
    # A backfill after it does not make a second model of it either (the 27th is a live day).
    again = backfill(hub, db)
    assert again.exit_code == 0 and "3 day(s) already stored" in again.stderr
    assert rows(db, "SELECT count(*) FROM models WHERE repo_id = 'MiniMaxAI/MiniMax-M2'") == [(1,)]


def test_a_model_seen_only_in_the_archive_is_removed_at_the_first_day_without_it(
    hub: FakeHub, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    assert backfill(hub, db, orgs=["Qwen"]).exit_code == 0
    assert rows(
        db,
        """SELECT m.repo_id, m.hub_id, m.removed_at, e.kind, e.at FROM models m JOIN events e ON e.model_id = m.id
           WHERE e.kind = 'removed' ORDER BY m.repo_id""",
    ) == [
        ("Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8", "archive:Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8",
         "2025-11-27T13:05:00Z", "removed", "2025-11-27T13:05:00Z"),
        ("Qwen/Qwen3-Next-80B-A3B-Instruct-FP8", "archive:Qwen/Qwen3-Next-80B-A3B-Instruct-FP8",
         "2025-11-27T13:05:00Z", "removed", "2025-11-27T13:05:00Z"),
    ]  # fmt: skip


def test_a_day_with_a_live_run_keeps_it(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert sync(hub, db, *SMALL, now="2025-11-27T06:00:00Z").exit_code == 0
    live = content(db)
    result = backfill(hub, db)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day, source FROM runs ORDER BY started_at") == [
        ("2025-11-24", "archive"), ("2025-11-25", "archive"), ("2025-11-27", None)
    ]  # fmt: skip
    # The live run's snapshots are untouched.
    assert [r for r in content(db)["model_snapshots"] if r[0] == 1] == [
        r for r in live["model_snapshots"] if r[0] == 1
    ]
    # A sync is still checked against the newest run: a recording of the 25th cannot go after it.
    late = sync(hub, db, *SMALL, now="2025-11-26T06:00:00Z")
    assert late.exit_code == 1 and "would go back in time" in late.stderr


def test_local_files_columns_that_are_missing_and_dates_as_strings(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The archive before 2025-02-27 has no downloadsAllTime: unknown (a gap in period downloads), not 0."""
    folder = tmp_path / "copy"
    for day, all_time in (("2025-11-24", False), ("2025-11-25", True)):
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(worlds[day], all_time=all_time, dates="string")))
    db = tmp_path / "a.db"
    result = backfill(None, db, "--source", str(folder))
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day, started_at, revision, message FROM runs ORDER BY day") == [
        ("2025-11-24", "2025-11-24T00:00:00Z", str(folder / "models/2025-11-24/models.parquet"),
         "no `downloadsAllTime` column: unknown that day"),
        ("2025-11-25", "2025-11-25T00:00:00Z", str(folder / "models/2025-11-25/models.parquet"), None),
    ]  # fmt: skip
    assert org_sums(db, "2025-11-24")["MiniMaxAI"][2] is None
    # createdAt given as ISO text (not a timestamp) is read the same.
    assert rows(db, "SELECT created_at FROM models WHERE repo_id = 'MiniMaxAI/MiniMax-M2'") == [(CREATED_M2,)]
    trend = json.loads(run("trends", "--org", "MiniMaxAI", "--db", str(db), "--format", "json").stdout)
    points = trend["series"][0]["points"]
    assert [p["change"] for p in points] == [None, None]  # no all-time count on the 24th: no period downloads
    created = rows(db, "SELECT count(*) FROM models WHERE created_at IS NULL")[0][0]
    assert created == 0


def test_a_csv_revision_is_read_and_a_broken_one_skipped(
    shared_hub: FakeHub, tmp_path: Path, worlds: dict[str, Any], parquet: dict[str, bytes]
) -> None:
    shared_hub.reset()
    out = io.StringIO()
    table_rows = rows_of(worlds["2025-11-24"])
    fields = [
        "id",
        "author",
        "downloads",
        "downloadsAllTime",
        "likes",
        "trendingScore",
        "createdAt",
        "tags",
        "cardData",
    ]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for r in table_rows:
        writer.writerow({k: json.dumps(r[k]) if k == "tags" else r[k] for k in fields})
    commits = [
        ArchiveCommit(sha_of("csv"), "2025-11-24T13:05:00.000Z", "Upload models.csv", {"models.csv": out.getvalue().encode()}),
        ArchiveCommit(sha_of("bad"), "2025-11-25T13:05:00.000Z", "Upload models.parquet", {"models.parquet": b"PAR1 not really"}),
        ArchiveCommit(sha_of("ok"), "2025-11-27T13:05:00.000Z", "Upload models.parquet", {"models.parquet": parquet["2025-11-27"]}),
    ]  # fmt: skip
    shared_hub.archive = ArchiveRepo(commits)
    db = tmp_path / "a.db"
    result = backfill(shared_hub, db)
    # A day that cannot be read is said, and the backfill is partial (exit 3): the others are stored.
    assert result.exit_code == 3, result.stderr
    assert "1 day(s) unreadable — 2025-11-25: not a readable Parquet file" in result.stderr
    assert rows(db, "SELECT day, revision, message FROM runs ORDER BY day") == [
        ("2025-11-24", sha_of("csv"), "a CSV day: the whole file is read"),
        ("2025-11-27", sha_of("ok"), None),
    ]
    assert org_sums(db, "2025-11-24") == world_sums(worlds["2025-11-24"], SMALL)


def test_archive_strings_are_data(tmp_path: Path, worlds: dict[str, Any]) -> None:
    world = json.loads(json.dumps(worlds["2025-11-24"]))
    evil = dict(next(m for m in world["models"] if m["id"] == "MiniMaxAI/MiniMax-M2"))
    evil.update(id="MiniMaxAI/evil\x1b]0;pwned\x07", tags=["license:other"],
                cardData={"license_name": "=HYPERLINK(\"x\")\u202e", "x": "__import__('os').system('touch /tmp/p')"},
                createdAt="2025-11-01T00:00:00.000Z")  # fmt: skip
    world["models"].append(evil)
    target = tmp_path / "models" / "2025-11-24" / "models.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(parquet_bytes(archive_table(world)))
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(tmp_path), orgs=["MiniMaxAI"]).exit_code == 0
    assert rows(db, "SELECT license FROM models WHERE repo_id LIKE 'MiniMaxAI/evil%'") == [
        ('=hyperlink("x")\u202e',)
    ]
    table = run("releases", "--org", "MiniMaxAI", "--db", str(db), env={"COLUMNS": "200"}).stdout
    assert "\x1b" not in table and "\\x1b]0;pwned\\x07" in table and "\\u202e" in table
    csv_out = run("releases", "--org", "MiniMaxAI", "--db", str(db), "--format", "csv").stdout
    assert "'=hyperlink" in csv_out


def test_backfill_is_locked_like_sync_and_needs_a_day_for_a_single_file(tmp_path: Path) -> None:
    from oss_tracker.sync.lock import sync_lock

    db = tmp_path / "a.db"
    file = tmp_path / "snapshot.parquet"
    file.write_bytes(b"x")
    nameless = backfill(None, db, "--source", str(file))
    assert nameless.exit_code == 1
    assert nameless.stderr == (
        f"oss-tracker: error: --source {file}: cannot tell its day; name it like models/YYYY-MM-DD/models.parquet\n"
    )
    db.touch()
    with sync_lock(db):
        busy = backfill(None, db, "--source", str(tmp_path))
    assert busy.exit_code == 4
    assert "another sync is running" in busy.stderr


def test_status_stays_about_the_live_syncs(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert backfill(hub, db).exit_code == 0
    status = run("status", "--db", str(db), "--format", "json", "--now", "2025-12-01T00:00:00Z")
    data = json.loads(status.stdout)
    assert (status.exit_code, data["health"], data["runs"], data["archive_days"]) == (1, "empty", 0, 3)


def test_every_report_says_which_part_of_its_window_comes_from_the_archive(
    hub: FakeHub, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    assert backfill(hub, db, "--until", "2025-11-25").exit_code == 0
    assert sync(hub, db, *SMALL, now="2025-11-27T06:00:00Z").exit_code == 0
    wide = {"COLUMNS": "400"}
    note = "2 of 3 days from the public archive (cfahlgren1/hub-stats)"
    for argv in (["report", "--org", "MiniMaxAI"], ["trends"], ["compare"], ["releases"], ["licenses"]):
        out = run(*argv, "--db", str(db), env=wide).stdout
        assert note in out.splitlines()[-1], argv
    # A window of live days only says nothing of the archive.
    only_live = run("trends", "--since", "2025-11-26", "--db", str(db), env=wide).stdout
    assert "archive" not in only_live
    # The model page says it too, and every footer counts the days of its own window only.
    model = ["model", "MiniMaxAI/MiniMax-M2"]
    assert run(*model, "--db", str(db), env=wide).stdout.splitlines()[-1].endswith(f" · {note}")
    for argv in (model, ["compare"]):
        one = run(*argv, "--since", "2025-11-25", "--db", str(db), env=wide).stdout.splitlines()[-1]
        assert "1 of 2 days from the public archive (cfahlgren1/hub-stats)" in one, argv
        assert "archive" not in run(*argv, "--since", "2025-11-26", "--db", str(db), env=wide).stdout, argv


def test_drops_are_listed_in_time_order_when_older_days_arrive_last(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """A live sync of the 27th, then the 24th and 25th from the archive (higher run ids): the drop
    from the 24th to the 25th is listed before the one from the 25th to the 27th."""
    day25 = json.loads(json.dumps(worlds["2025-11-25"]))
    before = {m["id"]: m for m in worlds["2025-11-24"]["models"]}
    dropped = "deepseek-ai/DeepSeek-V3"
    was = before[dropped]["downloadsAllTime"]
    for m in day25["models"]:
        if m["id"] == dropped:
            m["downloadsAllTime"] = was - 1000
    folder = tmp_path / "copy"
    for day, world in (("2025-11-24", worlds["2025-11-24"]), ("2025-11-25", day25)):
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(world)))
    db = tmp_path / "a.db"
    with FakeHub(worlds["2025-11-27"]) as fake:
        assert sync(fake, db, "deepseek-ai", now="2025-11-27T06:00:00Z").exit_code == 0
    for day in ("2025-11-25", "2025-11-24"):
        one = backfill(
            None, db, "--source", str(folder), "--since", day, "--until", day, orgs=["deepseek-ai"]
        )
        assert one.exit_code == 0, one.stderr
    assert rows(db, "SELECT id, day FROM runs ORDER BY id") == [
        (1, "2025-11-27"),
        (2, "2025-11-25"),
        (3, "2025-11-24"),
    ]
    r1 = next(
        m["downloadsAllTime"] for m in worlds["2025-11-25"]["models"] if m["id"] == "deepseek-ai/DeepSeek-R1"
    )
    trend = json.loads(run("trends", "--org", "deepseek-ai", "--db", str(db), "--format", "json").stdout)
    assert [(d["model"], d["from"], d["to"], d["before"], d["after"]) for d in trend["drops"]] == [
        (dropped, "2025-11-24", "2025-11-25", was, was - 1000),
        ("deepseek-ai/DeepSeek-R1", "2025-11-25", "2025-11-27", r1, 13498827),
    ]


def test_stalled_counters_are_counted_per_model_in_any_order_and_drops_flagged(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """On the 25th, the archive's all-time counters of half of deepseek-ai's models stood still (the
    24th's counts), the others moved; the 27th catches up. Each stalled model downloaded at least
    STALL_30D times a month is counted in its period's `stalls` (org_run_totals, org_daily) and
    shown by trends, the same whether the days were imported newest first or oldest first."""
    from oss_tracker.store.totals import STALL_30D

    day25 = json.loads(json.dumps(worlds["2025-11-25"]))
    before = {m["id"]: m for m in worlds["2025-11-24"]["models"]}
    mine = sorted(m["id"] for m in day25["models"] if m["author"] == "deepseek-ai" and m["id"] in before)
    stalled = set(mine[::2])
    for m in day25["models"]:
        if m["id"] in stalled:
            m["downloadsAllTime"] = before[m["id"]]["downloadsAllTime"]
    expected = sorted(
        i for i in stalled if next(m for m in day25["models"] if m["id"] == i)["downloads"] >= STALL_30D
    )
    # The 27th against the 25th: those whose count the 25th had already moved and the 27th did not.
    moved27 = {m["id"]: m for m in worlds["2025-11-27"]["models"]}
    later = sorted(
        i for i in mine if i not in stalled and i in moved27
        and moved27[i]["downloadsAllTime"] == next(m for m in day25["models"] if m["id"] == i)["downloadsAllTime"]
        and moved27[i]["downloads"] >= STALL_30D
    )  # fmt: skip
    assert len(expected) >= 3 and len(expected) < len(mine)  # a partial stall, by construction
    folder = tmp_path / "copy"
    for day, world in (
        ("2025-11-24", worlds["2025-11-24"]),
        ("2025-11-25", day25),
        ("2025-11-27", worlds["2025-11-27"]),
    ):
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(world)))
    newest_first = tmp_path / "n.db"
    assert backfill(None, newest_first, "--source", str(folder), orgs=["deepseek-ai"]).exit_code == 0
    oldest_first = tmp_path / "o.db"
    for day in ("2025-11-24", "2025-11-25", "2025-11-27"):
        one = backfill(
            None, oldest_first, "--source", str(folder), "--since", day, "--until", day, orgs=["deepseek-ai"]
        )
        assert one.exit_code == 0, one.stderr
    for db in (newest_first, oldest_first):
        assert rows(db, """SELECT r.day, t.stalls FROM org_run_totals t JOIN runs r ON r.id = t.run_id
                           ORDER BY r.day""") == [("2025-11-24", 0), ("2025-11-25", len(expected)), ("2025-11-27", len(later))]  # fmt: skip
        assert rows(db, "SELECT day, all_time_stalls FROM org_daily ORDER BY day") == [
            ("2025-11-24", 0), ("2025-11-25", len(expected)), ("2025-11-27", len(later))
        ]  # fmt: skip
        assert rows(db, "SELECT day, message FROM runs ORDER BY day") == [
            (d, None) for d in ("2025-11-24", "2025-11-25", "2025-11-27")
        ]
        trend = json.loads(run("trends", "--org", "deepseek-ai", "--db", str(db), "--format", "json").stdout)
        points = trend["series"][0]["points"]
        assert [(p["date"], p.get("stalls")) for p in points] == [
            ("2025-11-24", 0), ("2025-11-25", len(expected)), (None, 0), ("2025-11-27", len(later))
        ]  # fmt: skip
        # The catch-up's drop is flagged as for live syncs: DeepSeek-R1's count went down on the 27th.
        r1 = (
            before["deepseek-ai/DeepSeek-R1"]["downloadsAllTime"]
            if "deepseek-ai/DeepSeek-R1" in stalled
            else None
        )
        if r1 is not None:
            assert ("deepseek-ai/DeepSeek-R1", "2025-11-25", "2025-11-27", r1, 13498827) in [
                (d["model"], d["from"], d["to"], d["before"], d["after"]) for d in trend["drops"]
            ]
        table = run("trends", "--org", "deepseek-ai", "--db", str(db), env={"COLUMNS": "250"}).stdout
        assert f"{len(expected)} stalled counts" in table
        assert f"Note: {len(expected) + len(later)} all-time download counts stood still over a day" in table
    assert trend == json.loads(
        run("trends", "--org", "deepseek-ai", "--db", str(newest_first), "--format", "json").stdout
    )


def test_only_rows_that_may_have_changed_are_read_whole(tmp_path: Path, worlds: dict[str, Any]) -> None:
    """The 2nd day's file holds the same lastModified for every model: its tags, cardData and the
    other descriptive columns are not read at all, only the ids and the snapshot's columns."""
    data = parquet_bytes(archive_table(worlds["2025-11-24"]))
    folder = _one_file_twice(tmp_path / "copy", data)
    chunks, unchanged = _chunks(data)
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(folder), orgs=FIVE).exit_code == 0
    first, second = (r[0] for r in rows(db, "SELECT bytes_read FROM runs ORDER BY id"))
    assert second <= unchanged and second < first
    assert first >= chunks["id"] + chunks["tags"] + chunks["cardData"]
    # The licences and attributes stand, and no event was made of the unread columns.
    assert rows(db, "SELECT count(*) FROM events") == [(0,)]
    assert rows(db, "SELECT count(*) FROM models WHERE license = 'unknown'")[0][0] == 19  # as the worlds say


def test_a_day_with_nothing_changed_reads_the_ids_once_and_the_snapshots_columns(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """At most the footer, every row group's `id`, the snapshot's columns (and pyarrow's small gaps
    between them): `id` is not read again with the snapshot's columns. Many filler rows, so that
    a second read of the ids would not fit in the footer's allowance."""
    data = parquet_bytes(archive_table(worlds["2025-11-24"], filler=30_000), row_group_size=5_000)
    folder = _one_file_twice(tmp_path / "copy", data)
    chunks, unchanged = _chunks(data)
    assert chunks["id"] > 64 * 1024 + (unchanged - chunks["id"]) // 2  # a second read would show
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(folder), orgs=FIVE).exit_code == 0
    second = rows(db, "SELECT bytes_read FROM runs WHERE day = '2025-11-24'")[0][0]
    assert chunks["id"] < second <= unchanged


def _row_groups(data: bytes) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups


def _one_file_twice(folder: Path, data: bytes, days: tuple[str, str] = ("2025-11-24", "2025-11-26")) -> Path:
    """A local copy holding the same file on two days."""
    for day in days:
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
    return folder


def _chunks(data: bytes) -> tuple[dict[str, int], int]:
    """A Parquet day's compressed bytes per top-level column, and the most a day whose watched rows
    are all unchanged may read: the footer, the ids and the snapshot's columns."""
    import pyarrow.parquet as pq

    from oss_tracker.hub.archive_table import SNAPSHOT_TIER

    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    chunks: dict[str, int] = {}
    holes = 0  # pyarrow reads across a gap of up to 8 KiB between two chunks it needs, rather than ask twice
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            top = col.path_in_schema.split(".")[0]
            chunks[top] = chunks.get(top, 0) + col.total_compressed_size
            if top != "id" and top not in SNAPSHOT_TIER and col.total_compressed_size <= 8192:
                holes += col.total_compressed_size
    snapshot = sum(v for k, v in chunks.items() if k == "id" or k in SNAPSHOT_TIER)
    footer = 64 * 1024  # pyarrow reads the file's last 64 KiB for the footer
    return chunks, snapshot + footer + holes


def test_a_first_backfill_from_the_hub_takes_unchanged_models_from_a_live_listing(
    hub: FakeHub, tmp_path: Path, worlds: dict[str, Any], parquet: dict[str, bytes]
) -> None:
    """Into a database that knows no model of an account, the newest archived day would need every
    row's tags (and cardData for a `license:other`): the account is listed live first (never
    stored), and a row whose lastModified is the listed one is described by the listing. The
    history is the one read whole when the listing fails; a model changed since is read whole."""

    def first_backfill(db: Path) -> Any:
        return run("-v", "backfill", "--db", str(db), "--endpoint", hub.url, "--org", "MiniMaxAI", "--org",
                   "moonshotai", "--now", "2025-12-01T00:00:00Z", "--retries", "0")  # fmt: skip

    def said(result: Any) -> list[str]:
        return [line.partition(" INFO ")[2] for line in result.stderr.splitlines() if " INFO " in line]

    # A listing that fails costs bytes only: every row is read whole, as from local files.
    hub.add_fault("status", match="/api/models", times=99, status=500)
    whole = tmp_path / "whole.db"
    failed = first_backfill(whole)
    assert failed.exit_code == 0, failed.stderr
    assert said(failed) == [
        f"backfill: {org} could not be listed live (HTTP 500 for GET /api/models after 1 attempts): "
        "its archived rows are read whole"
        for org in SMALL
    ]
    hub.clear_faults()
    chunks, unchanged = _chunks(parquet["2025-11-27"])
    whole_read = dict(rows(whole, "SELECT day, bytes_read FROM runs"))
    assert whole_read["2025-11-27"] >= chunks["id"] + chunks["tags"] + chunks["cardData"]
    # Listed live, nothing changed since the archive's last day: it reads what it reads after a live sync.
    db = tmp_path / "a.db"
    listed = hub.count("/api/models")
    result = first_backfill(db)
    assert result.exit_code == 0, result.stderr
    assert said(result) == [
        "backfill: MiniMaxAI listed live, 10 model(s): archived rows unchanged since are not read whole",
        "backfill: moonshotai listed live, 14 model(s): archived rows unchanged since are not read whole",
    ]
    assert hub.count("/api/models") - listed == 2  # a page each
    read = dict(rows(db, "SELECT day, bytes_read FROM runs"))
    assert read["2025-11-27"] <= unchanged
    assert [read[d] for d in DAYS[:2]] == [whole_read[d] for d in DAYS[:2]]
    # ...and stores the same history: nothing of the listing is stored.
    assert content(db) == content(whole) | {"runs": content(db)["runs"]}
    assert [r[:-1] for r in rows(db, "SELECT day, status, orgs, bytes_read FROM runs ORDER BY id")] == [
        r[:-1] for r in rows(whole, "SELECT day, status, orgs, bytes_read FROM runs ORDER BY id")
    ]
    # MiniMax-M2 had a commit after the archive's last day (a new licence, live only), and so had
    # Kimi-K2-Base (`license:other` both times, another licence name live): their rows are read
    # whole, and their licences are the archive's (the listing's name is a later commit's).
    world = json.loads(json.dumps(worlds["2025-11-27"]))
    m2 = next(m for m in world["models"] if m["id"] == "MiniMaxAI/MiniMax-M2")
    m2["lastModified"] = "2025-11-28T09:00:00.000Z"
    m2["tags"] = [t for t in m2["tags"] if not t.startswith("license:")] + ["license:apache-2.0"]
    m2["cardData"] = {"license": "apache-2.0"}
    k2 = next(m for m in world["models"] if m["id"] == "moonshotai/Kimi-K2-Base")
    assert "license:other" in k2["tags"] and k2["cardData"]["license_name"] == "modified-mit"
    k2["lastModified"] = "2025-11-28T09:00:00.000Z"
    k2["cardData"] = {**k2["cardData"], "license_name": "renamed-licence"}
    hub.set_world(world)
    changed = tmp_path / "changed.db"
    assert first_backfill(changed).exit_code == 0
    assert content(changed) == content(whole) | {"runs": content(changed)["runs"]}
    assert rows(
        changed,
        "SELECT repo_id, license, license_name FROM models WHERE repo_id IN (?, ?) ORDER BY 1",
        m2["id"],
        k2["id"],
    ) == [
        ("MiniMaxAI/MiniMax-M2", "modified-mit", "modified-mit"),
        ("moonshotai/Kimi-K2-Base", "modified-mit", "modified-mit"),
    ]
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(io.BytesIO(parquet["2025-11-27"]))
    group = next(
        g for g in range(pf.num_row_groups)
        if m2["id"] in pf.read_row_group(g, columns=["id"]).column("id").to_pylist()
    )  # fmt: skip
    meta = pf.metadata.row_group(group)
    heavy = sum(
        meta.column(c).total_compressed_size
        for c in range(meta.num_columns)
        if meta.column(c).path_in_schema.split(".")[0] in ("tags", "cardData")
    )
    newest = rows(changed, "SELECT bytes_read FROM runs WHERE day = '2025-11-27'")[0][0]
    assert read["2025-11-27"] + heavy <= newest < whole_read["2025-11-27"]  # its row group's, not all
    # A database that knows the accounts lists nothing live.
    before = hub.count("/api/models")
    assert backfill(hub, db, "--since", "2025-11-20").exit_code == 0
    assert hub.count("/api/models") == before


def test_a_listed_lastmodified_the_archived_day_cannot_have_is_read_whole(
    hub: FakeHub, tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """An archived row dated after its own day (a garbled or hostile file) whose lastModified is the
    listed one: the record cannot hold that date, so the row is read whole, as without a listing."""
    world = json.loads(json.dumps(worlds["2025-11-27"]))
    odd = next(m for m in world["models"] if m["id"] == "moonshotai/Moonlight-16B-A3B")
    odd["lastModified"] = "2025-11-29T10:00:00.000Z"  # the 27th's commit is at 13:05 that day
    days = {d: parquet_bytes(archive_table(world if d == "2025-11-27" else worlds[d])) for d in DAYS}
    hub.archive = ArchiveRepo(history(days))
    hub.set_world(world)

    def first_backfill(db: Path) -> Any:
        return backfill(hub, db, "--retries", "0", orgs=["moonshotai"])

    hub.add_fault("status", match="/api/models", times=99, status=500)
    whole = tmp_path / "whole.db"
    assert first_backfill(whole).exit_code == 0
    hub.clear_faults()
    db = tmp_path / "a.db"
    assert first_backfill(db).exit_code == 0
    assert content(db) == content(whole) | {"runs": content(db)["runs"]}
    assert rows(db, "SELECT pipeline_tag, library_name, parameters, gated FROM models WHERE repo_id = ?",
                odd["id"]) == [(odd["pipeline_tag"], odd["library_name"], odd["safetensors"]["total"], "false")]  # fmt: skip


def test_a_gguf_repos_parameters_are_its_gguf_headers_count_as_a_sync_takes_them(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """A repo without safetensors (a GGUF conversion) has its parameter count in `gguf.total`."""
    world = worlds["2025-11-24"]
    folder = tmp_path / "copy"
    _local_copy(folder, worlds, ["2025-11-24"])
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(folder), orgs=["Qwen"]).exit_code == 0

    def total(m: dict[str, Any]) -> int | None:
        st, gg = m.get("safetensors"), m.get("gguf")
        return st.get("total") if isinstance(st, dict) else gg.get("total") if isinstance(gg, dict) else None

    expected = sorted((m["id"], total(m)) for m in world["models"] if m["author"] == "Qwen")
    assert rows(db, "SELECT repo_id, parameters FROM models ORDER BY repo_id") == expected
    gguf = [(i, n) for i, n in expected if n is not None and not isinstance(
        next(m for m in world["models"] if m["id"] == i).get("safetensors"), dict)]  # fmt: skip
    assert len(gguf) == 117
    synced = tmp_path / "s.db"
    with FakeHub(world) as fake:
        assert sync(fake, synced, "Qwen", now="2025-11-24T20:00:00Z").exit_code == 0
    assert rows(synced, "SELECT repo_id, parameters FROM models ORDER BY repo_id") == expected


def test_every_month_quiet_and_an_archive_that_cannot_be_listed(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    quiet = run("-q", "backfill", "--db", str(db), "--endpoint", hub.url, "--every", "month", "--org", "moonshotai",
                "--now", "2025-12-01T00:00:00Z")  # fmt: skip
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    # One day a month: the month's last archived day.
    assert rows(db, "SELECT day, revision FROM runs") == [("2025-11-27", sha_of("2025-11-27m"))]
    hub.archive = None  # the Hub has no such dataset: 404 on its commits
    gone = backfill(hub, tmp_path / "b.db")
    assert gone.exit_code == 1
    assert gone.stderr == (
        "oss-tracker: error: cannot list the commits of cfahlgren1/hub-stats: "
        "the Hub answered HTTP 404 for /api/datasets/cfahlgren1/hub-stats/commits/main\n"
    )


def test_an_account_without_rows_that_day_is_not_read_again(hub: FakeHub, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    first = backfill(hub, db, orgs=["moonshotai", "not-on-the-hub-yet"])
    assert first.exit_code == 0, first.stderr
    assert (
        rows(db, "SELECT orgs, message FROM runs ORDER BY id")
        == [('["moonshotai", "not-on-the-hub-yet"]', "not-on-the-hub-yet: no rows that day")] * 3
    )
    assert rows(db, "SELECT count(*) FROM org_snapshots") == [(3,)]  # no snapshot of 0 models
    again = backfill(hub, db, orgs=["moonshotai", "not-on-the-hub-yet"])
    assert "0 day(s) imported, 3 day(s) already stored" in again.stderr


def test_columns_of_unexpected_types_are_unknown_values_not_a_failure(tmp_path: Path) -> None:
    import pyarrow as pa

    from fixtures.build_archive import parquet_bytes as to_bytes

    table = pa.table(
        {
            "id": pa.array(["moonshotai/A", "moonshotai/B", "other/C"], pa.large_string()),
            "downloads": pa.array(["12", "many", "1"]),  # text: read as a number where it is one
            "downloadsAllTime": pa.array([1.0, 2.5, 3.0]),  # a fraction is no count
            "likes": pa.array([-1, 2**60, 3]),  # out of range
            "createdAt": pa.array([1_700_000_000, 0, 5]),  # a number, not a date
            "tags": pa.array(['["license:mit"]', "not a list", "[]"]),  # a list written as text
        }
    )
    folder = tmp_path / "models" / "2025-11-24"
    folder.mkdir(parents=True)
    (folder / "models.parquet").write_bytes(to_bytes(table))
    db = tmp_path / "a.db"
    result = backfill(None, db, "--source", str(tmp_path), orgs=["moonshotai"])
    assert result.exit_code == 0, result.stderr
    assert rows(
        db,
        """SELECT m.repo_id, m.license, m.created_at, s.downloads_30d, s.downloads_all_time, s.likes
           FROM models m JOIN model_snapshots s ON s.model_id = m.id ORDER BY m.repo_id""",
    ) == [("moonshotai/A", "mit", None, 12, 1, None), ("moonshotai/B", "unknown", None, None, None, None)]
    assert "odd value(s) stored as unknown" in rows(db, "SELECT message FROM runs")[0][0]
    (folder / "models.parquet").write_bytes(to_bytes(table.drop_columns(["id"])))
    broken = backfill(None, tmp_path / "b.db", "--source", str(tmp_path), orgs=["moonshotai"])
    assert (broken.exit_code, broken.stderr) == (
        1,
        "backfill failed: 0 day(s) imported, 1 day(s) unreadable — 2025-11-24: the file has no text `id` "
        "column: not a models snapshot\n",
    )


def test_an_odd_parameter_count_is_counted_only_on_a_day_its_row_is_read_whole(tmp_path: Path) -> None:
    """B's parameter count is unreadable text. The 26th (the newest, every row new) reads it and
    counts it; on the 24th B is unchanged and not read whole, though A's change reads the row
    group's descriptive columns beside it: B's value is not stored, so it is not counted either."""
    import pyarrow as pa

    from fixtures.build_archive import parquet_bytes as to_bytes

    def day(a_modified: str) -> Any:
        return pa.table(
            {
                "id": pa.array(["moonshotai/A", "moonshotai/B"]),
                "downloads": pa.array([10, 20]),
                "likes": pa.array([1, 2]),
                "lastModified": pa.array([a_modified, "2025-11-20T00:00:00Z"]),
                "safetensors": pa.array(
                    [{"total": "7000"}, {"total": "n/a"}], pa.struct([("total", pa.string())])
                ),  # fmt: skip
                "tags": pa.array([["license:mit"], ["license:mit"]]),
            }
        )

    for name, modified in (("2025-11-26", "2025-11-25T00:00:00Z"), ("2025-11-24", "2025-11-23T00:00:00Z")):
        folder = tmp_path / "copy" / "models" / name
        folder.mkdir(parents=True)
        (folder / "models.parquet").write_bytes(to_bytes(day(modified)))
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(tmp_path / "copy"), orgs=["moonshotai"]).exit_code == 0
    messages = dict(rows(db, "SELECT day, message FROM runs"))
    assert "1 odd value(s) stored as unknown" in messages["2025-11-26"]
    assert "odd value" not in (messages["2025-11-24"] or "")
    assert rows(db, "SELECT repo_id, parameters FROM models ORDER BY 1") == [
        ("moonshotai/A", 7000), ("moonshotai/B", None)
    ]  # fmt: skip


def test_a_period_from_a_day_without_all_time_counts_is_a_gap_even_with_a_launch(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The 24th has no downloadsAllTime (the archive before 2025-02-27), the 25th has, and a model
    launched in between has 5,000,000: the org's downloads in that period are unknown, not the
    launch alone (the other models' downloads are not known). The launch itself stays a fact."""
    day2 = json.loads(json.dumps(worlds["2025-11-25"]))
    source = next(m for m in day2["models"] if m["author"] == "MiniMaxAI")
    day2["models"].append({**source, "id": "MiniMaxAI/Launched", "createdAt": "2025-11-24T18:00:00.000Z",
                           "downloadsAllTime": 5_000_000, "downloads": 4_000_000})  # fmt: skip
    folder = tmp_path / "copy"
    for day, world, all_time in (("2025-11-24", worlds["2025-11-24"], False), ("2025-11-25", day2, True)):
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(world, all_time=all_time)))
    db = tmp_path / "a.db"
    assert backfill(None, db, "--source", str(folder), orgs=["MiniMaxAI"]).exit_code == 0
    assert rows(db, """SELECT r.day, (SELECT day FROM runs WHERE id = t.prev_run_id), t.downloads, t.base, t.launches,
                              t.launch_downloads FROM org_run_totals t JOIN runs r ON r.id = t.run_id ORDER BY r.day""") == [
        ("2025-11-24", None, None, None, 0, None), ("2025-11-25", "2025-11-24", None, None, 1, 5_000_000)
    ]  # fmt: skip
    assert rows(db, "SELECT day, downloads, launches, launch_downloads FROM org_daily ORDER BY day") == [
        ("2025-11-24", None, 0, None), ("2025-11-25", None, 1, 5_000_000)
    ]  # fmt: skip
    trend = json.loads(run("trends", "--org", "MiniMaxAI", "--db", str(db), "--format", "json").stdout)
    assert [(p["date"], p["change"]) for p in trend["series"][0]["points"]] == [
        ("2025-11-24", None), ("2025-11-25", None)
    ]  # fmt: skip
    assert trend["series"][0]["window"]["change"] is None
    # The model's own launch is exact (created after the 24th's snapshot: 0 downloads then).
    assert rows(
        db, "SELECT day, downloads, launch FROM model_daily WHERE repo_id = 'MiniMaxAI/Launched'"
    ) == [("2025-11-25", 5_000_000, 1)]


def test_a_reused_repo_name_known_from_the_archive_is_adopted_by_the_sync(tmp_path: Path) -> None:
    """acme/X is deleted on the 2nd and another acme/X created: the archive stores the second as
    `archive:acme/X@<createdAt>`; the next sync, listing it with its `_id`, adopts that model (no
    second model of it, no removal)."""
    from tests.conftest import model, world

    first = model("acme/X", created_at="2025-01-01T00:00:00.000Z")
    keep = model("acme/keep")
    second = model("acme/X", created_at="2025-06-01T00:00:00.000Z", all_time=500)
    folder = tmp_path / "copy"
    for day, w in {
        "2025-07-01": world(first, keep),
        "2025-07-02": world(keep),
        "2025-07-03": world(second, keep),
    }.items():
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(w, filler=5)))
    db = tmp_path / "a.db"
    # Oldest first (as an older version, or two runs, import them): the second repo is the one
    # stored as archive:acme/X@<createdAt>, which the sync must find.
    assert backfill(None, db, "--source", str(folder), "--until", "2025-07-02", orgs=["acme"]).exit_code == 0
    assert backfill(None, db, "--source", str(folder), orgs=["acme"]).exit_code == 0
    assert rows(db, "SELECT hub_id FROM models WHERE repo_id = 'acme/X' ORDER BY created_at") == [
        ("archive:acme/X",),
        ("archive:acme/X@2025-06-01T00:00:00Z",),
    ]
    with FakeHub(world(second, keep)) as fake:
        result = sync(fake, db, "acme", now="2025-07-04T06:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert ", 0 new, 0 removed," in result.stderr
    assert rows(db, "SELECT id, hub_id, repo_id, created_at, removed_at FROM models ORDER BY id") == [
        (1, keep["_id"], "acme/keep", "2025-01-20T03:46:07Z", None),
        (2, "archive:acme/X", "acme/X", "2025-01-01T00:00:00Z", "2025-07-02T00:00:00Z"),
        (3, second["_id"], "acme/X", "2025-06-01T00:00:00Z", None),
    ]
    assert rows(db, "SELECT model_id, count(*) FROM model_snapshots GROUP BY model_id") == [
        (1, 4),
        (2, 1),
        (3, 2),
    ]


def _watched_pairs(world: dict[str, Any], orgs: list[str] = SMALL) -> list[tuple[int, int]]:
    """(all-time, 30-day) of the watched accounts' models that have both counts."""
    return [
        (m["downloadsAllTime"], m["downloads"])
        for m in world["models"]
        if m["author"] in orgs and m.get("downloadsAllTime") is not None and m.get("downloads") is not None
    ]


def test_all_time_counts_before_the_column_existed_are_used_only_when_believable(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """A `downloadsAllTime` column on a day before 2025-02-27 is checked, not assumed (issue 15): on
    the 20th every all-time count is half the 30-day count (no count of every download ever can be
    less than a month's): unknown that day, said; on the 21st the counts pass (at least the 30-day
    count in 95 % of the watched rows): kept, said."""
    import pyarrow as pa
    import pyarrow.compute as pc

    folder = tmp_path / "copy"
    bad = archive_table(worlds["2025-11-24"])
    half = pc.divide(bad.column("downloads"), pa.scalar(2, pa.int64()))
    bad = bad.set_column(bad.schema.get_field_index("downloadsAllTime"), "downloadsAllTime", half)
    for day, table in (("2025-02-20", bad), ("2025-02-21", archive_table(worlds["2025-11-25"]))):
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(table))
    db = tmp_path / "a.db"
    result = backfill(None, db, "--source", str(folder))
    assert result.exit_code == 0, result.stderr
    halves = [(d // 2, d) for _, d in _watched_pairs(worlds["2025-11-24"])]
    kept = _watched_pairs(worlds["2025-11-25"])

    # The worlds are of November: dates past each day's ceiling are unknown too (said after the check).
    notes = [
        (day, message.split("; ")) for day, message in rows(db, "SELECT day, message FROM runs ORDER BY day")
    ]
    assert [(day, said[0]) for day, said in notes] == [
        ("2025-02-20", "`downloadsAllTime` on 2025-02-20, before 2025-02-27, is not believable (at least the "
         f"30-day count in {sum(a >= d for a, d in halves):,} of {len(halves):,} rows): unknown that day"),
        ("2025-02-21", "`downloadsAllTime` on 2025-02-21, before 2025-02-27: kept (at least the 30-day count "
         f"in {sum(a >= d for a, d in kept):,} of {len(kept):,} rows)"),
    ]  # fmt: skip
    assert all(said[1:] and said[1].endswith(" odd value(s) stored as unknown") for _, said in notes)
    assert org_sums(db, "2025-02-20")["MiniMaxAI"][2] is None
    assert org_sums(db, "2025-02-21")["MiniMaxAI"][2] == sum(
        m["downloadsAllTime"] for m in worlds["2025-11-25"]["models"] if m["author"] == "MiniMaxAI"
    )
    # No period downloads from a day whose all-time counts are unknown.
    assert rows(db, "SELECT day, downloads FROM org_daily WHERE org = 'MiniMaxAI' ORDER BY day") == [
        ("2025-02-20", None),
        ("2025-02-21", None),
    ]


def test_a_week_whose_last_day_is_a_gap_is_taken_from_an_earlier_day_of_it(
    hub: FakeHub, parquet: dict[str, bytes], tmp_path: Path
) -> None:
    """`--every week`: the week of 2025-11-24's last archived day (the 28th) has no models upload
    (only datasets.parquet changed): the week's day before it that has one (the 27th) is imported
    instead of losing the week."""
    extra = [
        ArchiveCommit(
            sha_of("2025-11-28d"),
            "2025-11-28T13:20:00.000Z",
            "Upload datasets.parquet with huggingface_hub",
            {"models.parquet": parquet["2025-11-27"], "datasets.parquet": b"28"},
        )
    ]
    hub.archive = ArchiveRepo(history(parquet, extra))
    db = tmp_path / "w.db"
    result = backfill(hub, db, "--every", "week")
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day, source, revision FROM runs ORDER BY day") == [
        ("2025-11-27", "archive", sha_of("2025-11-27m"))
    ]
    assert result.stderr.startswith("backfill ok: 1 day(s) imported (2025-11-27 – 2025-11-27)")
    assert result.stderr.endswith(
        f"1 day(s) skipped — 2025-11-28: models.parquet did not change that day (revision "
        f"{sha_of('2025-11-28d')[:12]}): no snapshot; the week's day before it tried instead\n"
    )


def test_a_truncated_file_or_an_accounts_sharp_fall_removes_nothing_that_day(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The archive's build once broke for weeks (DESIGN.md, "The public archive"): a day whose file holds
    far fewer rows than the days beside it, or an account far fewer than its snapshots beside the
    day, is stored as read but incomplete, so that no model missing from it is removed that day (and
    restored the next). A model missing from a complete account that day is removed as before."""
    import pyarrow as pa

    def write(folder: Path, day: str, table: Any) -> None:
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(table))

    orgs = ["deepseek-ai", "moonshotai"]
    # An account's fall: on the 25th deepseek-ai has 10 of its 70 models; moonshotai lost one model
    # for real (it is back on the 27th: removed, then restored).
    day25 = json.loads(json.dumps(worlds["2025-11-25"]))
    deepseek = sorted(m["id"] for m in day25["models"] if m["author"] == "deepseek-ai")
    moonshot = sorted(m["id"] for m in day25["models"] if m["author"] == "moonshotai")
    gone = {*deepseek[10:], moonshot[0]}
    day25["models"] = [m for m in day25["models"] if m["id"] not in gone]
    fall = tmp_path / "fall"
    for day in DAYS:
        write(fall, day, archive_table(day25 if day == "2025-11-25" else worlds[day]))
    db = tmp_path / "fall.db"
    result = backfill(None, db, "--source", str(fall), orgs=orgs)
    # Stored, but an account is incomplete that day: partial (exit 3), as for a sync.
    assert result.exit_code == 3, result.stderr
    assert result.stderr.endswith(
        ", 1 day(s) incomplete (2025-11-25): models missing from them not taken as removed\n"
    )
    # Imported newest first: the 25th is compared with the 27th (deepseek-ai's 71 models).
    assert rows(db, "SELECT day, message FROM runs ORDER BY day") == [
        ("2025-11-24", None),
        ("2025-11-25", "deepseek-ai: 10 rows against 71 on 2025-11-27 (a partial file?): no removals that day"),
        ("2025-11-27", None),
    ]  # fmt: skip
    assert rows(db, """SELECT r.day, g.name, o.listed, o.complete FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                       JOIN orgs g ON g.id = o.org_id WHERE r.day = '2025-11-25' ORDER BY g.name""") == [
        ("2025-11-25", "deepseek-ai", 10, 0), ("2025-11-25", "moonshotai", 13, 1)
    ]  # fmt: skip
    assert rows(db, """SELECT m.repo_id, e.kind, r.day FROM events e JOIN models m ON m.id = e.model_id
                       JOIN runs r ON r.id = e.run_id WHERE e.kind IN ('removed', 'restored')
                       ORDER BY r.day, e.kind""") == [
        (moonshot[0], "removed", "2025-11-25"), (moonshot[0], "restored", "2025-11-27")
    ]  # fmt: skip

    # A truncated file: the 25th holds its first 60 % of rows (fewer than 90 % of the 27th's).
    whole = archive_table(worlds["2025-11-25"])
    cut = whole.slice(0, whole.num_rows * 6 // 10)
    assert isinstance(cut, pa.Table)
    broken = tmp_path / "broken"
    for day in DAYS:
        write(broken, day, cut if day == "2025-11-25" else archive_table(worlds[day]))
    full27 = archive_table(worlds["2025-11-27"]).num_rows
    db = tmp_path / "broken.db"
    result = backfill(None, db, "--source", str(broken), orgs=orgs)
    assert result.exit_code == 3, result.stderr
    assert "1 day(s) incomplete (2025-11-25)" in result.stderr
    assert rows(db, "SELECT day, file_rows FROM runs ORDER BY day") == [
        ("2025-11-24", archive_table(worlds["2025-11-24"]).num_rows), ("2025-11-25", cut.num_rows),
        ("2025-11-27", full27),
    ]  # fmt: skip
    assert rows(db, "SELECT message FROM runs WHERE day = '2025-11-25'") == [
        (f"the file holds {cut.num_rows:,} rows, {100 * cut.num_rows / full27:.0f} % of the {full27:,} of "
         "2025-11-27 (a truncated upload?): no removals that day",)
    ]  # fmt: skip
    assert rows(db, "SELECT count(*) FROM events WHERE kind IN ('removed', 'restored')") == [(0,)]
    assert rows(db, "SELECT count(*) FROM models WHERE removed_at IS NOT NULL") == [(0,)]


def test_an_older_day_is_compared_with_the_day_after_it_not_with_the_newest_state(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The usual order: live syncs first, then history. Kimi-K2-Thinking was modified between the
    25th and the 27th (its lastModified differs from the live state), not between the 24th and the
    25th (both days' files are the 25th's). The 25th, compared with the live state, reads its row
    group's descriptive columns; the 24th, compared with the 25th just imported, reads none of them:
    only ids and the snapshot's columns (was: compared with the newest state, read whole again)."""
    changed = "moonshotai/Kimi-K2-Thinking"
    then = {m["id"]: m.get("lastModified") for m in worlds["2025-11-25"]["models"]}
    now = {m["id"]: m.get("lastModified") for m in worlds["2025-11-27"]["models"]}
    assert [i for i in then if i.startswith("moonshotai/") and i in now and then[i] != now[i]] == [changed]
    # One row group: its descriptive chunks are larger than the gaps pyarrow reads across.
    data = parquet_bytes(archive_table(worlds["2025-11-25"]), row_group_size=2000)
    folder = _one_file_twice(tmp_path / "copy", data, ("2025-11-24", "2025-11-25"))
    chunks, unchanged = _chunks(data)
    tags = chunks["tags"]
    assert _row_groups(data) == 1 and tags > 8192
    db = tmp_path / "a.db"
    with FakeHub(worlds["2025-11-27"]) as fake:
        assert sync(fake, db, "moonshotai", now="2025-11-27T06:00:00Z").exit_code == 0
    assert backfill(None, db, "--source", str(folder), orgs=["moonshotai"]).exit_code == 0
    read = dict(rows(db, "SELECT day, bytes_read FROM runs WHERE source = 'archive'"))
    # The 24th: the footer, the ids and the snapshot's columns (and the small chunks between them).
    assert read["2025-11-24"] <= unchanged
    # The 25th: its changed row's descriptive columns too (its tags at least).
    assert read["2025-11-25"] >= read["2025-11-24"] + tags
    # The current model keeps the live state; no event was made of the unread columns.
    assert rows(db, "SELECT last_modified FROM models WHERE repo_id = ?", changed) == [
        (now[changed][:19] + "Z",)
    ]
    assert rows(db, "SELECT count(*) FROM events WHERE kind != 'renamed'") == [(0,)]


def test_a_day_backfilled_between_live_days_follows_the_recorded_rename(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The 24th and the 27th synced live (the bundled recordings: on the 27th Qwen renamed
    Qwen3-Next-80B-A3B-Instruct-FP8 to ...-FP8-Dynamic, one `_id`), then the 25th from the archive,
    which has no `_id`: its row under the old name is the renamed model's snapshot of that day
    (the rename followed backwards), not a new `archive:` model removed again."""
    from tests.conftest import FIXTURES

    old, new, hub_id = (
        "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8", "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic",
        "68c0440d534568a8e9c27d84",
    )  # fmt: skip
    db = tmp_path / "a.db"
    for day in ("2025-11-24", "2025-11-27"):
        result = run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day))
        assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT m.repo_id, e.old, e.new FROM events e JOIN models m ON m.id = e.model_id "
                    "WHERE e.kind = 'renamed'") == [(new, old, new)]  # fmt: skip
    folder = tmp_path / "copy"
    target = folder / "models" / "2025-11-25" / "models.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(parquet_bytes(archive_table(worlds["2025-11-25"])))
    result = backfill(None, db, "--source", str(folder), orgs=FIVE)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT id, day, source FROM runs ORDER BY started_at") == [
        (1, "2025-11-24", None), (3, "2025-11-25", "archive"), (2, "2025-11-27", None)
    ]  # fmt: skip
    assert rows(db, "SELECT count(*) FROM models WHERE hub_id LIKE 'archive:%'") == [(0,)]
    assert rows(db, "SELECT hub_id, repo_id, removed_at FROM models WHERE repo_id IN (?, ?)", old, new) == [
        (hub_id, new, None)
    ]
    was = next(m for m in worlds["2025-11-25"]["models"] if m["id"] == old)
    assert rows(
        db,
        """SELECT m.hub_id, s.run_id, r.day, s.downloads_30d, s.downloads_all_time, s.likes
           FROM model_snapshots s JOIN models m ON m.id = s.model_id JOIN runs r ON r.id = s.run_id
           WHERE m.hub_id = ? ORDER BY r.started_at""",
        hub_id,
    ) == [
        (hub_id, 1, "2025-11-24", *_counts(worlds["2025-11-24"], old)),
        (hub_id, 3, "2025-11-25", was["downloads"], was["downloadsAllTime"], was["likes"]),
        (hub_id, 2, "2025-11-27", *_counts(worlds["2025-11-27"], new)),
    ]
    assert (was["downloads"], was["downloadsAllTime"], was["likes"]) == (1129, 2565, 4)
    # Nothing was made of it but the snapshot: no removal, no second rename, no new model.
    assert rows(db, "SELECT e.kind, e.run_id FROM events e JOIN models m ON m.id = e.model_id "
                    "WHERE m.hub_id = ? ORDER BY e.id", hub_id) == [("renamed", 2)]  # fmt: skip


def _counts(world: dict[str, Any], repo_id: str) -> tuple[int, int, int]:
    m = next(m for m in world["models"] if m["id"] == repo_id)
    return m["downloads"], m["downloadsAllTime"], m["likes"]


def _local_copy(folder: Path, worlds: dict[str, Any], days: list[str] = DAYS) -> dict[str, int]:
    """The fixture days as a local weekly-copy folder: each day's file size."""
    sizes = {}
    for day in days:
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(worlds[day])))
        sizes[day] = target.stat().st_size
    return sizes


def test_verbose_says_each_days_bytes_read_as_it_is_stored(tmp_path: Path, worlds: dict[str, Any]) -> None:
    """`-v`: a line a day imported (newest first, as they are stored), with the bytes read of that
    day's file, the same as the day's `runs.bytes_read`; then the summary line, whose total is their sum."""
    folder = tmp_path / "copy"
    sizes = _local_copy(folder, worlds)
    db = tmp_path / "a.db"
    result = run("-v", "backfill", "--db", str(db), "--source", str(folder), "--org", "MiniMaxAI",
                 "--org", "moonshotai", "--now", "2025-12-01T00:00:00Z")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    read = dict(rows(db, "SELECT day, bytes_read FROM runs"))
    assert sorted(read) == DAYS and all(read[d] > 0 for d in DAYS)

    def share(n: int, size: int) -> str:
        return f"{n / 1e3:,.1f} kB read ({100 * n / size:.1f} % of {size / 1e3:,.1f} kB)"

    total, size = sum(read.values()), sum(sizes.values())
    assert result.stderr.splitlines() == [
        f"backfill: 2025-11-27 imported, 2 org(s), 24 model snapshots, 24 new model(s), 0 removed, "
        f"{share(read['2025-11-27'], sizes['2025-11-27'])}, run #1",
        f"backfill: 2025-11-25 imported, 2 org(s), 24 model snapshots, 0 new model(s), 0 removed, "
        f"{share(read['2025-11-25'], sizes['2025-11-25'])}, run #2",
        f"backfill: 2025-11-24 imported, 2 org(s), 24 model snapshots, 0 new model(s), 0 removed, "
        f"{share(read['2025-11-24'], sizes['2025-11-24'])}, run #3",
        f"backfill ok: 3 day(s) imported (2025-11-24 – 2025-11-27), 2 org(s), 72 model snapshots, "
        f"24 new model(s), 0 removed, {share(total, size)}",
    ]
    # Without -v only the summary line; with -q nothing (all went well).
    again = tmp_path / "b.db"
    plain = backfill(None, again, "--source", str(folder))
    assert plain.stderr.splitlines() == result.stderr.splitlines()[-1:]
    quiet = run(
        "-q", "-v", "backfill", "--db", str(tmp_path / "c.db"), "--source", str(folder), "--org", "MiniMaxAI"
    )
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_a_terminal_gets_a_progress_bar_of_days_bytes_and_time_left_and_q_nothing(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """The real command on a pseudo-terminal: rich's bar (transient) shows the days done of those
    planned, the MB read so far and the time left; its last frame is drawn when the bar stops, so
    what it shows then is known (no timing asserted). `-v`'s lines go above it; `-q` prints nothing."""
    import re

    from tests.test_cli_output import tty

    folder = tmp_path / "copy"
    _local_copy(folder, worlds)
    args = (
        "--source",
        str(folder),
        "--org",
        "MiniMaxAI",
        "--org",
        "moonshotai",
        "--now",
        "2025-12-01T00:00:00Z",
    )
    db = tmp_path / "a.db"
    code, out = tty("-v", "backfill", "--db", str(db), *args, columns=160)
    assert code == 0, out
    total = rows(db, "SELECT sum(bytes_read) FROM runs")[0][0]
    frames = re.findall(r"Backfilling [^\n\r]*? left", out)
    assert frames, out
    assert re.fullmatch(
        rf"Backfilling +━+ 3/3 days · {total / 1e6:,.1f} MB read · (-:--:--|[0-9]+:[0-9]{{2}}:[0-9]{{2}}) left",
        frames[-1].strip(),
    ), frames[-1]
    lines = [line.strip() for line in out.replace("\r", "\n").splitlines()]
    assert [line for line in lines if line.startswith("backfill")] == [
        *(f"backfill: {day} imported, 2 org(s), 24 model snapshots, {new} new model(s), 0 removed, "
          f"{share} run #{n}" for n, (day, new, share) in enumerate(
              ((d, 24 if d == "2025-11-27" else 0, _share_of(db, d)) for d in reversed(DAYS)), 1)),
        next(line for line in lines if line.startswith("backfill ok: 3 day(s) imported")),
    ]  # fmt: skip
    code, out = tty("-q", "backfill", "--db", str(tmp_path / "q.db"), *args, columns=160)
    assert (code, out) == (0, "")
    assert rows(tmp_path / "q.db", "SELECT count(*) FROM runs") == [(3,)]


def _share_of(db: Path, day: str) -> str:
    """A day's `N kB read (P % of M kB),` as its -v line says it, from the run stored."""
    (n,) = rows(db, "SELECT bytes_read FROM runs WHERE day = ?", day)[0]
    size = (Path(rows(db, "SELECT revision FROM runs WHERE day = ?", day)[0][0])).stat().st_size
    return f"{n / 1e3:,.1f} kB read ({100 * n / size:.1f} % of {size / 1e3:,.1f} kB),"


def test_a_count_column_of_another_type_is_read_value_by_value_and_said(
    tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """A revision whose `downloads` holds digit strings and whose `likes` holds booleans (the
    writer's types changed): each value is read as any odd value is (as a CSV day's: digits read as
    the number, anything else unknown and counted), and the run's message says what the column was."""
    import pyarrow as pa

    table = archive_table(worlds["2025-11-25"])
    for name, kind in (("downloads", pa.string()), ("likes", pa.bool_())):
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, table.column(name).cast(kind))
    target = tmp_path / "copy" / "models" / "2025-11-25" / "models.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(parquet_bytes(table))
    db = tmp_path / "a.db"
    result = backfill(None, db, "--source", str(tmp_path / "copy"))
    assert result.exit_code == 0, result.stderr
    liked = sum(1 for m in worlds["2025-11-25"]["models"] if m["author"] in SMALL and m["likes"] is not None)
    assert rows(db, "SELECT day, status, message FROM runs") == [
        ("2025-11-25", "ok", "`downloads`: strings, read as numbers; `likes`: bool values, not numbers: "
         f"unknown that day; {liked} odd value(s) stored as unknown")
    ]  # fmt: skip
    assert org_sums(db, "2025-11-25") == {
        org: (n, d30, dall, None)
        for org, (n, d30, dall, _) in world_sums(worlds["2025-11-25"], SMALL).items()
    }


@pytest.mark.parametrize(
    ("on_25th", "on_27th", "stored"),
    [(None, "2025-11-24T18:00:00.000Z", "2025-11-24T18:00:00Z"),
     ("2025-11-24T18:00:00.000Z", None, "2025-11-24T18:00:00Z")],
    ids=["created-at-learnt", "created-at-not-unlearnt"],
)  # fmt: skip
def test_a_newer_day_changing_created_at_recomputes_the_stored_totals(
    tmp_path: Path, on_25th: str | None, on_27th: str | None, stored: str
) -> None:
    """A model launched on the 24th whose createdAt one day's file lacks: the launch rule reads
    createdAt, so a later backfill that learns it recomputes the org's stored totals (the cache
    read 24,225 where the snapshots give 5,024,225); a day without it keeps the stored one."""
    worlds = {d: load_world(d) for d in ("2025-11-24", "2025-11-25", "2025-11-27")}
    src = next(m for m in worlds["2025-11-25"]["models"] if m["author"] == "MiniMaxAI")
    for day, created, total in (("2025-11-25", on_25th, 5_000_000), ("2025-11-27", on_27th, 5_100_000)):
        worlds[day]["models"].append({**src, "id": "MiniMaxAI/Launched", "createdAt": created,
                                      "downloadsAllTime": total, "downloads": 4_000_000})  # fmt: skip
    folder = tmp_path / "archive"
    for day, world in worlds.items():
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet_bytes(archive_table(world)))
    db = tmp_path / "h.db"
    for until in ("2025-11-25", "2025-11-27"):
        done = run("backfill", "--db", str(db), "--now", "2025-12-01T00:00:00Z", "--source", str(folder),
                   "--org", "MiniMaxAI", "--until", until)  # fmt: skip
        assert done.exit_code == 0, done.stderr
    assert rows(db, "SELECT created_at FROM models WHERE repo_id = 'MiniMaxAI/Launched'") == [(stored,)]
    assert cached_totals(db) == live_totals(db)
