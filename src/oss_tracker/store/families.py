"""Families in the database (issue 16): which watched models to walk, what is already stored, and
one archived day's families written in one transaction.

A family day (`family_days`) is an archived day whose families were built, for the accounts in
its `orgs`; per watched model with at least one descendant that day, a row of aggregates
(`families`) and its top descendants and publishing accounts (`family_top`, `family_accounts`,
names stored once in `family_names`); per account and company, its own downloads beside those of
the repos built on it (`family_owners`). Knows nothing of HTTP or Parquet.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

INT64 = 2**63


def roots(db: Database, orgs: list[str]) -> list[tuple[int, tuple[str, ...], str]]:
    """Every stored model of these accounts (removed ones too: their descendants remain): its id,
    its names (the current one, then the former ones its renames recorded, newest first) and its
    account."""
    if not orgs:
        return []
    marks = ",".join("?" * len(orgs))
    former: dict[int, list[str]] = {}
    for model_id, old in db.execute(
        """SELECT e.model_id, e.old FROM events e JOIN runs r ON r.id = e.run_id
           WHERE e.kind = 'renamed' AND e.old IS NOT NULL ORDER BY r.started_at DESC, e.id DESC"""
    ).fetchall():
        former.setdefault(model_id, []).append(old)
    out = []
    for model_id, repo_id, account in db.execute(
        f"""SELECT m.id, m.repo_id, g.name FROM models m JOIN orgs g ON g.id = m.org_id
            WHERE g.name COLLATE NOCASE IN ({marks}) ORDER BY m.id""",
        orgs,
    ).fetchall():
        names = tuple(dict.fromkeys([repo_id, *former.get(model_id, [])]))
        out.append((model_id, names, account))
    return out


def held(db: Database) -> dict[str, set[str]]:
    """Day -> the accounts (lower case) whose families are stored for that day."""
    out: dict[str, set[str]] = {}
    for day, orgs in db.execute("SELECT day, orgs FROM family_days").fetchall():
        out[day] = {o.lower() for o in _names(orgs)}
    return out


def _names(value: str | None) -> list[str]:
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return [i for i in items if isinstance(i, str)] if isinstance(items, list) else []


def _ids(value: str | None) -> list[int]:
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return [i for i in items if type(i) is int] if isinstance(items, list) else []


def _fit(value: int | None) -> int | None:
    """A sum SQLite can hold (hostile counts can add up past 64 bits: then unknown)."""
    return value if value is not None and -INT64 <= value < INT64 else None


def save(db: Database, day: Any, *, version: str, computed_at: str) -> int:
    """Store one day's families (sync/families.py's FamilyDay, read by attribute) in one transaction
    (a day stored before for other accounts keeps theirs; these accounts' rows are replaced).
    Returns the family day's id."""
    with db.atomic():
        row = db.execute("SELECT id, orgs, absent FROM family_days WHERE day = ?", [day.day]).fetchone()
        orgs = {o.lower(): o for o in day.orgs}
        meta = [day.started_at, day.endpoint, day.revision, day.rows, day.with_bases, day.bases_from,
                day.self_references, day.period_from, day.bytes_read, computed_at, version,
                "; ".join(day.notes) or None]  # fmt: skip
        absent = sorted(set(day.absent))
        if row is None:
            day_id = int(
                db.execute(
                    """INSERT INTO family_days (started_at, endpoint, revision, rows, with_bases, bases_from,
                           self_references, period_from, bytes_read, computed_at, tool_version, message, day, orgs,
                           absent)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [*meta, day.day, json.dumps(sorted(orgs.values(), key=str.lower)), json.dumps(absent)],
                ).lastrowid
            )
        else:
            day_id = int(row[0])
            for old in _names(row[1]):
                orgs.setdefault(old.lower(), old)
            # The models these accounts walked are replaced; the others' (other accounts') stay.
            kept = [i for i in _ids(row[2]) if i not in set(day.walked)]
            db.execute(
                """UPDATE family_days SET started_at = ?, endpoint = ?, revision = ?, rows = ?, with_bases = ?,
                       bases_from = ?, self_references = ?, period_from = ?, bytes_read = ?, computed_at = ?,
                       tool_version = ?, message = ?, orgs = ?, absent = ? WHERE id = ?""",
                [*meta, json.dumps(sorted(orgs.values(), key=str.lower)), json.dumps(sorted({*kept, *absent})),
                 day_id],
            )  # fmt: skip
            walked = json.dumps(day.walked)
            for table in ("families", "family_top", "family_accounts"):
                db.execute(
                    f"DELETE FROM {table} WHERE day_id = ? AND model_id IN (SELECT value FROM json_each(?))",
                    [day_id, walked],
                )
            for owner in day.owners:
                db.execute(
                    "DELETE FROM family_owners WHERE day_id = ? AND kind = ? AND name = ?",
                    [day_id, owner.kind, owner.name],
                )
        names = _Names(db)
        # Top lists are kept for the newest family day of each month only (aggregates for every
        # day): a list a family a day would be most of the file (docs/benchmarks.md, "Families").
        same_month = [
            (i, d) for i, d in db.execute("SELECT id, day FROM family_days WHERE substr(day, 1, 7) = ?",
                                          [day.day[:7]]).fetchall()
        ]  # fmt: skip
        newest = max(same_month, key=lambda x: x[1])[0]
        for older, _ in same_month:
            if older != newest:
                db.execute("DELETE FROM family_top WHERE day_id = ?", [older])
                db.execute("DELETE FROM family_accounts WHERE day_id = ?", [older])
        lists = newest == day_id
        for f in day.families:
            d = f.direct
            db.execute(
                """INSERT INTO families (model_id, day_id, descendants, finetune, quantized, adapter, merge,
                       unspecified, depth2, depth3, deeper, max_depth, merges, cycles, accounts, company,
                       own_30d, company_30d, community_30d, period_own, period_company, period_community, drops)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [f.model_id, day_id, f.descendants, d.get("finetune", 0), d.get("quantized", 0),
                 d.get("adapter", 0), d.get("merge", 0), d.get("", 0), f.depth2, f.depth3, f.deeper,
                 f.max_depth, f.merges, f.cycles, f.accounts, f.company,
                 *map(_fit, (f.own_30d, f.company_30d, f.community_30d, f.period_own, f.period_company,
                             f.period_community)),
                 f.drops],
            )  # fmt: skip
            if not lists:
                continue
            db.conn.executemany(
                """INSERT INTO family_top (model_id, day_id, rank, name_id, depth, relation, downloads_30d,
                       downloads_all_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [(f.model_id, day_id, rank, names.id(t.repo_id), t.depth, t.relation, t.downloads_30d,
                  t.downloads_all_time) for rank, t in enumerate(f.top or [], 1)],
            )  # fmt: skip
            db.conn.executemany(
                """INSERT INTO family_accounts (model_id, day_id, rank, name_id, repos, downloads_30d)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [(f.model_id, day_id, rank, names.id(name), repos, _fit(dl))
                 for rank, (name, repos, dl) in enumerate(f.top_accounts or [], 1)],
            )  # fmt: skip
        for o in day.owners:
            db.execute(
                """INSERT INTO family_owners (day_id, kind, name, accounts, models, own_30d, own_all_time,
                       company, company_30d, company_all_time, community, community_30d, community_all_time,
                       period_own, period_company, period_community)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [day_id, o.kind, o.name, json.dumps(o.accounts), o.models, _fit(o.own_30d), _fit(o.own_all_time),
                 o.company, _fit(o.company_30d), _fit(o.company_all_time), o.community, _fit(o.community_30d),
                 _fit(o.community_all_time), _fit(o.period_own), _fit(o.period_company),
                 _fit(o.period_community)],
            )  # fmt: skip
    return day_id


class _Names:
    """family_names ids, inserting a name the first time it is met."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.known: dict[str, int] = {}

    def id(self, name: str) -> int:
        found = self.known.get(name)
        if found is None:
            self.db.execute("INSERT OR IGNORE INTO family_names (name) VALUES (?)", [name])
            found = int(self.db.execute("SELECT id FROM family_names WHERE name = ?", [name]).fetchone()[0])
            self.known[name] = found
        return found


# -- reading back (reports, and the sync's summary) --------------------------------------------
DIRECT = "(f.finetune + f.quantized + f.adapter + f.merge + f.unspecified)"
# Noise between two honest counts of direct children: repos made private or gated, a card edited
# back and forth. A difference within it and the archive's age is not reported as one.
NOISE_REPOS = 2
NOISE_SHARE = 0.02


MAX_APART = 30  # days between an archived day and a model_info count past which they are not compared


def api_differences(
    db: Database,
    *,
    day: str,
    model_ids: list[int] | None = None,
    orgs: list[str] | None = None,
    candidates: bool = False,
) -> list[dict]:
    """The archive's direct children of each watched model on family day `day` beside the count
    model_info gave, for the current models of the accounts that day walked that were ever counted
    (or those of `model_ids`, or of `orgs` only): the latest count or the one before it
    (`derivative_latest`), whichever is nearer the archived day, if within MAX_APART days.

    `allowed` is what the archive's age explains: the count's own pace (repos a day, between those
    two counts) times the days between the archived day and the count, plus noise (NOISE_REPOS or
    NOISE_SHARE, the larger); with one count only (no pace), the noise again for each day apart.
    `beyond` when the difference is larger. With `candidates`, only the models whose difference
    exceeds the noise for one of the two counts (all that can be beyond: a report of thousands of
    models reads a few rows). A model that was not in the day's file (created after it, or private
    then: `family_days.absent`; for a day stored without it, created after the day) is not compared:
    the archive could not count its children."""
    import math
    from datetime import date

    found = db.execute("SELECT id, orgs, absent, started_at FROM family_days WHERE day = ?", [day]).fetchone()
    if found is None:
        return []
    absent = json.dumps(_ids(found[2]))
    walked = {o.lower() for o in _names(found[1])}
    if orgs is not None:
        walked &= {o.lower() for o in orgs}
    accounts = {i: n for i, n in db.execute("SELECT id, name FROM orgs").fetchall() if n.lower() in walked}
    only, args = "", []
    if model_ids is not None:
        only, args = "AND m.id IN (SELECT value FROM json_each(?))", [json.dumps(model_ids)]
    if candidates:
        d = f"coalesce({DIRECT}, 0)"
        only += f""" AND (abs({d} - l.total) > {NOISE_REPOS}
                          OR (l.prev_total IS NOT NULL AND abs({d} - l.prev_total) > {NOISE_REPOS}))"""
    present = _present_sql(found[2] is not None)
    rows = db.execute(
        f"""SELECT m.id, m.repo_id, m.org_id, coalesce({DIRECT}, 0), l.day, l.total, l.prev_day, l.prev_total
            FROM models m JOIN derivative_latest l ON l.model_id = m.id
            LEFT JOIN families f ON f.model_id = m.id AND f.day_id = ?
            WHERE m.removed_at IS NULL AND m.org_id IN ({",".join("?" * len(accounts)) or "NULL"}) {only}
              AND {present}""",
        [found[0], *accounts, *args, absent if found[2] is not None else found[3]],
    ).fetchall()
    ordinal: dict[str, int] = {}  # a few distinct days: each parsed once

    def at(d: str) -> int:
        n = ordinal.get(d)
        if n is None:
            n = ordinal[d] = date.fromisoformat(d).toordinal()
        return n

    archived = at(day)
    out = []
    for model_id, repo_id, org_id, direct, l_day, l_total, p_day, p_total in rows:
        near, apart = (l_day, l_total), abs(at(l_day) - archived)
        pace = None
        if p_day is not None and p_total is not None:
            p_apart = abs(at(p_day) - archived)
            if (p_apart, p_day < day) < (apart, l_day < day):
                near, apart = (p_day, p_total), p_apart
            gap = at(l_day) - at(p_day)
            pace = abs(l_total - p_total) / gap if gap else None
        if apart > MAX_APART:
            continue
        noise = max(NOISE_REPOS, math.ceil(NOISE_SHARE * near[1]))
        allowed = math.ceil(pace * apart) + noise if pace is not None else noise * (1 + apart)
        out.append(
            {"id": repo_id, "model_id": model_id, "org": accounts[org_id], "archive_day": day,
             "archive_direct": direct, "api_day": near[0], "api_direct": near[1], "difference": direct - near[1],
             "days_apart": apart, "pace_per_day": round(pace, 2) if pace is not None else None,
             "allowed": allowed, "beyond": abs(direct - near[1]) > allowed}
        )  # fmt: skip
    out.sort(key=lambda r: r["id"])
    return out


def _present_sql(known: bool) -> str:
    """SQL (one argument) for a model that was in a family day's file: not in its `absent` list (a
    JSON list), or, for a day stored without one, created by the day's snapshot time."""
    if known:
        return "m.id NOT IN (SELECT value FROM json_each(?))"
    return "coalesce(m.created_at <= ?, 1)"


def api_compared(db: Database, *, day: str, orgs: list[str] | None = None) -> int:
    """How many models api_differences compares on family day `day` (those of `orgs` only)."""
    found = db.execute("SELECT orgs, absent, started_at FROM family_days WHERE day = ?", [day]).fetchone()
    if found is None:
        return 0
    walked = {o.lower() for o in _names(found[0])}
    if orgs is not None:
        walked &= {o.lower() for o in orgs}
    ids = [i for i, n in db.execute("SELECT id, name FROM orgs").fetchall() if n.lower() in walked]
    return db.execute(
        f"""SELECT count(*) FROM models m JOIN derivative_latest l ON l.model_id = m.id
            WHERE m.removed_at IS NULL AND m.org_id IN ({",".join("?" * len(ids)) or "NULL"})
              AND (abs(julianday(l.day) - julianday(?)) <= {MAX_APART}
                   OR abs(julianday(l.prev_day) - julianday(?)) <= {MAX_APART})
              AND {_present_sql(found[1] is not None)}""",
        [*ids, day, day, json.dumps(_ids(found[1])) if found[1] is not None else found[2]],
    ).fetchone()[0]
