"""`report --org`: an org's totals with their change, top models, licence mix, releases per
month, downloads trend and derivative totals. Reads SQLite only, never the Hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    archived,
    created,
    derivative_totals,
    difference,
    org_row,
    org_runs,
    repo_summary,
    sourced,
    totals_at,
)
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


def org_snapshot(db: Database, org: str, *, top: int = 10) -> tuple[int, dict[str, Any]]:
    """The org's id and its latest snapshot: totals with the change since the previous one,
    licence mix, releases per month and top models (what a company report sums)."""
    org_id, name = org_row(db, org)
    runs = org_runs(db, org_id)
    if not runs:
        raise NoData(f"no snapshot of '{name}' yet: run `oss-tracker sync --org {name}`")
    (run_id, as_of, followers, _day), previous = runs[0], (runs[1] if len(runs) > 1 else None)
    totals = {**totals_at(db, org_id, run_id), "followers": followers}
    change: dict[str, int | None] | None = None
    if previous is not None:
        before = {**totals_at(db, org_id, previous[0]), "followers": previous[2]}
        change = {k: difference(totals[k], before[k]) for k in totals}
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
            [run_id, org_id, top or -1],  # 0: all
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


@sourced
def org_report(db: Database, org: str, *, top: int = 10, days: int = 30) -> Report:
    """Totals with the change since the previous snapshot, top models, licence mix, releases per month,
    the downloads trend of the last `days` days and the derivative totals."""
    org_id, data = org_snapshot(db, org, top=top)
    name, as_of, previous_as_of = data["org"], data["as_of"], data["previous_as_of"]
    change, licenses, months = data["change"], data["licenses"], data["releases_by_month"]
    trend = trend_part(db, [(org_id, name)], name, days)
    data["trend"] = trend_data(trend)
    derivs = derivative_totals(db, [org_id]).get(org_id)
    data["derivatives"] = derivs
    repos = repo_summary(db, [org_id])
    data["datasets"], data["spaces"] = repos["dataset"], repos["space"]
    total_rows = [
        {"metric": label, "value": data[k], "change": change[k] if change else None}
        for k, label in TOTAL_LABELS.items()
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
                total_rows + repo_rows(repos),
            ),
            top_section(top, data["top_models"]),
            licence_mix_section(licenses),
            releases_section(months),
            *trend_sections(trend, days),
            derivatives_section(derivs),
        ],
        footer=f"as of {_human_dt(as_of)}"
        + (f"; compared with {_human_dt(previous_as_of)}" if previous_as_of else "")
        + (
            f" · {note}" if (note := archived(db, [org_id], trend.data["since"], trend.data["until"])) else ""
        ),
        charts=trend.charts,
        notes=trend.notes,
    )


TOTAL_LABELS = {
    "models": "Models",
    "downloads_30d": "Downloads (last 30 days)",
    "downloads_all_time": "Downloads (all time)",
    "likes": "Likes",
    "followers": "Followers",
}


def repo_rows(repos: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The datasets and Spaces lines of a totals block (no change: their history is not summed)."""
    return [
        {"metric": "Datasets", "value": repos["dataset"]["count"], "change": None},
        {
            "metric": "Dataset downloads (last 30 days)",
            "value": repos["dataset"]["downloads_30d"],
            "change": None,
        },
        {"metric": "Spaces", "value": repos["space"]["count"], "change": None},
        {"metric": "Space likes", "value": repos["space"]["likes"], "change": None},
    ]


def trend_part(db: Database, accounts: list[tuple[int, str]], name: str, days: int) -> Report:
    """The downloads trend of the last `days` days, of one account or several summed."""
    from oss_tracker.reports.trends import summed_downloads

    return summed_downloads(db, accounts, name, span=days)


def trend_data(trend: Report) -> dict[str, Any]:
    """The `trend` key of a report's JSON."""
    series = trend.data["series"][0]
    return {
        "metric": "downloads",
        "interval": "day",
        "since": trend.data["since"],
        "until": trend.data["until"],
        "window": series["window"],
        "points": series["points"],
        "drops": trend.data["drops"],
    }


def trend_sections(trend: Report, days: int) -> list[Section]:
    """Downloads per day, and the all-time counts that went down (which the trend's note announces)."""
    per_day = trend.sections[1]
    out = [
        Section(
            f"Downloads per day (last {days} days)",
            [c for c in per_day.columns if c.key not in ("org", "model")],
            per_day.rows,
            empty=per_day.empty,
        )
    ]
    drops = trend.sections[2]
    if drops.rows:
        out.append(Section(drops.title, drops.columns, drops.rows, empty=drops.empty))
    return out


def releases_section(months: dict[str, int]) -> Section:
    return Section(
        "Releases per month (by createdAt)",
        [Column("month", "Month", "period"), Column("models", "Models", "int")],
        [{"month": k, "models": v} for k, v in months.items()],
    )


def derivatives_section(derivs: dict[str, Any] | None) -> Section:
    return Section(
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
    )


TOTALS_COLUMNS = [Column("metric", ""), Column("value", "Now", "int"), Column("change", "Change", "delta")]


def top_section(top: int, top_models: list[dict[str, Any]]) -> Section:
    columns = [
        Column("id", "Model"),
        Column("downloads_30d", "30-day", "int"),
        Column("downloads_all_time", "All-time", "int"),
        Column("likes", "Likes", "int"),
        Column("license", "Licence"),
        Column("created_at", "Created", "date"),
    ]
    return Section(
        f"{f'Top {top} models' if top else 'Models'} by downloads (last 30 days)", columns, top_models
    )


def licence_mix_section(licenses: dict[str, int]) -> Section:
    rows = [{"license": k, "models": v} for k, v in licenses.items()]
    return Section("Licence mix", [Column("license", "Licence"), Column("models", "Models", "int")], rows)


def _human_dt(value: str) -> str:
    from oss_tracker.humanize import human_datetime

    return human_datetime(value)


# -- shared helpers for the analyst reports -----------------------------------------------
