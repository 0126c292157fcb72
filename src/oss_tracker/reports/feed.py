"""The feed: every new release, licence change, rename and removal the history holds, newest first.

What `oss-tracker site` publishes as `feed.xml` (Atom) and as its release feed page. The same
rules as `changes`, over the whole history instead of the last two runs: a model is a new
release only when its account had been synced before it was first seen (adding an account to
the watch list is not a wave of releases); renames, licence changes and removals are the
`events` a sync recorded, dated by the run that saw them. Reads SQLite only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import STORED_RUN, created, history, history_footer, sourced, watched_orgs
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

KINDS = {"release": "new", "license_changed": "licence", "renamed": "renamed", "removed": "removed"}
MAX_ENTRIES = 200


@sourced
def feed(db: Database, *, orgs: list[str] | None = None, limit: int = MAX_ENTRIES) -> Report:
    """The `limit` newest entries (releases, licence changes, renames, removals), newest first."""
    from oss_tracker import licenses as lic
    from oss_tracker.humanize import human_date, human_datetime, human_size

    watched = watched_orgs(db, orgs)
    ids = [oid for oid, _ in watched]
    marks = ",".join("?" * len(ids))
    # Each account's first stored run (by start, then id: a backfilled day may have a higher id).
    first_run = f"""SELECT o.org_id, min(r.started_at || printf('%020d', r.id)) AS k
                    FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                    WHERE o.org_id IN ({marks}) AND {STORED_RUN} GROUP BY o.org_id"""
    releases = db.execute(
        f"""WITH f AS ({first_run})
            SELECT m.hub_id, m.repo_id, g.name, r.started_at, {created()}, m.license, m.parameters,
                   m.pipeline_tag
            FROM models m JOIN f ON f.org_id = m.org_id JOIN orgs g ON g.id = m.org_id
            JOIN runs r ON r.id = m.first_seen_run
            WHERE r.started_at || printf('%020d', r.id) > f.k
            ORDER BY r.started_at DESC, m.repo_id LIMIT ?""",
        [*ids, limit],
    ).fetchall()
    events = db.execute(
        f"""SELECT e.kind, e.at, e.old, e.new, m.hub_id, m.repo_id, g.name
            FROM events e JOIN models m ON m.id = e.model_id JOIN orgs g ON g.id = m.org_id
            WHERE e.kind IN ('renamed', 'license_changed', 'removed') AND m.org_id IN ({marks})
            ORDER BY e.at DESC, e.id DESC LIMIT ?""",
        [*ids, limit],
    ).fetchall()
    entries: list[dict[str, Any]] = []
    for hub_id, repo, org, at, created_at, license, parameters, pipeline in releases:
        facts = [f"created {human_date(created_at)}" if created_at else "", license or "",
                 f"{human_size(parameters)} parameters" if parameters else "", pipeline or ""]  # fmt: skip
        entries.append(
            {
                "kind": "release",
                "at": at,
                "id": repo,
                "org": org,
                "title": f"New: {repo}",
                "detail": f"{org} released {repo}"
                + (f" ({'; '.join(f for f in facts if f)})" if any(facts) else "")
                + f", first seen {human_datetime(at)}",
                "created_at": created_at,
                "license": license,
                "license_group": lic.group(license) if license else None,
                "parameters": parameters,
                "pipeline_tag": pipeline,
                # The entry's own identity (the Hub's `_id` outlives renames), whatever else the
                # feed holds: its Atom id never changes.
                "key": f"release|{hub_id}",
            }
        )
    for kind, at, old, new, hub_id, repo, org in events:
        entry: dict[str, Any] = {"kind": kind, "at": at, "id": repo, "org": org, "from": old, "to": new}
        if kind == "renamed":
            entry["title"] = f"Renamed: {old} to {new}"
            entry["detail"] = f"{org} renamed {old} to {new}, seen {human_datetime(at)}"
        elif kind == "license_changed":
            entry["title"] = f"Licence changed: {repo} ({old} to {new})"
            entry["detail"] = f"the licence of {repo} changed from {old} to {new}, seen {human_datetime(at)}"
        else:
            entry["id"] = old or repo  # the name it had when it went
            entry["title"] = f"Removed: {entry['id']}"
            entry["detail"] = f"{entry['id']} is no longer listed in {org}, seen {human_datetime(at)}"
        entry["key"] = f"{kind}|{hub_id}|{at}|{old}|{new}"
        entries.append(entry)
    entries.sort(key=lambda e: (e["at"] or "", e["key"]), reverse=True)
    entries = entries[:limit]
    hist = history(db, ids)
    rows = [{**e, "change": KINDS[e["kind"]]} for e in entries]
    return Report(
        title="Releases and changes",
        data={"as_of": hist["as_of"], "orgs": [n for _, n in watched], "entries": entries},
        sections=[
            Section(
                f"The {len(entries):,} newest releases, licence changes, renames and removals",
                [
                    Column("at", "Seen", "datetime"),
                    Column("change", "Change"),
                    Column("id", "Model"),
                    Column("org", "Account"),
                    Column("detail", "Detail"),
                ],  # fmt: skip
                rows,
                empty="nothing new since the first sync",
            )
        ],
        footer=history_footer(
            hist,
            "a release is a model first seen in an account synced before; renames, licence changes "
            "and removals as each sync saw them",
        ),
    )
