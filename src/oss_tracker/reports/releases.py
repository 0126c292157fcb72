"""The releases report: the release feed, newest first, and releases per month per org."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import (
    STORED_RUN,
    created,
    history,
    history_footer,
    json_column,
    kind_filter,
    kind_note,
    served,
    sourced,
    watched_orgs,
)
from oss_tracker.reports.model import Chart, ChartSeries, Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


@sourced
def releases(
    db: Database,
    *,
    orgs: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
    kind: str = "all",
) -> Report:
    """The release feed, newest first (a release: a model first seen in the org, dated by createdAt),
    and releases per month per org, all and originals (conversions and derived models apart). A
    removed model stays a release, marked removed. `kind`: only the releases of that kind."""
    from oss_tracker import licenses as lic
    from oss_tracker.humanize import human_date

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    marks = ",".join("?" * len(org_ids))
    released = f"coalesce({created()}, m.first_seen)"
    where, args = f"m.org_id IN ({marks}) AND {kind_filter(kind)}", list(org_ids)
    if since is not None:
        where += f" AND {released} >= ?"
        args.append(since.isoformat())
    if until is not None:
        where += f" AND {released} < ?"
        args.append((until + timedelta(days=1)).isoformat())
    total = db.execute(f"SELECT count(*) FROM models m WHERE {where}", args).fetchone()[0]
    feed = [
        {
            "id": r[0],
            "org": r[1],
            "created_at": r[2],
            "first_seen": r[3],
            "license": r[4],
            "license_group": lic.group(r[4]),
            "parameters": r[5],
            "pipeline_tag": r[6],
            "library_name": r[7],
            "removed_at": r[8],
            "_id": r[9],
            "kind": r[10],
            "kind_inferred": None if r[11] is None else bool(r[11]),
            "architecture": r[12],
            "active_parameters": r[13],
            "context_length": r[14],
            "providers": json_column(r[15]),
            "papers": json_column(r[16]),
            "model_type": r[17],
            "gated": r[18],
        }
        for r in db.execute(
            f"""SELECT m.repo_id, g.name, {created()}, m.first_seen, m.license, m.parameters, m.pipeline_tag,
                       m.library_name, m.removed_at, m.id, m.kind, m.kind_inferred, m.architecture,
                       m.active_parameters, m.context_length, m.providers, m.papers, m.model_type, m.gated
                FROM models m JOIN orgs g ON g.id = m.org_id WHERE {where}
                ORDER BY {released} DESC, m.repo_id
                {"LIMIT ?" if limit else ""}""",
            args + ([limit] if limit else []),
        ).fetchall()
    ]
    ids = [row.pop("_id") for row in feed]
    for row, velocity in zip(feed, launch_velocity(db, ids), strict=True):
        row["status"] = "removed" if row["removed_at"] else ""
        row.update(velocity)
        row["served_by"] = served(row["providers"])
        row["papers_cited"] = None if row["papers"] is None else len(row["papers"])
    originals = db.execute(
        f"SELECT count(*) FROM models m WHERE {where} AND m.kind = 'original'", args
    ).fetchone()[0]
    months = db.execute(
        f"""SELECT substr({released}, 1, 7) AS month, g.name, count(*), sum(m.kind = 'original'),
                   sum(m.kind = 'conversion')
            FROM models m JOIN orgs g ON g.id = m.org_id WHERE {where}
            GROUP BY month, g.name ORDER BY month DESC, g.name COLLATE NOCASE""",
        args,
    ).fetchall()
    # Each month's original releases and conversions beside all of them: the site charts them too
    # (reports/site.py).
    by_month = [
        {"month": m, "org": o, "releases": n, "originals": k or 0, "conversions": c or 0}
        for m, o, n, k, c in months
    ]
    names = [name for _, name in watched]
    wide: dict[str, dict[str, Any]] = {}
    for m, o, n, k, _ in months:
        wide.setdefault(m, {"month": m, **dict.fromkeys(names, 0), "originals": 0, "total": 0})
        wide[m][o] = n
        wide[m]["originals"] += k or 0
        wide[m]["total"] += n
    hist = history(db, org_ids)
    data = {
        "as_of": hist["as_of"],
        "orgs": names,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "kind": kind,
        "total": total,
        "originals": originals,
        "shown": len(feed),
        "releases": feed,
        "by_month": by_month,
    }
    window = ""
    if since or until:
        window = " ".join(
            part
            for part in (
                f"since {human_date(since.isoformat())}" if since else "",
                f"until {human_date(until.isoformat())}" if until else "",
            )
            if part
        )
    empty = f"no releases {window}".strip() if window else "no releases"
    chart = _months_chart(by_month, names)
    charts = [chart] if chart.series else []
    if kind == "all" and originals:
        only = _months_chart([{**r, "releases": r["originals"]} for r in by_month], names)
        only.title = "Original releases per month"
        charts += [only] if only.series else []
    shown = f"showing {len(feed)} of {total:,} (--limit 0 shows all)" if len(feed) < total else ""
    counted = f"{originals:,} of {total:,} releases are originals" if kind == "all" else ""
    # The table marks a kind the Hub did not declare (as `model` says "inferred"); the CSV has
    # kind and kind_inferred apart, the JSON its rows as they are.
    shown_rows = [
        {**r, "kind_shown": f"{r['kind']}*" if r["kind"] and r["kind_inferred"] else r["kind"]} for r in feed
    ]
    inferred = (
        "* kind inferred: the Hub does not declare it (oss-tracker model ID says how it was inferred)"
        if any(r["kind_inferred"] for r in feed)
        else ""
    )
    # A status column only where a release is removed: an empty column says nothing.
    status = [Column("status", "Status", csv=False)] if any(r["status"] for r in feed) else []
    return Report(
        title="Releases" + (f" {window}" if window else ""),
        data=data,
        sections=[
            Section(
                "Newest first (by createdAt)",
                [
                    Column("created_at", "Created", "date"),
                    Column("id", "Model"),
                    Column("org", "Org", table=False),  # the repo id names it
                    Column("kind", "Kind", table=False),
                    Column("kind_shown", "Kind", csv=False),
                    Column("kind_inferred", "Kind inferred", "bool", table=False),
                    Column("license", "Licence"),
                    Column("license_group", "Group", table=False),
                    Column("parameters", "Size", "size"),
                    Column("active_parameters", "Active", "size"),
                    Column("architecture", "Architecture", table=False),
                    Column("model_type", "Model type", table=False),
                    Column("context_length", "Context", "int"),
                    Column("served_by", "Providers", "int"),
                    Column("papers_cited", "Papers", "int", table=False),
                    Column("pipeline_tag", "Pipeline"),
                    Column("library_name", "Library", table=False),
                    Column("gated", "Gated", table=False),
                    Column("first_seen", "First seen", "date"),
                    Column("downloads_at_first_sight", "At first sight", "int"),
                    Column("downloads_first_7_days", "First 7 days", "int"),
                    Column("downloads_first_30_days", "First 30 days", "int"),
                    Column("removed_at", "Removed at", table=False),
                    *status,
                ],
                shown_rows,
                empty=empty,
            ),
            Section(
                "Releases per month",
                [Column("month", "Month", "period")]
                + [Column(n, n, "int") for n in names]
                + ([Column("total", "Total", "int")] if len(names) > 1 else [])
                + ([Column("originals", "Originals", "int")] if kind == "all" else []),
                list(wide.values()),
                empty=empty,
            ),
        ],
        footer=history_footer(hist, counted, kind_note(kind), shown, inferred),
        charts=charts,
        main=0,
    )


def launch_velocity(db: Database, model_ids: list[int]) -> list[dict[str, int | None]]:
    """For each model (in order): its all-time downloads when the tracker first saw it, and in its
    first 7 and 30 days where the history has them.

    A model's all-time count at a moment is what it had downloaded since its creation, so "its
    first N days" is the all-time count of its last snapshot at most N days (N x 24 h) after its
    createdAt, provided that snapshot is in the last of those days (at least N - 1 days after):
    between N - 1 and N days of downloads. None where no snapshot falls in that day (a gap, a
    model created before the history began or too recently, an unknown createdAt)."""
    if not model_ids:
        return []
    at = "strftime('%Y-%m-%dT%H:%M:%SZ', c.created, '+{n} days')"
    within = """(SELECT s.downloads_all_time FROM runs r JOIN model_snapshots s ON s.run_id = r.id AND s.model_id = c.id
                 WHERE r.started_at > {lo} AND r.started_at <= {hi} AND {stored}
                 ORDER BY r.started_at DESC, r.id DESC LIMIT 1)"""
    rows = {
        mid: (first, d7, d30)
        for mid, first, d7, d30 in db.execute(
            f"""WITH c AS MATERIALIZED (SELECT m.id, m.first_seen_run, {created()} AS created
                                        FROM json_each(?) j JOIN models m ON m.id = j.value)
                SELECT c.id,
                       (SELECT s.downloads_all_time FROM model_snapshots s
                        WHERE s.run_id = c.first_seen_run AND s.model_id = c.id),
                       {within.format(lo=at.format(n=6), hi=at.format(n=7), stored=STORED_RUN)},
                       {within.format(lo=at.format(n=29), hi=at.format(n=30), stored=STORED_RUN)}
                FROM c""",
            [json.dumps(model_ids)],
        ).fetchall()
    }
    keys = ("downloads_at_first_sight", "downloads_first_7_days", "downloads_first_30_days")
    return [dict(zip(keys, rows.get(mid, (None, None, None)), strict=True)) for mid in model_ids]


MAX_MONTHS = 1200  # a century of months: more is no chart of releases


def _months_chart(by_month: list[dict[str, Any]], names: list[str]) -> Chart:
    """Releases per month per org; a month without a release is a zero (the history is complete)."""
    # Months as the database spells them; anything else (a damaged date) is left off the chart,
    # and the walk from the first to the last is bounded whatever they are.
    months = sorted(
        {r["month"] for r in by_month if re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", r["month"] or "")}
    )
    if not months:
        return Chart("Releases per month", [], [])
    y, m = int(months[0][:4]), int(months[0][5:])
    every: list[str] = []
    while f"{y}-{m:02d}" <= months[-1] and len(every) < MAX_MONTHS:
        every.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    counts = {(r["month"], r["org"]): r["releases"] for r in by_month}
    series = []
    for name in names:
        values: list[float | None] = [counts.get((mo, name), 0) for mo in every]
        first = next((i for i, v in enumerate(values) if v), None)
        if first is not None:
            series.append(
                ChartSeries(name, values, note=f"{sum(v or 0 for v in values):,} in all", offset=first)
            )
    return Chart(
        "Releases per month",
        [f"{mo}-01" for mo in every],
        series,
        kind="int",
        y_label="Releases",
        style="bar",
    )
