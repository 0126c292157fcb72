"""`watch list`: the watch list as a report (companies, accounts, country, groups)."""

from __future__ import annotations

from typing import Any

from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.watchlist import WatchList


def watch_report(wl: WatchList) -> Report:
    """Companies, their accounts, country and groups, as the next sync will watch them."""
    rows: list[dict[str, Any]] = []
    for company in wl.companies.values():
        groups = [g for g, members in wl.groups.items() if company.name in members]
        rows.append(
            {
                "company": company.name,
                "accounts": ", ".join(company.accounts),
                "country": company.country,
                "groups": ", ".join(groups),
                "unverified": ", ".join(company.unverified),
            }
        )
    source = str(wl.path) if wl.path and wl.path.exists() else f"built-in default (no file at {wl.path})"
    data = {
        "path": str(wl.path) if wl.path else None,
        "companies": [
            {"name": c.name, "accounts": c.accounts, "country": c.country, "unverified": c.unverified}
            for c in wl.companies.values()
        ],
        "groups": wl.groups,
    }
    columns = [Column("company", "Company"), Column("accounts", "Hub accounts"), Column("country", "Country"),
               Column("groups", "Groups"), Column("unverified", "Unverified")]  # fmt: skip
    return Report("Watch list", data, [Section(f"{len(rows)} companies", columns, rows)], source)
