"""Companies and groups from the watch list, rolled up over their Hub accounts; datasets and Spaces.

A company's figures are the sums over its accounts (Alibaba = Qwen + Wan-AI + ...). A
group's share is measured twice: against the group's own total and against all the
downloads the database tracks.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.humanize import human_datetime
from oss_tracker.reports.common import (
    archived,
    created,
    derivative_totals,
    details_summary,
    kind_filter,
    kind_missing,
    kind_note,
    none_of_kind,
    repo_summary,
    share_pct,
    sourced,
    total,
    unknown_parts,
    watched_orgs,
)
from oss_tracker.reports.compare import compare
from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.reports.org import (
    TOTAL_LABELS,
    TOTALS_COLUMNS,
    derivatives_section,
    details_section,
    kind_footer,
    licence_mix,
    licence_sections,
    org_snapshot,
    releases_section,
    repo_rows,
    say_none_of_kind,
    top_section,
    trend_data,
    trend_part,
    trend_sections,
)
from oss_tracker.watchlist import Company, WatchList

if TYPE_CHECKING:
    from sqlite_utils import Database

SUMMED = ("models", "downloads_30d", "downloads_all_time", "likes", "followers")
LEVELS = ("models", "original_models", "releases_30d", "original_releases_30d", "releases_90d",
          "original_releases_90d", "downloads_30d", "downloads_all_time", "likes", "followers", "derivatives")  # fmt: skip
COMPARED = ("models", "original_models", "releases_30d", "original_releases_30d", "releases_90d",
            "original_releases_90d", "downloads_30d", "downloads_all_time", "downloads_period", "period_launches",
            "period_launch_downloads", "period_first_seen_not_counted", "likes", "followers",
            "derivatives")  # fmt: skip


def _stored(db: Database, accounts: list[str]) -> list[str]:
    names = {n.lower(): n for _, n in watched_orgs(db, None)}
    return [names[a.lower()] for a in accounts if a.lower() in names]


@sourced
def company_report(
    db: Database,
    company: Company,
    *,
    top: int = 10,
    days: int = 30,
    members: list[Company] | None = None,
    kind: str = "all",
) -> Report:
    """One report for all of a company's accounts (or, with `members`, of a watch-list group's
    companies, `company` standing for the group: see `group_as_company`): the sections of an
    org's report, each summed over the accounts.

    Totals add up each account's latest snapshot, and their change each account's change since
    its own previous one (an account at its first snapshot has none to add); a sum with an
    unknown part is unknown (`common.total`), and a note names it. The downloads trend sums the
    accounts day by day on the days they all have a snapshot (`trends.summed_downloads`); the
    derivative totals add up each account's.
    """
    group = company.name if members is not None else None
    what = f"group '{group}'" if group is not None else f"company '{company.name}'"
    accounts = _stored(db, company.accounts)
    if not accounts:
        raise NoData(f"no data for {what}: none of {', '.join(company.accounts)} was synced yet")
    ids = [(oid, n) for oid, n in watched_orgs(db, accounts)]
    parts = [org_snapshot(db, a, top=top, kind=kind)[1] for a in accounts]
    totals = {k: total([p[k] for p in parts]) for k in SUMMED}
    paired = [p for p in parts if p.get("change")]
    change: dict[str, int | None] = {
        k: total([p["change"][k] for p in paired]) if paired else None for k in SUMMED
    }
    counted: dict[str, dict[str, int]] = {k: {} for k in ("licenses", "original_licenses", "license_downloads_30d",
                                                         "releases_by_month", "original_releases_by_month")}  # fmt: skip
    top_models: list[dict[str, Any]] = []
    for p in parts:
        for key, sums in counted.items():
            for k, v in p[key].items():
                sums[k] = sums.get(k, 0) + v
        top_models += p["top_models"]
    top_models = sorted(top_models, key=lambda m: (-(m["downloads_30d"] or 0), m["id"]))[: top or None]
    licenses = dict(sorted(counted["licenses"].items(), key=lambda kv: (-kv[1], kv[0])))
    mix = licence_mix(licenses, counted["original_licenses"], counted["license_downloads_30d"])
    months = dict(sorted(counted["releases_by_month"].items()))
    original_months = dict(sorted(counted["original_releases_by_month"].items()))
    repos = _repos(db, accounts)
    label = f"group {group}" if group is not None else company.name
    trend = trend_part(db, ids, label, days)
    derivs = _summed_derivatives(derivative_totals(db, [oid for oid, _ in ids], kind))
    who: dict[str, Any] = (
        {"group": group, "companies": [c.name for c in members or [] if _stored(db, c.accounts)]}
        if group is not None
        else {"company": company.name, "country": company.country}
    )
    data = {
        **who,
        "kind": kind,
        "accounts": accounts,
        "as_of": max(p["as_of"] for p in parts),
        **totals,
        "change": change if any(p.get("change") for p in parts) else None,
        **mix,
        "releases_by_month": months,
        "original_releases_by_month": original_months,
        "top_models": top_models,
        "details": details_summary(db, [oid for oid, _ in ids], kind),
        "trend": trend_data(trend),
        "derivatives": derivs,
        "datasets": repos["dataset"],
        "spaces": repos["space"],
        "by_account": [{k: p[k] for k in ("org", "as_of", *SUMMED)} for p in parts],
    }
    rows = [{"metric": name, "value": totals[k], "change": change[k]} for k, name in TOTAL_LABELS.items()]
    account_cols = [Column("org", "Account"), Column("models", "Models", "int"),
                    Column("downloads_30d", "30-day", "int"), Column("downloads_all_time", "All-time", "int"),
                    Column("likes", "Likes", "int"), Column("followers", "Followers", "int")]  # fmt: skip
    sum_of = "the sum of its companies' accounts" if group is not None else "the sum of its accounts"
    by_kind = [
        top_section(top, top_models),
        *licence_sections(data, kind),
        releases_section(months, original_months, kind),
    ]
    derivs_part = derivatives_section(derivs)
    if none_of_kind(db, [oid for oid, _ in ids], kind):
        say_none_of_kind(
            [*by_kind, derivs_part], kind_missing(kind, accounts if group is not None else [company.name])
        )
    return Report(
        notes=_mixed_days([(p["org"], p["as_of"]) for p in parts])
        + unknown_parts(parts, SUMMED)
        + trend.notes,
        title=f"{label} ({', '.join(accounts)}) on the Hugging Face Hub",
        data=data,
        sections=[
            Section(
                "Totals (change since each account's previous snapshot)",
                TOTALS_COLUMNS,
                rows + repo_rows(repos),
            ),
            Section("By account", account_cols, data["by_account"]),
            *by_kind,
            details_section(data["details"]),
            *trend_sections(trend, days),
            derivs_part,
        ],  # fmt: skip
        footer=f"{label} = {sum_of} {', '.join(accounts)}; as of {human_datetime(data['as_of'])}; "
        "downloads per day: a day counts only when every account has a snapshot that day"
        + (
            f" · {note}"
            if (note := archived(db, [oid for oid, _ in ids], trend.data["since"], trend.data["until"]))
            else ""
        )
        + kind_footer(kind),
        charts=trend.charts,
    )


def _summed_derivatives(per_org: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The accounts' derivative totals added up (None: no account has a count yet)."""
    if not per_org:
        return None
    out: dict[str, Any] = {}
    for totals in per_org.values():
        for key, value in totals.items():
            if key == "as_of_day":
                out[key] = max(filter(None, (out.get(key), value)), default=None)
            else:
                out[key] = total([out[key], value]) if key in out else value
    return out


@sourced
def company_compare(
    db: Database,
    wl: WatchList,
    *,
    companies: list[Company],
    since: date | None = None,
    label: str = "watch list",
    kind: str = "all",
) -> Report:
    """Companies side by side, each the sum of its accounts (`common.total`; its downloads in the
    period by the rule of `trends --by company`: `series.grouped`), with shares of the group and of
    all tracked (every tracked account's company, by the same rule); models and releases all and
    originals (`kind`: of that kind of model alone)."""
    from oss_tracker.reports import series as ts
    from oss_tracker.reports.trends import company_groups

    everything = compare(db, None, since=since, kind=kind).data
    by_org = {r["org"].lower(): r for r in everything["orgs"]}
    tracked = watched_orgs(db, None)
    start = date.fromisoformat(everything["since"])
    built, _, _ = ts.grouped(
        db, company_groups(tracked, wl), metric="downloads", interval="month", since=start, until=None, combined=True,
        keep=kind_filter(kind),
    )  # fmt: skip
    periods = {s.name.lower(): s for s in built}
    all_30d = total([r["downloads_30d"] for r in everything["orgs"]])
    all_period = total([s.window_change for s in built])
    rows = []
    for company in companies:
        members = [by_org[a.lower()] for a in company.accounts if a.lower() in by_org]
        if not members:
            continue
        row: dict[str, Any] = {"company": company.name, "country": company.country,
                               "accounts": [m["org"] for m in members]}  # fmt: skip
        for key in LEVELS:
            row[key] = total([m[key] for m in members])
        for key in ("datasets", "spaces"):  # counts per org in compare's rows
            row[key] = sum(m[key] or 0 for m in members)
        period = periods.get(company.name.lower())
        launch = (period.window_launch if period else None) or {}
        row.update(
            downloads_period=period.window_change if period else None,
            period_launches=launch.get("launches"),
            period_launch_downloads=launch.get("launch_downloads"),
            period_first_seen_not_counted=launch.get("first_seen_not_counted"),
            period_from=period.window_from if period else None,
            period_to=period.window_to if period else None,
            accounts_counted_from=[
                {"account": a, "from": d} for a, d in (period.counted_from if period else [])
            ],
        )
        rows.append(row)
    if not rows:
        raise NoData(f"no synced account in the {label}")
    group_30d = total([r["downloads_30d"] for r in rows])
    group_period = total([r["downloads_period"] for r in rows])
    for r in rows:
        r["share_of_group_pct"] = share_pct(r["downloads_30d"], group_30d)
        r["share_of_all_pct"] = share_pct(r["downloads_30d"], all_30d)
        r["period_share_of_group_pct"] = share_pct(r["downloads_period"], group_period)
        r["period_share_of_all_pct"] = share_pct(r["downloads_period"], all_period)
    rows.sort(key=lambda r: (-(r["downloads_30d"] or 0), r["company"]))
    group = {
        "name": label,
        "downloads_30d": group_30d,
        "downloads_period": group_period,
        "share_of_all_pct": share_pct(group_30d, all_30d),
        "period_share_of_all_pct": share_pct(group_period, all_period),
    }
    data = {"as_of": everything["as_of"], "since": everything["since"], "kind": kind, "companies": rows, "group": group,
            "all_tracked": {"downloads_30d": all_30d, "downloads_period": all_period}}  # fmt: skip
    table_rows = [{**r, "accounts": ", ".join(r["accounts"])} for r in rows]
    flat = [
        Column("company", "Company"), Column("accounts", "Accounts"), Column("country", "Country"),
        *(Column(key, key, "int") for key in COMPARED), Column("datasets", "Datasets", "int"),
        Column("spaces", "Spaces", "int"), Column("share_of_group_pct", "Share of group", "share"),
        Column("share_of_all_pct", "Share of all", "share"),
    ]  # fmt: skip
    metrics = [
        ("accounts", "Accounts", "str"), ("models", "Models", "int"),
        *([("original_models", "of which originals", "int")] if kind == "all" else []),
        ("datasets", "Datasets", "int"),
        ("spaces", "Spaces", "int"), ("releases_30d", "Releases 30d", "int"),
        *([("original_releases_30d", "of which originals", "int")] if kind == "all" else []),
        ("downloads_30d", "Downloads 30d", "int"), ("share_of_group_pct", "Share of group", "share"),
        ("share_of_all_pct", "Share of all tracked", "share"), ("downloads_period", "Downloads in period", "int"),
        ("period_launch_downloads", "of which new models", "int"), ("likes", "Likes", "int"),
        ("followers", "Followers", "int"), ("derivatives", "Derivatives", "int"),
    ]  # fmt: skip
    # Metrics as rows and companies as columns: a dozen companies still fit a terminal.
    side = [
        {"metric": label, "kind": kind, **{f"c:{r['company']}": r[key] for r in table_rows}}
        for key, label, kind in metrics
    ]
    footer = (
        f"{label}: {group['share_of_all_pct']}% of all tracked 30-day downloads "
        f"({group_30d:,} of {all_30d:,}); a company is the sum of its accounts; period from "
        f"{everything['since']}; as of {everything['as_of']}"
        + (f"; {kind_note(kind)}" if kind != "all" else "")
    )
    sections = [
        Section("Companies", flat, table_rows, human=False),
        Section("Side by side", [Column("metric", "Metric")] + [Column(f"c:{r['company']}", r["company"], "int") for r in rows],
                side, row_kind="kind"),
    ]  # fmt: skip
    notes = _mixed_days([(m["org"], m["as_of"]) for r in rows for m in by_org_rows(by_org, r["accounts"])])
    # Filtered to one kind, the originals are not counted apart: no figure of theirs to miss.
    levels = tuple(k for k in LEVELS if kind == "all" or not k.startswith("original_"))
    notes += unknown_parts([m for r in rows for m in by_org_rows(by_org, r["accounts"])], levels)
    notes += [
        f"Note: {c['account']}'s history starts {c['from']}, inside the period: {r['company']} counts it from "
        "that snapshot (its downloads before are unknown)."
        for r in rows
        for c in r["accounts_counted_from"]
    ]
    return Report(f"Companies compared ({label})", data, sections, footer, main=0, notes=notes)


def by_org_rows(by_org: dict[str, dict[str, Any]], accounts: list[str]) -> list[dict[str, Any]]:
    return [by_org[a.lower()] for a in accounts if a.lower() in by_org]


def _mixed_days(latest: list[tuple[str, str]]) -> list[str]:
    """A warning when the accounts summed were last snapshotted on different days."""
    days = {day[:10] for _, day in latest}
    if len(days) <= 1:
        return []
    listed = ", ".join(f"{org} {day[:10]}" for org, day in latest)
    return [f"Warning: the accounts' latest snapshots are from different days ({listed}); the sums mix them."]


def _repos(db: Database, accounts: list[str]) -> dict[str, dict[str, Any]]:
    return repo_summary(db, [oid for oid, _ in watched_orgs(db, accounts)] if accounts else [])


@sourced
def repo_releases(
    db: Database, kind: str, *, orgs: list[str] | None, since: date | None, until: date | None, limit: int
) -> Report:
    """Datasets or Spaces first seen in the watched accounts, newest first (dated by createdAt)."""
    watched = watched_orgs(db, orgs)
    ids = [oid for oid, _ in watched]
    marks = ",".join("?" * len(ids)) or "NULL"
    released = f"coalesce({created('r')}, r.first_seen)"
    where, args = f"r.kind = ? AND r.org_id IN ({marks})", [kind, *ids]
    if since is not None:
        where += f" AND {released} >= ?"
        args.append(since.isoformat())
    if until is not None:
        where += f" AND {released} < date(?, '+1 day')"
        args.append(until.isoformat())
    cap = f"LIMIT {int(limit)}" if limit else ""
    rows = db.execute(
        f"""SELECT r.repo_id, o.name, {released}, r.license, r.sdk, r.first_seen, r.removed_at,
                   s.downloads_30d, s.likes
            FROM repos r JOIN orgs o ON o.id = r.org_id
            LEFT JOIN repo_snapshots s ON s.repo_id = r.id AND s.run_id = r.last_seen_run
            WHERE {where} ORDER BY {released} DESC, r.repo_id {cap}""",
        args,
    ).fetchall()
    keys = ("id", "org", "created_at", "license", "sdk", "first_seen", "removed_at", "downloads_30d", "likes")
    items = [dict(zip(keys, r, strict=True)) for r in rows]
    for item in items:  # a removed repo stays in the feed, marked (as a removed model does)
        item["status"] = "removed" if item["removed_at"] else ""
    noun = {"dataset": "datasets", "space": "Spaces"}[kind]
    title = noun[0].upper() + noun[1:]
    columns = [Column("created_at", "Created", "date"), Column("id", title[:-1]), Column("org", "Account"),
               Column("license", "Licence"), Column("first_seen", "First seen", "date"),
               Column("likes", "Likes", "int"), Column("removed_at", "Removed at", table=False)]  # fmt: skip
    if any(i["status"] for i in items):  # a status column only where a repo is removed
        columns.append(Column("status", "Status", csv=False))
    if kind == "dataset":
        columns.insert(5, Column("downloads_30d", "30-day", "int"))
    else:
        columns.insert(4, Column("sdk", "SDK"))
    removed = sum(1 for i in items if i["removed_at"])
    shown = f"{len(items):,} {noun}" + (f" ({removed:,} removed)" if removed else "")
    return Report(
        title=title,
        data={"kind": kind, "releases": items},
        sections=[
            Section(f"{shown}, newest first (by createdAt)", columns, items, empty=f"no {noun} in this range")
        ],
        footer=f"every {noun[:-1]} seen in {', '.join(n for _, n in watched)}, removed ones marked; "
        "dated by createdAt; likes and downloads as last seen",
    )


def group_as_company(wl: WatchList, group: str) -> tuple[Company, list[Company]]:
    """A group as one company named like the group (as the watch list spells it), holding every
    account of its companies, and those companies: `company_report`'s arguments."""
    members = wl.group(group)
    name = next(k for k in wl.groups if k.lower() == group.lower())
    return Company(name, [a for c in members for a in c.accounts], None), members


def chosen_companies(
    wl: WatchList, companies: list[str] | None, groups: list[str] | None
) -> tuple[list[Company], str]:
    """The companies `compare --by company` shows, and what to call them: the groups' members and
    the companies named (both, when both are given), or the whole watch list."""
    found = [c for g in groups or [] for c in wl.group(g)] + [wl.company(c) for c in companies or []]
    parts = (["group " + ", ".join(groups)] if groups else []) + (
        ["companies " + ", ".join(companies)] if companies else []
    )
    label = " and ".join(parts) if parts else "watch list"
    if not found and not parts:
        found = list(wl.companies.values())
    # A company named twice (two groups holding it, two spellings of its name) is one company.
    once: dict[str, Company] = {}
    for c in found:
        once.setdefault(c.name.lower(), c)
    return list(once.values()), label
