"""The licences report: licence mix per org by group, licence changes, licences of each month's releases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import created, history, history_footer, sourced, watched_orgs
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
        f"""SELECT substr(coalesce({created()}, m.first_seen), 1, 7) AS month, m.org_id, m.license, count(*)
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
        footer=history_footer(hist, "permissive = OSI-approved permissive; custom = any other named licence"),
        main=1,
    )
