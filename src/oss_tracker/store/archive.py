"""Writing a day imported from a public archive (`oss-tracker backfill`): one run, one transaction.

A backfilled day is a run like a sync's (`runs.source = 'archive'`, `runs.revision` the
archive's commit), dated by the snapshot, so that every report reads it unchanged. What
differs from a live run is that it usually lands *in the past*, before live runs already
stored, and that the archive has no `_id`:

- **Identity.** An archive row is matched to a stored model by repo id *as it was named on
  that day* (the renames the tracker recorded are followed backwards), and a repo creation
  time that differs means another repo of the same name. A model the database does not know
  is stored with the synthetic `_id` `archive:<repo id>` (`archive:<repo id>@<createdAt>` if
  that is taken); a later live sync that lists the same repo id with the same createdAt adopts
  the real `_id` (store/writes.py), so it stays one model.
- **Time.** Nothing a later snapshot said is overwritten: a model's attributes (licence,
  pipeline, dates) change only when the archived day is its newest snapshot. Removals and
  restorations (`events`) and licence changes are recomputed only between the model's
  snapshots just before and after the day, from the facts those runs hold, so that a history
  built with archive days first and one built with them last end up the same.
- **Totals.** `org_run_totals` rows of the day's run, and of each org's next run in time
  (its previous run is now this day), are recomputed here; stalled counters are counted there
  (store/totals.py), whatever order the days arrive in.
- **A broken file.** An account whose rows fall sharply against its snapshots beside the day
  (under ACCOUNT_FALL of one of them), or every account of a file whose rows fall under FILE_FALL
  of an archived day beside it (a truncated upload: the archive's build once broke for weeks), is
  stored as read but incomplete: no model of it is removed that day.

Knows nothing of HTTP or Parquet: sync/backfill.py reads the archive into ArchiveDay records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from oss_tracker.records import ModelRecord
from oss_tracker.store import kinds, totals
from oss_tracker.store.open import Store as Database
from oss_tracker.store.writes import SYNTHETIC, org_id

SOURCE = "archive"  # runs.source of a backfilled day (NULL for a live sync)
# A day's file holding fewer rows than this share of an archived day beside it is truncated (the Hub
# grows by a fraction of a per cent a day); an account's rows fewer than ACCOUNT_FALL of one of its
# snapshots beside the day (of at least ACCOUNT_MIN models) are not taken for removals that day. A
# real mass deletion is then stored the day after (that day's neighbour is this one).
FILE_FALL = 0.9
FILE_MIN = 100  # rows: a fall of fewer is no sign of a broken file (a small test archive's days)
ACCOUNT_FALL = 0.5
ACCOUNT_MIN = 10

Key = tuple[str, int]  # (run start, run id): the order of runs in time

# Model attributes an archive day may give (ModelRecord field -> models column).
ATTRIBUTES = {
    "created_at": "created_at",
    "last_modified": "last_modified",
    "pipeline_tag": "pipeline_tag",
    "library_name": "library_name",
    "parameters": "parameters",
    "gated": "gated",
    "base_model": "base_model",
    "base_relation": "base_relation",
}


@dataclass
class ArchiveOrg:
    """One watched account's rows in an archived day.

    `complete`: every row of the day's file was read and every row of the account could be
    used, so a model missing from `rows` was not on the Hub that day (a removal)."""

    name: str
    rows: list[ModelRecord]  # hub_id unused; license None: not known that day (no `tags` column)
    complete: bool = True
    skipped: int = 0  # rows of the account that could not be used (no usable id)


@dataclass
class ArchiveDay:
    started_at: str  # the snapshot's time (the archive commit's), UTC ISO
    endpoint: str  # where the archive was read (shown and stored: never a token)
    revision: str  # the commit, or the local file
    orgs: list[ArchiveOrg]
    fields: frozenset[str]  # the ModelRecord fields the day's file had a column for
    notes: list[str] = field(default_factory=list)
    bytes_read: int = 0
    requests: int = 0
    # Every account the day was read for (runs.orgs), those without a row that day included: the
    # day is not read again for them (see `held`).
    asked: list[str] = field(default_factory=list)
    file_rows: int | None = None  # rows in the day's whole file


@dataclass
class DaySaved:
    run_id: int
    status: str
    models: int = 0
    new: int = 0  # models the database did not know before this day
    removed: int = 0
    restored: int = 0
    license_changed: int = 0
    duplicates: int = 0  # rows naming a model already stored for this day: kept once


@dataclass
class _Known:
    """A stored model as the backfill needs it (keys are (run start, run id))."""

    id: int
    hub_id: str
    repo_id: str
    org_id: int
    created_at: str | None
    first: Key
    last: Key
    removed: Key | None
    removed_at: str | None
    license: str
    renames: list[tuple[Key, str, str]] = field(default_factory=list)  # (when, old, new), in time order
    presence_events: bool = False
    licence_events: bool = False

    def name_at(self, at: Key) -> str:
        """The repo id this model had at `at`: the old name of the first rename after it."""
        for when, old, _ in self.renames:
            if when > at:
                return old
        return self.repo_id


# -- what is already stored ------------------------------------------------------------------
def held(db: Database) -> dict[str, set[str]]:
    """Day -> the accounts (lower case) already done that day: a stored run holds a snapshot of
    them (live or archived), or an archived day was read for them and had no row of theirs."""
    out: dict[str, set[str]] = {}
    for day, name in db.execute(
        """SELECT DISTINCT r.day, g.name FROM org_snapshots o JOIN runs r ON r.id = o.run_id
           JOIN orgs g ON g.id = o.org_id WHERE r.status IN ('ok', 'partial')
           UNION
           SELECT DISTINCT r.day, j.value FROM runs r, json_each(r.orgs) j
           WHERE r.source = 'archive' AND r.status IN ('ok', 'partial') AND json_valid(r.orgs)
             AND j.type = 'text'"""
    ).fetchall():
        out.setdefault(day, set()).add(name.lower())
    return out


def accounts_with_models(db: Database) -> set[str]:
    """The accounts (lower case) of which at least one model is stored."""
    return {
        r[0].lower()
        for r in db.execute(
            "SELECT o.name FROM orgs o WHERE EXISTS (SELECT 1 FROM models m WHERE m.org_id = o.id)"
        ).fetchall()
    }


def licence_names(db: Database) -> dict[str, tuple[str | None, str | None, str, str | None]]:
    """Current repo id (lower case) -> (licence tag, licence name, key, lastModified) of the stored
    models. A row whose lastModified is the stored one is not read whole (its repo had no commit
    since, so neither its licence nor its base changed); the name of a `license:other` is read
    from `cardData` (the heaviest column) only when the stored tag is not `other` too."""
    return {
        r[0].lower(): (r[1], r[2], r[3], r[4])
        for r in db.execute(
            "SELECT repo_id, license_tag, license_name, license, last_modified FROM models"
        ).fetchall()
    }


# -- one day -------------------------------------------------------------------------------
def save_day(db: Database, day: ArchiveDay, *, version: str, finished_at: str) -> DaySaved:
    """Store one archived day as one run, in one transaction; returns what it did."""
    with db.atomic():
        return _Writer(db, day).save(version, finished_at)


class _Writer:
    def __init__(self, db: Database, day: ArchiveDay) -> None:
        self.db = db
        self.day = day
        self.org_latest: dict[int, Key | None] = {}
        self.moved: set[int] = set()

    # -- loading ---------------------------------------------------------------------------
    def _load(self, org_ids: list[int], names: set[str]) -> dict[int, _Known]:
        """The models of these orgs, and every model that is (or was) named like a row of the day."""
        db = self.db
        renames: dict[int, list[tuple[Key, str, str]]] = {}
        for model_id, old, new, at, run_id in db.execute(
            """SELECT e.model_id, e.old, e.new, r.started_at, e.run_id FROM events e JOIN runs r ON r.id = e.run_id
               WHERE e.kind = 'renamed' ORDER BY r.started_at, e.run_id, e.id"""
        ).fetchall():
            renames.setdefault(model_id, []).append(((at, run_id), old or "", new or ""))
        renamed = [
            m for m, rs in renames.items() if any(o.lower() in names or n.lower() in names for _, o, n in rs)
        ]
        flags: dict[int, set[str]] = {}
        for model_id, kind in db.execute(
            """SELECT DISTINCT model_id, kind FROM events WHERE kind IN ('removed', 'restored', 'license_changed')"""
        ).fetchall():
            flags.setdefault(model_id, set()).add(kind)
        found: dict[int, _Known] = {}
        for row in db.execute(
            f"""SELECT m.id, m.hub_id, m.repo_id, m.org_id, m.created_at, f.started_at, m.first_seen_run,
                       l.started_at, m.last_seen_run, x.started_at, m.removed_run, m.removed_at, m.license
                FROM models m JOIN runs f ON f.id = m.first_seen_run JOIN runs l ON l.id = m.last_seen_run
                LEFT JOIN runs x ON x.id = m.removed_run
                WHERE m.org_id IN ({",".join("?" * len(org_ids)) or "NULL"})
                   OR m.repo_id IN (SELECT value FROM json_each(?))
                   OR m.id IN (SELECT value FROM json_each(?))""",
            [*org_ids, json.dumps(sorted(self.spellings)), json.dumps(renamed)],
        ).fetchall():
            mid = row[0]
            kinds = flags.get(mid, set())
            found[mid] = _Known(
                id=mid,
                hub_id=row[1],
                repo_id=row[2],
                org_id=row[3],
                created_at=row[4],
                first=(row[5], row[6]),
                last=(row[7], row[8]),
                removed=(row[9], row[10]) if row[10] is not None else None,
                removed_at=row[11],
                license=row[12],
                renames=renames.get(mid, []),
                presence_events=bool(kinds & {"removed", "restored"}),
                licence_events="license_changed" in kinds,
            )
        return found

    def _match(self, rec: ModelRecord, at: Key, by_name: dict[str, list[_Known]]) -> _Known | None:
        """The stored model this row is: named so on that day, not of another creation time."""
        name = rec.repo_id.lower()
        cands = [m for m in by_name.get(name, []) if m.name_at(at).lower() == name]
        if rec.created_at is not None:
            cands = [m for m in cands if m.created_at is None or m.created_at == rec.created_at]
        if len(cands) <= 1:
            return cands[0] if cands else None

        def rank(m: _Known) -> tuple[int, int, Key]:
            same_birth = int(rec.created_at is not None and m.created_at == rec.created_at)
            alive = int(m.first <= at and (m.removed is None or at < m.removed))
            return (same_birth, alive, m.first if m.first <= at else ("", -m.first[1]))

        return max(cands, key=rank)

    # -- writing ---------------------------------------------------------------------------
    def save(self, version: str, finished_at: str) -> DaySaved:
        db, day = self.db, self.day
        cursor = db.execute(
            """INSERT INTO runs (started_at, day, endpoint, orgs, status, tool_version, source, revision,
                   requests, bytes_read, file_rows)
               VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)""",
            [day.started_at, day.started_at[:10], day.endpoint, json.dumps(day.asked or [o.name for o in day.orgs]),
             version, SOURCE, day.revision, day.requests, day.bytes_read, day.file_rows],
        )  # fmt: skip
        run_id = int(cursor.lastrowid)
        at: Key = (day.started_at, run_id)
        saved = DaySaved(run_id, "ok")
        oids = {o.name: org_id(db, o.name) for o in day.orgs}
        notes = self._falls(at, oids)
        for oid in oids.values():
            self.org_latest[oid] = self._org_latest(oid, run_id)
        self.spellings = {r.repo_id for o in day.orgs for r in o.rows}
        known = self._load(list(oids.values()), {s.lower() for s in self.spellings})
        by_name: dict[str, list[_Known]] = {}
        for m in known.values():
            for name in {m.repo_id, *(o for _, o, _ in m.renames), *(n for _, _, n in m.renames)}:
                by_name.setdefault(name.lower(), []).append(m)

        present: dict[int, tuple[ModelRecord, int, bool]] = {}  # model id -> (row, its org, new)
        created: dict[str, int] = {}  # repo id (lower case) -> model created from this day's rows
        listed: dict[int, int] = dict.fromkeys(oids.values(), 0)
        for org in day.orgs:
            oid = oids[org.name]
            for rec in org.rows:
                m = self._match(rec, at, by_name)
                if m is None and rec.repo_id.lower() in created:
                    saved.duplicates += 1
                    continue
                if m is None:
                    mid = created[rec.repo_id.lower()] = self._create(rec, oid, at)
                    saved.new += 1
                    present[mid] = (rec, oid, True)
                elif m.id in present:
                    saved.duplicates += 1
                    continue
                else:
                    present[m.id] = (rec, oid, False)
                listed[oid] += 1
        db.conn.executemany(
            """INSERT INTO model_snapshots (run_id, model_id, downloads_30d, downloads_all_time, likes, trending)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [[run_id, mid, r.downloads_30d, r.downloads_all_time, r.likes, r.trending] for mid, (r, _, _) in present.items()],
        )  # fmt: skip
        saved.models = len(present)
        for org in day.orgs:
            oid = oids[org.name]
            db.execute(
                """INSERT INTO org_snapshots (run_id, org_id, num_models, followers, listed, complete)
                   VALUES (?, ?, NULL, NULL, ?, ?)""",
                [run_id, oid, listed[oid], int(org.complete)],
            )
        for mid, (rec, oid, new) in present.items():
            if new:
                self._presence(mid, None, None, run_id, saved)
            else:
                self._present(known[mid], rec, oid, at, saved)
        for org in day.orgs:
            if not org.complete:
                continue
            oid = oids[org.name]
            for m in known.values():
                if m.org_id == oid and m.id not in present:
                    self._absent(m, at, saved)
        # Totals: this run's, each org's next run (whose previous run this day now is), and the
        # whole history of orgs a model moved between.
        totals.record(db, run_id=run_id)
        for oid in oids.values():
            nxt = db.execute(
                """SELECT o.run_id FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                   WHERE o.org_id = ? AND (r.started_at, o.run_id) > (?, ?)
                   ORDER BY r.started_at, o.run_id LIMIT 1""",
                [oid, *at],
            ).fetchone()
            if nxt is not None:
                totals.record(db, run_id=nxt[0], org_ids=[oid])
        if self.moved:
            totals.record(db, org_ids=sorted(self.moved))
        # The kinds of the models this day created or described, by the watch list of the last sync.
        kinds.refresh(
            db,
            kinds.stored_companies(db),
            "m.id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(present))],
        )
        notes = [*day.notes, *notes]
        if saved.duplicates:
            notes.append(f"{saved.duplicates:,} row(s) naming a model already read that day: kept once")
        if any(not o.complete for o in day.orgs):
            saved.status = "partial"
        db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, message = ? WHERE id = ?",
            [saved.status, finished_at, "; ".join(notes) or None, run_id],
        )
        return saved

    def _falls(self, at: Key, oids: dict[str, int]) -> list[str]:
        """Accounts taken as incomplete (no removals that day) because the file, or their rows in
        it, fall sharply against the days beside it (see FILE_FALL); the notes that say so."""
        db, day = self.db, self.day
        notes = []
        if day.file_rows is not None:
            for op, order in (("<", "DESC"), (">", "ASC")):
                row = db.execute(
                    f"""SELECT day, file_rows FROM runs WHERE source = ? AND file_rows IS NOT NULL
                          AND status IN ('ok', 'partial') AND (started_at, id) {op} (?, ?)
                        ORDER BY started_at {order}, id {order} LIMIT 1""",
                    [SOURCE, *at],
                ).fetchone()
                if (
                    row is not None
                    and day.file_rows < FILE_FALL * row[1]
                    and row[1] - day.file_rows >= FILE_MIN
                ):
                    for org in day.orgs:
                        org.complete = False
                    notes.append(
                        f"the file holds {day.file_rows:,} rows, {100 * day.file_rows / row[1]:.0f} % of the "
                        f"{row[1]:,} of {row[0]} (a truncated upload?): no removals that day"
                    )
                    return notes
        for org in day.orgs:
            if not org.complete:
                continue
            for op, order in (("<", "DESC"), (">", "ASC")):
                row = db.execute(
                    f"""SELECT r.day, o.listed FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                        WHERE o.org_id = ? AND o.complete = 1 AND r.status IN ('ok', 'partial')
                          AND (r.started_at, r.id) {op} (?, ?)
                        ORDER BY r.started_at {order}, r.id {order} LIMIT 1""",
                    [oids[org.name], *at],
                ).fetchone()
                if row is not None and row[1] >= ACCOUNT_MIN and len(org.rows) < ACCOUNT_FALL * row[1]:
                    org.complete = False
                    notes.append(
                        f"{org.name}: {len(org.rows):,} rows against {row[1]:,} on {row[0]} (a partial "
                        "file?): no removals that day"
                    )
                    break
        return notes

    def _org_latest(self, oid: int, run_id: int) -> Key | None:
        """The org's newest stored snapshot before this run was written (None: none)."""
        if oid not in self.org_latest:
            row = self.db.execute(
                """SELECT r.started_at, o.run_id FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                   WHERE o.org_id = ? AND o.run_id != ? ORDER BY r.started_at DESC, o.run_id DESC LIMIT 1""",
                [oid, run_id],
            ).fetchone()
            self.org_latest[oid] = (row[0], row[1]) if row else None
        return self.org_latest[oid]

    def _newest_for_org(self, oid: int, at: Key) -> bool:
        latest = self._org_latest(oid, at[1])
        return latest is None or at > latest

    def _create(self, rec: ModelRecord, oid: int, at: Key) -> int:
        hub_id = SYNTHETIC + rec.repo_id
        if self.db.execute("SELECT 1 FROM models WHERE hub_id = ?", [hub_id]).fetchone():
            hub_id = f"{hub_id}@{rec.created_at or at[0]}"  # another repo of that name: its own model
        lic = rec.license
        cursor = self.db.execute(
            """INSERT INTO models (hub_id, repo_id, org_id, created_at, last_modified, license, license_tag,
                   license_name, pipeline_tag, library_name, parameters, gated, base_model, base_relation, sha,
                   active_parameters, first_seen, first_seen_run, last_seen, last_seen_run)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)""",
            [hub_id, rec.repo_id, oid, rec.created_at, rec.last_modified, lic.key if lic else "unknown",
             lic.tag if lic else None, lic.name if lic else None, rec.pipeline_tag, rec.library_name,
             rec.parameters, rec.gated, rec.base_model, rec.base_relation, kinds.active_parameters(rec.repo_id),
             at[0], at[1], at[0], at[1]],
        )  # fmt: skip
        return int(cursor.lastrowid)

    def _present(self, m: _Known, rec: ModelRecord, oid: int, at: Key, saved: DaySaved) -> None:
        """A stored model listed on this day: its first/last seen, removals, licence and attributes."""
        db = self.db
        newest = at > m.last
        if newest and self._newest_for_org(m.org_id, at):
            # The common case (days imported in order): no later run to reconcile with.
            if m.removed is not None:
                self._event(m.id, at, "restored", m.removed_at, None)
                saved.restored += 1
            db.execute(
                "UPDATE models SET last_seen = ?, last_seen_run = ?, removed_at = NULL, removed_run = NULL WHERE id = ?",
                [at[0], at[1], m.id],
            )
        elif at < m.first or m.presence_events or newest:
            lo = m.last if newest else (None if at < m.first else self._neighbour(m.id, at, before=True))
            hi = None if newest else (m.first if at < m.first else self._neighbour(m.id, at, before=False))
            self._presence(m.id, lo, hi, at[1], saved)
        if rec.license is not None and "license" in self.day.fields:
            self._licence(m, rec, at, newest, saved)
        if newest:
            fields = [
                (col, getattr(rec, f))
                for f, col in ATTRIBUTES.items()
                if f in self.day.fields
                and (rec.described or f in ("created_at", "last_modified"))
                # A day without a createdAt for it does not unlearn the stored one.
                and not (f == "created_at" and rec.created_at is None)
            ]
            if (
                rec.created_at is not None
                and "created_at" in self.day.fields
                and rec.created_at != m.created_at
            ):
                # The launch rule reads createdAt: the org's stored totals are recomputed (as a sync does).
                self.moved.add(m.org_id)
            if rec.license is not None:
                fields += [("license", rec.license.key), ("license_tag", rec.license.tag),
                           ("license_name", rec.license.name)]  # fmt: skip
            if oid != m.org_id:
                # Listed under another account than the stored one, and newer than anything stored:
                # the model moved (as a live sync would store it).
                fields.append(("org_id", oid))
                self.moved |= {oid, m.org_id}
            if fields:
                db.execute(
                    f"UPDATE models SET {', '.join(f'{c} = ?' for c, _ in fields)} WHERE id = ?",
                    [*(v for _, v in fields), m.id],
                )
        if at < m.first:
            db.execute(
                "UPDATE models SET first_seen = ?, first_seen_run = ? WHERE id = ?", [at[0], at[1], m.id]
            )

    def _absent(self, m: _Known, at: Key, saved: DaySaved) -> None:
        """A stored model of a completely read account that this day's file does not list."""
        if at < m.first:
            return  # not on the Hub yet (or not yet seen): nothing to remove
        if at > m.last and m.removed is not None and m.removed < at:
            return  # already removed before this day
        if at > m.last and m.removed is None and self._newest_for_org(m.org_id, at):
            self.db.execute(
                "UPDATE models SET removed_at = ?, removed_run = ? WHERE id = ?", [at[0], at[1], m.id]
            )
            self._event(m.id, at, "removed", m.repo_id, None)
            saved.removed += 1
            return
        lo = m.last if at > m.last else self._neighbour(m.id, at, before=True)
        hi = None if at > m.last else self._neighbour(m.id, at, before=False)
        self._presence(m.id, lo, hi, at[1], saved)

    def _neighbour(self, model_id: int, at: Key, *, before: bool) -> Key | None:
        """The model's snapshot just before (or after) `at`, in time."""
        op, order = ("<", "DESC") if before else (">", "ASC")
        row = self.db.execute(
            f"""SELECT r.started_at, s.run_id FROM model_snapshots s JOIN runs r ON r.id = s.run_id
                WHERE s.model_id = ? AND (r.started_at, s.run_id) {op} (?, ?)
                ORDER BY r.started_at {order}, s.run_id {order} LIMIT 1""",
            [model_id, *at],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _presence(self, model_id: int, lo: Key | None, hi: Key | None, run_id: int, saved: DaySaved) -> None:
        """Recompute the model's `removed`/`restored` events between its snapshots `lo` and `hi`
        (None: open), as syncs in time order would have written them: removed at the first run
        after a snapshot that read its account completely without it, restored at the next
        snapshot. Then its first/last seen and removal state from the whole history."""
        db = self.db
        lo_args = list(lo) if lo else ["", -1]
        hi_sql, hi_args = ("AND (r.started_at, r.id) <= (?, ?)", list(hi)) if hi else ("", [])
        (oid, repo_id) = db.execute("SELECT org_id, repo_id FROM models WHERE id = ?", [model_id]).fetchone()
        steps = db.execute(
            f"""SELECT r.started_at, r.id, 'seen' FROM model_snapshots s JOIN runs r ON r.id = s.run_id
                WHERE s.model_id = ? AND (r.started_at, r.id) > (?, ?) {hi_sql}
                UNION ALL
                SELECT r.started_at, r.id, 'checked' FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                WHERE o.org_id = ? AND (r.started_at, r.id) > (?, ?) {hi_sql}
                  AND NOT EXISTS (SELECT 1 FROM model_snapshots s WHERE s.run_id = r.id AND s.model_id = ?)
                  AND (o.complete = 1 OR EXISTS (SELECT 1 FROM events e WHERE e.run_id = r.id
                                                 AND e.model_id = ? AND e.kind = 'removed'))
                ORDER BY 1, 2""",
            [model_id, *lo_args, *hi_args, oid, *lo_args, *hi_args, model_id, model_id],
        ).fetchall()
        old = db.execute(
            f"""SELECT e.id, e.kind FROM events e JOIN runs r ON r.id = e.run_id
                WHERE e.model_id = ? AND e.kind IN ('removed', 'restored') AND (r.started_at, r.id) > (?, ?) {hi_sql}""",
            [model_id, *lo_args, *hi_args],
        ).fetchall()
        db.execute(f"DELETE FROM events WHERE id IN ({','.join(str(e[0]) for e in old) or 'NULL'})")
        state, removed_at = ("seen" if lo else "unseen"), None
        for started, rid, kind in steps:
            if kind == "seen":
                if state == "removed":
                    self._event(model_id, (started, rid), "restored", removed_at, None)
                state = "seen"
            elif state == "seen":
                self._event(model_id, (started, rid), "removed", repo_id, None)
                state, removed_at = "removed", started
        # The model's state now: first and last snapshot, and its latest presence event.
        first, last = db.execute(
            """SELECT min(r.started_at || printf('%020d', r.id)), max(r.started_at || printf('%020d', r.id))
               FROM model_snapshots s JOIN runs r ON r.id = s.run_id WHERE s.model_id = ?""",
            [model_id],
        ).fetchone()
        latest = db.execute(
            """SELECT e.kind, r.started_at, r.id FROM events e JOIN runs r ON r.id = e.run_id
               WHERE e.model_id = ? AND e.kind IN ('removed', 'restored')
               ORDER BY r.started_at DESC, r.id DESC, e.id DESC LIMIT 1""",
            [model_id],
        ).fetchone()
        removed = (latest[1], latest[2]) if latest and latest[0] == "removed" else (None, None)
        db.execute(
            """UPDATE models SET first_seen = ?, first_seen_run = ?, last_seen = ?, last_seen_run = ?,
                   removed_at = ?, removed_run = ? WHERE id = ?""",
            [first[:-20], int(first[-20:]), last[:-20], int(last[-20:]), *removed, model_id],
        )
        kinds = [e[1] for e in old]
        new_kinds = [
            k
            for (k,) in db.execute(
                f"""SELECT e.kind FROM events e JOIN runs r ON r.id = e.run_id
                    WHERE e.model_id = ? AND e.kind IN ('removed', 'restored') AND (r.started_at, r.id) > (?, ?) {hi_sql}""",
                [model_id, *lo_args, *hi_args],
            ).fetchall()
        ]
        saved.removed += max(0, new_kinds.count("removed") - kinds.count("removed"))
        saved.restored += max(0, new_kinds.count("restored") - kinds.count("restored"))

    def _licence(self, m: _Known, rec: ModelRecord, at: Key, newest: bool, saved: DaySaved) -> None:
        """Licence changes as syncs in time order would have recorded them: at this day if it
        differs from the model's snapshot before, and at the snapshot after if that differs."""
        key = rec.license.key  # type: ignore[union-attr]
        if key == m.license and not m.licence_events:
            return  # one licence all along
        if newest:  # no snapshot after this day, so no licence event after it either
            if key != m.license:
                self._event(m.id, at, "license_changed", m.license, key)
                saved.license_changed += 1
            return
        db = self.db
        events = [
            ((r[0], r[1]), r[2], r[3], r[4])
            for r in db.execute(
                """SELECT r.started_at, r.id, e.old, e.new, e.id FROM events e JOIN runs r ON r.id = e.run_id
                   WHERE e.model_id = ? AND e.kind = 'license_changed' ORDER BY r.started_at, r.id, e.id""",
                [m.id],
            ).fetchall()
        ]

        def licence_at(when: Key) -> str:
            before = [e for e in events if e[0] <= when]
            if before:
                return before[-1][2] or "unknown"
            return (events[0][1] or "unknown") if events else m.license

        prev = None if at < m.first else self._neighbour(m.id, at, before=True)
        nxt = m.first if at < m.first else self._neighbour(m.id, at, before=False)
        was = licence_at(prev) if prev else None
        then = licence_at(nxt) if nxt else None
        lo = prev or ("", -1)
        stale = [e[3] for e in events if e[0] > lo and (nxt is None or e[0] <= nxt)]
        db.execute(f"DELETE FROM events WHERE id IN ({','.join(map(str, stale)) or 'NULL'})")
        if was is not None and was != key:
            self._event(m.id, at, "license_changed", was, key)
            saved.license_changed += 1
        if nxt is not None and then is not None and then != key:
            self._event(m.id, nxt, "license_changed", key, then)

    def _event(self, model_id: int, at: Key, kind: str, old: str | None, new: str | None) -> None:
        self.db.execute(
            "INSERT INTO events (run_id, model_id, kind, old, new, at) VALUES (?, ?, ?, ?, ?, ?)",
            [at[1], model_id, kind, old, new, at[0]],
        )
