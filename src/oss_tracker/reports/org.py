"""The report data model, shared queries, the org report and changes. Reads SQLite only, never the Hub."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.org_totals import safe_rows

# The Hub's floor for createdAt (repos older than it all carry 2022-03-02T23:29:04Z).
CREATED_FLOOR = "2022-03-02"


def created(alias: str = "m") -> str:
    """SQL for a repo's stored createdAt where it can be true, else NULL: not before the Hub's
    floor, not later than a day after the tracker first saw the repo. A sync stores nothing
    else now; a database written before holds years like 999 (stored unpadded: `999-06-...`)
    or 9999, which must not break (or stretch to 108,000 months) a report."""
    c = f"{alias}.created_at"
    return (
        f"(CASE WHEN {c} >= '{CREATED_FLOOR}' "
        f"AND {c} <= strftime('%Y-%m-%dT%H:%M:%SZ', {alias}.first_seen, '+1 day') THEN {c} END)"
    )


# A run the reports read: every run in the file is one (a run is stored whole or not at all).
STORED_RUN = "r.status IN ('ok', 'partial')"

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


def org_runs(db: Database, org_id: int, limit: int = 2) -> list[tuple[int, str, int | None, str]]:
    """The org's latest stored snapshots, newest first: (run id, run start, followers, day).

    Run ids grow with run starts (a sync refuses to run before the newest stored run), so the
    latest are the highest ids: a walk down the (org_id, run_id) index, not a sort."""
    return [
        (int(r[0]), str(r[1]), r[2], str(r[3]))
        for r in db.execute(
            f"""SELECT o.run_id, r.started_at, o.followers, r.day FROM org_snapshots o JOIN runs r ON r.id = o.run_id
               WHERE o.org_id = ? AND {STORED_RUN} ORDER BY o.run_id DESC LIMIT ?""",
            [org_id, limit],
        ).fetchall()
    ]


def _totals(db: Database, org_id: int, run_id: int) -> dict[str, int | None]:
    """The org's model count and summed counts at a run (0 where it had no model; None where
    the sum is unknown: every count unknown, or a sum past 64 bits)."""
    from oss_tracker.org_totals import pair_sums

    at = pair_sums(db, [(org_id, run_id, None)], by="org").get((org_id, run_id))
    keys = ("models", "downloads_30d", "downloads_all_time", "likes")
    return {k: at[k] for k in keys} if at else dict.fromkeys(keys, 0)


def org_snapshot(db: Database, org: str, *, top: int = 10) -> tuple[int, dict[str, Any]]:
    """The org's id and its latest snapshot: totals with the change since the previous one,
    licence mix, releases per month and top models (what a company report sums)."""
    org_id, name = org_row(db, org)
    runs = org_runs(db, org_id)
    if not runs:
        raise NoData(f"no snapshot of '{name}' yet: run `oss-tracker sync --org {name}`")
    (run_id, as_of, followers, _day), previous = runs[0], (runs[1] if len(runs) > 1 else None)
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
            f"""SELECT substr({created()}, 1, 7) AS month, count(*) {current} AND {created()} IS NOT NULL
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
            f"""SELECT m.repo_id, s.downloads_30d, s.downloads_all_time, s.likes, m.license, {created()} {current}
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
    return org_id, data


def org_report(db: Database, org: str, *, top: int = 10, days: int = 30) -> Report:
    """Totals with the change since the previous snapshot, top models, licence mix, releases per month,
    the downloads trend of the last `days` days and the derivative totals."""
    org_id, data = org_snapshot(db, org, top=top)
    name, as_of, previous_as_of = data["org"], data["as_of"], data["previous_as_of"]
    change, licenses, months = data["change"], data["licenses"], data["releases_by_month"]
    from oss_tracker.trend_report import trends

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
        {"metric": label, "value": data[k], "change": change[k] if change else None}
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
                f"Totals (change since {_human_dt(previous_as_of)})"
                if previous_as_of
                else "Totals (first snapshot)",
                TOTALS_COLUMNS,
                total_rows,
            ),
            top_section(top, data["top_models"]),
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
        + (f"; compared with {_human_dt(previous_as_of)}" if previous_as_of else ""),
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
        [row] = safe_rows(
            db,
            f"""SELECT count(*), sum(s.downloads_30d), sum(s.downloads_all_time), sum(s.likes)
                FROM repos r JOIN repo_snapshots s ON s.repo_id = r.id AND s.run_id = r.last_seen_run
                WHERE r.kind = ? AND r.removed_at IS NULL AND r.org_id IN ({marks})""",
            [kind, *org_ids],
        )
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
                ORDER BY {created()} DESC, m.repo_id""",
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


def derivative_totals(db: Database, org_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per org: the sum of each current model's latest derivative count (direct children)."""
    if not org_ids:
        return {}
    marks = ",".join("?" * len(org_ids))
    out: dict[int, dict[str, Any]] = {}
    for row in safe_rows(
        db,
        f"""SELECT m.org_id, count(*), sum(d.finetune), sum(d.quantized), sum(d.adapter), sum(d.merge),
                   sum(d.total), max(d.day), sum(CASE WHEN d.finetune IS NULL THEN d.total ELSE 0 END)
            FROM models m JOIN derivative_latest d ON d.model_id = m.id
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL
            GROUP BY m.org_id""",
        org_ids,
    ):
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
