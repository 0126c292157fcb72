"""Queries that turn the database into report rows. Reads only SQLite; never the Hub."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from oss_tracker.errors import NoData


@dataclass
class Column:
    key: str
    title: str
    kind: str = "str"  # str | int | delta | date | float | pct


@dataclass
class Section:
    """One table of a report: what the table, CSV and Markdown formats show."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    empty: str = "nothing to show"


@dataclass
class Report:
    """A report's raw data (the JSON form) and its sections (the human forms)."""

    title: str
    data: Any
    sections: list[Section] = field(default_factory=list)
    footer: str = ""


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


def org_report(db: Database, org: str, *, top: int = 10) -> Report:
    """Totals with the change since the previous snapshot, top models, licence mix, releases per month."""
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
    return Report(
        title=f"{name} on the Hugging Face Hub",
        data=data,
        sections=[
            Section(
                f"Totals (change since {previous[1][:10]})" if previous else "Totals (first snapshot)",
                [Column("metric", ""), Column("value", "Now", "int"), Column("change", "Change", "delta")],
                total_rows,
            ),
            Section(
                f"Top {top} models by downloads (last 30 days)",
                [
                    Column("id", "Model"),
                    Column("downloads_30d", "30-day", "int"),
                    Column("downloads_all_time", "All-time", "int"),
                    Column("likes", "Likes", "int"),
                    Column("license", "Licence"),
                    Column("created_at", "Created", "date"),
                ],
                top_models,
            ),
            Section(
                "Licence mix",
                [Column("license", "Licence"), Column("models", "Models", "int")],
                [{"license": k, "models": v} for k, v in licenses.items()],
            ),
            Section(
                "Releases per month (by createdAt)",
                [Column("month", "Month"), Column("models", "Models", "int")],
                [{"month": k, "models": v} for k, v in months.items()],
            ),
        ],
        footer=f"as of {as_of}" + (f"; compared with {previous[1]}" if previous else ""),
    )


def _diff(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def last_two_runs(db: Database) -> tuple[tuple[int, str], tuple[int, str] | None]:
    rows = db.execute(
        "SELECT id, started_at FROM runs WHERE status IN ('ok', 'partial') ORDER BY id DESC LIMIT 2"
    ).fetchall()
    if not rows:
        raise NoData("the database has no sync yet: run `oss-tracker sync` first")
    return (rows[0][0], rows[0][1]), ((rows[1][0], rows[1][1]) if len(rows) > 1 else None)


def changes(db: Database, org: str | None = None) -> Report:
    """What the last sync found changed since the one before: new, removed, renamed, licence changes."""
    (run_id, as_of), previous = last_two_runs(db)
    org_filter, args = "", []
    if org is not None:
        org_filter, args = " AND m.org_id = ?", [org_row(db, org)[0]]
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
