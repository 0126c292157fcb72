"""Time series from the snapshots: days, buckets, period downloads, drops and gaps.

Words (see DESIGN.md, "Words"): a day's value is the LAST run of that UTC day that stored the
org; *downloads in a period* are the difference of all-time counts between two
snapshots, summed over the models present in both, plus the whole all-time count of each
model launched in between (created after the first snapshot: zero downloads then); a
model first seen in between but created before it is left out and counted
(`first_seen_not_counted`). A model whose all-time count went down is a *drop*: counted
as it is (never clamped) and listed. A bucket (day, week, month) without a snapshot is a
*gap*: no value, never a zero.

Reads only SQLite, set-based: one query for the snapshot days of the chosen orgs, one
for the values of every chosen point (the points travel as one JSON parameter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import STORED_RUN, total
from oss_tracker.reports.period import snapshot_before
from oss_tracker.store.totals import pair_sums, safe_rows

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


ORG_ONLY = ("models", "followers")


@dataclass
class Point:
    """One bucket of a series. `gap` when no snapshot fell in it (then no values)."""

    period: str  # 2025-11-24 | 2025-W48 | 2025-11
    period_start: str  # ISO date of the bucket's first day
    date: str | None = None  # the snapshot day used (the last one in the bucket)
    as_of: str | None = None  # that snapshot's run start (UTC)
    gap: bool = True
    # the level: all-time downloads, likes, models, followers; for derivatives the sum of each
    # current model's latest count on or before the day (carried forward)
    total: int | None = None
    change: int | None = None  # since the previous point (downloads: the period downloads)
    days: int | None = None  # days since the previous point's snapshot
    per_day: float | None = None
    growth_pct: float | None = None
    drops: int = 0  # models whose all-time count went down since the previous point
    # Derivatives only (`coverage`): the org's current models that day, those counted on or before
    # it (the level's coverage), and those counted that very day.
    coverage: bool = False
    counted: int | None = None
    models: int | None = None
    refreshed: int | None = None
    # Downloads only (`launch`): models launched since the previous point (counted whole), their
    # all-time counts (part of `change`), and models first seen since then but created before it.
    launch: bool = False
    launches: int = 0
    launch_downloads: int | None = None
    first_seen_not_counted: int = 0
    stalls: int = 0  # models whose all-time count stood still while downloaded (store/totals.py)
    # Shares only (`share`, see `shares`): the group's downloads in the period, and this one's share.
    share: bool = False
    group_downloads: int | None = None
    share_pct: float | None = None
    run_id: int | None = None  # internal
    base: int | None = None  # internal: the previous level the growth is measured on

    def public(self) -> dict[str, Any]:
        cover = (
            {"counted": self.counted, "models": self.models, "refreshed": self.refreshed}
            if self.coverage
            else {}
        )
        launch = (
            {
                "launches": self.launches,
                "launch_downloads": self.launch_downloads,
                "first_seen_not_counted": self.first_seen_not_counted,
                "stalls": self.stalls,
            }
            if self.launch
            else {}
        )
        return {
            "period": self.period,
            "period_start": self.period_start,
            "date": self.date,
            "as_of": self.as_of,
            "gap": self.gap,
            "total": self.total,
            **cover,
            "change": self.change,
            "days": self.days,
            "per_day": self.per_day,
            "growth_pct": self.growth_pct,
            "drops": self.drops,
            **launch,
            **({"group_downloads": self.group_downloads, "share_pct": self.share_pct} if self.share else {}),
        }


@dataclass
class Drop:
    """A model whose all-time download count went down between two snapshots."""

    org: str
    model: str
    before_date: str
    after_date: str
    before: int
    after: int

    def public(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "model": self.model,
            "from": self.before_date,
            "to": self.after_date,
            "before": self.before,
            "after": self.after,
            "change": self.after - self.before,
        }


@dataclass
class Series:
    org: str
    model: str | None  # repo id for a model's series
    points: list[Point] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    # The whole window, first (or the snapshot before it) to last snapshot.
    window_from: str | None = None
    window_to: str | None = None
    window_change: int | None = None
    window_growth_pct: float | None = None
    window_base: int | None = None  # the level the window's growth is measured on (downloads)
    # Downloads: the launch counts of the window's one pair (see Point), None for other metrics.
    window_launch: dict[str, int | None] | None = None
    window_share_pct: float | None = None  # shares: the window's downloads over the group's
    # Several accounts summed (`combine`): those whose history starts inside the window, each with
    # its first snapshot day, counted from there.
    counted_from: list[tuple[str, str]] = field(default_factory=list)
    summed: bool = False  # made by `combine`

    @property
    def name(self) -> str:
        return self.model or self.org

    @property
    def snapshots(self) -> int:
        return sum(1 for p in self.points if not p.gap)

    @property
    def gaps(self) -> int:
        return sum(1 for p in self.points if p.gap)


# -- calendar ---------------------------------------------------------------------------
def bucket(day: date, interval: str) -> tuple[str, date]:
    """The bucket's label and first day."""
    if interval == "day":
        return day.isoformat(), day
    if interval == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}", day - timedelta(days=day.weekday())
    if interval == "month":
        return f"{day.year}-{day.month:02d}", day.replace(day=1)
    raise ValueError(f"unknown interval {interval!r}")


def buckets(start: date, end: date, interval: str) -> list[tuple[str, date]]:
    """Every bucket from the one holding `start` to the one holding `end`, in order."""
    out: list[tuple[str, date]] = []
    label, first = bucket(start, interval)
    while first <= end:
        out.append((label, first))
        if interval == "day":
            nxt = first + timedelta(days=1)
        elif interval == "week":
            nxt = first + timedelta(days=7)
        else:
            nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        label, first = bucket(nxt, interval)
    return out


def _days_between(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


# -- availability: which day holds which snapshot ----------------------------------------
def org_days(
    db: Database, org_ids: list[int], since: date | None = None
) -> dict[int, dict[str, tuple[int, str]]]:
    """For each org, day -> (run id, run start) of the last stored run of that day.

    With `since`, only what a series from that day needs: the days from `since` on, the last
    day before it and the org's first day (two years of history hold ~700 days an org)."""
    out: dict[int, dict[str, tuple[int, str]]] = {o: {} for o in org_ids}
    if not org_ids:
        return out
    marks = ",".join("?" * len(org_ids))
    if since is None:
        picked = f"SELECT org_id, run_id FROM org_snapshots WHERE org_id IN ({marks})"
        args: list[Any] = list(org_ids)
    else:
        # By day, not by run id (a day backfilled from an archive gets a higher id than the live
        # runs after it): the window's runs from the runs_day index (CROSS JOIN: those runs
        # first, then each one's org rows by primary key); the day before the window and the
        # first day from each org's own rows (a row a day: hundreds a year). Every run in the
        # file is a stored one: a run is stored whole or not at all.
        bound = f"""SELECT g.id AS org_id, (SELECT {{agg}}(y.day) FROM org_snapshots x JOIN runs y ON y.id = x.run_id
                                          WHERE x.org_id = g.id {{cond}}) AS day
                    FROM orgs g WHERE g.id IN ({marks})"""
        picked = f"""SELECT x.org_id, x.run_id FROM runs y CROSS JOIN org_snapshots x ON x.run_id = y.id
                     WHERE y.day >= ? AND x.org_id IN ({marks})
                     UNION SELECT f.org_id, x.run_id FROM ({bound.format(agg="max", cond="AND y.day < ?")}
                                                          UNION {bound.format(agg="min", cond="")}) f
                           CROSS JOIN runs y ON y.day = f.day
                           CROSS JOIN org_snapshots x ON x.run_id = y.id AND x.org_id = f.org_id"""
        since_day = since.isoformat()
        args = [since_day, *org_ids, since_day, *org_ids, *org_ids]
    # A day's value is its last run (by start; the higher id between runs of one start).
    for org_id, day, run_id, as_of, _ in db.execute(
        f"""WITH o(org_id, run_id) AS ({picked})
            SELECT o.org_id, r.day, o.run_id, r.started_at, max(r.started_at || printf('%020d', o.run_id))
            FROM o JOIN runs r ON r.id = o.run_id
            WHERE {STORED_RUN}
            GROUP BY o.org_id, r.day""",
        args,
    ).fetchall():
        out[org_id][day] = (run_id, as_of)
    return out


def model_days(db: Database, model_id: int) -> dict[str, tuple[int, str]]:
    """Day -> (run id, run start) of the last stored run of that day that saw the model."""
    return {
        day: (run_id, as_of)
        for day, run_id, as_of, _ in db.execute(
            f"""SELECT r.day, s.run_id, r.started_at, max(r.started_at || printf('%020d', s.run_id))
                FROM model_snapshots s JOIN runs r ON r.id = s.run_id
                WHERE s.model_id = ? AND {STORED_RUN}
                GROUP BY r.day""",
            [model_id],
        ).fetchall()
    }


def derivative_days(
    db: Database, *, org_id: int | None = None, model_id: int | None = None
) -> dict[str, tuple[int, str]]:
    """Day -> (run id, run start) of the last stored run of that day that stored the org (or saw
    the model), for the days a derivative series has a point.

    A sync refreshes derivative counts in rotation, so on a given day only some models are
    counted: a day is a point when a stored run stored the org (saw the model) and that day's
    runs counted derivatives at all, whichever models they reached. It is a gap when no run
    stored the org, or when none of the day's runs counted any derivative (`--derivatives none`):
    then the day holds no derivative information. The series starts at the subject's first count.
    """
    if model_id is not None:
        table, column, key = "model_snapshots", "model_id", model_id
        first = "SELECT min(day) FROM derivative_counts WHERE model_id = ?"
    else:
        table, column, key = "org_snapshots", "org_id", org_id
        first = (
            "SELECT min(d.day) FROM models m JOIN derivative_counts d ON d.model_id = m.id WHERE m.org_id = ?"
        )
    return {
        day: (run_id, as_of)
        for day, run_id, as_of in db.execute(
            f"""WITH seen AS (
                    SELECT r.id, r.day, r.started_at FROM {table} s JOIN runs r ON r.id = s.run_id
                    WHERE s.{column} = ? AND {STORED_RUN} AND r.day >= ({first})
                )
                SELECT day, id, max(started_at) FROM seen
                WHERE day IN (SELECT x.day FROM seen x
                              WHERE EXISTS (SELECT 1 FROM derivative_counts d WHERE d.run_id = x.id))
                GROUP BY day""",
            [key, key],
        ).fetchall()
    }


def derivative_points(
    db: Database, triples: list[tuple[int, str, str | None]], *, by: str
) -> dict[tuple[int, str, str | None], dict[str, int | None]]:
    """For (org or model id, day, previous day) triples: the level at `day`, its coverage, and the
    change since `previous day` over the models counted at both.

    - models: the subject's current models that day (first seen by then, not removed by then);
    - counted: those with a count on or before that day; level: the sum of each one's latest
      count on or before that day (a count stands until the model is counted again);
    - refreshed: those counted on that very day;
    - change / base: the sum of (latest count at `day` - latest count at `previous day`) and of
      the earlier counts, over the models counted at both. A model's first count is coverage,
      not growth; a model removed by `day` leaves the comparison, it does not shrink it.
    """
    if not triples:
        return {}
    where = "m.org_id = p.key" if by == "org" else "m.id = p.key"
    latest = (
        "(SELECT x.{col} FROM derivative_counts x WHERE x.model_id = m.id AND x.day <= p.{at} "
        "ORDER BY x.day DESC LIMIT 1)"
    )
    out: dict[tuple[int, str, str | None], dict[str, int | None]] = {}
    for key, day, prev, packed in safe_rows(
        db,
        f"""WITH p AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS key, json_extract(value, '$[1]') AS day,
                       json_extract(value, '$[2]') AS prev
                FROM json_each(?)
            )
            SELECT p.key, p.day, p.prev, (
                SELECT json_array(count(*), count(c.cur), sum(c.cur), sum(c.cur_day = p.day),
                       sum(c.cur - c.prv), sum(CASE WHEN c.cur IS NOT NULL THEN c.prv END))
                FROM (SELECT {latest.format(col="total", at="day")} AS cur,
                             {latest.format(col="day", at="day")} AS cur_day,
                             {latest.format(col="total", at="prev")} AS prv
                      FROM models m
                      WHERE {where} AND substr(m.first_seen, 1, 10) <= p.day
                        AND (m.removed_at IS NULL OR substr(m.removed_at, 1, 10) > p.day)) c)
            FROM p""",
        [json.dumps(triples)],
    ):
        models, counted, level, refreshed, change, base = json.loads(packed)
        out[(key, day, prev)] = {
            "models": models,
            "counted": counted,
            "level": level if counted else None,
            "refreshed": refreshed or 0,
            "change": change,
            "base": base,
        }
    return out


# -- choosing points ----------------------------------------------------------------------
def choose(
    days: list[str], start: date, end: date, interval: str
) -> tuple[str | None, list[tuple[str, date, str | None]]]:
    """The day before the window (or None) and, for each bucket, its last day in the window."""
    lo, hi = start.isoformat(), end.isoformat()
    inside: dict[str, str] = {}
    before = None
    for day in sorted(days):
        if day < lo:
            before = day
        elif day <= hi:
            inside[bucket(date.fromisoformat(day), interval)[0]] = day  # sorted: the last wins
    return before, [(label, first, inside.get(label)) for label, first in buckets(start, end, interval)]


# -- values --------------------------------------------------------------------------------
def pair_drops(
    db: Database, pairs: list[tuple[int, int, int | None]], *, by: str, keep: str = "1"
) -> list[tuple]:
    """(key, run, org, repo id, before, after) for every all-time count that went down (of the
    models `keep` keeps)."""
    pairs = [p for p in pairs if p[2] is not None]
    if not pairs:
        return []
    source = (
        "CROSS JOIN models m ON m.org_id = p.key" if by == "org" else "CROSS JOIN models m ON m.id = p.key"
    )
    return db.execute(
        f"""WITH p AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS key, json_extract(value, '$[1]') AS run_id,
                       json_extract(value, '$[2]') AS prev_run_id
                FROM json_each(?)
            )
            SELECT p.key, p.run_id, g.name, m.repo_id, ps.downloads_all_time, s.downloads_all_time
            FROM p {source}
            JOIN model_snapshots s ON s.run_id = p.run_id AND s.model_id = m.id
            JOIN model_snapshots ps ON ps.run_id = p.prev_run_id AND ps.model_id = m.id
            JOIN orgs g ON g.id = m.org_id JOIN runs r ON r.id = p.run_id
            WHERE s.downloads_all_time < ps.downloads_all_time AND {keep}
            ORDER BY r.started_at, p.run_id, m.repo_id""",
        [json.dumps(pairs)],
    ).fetchall()


def org_levels(
    db: Database, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int | None, int | None]]:
    """(org, run) -> (models listed, followers) from the org snapshots."""
    if not pairs:
        return {}
    return {
        (row[0], row[1]): (row[2], row[3])
        for row in db.execute(
            """WITH p AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS org_id,
                                               json_extract(value, '$[1]') AS run_id FROM json_each(?))
               SELECT p.org_id, p.run_id, o.listed, o.followers
               FROM p JOIN org_snapshots o ON o.run_id = p.run_id AND o.org_id = p.org_id""",
            [json.dumps(pairs)],
        ).fetchall()
    }


# -- a series -------------------------------------------------------------------------------
@dataclass
class Subject:
    """What a series follows: an org, or one model."""

    org: str
    org_id: int
    model: str | None = None
    model_id: int | None = None
    last_day: str | None = None  # a removed model's series stops at its last snapshot

    @property
    def key(self) -> int:
        return self.model_id if self.model_id is not None else self.org_id


@dataclass
class _Plan:
    series: Series
    subject: Subject
    days: dict[str, Any]  # day -> (run id, as_of)
    before: str | None  # the last snapshot day before the window
    points: list[Point]

    def run(self, day: str) -> int:
        return self.days[day][0]


def build(
    db: Database,
    subjects: list[Subject],
    *,
    metric: str,
    interval: str,
    since: date | None,
    until: date | None,
    only_days: dict[int, dict[str, tuple[int, str]]] | None = None,
    available: dict[int, dict[str, tuple[int, str]]] | None = None,
    keep: str = "1",
) -> tuple[list[Series], date | None, date | None]:
    """A series per subject over [since, until], clamped to the stored history.

    Returns the series and the window covered ((None, None) when nothing is stored).
    A series starts at its own first snapshot: not yet tracked is not a gap. With `only_days`
    (subject key -> day -> (run id, run start), e.g. `common_days`), a series has points only
    on those days; the window still spans every stored day, so a day left out is a gap.
    `available`: the subjects' days as `only_days` was made from (read here otherwise).
    `keep`: downloads of the models that SQL on `m` keeps (one kind) alone.
    """
    by = "model" if subjects and subjects[0].model_id is not None else "org"
    if available is not None:
        avail = available
    elif metric == "derivatives":
        avail = {s.key: derivative_days(db, org_id=s.org_id, model_id=s.model_id) for s in subjects}
    elif by == "org":
        avail = dict(org_days(db, [s.org_id for s in subjects], None if only_days is not None else since))
    else:
        avail = {s.key: model_days(db, s.model_id) for s in subjects}  # type: ignore[arg-type]
    out = [Series(s.org, s.model) for s in subjects]
    every_day = sorted({d for days in avail.values() for d in days})
    if only_days is not None:
        avail = only_days
    if not every_day:
        return out, None, None
    first_any, last_any = date.fromisoformat(every_day[0]), date.fromisoformat(every_day[-1])
    start = max(since, first_any) if since else first_any
    end = min(until, last_any) if until else last_any
    if start > end:
        return out, None, None

    plans: list[_Plan] = []
    for series, s in zip(out, subjects, strict=True):
        days = avail.get(s.key, {})
        own = sorted(days)
        if not own:
            continue
        own_start = max(start, date.fromisoformat(own[0]))
        own_end = min(end, date.fromisoformat(s.last_day)) if s.last_day else end
        if own_start > own_end:
            continue
        before, chosen = choose(own, own_start, own_end, interval)
        if by == "model" and metric == "downloads" and before is None:
            # A model's first point is measured from its account's last snapshot before it, as an
            # account's period is (`period`): absent then, it is a launch (counted whole) or first
            # seen but created before (left out, counted), never a point without a change.
            prior = snapshot_before(db, s.org_id, own[0])
            if prior is not None:
                days = {**days, prior.day: (prior.run, prior.at)}
                before = prior.day
        if before is None:
            # No snapshot before the window: it starts at the first snapshot in it (the rule of
            # `period`), also where that day is not a point (a week's or month's last day is).
            first = next((d for d in own if d >= own_start.isoformat()), None)
            first_point = next((day for _, _, day in chosen if day is not None), None)
            if first is not None and first_point is not None and first < first_point:
                before = first
        series.points = [
            Point(label, first.isoformat(), date=day, gap=day is None, coverage=metric == "derivatives",
                  launch=metric == "downloads")
            for label, first, day in chosen
        ]  # fmt: skip
        for p in series.points:
            if p.date is not None:
                p.run_id, p.as_of = days[p.date]
        plans.append(_Plan(series, s, days, before, series.points))

    if metric == "downloads":
        _downloads(db, plans, by=by, keep=keep)
    elif metric == "derivatives":
        _derivatives(db, plans, by=by)
    else:
        _levels(db, plans, metric=metric, by=by)
    return out, start, end


def _downloads(db: Database, plans: list[_Plan], *, by: str, keep: str = "1") -> None:
    """Each point's period downloads since the previous point: over the models present in both, plus
    the launches between (`store.totals`)."""
    triples: list[tuple[int, int, int | None]] = []
    windows: list[tuple[int, int, int]] = []
    for plan in plans:
        key = plan.subject.key
        prev = plan.run(plan.before) if plan.before else None
        real = [p for p in plan.points if not p.gap]
        for p in real:
            triples.append((key, p.run_id, prev))  # type: ignore[arg-type]
            prev = p.run_id
        if real:
            first_day = plan.before or real[0].date
            plan.series.window_from, plan.series.window_to = first_day, real[-1].date
            first_run = plan.run(first_day)  # type: ignore[arg-type]
            if first_run != real[-1].run_id:
                windows.append((key, real[-1].run_id, first_run))  # type: ignore[arg-type]
    sums = pair_sums(db, triples, by=by, keep=keep)
    dated: dict[tuple[int, int], tuple[Series, str]] = {}
    for plan in plans:
        prev_day = plan.before
        for p in plan.points:
            if p.gap:
                continue
            v = sums.get((plan.subject.key, p.run_id), {})  # type: ignore[arg-type]
            p.total = v.get("downloads_all_time")
            if prev_day is not None:
                p.change, p.base, p.drops = v.get("downloads"), v.get("base"), v.get("drops", 0)
                _launches(p, v)
                dated[(plan.subject.key, p.run_id)] = (plan.series, prev_day)  # type: ignore[index]
            _finish(p, prev_day)
            prev_day = p.date
    # The detail query only for the pairs whose sums saw a drop: usually none.
    dropped = [t for t in triples if sums.get((t[0], t[1]), {}).get("drops")]
    for key, run_id, org, repo, before_v, after_v in pair_drops(db, dropped, by=by, keep=keep):
        series, d0 = dated[(key, run_id)]
        d1 = next(p.date for p in series.points if p.run_id == run_id)
        series.drops.append(Drop(org, repo, d0, d1 or "", before_v, after_v))
    whole = pair_sums(db, windows, by=by, keep=keep)
    for plan in plans:
        v = next((whole.get((k, r)) for k, r, _ in windows if k == plan.subject.key), None)
        if v is not None:
            plan.series.window_change, plan.series.window_base = v["downloads"], v["base"]
            plan.series.window_growth_pct = _pct(v["downloads"], v["base"])
            q = Point("", "")
            _launches(q, v)
            plan.series.window_launch = _launch_counts(q)
        elif plan.series.window_from is not None:
            plan.series.window_launch = _launch_counts(Point("", ""))


def _launch_counts(p: Point) -> dict[str, int | None]:
    return {"launches": p.launches, "launch_downloads": p.launch_downloads,
            "first_seen_not_counted": p.first_seen_not_counted}  # fmt: skip


def _launches(p: Point, sums: dict[str, Any]) -> None:
    """A downloads point's launch counts from its period's sums (no launch: 0 downloads of them)."""
    p.launches = sums.get("launches") or 0
    p.first_seen_not_counted = sums.get("first_seen_not_counted") or 0
    p.stalls = sums.get("stalls") or 0
    found = sums.get("launch_downloads")
    p.launch_downloads = found if found is not None else (0 if sums and not p.launches else None)


def _levels(db: Database, plans: list[_Plan], *, metric: str, by: str) -> None:
    """Levels (likes, models, followers) and their change since the previous point."""
    wanted = [(plan, day) for plan in plans for day in _days_used(plan)]
    values: dict[tuple[int, Any], int | None]  # keyed by (subject key, day)
    if metric == "likes":
        sums = pair_sums(db, [(plan.subject.key, plan.run(day), None) for plan, day in wanted], by=by)
        values = {
            (plan.subject.key, day): sums.get((plan.subject.key, plan.run(day)), {}).get("likes")
            for plan, day in wanted
        }
    else:  # models | followers: from the org snapshots
        idx = ORG_ONLY.index(metric)
        levels = org_levels(db, [(plan.subject.org_id, plan.run(day)) for plan, day in wanted])
        values = {
            (plan.subject.key, day): levels.get((plan.subject.org_id, plan.run(day)), (None, None))[idx]
            for plan, day in wanted
        }

    for plan in plans:

        def level(day: str, key: int = plan.subject.key) -> int | None:
            return values.get((key, day))

        prev_day = plan.before
        prev_total = level(prev_day) if prev_day else None
        base_day, base = prev_day, prev_total
        for p in plan.points:
            if p.gap:
                continue
            p.total = level(p.date)  # type: ignore[arg-type]
            if prev_day is not None and prev_total is not None and p.total is not None:
                p.change, p.base = p.total - prev_total, prev_total
            if base_day is None:
                base_day, base = p.date, p.total
            _finish(p, prev_day)
            prev_day, prev_total = p.date, p.total
        real = [p for p in plan.points if not p.gap]
        if real:
            plan.series.window_from, plan.series.window_to = base_day, real[-1].date
            if base is not None and real[-1].total is not None and base_day != real[-1].date:
                plan.series.window_change = real[-1].total - base
                plan.series.window_growth_pct = _pct(plan.series.window_change, base)


def _derivatives(db: Database, plans: list[_Plan], *, by: str) -> None:
    """Each point's level (the sum of latest counts) and coverage, and the change since the
    previous point over the models counted at both (a model's first count is not growth)."""
    triples: list[tuple[int, str, str | None]] = []
    for plan in plans:
        key, prev = plan.subject.key, plan.before
        real = [p for p in plan.points if not p.gap]
        for p in real:
            triples.append((key, p.date, prev))  # type: ignore[arg-type]
            prev = p.date
        if real:
            first_day = plan.before or real[0].date
            plan.series.window_from, plan.series.window_to = first_day, real[-1].date
            if first_day != real[-1].date:
                triples.append((key, real[-1].date, first_day))  # type: ignore[arg-type]
    values = derivative_points(db, triples, by=by)
    for plan in plans:
        key, prev_day = plan.subject.key, plan.before
        for p in plan.points:
            if p.gap:
                continue
            v = values.get((key, p.date, prev_day), {})  # type: ignore[arg-type]
            p.total, p.counted = v.get("level"), v.get("counted")
            p.models, p.refreshed = v.get("models"), v.get("refreshed")
            if prev_day is not None:
                p.change, p.base = v.get("change"), v.get("base")
            _finish(p, prev_day)
            prev_day = p.date
        s = plan.series
        if s.window_from is not None and s.window_from != s.window_to:
            w = values.get((key, s.window_to, s.window_from), {})  # type: ignore[arg-type]
            s.window_change = w.get("change")
            s.window_growth_pct = _pct(s.window_change, w.get("base"))


# -- several accounts as one (a company, a group) -------------------------------------------
def common_days(per_org: dict[int, dict[str, tuple[int, str]]]) -> dict[int, dict[str, tuple[int, str]]]:
    """Each org's snapshot days kept only where every org tracked by then has a snapshot.

    An org is tracked from its first snapshot day on; before it, its absence is no gap. A day
    where a tracked org has no snapshot is left out for all of them: a sum over some of the
    accounts would read as a fall.
    """
    first = {o: min(days) for o, days in per_org.items() if days}
    every = sorted({d for days in per_org.values() for d in days})
    kept = {d for d in every if all(d in per_org[o] for o, f in first.items() if f <= d)}
    return {o: {d: v for d, v in days.items() if d in kept} for o, days in per_org.items()}


def window_days(
    db: Database, org_ids: list[int], since: date | None
) -> dict[int, dict[str, tuple[int, str]]]:
    """`org_days` enough for `common_days` over a window from `since`: the days from `since` on,
    each org's first day, and its last day before `since`. When those last days differ (an org
    missed the day before the window), the last day common to all may lie further back: then
    every day is read."""
    if since is None:
        return org_days(db, org_ids)
    part = org_days(db, org_ids, since)
    lo = since.isoformat()
    before = {max(d for d in days if d < lo) for days in part.values() if any(d < lo for d in days)}
    return part if len(before) <= 1 else org_days(db, org_ids)


Group = tuple[str, list[tuple[int, str]]]  # a name and its accounts (org id, name)


def grouped(
    db: Database,
    groups: list[Group],
    *,
    metric: str,
    interval: str,
    since: date | None,
    until: date | None,
    combined: bool,
    share: bool = False,
    keep: str = "1",
) -> tuple[list[Series], date | None, date | None]:
    """A series per group of accounts (`combined`: their sum, `combine`) or per account, on the
    days every account of its group tracked by then has a snapshot (`common_days`); with `share`,
    the days of every account shown, and each one's share of their downloads (`shares`).

    The one way several accounts are measured together: `trends --by company` and `--metric
    share`, `report --company`/`--group`, `compare --by company` and the site all come here.
    `keep`: downloads of one kind of model alone (`compare --by company --kind`)."""
    org_ids = [oid for _, members in groups for oid, _ in members]
    subjects = [Subject(name, oid) for _, members in groups for oid, name in members]
    per_org = (
        {oid: derivative_days(db, org_id=oid) for oid in org_ids}
        if metric == "derivatives"
        else window_days(db, org_ids, since)
    )
    if share:  # one period, the same two days for all
        only = common_days(per_org)
    else:
        only = {}
        for _, members in groups:
            only.update(common_days({oid: per_org[oid] for oid, _ in members}))
    built, start, end = build(
        db, subjects, metric=metric, interval=interval, since=since, until=until, only_days=only,
        available=per_org, keep=keep,
    )  # fmt: skip
    if combined:
        by_id = {s.org_id: b for s, b in zip(subjects, built, strict=True)}
        built = [combine([by_id[oid] for oid, _ in members], name) for name, members in groups]
    if share:
        shares(built)
    return built, start, end


def combine(parts: list[Series], name: str) -> Series:
    """One series summing several accounts' series built on `common_days`.

    A point is a gap when any account tracked by then misses it. Its level is the sum of the
    accounts' levels; its change the sum of each account's change between the same two points
    (for downloads: the difference of all-time counts over that account's models present at
    both, plus its launches); an account at its first point adds to the level but not to the
    change (none of its models is present at both ends: being tracked is not growth), and one
    whose change is unknown makes the sum unknown (`common.total`). The window likewise sums each
    account's own window: one whose history starts inside it counts from its first snapshot and
    is named in `counted_from`, so that the window adds up as its points do.
    """
    out = Series(name, None, summed=True)
    periods: dict[str, list[Point]] = {}
    for s in parts:
        for p in s.points:
            periods.setdefault(p.period, []).append(p)
        out.drops += s.drops
    for period in sorted(periods):
        points = periods[period]
        q = Point(period, points[0].period_start, coverage=points[0].coverage, launch=points[0].launch)
        out.points.append(q)
        if any(p.gap for p in points):
            continue
        q.gap, q.date = False, points[0].date
        q.as_of = max((p.as_of for p in points if p.as_of), default=None)
        q.total = total([p.total for p in points])
        if q.coverage:
            q.counted, q.models = total([p.counted for p in points]), total([p.models for p in points])
            q.refreshed = total([p.refreshed for p in points])
        paired = [p for p in points if p.days is not None]  # those with a previous point
        if paired and all(p.change is not None for p in paired):
            q.change = sum(p.change for p in paired)  # type: ignore[misc]
            q.base = total([p.base for p in paired])
        q.days = max((p.days for p in paired), default=None)  # type: ignore[type-var]
        q.drops = sum(p.drops for p in points)
        if q.launch and paired:
            q.launches = sum(p.launches for p in paired)
            q.first_seen_not_counted = sum(p.first_seen_not_counted for p in paired)
            q.stalls = sum(p.stalls for p in paired)
            q.launch_downloads = total([p.launch_downloads for p in paired])
        if q.change is not None and q.days:
            q.per_day = round(q.change / q.days, 2)
        q.growth_pct = _pct(q.change, q.base)
    spans = [s for s in parts if s.window_from is not None]
    if spans:
        out.window_from = min(s.window_from for s in spans)  # type: ignore[type-var]
        out.window_to = max(s.window_to for s in spans)  # type: ignore[type-var]
        # The common days end the same day for every account; one whose history starts inside the
        # window counts from its first snapshot (as its points do), flagged: its downloads before
        # it are unknown. Alone at its first snapshot, it adds nothing (no period yet).
        late = [s for s in spans if s.window_from > out.window_from]  # type: ignore[operator]
        out.counted_from = [(s.org, s.window_from) for s in late]  # type: ignore[misc]
        paired = [s for s in spans if s.window_from != s.window_to]
        if out.window_from != out.window_to and all(s.window_to == out.window_to for s in spans):
            out.window_change = total([s.window_change for s in paired])
            out.window_base = total([s.window_base for s in paired])
            out.window_growth_pct = _pct(out.window_change, out.window_base)
            launches = [s.window_launch for s in paired]
            if all(w is not None for w in launches):
                out.window_launch = {
                    "launches": sum(w["launches"] or 0 for w in launches),  # type: ignore[index]
                    "launch_downloads": total([w["launch_downloads"] for w in launches]),  # type: ignore[index]
                    "first_seen_not_counted": sum(w["first_seen_not_counted"] or 0 for w in launches),  # type: ignore[index]
                }
    out.drops.sort(key=lambda d: (d.after_date, d.org, d.model))
    return out


def shares(built: list[Series]) -> None:
    """Each downloads point's share of the group's downloads in its period: the group is every
    series with a point in that period (a series not tracked yet is not in it). The share is
    unknown for all when the group's downloads are: a member's point is a gap, or its downloads
    are unknown (a member at its first point has none to give). The series must share their
    snapshot days (`common_days` over every member), so that each period is the same two days
    for all. The window's share likewise, when every window spans the same two days."""
    periods: dict[str, list[Point]] = {}
    for s in built:
        for p in s.points:
            p.share = True
            periods.setdefault(p.period, []).append(p)
    for points in periods.values():
        changes = [p.change for p in points]
        if any(p.gap for p in points) or None in changes:
            continue
        whole = sum(changes)  # type: ignore[arg-type]
        for p in points:
            p.group_downloads = whole
            p.share_pct = round(100.0 * p.change / whole, 1) if whole else None  # type: ignore[operator]
    spans = {(s.window_from, s.window_to) for s in built if s.points}
    changes = [s.window_change for s in built if s.points]
    if len(spans) == 1 and None not in changes and (whole := sum(changes)):  # type: ignore[arg-type]
        for s in built:
            if s.points:
                s.window_share_pct = round(100.0 * s.window_change / whole, 1)  # type: ignore[operator]


def _days_used(plan: _Plan) -> list[str]:
    """The snapshot days a plan reads: the one before the window, then each point's."""
    return ([plan.before] if plan.before else []) + [p.date for p in plan.points if p.date is not None]


def _finish(p: Point, prev_day: str | None) -> None:
    p.gap = False
    if prev_day is not None and p.date is not None:
        p.days = _days_between(prev_day, p.date)
    if p.change is not None and p.days:
        p.per_day = round(p.change / p.days, 2)
    p.growth_pct = _pct(p.change, p.base)


def _pct(change: int | None, base: int | None) -> float | None:
    if change is None or not base:
        return None
    return round(100.0 * change / base, 2)


def period_downloads(
    db: Database, org_id: int, run_from: int, run_to: int, keep: str = "1"
) -> tuple[dict[str, Any] | None, list[tuple]]:
    """Downloads between two runs of an org (the `store.totals` sums: `downloads`, the all-time
    `base` they grew on, `launches`, `launch_downloads`, `first_seen_not_counted`), and the drops;
    `keep`: of the models that SQL on `m` keeps (one kind)."""
    triple = [(org_id, run_to, run_from)]
    v = pair_sums(db, triple, by="org", keep=keep).get((org_id, run_to))
    drops = pair_drops(db, triple, by="org", keep=keep) if v and v["drops"] else []
    return v, drops
