"""`changes`: what the last sync found changed since the one before."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import created, sourced, watched_orgs
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


def last_two_runs(db: Database) -> tuple[tuple[int, str], tuple[int, str] | None]:
    rows = db.execute(
        # By start, not id: a day backfilled from an archive gets a higher id than later runs.
        "SELECT id, started_at FROM runs WHERE status IN ('ok', 'partial') ORDER BY started_at DESC, id DESC LIMIT 2"
    ).fetchall()
    if not rows:
        raise NoData("the database has no sync yet: run `oss-tracker sync` first")
    return (rows[0][0], rows[0][1]), ((rows[1][0], rows[1][1]) if len(rows) > 1 else None)


@sourced
def changes(db: Database, orgs: list[str] | None = None) -> Report:
    """What the last sync found changed since the one before: new, removed, renamed and licence
    changes of models, and new, removed and renamed datasets and Spaces."""
    (run_id, as_of), previous = last_two_runs(db)
    ids = [oid for oid, _ in watched_orgs(db, orgs)] if orgs else None
    org_filter = f" AND m.org_id IN ({','.join('?' * len(ids))})" if ids is not None else ""
    args = ids or []
    # A model is new only if its org had been synced before: adding an org to the
    # watch list is not a wave of releases.
    new = [
        r[0]
        for r in db.execute(
            f"""SELECT m.repo_id FROM models m WHERE m.first_seen_run = ?{org_filter}
                AND EXISTS (SELECT 1 FROM org_snapshots o JOIN runs y ON y.id = o.run_id
                            WHERE o.org_id = m.org_id AND (y.started_at, y.id) < (?, ?))
                ORDER BY {created()} DESC, m.repo_id""",
            [run_id, *args, as_of, run_id],
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
    repos = {kind: _repo_changes(db, kind, run_id, ids) for kind in ("dataset", "space")}
    data = {
        "as_of": as_of,
        "since": previous[1] if previous else None,
        "new": new,
        "removed": removed,
        "renamed": renamed,
        "license_changed": license_changed,
        "datasets": repos["dataset"],
        "spaces": repos["space"],
    }
    rows = (
        [{"change": "new", "kind": "model", "id": i, "detail": ""} for i in new]
        + [{"change": "removed", "kind": "model", "id": i, "detail": ""} for i in removed]
        + [
            {"change": "renamed", "kind": "model", "id": r["to"], "detail": f"from {r['from']}"}
            for r in renamed
        ]
        + [
            {"change": "licence", "kind": "model", "id": r["id"], "detail": f"{r['from']} -> {r['to']}"}
            for r in license_changed
        ]
    )
    for kind, noun in (("dataset", "dataset"), ("space", "Space")):
        found = repos[kind]
        rows += [{"change": "new", "kind": noun, "id": i, "detail": ""} for i in found["new"]]
        rows += [{"change": "removed", "kind": noun, "id": i, "detail": ""} for i in found["removed"]]
        rows += [
            {"change": "renamed", "kind": noun, "id": r["to"], "detail": f"from {r['from']}"}
            for r in found["renamed"]
        ]
    since = f"since {previous[1]}" if previous else "(first sync: nothing to compare with)"
    return Report(
        title="Changes in the last sync",
        data=data,
        sections=[
            Section(
                f"Changes {since}",
                [
                    Column("change", "Change"),
                    Column("kind", "Kind"),
                    Column("id", "Repo"),
                    Column("detail", "Detail"),
                ],
                rows,
                empty="no changes",
            )
        ],
        footer=f"run of {as_of}" + (" (a day from the public archive)" if _from_archive(db, run_id) else ""),
    )


def _repo_changes(db: Database, kind: str, run_id: int, org_ids: list[int] | None) -> dict[str, list[Any]]:
    """The datasets or Spaces that run `run_id` found new, removed or renamed.

    New only where the org's datasets (Spaces) had been listed in an earlier run: a first
    listing, of a new account or after an upgrade, is not a wave of releases.
    """
    only = f" AND r.org_id IN ({','.join('?' * len(org_ids))})" if org_ids is not None else ""
    args = org_ids or []
    listed = "datasets_listed" if kind == "dataset" else "spaces_listed"
    new = [
        row[0]
        for row in db.execute(
            f"""SELECT r.repo_id FROM repos r WHERE r.kind = ? AND r.first_seen_run = ?{only}
                AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.org_id = r.org_id AND o.run_id < ?
                            AND o.{listed} IS NOT NULL)
                ORDER BY {created("r")} DESC, r.repo_id""",
            [kind, run_id, *args, run_id],
        ).fetchall()
    ]
    events = db.execute(
        f"""SELECT e.kind, e.old, e.new FROM repo_events e JOIN repos r ON r.id = e.repo_id
            WHERE e.run_id = ? AND r.kind = ? AND e.kind IN ('removed', 'renamed'){only} ORDER BY e.id""",
        [run_id, kind, *args],
    ).fetchall()
    return {
        "new": new,
        "removed": [old for event, old, _ in events if event == "removed"],
        "renamed": [{"from": old, "to": to} for event, old, to in events if event == "renamed"],
    }


def _from_archive(db: Database, run_id: int) -> bool:
    return db.execute("SELECT source FROM runs WHERE id = ?", [run_id]).fetchone()[0] == "archive"
