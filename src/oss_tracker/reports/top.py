"""`top`: models ranked by downloads in a period, by growth, by likes gained or by the Hub's
trending score, with each one's rank change since the previous period of the same length.

Words (see DESIGN.md and docs/schema.md): a model's downloads in a period are the difference
of its all-time counts at the period's two snapshots; a model launched in the period (absent
at its start, created after it) counts its whole all-time count; one first seen in the period
but created before it is not ranked (its downloads before it was seen are unknown) and is
counted as such. Likes gained follow the same rule. Each account is measured between its own
snapshots on or before the period's first and last days (the same days, unless an account
missed one). Reads a few snapshot rows per model: three primary-key lookups, whatever the
length of the history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    STORED_RUN,
    archived,
    created,
    kind_filter,
    sourced,
    watched_orgs,
)
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

SORTS = {  # what each sort ranks by, in words
    "downloads": "downloads in the period",
    "growth": "growth in the period",
    "likes": "likes gained in the period",
    "trending": "the Hub's trending score",
}
MIN_DOWNLOADS = 1_000  # growth ranks only models with at least this many all-time downloads at the start


@dataclass
class _Org:
    """An account's snapshots for the period: (day, run, run start) at its end, its start and the
    previous period's start (None where the history has no earlier snapshot)."""

    org_id: int
    end: tuple[str, int, str]
    start: tuple[str, int, str]
    before: tuple[str, int, str] | None


def _at(db: Database, org_id: int, day: str) -> tuple[str, int, str] | None:
    """The org's last snapshot on or before `day`: (day, run, run start), or None.

    The runs newest first from that day back (index runs_started; a run's day is its start's),
    each probed for the org by primary key: one or two index steps for an org synced daily,
    where sorting the org's own snapshots reads all of them."""
    row = db.execute(
        f"""SELECT r.day, r.id, r.started_at FROM runs r
            WHERE r.started_at < date(?, '+1 day') AND r.day <= ? AND {STORED_RUN}
              AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.run_id = r.id AND o.org_id = ?)
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        [day, day, org_id],
    ).fetchone()
    return (str(row[0]), int(row[1]), str(row[2])) if row else None


def _newest_day(db: Database, org_ids: list[int]) -> str | None:
    """The last day a stored run stored one of these orgs (the runs newest first, each probed)."""
    row = db.execute(
        f"""SELECT r.day FROM runs r
            WHERE {STORED_RUN} AND EXISTS (SELECT 1 FROM org_snapshots o
                                          WHERE o.run_id = r.id AND o.org_id IN ({",".join("?" * len(org_ids))}))
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        org_ids,
    ).fetchone()
    return str(row[0]) if row else None


def _first(db: Database, org_id: int) -> tuple[str, int, str] | None:
    """The org's first snapshot day and that day's last run."""
    row = db.execute(
        f"""SELECT r.day FROM runs r
            WHERE {STORED_RUN} AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.run_id = r.id AND o.org_id = ?)
            ORDER BY r.started_at, r.id LIMIT 1""",
        [org_id],
    ).fetchone()
    return _at(db, org_id, str(row[0])) if row else None


@sourced
def top(
    db: Database,
    *,
    orgs: list[str] | None = None,
    sort: str = "downloads",
    days: int = 7,
    since: date | None = None,
    until: date | None = None,
    kind: str = "all",
    min_downloads: int = MIN_DOWNLOADS,
    limit: int = 20,
) -> Report:
    """The models of these orgs ranked by `sort` over the period [since, until] (default: the
    `days` days up to the last snapshot), with their rank in the previous period of the same
    length (for `trending`: the score at the period's first snapshot)."""
    from oss_tracker.humanize import human_date

    keep = kind_filter(kind)
    watched = watched_orgs(db, orgs)
    ids = [oid for oid, _ in watched]
    newest = _newest_day(db, ids)
    if newest is None:
        raise NoData("no snapshot of these organizations yet: run `oss-tracker sync` first")
    last = date.fromisoformat(newest)
    end = min(until, last) if until else last
    start = since if since is not None else end - timedelta(days=days)
    if start >= end:
        raise NoData(
            f"the period {start.isoformat()} – {end.isoformat()} is empty: its first day must come before its last"
        )
    length = (end - start).days
    previous_start = start - timedelta(days=length)

    accounts: list[_Org] = []
    for oid, _name in watched:
        at_end = _at(db, oid, end.isoformat())
        if at_end is None:
            continue  # not tracked yet on the period's last day
        at_start = _at(db, oid, start.isoformat()) or _first(db, oid)
        before = _at(db, oid, previous_start.isoformat()) or _first(db, oid)
        if at_start is None or at_start[1] == at_end[1]:
            at_start = at_end  # one snapshot: no period
        if before is None or before[1] == at_start[1] or at_start is at_end:
            before = None
        accounts.append(_Org(oid, at_end, at_start, before))

    found, counts = _ranked(db, accounts, keep, sort, min_downloads, limit)
    compared = any(a.start is not a.end if sort == "trending" else a.before is not None for a in accounts)
    by_org = {a.org_id: a for a in accounts}
    out = []
    for r in found:
        org = by_org[r.pop("org_id")]
        rank, before = r["rank"], r["previous_rank"]
        change = before - rank if before is not None else None
        r["rank_change"] = change
        r["growth_pct"] = round(r["growth_pct"], 2) if r["growth_pct"] is not None else None
        r["launch"] = bool(r["launch"])
        r["from"], r["to"] = (org.start[0] if org.start is not org.end else None), org.end[0]
        seen_then = r.pop("at_start")
        compared_here = org.start is not org.end if sort == "trending" else org.before is not None
        if before is None:  # new: first seen in this period; else it had no value then
            r["move"] = "new" if compared_here and not seen_then else ""
        else:
            r["move"] = f"+{change}" if change > 0 else str(change) if change else "="  # type: ignore[operator]
        r["note"] = "new model" if r["launch"] else ""
        out.append(r)
    ranked_n, launches, unseen = counts

    periods = {(a.start[0], a.end[0]) for a in accounts if a.start is not a.end}
    title_value = SORTS[sort]
    window = f"{human_date(start.isoformat())} – {human_date(end.isoformat())}"
    data = {
        "sort": sort,
        "kind": kind,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "days": length,
        "previous": _previous(sort, compared, accounts, start, previous_start),
        "min_downloads": min_downloads if sort == "growth" else None,
        "as_of": max((a.end[2] for a in accounts), default=None),
        "ranked": ranked_n,
        "shown": len(out),
        "launches": launches,
        "first_seen_not_counted": unseen,
        "models": [{k: item[k] for k in MODEL_KEYS} for item in out],
    }
    notes = []
    if unseen and sort != "trending":
        many = unseen > 1
        notes.append(
            f"Note: {unseen} model{'s' if many else ''} first seen in the period had been created before it "
            f"(made public late, moved in, newly watched): {'their' if many else 'its'} downloads until then "
            f"are unknown, so {'they are' if many else 'it is'} not ranked."
        )
    late = sorted(s for s, _ in periods if s > start.isoformat())
    footer = [f"period {window}" + (f" (history starts {human_date(late[0])})" if late else "")]
    # The snapshots the rank change compares with, as the accounts have them.
    firsts = sorted({a.start[0] for a in accounts if a.start is not a.end})
    earlier = sorted({(a.before[0], a.start[0]) for a in accounts if a.before is not None})
    if not compared:
        footer.append("no earlier snapshot in the history: no rank change")
    elif sort == "trending":
        footer.append(f"rank change since {human_date(firsts[0])}")
    elif len(earlier) == 1:
        footer.append(f"rank change since {human_date(earlier[0][0])} – {human_date(earlier[0][1])}")
    else:
        footer.append(
            f"rank change since {human_date(previous_start.isoformat())} – {human_date(start.isoformat())}"
        )
    if len(periods) > 1:
        footer.append(
            "an account that missed a day is measured between its own snapshots (from/to in the JSON)"
        )
    if sort in ("downloads", "growth"):
        footer.append("downloads = difference of all-time counts; a model created in the period counts whole")
    if sort == "growth":
        footer.append(f"growth ranks models with at least {min_downloads:,} all-time downloads at the start")
    if sort == "likes":
        footer.append("likes = likes gained; a model created in the period counts whole")
    if sort == "trending":
        footer.append("trending = the Hub's trendingScore at the last snapshot")
    if data["as_of"]:
        footer.append(f"as of {_when(data['as_of'])}")
    if note := archived(db, ids, start.isoformat(), end.isoformat()):
        footer.append(note)
    columns = [
        Column("rank", "Rank", "int"),
        Column("move", "Move", csv=False),
        Column("previous_rank", "Previous rank", "int", table=False),
        Column("rank_change", "Rank change", "delta", table=False),
        Column("id", "Model"),
        Column("org", "Org", table=False),
        Column("downloads", "Downloads", "delta"),
        Column("growth_pct", "Growth", "pct"),
        Column("likes_gained", "Likes", "delta"),
        Column("trending", "Trending", "float"),
        Column("downloads_all_time", "All-time", "int", table=False),
        Column("launch", "Launch", "bool", table=False),
        Column("from", "From", "date", table=False),
        Column("to", "To", "date", table=False),
        Column("note", "Note", csv=False),
    ]
    of = f" (of {ranked_n:,})" if len(out) < ranked_n else ""
    return Report(
        title=f"Top models by {title_value}, {window}",
        data=data,
        sections=[
            Section(
                f"{len(out):,} models by {title_value}{of}",
                columns,
                out,
                empty=f"no model has {title_value} in this period",
            )
        ],
        footer=" · ".join(footer),
        notes=notes,
    )


def _previous(
    sort: str, compared: bool, accounts: list[_Org], start: date, previous_start: date
) -> dict[str, str | None] | None:
    """What the rank change compares with: the previous period (`since`, `until`) and, where every
    account has the same two snapshots, their days (`from`, `to`); for trending, the scores at the
    period's first snapshot (`from` = `to`)."""
    if not compared:
        return None
    if sort == "trending":
        days = {a.start[0] for a in accounts if a.start is not a.end}
        first = days.pop() if len(days) == 1 else None
        return {"since": start.isoformat(), "until": start.isoformat(), "from": first, "to": first}
    pairs = {(a.before[0], a.start[0]) for a in accounts if a.before is not None}
    (lo, hi) = pairs.pop() if len(pairs) == 1 else (None, None)
    return {"since": previous_start.isoformat(), "until": start.isoformat(), "from": lo, "to": hi}


def _when(moment: str) -> str:
    from oss_tracker.humanize import human_datetime

    return human_datetime(moment)


MODEL_KEYS = ("rank", "previous_rank", "rank_change", "id", "org", "downloads", "growth_pct", "likes_gained",
              "trending", "downloads_all_time", "launch", "from", "to")  # fmt: skip


def _ranked(
    db: Database, accounts: list[_Org], keep: str, sort: str, floor: int, limit: int
) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """The `limit` best models by `sort` (0: all), each with its values, rank and previous rank; and
    (models ranked, launches, models first seen but not counted).

    Every model (of the kind kept) with a snapshot at its account's period end or start, its values
    at the end, the start and the previous period's start: three primary-key lookups each. The
    gains and both rankings are worked out in SQL (window functions), so that only the rows shown
    come back. Ties rank by name, ignoring ASCII case."""
    points = [
        [a.org_id, a.end[1], None if a.start is a.end else a.start[1], a.before[1] if a.before else None,
         a.start[2], a.before[2] if a.before else None]
        for a in accounts
    ]  # fmt: skip
    # A launch (absent at the start, created after it) gains its whole count, and so on before.
    made = created()
    launched = (
        "(s.model_id IS NULL AND p.start_run IS NOT NULL AND e.downloads_all_time IS NOT NULL "
        f"AND coalesce({made} > p.start_at, 0))"
    )
    launched_before = (
        "(b.model_id IS NULL AND p.before_run IS NOT NULL AND s.downloads_all_time IS NOT NULL "
        f"AND coalesce({made} > p.before_at, 0))"
    )

    def gain(now: str, then: str, seen: str, launch: str) -> str:
        return f"CASE WHEN {seen}.model_id IS NOT NULL THEN {now} - {then} WHEN {launch} THEN {now} END"

    def growth(now: str, then: str, floor: str = "1") -> str:
        return f"CASE WHEN {then} >= max({floor}, 1) THEN 100.0 * ({now} - {then}) / {then} END"

    now_value, then_value = {
        "downloads": (
            "downloads",
            gain("s.downloads_all_time", "b.downloads_all_time", "b", launched_before),
        ),
        "growth": (
            "CASE WHEN start_all_time >= max(:floor, 1) THEN growth_pct END",
            growth("s.downloads_all_time", "b.downloads_all_time", ":floor"),
        ),
        "likes": ("likes_gained", gain("s.likes", "b.likes", "b", launched_before)),
        "trending": ("trending", "s.trending"),
    }[sort]
    # The previous value needs the start (and, but for trending, the snapshot before it).
    then_when = "p.start_run IS NOT NULL" if sort == "trending" else "p.before_run IS NOT NULL"
    rank = "CASE WHEN {v} IS NOT NULL THEN row_number() OVER (PARTITION BY {v} IS NULL ORDER BY {v} DESC, lower(repo_id), repo_id) END"
    rows = db.execute(
        f"""WITH p AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS org_id, json_extract(value, '$[1]') AS end_run,
                       json_extract(value, '$[2]') AS start_run, json_extract(value, '$[3]') AS before_run,
                       json_extract(value, '$[4]') AS start_at, json_extract(value, '$[5]') AS before_at
                FROM json_each(:points)
            ), v AS (
                SELECT p.org_id, m.repo_id, g.name AS org, e.model_id IS NOT NULL AS at_end,
                       s.model_id IS NOT NULL AS at_start, e.downloads_all_time, e.trending,
                       {launched} AS launch,
                       (p.start_run IS NOT NULL AND s.model_id IS NULL AND NOT {launched}) AS unseen,
                       CASE WHEN p.start_run IS NOT NULL
                            THEN {gain("e.downloads_all_time", "s.downloads_all_time", "s", launched)} END AS downloads,
                       CASE WHEN p.start_run IS NOT NULL THEN {gain("e.likes", "s.likes", "s", launched)} END AS likes_gained,
                       {growth("e.downloads_all_time", "s.downloads_all_time")} AS growth_pct,
                       s.downloads_all_time AS start_all_time,
                       CASE WHEN {then_when} AND s.model_id IS NOT NULL THEN {then_value} END AS then_value
                FROM p JOIN models m ON m.org_id = p.org_id JOIN orgs g ON g.id = m.org_id
                LEFT JOIN model_snapshots e ON e.run_id = p.end_run AND e.model_id = m.id
                LEFT JOIN model_snapshots s ON s.run_id = p.start_run AND s.model_id = m.id
                LEFT JOIN model_snapshots b ON b.run_id = p.before_run AND b.model_id = m.id
                WHERE (e.model_id IS NOT NULL OR s.model_id IS NOT NULL) AND {keep}
            ), w AS (
                SELECT v.*, CASE WHEN at_end THEN {now_value} END AS now_value FROM v
            ), r AS (
                SELECT w.*, {rank.format(v="now_value")} AS rank, {rank.format(v="then_value")} AS previous_rank,
                       count(now_value) OVER () AS ranked, sum(launch) OVER () AS launches,
                       sum(unseen) OVER () AS unseen_n, row_number() OVER () AS nth
                FROM w
            )
            SELECT rank, previous_rank, repo_id, org, downloads, growth_pct, likes_gained, trending,
                   downloads_all_time, launch, org_id, at_start, ranked, launches, unseen_n
            FROM r WHERE rank <= :limit OR (:limit = 0 AND rank IS NOT NULL) OR nth = 1
            ORDER BY rank IS NULL, rank""",
        {"points": json.dumps(points), "floor": floor, "limit": limit},
    ).fetchall()
    keys = ("rank", "previous_rank", "id", "org", "downloads", "growth_pct", "likes_gained", "trending",
            "downloads_all_time", "launch", "org_id", "at_start")  # fmt: skip
    # `nth = 1` brings the counts along when no model is ranked at all.
    out = [
        dict(zip(keys, row[:12], strict=True))
        for row in rows
        if row[0] is not None and (not limit or row[0] <= limit)
    ]
    return out, (rows[0][12], rows[0][13] or 0, rows[0][14] or 0) if rows else (0, 0, 0)
