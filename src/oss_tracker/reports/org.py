"""`report --org`: an org's totals with their change, top models, licence mix, releases per
month, downloads trend and derivative totals. Reads SQLite only, never the Hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    archived,
    created,
    derivative_totals,
    details_summary,
    difference,
    kind_filter,
    kind_missing,
    kind_note,
    none_of_kind,
    org_row,
    org_runs,
    repo_summary,
    share_pct,
    sourced,
    totals_at,
)
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


def org_snapshot(db: Database, org: str, *, top: int = 10, kind: str = "all") -> tuple[int, dict[str, Any]]:
    """The org's id and its latest snapshot: totals with the change since the previous one,
    licence mix (by models, originals and 30-day downloads), releases per month (all and
    originals) and top models (what a company report sums); of the models of one kind."""
    org_id, name = org_row(db, org)
    runs = org_runs(db, org_id)
    if not runs:
        raise NoData(f"no snapshot of '{name}' yet: run `oss-tracker sync --org {name}`")
    (run_id, as_of, followers, _day), previous = runs[0], (runs[1] if len(runs) > 1 else None)
    totals = {**totals_at(db, org_id, run_id, kind), "followers": followers}
    change: dict[str, int | None] | None = None
    if previous is not None:
        before = {**totals_at(db, org_id, previous[0], kind), "followers": previous[2]}
        change = {k: difference(totals[k], before[k]) for k in totals}
    current = f"""FROM model_snapshots s JOIN models m ON m.id = s.model_id
                 WHERE s.run_id = ? AND m.org_id = ? AND m.removed_at IS NULL AND {kind_filter(kind)}"""
    mix = db.execute(
        f"""SELECT m.license, count(*) AS n, sum(m.kind = 'original'), coalesce(sum(s.downloads_30d), 0)
            {current} GROUP BY m.license ORDER BY n DESC, m.license""",
        [run_id, org_id],
    ).fetchall()
    months = db.execute(
        f"""SELECT substr({created()}, 1, 7) AS month, count(*), sum(m.kind = 'original')
            {current} AND {created()} IS NOT NULL GROUP BY month ORDER BY month""",
        [run_id, org_id],
    ).fetchall()
    top_models = [
        {
            "id": r[0],
            "downloads_30d": r[1],
            "downloads_all_time": r[2],
            "likes": r[3],
            "license": r[4],
            "created_at": r[5],
            "kind": r[6],
        }
        for r in db.execute(
            f"""SELECT m.repo_id, s.downloads_30d, s.downloads_all_time, s.likes, m.license, {created()}, m.kind
                {current} ORDER BY coalesce(s.downloads_30d, -1) DESC, m.repo_id LIMIT ?""",
            [run_id, org_id, top or -1],  # 0: all
        ).fetchall()
    ]
    data = {
        "org": name,
        "kind": kind,
        "as_of": as_of,
        **totals,
        **licence_mix(
            {k: n for k, n, _, _ in mix}, {k: o or 0 for k, _, o, _ in mix}, {k: d for k, _, _, d in mix}
        ),
        "releases_by_month": {m: n for m, n, _ in months},
        "original_releases_by_month": {m: o or 0 for m, _, o in months},
        "top_models": top_models,
        "details": details_summary(db, [org_id], kind),
        "previous_as_of": previous[1] if previous else None,
        "change": change,
    }
    return org_id, data


def licence_mix(
    licenses: dict[str, int], originals: dict[str, int], downloads: dict[str, int]
) -> dict[str, Any]:
    """The licence keys of a report's JSON (issue 14, point 7): current models per licence (as
    always), the originals and the 30-day downloads under each, and per licence group the models,
    originals and downloads with the OSI-permissive share of each."""
    from oss_tracker import licenses as lic
    from oss_tracker.reports.licences import GROUPS

    groups = {g: {"models": 0, "originals": 0, "downloads_30d": 0} for g in GROUPS}
    for key, n in licenses.items():
        group = groups[lic.group(key)]
        group["models"] += n
        group["originals"] += originals.get(key, 0)
        group["downloads_30d"] += downloads.get(key, 0)
    totals = {k: sum(g[k] for g in groups.values()) for k in ("models", "originals", "downloads_30d")}

    def share(key: str) -> float | None:
        return share_pct(groups["permissive"][key], totals[key])

    return {
        "licenses": licenses,
        "original_licenses": originals,
        "license_downloads_30d": downloads,
        "license_groups": groups,
        "permissive_share_pct": share("models"),
        "original_permissive_share_pct": share("originals"),
        "permissive_downloads_share_pct": share("downloads_30d"),
    }


@sourced
def org_report(db: Database, org: str, *, top: int = 10, days: int = 30, kind: str = "all") -> Report:
    """Totals with the change since the previous snapshot, top models, licence mix (by models and by
    downloads), releases per month (all and originals), the downloads trend of the last `days` days,
    derivative totals, and what the releases are (served, cited). `kind`: the model-based parts of
    that kind of model alone (the trend and the followers stay the account's)."""
    org_id, data = org_snapshot(db, org, top=top, kind=kind)
    name, as_of, previous_as_of = data["org"], data["as_of"], data["previous_as_of"]
    change, months = data["change"], data["releases_by_month"]
    trend = trend_part(db, [(org_id, name)], name, days)
    data["trend"] = trend_data(trend)
    derivs = derivative_totals(db, [org_id], kind).get(org_id)
    data["derivatives"] = derivs
    repos = repo_summary(db, [org_id])
    data["datasets"], data["spaces"] = repos["dataset"], repos["space"]
    total_rows = [
        {"metric": label, "value": data[k], "change": change[k] if change else None}
        for k, label in TOTAL_LABELS.items()
    ]
    by_kind = [
        top_section(top, data["top_models"]),
        *licence_sections(data, kind),
        releases_section(months, data["original_releases_by_month"], kind),
    ]
    derivs_part = derivatives_section(derivs)
    if none_of_kind(db, [org_id], kind):
        say_none_of_kind([*by_kind, derivs_part], kind_missing(kind, [name]))
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
            *by_kind,
            details_section(data["details"]),
            *trend_sections(trend, days),
            derivs_part,
        ],
        footer=f"as of {_human_dt(as_of)}"
        + (f"; compared with {_human_dt(previous_as_of)}" if previous_as_of else "")
        + (f" · {note}" if (note := archived(db, [org_id], trend.data["since"], trend.data["until"])) else "")
        + kind_footer(kind),
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


def say_none_of_kind(sections: list[Section], words: str) -> None:
    """The parts of a report filtered by --kind, when no model is of that kind: each empty one
    says so (`common.kind_missing`), not "nothing to show" or "no derivative counts yet"."""
    for section in sections:
        if not section.rows:
            section.empty = words


def kind_footer(kind: str) -> str:
    """A report's footer words for `--kind` (the trend and followers are the whole account's)."""
    if kind == "all":
        return ""
    return f" · {kind_note(kind)}: totals, top models, licences, releases, details and derivatives (not the trend)"


def releases_section(months: dict[str, int], originals: dict[str, int], kind: str = "all") -> Section:
    return Section(
        "Releases per month (by createdAt; current models, removed ones not counted)",
        [Column("month", "Month", "period"), Column("models", "Models", "int")]
        + ([Column("originals", "Originals", "int")] if kind == "all" else []),
        [{"month": k, "models": v, "originals": originals.get(k, 0)} for k, v in months.items()],
    )


SHOWN_PROVIDERS = 5


def details_section(details: dict[str, Any]) -> Section:
    """What the current models are (issue 14, point 8): served by inference providers, citing papers."""
    providers = details["providers"]
    # The five serving most by name, the rest counted: the whole list is in the JSON.
    named = ", ".join(f"{p} ({n})" for p, n in list(providers.items())[:SHOWN_PROVIDERS])
    if len(providers) > SHOWN_PROVIDERS:
        named += f" and {len(providers) - SHOWN_PROVIDERS} more"

    def n(count: int, noun: str) -> str:
        return f"{count:,} {noun}{'' if count == 1 else 's'}"

    served = (
        f"{n(details['models_served'], 'model')}, by {n(len(providers), 'provider')}: {named}"
        if providers
        else "none"
    )
    cited = f"{n(details['papers'], 'paper')} (arXiv), by {n(details['models_citing'], 'model')}"
    rows = [
        {"item": "Served by inference providers (live)", "value": served},
        {"item": "Papers cited", "value": cited if details["papers"] else "none"},
        {"item": "Mixture of experts, active parameters named",
         "value": n(details["moe_with_active_parameters"], "model") if details["moe_with_active_parameters"] else "none"},
    ]  # fmt: skip
    return Section(
        "What the releases are (current models)", [Column("item", "What"), Column("value", "How many")], rows
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
        Column("kind", "Kind"),
    ]
    return Section(
        f"{f'Top {top} models' if top else 'Models'} by downloads (last 30 days)", columns, top_models
    )


def licence_sections(data: dict[str, Any], kind: str = "all") -> list[Section]:
    """The licence mix by models and by 30-day downloads, per licence and per group (point 7)."""
    from oss_tracker import licenses as lic

    licenses, downloads = data["licenses"], data["license_downloads_30d"]
    total_models, total_downloads = sum(licenses.values()), sum(downloads.values())

    rows = [
        {"license": k, "group": lic.group(k), "models": v, "originals": data["original_licenses"].get(k, 0),
         "downloads_30d": downloads.get(k, 0), "models_pct": share_pct(v, total_models),
         "downloads_pct": share_pct(downloads.get(k, 0), total_downloads)}
        for k, v in licenses.items()
    ]  # fmt: skip
    groups = [
        {"group": g, **v, "models_pct": share_pct(v["models"], total_models),
         "downloads_pct": share_pct(v["downloads_30d"], total_downloads)}
        for g, v in data["license_groups"].items()
    ]  # fmt: skip
    # The same figures for a licence and for a licence group.
    figures = [
        Column("models", "Models", "int"),
        Column("originals", "Originals", "int", table=kind == "all"),
        Column("models_pct", "Share", "share"),
        Column("downloads_30d", "30-day downloads", "int"),
        Column("downloads_pct", "Share of downloads", "share"),
    ]
    return [
        Section(
            "Licence mix",
            [Column("license", "Licence"), Column("group", "Group", table=False), *figures],
            rows,
        ),
        Section(
            "Licence groups (permissive = OSI-approved permissive)",
            [Column("group", "Group"), *figures],
            groups,
        ),
    ]


def _human_dt(value: str) -> str:
    from oss_tracker.humanize import human_datetime

    return human_datetime(value)


# -- shared helpers for the analyst reports -----------------------------------------------
