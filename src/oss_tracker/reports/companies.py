"""Companies and groups from the watch list, rolled up over their Hub accounts; datasets and Spaces.

A company's figures are the sums over its accounts (Alibaba = Qwen + Wan-AI + ...). A
group's share is measured twice: against the group's own total and against all the
downloads the database tracks.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import archived, created, org_row, repo_summary, watched_orgs
from oss_tracker.reports.compare import compare
from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.reports.org import TOTALS_COLUMNS, licence_mix_section, org_snapshot, top_section
from oss_tracker.watchlist import Company, WatchList

if TYPE_CHECKING:
    from sqlite_utils import Database

SUMMED = ("models", "downloads_30d", "downloads_all_time", "likes", "followers")
COMPARED = ("models", "releases_30d", "releases_90d", "downloads_30d", "downloads_all_time", "downloads_period",
            "likes", "followers", "derivatives")  # fmt: skip


def _stored(db: Database, accounts: list[str]) -> list[str]:
    names = {n.lower(): n for _, n in watched_orgs(db, None)}
    return [names[a.lower()] for a in accounts if a.lower() in names]


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else (a if b is None else a + b)


def company_report(db: Database, company: Company, *, top: int = 10) -> Report:
    """One report for all of a company's accounts: summed totals, merged licences, releases and top models."""
    accounts = _stored(db, company.accounts)
    if not accounts:
        raise NoData(
            f"no data for company '{company.name}': none of {', '.join(company.accounts)} was synced yet"
        )
    parts = [org_snapshot(db, a, top=top)[1] for a in accounts]
    totals = {k: None for k in SUMMED}
    change: dict[str, int | None] = {k: None for k in SUMMED}
    licenses: dict[str, int] = {}
    months: dict[str, int] = {}
    top_models: list[dict[str, Any]] = []
    for p in parts:
        for k in SUMMED:
            totals[k] = _add(totals[k], p[k])
            if p.get("change"):
                change[k] = _add(change[k], p["change"][k])
        for k, v in p["licenses"].items():
            licenses[k] = licenses.get(k, 0) + v
        for k, v in p["releases_by_month"].items():
            months[k] = months.get(k, 0) + v
        top_models += p["top_models"]
    top_models = sorted(top_models, key=lambda m: (-(m["downloads_30d"] or 0), m["id"]))[:top]
    licenses = dict(sorted(licenses.items(), key=lambda kv: (-kv[1], kv[0])))
    repos = _repos(db, accounts)
    data = {
        "company": company.name,
        "country": company.country,
        "accounts": accounts,
        "as_of": max(p["as_of"] for p in parts),
        **totals,
        "change": change if any(p.get("change") for p in parts) else None,
        "licenses": licenses,
        "releases_by_month": dict(sorted(months.items())),
        "top_models": top_models,
        "datasets": repos["dataset"],
        "spaces": repos["space"],
        "by_account": [{k: p[k] for k in ("org", "as_of", *SUMMED)} for p in parts],
    }
    labels = {"models": "Models", "downloads_30d": "Downloads (last 30 days)",
              "downloads_all_time": "Downloads (all time)", "likes": "Likes", "followers": "Followers"}  # fmt: skip
    rows = [{"metric": label, "value": totals[k], "change": change[k]} for k, label in labels.items()]
    rows += [
        {"metric": "Datasets", "value": repos["dataset"]["count"], "change": None},
        {"metric": "Spaces", "value": repos["space"]["count"], "change": None},
    ]
    account_cols = [Column("org", "Account"), Column("models", "Models", "int"),
                    Column("downloads_30d", "30-day", "int"), Column("downloads_all_time", "All-time", "int"),
                    Column("likes", "Likes", "int"), Column("followers", "Followers", "int")]  # fmt: skip
    notes = _mixed_days([(p["org"], p["as_of"]) for p in parts])
    return Report(
        notes=notes,
        title=f"{company.name} ({', '.join(accounts)}) on the Hugging Face Hub",
        data=data,
        sections=[
            Section("Totals (change since each account's previous snapshot)", TOTALS_COLUMNS, rows),
            Section("By account", account_cols, data["by_account"]),
            top_section(top, top_models),
            licence_mix_section(licenses),
        ],  # fmt: skip
        footer=f"company = the sum of its accounts {', '.join(accounts)}; as of {data['as_of']}"
        + (f" · {note}" if (note := archived(db, [org_row(db, a)[0] for a in accounts])) else ""),
    )


def company_compare(
    db: Database,
    wl: WatchList,
    *,
    companies: list[Company],
    since: date | None = None,
    label: str = "watch list",
) -> Report:
    """Companies side by side, each the sum of its accounts, with shares of the group and of all tracked."""
    everything = compare(db, None, since=since).data
    by_org = {r["org"].lower(): r for r in everything["orgs"]}
    all_30d = sum(r["downloads_30d"] or 0 for r in everything["orgs"])
    all_period = sum(r["downloads_period"] or 0 for r in everything["orgs"])
    rows = []
    for company in companies:
        members = [by_org[a.lower()] for a in company.accounts if a.lower() in by_org]
        if not members:
            continue
        row: dict[str, Any] = {"company": company.name, "country": company.country,
                               "accounts": [m["org"] for m in members]}  # fmt: skip
        for key in COMPARED:
            values = [m[key] for m in members if m[key] is not None]
            row[key] = sum(values) if values else None
        for key in ("datasets", "spaces"):  # counts per org in compare's rows
            row[key] = sum(m[key] or 0 for m in members)
        rows.append(row)
    if not rows:
        raise NoData(f"no synced account in the {label}")
    group_30d = sum(r["downloads_30d"] or 0 for r in rows)
    group_period = sum(r["downloads_period"] or 0 for r in rows)
    for r in rows:
        r["share_of_group_pct"] = _pct(r["downloads_30d"], group_30d)
        r["share_of_all_pct"] = _pct(r["downloads_30d"], all_30d)
        r["period_share_of_group_pct"] = _pct(r["downloads_period"], group_period)
        r["period_share_of_all_pct"] = _pct(r["downloads_period"], all_period)
    rows.sort(key=lambda r: (-(r["downloads_30d"] or 0), r["company"]))
    group = {
        "name": label,
        "downloads_30d": group_30d,
        "downloads_period": group_period,
        "share_of_all_pct": _pct(group_30d, all_30d),
        "period_share_of_all_pct": _pct(group_period, all_period),
    }
    data = {"as_of": everything["as_of"], "since": everything["since"], "companies": rows, "group": group,
            "all_tracked": {"downloads_30d": all_30d, "downloads_period": all_period}}  # fmt: skip
    table_rows = [{**r, "accounts": ", ".join(r["accounts"])} for r in rows]
    flat = [
        Column("company", "Company"), Column("accounts", "Accounts"), Column("country", "Country"),
        *(Column(key, key, "int") for key in COMPARED), Column("datasets", "Datasets", "int"),
        Column("spaces", "Spaces", "int"), Column("share_of_group_pct", "Share of group", "share"),
        Column("share_of_all_pct", "Share of all", "share"),
    ]  # fmt: skip
    metrics = [
        ("accounts", "Accounts", "str"), ("models", "Models", "int"), ("datasets", "Datasets", "int"),
        ("spaces", "Spaces", "int"), ("releases_30d", "Releases 30d", "int"),
        ("downloads_30d", "Downloads 30d", "int"), ("share_of_group_pct", "Share of group", "share"),
        ("share_of_all_pct", "Share of all tracked", "share"), ("downloads_period", "Downloads in period", "int"),
        ("likes", "Likes", "int"), ("followers", "Followers", "int"), ("derivatives", "Derivatives", "int"),
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
    )
    sections = [
        Section("Companies", flat, table_rows, human=False),
        Section("Side by side", [Column("metric", "Metric")] + [Column(f"c:{r['company']}", r["company"], "int") for r in rows],
                side, row_kind="kind"),
    ]  # fmt: skip
    notes = _mixed_days([(m["org"], m["as_of"]) for r in rows for m in by_org_rows(by_org, r["accounts"])])
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


def _pct(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * part / whole, 1) if part is not None and whole else None


def _repos(db: Database, accounts: list[str]) -> dict[str, dict[str, Any]]:
    return repo_summary(db, [oid for oid, _ in watched_orgs(db, accounts)] if accounts else [])


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
    noun = {"dataset": "datasets", "space": "Spaces"}[kind]
    columns = [Column("created_at", "Created", "date"), Column("id", kind.capitalize()), Column("org", "Account"),
               Column("license", "Licence"), Column("first_seen", "First seen", "date"),
               Column("likes", "Likes", "int")]  # fmt: skip
    if kind == "dataset":
        columns.insert(5, Column("downloads_30d", "30-day", "int"))
    else:
        columns.insert(4, Column("sdk", "SDK"))
    return Report(
        title=f"New {noun}",
        data={"kind": kind, "releases": items},
        sections=[
            Section(f"{len(items):,} {noun}, newest first", columns, items, empty=f"no {noun} in this range")
        ],
        footer=f"{noun} of {', '.join(n for _, n in watched)}; dated by createdAt",
    )


def group_as_company(wl: WatchList, group: str) -> Company:
    """A group's companies as one company, for a report that sums every account of the group."""
    accounts = [a for c in wl.group(group) for a in c.accounts]
    return Company(f"group {group}", accounts, None)


def chosen_companies(
    wl: WatchList, companies: list[str] | None, groups: list[str] | None
) -> tuple[list[Company], str]:
    """The companies `compare --by company` shows, and what to call them: the groups' members, the
    companies named, or the whole watch list."""
    if groups:
        return [c for g in groups for c in wl.group(g)], "group " + ", ".join(groups)
    if companies:
        return [wl.company(c) for c in companies], "chosen companies"
    return list(wl.companies.values()), "watch list"
