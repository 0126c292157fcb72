"""Queries that turn the database into report rows. Reads only SQLite; never the Hub."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


@dataclass
class Column:
    key: str
    title: str
    # str | int | delta | date | datetime | period | float | rate | pct | share | size | bool
    kind: str = "str"
    table: bool = True  # shown in the table and Markdown forms
    csv: bool = True  # written in the CSV form


@dataclass
class Section:
    """One table of a report: what the table, CSV and Markdown formats show."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    empty: str = "nothing to show"
    group: str | None = None  # a key whose change of value draws a line in the table
    total: dict[str, Any] | None = None  # a totals row for the human forms (never in the CSV)
    human: bool = True  # False: a section only the CSV form writes (see Report.main)
    row_kind: str | None = None  # a key whose value is the kind of the row's numeric cells


@dataclass
class ChartSeries:
    name: str
    values: list[float | None]  # one a Chart.x; None is a gap (no snapshot)
    note: str = ""
    offset: int = 0  # values before this index are not tracked yet: drawn as nothing


@dataclass
class Chart:
    """A small time-series chart: a sparkline a series in the terminal, lines in --plot."""

    title: str
    x: list[str]  # ISO dates, one a value
    series: list[ChartSeries]
    kind: str = "int"  # how a value is shown (a Column kind)
    y_label: str = ""
    style: str = "line"  # line (a level or rate over time) | bar (counts per period, stacked)


@dataclass
class Report:
    """A report's raw data (the JSON form) and its sections (the human forms)."""

    title: str
    data: Any
    sections: list[Section] = field(default_factory=list)
    footer: str = ""
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warning lines above the tables
    main: int | None = None  # the section the CSV form writes (default: the first list)


def org_row(db: Database, org: str) -> tuple[int, str]:
    """The org's id and stored spelling, or NoData if it was never synced."""
    row = db.execute("SELECT id, name FROM orgs WHERE name = ? COLLATE NOCASE", [org]).fetchone()
    if row is None:
        raise NoData(f"no data for organization '{org}': it was never synced (see `oss-tracker status`)")
    return int(row[0]), str(row[1])


def org_runs(db: Database, org_id: int, limit: int = 2) -> list[tuple[int, str, int | None]]:
    """The org's latest snapshots, newest first: (run id, run start, followers)."""
    return [
        (int(r[0]), str(r[1]), r[2])
        for r in db.execute(
            """SELECT o.run_id, r.started_at, o.followers FROM org_snapshots o JOIN runs r ON r.id = o.run_id
               WHERE o.org_id = ? ORDER BY o.run_id DESC LIMIT ?""",
            [org_id, limit],
        ).fetchall()
    ]


def _totals(db: Database, org_id: int, run_id: int) -> dict[str, int]:
    row = db.execute(
        """SELECT count(*), coalesce(sum(s.downloads_30d), 0), coalesce(sum(s.downloads_all_time), 0),
                  coalesce(sum(s.likes), 0)
           FROM model_snapshots s JOIN models m ON m.id = s.model_id
           WHERE s.run_id = ? AND m.org_id = ?""",
        [run_id, org_id],
    ).fetchone()
    return {"models": row[0], "downloads_30d": row[1], "downloads_all_time": row[2], "likes": row[3]}


def org_report(db: Database, org: str, *, top: int = 10, days: int = 30) -> Report:
    """Totals with the change since the previous snapshot, top models, licence mix, releases per month,
    the downloads trend of the last `days` days and the derivative totals."""
    org_id, name = org_row(db, org)
    runs = org_runs(db, org_id)
    if not runs:
        raise NoData(f"no snapshot of '{name}' yet: run `oss-tracker sync --org {name}`")
    (run_id, as_of, followers), previous = runs[0], (runs[1] if len(runs) > 1 else None)
    totals = {**_totals(db, org_id, run_id), "followers": followers}
    change: dict[str, int | None] | None = None
    if previous is not None:
        before = {**_totals(db, org_id, previous[0]), "followers": previous[2]}
        change = {k: _diff(totals[k], before[k]) for k in totals}
    current = """FROM model_snapshots s JOIN models m ON m.id = s.model_id
                 WHERE s.run_id = ? AND m.org_id = ? AND m.removed_at IS NULL"""
    licenses = dict(
        db.execute(
            f"SELECT m.license, count(*) AS n {current} GROUP BY m.license ORDER BY n DESC, m.license",
            [run_id, org_id],
        ).fetchall()
    )
    months = dict(
        db.execute(
            f"""SELECT substr(m.created_at, 1, 7) AS month, count(*) {current} AND m.created_at IS NOT NULL
                GROUP BY month ORDER BY month""",
            [run_id, org_id],
        ).fetchall()
    )
    top_models = [
        {
            "id": r[0],
            "downloads_30d": r[1],
            "downloads_all_time": r[2],
            "likes": r[3],
            "license": r[4],
            "created_at": r[5],
        }
        for r in db.execute(
            f"""SELECT m.repo_id, s.downloads_30d, s.downloads_all_time, s.likes, m.license, m.created_at {current}
                ORDER BY coalesce(s.downloads_30d, -1) DESC, m.repo_id LIMIT ?""",
            [run_id, org_id, top],
        ).fetchall()
    ]
    data = {
        "org": name,
        "as_of": as_of,
        **totals,
        "licenses": licenses,
        "releases_by_month": months,
        "top_models": top_models,
        "previous_as_of": previous[1] if previous else None,
        "change": change,
    }
    trend = trends(db, orgs=[name], metric="downloads", interval="day", since=None, until=None, span=days)
    series = trend.data["series"][0]
    data["trend"] = {
        "metric": "downloads",
        "interval": "day",
        "since": trend.data["since"],
        "until": trend.data["until"],
        "window": series["window"],
        "points": series["points"],
        "drops": trend.data["drops"],
    }
    derivs = derivative_totals(db, [org_id]).get(org_id)
    data["derivatives"] = derivs
    repos = repo_summary(db, [org_id])
    data["datasets"], data["spaces"] = repos["dataset"], repos["space"]
    labels = {
        "models": "Models",
        "downloads_30d": "Downloads (last 30 days)",
        "downloads_all_time": "Downloads (all time)",
        "likes": "Likes",
        "followers": "Followers",
    }
    total_rows = [
        {"metric": label, "value": totals[k], "change": change[k] if change else None}
        for k, label in labels.items()
    ]
    total_rows += [
        {"metric": "Datasets", "value": repos["dataset"]["count"], "change": None},
        {
            "metric": "Dataset downloads (last 30 days)",
            "value": repos["dataset"]["downloads_30d"],
            "change": None,
        },
        {"metric": "Spaces", "value": repos["space"]["count"], "change": None},
        {"metric": "Space likes", "value": repos["space"]["likes"], "change": None},
    ]
    return Report(
        title=f"{name} on the Hugging Face Hub",
        data=data,
        sections=[
            Section(
                f"Totals (change since {_human_dt(previous[1])})" if previous else "Totals (first snapshot)",
                TOTALS_COLUMNS,
                total_rows,
            ),
            top_section(top, top_models),
            licence_mix_section(licenses),
            Section(
                "Releases per month (by createdAt)",
                [Column("month", "Month", "period"), Column("models", "Models", "int")],
                [{"month": k, "models": v} for k, v in months.items()],
            ),
            Section(
                f"Downloads per day (last {days} days)",
                [c for c in trend.sections[1].columns if c.key not in ("org", "model")],
                trend.sections[1].rows,
                empty=trend.sections[1].empty,
            ),
            Section(
                "Derivatives (direct children; each model's latest count)",
                [Column("relation", "Relation"), Column("models", "Derivatives", "int")],
                [
                    {"relation": k.replace("_", " "), "models": derivs[k]}
                    for k in ("finetune", "quantized", "adapter", "merge", "split_unknown", "total")
                    if k != "split_unknown" or derivs[k]
                ]
                if derivs
                else [],
                empty="no derivative counts yet",
            ),
        ],
        footer=f"as of {_human_dt(as_of)}"
        + (f"; compared with {_human_dt(previous[1])}" if previous else ""),
        charts=trend.charts,
        notes=trend.notes,
    )


TOTALS_COLUMNS = [Column("metric", ""), Column("value", "Now", "int"), Column("change", "Change", "delta")]
DROP_COLUMNS = [
    Column("org", "Org"),
    Column("model", "Model"),
    Column("from", "From", "date"),
    Column("to", "To", "date"),
    Column("before", "Before", "int"),
    Column("after", "After", "int"),
    Column("change", "Change", "delta"),
]


def top_section(top: int, top_models: list[dict[str, Any]]) -> Section:
    columns = [
        Column("id", "Model"),
        Column("downloads_30d", "30-day", "int"),
        Column("downloads_all_time", "All-time", "int"),
        Column("likes", "Likes", "int"),
        Column("license", "Licence"),
        Column("created_at", "Created", "date"),
    ]
    return Section(f"Top {top} models by downloads (last 30 days)", columns, top_models)


def licence_mix_section(licenses: dict[str, int]) -> Section:
    rows = [{"license": k, "models": v} for k, v in licenses.items()]
    return Section("Licence mix", [Column("license", "Licence"), Column("models", "Models", "int")], rows)


def repo_summary(db: Database, org_ids: list[int]) -> dict[str, dict[str, Any]]:
    """Current datasets and Spaces of these orgs: how many, and their summed downloads and likes."""
    out: dict[str, dict[str, Any]] = {}
    marks = ",".join("?" * len(org_ids)) or "NULL"
    for kind in ("dataset", "space"):
        row = db.execute(
            f"""SELECT count(*), sum(s.downloads_30d), sum(s.downloads_all_time), sum(s.likes)
                FROM repos r JOIN repo_snapshots s ON s.repo_id = r.id AND s.run_id = r.last_seen_run
                WHERE r.kind = ? AND r.removed_at IS NULL AND r.org_id IN ({marks})""",
            [kind, *org_ids],
        ).fetchone()
        out[kind] = {"count": row[0], "downloads_30d": row[1], "downloads_all_time": row[2], "likes": row[3]}
    return out


def _human_dt(value: str) -> str:
    from oss_tracker.render import human_datetime

    return human_datetime(value)


def _diff(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def last_two_runs(db: Database) -> tuple[tuple[int, str], tuple[int, str] | None]:
    rows = db.execute(
        "SELECT id, started_at FROM runs WHERE status IN ('ok', 'partial') ORDER BY id DESC LIMIT 2"
    ).fetchall()
    if not rows:
        raise NoData("the database has no sync yet: run `oss-tracker sync` first")
    return (rows[0][0], rows[0][1]), ((rows[1][0], rows[1][1]) if len(rows) > 1 else None)


def changes(db: Database, orgs: list[str] | None = None) -> Report:
    """What the last sync found changed since the one before: new, removed, renamed, licence changes."""
    (run_id, as_of), previous = last_two_runs(db)
    org_filter, args = "", []
    if orgs:
        ids = [oid for oid, _ in watched_orgs(db, orgs)]
        org_filter, args = f" AND m.org_id IN ({','.join('?' * len(ids))})", ids
    # A model is new only if its org had been synced before: adding an org to the
    # watch list is not a wave of releases.
    new = [
        r[0]
        for r in db.execute(
            f"""SELECT m.repo_id FROM models m WHERE m.first_seen_run = ?{org_filter}
                AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.org_id = m.org_id AND o.run_id < ?)
                ORDER BY m.created_at DESC, m.repo_id""",
            [run_id, *args, run_id],
        ).fetchall()
    ]

    def events(kind: str) -> list[tuple[str, str | None, str | None]]:
        return db.execute(
            f"""SELECT m.repo_id, e.old, e.new FROM events e JOIN models m ON m.id = e.model_id
                WHERE e.run_id = ? AND e.kind = ?{org_filter} ORDER BY e.id""",
            [run_id, kind, *args],
        ).fetchall()

    removed = [old for _, old, _ in events("removed")]
    renamed = [{"from": old, "to": new_id} for _, old, new_id in events("renamed")]
    license_changed = [
        {"id": repo, "from": old, "to": new_key} for repo, old, new_key in events("license_changed")
    ]
    data = {
        "as_of": as_of,
        "since": previous[1] if previous else None,
        "new": new,
        "removed": removed,
        "renamed": renamed,
        "license_changed": license_changed,
    }
    rows = (
        [{"change": "new", "model": i, "detail": ""} for i in new]
        + [{"change": "removed", "model": i, "detail": ""} for i in removed]
        + [{"change": "renamed", "model": r["to"], "detail": f"from {r['from']}"} for r in renamed]
        + [
            {"change": "licence", "model": r["id"], "detail": f"{r['from']} -> {r['to']}"}
            for r in license_changed
        ]
    )
    since = f"since {previous[1]}" if previous else "(first sync: nothing to compare with)"
    return Report(
        title="Changes in the last sync",
        data=data,
        sections=[
            Section(
                f"Changes {since}",
                [Column("change", "Change"), Column("model", "Model"), Column("detail", "Detail")],
                rows,
                empty="no changes",
            )
        ],
        footer=f"run of {as_of}",
    )


# -- shared helpers for the analyst reports -----------------------------------------------
STORED_RUN = "r.status IN ('ok', 'partial')"


def watched_orgs(db: Database, names: list[str] | None = None) -> list[tuple[int, str]]:
    """The named orgs (id, stored spelling), or every org with a snapshot, by name."""
    if names:
        seen: dict[int, str] = {}
        for name in names:
            oid, stored = org_row(db, name)
            seen.setdefault(oid, stored)
        return list(seen.items())
    found = db.execute(
        """SELECT g.id, g.name FROM orgs g
           WHERE EXISTS (SELECT 1 FROM org_snapshots o WHERE o.org_id = g.id)
           ORDER BY g.name COLLATE NOCASE"""
    ).fetchall()
    if not found:
        raise NoData("the database has no sync yet: run `oss-tracker sync` first")
    return [(int(i), str(n)) for i, n in found]


def history(db: Database, org_ids: list[int]) -> dict[str, Any]:
    """First and last snapshot day, number of snapshot days and runs, and the latest run start."""
    marks = ",".join("?" * len(org_ids)) or "NULL"
    row = db.execute(
        f"""SELECT min(r.day), max(r.day), count(DISTINCT r.day), count(DISTINCT r.id), max(r.started_at)
            FROM org_snapshots o JOIN runs r ON r.id = o.run_id
            WHERE o.org_id IN ({marks}) AND {STORED_RUN}""",
        org_ids,
    ).fetchone()
    return {"first_day": row[0], "last_day": row[1], "snapshots": row[2], "runs": row[3], "as_of": row[4]}


def _footer(hist: dict[str, Any], *extra: str) -> str:
    from oss_tracker.render import human_date, human_datetime

    parts = []
    if hist.get("as_of"):
        parts.append(f"as of {human_datetime(hist['as_of'])}")
    if hist.get("first_day"):
        n = hist["snapshots"]
        parts.append(
            f"history {human_date(hist['first_day'])} – {human_date(hist['last_day'])}, "
            f"{n} daily snapshot{'s' if n != 1 else ''}"
        )
    return " · ".join([*parts, *(e for e in extra if e)])


def _latest_run(db: Database, org_id: int) -> tuple[int, str, str] | None:
    """The org's latest stored snapshot: (run id, run start, day)."""
    row = db.execute(
        f"""SELECT o.run_id, r.started_at, r.day FROM org_snapshots o JOIN runs r ON r.id = o.run_id
            WHERE o.org_id = ? AND {STORED_RUN} ORDER BY r.started_at DESC, o.run_id DESC LIMIT 1""",
        [org_id],
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


def derivative_totals(db: Database, org_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per org: the sum of each current model's latest derivative count (direct children)."""
    if not org_ids:
        return {}
    marks = ",".join("?" * len(org_ids))
    out: dict[int, dict[str, Any]] = {}
    for row in db.execute(
        f"""SELECT m.org_id, count(*), sum(d.finetune), sum(d.quantized), sum(d.adapter), sum(d.merge),
                   sum(d.total), max(d.day), sum(CASE WHEN d.finetune IS NULL THEN d.total ELSE 0 END)
            FROM models m JOIN derivative_counts d ON d.model_id = m.id
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL
              AND d.day = (SELECT max(x.day) FROM derivative_counts x WHERE x.model_id = m.id)
            GROUP BY m.org_id""",
        org_ids,
    ).fetchall():
        out[row[0]] = {
            "models_counted": row[1],
            "finetune": row[2],
            "quantized": row[3],
            "adapter": row[4],
            "merge": row[5],
            "total": row[6],
            "as_of_day": row[7],
            # Children of models for which the Hub gave only a total (no split by relation).
            "split_unknown": row[8],
        }
    return out


def model_row(db: Database, ident: str) -> dict[str, Any]:
    """A model by repo id (current or a former name) or Hub `_id`, or NoData."""
    base = """SELECT m.id, m.repo_id, m.org_id, g.name, m.removed_at, r.day
              FROM models m JOIN orgs g ON g.id = m.org_id JOIN runs r ON r.id = m.last_seen_run"""
    row = db.execute(f"{base} WHERE m.repo_id = ? COLLATE NOCASE", [ident]).fetchone()
    if row is None:
        row = db.execute(
            f"""{base} WHERE m.id = (SELECT e.model_id FROM events e WHERE e.kind = 'renamed'
                                      AND e.old = ? COLLATE NOCASE ORDER BY e.id DESC LIMIT 1)""",
            [ident],
        ).fetchone()
    if row is None:
        row = db.execute(f"{base} WHERE m.hub_id = ?", [ident]).fetchone()
    if row is None:
        raise NoData(f"no model '{ident}' in the database (see `oss-tracker releases`)")
    return {
        "id": row[0],
        "repo_id": row[1],
        "org_id": row[2],
        "org": row[3],
        "removed_at": row[4],
        "last_day": row[5],
    }


# -- trends ---------------------------------------------------------------------------------
METRIC_TITLES = {
    # metric: (report title, level column, change column, chart title)
    "downloads": ("Downloads", "All-time", "Downloads", "Downloads per day"),
    "likes": ("Likes", "Likes", "Change", "Likes"),
    "models": ("Models", "Models", "Change", "Models listed"),
    "followers": ("Followers", "Followers", "Change", "Followers"),
    # The level is the sum of each current model's latest count (carried forward), labelled so.
    "derivatives": ("Derivatives (direct children)", "Latest", "Change", "Derivatives, latest counts"),
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
) -> Report:
    """A time series per org (or model): the level, its change, the per-day rate and the growth.

    Without `since`, the window is the last `span` days (default: 30 days by day, 26 weeks by
    week, the whole history by month) up to the last snapshot."""
    from oss_tracker import series as ts

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
    span = span or DEFAULT_SPAN[interval]
    if since is None and span is not None:
        last = _last_day(db, org_ids, metric)
        if last is not None:
            end = min(until, last) if until else last
            since = end - timedelta(days=span - 1)
    built, start, end = ts.build(db, subjects, metric=metric, interval=interval, since=since, until=until)
    return _trends_report(built, metric=metric, interval=interval, start=start, end=end, models=bool(models))


def _last_day(db: Database, org_ids: list[int], metric: str) -> date | None:
    marks = ",".join("?" * len(org_ids)) or "NULL"
    if metric == "derivatives":  # the last day a run stored one of the orgs and counted derivatives
        sql = f"""SELECT max(r.day) FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                  WHERE o.org_id IN ({marks}) AND {STORED_RUN}
                    AND EXISTS (SELECT 1 FROM derivative_counts d WHERE d.run_id = r.id)"""
    else:
        sql = f"""SELECT max(r.day) FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                  WHERE o.org_id IN ({marks}) AND {STORED_RUN}"""
    day = db.execute(sql, org_ids).fetchone()[0]
    return date.fromisoformat(day) if day else None


def _trends_report(built, *, metric: str, interval: str, start, end, models: bool) -> Report:
    from oss_tracker.render import human_date

    title, level_title, change_title, chart_title = METRIC_TITLES[metric]
    who = "model" if models else "org"
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
        }
        data_series.append(
            {"org": s.org, "model": s.model, "window": window, "points": [p.public() for p in s.points]}
        )
        if s.points:
            summary.append({"org": s.org, "model": s.model, **window, "drops": len(s.drops)})
        for p in s.points:
            note = "no snapshot" if p.gap else ""
            if p.drops:
                note = f"{p.drops} all-time drop{'s' if p.drops > 1 else ''}"
            elif not p.gap and p.days and p.days > _interval_days(interval):
                note = f"over {p.days} days"
            cover = {}
            if metric == "derivatives" and not p.gap:
                cover["coverage"] = f"{p.counted or 0}/{p.models or 0}"  # no separators: 80 columns
            rows.append({"org": s.org, "model": s.model, **p.public(), **cover, "note": note})
        drops += [d.public() for d in s.drops]
    as_of = max((p.as_of for s in built for p in s.points if p.as_of), default=None)
    data = {
        "metric": metric,
        "interval": interval,
        "since": start.isoformat() if start else None,
        "until": end.isoformat() if end else None,
        "as_of": as_of,
        "series": data_series,
        "drops": drops,
    }
    if metric == "derivatives":
        data["definitions"] = DERIVATIVE_DEFINITIONS
    name_col = Column("model", "Model") if models else Column("org", "Org")
    extra_name = [Column("org", "Org", table=False)] if models else [Column("model", "Model", table=False)]
    if start is None:
        empty = "no derivative counts yet" if metric == "derivatives" else "no snapshots yet"
    else:
        empty = f"no snapshots between {human_date(start.isoformat())} and {human_date(end.isoformat())}"
    per = {"day": "day", "week": "week", "month": "month"}[interval]
    sections = [
        Section(
            "Over the window",
            [
                name_col,
                Column("from", "From", "date"),
                Column("to", "To", "date"),
                Column("snapshots", "Snapshots", "int"),
                Column("gaps", "Gaps", "int"),
                Column("change", change_title if metric == "downloads" else "Change", "delta"),
                Column("growth_pct", "Growth", "pct"),
            ]
            + ([Column("drops", "Drops", "int")] if metric == "downloads" else []),
            summary,
            empty=empty,
        ),
        Section(
            f"{title} per {per}",
            [
                name_col,
                *extra_name,
                Column("period", INTERVAL_TITLES[interval], "period"),
                Column("period_start", "Period start", table=False),
                Column("date", "Snapshot", "date", table=interval != "day"),
                Column("as_of", "As of", "datetime", table=False),
                Column("gap", "Gap", "bool", table=False),
                Column("total", level_title, "int"),
                *(COVERAGE_COLUMNS if metric == "derivatives" else []),
                Column("change", change_title, "delta"),
                Column("days", "Days", "int"),
                Column("per_day", "Per day", "rate"),
                Column("growth_pct", "Growth", "pct"),
                Column("drops", "Drops", "int", table=False),
                Column("note", "Note", csv=False),
            ],
            rows,
            empty=empty,
            group=who,
        ),
    ]
    notes = []
    if metric == "downloads":
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
        from oss_tracker.render import human_datetime

        footer_parts.append(f"as of {human_datetime(as_of)}")
    if metric == "downloads":
        footer_parts.append("downloads = difference of all-time counts over the models in both snapshots")
    if metric == "derivatives":
        footer_parts.append(
            "latest = sum of each current model's latest count, carried forward; counted = models "
            "counted so far / current models; change = over the models counted at both points "
            "(a first count is coverage, not growth)"
        )
    return Report(
        title=f"{title} per {per}",
        data=data,
        sections=sections,
        footer=" · ".join(footer_parts),
        charts=[chart] if chart.series else [],
        notes=notes,
        main=1,
    )


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
            v = p.per_day if metric == "downloads" else p.total
            if not started and (p.gap or v is None):
                continue  # before the first value: not tracked, not a gap
            if not started:
                started, first = True, where[p.period_start]
            values[where[p.period_start]] = None if p.gap else v
        if started:
            out.append(ChartSeries(s.name, values, offset=first))
    kind = "rate" if metric == "downloads" else "int"
    return Chart(title, xs, out, kind=kind, y_label=title)


# -- releases -------------------------------------------------------------------------------
def releases(
    db: Database,
    *,
    orgs: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
) -> Report:
    """The release feed, newest first (a release: a model first seen in the org, dated by createdAt),
    and releases per month per org. A removed model stays a release, marked removed."""
    from oss_tracker import licenses as lic
    from oss_tracker.render import human_date

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    marks = ",".join("?" * len(org_ids))
    released = "coalesce(m.created_at, m.first_seen)"
    where, args = f"m.org_id IN ({marks})", list(org_ids)
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
        }
        for r in db.execute(
            f"""SELECT m.repo_id, g.name, m.created_at, m.first_seen, m.license, m.parameters, m.pipeline_tag,
                       m.library_name, m.removed_at
                FROM models m JOIN orgs g ON g.id = m.org_id WHERE {where}
                ORDER BY {released} DESC, m.repo_id
                {"LIMIT ?" if limit else ""}""",
            args + ([limit] if limit else []),
        ).fetchall()
    ]
    for row in feed:
        row["status"] = "removed" if row["removed_at"] else ""
    months = db.execute(
        f"""SELECT substr({released}, 1, 7) AS month, g.name, count(*)
            FROM models m JOIN orgs g ON g.id = m.org_id WHERE {where}
            GROUP BY month, g.name ORDER BY month DESC, g.name COLLATE NOCASE""",
        args,
    ).fetchall()
    by_month = [{"month": m, "org": o, "releases": n} for m, o, n in months]
    names = [name for _, name in watched]
    wide: dict[str, dict[str, Any]] = {}
    for m, o, n in months:
        wide.setdefault(m, {"month": m, **dict.fromkeys(names, 0), "total": 0})
        wide[m][o] = n
        wide[m]["total"] += n
    hist = history(db, org_ids)
    data = {
        "as_of": hist["as_of"],
        "orgs": names,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "total": total,
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
    shown = f"showing {len(feed)} of {total} (--limit 0 shows all)" if len(feed) < total else ""
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
                    Column("license", "Licence"),
                    Column("license_group", "Group", table=False),
                    Column("parameters", "Size", "size"),
                    Column("pipeline_tag", "Pipeline"),
                    Column("library_name", "Library", table=False),
                    Column("first_seen", "First seen", "date"),
                    Column("removed_at", "Removed at", table=False),
                    Column("status", "", csv=False),
                ],
                feed,
                empty=empty,
            ),
            Section(
                "Releases per month",
                [Column("month", "Month", "period")]
                + [Column(n, n, "int") for n in names]
                + ([Column("total", "Total", "int")] if len(names) > 1 else []),
                list(wide.values()),
                empty=empty,
            ),
        ],
        footer=_footer(hist, shown),
        charts=[chart] if chart.series else [],
        main=0,
    )


def _months_chart(by_month: list[dict[str, Any]], names: list[str]) -> Chart:
    """Releases per month per org; a month without a release is a zero (the history is complete)."""
    if not by_month:
        return Chart("Releases per month", [], [])
    months = sorted({r["month"] for r in by_month})
    y, m = int(months[0][:4]), int(months[0][5:])
    every = []
    while f"{y}-{m:02d}" <= months[-1]:
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


# -- licences ---------------------------------------------------------------------------------
GROUPS = ("permissive", "copyleft", "custom", "unknown")


def _shift(old_group: str, new_group: str) -> str:
    if old_group == new_group:
        return f"within {new_group}"
    if new_group == "permissive":
        return "to permissive"
    if old_group == "permissive":
        return "from permissive"
    return f"{old_group} to {new_group}"


def licenses_report(db: Database, *, orgs: list[str] | None = None) -> Report:
    """Licence mix per org by group, every licence change with its date, and the licences of
    each month's releases (as they stand now)."""
    from oss_tracker import licenses as lic

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    names = dict(watched)
    marks = ",".join("?" * len(org_ids))
    current = db.execute(
        f"""SELECT m.org_id, m.license, count(*) FROM models m
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL
            GROUP BY m.org_id, m.license""",
        org_ids,
    ).fetchall()
    per_org: dict[int, dict[str, Any]] = {
        oid: {"org": names[oid], "models": 0, "groups": dict.fromkeys(GROUPS, 0), "licenses": []}
        for oid in org_ids
    }
    for oid, key, n in current:
        entry = per_org[oid]
        entry["models"] += n
        entry["groups"][lic.group(key)] += n
        entry["licenses"].append({"license": key, "group": lic.group(key), "models": n})
    detail = []
    group_rows = []
    for entry in per_org.values():
        entry["licenses"].sort(key=lambda x: (-x["models"], x["license"]))
        total = entry["models"]
        for item in entry["licenses"]:
            item["share_pct"] = round(100.0 * item["models"] / total, 1) if total else None
            detail.append({"org": entry["org"], **item})
        entry["permissive_share_pct"] = (
            round(100.0 * entry["groups"]["permissive"] / total, 1) if total else None
        )
        group_rows.append(
            {
                "org": entry["org"],
                "models": total,
                **entry["groups"],
                "permissive_share_pct": entry["permissive_share_pct"],
            }
        )
    changes = [
        {
            "at": r[0],
            "org": r[1],
            "id": r[2],
            "from": r[3],
            "to": r[4],
            "from_group": lic.group(r[3] or lic.UNKNOWN),
            "to_group": lic.group(r[4] or lic.UNKNOWN),
        }
        for r in db.execute(
            f"""SELECT e.at, g.name, m.repo_id, e.old, e.new
                FROM events e JOIN models m ON m.id = e.model_id JOIN orgs g ON g.id = m.org_id
                WHERE e.kind = 'license_changed' AND m.org_id IN ({marks})
                ORDER BY e.at DESC, e.id DESC""",
            org_ids,
        ).fetchall()
    ]
    for c in changes:
        c["shift"] = _shift(c["from_group"], c["to_group"])
    months: dict[tuple[str, str], dict[str, Any]] = {}
    for month, oid, key, n in db.execute(
        f"""SELECT substr(coalesce(m.created_at, m.first_seen), 1, 7) AS month, m.org_id, m.license, count(*)
            FROM models m WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL
            GROUP BY month, m.org_id, m.license""",
        org_ids,
    ).fetchall():
        row = months.setdefault(
            (month, names[oid]), {"month": month, "org": names[oid], **dict.fromkeys(GROUPS, 0)}
        )
        row[lic.group(key)] += n
    by_month = [months[k] for k in sorted(months, key=lambda k: (k[0], k[1].lower()), reverse=False)]
    by_month.sort(key=lambda r: r["month"], reverse=True)
    hist = history(db, org_ids)
    data = {
        "as_of": hist["as_of"],
        "orgs": list(per_org.values()),
        "changes": changes,
        "by_release_month": by_month,
    }
    return Report(
        title="Licences",
        data=data,
        sections=[
            Section(
                "Licence groups per org (current models)",
                [
                    Column("org", "Org"),
                    Column("models", "Models", "int"),
                    Column("permissive", "Permissive (OSI)", "int"),
                    Column("copyleft", "Copyleft", "int"),
                    Column("custom", "Custom", "int"),
                    Column("unknown", "Unknown", "int"),
                    Column("permissive_share_pct", "Permissive share", "share"),
                ],
                group_rows,
                empty="no models",
            ),
            Section(
                "Licences",
                [
                    Column("org", "Org"),
                    Column("license", "Licence"),
                    Column("group", "Group"),
                    Column("models", "Models", "int"),
                    Column("share_pct", "Share", "share"),
                ],
                detail,
                empty="no models",
                group="org",
            ),
            Section(
                "Licence changes (newest first)",
                [
                    Column("at", "Date", "date"),
                    Column("org", "Org"),
                    Column("id", "Model"),
                    Column("from", "From"),
                    Column("to", "To"),
                    Column("from_group", "From group", table=False),
                    Column("to_group", "To group", table=False),
                    Column("shift", "Shift"),
                ],
                changes,
                empty="no licence change seen",
            ),
            Section(
                "Licences of each month's releases (current licences, by createdAt)",
                [
                    Column("month", "Month", "period"),
                    Column("org", "Org"),
                    Column("permissive", "Permissive", "int"),
                    Column("copyleft", "Copyleft", "int"),
                    Column("custom", "Custom", "int"),
                    Column("unknown", "Unknown", "int"),
                ],
                by_month,
                empty="no releases",
            ),
        ],
        footer=_footer(hist, "permissive = OSI-approved permissive; custom = any other named licence"),
        main=1,
    )


# -- compare -----------------------------------------------------------------------------------
COMPARE_ROWS = (
    # key, label, kind
    ("models", "Models", "int"),
    ("releases_30d", "Releases 30d", "int"),
    ("releases_90d", "Releases 90d", "int"),
    ("downloads_30d", "Downloads 30d", "int"),
    ("share_30d_pct", "Share 30d", "share"),
    ("downloads_all_time", "Downloads all-time", "int"),
    ("downloads_period", "Downloads in period", "int"),
    ("period_growth_pct", "Period growth", "pct"),
    ("likes", "Likes", "int"),
    ("followers", "Followers", "int"),
    ("derivatives", "Derivatives", "int"),
    ("datasets", "Datasets", "int"),
    ("spaces", "Spaces", "int"),
)


def _transpose(rows: list[dict[str, Any]], group: dict[str, Any], sum_30d: int) -> list[dict[str, Any]]:
    """Metrics as rows, orgs as columns: the human form of `compare`."""
    out = []
    for key, label, kind in COMPARE_ROWS:
        row: dict[str, Any] = {"metric": label, "kind": kind}
        for r in rows:
            row[f"org:{r['org']}"] = r.get(key)
        if key == "share_30d_pct":
            row["all"] = 100.0 if sum_30d else None
        elif key == "period_growth_pct":
            row["all"] = group.get("period_growth_pct")
        else:
            row["all"] = group.get(key)
        out.append(row)
    return out


def compare(db: Database, orgs: list[str] | None = None, *, since: date | None = None) -> Report:
    """The watched orgs side by side, as of their latest snapshots; downloads in the period since
    `since` (default: 30 days before the latest snapshot), and each org's share of the group."""
    from oss_tracker import series as ts
    from oss_tracker.render import human_date

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    hist = history(db, org_ids)
    if hist["last_day"] is None:
        raise NoData("no snapshot of these organizations yet: run `oss-tracker sync` first")
    ref = date.fromisoformat(hist["last_day"])
    start = since or ref - timedelta(days=30)
    derivs = derivative_totals(db, org_ids)
    rows: list[dict[str, Any]] = []
    drops: list[dict[str, Any]] = []
    for oid, name in watched:
        latest = _latest_run(db, oid)
        if latest is None:
            continue
        run_id, as_of, last_day = latest
        totals = _totals(db, oid, run_id)
        followers = db.execute(
            "SELECT followers FROM org_snapshots WHERE run_id = ? AND org_id = ?", [run_id, oid]
        ).fetchone()[0]
        releases_n = db.execute(
            """SELECT sum(coalesce(m.created_at, m.first_seen) >= ?), sum(coalesce(m.created_at, m.first_seen) >= ?)
               FROM models m WHERE m.org_id = ?""",
            # The last 30 days end with the snapshot day: ref-29 .. ref, not 31 days.
            [(ref - timedelta(days=29)).isoformat(), (ref - timedelta(days=89)).isoformat(), oid],
        ).fetchone()
        from_day, from_run = ts.org_day_at(db, oid, start.isoformat())
        period = period_base = None
        if from_day != last_day:
            period, period_base, found = ts.period_downloads(db, oid, from_run, run_id)
            drops += [
                {
                    "org": g,
                    "model": repo,
                    "from": from_day,
                    "to": last_day,
                    "before": b,
                    "after": a,
                    "change": a - b,
                }
                for _k, _r, g, repo, b, a in found
            ]
        d = derivs.get(oid)
        repos = repo_summary(db, [oid])
        rows.append(
            {
                "org": name,
                "as_of": as_of,
                "models": totals["models"],
                "releases_30d": releases_n[0] or 0,
                "releases_90d": releases_n[1] or 0,
                "downloads_30d": totals["downloads_30d"],
                "downloads_all_time": totals["downloads_all_time"],
                "downloads_period": period,
                "period_from": from_day if period is not None else None,
                "period_to": last_day if period is not None else None,
                "period_growth_pct": round(100.0 * period / period_base, 2)
                if period is not None and period_base
                else None,
                "likes": totals["likes"],
                "followers": followers,
                "derivatives": d["total"] if d else None,
                "datasets": repos["dataset"]["count"],
                "spaces": repos["space"]["count"],
                "_base": period_base if period is not None else None,
            }
        )
    sum_30d = sum(r["downloads_30d"] or 0 for r in rows)
    sum_period = sum(r["downloads_period"] or 0 for r in rows)
    for r in rows:
        r["share_30d_pct"] = round(100.0 * (r["downloads_30d"] or 0) / sum_30d, 1) if sum_30d else None
        r["share_period_pct"] = (
            round(100.0 * r["downloads_period"] / sum_period, 1)
            if sum_period and r["downloads_period"] is not None
            else None
        )

    def total(key: str) -> int | None:
        values = [r[key] for r in rows if r[key] is not None]
        return sum(values) if values else None

    group = {
        k: total(k)
        for k in (
            "models",
            "releases_30d",
            "releases_90d",
            "downloads_30d",
            "downloads_all_time",
            "downloads_period",
            "likes",
            "followers",
            "derivatives",
            "datasets",
            "spaces",
        )
    }
    bases = [r.pop("_base") for r in rows]
    base_sum = sum(b for b in bases if b)
    group["period_growth_pct"] = (
        round(100.0 * group["downloads_period"] / base_sum, 2)
        if group["downloads_period"] is not None and base_sum
        else None
    )
    data = {
        "as_of": hist["as_of"],
        "since": start.isoformat(),
        "orgs": rows,
        "group": group,
        "drops": drops,
    }
    notes = []
    if drops:
        notes.append(
            f"Warning: {len(drops)} all-time download count{'s' if len(drops) > 1 else ''} went down in the "
            "period (the Hub recounts); the period downloads include the drop."
        )
    late = sorted(
        {r["period_from"] for r in rows if r["period_from"] and r["period_from"] > start.isoformat()}
    )
    period_note = f"period: since {human_date(start.isoformat())}"
    if late:
        period_note += f" (history starts {human_date(late[0])})"
    drop_section = Section(
        "All-time download counts that went down in the period",
        DROP_COLUMNS,
        drops,
        empty="no all-time count went down",
    )
    return Report(
        title="Watched organizations side by side",
        data=data,
        sections=[
            Section(
                "Side by side",
                [
                    Column("org", "Org"),
                    Column("as_of", "As of", table=False),
                    Column("models", "Models", "int"),
                    Column("releases_30d", "Rel. 30d", "int"),
                    Column("releases_90d", "Rel. 90d", "int"),
                    Column("downloads_30d", "Downloads 30-day", "int"),
                    Column("downloads_all_time", "Downloads all-time", "int"),
                    Column("downloads_period", "Downloads in period", "int"),
                    Column("period_from", "Period from", table=False),
                    Column("period_to", "Period to", table=False),
                    Column("period_growth_pct", "Period growth", "pct", table=False),
                    Column("share_30d_pct", "Share (30-day)", "share"),
                    Column("share_period_pct", "Share period", "share", table=False),
                    Column("likes", "Likes", "int"),
                    Column("followers", "Followers", "int"),
                    Column("derivatives", "Derivatives", "int"),
                    Column("datasets", "Datasets", "int"),
                    Column("spaces", "Spaces", "int"),
                ],
                rows,
                empty="no snapshot yet",
                human=False,
            ),
            Section(
                "Side by side",
                [Column("metric", "Metric")]
                + [Column(f"org:{r['org']}", r["org"], "int") for r in rows]
                + ([Column("all", "All", "int")] if len(rows) > 1 else []),
                _transpose(rows, group, sum_30d),
                empty="no snapshot yet",
                row_kind="kind",
            ),
            drop_section,
        ],
        footer=_footer(hist, period_note, "derivatives: direct children, each model's latest count"),
        notes=notes,
        main=0,
    )
