"""The schema: migrations (sqlite-utils' rules and table), in order. Never edit one that has shipped; add mNNN_ below."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The migrations are given a store.open.Store, which has what they use of sqlite-utils'
    # Database (execute, conn).
    from sqlite_utils import Database

MigrationFn = Callable[[Any], None]


# Seconds a migration waits for another process's write lock (a migration of the 2-year history
# takes ~15 s): a sync that cron started while another migrated waits rather than loses its day.
MIGRATION_WAIT = 300.0


def _immediate(conn: sqlite3.Connection, deadline: float) -> None:
    """BEGIN IMMEDIATE, retried every 50 ms while another connection holds the write lock, until
    `deadline` (time.monotonic()); then the lock error is raised."""
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@dataclass
class Migration:
    name: str
    fn: MigrationFn


class Migrations:
    """sqlite-utils' migrations (`@migrations()`, applied in order, each in a transaction with its
    row in `_sqlite_migrations`), on the same table, so that files either one made stay readable
    by the other; but without importing sqlite-utils: its import (click, dateutil, its plugins,
    and numpy and pandas when installed) cost a first sync ~75 ms of CPU, more than the rest of
    making the database."""

    table = "_sqlite_migrations"

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[Migration] = []

    def __call__(self) -> Callable[[MigrationFn], MigrationFn]:
        def register(fn: MigrationFn) -> MigrationFn:
            self._migrations.append(Migration(fn.__name__, fn))
            return fn

        return register

    def apply(self, db: Any, *, wait: float = MIGRATION_WAIT) -> None:
        """Apply the pending migrations to a store.open.Store, each in its own transaction.

        Each transaction is begun IMMEDIATE (the write lock first) and reads the migrations
        applied inside it: a second process migrating the same file waits for the first (up to
        `wait` seconds, in short steps a signal can cut), then finds the work done, instead of
        applying a migration twice or failing on a lock taken mid-way."""
        deadline = time.monotonic() + wait
        _immediate(db.conn, deadline)
        try:
            # sqlite-utils' own table and index, character for character.
            db.execute("""CREATE TABLE IF NOT EXISTS "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)""")
            db.execute("""CREATE UNIQUE INDEX IF NOT EXISTS "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name")""")
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
        for migration in self._migrations:
            _immediate(db.conn, deadline)
            try:
                done = {
                    r[0]
                    for r in db.execute(
                        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [self.name]
                    )
                }
                if migration.name not in done:
                    migration.fn(db)
                    db.execute(
                        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                        [self.name, migration.name, str(datetime.now(UTC))],
                    )
                db.conn.execute("COMMIT")
            except BaseException:
                db.conn.rollback()
                raise


migrations = Migrations("oss_tracker")


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
    # Derived from model_snapshots, rebuilt at will (see store/totals.py): reports read a row a
    # point instead of every model's snapshot. Filled here for the history already stored.
    from oss_tracker.store import totals

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
    totals.record(db)


@migrations()
def m007_derivative_latest(db: Database) -> None:
    # Derived from derivative_counts, kept by store/derivatives.py's save_counts: each model's latest
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
    from oss_tracker.store.derivatives import rebuild_latest

    rebuild_latest(db)


@migrations()
def m008_runs_day(db: Database) -> None:
    # A trend window starts from the runs of a day (its first day, the day before it).
    db.execute("CREATE INDEX IF NOT EXISTS runs_day ON runs(day)")


@migrations()
def m009_attempts(db: Database) -> None:
    # A sync that fails stores no run (its transaction is rolled back): each failed attempt is
    # kept here instead, written after the rollback, so that `status` can say why and when.
    db.execute("""
        CREATE TABLE failed_syncs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            failed_at TEXT NOT NULL,
            endpoint TEXT,
            orgs TEXT NOT NULL,
            reason TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            exit_code INTEGER NOT NULL,
            tool_version TEXT NOT NULL
        )""")


@migrations()
def m010_archive_runs(db: Database) -> None:
    # Days imported from a public archive (`oss-tracker backfill`, sync/backfill.py): `source` is
    # 'archive' for them (NULL for a live sync), `revision` the archive's commit (or local file),
    # `bytes_read` what reading it fetched. Such runs arrive after newer live runs, so run ids no
    # longer grow with time: runs are ordered by (started_at, id), which this index serves.
    db.execute("ALTER TABLE runs ADD COLUMN source TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN revision TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN bytes_read INTEGER")
    db.execute("CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at, id)")


@migrations()
def m013_launch_downloads(db: Database) -> None:
    # Downloads in a period now count a model launched in it (absent at the start, created after
    # it: zero downloads then) with its whole all-time count; one absent at the start but created
    # before it stays out and is counted as such (store/totals.py). org_run_totals gets the two
    # counts and is recomputed; org_daily and model_daily are replaced to say the same.
    from oss_tracker.store import totals
    from oss_tracker.values import created_sql

    for column in ("launches INTEGER NOT NULL DEFAULT 0", "launch_downloads INTEGER",
                   "first_seen_not_counted INTEGER NOT NULL DEFAULT 0"):  # fmt: skip
        db.execute(f"ALTER TABLE org_run_totals ADD COLUMN {column}")
    totals.record(db)
    db.execute("DROP VIEW IF EXISTS org_daily")
    db.execute("DROP VIEW IF EXISTS model_daily")
    # Per model and day, as m003's: on the model's first day, `launch` is 1 when it was created
    # after the org's previous snapshot day (zero downloads then): `downloads` is then its whole
    # all-time count, as the org's period counts it.
    db.execute(f"""
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
        ), launched AS (
            SELECT p.*, CASE WHEN p.previous_day IS NULL THEN coalesce(
                       {created_sql("m")} > (SELECT max(d.as_of) FROM org_days d
                                             WHERE d.org_id = m.org_id AND d.day < p.day), 0)
                   ELSE 0 END AS launch
            FROM paired p JOIN models m ON m.id = p.model_id
        )
        SELECT p.model_id, m.repo_id, g.name AS org, p.day, p.as_of, p.run_id, p.previous_day,
               CAST(julianday(p.day) - julianday(p.previous_day) AS INTEGER) AS days,
               s.downloads_30d, s.downloads_all_time, s.likes, s.trending,
               CASE WHEN p.launch THEN s.downloads_all_time
                    ELSE s.downloads_all_time - ps.downloads_all_time END AS downloads,
               CASE WHEN p.launch THEN s.likes ELSE s.likes - ps.likes END AS likes_change,
               coalesce(s.downloads_all_time < ps.downloads_all_time, 0) AS all_time_drop,
               p.launch
        FROM launched p
        JOIN models m ON m.id = p.model_id
        JOIN orgs g ON g.id = m.org_id
        JOIN model_snapshots s ON s.run_id = p.run_id AND s.model_id = p.model_id
        LEFT JOIN model_snapshots ps ON ps.run_id = p.previous_run_id AND ps.model_id = p.model_id""")
    launched, unseen = totals.launch_sql(prev_at="p.previous_as_of")
    # Per org and day, as m003's, with the launches counted in `downloads` and two counts more.
    db.execute(f"""
        CREATE VIEW org_daily AS
        WITH paired AS (
            SELECT org_id, day, run_id, as_of,
                   lag(day) OVER w AS previous_day, lag(run_id) OVER w AS previous_run_id,
                   lag(as_of) OVER w AS previous_as_of
            FROM org_days WINDOW w AS (PARTITION BY org_id ORDER BY day)
        ), sums AS (
            SELECT p.org_id, p.day, count(*) AS models_listed, sum(s.downloads_30d) AS downloads_30d,
                   sum(s.downloads_all_time) AS downloads_all_time, sum(s.likes) AS likes,
                   sum(CASE WHEN ps.model_id IS NOT NULL THEN s.downloads_all_time - ps.downloads_all_time
                            WHEN {launched} THEN s.downloads_all_time END) AS downloads,
                   coalesce(sum(s.downloads_all_time < ps.downloads_all_time), 0) AS all_time_drops,
                   sum({launched}) AS launches,
                   sum(CASE WHEN {launched} THEN s.downloads_all_time END) AS launch_downloads,
                   sum({unseen}) AS first_seen_not_counted
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
               x.likes - lag(x.likes) OVER (PARTITION BY p.org_id ORDER BY p.day) AS likes_change,
               x.launches, x.launch_downloads, x.first_seen_not_counted
        FROM paired p
        JOIN orgs g ON g.id = p.org_id
        JOIN org_snapshots o ON o.run_id = p.run_id AND o.org_id = p.org_id
        LEFT JOIN org_snapshots po ON po.run_id = p.previous_run_id AND po.org_id = p.org_id
        LEFT JOIN sums x ON x.org_id = p.org_id AND x.day = p.day""")


@migrations()
def m020_families(db: Database) -> None:
    # Families (issue 16): every descendant of a watched model through declared bases, read from an
    # archived day (`sync --families`, `backfill --families`; sync/families.py). Kept per day as
    # aggregates and a few top lists, never a row per descendant: a day of the real Hub has
    # hundreds of thousands of them. A watched model with no row on a family day that walked its
    # account had no descendant that day.
    db.execute("""
        CREATE TABLE family_days (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            revision TEXT,
            orgs TEXT NOT NULL,
            rows INTEGER NOT NULL,
            with_bases INTEGER NOT NULL,
            bases_from TEXT NOT NULL,
            self_references INTEGER NOT NULL,
            period_from TEXT,
            bytes_read INTEGER,
            computed_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            message TEXT
        )""")
    # Repo ids and account names of the top lists, each stored once (they recur every day).
    db.execute("CREATE TABLE family_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
    db.execute("""
        CREATE TABLE families (
            model_id INTEGER NOT NULL REFERENCES models(id),
            day_id INTEGER NOT NULL REFERENCES family_days(id),
            descendants INTEGER NOT NULL,
            finetune INTEGER NOT NULL,
            quantized INTEGER NOT NULL,
            adapter INTEGER NOT NULL,
            merge INTEGER NOT NULL,
            unspecified INTEGER NOT NULL,
            depth2 INTEGER NOT NULL,
            depth3 INTEGER NOT NULL,
            deeper INTEGER NOT NULL,
            max_depth INTEGER NOT NULL,
            merges INTEGER NOT NULL,
            cycles INTEGER NOT NULL,
            accounts INTEGER NOT NULL,
            company INTEGER NOT NULL,
            own_30d INTEGER,
            company_30d INTEGER,
            community_30d INTEGER,
            period_own INTEGER,
            period_company INTEGER,
            period_community INTEGER,
            drops INTEGER NOT NULL,
            PRIMARY KEY (day_id, model_id)
        ) WITHOUT ROWID""")
    # Keyed by day first: reports read a day's rows (thousands of models) as one range, a day's
    # rows are written together at the end of the tree (full pages), and one family's history is a
    # lookup a family day. No other index: ~10 bytes a row each.
    db.execute("""
        CREATE TABLE family_top (
            model_id INTEGER NOT NULL REFERENCES models(id),
            day_id INTEGER NOT NULL REFERENCES family_days(id),
            rank INTEGER NOT NULL,
            name_id INTEGER NOT NULL REFERENCES family_names(id),
            depth INTEGER NOT NULL,
            relation TEXT,
            downloads_30d INTEGER,
            downloads_all_time INTEGER,
            PRIMARY KEY (day_id, model_id, rank)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE family_accounts (
            model_id INTEGER NOT NULL REFERENCES models(id),
            day_id INTEGER NOT NULL REFERENCES family_days(id),
            rank INTEGER NOT NULL,
            name_id INTEGER NOT NULL REFERENCES family_names(id),
            repos INTEGER NOT NULL,
            downloads_30d INTEGER,
            PRIMARY KEY (day_id, model_id, rank)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE family_owners (
            day_id INTEGER NOT NULL REFERENCES family_days(id),
            kind TEXT NOT NULL CHECK (kind IN ('org', 'company')),
            name TEXT NOT NULL COLLATE NOCASE,
            accounts TEXT NOT NULL,
            models INTEGER NOT NULL,
            own_30d INTEGER,
            own_all_time INTEGER,
            company INTEGER NOT NULL,
            company_30d INTEGER,
            company_all_time INTEGER,
            community INTEGER NOT NULL,
            community_30d INTEGER,
            community_all_time INTEGER,
            period_own INTEGER,
            period_company INTEGER,
            period_community INTEGER,
            PRIMARY KEY (day_id, kind, name)
        ) WITHOUT ROWID""")


@migrations()
def m011_model_kinds(db: Database) -> None:
    # What kind of release each model is (store/kinds.py): an original, a conversion (a quantized
    # copy) or a derived model (a finetune, adapter or merge of its own company's model), whether
    # that was inferred (no declaration of the Hub's), and why. Kept on `models`, so that a report
    # filters by it as cheaply as by licence; written with each model by the sync. The companies
    # of the watch list the kinds were computed with are kept beside them: a sync under another
    # watch list computes them all again. Here every account counts as its own company (no watch
    # list is at hand): the next sync applies the watch list's.
    from oss_tracker.store import kinds

    for column in ("kind TEXT", "kind_inferred INTEGER", "kind_basis TEXT"):
        db.execute(f"ALTER TABLE models ADD COLUMN {column}")
    db.execute("""
        CREATE TABLE kind_companies (
            account TEXT PRIMARY KEY,
            company TEXT NOT NULL
        ) WITHOUT ROWID""")
    kinds.refresh(db, {})


@migrations()
def m012_model_details(db: Database) -> None:
    # What the listing's `expand` says the release is (hub/parse.py): the architecture and model
    # type of its `config` (else its `gguf`), its context length, the inference providers serving
    # it ({provider: status}, JSON) and the papers it cites (its `arxiv:` tags, JSON), and the
    # active parameters a mixture-of-experts name gives (`30B-A3B`). Unknown (NULL) until the next
    # sync lists each model, but for the active parameters, which the names stored give at once.
    # latest_model_stats shows them, and the kinds.
    from oss_tracker.store import kinds

    for column in ("architecture TEXT", "model_type TEXT", "context_length INTEGER",
                   "active_parameters INTEGER", "providers TEXT", "papers TEXT"):  # fmt: skip
        db.execute(f"ALTER TABLE models ADD COLUMN {column}")
    named = [
        (active, model_id)
        for model_id, repo_id in db.execute("SELECT id, repo_id FROM models").fetchall()
        if (active := kinds.active_parameters(repo_id)) is not None
    ]
    db.conn.executemany("UPDATE models SET active_parameters = ? WHERE id = ?", named)
    db.execute("DROP VIEW IF EXISTS latest_model_stats")
    db.execute("""
        CREATE VIEW latest_model_stats AS
        SELECT m.id AS model_id, m.repo_id, g.name AS org, m.hub_id, m.created_at, m.license,
               m.license_name, m.pipeline_tag, m.library_name, m.parameters, m.gated, m.base_model,
               m.base_relation, m.first_seen, m.last_seen, m.removed_at,
               s.downloads_30d, s.downloads_all_time, s.likes, s.trending, r.started_at AS as_of,
               m.kind, m.kind_inferred, m.kind_basis, m.architecture, m.model_type, m.context_length,
               m.active_parameters, m.providers, m.papers
        FROM models m
        JOIN orgs g ON g.id = m.org_id
        JOIN model_snapshots s ON s.run_id = m.last_seen_run AND s.model_id = m.id
        JOIN runs r ON r.id = m.last_seen_run""")


@migrations()
def m021_period_gaps_and_stalls(db: Database) -> None:
    # A period that starts on a day without all-time counts (the archive before 2025-02-27) is a gap,
    # not the launches' downloads alone; and each period counts its stalled counters (a model's
    # all-time count that stood still while it is downloaded: store/totals.py). org_run_totals gets
    # `stalls` and is recomputed; org_daily is replaced to say the same (m013's otherwise).
    from oss_tracker.store import totals

    db.execute("ALTER TABLE org_run_totals ADD COLUMN stalls INTEGER NOT NULL DEFAULT 0")
    totals.record(db)
    db.execute("DROP VIEW IF EXISTS org_daily")
    launched, unseen = totals.launch_sql(prev_at="p.previous_as_of")
    db.execute(f"""
        CREATE VIEW org_daily AS
        WITH paired AS (
            SELECT org_id, day, run_id, as_of,
                   lag(day) OVER w AS previous_day, lag(run_id) OVER w AS previous_run_id,
                   lag(as_of) OVER w AS previous_as_of
            FROM org_days WINDOW w AS (PARTITION BY org_id ORDER BY day)
        ), sums AS (
            SELECT p.org_id, p.day, count(*) AS models_listed, sum(s.downloads_30d) AS downloads_30d,
                   sum(s.downloads_all_time) AS downloads_all_time, sum(s.likes) AS likes,
                   {totals.downloads_sql(launched=launched)} AS downloads,
                   coalesce(sum(s.downloads_all_time < ps.downloads_all_time), 0) AS all_time_drops,
                   {totals.stalls_sql(apart="julianday(p.as_of) - julianday(p.previous_as_of)")} AS all_time_stalls,
                   sum({launched}) AS launches,
                   sum(CASE WHEN {launched} THEN s.downloads_all_time END) AS launch_downloads,
                   sum({unseen}) AS first_seen_not_counted
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
               x.likes - lag(x.likes) OVER (PARTITION BY p.org_id ORDER BY p.day) AS likes_change,
               x.launches, x.launch_downloads, x.first_seen_not_counted, x.all_time_stalls
        FROM paired p
        JOIN orgs g ON g.id = p.org_id
        JOIN org_snapshots o ON o.run_id = p.run_id AND o.org_id = p.org_id
        LEFT JOIN org_snapshots po ON po.run_id = p.previous_run_id AND po.org_id = p.org_id
        LEFT JOIN sums x ON x.org_id = p.org_id AND x.day = p.day""")


@migrations()
def m022_archive_checks(db: Database) -> None:
    # `runs.file_rows`: the rows of an archived day's whole file (NULL for a live sync, and for a day
    # imported before this), to tell a truncated file from its neighbours (store/archive.py).
    # `family_days.absent`: the watched models walked that day that were not in its file (created
    # later, or private then; a JSON list of model ids, NULL when not known): their direct children
    # are not compared with model_info's (store/families.py).
    db.execute("ALTER TABLE runs ADD COLUMN file_rows INTEGER")
    db.execute("ALTER TABLE family_days ADD COLUMN absent TEXT")


KNOWN = {m.name for m in migrations._migrations}
