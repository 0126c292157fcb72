"""Writing a run: runs, orgs, models, datasets and Spaces, their snapshots and events.

Knows nothing of HTTP. A sync's writes all happen inside one `db.atomic()` block held
by the caller, so a run is stored whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from oss_tracker.records import ModelRecord, OrgOverview, RepoRecord
from oss_tracker.store.kinds import Companies, active_parameters, classify
from oss_tracker.store.open import Store

# Later migrations go below, each named mNNN_...; never edit one that has shipped.


@dataclass
class OrgSaved:
    org: str
    listed: int
    new: int
    renamed: int
    license_changed: int
    first: bool = False  # the org's first snapshot: its models are first seen, not new releases
    moved_from: set[int] = field(default_factory=set)  # orgs that listed some of these models before
    taken: int = 0  # repos another org of this run had already stored (same `_id`): skipped here
    # (kind, `_id`) -> the org a repo belonged to before this org took it over in this run
    moved_out: dict[tuple[str, str], int] = field(default_factory=dict)
    # A stored model's createdAt changed: the launch rule (store/totals.py) reads it, so the org's
    # stored totals are recomputed with the run (their cache would keep the old answer).
    created_changed: int = 0


def start_run(db: Store, *, started_at: str, day: str, endpoint: str, orgs: list[str], version: str) -> int:
    cursor = db.execute(
        "INSERT INTO runs (started_at, day, endpoint, orgs, status, tool_version) VALUES (?, ?, ?, ?, ?, ?)",
        [started_at, day, endpoint, json.dumps(orgs), "running", version],
    )
    return int(cursor.lastrowid)


def last_run_start(db: Store, *, other_than: int | None = None) -> str | None:
    """When the newest stored run started (runs are stored whole, so every row counts), leaving
    out run `other_than` (the run being written)."""
    return db.execute("SELECT max(started_at) FROM runs WHERE id IS NOT ?", [other_than]).fetchone()[0]


def finish_run(
    db: Store, run_id: int, *, finished_at: str, status: str, requests: int, message: str | None
) -> None:
    db.execute(
        "UPDATE runs SET finished_at = ?, status = ?, requests = ?, message = ? WHERE id = ?",
        [finished_at, status, requests, message, run_id],
    )


def org_id(db: Store, name: str) -> int:
    db.execute("INSERT OR IGNORE INTO orgs (name) VALUES (?)", [name])
    return int(db.execute("SELECT id FROM orgs WHERE name = ?", [name]).fetchone()[0])


def start_org(db: Store, name: str) -> OrgSaved:
    """The counters for one org's models in this run (its first run if it has no snapshot yet)."""
    counts = OrgSaved(name, 0, 0, 0, 0)
    oid = org_id(db, name)
    counts.first = (
        db.execute("SELECT 1 FROM org_snapshots WHERE org_id = ? LIMIT 1", [oid]).fetchone() is None
    )
    return counts


def save_models(
    db: Store,
    run_id: int,
    now: str,
    counts: OrgSaved,
    records: Iterable[ModelRecord],
    companies: Companies | None = None,
) -> None:
    """Upsert listed models (keyed by `_id`) and their snapshots, a page of records at a time;
    each model's kind is classified as it is written (`companies`: the watch list's, for which
    accounts are one company; store/kinds.py)."""
    oid = org_id(db, counts.org)
    # Models a backfill stored under a synthetic `_id` take the Hub's real one when a listing
    # shows them: looked for only when the file holds any (one index probe a listing).
    adopting = (
        db.execute(
            "SELECT 1 FROM models WHERE hub_id >= ? AND hub_id < ? LIMIT 1", [SYNTHETIC, SYNTHETIC[:-1] + ";"]
        ).fetchone()
        is not None
    )
    records = iter(records)
    while page := list(islice(records, PAGE)):
        _save_page(db, run_id, now, counts, oid, page, adopting=adopting, companies=companies or {})


PAGE = 1000  # records written together: the sync hands them over a Hub page at a time

_INSERT_MODEL = """INSERT INTO models (repo_id, org_id, created_at, last_modified, license, license_tag,
        license_name, pipeline_tag, library_name, parameters, gated, base_model, base_relation,
        sha, kind, kind_inferred, kind_basis, architecture, model_type, context_length, active_parameters,
        providers, papers, hub_id, first_seen, first_seen_run, last_seen, last_seen_run)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_UPDATE_MODEL = """UPDATE models SET repo_id = ?, org_id = ?, created_at = ?, last_modified = ?, license = ?,
        license_tag = ?, license_name = ?, pipeline_tag = ?, library_name = ?, parameters = ?,
        gated = ?, base_model = ?, base_relation = ?, sha = ?, kind = ?, kind_inferred = ?, kind_basis = ?,
        architecture = ?, model_type = ?, context_length = ?, active_parameters = ?, providers = ?,
        papers = ?, last_seen = ?, last_seen_run = ?, removed_at = NULL, removed_run = NULL
    WHERE id = ?"""
HUB_ID = 23  # where `hub_id` is in an insert's values
_INSERT_SNAPSHOT = """INSERT INTO model_snapshots (run_id, model_id, downloads_30d, downloads_all_time, likes, trending)
    VALUES (?, ?, ?, ?, ?, ?)"""


def _save_page(
    db: Store,
    run_id: int,
    now: str,
    counts: OrgSaved,
    oid: int,
    page: list[ModelRecord],
    *,
    adopting: bool,
    companies: Companies,
) -> None:
    """One page: the stored rows of its `_id`s read in one query, then each statement run once
    for all its rows (executemany), not three statements a model."""
    stored = {
        row[0]: row[1:]
        for row in db.execute(
            """SELECT hub_id, id, repo_id, license, removed_at, org_id, last_seen_run, created_at FROM models
               WHERE hub_id IN (SELECT value FROM json_each(?))""",
            [json.dumps([rec.hub_id for rec in page])],
        )
    }
    inserts: list[list[object]] = []
    updates: list[list[object]] = []
    events: list[list[object]] = []
    snapshots: list[list[object]] = []  # model_id None for a model inserted here (its id comes after)
    missing = [rec for rec in page if rec.hub_id not in stored] if adopting else []
    if missing:
        stored.update(_adopt(db, missing))
    for rec in page:
        row = stored.get(rec.hub_id)
        if row is not None and row[5] == run_id:
            # Listed by another org of this run too (a transfer mid-sync): the first stored wins,
            # and a second snapshot of one model in one run cannot be stored.
            counts.taken += 1
            continue
        counts.listed += 1
        values = [
            rec.repo_id,
            oid,
            rec.created_at,
            rec.last_modified,
            rec.license.key,
            rec.license.tag,
            rec.license.name,
            rec.pipeline_tag,
            rec.library_name,
            rec.parameters,
            rec.gated,
            rec.base_model,
            rec.base_relation,
            rec.sha,
            *classify(rec.repo_id, rec.base_model, rec.base_relation, rec.library_name, companies),
            rec.architecture,
            rec.model_type,
            rec.context_length,
            active_parameters(rec.repo_id),
            rec.providers,
            rec.papers,
        ]
        if row is None:
            inserts.append([*values, rec.hub_id, now, run_id, now, run_id])
            model_id = None
            counts.new += 0 if counts.first else 1
        else:
            model_id, old_repo, old_license, removed_at, old_org, _, old_created = row
            if old_created != rec.created_at:
                counts.created_changed += 1
            if old_org != oid:
                counts.moved_from.add(old_org)
                counts.moved_out[("model", rec.hub_id)] = old_org
            if old_repo != rec.repo_id:
                events.append([run_id, model_id, "renamed", old_repo, rec.repo_id, now])
                counts.renamed += 1
            if old_license != rec.license.key:
                events.append([run_id, model_id, "license_changed", old_license, rec.license.key, now])
                counts.license_changed += 1
            if removed_at is not None:
                events.append([run_id, model_id, "restored", removed_at, None, now])
            updates.append([*values, now, run_id, model_id])
        # Seen now: listed twice in one page, the second is another org's as above.
        stored[rec.hub_id] = (model_id, None, None, None, None, run_id, None)
        snapshots.append(
            [run_id, model_id, rec.downloads_30d, rec.downloads_all_time, rec.likes, rec.trending]
        )
    if inserts:
        db.executemany(_INSERT_MODEL, inserts)
        new_ids = dict(
            db.execute(
                "SELECT hub_id, id FROM models WHERE hub_id IN (SELECT value FROM json_each(?))",
                [json.dumps([row[HUB_ID] for row in inserts])],
            )
        )
        for snapshot, row in zip((s for s in snapshots if s[1] is None), inserts, strict=True):
            snapshot[1] = new_ids[row[HUB_ID]]
    db.executemany(_UPDATE_MODEL, updates)
    db.executemany(
        "INSERT INTO events (run_id, model_id, kind, old, new, at) VALUES (?, ?, ?, ?, ?, ?)", events
    )
    db.executemany(_INSERT_SNAPSHOT, snapshots)


# A model first stored from a public archive (store/archive.py) has no `_id` of the Hub's.
SYNTHETIC = "archive:"


def _adopt(db: Store, records: list[ModelRecord]) -> dict[str, tuple]:
    """Models known only from the archive under these repo ids (and, where both are known, these
    creation times): each takes the Hub's real `_id`, and is that model from now on, not a second
    one. Returns their rows by the real `_id`, as `_save_page` reads stored rows."""
    by_synthetic = {SYNTHETIC + rec.repo_id: rec for rec in records}
    # A repo id an older repo had first was stored as `archive:<repo id>@<createdAt>` (store/archive.py).
    by_synthetic.update(
        {f"{SYNTHETIC}{rec.repo_id}@{rec.created_at}": rec for rec in records if rec.created_at is not None}
    )
    found = db.execute(
        """SELECT hub_id, id, repo_id, license, removed_at, org_id, last_seen_run, created_at FROM models
           WHERE hub_id IN (SELECT value FROM json_each(?))""",
        [json.dumps(sorted(by_synthetic))],
    ).fetchall()
    adopted: dict[str, tuple] = {}
    # One stored model a repo: the one of the same creation time first.
    found.sort(key=lambda r: (r[-1] is None or r[-1] != by_synthetic[r[0]].created_at, r[0]))
    for hub_id, *row, created_at in found:
        rec = by_synthetic[hub_id]
        if created_at is not None and rec.created_at is not None and created_at != rec.created_at:
            continue  # another repo that once bore this name
        if rec.hub_id in adopted:
            continue
        db.execute("UPDATE models SET hub_id = ? WHERE id = ?", [rec.hub_id, row[0]])
        adopted[rec.hub_id] = (*row, created_at)
    return adopted


def save_org_snapshot(
    db: Store,
    run_id: int,
    overview: OrgOverview,
    counts: OrgSaved,
    *,
    complete: bool,
    datasets_listed: int | None = None,
    spaces_listed: int | None = None,
) -> None:
    """The org's row of this run: its overview's counts, followers, and how much was listed."""
    oid = org_id(db, overview.name)
    db.execute(
        """INSERT INTO org_snapshots (run_id, org_id, num_models, followers, listed, complete, num_datasets,
               num_spaces, datasets_listed, spaces_listed)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run_id,
            oid,
            overview.num_models,
            overview.followers,
            counts.listed,
            int(complete),
            overview.num_datasets,
            overview.num_spaces,
            datasets_listed,
            spaces_listed,
        ],  # fmt: skip
    )


# Where each kind of repo lives: its table, its events table and that table's key column.
_HOMES = {
    "model": ("models", "events", "model_id"),
    "dataset": ("repos", "repo_events", "repo_id"),
    "space": ("repos", "repo_events", "repo_id"),
}


def held_before(
    db: Store, org: str, kind: str, hub_ids: set[str], moved_out: dict[tuple[str, str], int]
) -> int:
    """How many of `hub_ids` were live repos of `org` when this run began: of these, an item that
    another account's listing now shows (a transfer) may stand in the count of `org`'s listing.

    `moved_out` names the repos another org of this run has already taken over (and whose row
    now names that org): what they belonged to before.
    """
    if not hub_ids:
        return 0
    table, only_kind, args = ("models", "", []) if kind == "model" else ("repos", " AND kind = ?", [kind])
    oid = org_id(db, org)
    found = db.execute(
        f"""SELECT hub_id, org_id FROM {table}
            WHERE removed_at IS NULL{only_kind} AND hub_id IN (SELECT value FROM json_each(?))""",
        [*args, json.dumps(sorted(hub_ids))],
    ).fetchall()
    return sum(1 for hub_id, owner in found if moved_out.get((kind, hub_id), owner) == oid)


def mark_removed(db: Store, run_id: int, now: str, org: str, kind: str = "model") -> list[str]:
    """Repos of `org` (models, datasets or Spaces) that a complete listing of this run no longer
    shows: marked removed with the time and an event, never deleted."""
    table, _, _ = _HOMES[kind]
    only_kind, args = ("", []) if kind == "model" else (" AND kind = ?", [kind])
    gone = db.execute(
        f"SELECT id, repo_id FROM {table} WHERE org_id = ?{only_kind} AND removed_at IS NULL AND last_seen_run != ?",
        [org_id(db, org), *args, run_id],
    ).fetchall()
    for pk, repo_id in gone:
        db.execute(f"UPDATE {table} SET removed_at = ?, removed_run = ? WHERE id = ?", [now, run_id, pk])
        _event(db, kind, run_id, pk, "removed", repo_id, None, now)
    return [repo_id for _, repo_id in gone]


def _event(
    db: Store, kind: str, run_id: int, pk: int, event: str, old: str | None, new: str | None, at: str
) -> None:
    _, events, key = _HOMES[kind]
    db.execute(
        f"INSERT INTO {events} (run_id, {key}, kind, old, new, at) VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, pk, event, old, new, at],
    )


def save_repos(
    db: Store,
    run_id: int,
    now: str,
    org: str,
    kind: str,
    records: Iterable[RepoRecord],
    counts: OrgSaved | None = None,
) -> int:
    """Upsert an org's datasets or Spaces and their snapshots; returns how many were stored.

    One another org of this run already stored is skipped (counted in `counts.taken`), as in save_models.
    """
    oid = org_id(db, org)
    listed = 0
    for rec in records:
        row = db.execute(
            "SELECT id, repo_id, removed_at, last_seen_run, org_id FROM repos WHERE kind = ? AND hub_id = ?",
            [kind, rec.hub_id],
        ).fetchone()
        if row is not None and row[3] == run_id:
            if counts is not None:
                counts.taken += 1
            continue
        listed += 1
        values = [rec.repo_id, oid, rec.created_at, rec.last_modified, rec.license.key, rec.license.tag,
                  rec.license.name, rec.sdk]  # fmt: skip
        if row is None:
            cursor = db.execute(
                """INSERT INTO repos (repo_id, org_id, created_at, last_modified, license, license_tag, license_name,
                       sdk, kind, hub_id, first_seen, first_seen_run, last_seen, last_seen_run)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [*values, kind, rec.hub_id, now, run_id, now, run_id],
            )
            repo_pk = int(cursor.lastrowid)
        else:
            repo_pk, old_repo, removed_at, _, old_org = row
            if old_org != oid and counts is not None:
                counts.moved_out[(kind, rec.hub_id)] = old_org
            if old_repo != rec.repo_id:
                _event(db, kind, run_id, repo_pk, "renamed", old_repo, rec.repo_id, now)
            if removed_at is not None:
                _event(db, kind, run_id, repo_pk, "restored", removed_at, None, now)
            db.execute(
                """UPDATE repos SET repo_id = ?, org_id = ?, created_at = ?, last_modified = ?, license = ?,
                       license_tag = ?, license_name = ?, sdk = ?, last_seen = ?, last_seen_run = ?,
                       removed_at = NULL, removed_run = NULL
                   WHERE id = ?""",
                [*values, now, run_id, repo_pk],
            )
        db.execute(
            """INSERT INTO repo_snapshots (run_id, repo_id, downloads_30d, downloads_all_time, likes, trending)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [run_id, repo_pk, rec.downloads_30d, rec.downloads_all_time, rec.likes, rec.trending],
        )
    return listed
