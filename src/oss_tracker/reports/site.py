"""What `oss-tracker site` publishes, read from the database: the reports of every page.

Each page is made of the reports the commands print (`report`, `trends`, `releases`,
`licenses`, `compare`, `derivatives`), so the site's numbers are the JSON reports' numbers; this
module only chooses them, adds the charts a page shows beside their tables (built from the
reports' own data) and says under each chart what it shows and where its numbers come from.
render/site turns the result into HTML. Reads SQLite only.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    archived,
    created,
    data_source,
    history,
    history_footer,
    model_row,
    watched_orgs,
)
from oss_tracker.reports.model import Chart, ChartSeries, Column, Page, Report, Section, Site
from oss_tracker.store.totals import remembered

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

    from oss_tracker.watchlist import WatchList

DOWNLOADS = (
    "downloads = differences of the Hub's all-time download counts between two snapshots, over the "
    "models present in both, plus the whole all-time count of each model created in between; per "
    "day = those downloads over the days between the two snapshots; a gap (no snapshot) is no "
    "value, never a zero"
)
SHARES = (
    "share = the account's (company's) downloads in the period over the downloads of all those "
    "shown, between the same two snapshots (the days every account tracked by then has one; an "
    "account counts from its first snapshot); " + DOWNLOADS
)
RELEASES = (
    "a release = a model first seen in the account, dated by the Hub's createdAt (removed ones included)"
)
LICENCES = (
    "current models by the Hub's licence tag (for `other`, the card's license_name): permissive = "
    "OSI-approved permissive; copyleft = OSI copyleft and Creative Commons; custom = any other named "
    "licence; unknown = no licence tag"
)
DERIVATIVES = (
    "derivatives = direct children declared through base_model on the Hub, each model's latest count; "
    "'total only' where the Hub gave no split by relation"
)
DAILY_UP_TO = 120  # days of history charted a point a day; a longer history a point a week
TOP_BASES = 20
COMPANY_COLUMNS = {"models": "Models", "releases_30d": "Rel. 30d", "releases_90d": "Rel. 90d",
                   "downloads_30d": "Downloads 30-day", "downloads_all_time": "Downloads all-time",
                   "downloads_period": "Downloads in period", "likes": "Likes", "followers": "Followers",
                   "derivatives": "Derivatives"}  # fmt: skip
# Issue 14 (originals vs conversions): when the releases report's `by_month` rows carry this key
# (each month's original releases), the overview charts originals beside all releases.


def build_site(
    db: Database,
    wl: WatchList,
    *,
    days: int = 90,
    models: int = 5,
    top: int = 10,
    feed_limit: int = 200,
) -> Site:
    """Every page's reports: the overview, each account and company, derivatives, releases, and a
    page for each account's `models` most downloaded models and the `models` top bases by
    derivatives; and the feed."""
    from oss_tracker.reports.companies import company_report
    from oss_tracker.reports.feed import feed
    from oss_tracker.reports.org import org_report

    watched = watched_orgs(db)  # NoData when nothing was synced
    ids = [oid for oid, _ in watched]
    hist = history(db, ids)
    _, demo = data_source(db)
    interval = "day" if _span(hist) <= DAILY_UP_TO else "week"
    since = date.fromisoformat(hist["first_day"])
    context = _Context(db, hist, demo, interval, since)
    with remembered(db):  # the overview's share and downloads series pair the same snapshots
        pages = [Page("overview", "", _overview(context, wl, watched))]
    chosen: dict[str, None] = {}  # the models that get a page, in order
    for oid, name in watched:
        report = org_report(db, name, top=max(top, models), days=days)
        chosen.update(dict.fromkeys(m["id"] for m in report.data["top_models"][:models]))
        pages.append(Page("org", name, [_account_page(context, report, [oid])]))
    stored = {n.lower(): (oid, n) for oid, n in watched}
    for company in wl.companies.values():
        accounts = [stored[a.lower()] for a in company.accounts if a.lower() in stored]
        if accounts:
            report = company_report(db, company, top=top, days=days)
            pages.append(
                Page("company", company.name, [_account_page(context, report, [i for i, _ in accounts])])
            )
    derivatives, bases = _derivatives(context)
    chosen.update(dict.fromkeys(bases[:models]))
    pages.append(Page("derivatives", "", derivatives))
    entries = feed(db, limit=feed_limit)
    pages.append(Page("releases", "", _releases(context, entries)))
    pages += [Page("model", repo, [model_page(context, repo)]) for repo in chosen]
    return Site(
        title="Open-model publishers on the Hugging Face Hub",
        pages=pages,
        feed=entries,
        as_of=hist["as_of"],
        note=history_footer(hist, demo),
    )


@dataclasses.dataclass
class _Context:
    db: Any
    hist: dict[str, Any]
    demo: str  # the demo-data label, or ""
    interval: str  # day | week: one point a day, or a week, on the history-long charts
    since: date  # the first day of the history

    def note(self, what: str, *extra: str, org_ids: list[int] | None = None) -> str:
        """What a chart shows, then where from: as of, the history span, the archived days, demo data."""
        hist = self.hist if org_ids is None else history(self.db, org_ids)
        return " · ".join(p for p in (what, *extra, history_footer(hist), self.demo) if p)


def _span(hist: dict[str, Any]) -> int:
    if not hist.get("first_day"):
        return 0
    return (date.fromisoformat(hist["last_day"]) - date.fromisoformat(hist["first_day"])).days


def _per(interval: str) -> str:
    return "a point a day" if interval == "day" else "a point a week (its last snapshot day)"


# -- the overview -----------------------------------------------------------------------------
def _overview(ctx: _Context, wl: WatchList, watched: list[tuple[int, str]]) -> list[Report]:
    from oss_tracker.reports.companies import company_compare
    from oss_tracker.reports.compare import compare
    from oss_tracker.reports.licences import licenses_report
    from oss_tracker.reports.releases import releases
    from oss_tracker.reports.trends import trends

    db = ctx.db
    # The shares of `trends --metric share` (by company, and by account): the same series, the
    # same rounding (once, in trends' JSON); the companies' chart only where a company is more
    # than one account (else it repeats the accounts').
    by_company = trends(db, metric="share", interval=ctx.interval, since=ctx.since, companies=wl)
    by_account = trends(db, metric="share", interval=ctx.interval, since=ctx.since)
    grouped = any(len(s["accounts"]) > 1 for s in by_company.data["series"])
    charts = []
    for report, title, shown in ((by_company, "Companies' share of downloads", grouped),
                                 (by_account, "Accounts' share of downloads", True)):  # fmt: skip
        if shown and report.charts:
            chart = report.charts[0]
            chart.title, chart.y_label = title, "Share of downloads (%)"
            chart.note = ctx.note(SHARES, _per(ctx.interval))
            charts.append(chart)
    trend = trends(db, interval=ctx.interval, since=ctx.since)
    if trend.charts:
        chart = trend.charts[0]
        chart.title, chart.y_label = "Downloads per day", "Downloads per day"
        chart.note = ctx.note(DOWNLOADS, _per(ctx.interval))
        charts.append(chart)
    released = releases(db, limit=1)
    charts += release_charts(released.data["by_month"], released.data["orgs"], ctx.note(RELEASES))
    licences = licenses_report(db)
    charts.append(licence_chart(licences.data["orgs"], ctx.note(LICENCES)))
    overview = Report(
        title="Open-model publishers on the Hugging Face Hub",
        data={
            "interval": ctx.interval,
            "shares": {"companies": by_company.data, "accounts": by_account.data},
            "trend": trend.data,
        },  # fmt: skip
        charts=charts,
        notes=trend.notes,
        sections=[s for s in trend.sections[2:] if s.rows],  # all-time counts that went down
    )
    side = compare(db, None)
    flat = dataclasses.replace(side.sections[0], title="Accounts side by side", human=True)
    side = dataclasses.replace(side, sections=[flat, *(s for s in side.sections[2:] if s.rows)])
    reports = [overview, side]
    stored = {n.lower() for _, n in watched}
    with_accounts = [c for c in wl.companies.values() if any(a.lower() in stored for a in c.accounts)]
    if with_accounts:
        by_company = company_compare(db, wl, companies=with_accounts)
        flat = by_company.sections[0]
        columns = [dataclasses.replace(c, title=COMPANY_COLUMNS.get(c.key, c.title)) for c in flat.columns]
        flat = dataclasses.replace(flat, title="Companies side by side", human=True, columns=columns)
        reports.append(dataclasses.replace(by_company, sections=[flat]))
    return reports


def release_charts(by_month: list[dict[str, Any]], names: list[str], note: str) -> list[Chart]:
    """Releases per month per account, stacked; then the original releases alone and the
    conversions alone (the `releases` report's `originals` and `conversions` of each month), where
    the rows count them."""
    from oss_tracker.reports.releases import _months_chart

    out = []
    for key, title in ((None, "Releases per month"),
                       ("originals", "Original releases per month (conversions and derived models left out)"),
                       ("conversions", "Conversions per month (quantized or converted copies)")):  # fmt: skip
        if key is not None and not any(key in r for r in by_month):
            continue  # a report that does not count them (an account's page has no conversions)
        rows = by_month if key is None else [{**r, "releases": r.get(key) or 0} for r in by_month]
        chart = _months_chart(rows, names)
        chart.title, chart.note = title, note
        out += [chart] if chart.series else []
    return out


def licence_chart(orgs: list[dict[str, Any]], note: str) -> Chart:
    """Each account's current models by licence group, stacked (the `licenses` report's groups)."""
    from oss_tracker.reports.licences import GROUPS

    names = [o["org"] for o in orgs]
    series = [ChartSeries(g, [o["groups"][g] for o in orgs]) for g in GROUPS]
    return Chart("Licence mix", names, series, kind="int", y_label="Models", style="bar",
                 x_kind="category", note=note)  # fmt: skip


# -- an account's or a company's page ------------------------------------------------------------
def _account_page(ctx: _Context, report: Report, org_ids: list[int]) -> Report:
    """The `report` of an account (or a company): its sections, its downloads trend charted, and
    its releases per month, licence mix and derivatives charted from its own data."""
    data = report.data
    trend = data["trend"]
    for chart in report.charts:
        chart.title, chart.y_label = "Downloads per day", "Downloads per day"
        chart.note = ctx.note(
            DOWNLOADS,
            archived(ctx.db, org_ids, trend["since"], trend["until"]),
            "a company's day counts only when each of its accounts has a snapshot that day"
            if len(org_ids) > 1
            else "",
            org_ids=org_ids,
        )
    label = data.get("org") or data.get("company") or data.get("group") or ""
    originals = data["original_releases_by_month"]
    months = [{"month": m, "org": label, "releases": n, "originals": originals.get(m, 0)}
              for m, n in data["releases_by_month"].items()]  # fmt: skip
    charts = list(report.charts) + release_charts(months, [label], ctx.note(RELEASES, org_ids=org_ids))
    licences = data["licenses"]
    if licences:
        charts.append(
            Chart("Licence mix", list(licences), [ChartSeries("Models", list(licences.values()))], kind="int",
                  y_label="Models", style="bar", x_kind="category",
                  note=ctx.note("current models by licence (the Hub's tag; for `other`, the card's license_name)",
                                org_ids=org_ids))
        )  # fmt: skip
    derivs = data.get("derivatives")
    if derivs:
        keys = [k for k in ("finetune", "quantized", "adapter", "merge", "split_unknown") if derivs.get(k)]
        if keys:
            charts.append(
                Chart("Derivatives by relation", [k.replace("_", " ") for k in keys],
                      [ChartSeries("Derivatives", [derivs[k] for k in keys])], kind="int", y_label="Direct derivatives",
                      style="bar", x_kind="category", note=ctx.note(DERIVATIVES, org_ids=org_ids))
            )  # fmt: skip
    return dataclasses.replace(report, charts=charts)


# -- derivatives --------------------------------------------------------------------------------
def _derivatives(ctx: _Context) -> tuple[list[Report], list[str]]:
    """The `derivatives` ranking with its top bases charted by relation, and issue 16's families
    where they exist; and the top bases' ids (each gets a page)."""
    from oss_tracker.reports.derivatives import ranking

    try:
        report = ranking(ctx.db, limit=TOP_BASES)
    except NoData as err:
        return [Report("Derivative models", {}, notes=[str(err)])], []
    bases = report.data["bases"]
    names = [b["id"] for b in bases]
    series = [
        ChartSeries(rel, [b[rel] for b in bases]) for rel in ("finetune", "quantized", "adapter", "merge")
    ]
    series.append(ChartSeries("total only", [b["total"] if b["finetune"] is None else None for b in bases]))
    chart = Chart(f"Top {len(bases)} bases by direct derivatives", names, [s for s in series if any(s.values)],
                  kind="int", y_label="Direct derivatives", style="bar", x_kind="category",
                  note=ctx.note(DERIVATIVES))  # fmt: skip
    report.charts = [chart]
    return [report, *families(ctx.db)], names


def families(db: Database) -> list[Report]:
    """Issue 16's family ranking (`oss-tracker families`), where the database holds families."""
    from oss_tracker.reports.families import families_report

    try:
        return [families_report(db)]
    except NoData:
        return []


# -- releases -----------------------------------------------------------------------------------
def _releases(ctx: _Context, entries: Report) -> list[Report]:
    from oss_tracker.reports.releases import releases

    newest = releases(ctx.db, limit=100)
    newest.charts = []  # charted on the overview
    newest.sections = newest.sections[:1]
    return [entries, newest]


# -- one model ----------------------------------------------------------------------------------
def model_page(ctx: _Context, repo: str) -> Report:
    """One model: what it is, its downloads trend, its derivative counts over time, its licence
    history and former names (the `trends --model` and `derivatives MODEL` reports, and its events)."""
    from oss_tracker import licenses as lic
    from oss_tracker.reports.derivatives import model_history
    from oss_tracker.reports.trends import trends

    db = ctx.db
    found = model_row(db, repo)
    mid = found["id"]
    row = db.execute(
        f"""SELECT m.repo_id, g.name, {created()}, m.first_seen, m.last_seen, m.removed_at, m.license,
                   m.pipeline_tag, m.library_name, m.parameters, m.gated, m.base_model, m.base_relation,
                   s.downloads_30d, s.downloads_all_time, s.likes
            FROM models m JOIN orgs g ON g.id = m.org_id
            LEFT JOIN model_snapshots s ON s.model_id = m.id AND s.run_id = m.last_seen_run
            WHERE m.id = ?""",
        [mid],
    ).fetchone()
    keys = ("id", "org", "created_at", "first_seen", "last_seen", "removed_at", "license", "pipeline_tag",
            "library_name", "parameters", "gated", "base_model", "base_relation", "downloads_30d",
            "downloads_all_time", "likes")  # fmt: skip
    about = dict(zip(keys, row, strict=True))
    about["license_group"] = lic.group(about["license"]) if about["license"] else None
    events = [
        {"at": at, "kind": kind, "from": old, "to": new}
        for at, kind, old, new in db.execute(
            "SELECT at, kind, old, new FROM events WHERE model_id = ? ORDER BY at, id", [mid]
        ).fetchall()
    ]
    facts = [
        ("Account", about["org"], "str"), ("Created", about["created_at"], "date"),
        ("First seen", about["first_seen"], "datetime"), ("Last seen", about["last_seen"], "datetime"),
        ("Removed", about["removed_at"], "datetime"), ("Licence", about["license"], "str"),
        ("Licence group", about["license_group"], "str"), ("Pipeline", about["pipeline_tag"], "str"),
        ("Library", about["library_name"], "str"), ("Parameters", about["parameters"], "size"),
        ("Gated", about["gated"], "str"), ("Declared base", about["base_model"], "str"),
        ("Relation to its base", about["base_relation"], "str"),
        ("Downloads (last 30 days)", about["downloads_30d"], "int"),
        ("Downloads (all time)", about["downloads_all_time"], "int"), ("Likes", about["likes"], "int"),
    ]  # fmt: skip
    sections = [
        Section(
            "About",
            [Column("fact", ""), Column("value", "", "int")],  # each row says its kind
            [{"fact": f, "value": v, "kind": k} for f, v, k in facts if v not in (None, "")],
            row_kind="kind",
        ),
        Section(
            "Licence history",
            [Column("at", "Seen", "datetime"), Column("from", "From"), Column("to", "To")],
            [e for e in events if e["kind"] == "license_changed"],
            empty=f"no licence change seen: {about['license'] or 'unknown'} since first seen",
        ),
        Section(
            "Former names",
            [Column("at", "Seen", "datetime"), Column("from", "From"), Column("to", "To")],
            [e for e in events if e["kind"] == "renamed"],
            empty="no rename seen",
        ),
    ]
    trend = trends(db, models=[about["id"]], interval=ctx.interval, since=ctx.since)
    charts = []
    if trend.charts:
        chart = trend.charts[0]
        chart.title, chart.y_label = "Downloads per day", "Downloads per day"
        chart.note = ctx.note(DOWNLOADS, _per(ctx.interval), org_ids=[found["org_id"]])
        charts.append(chart)
    sections += [s for s in trend.sections[2:] if s.rows]
    counts: list[dict[str, Any]] = []
    with contextlib.suppress(NoData):
        counts = model_history(db, about["id"]).data["counts"]
    if counts:
        days = [c["day"] for c in reversed(counts)]
        series = [
            ChartSeries(rel, [c[rel] for c in reversed(counts)])
            for rel in ("total", "finetune", "quantized", "adapter", "merge")
            if any(c[rel] is not None for c in counts)
        ]
        charts.append(
            Chart("Direct derivatives", days, series, kind="int", y_label="Direct derivatives",
                  note=ctx.note(DERIVATIVES + "; a point on each day the model was counted (counts are "
                                "refreshed in rotation)", org_ids=[found["org_id"]]))
        )  # fmt: skip
    data = {"about": about, "events": events, "trend": trend.data, "derivatives": counts}
    return Report(
        title=about["id"],
        data=data,
        sections=sections,
        charts=charts,
        notes=[f"Removed: no longer listed since {about['removed_at']}"] if about["removed_at"] else [],
    )
