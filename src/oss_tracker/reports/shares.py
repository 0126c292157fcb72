"""Each account's and each company's share of the watched accounts' downloads, period by period.

The chart people draw (DeepSeek vs Alibaba vs Moonshot vs MiniMax), for the site's overview.
A period's downloads are those of `trends`: the difference of all-time counts between two
snapshots over the models present at both. A share compares accounts only when they are
measured between the same two days, so every account's series is built on the days every
account tracked by then has a snapshot (`series.common_days`: a day one of them misses is a gap
for all); an account counts from its first snapshot on (before it, it is not a gap). A period
whose total is unknown, zero or negative (all-time counts the Hub took back) has no shares.
Reads SQLite only.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import watched_orgs
from oss_tracker.reports.model import Chart, ChartSeries, Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

DEFINITION = (
    "share = the account's (company's) downloads in the period over all watched accounts' downloads in "
    "the same period; downloads = differences of the Hub's all-time download counts between two "
    "snapshots, over the models present in both; a period counts only when every account tracked by "
    "then has a snapshot that day, and an account counts from its first snapshot"
)


def shares(
    db: Database, companies: list[tuple[str, list[str]]], *, interval: str, since: date | None = None
) -> Report:
    """Shares of downloads per period, by account and by company (`companies`: each name with its
    accounts; a stored account in none of them stands for itself)."""
    from oss_tracker.reports import series as ts

    watched = watched_orgs(db)
    ids = [oid for oid, _ in watched]
    only = ts.common_days(ts.org_days(db, ids))
    built, start, end = ts.build(
        db, [ts.Subject(n, oid) for oid, n in watched], metric="downloads", interval=interval,
        since=since, until=None, only_days=only,
    )  # fmt: skip
    names = [n for _, n in watched]
    owner = _owners(names, companies)
    company_names = list(dict.fromkeys(owner[n] for n in names))
    by_period: dict[str, dict[str, Any]] = {}
    for s in built:
        for p in s.points:
            by_period.setdefault(p.period, {"period": p.period, "period_start": p.period_start, "points": {}})
            by_period[p.period]["points"][s.org] = p
    periods = []
    for key in sorted(by_period):
        entry = by_period[key]
        points = entry.pop("points")
        row: dict[str, Any] = {**entry, "date": None, "days": None, "total": None,
                               "downloads": {}, "shares": {}, "company_downloads": {}, "company_shares": {}}  # fmt: skip
        periods.append(row)
        if any(p.gap for p in points.values()):
            continue
        paired = {org: p for org, p in points.items() if p.days is not None}  # with a previous point
        if not paired or any(p.change is None for p in paired.values()):
            continue
        row["date"] = next(iter(paired.values())).date
        row["days"] = max(p.days for p in paired.values())  # type: ignore[type-var]
        row["downloads"] = {org: p.change for org, p in paired.items()}
        total = sum(row["downloads"].values())
        row["total"] = total
        for org in paired:
            company = owner[org]
            row["company_downloads"][company] = (
                row["company_downloads"].get(company, 0) + row["downloads"][org]
            )
        if total > 0:
            row["shares"] = {org: _pct(v, total) for org, v in row["downloads"].items()}
            row["company_shares"] = {c: _pct(v, total) for c, v in row["company_downloads"].items()}
    xs = [p["period_start"] for p in periods]
    charts = [
        _chart("Companies' share of downloads", xs, periods, "company_shares", company_names),
        _chart("Accounts' share of downloads", xs, periods, "shares", names),
    ]
    grouped = any(sum(owner[n] == c for n in names) > 1 for c in company_names)
    rows = [
        {"period": p["period"], "date": p["date"], "days": p["days"], "total": p["total"],
         **{f"o:{n}": p["shares"].get(n) for n in names}}
        for p in periods
    ]  # fmt: skip
    return Report(
        title="Shares of downloads",
        data={
            "interval": interval,
            "since": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
            "accounts": names,
            "companies": {c: [n for n in names if owner[n] == c] for c in company_names},
            "periods": periods,
            "definition": DEFINITION,
        },
        sections=[
            Section(
                "Accounts' share of downloads",
                [
                    Column("period", "Period", "period"),
                    Column("days", "Days", "int"),
                    Column("total", "Downloads", "int"),
                    *(Column(f"o:{n}", n, "share") for n in names),
                ],  # fmt: skip
                rows,
            )
        ],
        # The companies' chart only where a company is more than one account (else it repeats).
        charts=[c for c in charts if c.series and (c is charts[1] or grouped)],
    )


def _owners(names: list[str], companies: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Each stored account's company (matched ignoring case), or itself when in none."""
    of = {a.lower(): company for company, accounts in companies for a in accounts}
    return {n: of.get(n.lower(), n) for n in names}


def _chart(title: str, xs: list[str], periods: list[dict[str, Any]], key: str, names: list[str]) -> Chart:
    series = []
    for name in names:
        values: list[float | None] = [p[key].get(name) for p in periods]
        first = next((i for i, v in enumerate(values) if v is not None), None)
        if first is not None:
            series.append(ChartSeries(name, values, offset=first))
    return Chart(title, xs, series, kind="share", y_label="Share of downloads (%)")


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2)
