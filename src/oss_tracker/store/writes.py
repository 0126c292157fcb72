"""The SQLite file: schema (sqlite-utils migrations), opening with checks, and writes.

Knows nothing of HTTP. A sync's writes all happen inside one `db.atomic()` block held
by the caller, so a run is stored whole or not at all.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from oss_tracker.dbfile import Unreadable, connect_readonly, is_regular
from oss_tracker.records import ModelRecord, OrgOverview, RepoRecord

migrations = Migrations("oss_tracker")


class StoreError(Exception):
    """The database file cannot be used: missing, unreadable, not SQLite, or too new."""


@migrations()
def m001_initial(db: Database) -> None:
    db.execute("""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            day TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            orgs TEXT NOT NULL,
            status TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            tool_version TEXT NOT NULL,
            message TEXT
        )""")
    db.execute("CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE)")
    db.execute("""
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            hub_id TEXT NOT NULL UNIQUE,
            repo_id TEXT NOT NULL,
            org_id INTEGER NOT NULL REFERENCES orgs(id),
            created_at TEXT,
            last_modified TEXT,
            license TEXT NOT NULL,
            license_tag TEXT,
            license_name TEXT,
            pipeline_tag TEXT,
            library_name TEXT,
            parameters INTEGER,
            gated TEXT,
            base_model TEXT,
            base_relation TEXT,
            sha TEXT,
            first_seen TEXT NOT NULL,
            first_seen_run INTEGER NOT NULL REFERENCES runs(id),
            last_seen TEXT NOT NULL,
            last_seen_run INTEGER NOT NULL REFERENCES runs(id),
            removed_at TEXT,
            removed_run INTEGER REFERENCES runs(id)
        )""")
    db.execute("CREATE INDEX models_org ON models(org_id)")
    db.execute("CREATE INDEX models_repo ON models(repo_id)")
    # Integer keys and no repeated strings: this is the table that grows every day.
    db.execute("""
        CREATE TABLE model_snapshots (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            model_id INTEGER NOT NULL REFERENCES models(id),
            downloads_30d INTEGER,
            downloads_all_time INTEGER,
            likes INTEGER,
            trending REAL,
            PRIMARY KEY (run_id, model_id)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX model_snapshots_model ON model_snapshots(model_id, run_id)")
    db.execute("""
        CREATE TABLE org_snapshots (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            org_id INTEGER NOT NULL REFERENCES orgs(id),
            num_models INTEGER,
            followers INTEGER,
            listed INTEGER NOT NULL,
            complete INTEGER NOT NULL,
            PRIMARY KEY (run_id, org_id)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            model_id INTEGER NOT NULL REFERENCES models(id),
            kind TEXT NOT NULL,
            old TEXT,
            new TEXT,
            at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX events_run ON events(run_id)")


@migrations()
def m002_derivatives(db: Database) -> None:
    # One row per model per UTC day. A relation column is NULL when the Hub gave only a
    # total (childrenModelCount as a bare int): never a split the Hub did not give.
    db.execute("""
        CREATE TABLE derivative_counts (
            model_id INTEGER NOT NULL REFERENCES models(id),
            day TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            finetune INTEGER,
            quantized INTEGER,
            adapter INTEGER,
            merge INTEGER,
            total INTEGER NOT NULL,
            PRIMARY KEY (model_id, day)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX derivative_counts_run ON derivative_counts(run_id)")
    # A watched model's own declared bases (`baseModels`), e.g. a DeepSeek distillation on a Qwen base.
    db.execute("""
        CREATE TABLE model_bases (
            model_id INTEGER NOT NULL REFERENCES models(id),
            base_repo_id TEXT NOT NULL,
            base_hub_id TEXT,
            relation TEXT,
            PRIMARY KEY (model_id, base_repo_id)
        ) WITHOUT ROWID""")


# Later migrations go below, each named mNNN_...; never edit one that has shipped.


@migrations()
def m003_views(db: Database) -> None:
    # Views for people who query the file with sqlite3, sqlite-utils or Datasette
    # (documented in docs/schema.md). A day's value is the LAST run of that UTC day:
    # several runs a day never double-count. Only stored runs (ok or partial) count.
    db.execute("""
        CREATE VIEW org_days AS
        SELECT o.org_id, r.day, o.run_id, max(r.started_at) AS as_of
        FROM org_snapshots o JOIN runs r ON r.id = o.run_id
        WHERE r.status IN ('ok', 'partial')
        GROUP BY o.org_id, r.day""")
    db.execute("""
        CREATE VIEW latest_model_stats AS
        SELECT m.id AS model_id, m.repo_id, g.name AS org, m.hub_id, m.created_at, m.license,
               m.license_name, m.pipeline_tag, m.library_name, m.parameters, m.gated, m.base_model,
               m.base_relation, m.first_seen, m.last_seen, m.removed_at,
               s.downloads_30d, s.downloads_all_time, s.likes, s.trending, r.started_at AS as_of
        FROM models m
        JOIN orgs g ON g.id = m.org_id
        JOIN model_snapshots s ON s.run_id = m.last_seen_run AND s.model_id = m.id
        JOIN runs r ON r.id = m.last_seen_run""")
    # Per model and day: the values, and the change since the model's previous snapshot
    # day (`previous_day`, `days` apart: more than 1 across a gap). `downloads` is the
    # difference of all-time counts; a negative one is an all-time drop, flagged.
    db.execute("""
        CREATE VIEW model_daily AS
        WITH days AS (
            SELECT s.model_id, r.day, s.run_id, max(r.started_at) AS as_of
            FROM model_snapshots s JOIN runs r ON r.id = s.run_id
            WHERE r.status IN ('ok', 'partial')
            GROUP BY s.model_id, r.day
        ), paired AS (
            SELECT model_id, day, run_id, as_of,
                   lag(day) OVER w AS previous_day, lag(run_id) OVER w AS previous_run_id
            FROM days WINDOW w AS (PARTITION BY model_id ORDER BY day)
        )
        SELECT p.model_id, m.repo_id, g.name AS org, p.day, p.as_of, p.run_id, p.previous_day,
               CAST(julianday(p.day) - julianday(p.previous_day) AS INTEGER) AS days,
               s.downloads_30d, s.downloads_all_time, s.likes, s.trending,
               s.downloads_all_time - ps.downloads_all_time AS downloads,
               s.likes - ps.likes AS likes_change,
               coalesce(s.downloads_all_time < ps.downloads_all_time, 0) AS all_time_drop
        FROM paired p
        JOIN models m ON m.id = p.model_id
        JOIN orgs g ON g.id = m.org_id
        JOIN model_snapshots s ON s.run_id = p.run_id AND s.model_id = p.model_id
        LEFT JOIN model_snapshots ps ON ps.run_id = p.previous_run_id AND ps.model_id = p.model_id""")
    # Per org and day: totals, and changes since the org's previous snapshot day.
    # `downloads` sums all-time differences over the models present on both days.
    db.execute("""
        CREATE VIEW org_daily AS
        WITH paired AS (
            SELECT org_id, day, run_id, as_of,
                   lag(day) OVER w AS previous_day, lag(run_id) OVER w AS previous_run_id
            FROM org_days WINDOW w AS (PARTITION BY org_id ORDER BY day)
        ), sums AS (
            SELECT p.org_id, p.day, count(*) AS models_listed, sum(s.downloads_30d) AS downloads_30d,
                   sum(s.downloads_all_time) AS downloads_all_time, sum(s.likes) AS likes,
                   sum(s.downloads_all_time - ps.downloads_all_time) AS downloads,
                   coalesce(sum(s.downloads_all_time < ps.downloads_all_time), 0) AS all_time_drops
            FROM paired p
            CROSS JOIN models m ON m.org_id = p.org_id
            JOIN model_snapshots s ON s.run_id = p.run_id AND s.model_id = m.id
            LEFT JOIN model_snapshots ps ON ps.run_id = p.previous_run_id AND ps.model_id = m.id
            GROUP BY p.org_id, p.day
        )
        SELECT g.name AS org, p.org_id, p.day, p.as_of, p.run_id, p.previous_day,
               CAST(julianday(p.day) - julianday(p.previous_day) AS INTEGER) AS days,
               o.num_models, o.listed AS models, o.complete, o.followers,
               o.followers - po.followers AS followers_change,
               x.downloads_30d, x.downloads_all_time, x.downloads, x.all_time_drops, x.likes,
               x.likes - lag(x.likes) OVER (PARTITION BY p.org_id ORDER BY p.day) AS likes_change
        FROM paired p
        JOIN orgs g ON g.id = p.org_id
        JOIN org_snapshots o ON o.run_id = p.run_id AND o.org_id = p.org_id
        LEFT JOIN org_snapshots po ON po.run_id = p.previous_run_id AND po.org_id = p.org_id
        LEFT JOIN sums x ON x.org_id = p.org_id AND x.day = p.day""")
    # Each model's most recent derivative count (direct children, by relation).
    db.execute("""
        CREATE VIEW latest_derivative_counts AS
        SELECT d.model_id, m.repo_id, g.name AS org, max(d.day) AS day, d.run_id,
               d.finetune, d.quantized, d.adapter, d.merge, d.total
        FROM derivative_counts d
        JOIN models m ON m.id = d.model_id
        JOIN orgs g ON g.id = m.org_id
        GROUP BY d.model_id""")


@migrations()
def m004_datasets_spaces(db: Database) -> None:
    # Datasets and Spaces, with the same rules as models: keyed by the Hub's `_id`, a
    # snapshot row every run, renames and removals kept as events, never deleted.
    db.execute("""
        CREATE TABLE repos (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('dataset', 'space')),
            hub_id TEXT NOT NULL,
            repo_id TEXT NOT NULL,
            org_id INTEGER NOT NULL REFERENCES orgs(id),
            created_at TEXT,
            last_modified TEXT,
            license TEXT NOT NULL,
            license_tag TEXT,
            license_name TEXT,
            sdk TEXT,
            first_seen TEXT NOT NULL,
            first_seen_run INTEGER NOT NULL REFERENCES runs(id),
            last_seen TEXT NOT NULL,
            last_seen_run INTEGER NOT NULL REFERENCES runs(id),
            removed_at TEXT,
            removed_run INTEGER REFERENCES runs(id),
            UNIQUE (kind, hub_id)
        )""")
    db.execute("CREATE INDEX repos_org ON repos(org_id, kind)")
    db.execute("""
        CREATE TABLE repo_snapshots (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            downloads_30d INTEGER,
            downloads_all_time INTEGER,
            likes INTEGER,
            trending REAL,
            PRIMARY KEY (run_id, repo_id)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX repo_snapshots_repo ON repo_snapshots(repo_id, run_id)")
    db.execute("""
        CREATE TABLE repo_events (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            kind TEXT NOT NULL,
            old TEXT,
            new TEXT,
            at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX repo_events_run ON repo_events(run_id)")
    for column in ("num_datasets", "num_spaces", "datasets_listed", "spaces_listed"):
        db.execute(f"ALTER TABLE org_snapshots ADD COLUMN {column} INTEGER")


@migrations()
def m005_report_indexes(db: Database) -> None:
    # Reports ask for one org's snapshots (latest runs, the day a period starts): without
    # this they scan org_snapshots whole (keyed by run), which grows by every org every day.
    # See docs/benchmarks.md for the query plans that rely on it.
    db.execute("CREATE INDEX IF NOT EXISTS org_snapshots_org ON org_snapshots(org_id, run_id)")


@migrations()
def m006_org_run_totals(db: Database) -> None:
    # Derived from model_snapshots, rebuilt at will (see org_totals.py): reports read a row a
    # point instead of every model's snapshot. Filled here for the history already stored.
    from oss_tracker import org_totals

    db.execute("""
        CREATE TABLE org_run_totals (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            org_id INTEGER NOT NULL REFERENCES orgs(id),
            prev_run_id INTEGER REFERENCES runs(id),
            models INTEGER NOT NULL,
            downloads_30d INTEGER,
            downloads_all_time INTEGER,
            likes INTEGER,
            downloads INTEGER,
            base INTEGER,
            drops INTEGER NOT NULL,
            PRIMARY KEY (run_id, org_id)
        ) WITHOUT ROWID""")
    org_totals.record(db)


@migrations()
def m007_derivative_latest(db: Database) -> None:
    # Derived from derivative_counts, kept by derivatives.save_counts: each model's latest
    # count and the one before, so reports read a row a model instead of seeking its history.
    # Filled here for the counts already stored.
    db.execute("""
        CREATE TABLE derivative_latest (
            model_id INTEGER PRIMARY KEY REFERENCES models(id),
            day TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            finetune INTEGER,
            quantized INTEGER,
            adapter INTEGER,
            merge INTEGER,
            total INTEGER NOT NULL,
            prev_day TEXT,
            prev_total INTEGER
        )""")
    from oss_tracker import derivatives

    derivatives.rebuild_latest(db)


@migrations()
def m008_runs_day(db: Database) -> None:
    # A trend window starts from the runs of a day (its first day, the day before it).
    db.execute("CREATE INDEX IF NOT EXISTS runs_day ON runs(day)")


KNOWN = {m.name for m in migrations._migrations}


def check_location(path: Path, *, create: bool = True) -> None:
    """Raise StoreError unless the database can be opened (and, with `create`, written) there.

    Creates a missing folder but never the database itself (lock.open_database_file does,
    never through a symlink). Anything but a regular file is refused before SQLite opens it:
    opening a FIFO would wait forever for a writer.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file")
    if os.path.exists(path) and not is_regular(path):
        raise StoreError(f"{path} is not a regular file (a FIFO, a device...): not a database")
    if not path.exists():
        if not create:
            raise StoreError(f"no database at {path}: run `oss-tracker sync` first")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create the folder {parent}: {err.strerror}") from None
        if not os.access(parent, os.W_OK):
            raise StoreError(f"cannot create {path}: the folder is not writable")
    elif create and not os.access(path, os.W_OK):
        raise StoreError(f"cannot write to {path}: permission denied")


def open_db(path: Path, *, create: bool = True) -> Database:
    """Open (and if need be create and migrate) the database, or raise StoreError with a reason."""
    check_location(path, create=create)
    try:
        conn = sqlite3.connect(path, timeout=30) if create else connect_readonly(path)
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Unreadable as err:
        raise StoreError(str(err)) from None
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} is not a usable SQLite database ({err})") from None
    applied = {m.name for m in migrations.applied(db)}
    if applied - KNOWN:
        raise StoreError(f"{path} was written by a newer oss-tracker; upgrade to read it")
    if not applied:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        if tables - {"_sqlite_migrations"}:
            # Someone else's database: neither a sync nor a report may add tables to it.
            raise StoreError(f"{path} is an SQLite database, but not oss-tracker's: left untouched")
        if not create:
            raise StoreError(f"no oss-tracker data in {path} yet: run `oss-tracker sync` first")
    if create:
        try:
            db.enable_wal()
            migrations.apply(db)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot prepare {path}: {err}") from None
    elif applied != KNOWN:
        # A file from an older version: migrations only add, so a report may apply them.
        conn.close()
        if not os.access(path, os.W_OK):
            raise StoreError(f"{path} needs an upgrade: run `oss-tracker sync` once to migrate it")
        return open_db(path, create=True)
    return db


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


def start_run(
    db: Database, *, started_at: str, day: str, endpoint: str, orgs: list[str], version: str
) -> int:
    cursor = db.execute(
        "INSERT INTO runs (started_at, day, endpoint, orgs, status, tool_version) VALUES (?, ?, ?, ?, ?, ?)",
        [started_at, day, endpoint, json.dumps(orgs), "running", version],
    )
    return int(cursor.lastrowid)


def last_run_start(db: Database, *, other_than: int | None = None) -> str | None:
    """When the newest stored run started (runs are stored whole, so every row counts), leaving
    out run `other_than` (the run being written)."""
    return db.execute("SELECT max(started_at) FROM runs WHERE id IS NOT ?", [other_than]).fetchone()[0]


def finish_run(
    db: Database, run_id: int, *, finished_at: str, status: str, requests: int, message: str | None
) -> None:
    db.execute(
        "UPDATE runs SET finished_at = ?, status = ?, requests = ?, message = ? WHERE id = ?",
        [finished_at, status, requests, message, run_id],
    )


def org_id(db: Database, name: str) -> int:
    db.execute("INSERT OR IGNORE INTO orgs (name) VALUES (?)", [name])
    return int(db.execute("SELECT id FROM orgs WHERE name = ?", [name]).fetchone()[0])


def start_org(db: Database, name: str) -> OrgSaved:
    """The counters for one org's models in this run (its first run if it has no snapshot yet)."""
    counts = OrgSaved(name, 0, 0, 0, 0)
    oid = org_id(db, name)
    counts.first = (
        db.execute("SELECT 1 FROM org_snapshots WHERE org_id = ? LIMIT 1", [oid]).fetchone() is None
    )
    return counts


def save_models(
    db: Database, run_id: int, now: str, counts: OrgSaved, records: Iterable[ModelRecord]
) -> None:
    """Upsert listed models (keyed by `_id`) and their snapshots; a page at a time is fine."""
    oid = org_id(db, counts.org)
    for rec in records:
        row = db.execute(
            "SELECT id, repo_id, license, removed_at, org_id, last_seen_run FROM models WHERE hub_id = ?",
            [rec.hub_id],
        ).fetchone()
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
        ]
        if row is None:
            cursor = db.execute(
                """INSERT INTO models (repo_id, org_id, created_at, last_modified, license, license_tag,
                       license_name, pipeline_tag, library_name, parameters, gated, base_model, base_relation,
                       sha, hub_id, first_seen, first_seen_run, last_seen, last_seen_run)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [*values, rec.hub_id, now, run_id, now, run_id],
            )
            model_id = int(cursor.lastrowid)
            counts.new += 0 if counts.first else 1
        else:
            model_id, old_repo, old_license, removed_at, old_org, _ = row
            if old_org != oid:
                counts.moved_from.add(old_org)
            if old_repo != rec.repo_id:
                _event(db, "model", run_id, model_id, "renamed", old_repo, rec.repo_id, now)
                counts.renamed += 1
            if old_license != rec.license.key:
                _event(db, "model", run_id, model_id, "license_changed", old_license, rec.license.key, now)
                counts.license_changed += 1
            if removed_at is not None:
                _event(db, "model", run_id, model_id, "restored", removed_at, None, now)
            db.execute(
                """UPDATE models SET repo_id = ?, org_id = ?, created_at = ?, last_modified = ?, license = ?,
                       license_tag = ?, license_name = ?, pipeline_tag = ?, library_name = ?, parameters = ?,
                       gated = ?, base_model = ?, base_relation = ?, sha = ?, last_seen = ?, last_seen_run = ?,
                       removed_at = NULL, removed_run = NULL
                   WHERE id = ?""",
                [*values, now, run_id, model_id],
            )
        db.execute(
            """INSERT INTO model_snapshots (run_id, model_id, downloads_30d, downloads_all_time, likes, trending)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [run_id, model_id, rec.downloads_30d, rec.downloads_all_time, rec.likes, rec.trending],
        )


def save_org_snapshot(
    db: Database,
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


def mark_removed(db: Database, run_id: int, now: str, org: str, kind: str = "model") -> list[str]:
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
    db: Database, kind: str, run_id: int, pk: int, event: str, old: str | None, new: str | None, at: str
) -> None:
    _, events, key = _HOMES[kind]
    db.execute(
        f"INSERT INTO {events} (run_id, {key}, kind, old, new, at) VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, pk, event, old, new, at],
    )


def save_repos(
    db: Database,
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
            "SELECT id, repo_id, removed_at, last_seen_run FROM repos WHERE kind = ? AND hub_id = ?",
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
            repo_pk, old_repo, removed_at, _ = row
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
