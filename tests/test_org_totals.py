"""org_run_totals, the sums a sync keeps for reports: exact values, equal to the live sums, rebuilt on moves."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from oss_tracker.store import totals as org_totals
from oss_tracker.store.open import open_db
from tests.conftest import (
    FIXTURES,
    REPLAY_DAYS,
    before_migration,
    copy_db,
    migrate,
    model,
    older_refused,
    rows,
    run,
    sync,
    world,
)
from tests.fakehub import FakeHub

COLUMNS = (
    "org_id, run_id, prev_run_id, models, downloads_30d, downloads_all_time, likes, downloads, base, drops, "
    "launches, launch_downloads, first_seen_not_counted, stalls"
)


def stored(db: Path) -> list[tuple]:
    return rows(db, f"SELECT {COLUMNS} FROM org_run_totals ORDER BY org_id, run_id")


def live(db: Path) -> list[tuple]:
    """What live_sums gives for every org snapshot against the org's previous one."""
    database = open_db(db, create=False)
    triples = database.execute(
        """SELECT org_id, run_id, lag(run_id) OVER (PARTITION BY org_id ORDER BY run_id)
           FROM org_snapshots ORDER BY org_id, run_id"""
    ).fetchall()
    sums = org_totals.live_sums(database, [tuple(t) for t in triples], by="org")
    return [(o, r, p, *sums[(o, r)].values()) for o, r, p in triples if (o, r) in sums]


def test_each_stored_org_run_has_its_sums_from_the_world(bundled_history: Path) -> None:
    worlds = {day: json.loads((FIXTURES / "worlds" / f"{day}.json").read_text()) for day in REPLAY_DAYS}
    got = {
        (name, run_id): rest
        for name, run_id, *rest in rows(
            bundled_history,
            """SELECT g.name, t.run_id, t.models, t.downloads_30d, t.downloads_all_time, t.likes, t.downloads,
                      t.launches
               FROM org_run_totals t JOIN orgs g ON g.id = t.org_id""",
        )
    }
    watched = sorted({name for name, _ in got})
    assert len(watched) == 5 and len(got) == 15  # 5 orgs x 3 runs
    for run_id, day in enumerate(REPLAY_DAYS, start=1):
        for org in watched:
            now = {m["_id"]: m for m in worlds[day]["models"] if m["author"] == org}
            before = (
                {m["_id"]: m for m in worlds[REPLAY_DAYS[run_id - 2]]["models"] if m["author"] == org}
                if run_id > 1
                else {}
            )
            both = [i for i in now if i in before]
            # Launched: absent from the run before and created after it (the runs are at 06:00).
            start = f"{REPLAY_DAYS[run_id - 2]}T06:00:00" if run_id > 1 else None
            launched = [i for i in now if start and i not in before and now[i]["createdAt"][:19] > start]
            assert got[(org, run_id)] == [
                len(now),
                sum(m["downloads"] for m in now.values()),
                sum(m["downloadsAllTime"] for m in now.values()),
                sum(m["likes"] for m in now.values()),
                sum(now[i]["downloadsAllTime"] - before[i]["downloadsAllTime"] for i in both)
                + sum(now[i]["downloadsAllTime"] for i in launched)
                if both
                else None,
                len(launched),
            ], (org, day)
    # The two launches of the recordings, counted whole: DeepSeek-Math-V2 (created 27 Nov 01:30,
    # 1,287 downloads at first sight) in DeepSeek's 25 -> 27 Nov, Qwen3-VL-32B-Thinking-FP8
    # (created 25 Nov 02:10, 412) in Qwen's 24 -> 25 Nov.
    assert got[("deepseek-ai", 3)][4:] == [747_308 + 1_287, 1]
    assert got[("Qwen", 2)][4:] == [2_262_524 + 412, 1]


def test_stored_sums_equal_the_live_sums(bundled_history: Path) -> None:
    assert stored(bundled_history) == live(bundled_history)
    # The first run of each org has no previous run: totals, no period.
    assert rows(
        bundled_history, "SELECT count(*) FROM org_run_totals WHERE prev_run_id IS NULL AND downloads IS NULL"
    ) == [(5,)]


def test_reports_read_the_same_numbers_with_or_without_the_table(
    bundled_history: Path, tmp_path: Path
) -> None:
    """The table only saves time: emptied, every report falls back to summing the snapshots."""
    bare = copy_db(bundled_history, tmp_path / "bare.db")
    conn = sqlite3.connect(bare)
    with conn:
        conn.execute("DELETE FROM org_run_totals")
    conn.close()
    for args in (
        ["trends", "-f", "json"],
        ["trends", "-f", "json", "--interval", "week"],
        ["trends", "-f", "json", "--metric", "likes"],
        ["report", "--org", "Qwen", "-f", "json"],
        ["compare", "-f", "json"],
    ):
        fast = run(*args, "--db", str(bundled_history))
        slow = run(*args, "--db", str(bare))
        assert fast.exit_code == slow.exit_code == 0, (args, fast.stderr, slow.stderr)
        assert fast.stdout == slow.stdout, args


def test_a_second_run_on_one_day_is_summed_live_against_the_days_value(hub: FakeHub, tmp_path: Path) -> None:
    """Two runs on a day: the day's value is the later one, and the next day compares with it."""
    db = tmp_path / "t.db"
    hub.set_world(world(model("Alpha/a", all_time=100), model("Alpha/b", all_time=50)))
    assert sync(hub, db, "Alpha", now="2025-11-24T06:00:00Z").exit_code == 0
    hub.set_world(world(model("Alpha/a", all_time=130), model("Alpha/b", all_time=55)))
    assert sync(hub, db, "Alpha", now="2025-11-25T06:00:00Z").exit_code == 0
    hub.set_world(world(model("Alpha/a", all_time=170), model("Alpha/b", all_time=57)))
    assert sync(hub, db, "Alpha", now="2025-11-25T18:00:00Z").exit_code == 0
    hub.set_world(world(model("Alpha/a", all_time=171), model("Alpha/b", all_time=60)))
    assert sync(hub, db, "Alpha", now="2025-11-26T06:00:00Z").exit_code == 0
    assert rows(db, "SELECT run_id, prev_run_id, downloads_all_time, downloads FROM org_run_totals") == [
        (1, None, 150, None),
        (2, 1, 185, 35),
        (3, 2, 227, 42),
        (4, 3, 231, 4),
    ]
    out = json.loads(run("trends", "--db", str(db), "-f", "json").stdout)
    points = [(p["date"], p["total"], p["change"]) for p in out["series"][0]["points"]]
    # 25 Nov is its evening run (227), +77 since the 24th: a pair the table does not hold.
    assert points == [("2025-11-24", 150, None), ("2025-11-25", 227, 77), ("2025-11-26", 231, 4)]


def test_a_model_moving_to_another_org_rebuilds_both_orgs(hub: FakeHub, tmp_path: Path) -> None:
    """Models count under their current org, history included: both orgs' rows are summed again."""
    db = tmp_path / "t.db"
    moving = model("Alpha/big", all_time=1000, hub_id="0" * 24)
    hub.set_world(world(moving, model("Alpha/a", all_time=10), model("Beta/b", all_time=20)))
    assert sync(hub, db, "Alpha", "Beta", now="2025-11-24T06:00:00Z").exit_code == 0
    hub.set_world(
        world(
            model("Beta/big", all_time=1100, hub_id="0" * 24),
            model("Alpha/a", all_time=12),
            model("Beta/b", all_time=25),
        )
    )
    assert sync(hub, db, "Alpha", "Beta", now="2025-11-25T06:00:00Z").exit_code == 0
    got = rows(
        db,
        """SELECT g.name, t.run_id, t.models, t.downloads_all_time, t.downloads
           FROM org_run_totals t JOIN orgs g ON g.id = t.org_id ORDER BY g.name, t.run_id""",
    )
    assert got == [
        ("Alpha", 1, 1, 10, None),  # Alpha/big now counts under Beta, on the 24th too
        ("Alpha", 2, 1, 12, 2),
        ("Beta", 1, 2, 1020, None),
        ("Beta", 2, 2, 1125, 105),
    ]
    assert stored(db) == live(db)


def test_the_migration_fills_the_table_for_a_history_stored_before_it(
    bundled_history: Path, tmp_path: Path
) -> None:
    older = before_migration(bundled_history, tmp_path / "older.db", "m006_org_run_totals", "org_run_totals")
    conn = sqlite3.connect(older)
    with conn:  # a file from before m006 is from before m013 and m021 too
        conn.execute(
            "DELETE FROM _sqlite_migrations WHERE name IN ('m013_launch_downloads', 'm021_period_gaps_and_stalls')"
        )
    conn.close()
    assert older_refused(older, "trends")  # a report never migrates
    migrate(older)  # as a sync does first
    assert stored(older) == stored(bundled_history)


def test_a_changed_created_at_recomputes_the_org_s_stored_totals(hub: FakeHub, tmp_path: Path) -> None:
    """Lab/b first listed on the 25th, created (says the Hub) the 24th at noon: after the 24th's run,
    a launch, its 500 counted whole. On the 26th the Hub dates it to June: it had downloads
    nobody saw, so the 24 -> 25 period leaves it out. The stored sums (a cache) follow, as the
    live sums (the org_daily view) do; the trend read from the cache says the same."""
    db = tmp_path / "t.db"
    days = (
        ("2025-11-24T06:00:00Z", [model("Lab/a", all_time=1_000)]),
        ("2025-11-25T06:00:00Z", [model("Lab/a", all_time=1_100),
                                  model("Lab/b", all_time=500, created_at="2025-11-24T12:00:00.000Z")]),
        ("2025-11-26T06:00:00Z", [model("Lab/a", all_time=1_300),
                                  model("Lab/b", all_time=800, created_at="2025-06-01T00:00:00.000Z",
                                        hub_id=model("Lab/b", created_at="2025-11-24T12:00:00.000Z")["_id"])]),
    )  # fmt: skip
    for now, items in days:
        hub.set_world(world(*items))
        assert sync(hub, db, "Lab", now=now).exit_code == 0
    assert stored(db) == live(db)
    second = rows(
        db,
        """SELECT t.downloads, t.launches, t.launch_downloads, t.first_seen_not_counted FROM org_run_totals t
           JOIN runs r ON r.id = t.run_id WHERE r.day = '2025-11-25'""",
    )
    assert second == [(100, 0, None, 1)]  # Lab/a's 100 only; Lab/b first seen, not counted
    data = json.loads(run("trends", "--org", "Lab", "--db", str(db), "--json").stdout)
    assert [(p["change"], p["launches"], p["first_seen_not_counted"]) for p in data["series"][0]["points"]] == [
        (None, 0, 0), (100, 0, 1), (200 + 300, 0, 0),
    ]  # fmt: skip


def test_remembered_sums_are_the_live_sums_and_are_read_once(bundled_history: Path) -> None:
    """Within `remembered` (the site's overview), a live sum asked again is answered from memory:
    the same values as summed afresh, and no second query for the same pairs."""
    db = open_db(bundled_history, create=False)
    pairs = [(oid, run, prev) for oid, run, prev in db.execute(
        "SELECT org_id, run_id, prev_run_id FROM org_run_totals WHERE prev_run_id IS NOT NULL"
    ).fetchall()]  # fmt: skip
    fresh = org_totals.live_sums(db, pairs, by="org")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    with org_totals.remembered(db):
        first = org_totals.live_sums(db, pairs, by="org")
        asked = len(statements)
        again = org_totals.live_sums(db, pairs[:3], by="org")
        assert len(statements) == asked  # nothing summed again
        both = org_totals.live_sums(db, pairs[:2] + [(2, 3, 1)], by="org")
        assert len(statements) == asked + 1  # only the new pair
    assert first == fresh and again == {(k, r): fresh[(k, r)] for k, r, _ in pairs[:3]}
    assert both == {**{(k, r): fresh[(k, r)] for k, r, _ in pairs[:2]},
                    **org_totals.live_sums(db, [(2, 3, 1)], by="org")}  # fmt: skip
    assert org_totals._MEMO == {}  # forgotten once left
