"""The licences report: licence mix per org by group, licence changes, licences of each month's releases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import (
    created,
    history,
    history_footer,
    kind_filter,
    kind_missing,
    kind_note,
    none_of_kind,
    share_pct,
    sourced,
    watched_orgs,
)
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


GROUPS = ("permissive", "copyleft", "custom", "unknown")


def _shift(old_group: str, new_group: str) -> str:
    if old_group == new_group:
        return f"within {new_group}"
    if new_group == "permissive":
        return "to permissive"
    if old_group == "permissive":
        return "from permissive"
    return f"{old_group} to {new_group}"


@sourced
def licenses_report(db: Database, *, orgs: list[str] | None = None, kind: str = "all") -> Report:
    """Licence mix per org by group, by models and by their 30-day downloads (issue 14, point 7),
    for all models and the originals alone; every licence change with its date, and the licences
    of each month's releases (as they stand now). `kind`: only the models of that kind."""
    from oss_tracker import licenses as lic

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    names = dict(watched)
    marks = ",".join("?" * len(org_ids))
    keep = kind_filter(kind)
    # Each current model's 30-day downloads as last listed (its last run's snapshot).
    current = db.execute(
        f"""SELECT m.org_id, m.license, count(*), sum(m.kind = 'original'), sum(s.downloads_30d)
            FROM models m LEFT JOIN model_snapshots s ON s.run_id = m.last_seen_run AND s.model_id = m.id
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL AND {keep}
            GROUP BY m.org_id, m.license""",
        org_ids,
    ).fetchall()
    per_org: dict[int, dict[str, Any]] = {
        oid: {"org": names[oid], "models": 0, "groups": dict.fromkeys(GROUPS, 0), "licenses": [],
              "originals": 0, "original_groups": dict.fromkeys(GROUPS, 0), "downloads_30d": 0,
              "downloads_by_group": dict.fromkeys(GROUPS, 0)}
        for oid in org_ids
    }  # fmt: skip
    for oid, key, n, originals, downloads in current:
        entry = per_org[oid]
        group = lic.group(key)
        entry["models"] += n
        entry["groups"][group] += n
        entry["originals"] += originals or 0
        entry["original_groups"][group] += originals or 0
        entry["downloads_30d"] += downloads or 0
        entry["downloads_by_group"][group] += downloads or 0
        entry["licenses"].append({"license": key, "group": group, "models": n, "originals": originals or 0,
                                  "downloads_30d": downloads or 0})  # fmt: skip
    detail = []
    group_rows = []
    for entry in per_org.values():
        entry["licenses"].sort(key=lambda x: (-x["models"], x["license"]))
        total, orig, dl = entry["models"], entry["originals"], entry["downloads_30d"]
        for item in entry["licenses"]:
            item["share_pct"] = share_pct(item["models"], total)
            item["downloads_share_pct"] = share_pct(item["downloads_30d"], dl)
            detail.append({"org": entry["org"], **item})
        entry["permissive_share_pct"] = share_pct(entry["groups"]["permissive"], total)
        entry["original_permissive_share_pct"] = share_pct(entry["original_groups"]["permissive"], orig)
        entry["permissive_downloads_share_pct"] = share_pct(entry["downloads_by_group"]["permissive"], dl)
        group_rows.append(
            {
                "org": entry["org"],
                "models": total,
                **entry["groups"],
                "permissive_share_pct": entry["permissive_share_pct"],
                "originals": orig,
                "original_permissive_share_pct": entry["original_permissive_share_pct"],
                "downloads_30d": dl,
                "permissive_downloads_share_pct": entry["permissive_downloads_share_pct"],
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
                WHERE e.kind = 'license_changed' AND m.org_id IN ({marks}) AND {keep}
                ORDER BY e.at DESC, e.id DESC""",
            org_ids,
        ).fetchall()
    ]
    for c in changes:
        c["shift"] = _shift(c["from_group"], c["to_group"])
    months: dict[tuple[str, str], dict[str, Any]] = {}
    for month, oid, key, n in db.execute(
        f"""SELECT substr(coalesce({created()}, m.first_seen), 1, 7) AS month, m.org_id, m.license, count(*)
            FROM models m WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL AND {keep}
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
    # A --kind none of the accounts' models is of says so, not "no models".
    missing = kind_missing(kind, list(names.values())) if none_of_kind(db, org_ids, kind) else None
    data = {
        "as_of": hist["as_of"],
        "kind": kind,
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
                    Column("originals", "Originals", "int", table=kind == "all"),
                    Column("original_permissive_share_pct", "of originals", "share", table=kind == "all"),
                    Column("downloads_30d", "30-day downloads", "int", table=False),
                    Column("permissive_downloads_share_pct", "of 30-day downloads", "share"),
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
                    Column("originals", "Originals", "int", table=kind == "all"),
                    Column("downloads_30d", "30-day downloads", "int"),
                    Column("downloads_share_pct", "Share of downloads", "share"),
                ],
                detail,
                empty=missing or "no models",
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
                empty=missing or "no releases",
            ),
        ],
        footer=history_footer(
            hist,
            "permissive = OSI-approved permissive; custom = any other named licence",
            "downloads = each current model's 30-day downloads as last listed",
            kind_note(kind),
        ),
        main=1,
    )
