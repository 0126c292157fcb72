"""`top`: models ranked by downloads in a period, by growth, by likes gained or by the Hub's
trending score, with each one's rank change since the previous period of the same length.

Words (DESIGN.md, "Words"; docs/schema.md): a model's downloads in a period are the difference
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
    archived,
    kind_filter,
    kind_missing,
    none_of_kind,
    sourced,
    watched_orgs,
)
from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.reports.period import Edges, Snap, edges, last_days, measured, snapshot_before, span
from oss_tracker.store.totals import launch_sql

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

SORTS = {  # what each sort ranks by, in words
    "downloads": "downloads in the period",
    "growth": "growth in the period",
    "likes": "likes gained in the period",
    "trending": "the Hub's trending score",
}
MIN_DOWNLOADS = 1_000  # growth ranks only models with at least this many all-time downloads at the start


@dataclass(frozen=True)
class Account:
    """An account's period (`period.edges`) and the previous period's start snapshot (None where
    the history has no earlier one)."""

    period: Edges
    before: Snap | None

    @property
    def org_id(self) -> int:
        return self.period.org_id


def accounts(
    db: Database, org_ids: list[int], since: date, until: date, *, previous: date | None = None
) -> list[Account]:
    """Each account's period from `since` to `until` (those with no snapshot on or before `until`
    left out), and with `previous` the start of the previous period, which ends where this one
    starts."""
    out = []
    for oid in org_ids:
        period = edges(db, oid, since, until)
        if period is None:
            continue
        before = None
        if previous is not None and period.start is not None:
            earlier = edges(db, oid, previous, since - timedelta(days=1))
            before = earlier.start if earlier is not None else None
        out.append(Account(period, before))
    return out


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
    last `days` days up to the last snapshot), measured by `period.edges`, with their rank in the
    previous period of the same length (for `trending`: the score at the period's start)."""
    from oss_tracker.humanize import human_date

    keep = kind_filter(kind)
    watched = watched_orgs(db, orgs)
    ids = [oid for oid, _ in watched]
    newest = max((s.day for s in (snapshot_before(db, oid, "9999") for oid in ids) if s), default=None)
    if newest is None:
        raise NoData("no snapshot of these organizations yet: run `oss-tracker sync` first")
    last = date.fromisoformat(newest)
    end = min(until, last) if until else last
    start = since if since is not None else last_days(end, days)
    if start > end:
        raise NoData(
            f"the period {start.isoformat()} – {end.isoformat()} is empty: its first day must come before its last"
        )
    length = (end - start).days + 1
    previous_start = start - timedelta(days=length)

    found_accounts = accounts(db, ids, start, end, previous=previous_start)
    # An account with no snapshot on the period's last day (not synced since) would be ranked on an
    # older period than the others: it is left out, and said so.
    stale = [a for a in found_accounts if a.period.end.day != end.isoformat()]
    ranked_accounts = [a for a in found_accounts if a not in stale]
    names = dict(watched)
    found, counts = ranked(db, ranked_accounts, keep, sort, min_downloads, limit)
    compared = any(
        a.period.start is not None if sort == "trending" else a.before is not None for a in ranked_accounts
    )
    by_org = {a.org_id: a for a in ranked_accounts}
    out = []
    for r in found:
        org = by_org[r.pop("org_id")]
        rank, before = r["rank"], r["previous_rank"]
        change = before - rank if before is not None else None
        r["rank_change"] = change
        seen_then = r.pop("at_start")
        compared_here = org.period.start is not None if sort == "trending" else org.before is not None
        if before is None:  # new: first seen in this period; else it had no value then
            r["move"] = "new" if compared_here and not seen_then else ""
        else:
            r["move"] = f"+{change}" if change > 0 else str(change) if change else "="  # type: ignore[operator]
        r["note"] = "new model" if r["launch"] else ""
        out.append(r)
    ranked_n, launches, unseen = counts

    pairs = {(a.period.start.day, a.period.end.day) for a in ranked_accounts if a.period.start is not None}
    title_value = SORTS[sort]
    window = span(start.isoformat(), end.isoformat())
    data = {
        "sort": sort,
        "kind": kind,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "days": length,
        "previous": _previous(sort, compared, ranked_accounts, start, previous_start),
        "min_downloads": min_downloads if sort == "growth" else None,
        "as_of": max((a.period.end.at for a in ranked_accounts), default=None),
        "ranked": ranked_n,
        "shown": len(out),
        "launches": launches,
        "first_seen_not_counted": unseen,
        "left_out": [{"org": names[a.org_id], "last_snapshot": a.period.end.day} for a in stale],
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
    if stale:
        listed = ", ".join(f"{names[a.org_id]} (last {human_date(a.period.end.day)})" for a in stale)
        notes.append(
            f"Note: not ranked, no snapshot on the period's last day ({human_date(end.isoformat())}): {listed}."
        )
    how = measured(start.isoformat(), end.isoformat(), pairs) if sort != "trending" else ""
    footer = [f"period {window}" + (f" ({how})" if how else "")]
    # The snapshots the rank change compares with, as the accounts have them.
    firsts = sorted({a.period.start.day for a in ranked_accounts if a.period.start is not None})
    earlier = sorted(
        {(a.before.day, a.period.start.day) for a in ranked_accounts if a.before and a.period.start}
    )
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
    single = sorted({a.period.end.day for a in ranked_accounts if a.period.start is None})
    if sort != "trending" and not pairs and single:
        empty = (
            f"no period to measure: the history holds one snapshot ({human_date(single[-1])}) up to "
            f"{human_date(end.isoformat())}"
        )
    elif none_of_kind(db, ids, kind):
        empty = kind_missing(kind, [name for _, name in watched])
    else:
        empty = f"no model has {title_value}"
    return Report(
        title=f"Top models by {title_value}, {window}",
        data=data,
        sections=[Section(f"{len(out):,} models by {title_value}{of}", columns, out, empty=empty)],
        footer=" · ".join(footer),
        notes=notes,
    )


def _previous(
    sort: str, compared: bool, accounts: list[Account], start: date, previous_start: date
) -> dict[str, str | None] | None:
    """What the rank change compares with: the previous period (`since`, `until`) and, where every
    account has the same two snapshots, their days (`from`, `to`); for trending, the scores at the
    period's start (`from` = `to`)."""
    if not compared:
        return None
    if sort == "trending":
        days = {a.period.start.day for a in accounts if a.period.start is not None}
        first = days.pop() if len(days) == 1 else None
        day = (start - timedelta(days=1)).isoformat()  # the scores at the period's start: before it
        return {"since": day, "until": day, "from": first, "to": first}
    pairs = {(a.before.day, a.period.start.day) for a in accounts if a.before and a.period.start}
    (lo, hi) = pairs.pop() if len(pairs) == 1 else (None, None)
    until = (start - timedelta(days=1)).isoformat()
    return {"since": previous_start.isoformat(), "until": until, "from": lo, "to": hi}


def _when(moment: str) -> str:
    from oss_tracker.humanize import human_datetime

    return human_datetime(moment)


MODEL_KEYS = ("rank", "previous_rank", "rank_change", "id", "org", "downloads", "growth_pct", "likes_gained",
              "trending", "downloads_all_time", "launch", "from", "to")  # fmt: skip


def ranked(
    db: Database, accounts: list[Account], keep: str, sort: str, floor: int, limit: int
) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """The `limit` best models by `sort` (0: all), each with its values, rank and previous rank; and
    (models ranked, launches, models first seen but not counted). The movers of every report
    (`top`, the digest of `changes`).

    Every model (of the kind kept) with a snapshot at its account's period end or start, its values
    at the end, the start and the previous period's start: three primary-key lookups each. The
    gains and both rankings are worked out in SQL (window functions), so that only the rows shown
    come back. A launch (`store.totals.launch_sql`: absent at the start, created after it) gains
    its whole count. Ties rank by name, ignoring ASCII case."""
    points = [
        [a.org_id, a.period.end.run, a.period.start.run if a.period.start else None,
         a.before.run if a.before else None, a.period.start.at if a.period.start else None,
         a.before.at if a.before else None]
        for a in accounts
    ]  # fmt: skip
    if not points:
        return [], (0, 0, 0)
    launched, unseen = launch_sql(snap="e", prev="s", prev_at="p.start_at")
    launched_before, _ = launch_sql(snap="s", prev="b", prev_at="p.before_at")

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
                       {launched} AS launch, {unseen} AS unseen,
                       CASE WHEN p.start_run IS NOT NULL
                            THEN {gain("e.downloads_all_time", "s.downloads_all_time", "s", launched)} END AS downloads,
                       CASE WHEN p.start_run IS NOT NULL THEN {gain("e.likes", "s.likes", "s", launched)} END AS likes_gained,
                       {growth("e.downloads_all_time", "s.downloads_all_time")} AS growth_pct,
                       s.downloads_all_time AS start_all_time,
                       CASE WHEN {then_when} AND s.model_id IS NOT NULL THEN {then_value} END AS then_value,
                       rs.day AS day0, re.day AS day1
                FROM p JOIN models m ON m.org_id = p.org_id JOIN orgs g ON g.id = m.org_id
                JOIN runs re ON re.id = p.end_run LEFT JOIN runs rs ON rs.id = p.start_run
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
                   downloads_all_time, launch, day0, day1, org_id, at_start, ranked, launches, unseen_n
            FROM r WHERE rank <= :limit OR (:limit = 0 AND rank IS NOT NULL) OR nth = 1
            ORDER BY rank IS NULL, rank""",
        {"points": json.dumps(points), "floor": floor, "limit": limit},
    ).fetchall()
    keys = ("rank", "previous_rank", "id", "org", "downloads", "growth_pct", "likes_gained", "trending",
            "downloads_all_time", "launch", "from", "to", "org_id", "at_start")  # fmt: skip
    # `nth = 1` brings the counts along when no model is ranked at all.
    out = []
    for row in rows:
        if row[0] is None or (limit and row[0] > limit):
            continue
        r = dict(zip(keys, row[:14], strict=True))
        r["growth_pct"] = round(r["growth_pct"], 2) if r["growth_pct"] is not None else None
        r["launch"] = bool(r["launch"])
        out.append(r)
    return out, (rows[0][14], rows[0][15] or 0, rows[0][16] or 0) if rows else (0, 0, 0)
