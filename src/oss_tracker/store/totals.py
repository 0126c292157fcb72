"""An org's totals at each run, and its downloads since its previous run: kept by sync, read by reports.

*Downloads in a period* are summed model by model (the models present at both ends), so a
30-day trend of 20 orgs reads every model's snapshot twice a point: on two years of history
that is most of a report's time. A sync therefore stores, for every org it stores, the sums
against that org's previous stored run in `org_run_totals`, and a report reads one row a point.

The table is a cache of `live_sums` and nothing else: a point whose previous run is not the
org's previous stored run (a week, a month, a day with two runs) is summed live, and the rows
of an org are rebuilt when a model moves to or from it (models count under their current org,
history included) and when a model's createdAt changes (the launch rule below reads it). `tests/test_org_totals.py` checks cache against live sums.

Launches (issue 14): a model absent from the earlier snapshot whose createdAt is after that
snapshot's start had zero downloads then, so its whole all-time count is downloads of the
period (exact, not an estimate). A model absent from the earlier snapshot but created before
it (a repo made public late, a newly watched account, a model that moved in) had downloads
nobody saw: it stays out of the period and is counted in `first_seen_not_counted`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from oss_tracker.values import created_sql

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

FIELDS = ("models", "downloads_30d", "downloads_all_time", "likes", "downloads", "base", "drops",
          "launches", "launch_downloads", "first_seen_not_counted", "stalls")  # fmt: skip
# What a level alone (no previous run) has for the period fields.
NO_PERIOD = {"downloads": None, "base": None, "drops": 0, "launches": 0, "launch_downloads": None,
             "first_seen_not_counted": 0, "stalls": 0}  # fmt: skip
# A stalled counter (the public archive's, DESIGN.md, "The public archive"): a model's all-time
# count that stood still over at least STALL_DAYS while its 30-day count says it is downloaded
# STALL_30D times a month (~10 a day: a whole day without one is then no chance). Its downloads
# come later, in a jump.
STALL_DAYS = 0.75
STALL_30D = 300
Triple = tuple[int, int, int | None]  # (org or model id, run, previous run or None)
INT64 = 2**63


class _BoundedSum:
    """SQLite's sum() in Python: exact, and NULL (unknown) where the total leaves SQLite's 64-bit
    integers, instead of the built-in's "integer overflow" error. Integers sum to an integer, and
    anything else (a REAL) makes the sum a REAL, as the built-in does; no value at all is NULL."""

    overflows = 0  # sums given as NULL so far in this process (the sync notes its org's)

    def __init__(self) -> None:
        self.total: int | float | None = None

    def step(self, value: int | float | None) -> None:
        if value is not None:
            self.total = value if self.total is None else self.total + value

    def finalize(self) -> int | float | None:
        total = self.total
        if type(total) is int and not -INT64 <= total < INT64:
            _BoundedSum.overflows += 1
            return None
        return total


def overflows() -> int:
    """How many sums past 64 bits have been read as unknown so far (compare before and after)."""
    return _BoundedSum.overflows


def safe_rows(db: Any, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
    """`db.execute(sql, args).fetchall()`; if a sum() overflows ("integer overflow"), the same
    query again with sum() done in Python, an overflowing one as NULL.

    The exact sum replaces SQLite's built-in `sum` on this connection (an application function of
    a built-in's name takes its place), so no SQL is rewritten; it stays for the connection's
    life (Python 3.11 cannot remove it again), which only costs speed, and only on a connection
    that has met a sum past 64 bits: a database written before counts were bounded, or an org
    whose many huge counts add up past 2**63."""
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError as err:
        if "integer overflow" not in str(err):
            raise
    conn = getattr(db, "conn", db)  # sqlite-utils' Database or a plain connection
    conn.create_aggregate("sum", 1, _BoundedSum)
    return conn.execute(sql, args).fetchall()


def launch_sql(
    snap: str = "s", prev: str = "ps", prev_at: str = "p.prev_at", model: str = "m"
) -> tuple[str, str]:
    """SQL for (launched, first seen not counted): 1 or 0 for a model with a snapshot `snap` at the
    end of a period and none (`prev` missing) at its start, whose start's run began at `prev_at`
    (NULL: no period). Launched: created after the start, with a known all-time count at the end;
    every other model absent at the start is first seen but not counted."""
    absent = f"({prev}.model_id IS NULL AND {prev_at} IS NOT NULL)"
    launched = (
        f"({absent} AND {snap}.downloads_all_time IS NOT NULL "
        f"AND coalesce({created_sql(model)} > {prev_at}, 0))"
    )
    return launched, f"({absent} AND NOT {launched})"


def downloads_sql(snap: str = "s", prev: str = "ps", launched: str = "0") -> str:
    """SQL for a period's downloads, an aggregate: the all-time differences of the models present at
    both ends plus the launches' whole counts; unknown (NULL) when some model present at both ends
    has an end count but none has a start count (a start day without all-time counts: the
    archive before 2025-02-27), which the launches alone would otherwise pass for."""
    return f"""CASE WHEN count(CASE WHEN {snap}.downloads_all_time IS NOT NULL THEN {prev}.model_id END) > 0
                     AND count(CASE WHEN {snap}.downloads_all_time IS NOT NULL THEN {prev}.downloads_all_time END) = 0
                THEN NULL
                ELSE sum(CASE WHEN {prev}.model_id IS NOT NULL THEN {snap}.downloads_all_time - {prev}.downloads_all_time
                              WHEN {launched} THEN {snap}.downloads_all_time END) END"""


def stalls_sql(snap: str = "s", prev: str = "ps", apart: str = "0") -> str:
    """SQL for how many models' all-time counts stalled over a period (see STALL_DAYS), an aggregate;
    `apart` is the period's length in days."""
    return (
        f"coalesce(sum({prev}.downloads_all_time = {snap}.downloads_all_time "
        f"AND {snap}.downloads_30d >= {STALL_30D} AND {apart} >= {STALL_DAYS}), 0)"
    )


# Live sums already read, per connection, while `remembered` holds it (see there).
_MEMO: dict[int, dict[tuple[str, str, int, int, int | None], dict[str, Any] | None]] = {}


@contextmanager
def remembered(db: Database) -> Iterator[None]:
    """Within: a live sum asked again of `db` is answered from memory, not summed again. For a
    reader that asks several reports of one unchanging file (the site: its share and downloads
    series pair the same snapshots); never around writes."""
    _MEMO[id(db)] = {}
    try:
        yield
    finally:
        _MEMO.pop(id(db), None)


def live_sums(
    db: Database, triples: list[Triple], *, by: str, keep: str = "1"
) -> dict[tuple[int, int], dict[str, Any]]:
    """For (org or model id, run, previous run) triples: totals at `run` and the downloads since
    `previous run`: all-time differences over the models present in both, plus the whole
    all-time count of each model launched in between (see the module's docstring), summed from
    the model snapshots; and the stalled counts among them (`stalls_sql`). `keep`: SQL on `m`
    (the models) that keeps some, e.g. one kind of model.

    A sum past 64 bits is NULL (unknown)."""
    if not triples:
        return {}
    memo = _MEMO.get(id(db))
    if memo is not None:
        known = {(key, run_id): memo[(by, keep, key, run_id, prev)] for key, run_id, prev in triples
                 if (by, keep, key, run_id, prev) in memo}  # fmt: skip
        asked = [t for t in triples if (by, keep, *t) not in memo]
        fresh = _live_sums(db, asked, by=by, keep=keep) if asked else {}
        for key, run_id, prev in asked:
            memo[(by, keep, key, run_id, prev)] = fresh.get((key, run_id))
        return {k: v for k, v in {**known, **fresh}.items() if v is not None}
    return _live_sums(db, triples, by=by, keep=keep)


def _live_sums(
    db: Database, triples: list[Triple], *, by: str, keep: str
) -> dict[tuple[int, int], dict[str, Any]]:
    # One aggregate subquery per triple, not a join grouped afterwards: the sums come out
    # without a sorter over every (model, point) row. MATERIALIZED: the JSON is parsed once,
    # not again for every index lookup. Per model and point: two primary-key lookups.
    where = ("m.org_id = p.key" if by == "org" else "m.id = p.key") + f" AND {keep}"
    launched, unseen = launch_sql()
    out: dict[tuple[int, int], dict[str, Any]] = {}
    sql = f"""WITH p AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS key, json_extract(value, '$[1]') AS run_id,
                       json_extract(value, '$[2]') AS prev_run_id,
                       (SELECT r.started_at FROM runs r WHERE r.id = json_extract(value, '$[2]')) AS prev_at,
                       (SELECT r.started_at FROM runs r WHERE r.id = json_extract(value, '$[1]')) AS at
                FROM json_each(?)
            )
            SELECT p.key, p.run_id, (
                SELECT json_array(count(*), sum(s.downloads_30d), sum(s.downloads_all_time), sum(s.likes),
                       {downloads_sql(launched=launched)},
                       sum(CASE WHEN s.downloads_all_time IS NOT NULL THEN ps.downloads_all_time END),
                       coalesce(sum(s.downloads_all_time < ps.downloads_all_time), 0),
                       sum({launched}), sum(CASE WHEN {launched} THEN s.downloads_all_time END),
                       sum({unseen}), {stalls_sql(apart="julianday(p.at) - julianday(p.prev_at)")})
                FROM models m
                JOIN model_snapshots s ON s.run_id = p.run_id AND s.model_id = m.id
                LEFT JOIN model_snapshots ps ON ps.run_id = p.prev_run_id AND ps.model_id = m.id
                WHERE {where})
            FROM p"""
    found = safe_rows(db, sql, [json.dumps(triples)])
    for key, run_id, packed in found:
        row = json.loads(packed)
        if row[0]:  # no model of the subject in that run: no row, as a grouped join gives none
            out[(key, run_id)] = dict(zip(FIELDS, row, strict=True))
    return out


def pair_sums(
    db: Database, triples: list[Triple], *, by: str, keep: str = "1"
) -> dict[tuple[int, int], dict[str, Any]]:
    """`live_sums`, read from `org_run_totals` where a row answers the triple exactly (which sums
    every model: with a `keep` filter every sum is live)."""
    if by != "org" or not triples or keep != "1":
        return live_sums(db, triples, by=by, keep=keep)
    stored = {
        (org_id, run_id): (prev, dict(zip(FIELDS, values, strict=True)))
        for org_id, run_id, prev, *values in db.execute(
            f"""WITH p AS MATERIALIZED (SELECT DISTINCT json_extract(value, '$[0]') AS org_id,
                                               json_extract(value, '$[1]') AS run_id
                                        FROM json_each(?))
                SELECT t.org_id, t.run_id, t.prev_run_id, {", ".join("t." + f for f in FIELDS)}
                FROM p JOIN org_run_totals t ON t.run_id = p.run_id AND t.org_id = p.org_id""",
            [json.dumps([t[:2] for t in triples])],
        ).fetchall()
    }
    out: dict[tuple[int, int], dict[str, Any]] = {}
    missing: list[Triple] = []
    for key, run_id, prev in triples:
        hit = stored.get((key, run_id))
        if hit is not None and hit[0] == prev:
            out[(key, run_id)] = hit[1]
        elif hit is not None and prev is None:  # a level alone: the totals, no period
            out[(key, run_id)] = {**hit[1], **NO_PERIOD}
        else:
            missing.append((key, run_id, prev))
    out.update(live_sums(db, missing, by=by))
    return out


def record(db: Database, *, run_id: int | None = None, org_ids: list[int] | None = None) -> int:
    """(Re)compute the rows of `run_id` (every org it stored), or of every run of `org_ids`, or of
    everything; each against the org's previous stored run in time. Returns the rows written; a
    sum past 64 bits is stored as NULL (see `overflows`)."""
    org_marks = f"({','.join('?' * len(org_ids)) or 'NULL'})" if org_ids is not None else ""
    # Only stored runs are ever read, and a run is stored whole or not at all: every run in the
    # file but the one being written (whose rows come with it) is a stored one. The previous run
    # is the previous in time, not the next lower id: a day backfilled from an archive
    # (store/archive.py) gets a higher id than the live runs after it. A window over each org's
    # snapshots (hundreds of rows an org) finds it.
    inner, inner_args = [], []  # the orgs whose snapshots the window runs over
    if org_ids is not None:
        inner.append(f"o.org_id IN {org_marks}")
        inner_args.extend(org_ids)
    if run_id is not None:
        inner.append("o.org_id IN (SELECT x.org_id FROM org_snapshots x WHERE x.run_id = ?)")
        inner_args.append(run_id)
    pairs = db.execute(
        f"""SELECT p.org_id, p.run_id, p.prev FROM (
                SELECT o.org_id, o.run_id,
                       lag(o.run_id) OVER (PARTITION BY o.org_id ORDER BY r.started_at, o.run_id) AS prev
                FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                {"WHERE " + " AND ".join(inner) if inner else ""}) p
            {"WHERE p.run_id = ?" if run_id is not None else ""}""",
        [*inner_args, *([run_id] if run_id is not None else [])],
    ).fetchall()
    where, args = [], []
    if run_id is not None:
        where.append("run_id = ?")
        args.append(run_id)
    if org_ids is not None:
        where.append(f"org_id IN {org_marks}")
        args.extend(org_ids)
    db.execute(f"DELETE FROM org_run_totals {'WHERE ' + ' AND '.join(where) if where else ''}", args)
    sums = live_sums(db, [tuple(p) for p in pairs], by="org")  # type: ignore[misc]
    # The table's own columns: migration m006 fills it before m013 adds the launch columns (m021 stalls).
    have = {r[1] for r in db.execute("PRAGMA table_info(org_run_totals)").fetchall()}
    fields = [f for f in FIELDS if f in have]
    rows = [
        [org_id, run_id_, prev, *(sums[(org_id, run_id_)][f] for f in fields)]
        for org_id, run_id_, prev in pairs
        if (org_id, run_id_) in sums
    ]
    db.conn.executemany(
        f"""INSERT INTO org_run_totals (org_id, run_id, prev_run_id, {", ".join(fields)})
            VALUES ({", ".join("?" * (3 + len(fields)))})""",
        rows,
    )
    return len(rows)
