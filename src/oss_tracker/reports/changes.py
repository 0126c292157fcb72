"""`changes`: what the syncs of a window found changed, the last sync's by default, as a digest.

One code path for both forms: a window is a run of consecutive stored runs in time order (the
last one alone, or every run of the days from `--since` to `--until`), measured from the last
run before it. What those runs found (new models, removals, restorations, renames, licence
changes, dataset and Space events) is read from what each run recorded, so a change is listed
once, dated by the run that saw it, whatever happened in between.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    KIND_ORDER,
    STORED_RUN,
    archived,
    created,
    model_facts,
    sourced,
    watched_orgs,
)
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

MOVERS = 10  # top movers listed by default


def window_runs(
    db: Database, since: date | None, until: date | None
) -> tuple[list[tuple[int, str]], tuple[int, str] | None]:
    """The runs of the window, oldest first, and the run before them (None for the first run).

    Without `since`: the last run (on or before `until`). With it: every run of the days from
    `since` to `until` (the last day stored by default)."""
    last_day = (until or date.max).isoformat()
    if since is None:
        found = db.execute(
            f"""SELECT r.id, r.started_at FROM runs r WHERE {STORED_RUN} AND r.day <= ?
                ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
            [last_day],
        ).fetchall()
    else:
        found = db.execute(
            f"""SELECT r.id, r.started_at FROM runs r WHERE {STORED_RUN} AND r.day >= ? AND r.day <= ?
                ORDER BY r.started_at, r.id""",
            [since.isoformat(), last_day],
        ).fetchall()
    if not found:
        if since is None and until is None:
            raise NoData("the database has no sync yet: run `oss-tracker sync` first")
        span = " ".join(
            part
            for part in (
                f"from {since.isoformat()}" if since else "",
                f"to {until.isoformat()}" if until else "",
            )
            if part
        )
        raise NoData(f"no sync stored {span}: nothing to compare")
    runs = [(int(i), str(at)) for i, at in found]
    first = runs[0]
    before = db.execute(
        f"""SELECT r.id, r.started_at FROM runs r WHERE {STORED_RUN} AND (r.started_at, r.id) < (?, ?)
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        [first[1], first[0]],
    ).fetchone()
    return runs, ((int(before[0]), str(before[1])) if before else None)


@sourced
def changes(
    db: Database,
    orgs: list[str] | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = MOVERS,
) -> Report:
    """What the syncs of a window found changed (by default the last sync, since the one before):
    new releases with their size, licence, pipeline and downloads at first sight; removals,
    restorations, renames and licence changes of models; new, removed and renamed datasets and
    Spaces; and the models that gained most downloads (`limit` of them, 0: all)."""
    from oss_tracker.humanize import human_date, human_datetime

    runs, previous = window_runs(db, since, until)
    (first_id, first_at), (run_id, as_of) = runs[0], runs[-1]
    lo, hi = [first_at, first_id], [as_of, run_id]
    watched = [oid for oid, _ in watched_orgs(db, orgs)]
    ids = watched if orgs else None
    org_filter = f" AND m.org_id IN ({','.join('?' * len(ids))})" if ids is not None else ""
    args = ids or []

    releases = _new_models(db, lo, hi, org_filter, args)
    events = [
        {"at": at, "change": kind, "kind": "model", "id": repo, "old": old, "new": new}
        for kind, repo, old, new, at in db.execute(
            f"""SELECT e.kind, m.repo_id, e.old, e.new, e.at FROM events e
                JOIN runs r ON r.id = e.run_id JOIN models m ON m.id = e.model_id
                WHERE (r.started_at, r.id) BETWEEN (?, ?) AND (?, ?){org_filter}
                  AND e.kind IN ('removed', 'restored', 'renamed', 'license_changed')
                ORDER BY r.started_at, r.id, e.id""",
            [*lo, *hi, *args],
        ).fetchall()
    ]

    def of(kind: str) -> list[dict[str, Any]]:
        return [e for e in events if e["change"] == kind]

    repos = {kind: _repo_changes(db, kind, lo, hi, ids) for kind in ("dataset", "space")}
    # The movers' period is the window's days (one rule with `top`, `trends`, `compare`).
    first_day = since or date.fromisoformat(first_at[:10])
    movers = top_movers(db, watched, first_day, date.fromisoformat(as_of[:10]), limit=limit)

    # Every change, one line each, dated by the run that saw it: the CSV form and `events`. Grouped
    # as a digest reads them (new models, removals, restorations, renames, licence changes, then
    # datasets and Spaces), each group in time order.
    details = {
        "removed": lambda e: "",
        "restored": lambda e: f"removed {e['old']}" if e["old"] else "",
        "renamed": lambda e: f"from {e['old']}",
        "license_changed": lambda e: f"{e['old']} -> {e['new']}",
    }
    listed = [
        {"change": "new", "kind": "model", "id": r["id"], "detail": "", "at": r["first_seen"]}
        for r in releases
    ]
    for change in details:
        listed += [
            {
                "change": "licence" if change == "license_changed" else change,
                "kind": "model",
                # A removal names the repo as it was; a rename the name it took then.
                "id": {"removed": e["old"], "renamed": e["new"]}.get(change, e["id"]),
                "detail": details[change](e),
                "at": e["at"],
            }
            for e in of(change)
        ]
    for kind, noun in (("dataset", "dataset"), ("space", "Space")):
        for change in ("new", "removed", "renamed"):
            listed += [
                {"change": change, "kind": noun, "id": e["id"], "detail": e["detail"], "at": e["at"]}
                for e in repos[kind]["events"]
                if e["change"] == change
            ]
    data = {
        "as_of": as_of,
        "since": previous[1] if previous else None,
        "window": {
            "since": (since or date.fromisoformat(as_of[:10])).isoformat(),
            "until": (until.isoformat() if until and since else as_of[:10]),
            "runs": len(runs),
        },
        "new": [r["id"] for r in releases],
        "removed": [e["old"] for e in of("removed")],
        "restored": [e["id"] for e in of("restored")],
        "renamed": [{"from": e["old"], "to": e["new"]} for e in of("renamed")],
        "license_changed": [{"id": e["id"], "from": e["old"], "to": e["new"]} for e in of("license_changed")],
        "datasets": {k: v for k, v in repos["dataset"].items() if k != "events"},
        "spaces": {k: v for k, v in repos["space"].items() if k != "events"},
        "releases": releases,
        "movers": movers,
        "events": listed,
    }
    others = [row for row in listed if not (row["change"] == "new" and row["kind"] == "model")]
    if since is None:
        title = "Changes in the last sync" if until is None else f"Changes in the sync of {human_date(as_of)}"
    else:
        title = f"Changes from {human_date(since.isoformat())} to {human_date(data['window']['until'])}"
    many = len(runs) > 1
    start = (
        f"since {human_datetime(previous[1])}"
        if previous
        else ("from the first sync" if many else "(first sync: nothing to compare with)")
    )
    top = f"Top {limit}" if limit else "All"
    movers_section = Section(
        f"{top} movers: downloads {start}" if not many else f"{top} movers: downloads in the window",
        [
            Column("rank", "#", "int"),
            Column("id", "Model"),
            Column("org", "Org", table=False),
            Column("downloads", "Downloads", "delta"),
            Column("growth_pct", "Growth", "pct"),
            Column("downloads_all_time", "All-time", "int"),
            Column("from", "From", "date"),
            Column("to", "To", "date"),
            Column("note", "Note"),
        ],
        movers,
        empty="no model was seen at both ends of the window",
        item=("**{id}**", "{downloads} downloads", "{growth_pct} on its all-time count", "{note}"),
    )
    return Report(
        title=title,
        data=data,
        sections=[
            Section(
                f"New releases ({len(releases)})" + (" by kind, originals first" if _kinds(releases) else ""),
                [
                    Column("created_at", "Created", "date"),
                    Column("id", "Model"),
                    Column("org", "Org", table=False),
                    Column("kind", "Kind", table=_kinds(releases)),
                    Column("license", "Licence"),
                    Column("license_group", "Group", table=False),
                    Column("parameters", "Size", "size"),
                    Column("pipeline_tag", "Pipeline"),
                    Column("library_name", "Library", table=False),
                    Column("downloads_all_time", "Downloads at first sight", "int"),
                    Column("downloads_30d", "30-day at first sight", "int", table=False),
                    Column("first_seen", "First seen", "date", table=many),
                    Column("removed_at", "Removed", "date", table=False),
                ],
                releases,
                empty="no new release",
                item=(
                    "**{id}**",
                    "{kind}",
                    "{parameters} parameters",
                    "{license}",
                    "{pipeline_tag}",
                    "created {created_at}",
                    "{downloads_all_time} downloads at first sight",
                    "removed {removed_at}",
                ),
            ),
            Section(
                f"Removals, renames and licence changes ({len(others)})",
                [
                    Column("at", "Seen", "date", table=many),
                    Column("change", "Change"),
                    Column("kind", "Kind"),
                    Column("id", "Repo"),
                    Column("detail", "Detail"),
                ],
                others,
                empty="no removal, rename or licence change",
                item=("**{change}** {kind} {id}", "{detail}", *(("seen {at}",) if many else ())),
            ),
            movers_section,
            Section(
                "Every change",
                [
                    Column("change", "Change"),
                    Column("kind", "Kind"),
                    Column("id", "Repo"),
                    Column("detail", "Detail"),
                    Column("at", "Seen", "datetime"),
                ],
                listed,
                human=False,
            ),
        ],
        footer=" · ".join(
            part
            for part in (
                f"{len(runs)} runs from {human_datetime(first_at)} to {human_datetime(as_of)}, {start}"
                if many
                else f"run of {as_of}"
                + (" (a day from the public archive)" if _from_archive(db, run_id) else ""),
                archived(db, watched, first_at[:10], as_of[:10]) if many else "",
            )
            if part
        ),
        main=3,
    )


def _kinds(releases: list[dict[str, Any]]) -> bool:
    return any(r.get("kind") for r in releases)


def _new_models(
    db: Database, lo: list[Any], hi: list[Any], org_filter: str, args: list[int]
) -> list[dict[str, Any]]:
    """The models first seen by a run of the window, with what the Hub said of them then.

    A model is new only if its org had been synced before the run that first saw it: adding an
    org to the watch list is not a wave of releases."""
    from oss_tracker import licenses as lic

    keys = ("model_id", "id", "org", "created_at", "first_seen", "license", "parameters", "pipeline_tag",
            "library_name", "removed_at", "downloads_30d", "downloads_all_time")  # fmt: skip
    found = [
        dict(zip(keys, row, strict=True))
        for row in db.execute(
            f"""SELECT m.id, m.repo_id, g.name, {created()}, m.first_seen, m.license, m.parameters,
                       m.pipeline_tag, m.library_name, m.removed_at, s.downloads_30d, s.downloads_all_time
                FROM models m JOIN runs f ON f.id = m.first_seen_run JOIN orgs g ON g.id = m.org_id
                LEFT JOIN model_snapshots s ON s.run_id = m.first_seen_run AND s.model_id = m.id
                WHERE (f.started_at, f.id) BETWEEN (?, ?) AND (?, ?){org_filter}
                  AND EXISTS (SELECT 1 FROM org_snapshots o JOIN runs y ON y.id = o.run_id
                              WHERE o.org_id = m.org_id AND (y.started_at, y.id) < (f.started_at, f.id))
                ORDER BY {created()} DESC, m.repo_id""",
            [*lo, *hi, *args],
        ).fetchall()
    ]
    facts = model_facts(db, [r["model_id"] for r in found])
    for r in found:
        fact = facts.get(r["model_id"]) or {}
        r["kind"] = fact.get("kind")
        r["license_group"] = lic.group(r["license"])
    # Originals first, then derived models, then conversions (a stable sort: newest first within a kind).
    found.sort(key=lambda r: KIND_ORDER.get(r["kind"], len(KIND_ORDER)))
    for r in found:
        del r["model_id"]
    return found


def top_movers(
    db: Database, org_ids: list[int], since: date, until: date, *, limit: int
) -> list[dict[str, Any]]:
    """The models with the most downloads from `since` to `until` (`period.edges`: from each
    account's last snapshot before `since`), most first, with their rank: `top`'s ranking by
    downloads (a launch counts its whole all-time count; a model first seen but created before the
    period is left out), without the models whose count went down (no mover: `trends` flags them)."""
    from oss_tracker.reports.top import accounts, ranked

    if not org_ids:
        return []
    found, _ = ranked(db, accounts(db, org_ids, since, until), "1", "downloads", 0, limit)
    return [
        {
            "rank": r["rank"],
            "id": r["id"],
            "org": r["org"],
            "downloads": r["downloads"],
            "growth_pct": r["growth_pct"],
            "downloads_all_time": r["downloads_all_time"],
            "from": r["from"],
            "to": r["to"],
            "launch": r["launch"],
            "note": "created in the window" if r["launch"] else "",
        }
        for r in found
        if r["downloads"] is not None and r["downloads"] > 0
    ]


def _repo_changes(
    db: Database, kind: str, lo: list[Any], hi: list[Any], org_ids: list[int] | None
) -> dict[str, list[Any]]:
    """The datasets or Spaces that the window's runs found new, removed or renamed.

    New only where the org's datasets (Spaces) had been listed in an earlier run: a first
    listing, of a new account or after an upgrade, is not a wave of releases.
    """
    only = f" AND r.org_id IN ({','.join('?' * len(org_ids))})" if org_ids is not None else ""
    args = org_ids or []
    listed = "datasets_listed" if kind == "dataset" else "spaces_listed"
    new = db.execute(
        f"""SELECT r.repo_id, f.started_at FROM repos r JOIN runs f ON f.id = r.first_seen_run
            WHERE r.kind = ? AND (f.started_at, f.id) BETWEEN (?, ?) AND (?, ?){only}
              AND EXISTS (SELECT 1 FROM org_snapshots o JOIN runs y ON y.id = o.run_id
                          WHERE o.org_id = r.org_id AND (y.started_at, y.id) < (f.started_at, f.id)
                            AND o.{listed} IS NOT NULL)
            ORDER BY {created("r")} DESC, r.repo_id""",
        [kind, *lo, *hi, *args],
    ).fetchall()
    events = db.execute(
        f"""SELECT e.kind, e.old, e.new, e.at FROM repo_events e JOIN repos r ON r.id = e.repo_id
            JOIN runs x ON x.id = e.run_id
            WHERE (x.started_at, x.id) BETWEEN (?, ?) AND (?, ?) AND r.kind = ?
              AND e.kind IN ('removed', 'renamed'){only}
            ORDER BY x.started_at, x.id, e.id""",
        [*lo, *hi, kind, *args],
    ).fetchall()
    return {
        "new": [repo for repo, _ in new],
        "removed": [old for event, old, _, _ in events if event == "removed"],
        "renamed": [{"from": old, "to": to} for event, old, to, _ in events if event == "renamed"],
        "events": [{"change": "new", "id": repo, "detail": "", "at": at} for repo, at in new]
        + [
            {
                "change": event,
                "id": old if event == "removed" else to,
                "detail": f"from {old}" if event == "renamed" else "",
                "at": at,
            }
            for event, old, to, at in events
        ],
    }


def _from_archive(db: Database, run_id: int) -> bool:
    return db.execute("SELECT source FROM runs WHERE id = ?", [run_id]).fetchone()[0] == "archive"
