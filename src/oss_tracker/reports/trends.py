"""The trends report: a time series per org or model of downloads, likes, models, followers or derivatives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import DROP_COLUMNS, STORED_RUN, archived, model_row, sourced, watched_orgs
from oss_tracker.reports.model import Chart, ChartSeries, Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

    from oss_tracker.watchlist import WatchList


METRIC_TITLES = {
    # metric: (report title, level column, change column, chart title)
    "downloads": ("Downloads", "All-time", "Downloads", "Downloads per day"),
    "likes": ("Likes", "Likes", "Change", "Likes"),
    "models": ("Models", "Models", "Change", "Models listed"),
    "followers": ("Followers", "Followers", "Change", "Followers"),
    # The level is the sum of each current model's latest count (carried forward), labelled so.
    "derivatives": ("Derivatives (direct children)", "Latest", "Change", "Derivatives, latest counts"),
    "share": ("Share of downloads", "All-time", "Downloads", "Share of the downloads shown (%)"),
}
INTERVAL_TITLES = {"day": "Day", "week": "Week", "month": "Month"}
DERIVATIVE_DEFINITIONS = {
    "total": "sum over the current models of each model's latest direct-derivative count on or before "
    "the day (carried forward: derivative counts are refreshed in rotation)",
    "counted": "current models with a count on or before the day (the coverage of total)",
    "models": "current models of the org on the day (first seen by then, not removed)",
    "refreshed": "models counted on the day itself",
    "change": "sum of count changes since the previous point over the models counted at both points; "
    "a model's first count is coverage, not growth",
    "gap": "no stored run of the day stored the org, or none of the day's runs counted derivatives",
}
COVERAGE_COLUMNS = [
    Column("coverage", "Counted", csv=False),  # counted / models, in the table and Markdown
    Column("counted", "Counted", "int", table=False),
    Column("models", "Models", "int", table=False),
    Column("refreshed", "Refreshed", "int", table=False),
]
DEFAULT_SPAN = {"day": 30, "week": 26 * 7, "month": None}  # days back from the last snapshot


@sourced
def trends(
    db: Database,
    *,
    orgs: list[str] | None = None,
    models: list[str] | None = None,
    metric: str = "downloads",
    interval: str = "day",
    since: date | None = None,
    until: date | None = None,
    span: int | None = None,
    companies: WatchList | None = None,
) -> Report:
    """A time series per org (or model, or with `companies` per company of that watch list): the
    level, its change, the per-day rate and the growth; with `metric="share"`, each one's share of
    the group's downloads in each period.

    Without `since`, the window is the last `span` days (default: 30 days by day, 26 weeks by
    week, the whole history by month) up to the last snapshot.

    A company is the sum of its accounts (an account in no company of the list is one of its
    own): each day where every account tracked by then has a snapshot is a point, the levels
    and each account's change between the same two days added up; a day where one of them has
    no snapshot is a gap for the company, never a partial sum (`series.common_days`, as
    `report --company` does). For shares the days are those common to every account shown, so
    that each period's downloads are measured between the same two days for all."""
    from oss_tracker.reports import series as ts

    measured = "downloads" if metric == "share" else metric
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    if models:
        found = [model_row(db, m) for m in models]
        subjects = [
            ts.Subject(
                m["org"], m["org_id"], m["repo_id"], m["id"], m["last_day"] if m["removed_at"] else None
            )
            for m in {m["id"]: m for m in found}.values()
        ]
        org_ids = sorted({s.org_id for s in subjects})
    else:
        watched = watched_orgs(db, orgs)
        subjects = [ts.Subject(name, oid) for oid, name in watched]
        org_ids = [oid for oid, _ in watched]
        groups = (
            company_groups(watched, companies)
            if companies is not None
            else [(name, [(oid, name)]) for oid, name in watched]
        )
    span = span or DEFAULT_SPAN[interval]
    if since is None and span is not None:
        last = _last_day(db, org_ids, measured)
        if last is not None:
            end = min(until, last) if until else last
            since = end - timedelta(days=span - 1)
    if groups and (companies is not None or metric == "share"):
        built, start, end = ts.grouped(
            db, groups, metric=measured, interval=interval, since=since, until=until,
            combined=companies is not None, share=metric == "share",
        )  # fmt: skip
    else:
        built, start, end = ts.build(
            db, subjects, metric=measured, interval=interval, since=since, until=until
        )
    report = _trends_report(
        built,
        metric=metric,
        interval=interval,
        start=start,
        end=end,
        models=bool(models),
        accounts={name: [n for _, n in members] for name, members in groups}
        if companies is not None
        else None,
    )
    if start is not None and (note := archived(db, org_ids, start.isoformat(), end.isoformat())):
        report.footer = " · ".join(p for p in (report.footer, note) if p)
    return report


def company_groups(watched: list[tuple[int, str]], wl: WatchList) -> list[tuple[str, list[tuple[int, str]]]]:
    """The accounts grouped by their company in the watch list (an account of no company is a
    company of its own name), companies by name."""
    out: dict[str, list[tuple[int, str]]] = {}
    for oid, name in watched:
        company = wl.company_of(name)
        out.setdefault(company.name if company else name, []).append((oid, name))
    return sorted(out.items(), key=lambda kv: kv[0].lower())


def summed_downloads(db: Database, accounts: list[tuple[int, str]], name: str, *, span: int) -> Report:
    """Downloads per day over the last `span` days of several accounts as one series named `name`
    (an org's own trend when there is one account; a company's or group's otherwise).

    The accounts are summed by `series.grouped`, as `trends --by company` sums them: on their
    common days, each account's downloads measured between the same two points and added up.
    """
    from oss_tracker.reports import series as ts

    last = _last_day(db, [oid for oid, _ in accounts], "downloads")
    since = last - timedelta(days=span - 1) if last is not None else None
    built, start, end = ts.grouped(
        db, [(name, accounts)], metric="downloads", interval="day", since=since, until=None,
        combined=len(accounts) > 1,
    )  # fmt: skip
    return _trends_report(built, metric="downloads", interval="day", start=start, end=end, models=False)


def _last_day(db: Database, org_ids: list[int], metric: str) -> date | None:
    marks = ",".join("?" * len(org_ids)) or "NULL"
    if metric == "derivatives":  # the last day a run stored one of the orgs and counted derivatives
        sql = f"""SELECT max(r.day) FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                  WHERE o.org_id IN ({marks}) AND {STORED_RUN}
                    AND EXISTS (SELECT 1 FROM derivative_counts d WHERE d.run_id = r.id)"""
    else:  # the orgs' newest day (by day: run ids do not grow with time once days are backfilled)
        sql = f"""SELECT max(r.day) FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                  WHERE o.org_id IN ({marks}) AND {STORED_RUN}"""
    day = db.execute(sql, org_ids).fetchone()[0]
    return date.fromisoformat(day) if day else None


def _trends_report(
    built,
    *,
    metric: str,
    interval: str,
    start,
    end,
    models: bool,
    accounts: dict[str, list[str]] | None = None,
) -> Report:
    from oss_tracker.humanize import human_date

    title, level_title, change_title, chart_title = METRIC_TITLES[metric]
    share = metric == "share"
    downloads = metric in ("downloads", "share")
    who = "model" if models else "company" if accounts is not None else "org"
    rows: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    drops: list[dict[str, Any]] = []
    data_series = []
    for s in built:
        window = {
            "from": s.window_from,
            "to": s.window_to,
            "change": s.window_change,
            "growth_pct": s.window_growth_pct,
            "snapshots": s.snapshots,
            "gaps": s.gaps,
            **(s.window_launch or {}),
            **({"share_pct": s.window_share_pct} if share else {}),
            **(
                {"accounts_counted_from": [{"account": a, "from": d} for a, d in s.counted_from]}
                if s.summed
                else {}
            ),
        }
        name = (
            {"company": s.org, "accounts": accounts[s.org]}  # type: ignore[index]
            if accounts is not None
            else {"org": s.org, "model": s.model}
        )
        data_series.append({**name, "window": window, "points": [p.public() for p in s.points]})
        if s.points:
            summary.append({**name, **window, "drops": len(s.drops)})
        for p in s.points:
            note = "no snapshot" if p.gap else ""
            if p.drops:
                note = f"{p.drops} all-time drop{'s' if p.drops > 1 else ''}"
            elif not p.gap and p.days and p.days > _interval_days(interval):
                note = f"over {p.days} days"
            note = "; ".join(filter(None, (note, *launch_notes(p, one_model=models))))
            cover = {}
            if metric == "derivatives" and not p.gap:
                cover["coverage"] = f"{p.counted or 0}/{p.models or 0}"  # no separators: 80 columns
            rows.append({**name, **p.public(), **cover, "note": note})
        drops += [d.public() for d in s.drops]
    as_of = max((p.as_of for s in built for p in s.points if p.as_of), default=None)
    data: dict[str, Any] = {
        "metric": metric,
        "interval": interval,
        **({"by": "company"} if accounts is not None else {}),
        "since": start.isoformat() if start else None,
        "until": end.isoformat() if end else None,
        "as_of": as_of,
        "series": data_series,
        "drops": drops,
    }
    if metric == "derivatives":
        data["definitions"] = DERIVATIVE_DEFINITIONS
    if models:
        name_col, extra_names = Column("model", "Model"), [Column("org", "Org", table=False)]
    elif accounts is not None:
        name_col, extra_names = Column("company", "Company"), []
    else:
        name_col, extra_names = Column("org", "Org"), [Column("model", "Model", table=False)]
    if start is None:
        empty = "no derivative counts yet" if metric == "derivatives" else "no snapshots yet"
    else:
        empty = f"no snapshots between {human_date(start.isoformat())} and {human_date(end.isoformat())}"
    per = {"day": "day", "week": "week", "month": "month"}[interval]
    if share:
        window_values = [Column("change", "Downloads", "delta"), Column("share_pct", "Share", "share")]
        point_values = [
            Column("total", "All-time", "int", table=False),
            Column("change", "Downloads", "delta"),
            Column("group_downloads", "All shown", "int"),
            Column("share_pct", "Share", "share"),
            Column("days", "Days", "int"),
        ]
    else:
        window_values = [
            Column("change", change_title if metric == "downloads" else "Change", "delta"),
            Column("growth_pct", "Growth", "pct"),
        ]
        point_values = [
            Column("total", level_title, "int"),
            *(COVERAGE_COLUMNS if metric == "derivatives" else []),
            Column("change", change_title, "delta"),
            Column("days", "Days", "int"),
            Column("per_day", "Per day", "rate"),
            Column("growth_pct", "Growth", "pct"),
        ]
    sections = [
        Section(
            "Over the window",
            [
                name_col,
                Column("from", "From", "date"),
                Column("to", "To", "date"),
                Column("snapshots", "Snapshots", "int"),
                Column("gaps", "Gaps", "int"),
                *window_values,
            ]
            + ([Column("drops", "Drops", "int")] if downloads else []),
            summary,
            empty=empty,
        ),
        Section(
            f"{title} per {per}",
            [
                name_col,
                *extra_names,
                Column("period", INTERVAL_TITLES[interval], "period"),
                Column("period_start", "Period start", table=False),
                Column("date", "Snapshot", "date", table=interval != "day"),
                Column("as_of", "As of", "datetime", table=False),
                Column("gap", "Gap", "bool", table=False),
                *point_values,
                Column("drops", "Drops", "int", table=False),
                Column("note", "Note", csv=False),
            ],
            rows,
            empty=empty,
            group=who,
        ),
    ]
    notes = counted_from_notes(built)
    if downloads:
        sections.append(
            Section(
                "All-time download counts that went down (counted as they are, not hidden)",
                DROP_COLUMNS,
                drops,
                empty="no all-time count went down",
            )
        )
        if drops:
            notes.append(
                f"Warning: {len(drops)} all-time download count{'s' if len(drops) > 1 else ''} went down "
                "(the Hub recounts); the period downloads include the drop, listed below."
            )
        stalled = sum(p.stalls for s in built for p in s.points)
        if stalled:
            from oss_tracker.store.totals import STALL_30D

            notes.append(
                f"Note: {stalled} all-time download count{'s' if stalled > 1 else ''} stood still over a day "
                f"while downloaded (at least {STALL_30D:,} a month): a stalled counter, as the public archive's "
                "are at times; those periods' downloads are too low and the next ones catch up."
            )
        unseen = sum(p.first_seen_not_counted for s in built for p in s.points)
        if unseen:
            many = unseen > 1
            notes.append(
                f"Note: {unseen} model{'s' if many else ''} first seen in the window had been created before "
                f"the snapshot {'they are' if many else 'it is'} measured from (made public late, moved in, "
                f"newly watched): {'their' if many else 'its'} downloads until then are unknown, so "
                f"{'they are' if many else 'it is'} not counted in the period downloads."
            )
    chart = _trend_chart(built, metric, chart_title)
    n_snapshots = len({p.date for s in built for p in s.points if not p.gap})
    n_gaps = len({p.period for s in built for p in s.points if p.gap})  # periods some series misses
    footer_parts = []
    if start is not None:
        footer_parts.append(f"{human_date(start.isoformat())} – {human_date(end.isoformat())}")
        footer_parts.append(
            f"{n_snapshots} snapshot day{'s' if n_snapshots != 1 else ''}, {n_gaps} gap{'s' if n_gaps != 1 else ''}"
        )
    if as_of:
        from oss_tracker.humanize import human_datetime

        footer_parts.append(f"as of {human_datetime(as_of)}")
    if accounts is not None:
        summed = [f"{c} = {' + '.join(a)}" for c, a in accounts.items() if len(a) > 1 or a[0] != c]
        footer_parts.append(
            "a company is the sum of its accounts"
            + (f" ({'; '.join(summed)})" if summed else "")
            + ", on the days each account has a snapshot"
        )
    if downloads:
        footer_parts.append(
            "downloads = difference of all-time counts over the models in both snapshots, plus the "
            "all-time count of each model created in between"
        )
    if share:
        footer_parts.append(
            f"share = each one's part of the downloads of all {len(built)} shown, between the same two "
            "snapshots (the days every account has one)"
        )
    if metric == "derivatives":
        footer_parts.append(
            "latest = sum of each current model's latest count, carried forward; counted = models "
            "counted so far / current models; change = over the models counted at both points "
            "(a first count is coverage, not growth)"
        )
    return Report(
        title=f"{title} per {per}" + (" by company" if accounts is not None else ""),
        data=data,
        sections=sections,
        footer=" · ".join(footer_parts),
        charts=[chart] if chart.series else [],
        notes=notes,
        main=1,
    )


def counted_from_notes(built: list[Any]) -> list[str]:
    """A note for each account counted in a sum from its first snapshot, inside the window."""
    from oss_tracker.humanize import human_date

    return [
        f"Note: {account}'s history starts {human_date(day)}, inside the window: {s.name} counts it from "
        "that snapshot (its downloads before are unknown)."
        for s in built
        for account, day in s.counted_from
    ]


def launch_notes(p: Any, *, one_model: bool = False) -> list[str]:
    """What a downloads point (or window: a dict) counted of the models first seen in its period
    (`one_model`: of a model's own series, where that model is the one first seen)."""
    get = p.get if isinstance(p, dict) else lambda k: getattr(p, k, None)
    if one_model:
        if get("launches"):
            return ["launched: its whole all-time count"]
        return ["first seen, created before: not counted"] if get("first_seen_not_counted") else []
    out = []
    if get("launches"):
        n, amount = get("launches"), get("launch_downloads")
        counted = f" (+{amount:,})" if amount is not None else ""
        out.append(f"{n} new model{'s' if n > 1 else ''}{counted}")
    if get("first_seen_not_counted"):
        out.append(f"{get('first_seen_not_counted')} first seen, not counted")
    if get("stalls"):
        out.append(f"{get('stalls')} stalled count{'s' if get('stalls') > 1 else ''}")
    return out


def _interval_days(interval: str) -> int:
    return {"day": 1, "week": 7, "month": 31}[interval]


def _trend_chart(built, metric: str, title: str) -> Chart:
    """Downloads: the per-day rate of each point; other metrics: the level. A gap is a gap."""
    xs = sorted({p.period_start for s in built for p in s.points})
    where = {x: i for i, x in enumerate(xs)}
    out = []
    for s in built:
        values: list[float | None] = [None] * len(xs)
        started = False
        first = len(xs)
        for p in s.points:
            v = p.per_day if metric == "downloads" else p.share_pct if metric == "share" else p.total
            if not started and (p.gap or v is None):
                continue  # before the first value: not tracked, not a gap
            if not started:
                started, first = True, where[p.period_start]
            values[where[p.period_start]] = None if p.gap else v
        if started:
            out.append(ChartSeries(s.name, values, offset=first))
    kind = {"downloads": "rate", "share": "share"}.get(metric, "int")
    return Chart(title, xs, out, kind=kind, y_label=title)
