"""Families of the watched models from archived days: `backfill --families` (each day it reads) and
`sync --families` (the newest archived day, after the live sync), one code path (sync/backfill.py
opens each day's file; this reads its graph, builds its families and stores them).

Per day: the graph of declared bases is read (hub/archive_families.py: ids, counts, bases only),
walked from every stored model of the accounts (with its former names), and per family, account
and company the aggregates are stored in one transaction (store/families.py).

Period downloads need the counts of a day before: the day read just before in the same run (when
it is the plan's previous day and has all-time counts; kept in a temporary file, not in memory),
else the archive's newest earlier day that has them (days without, the archive before 2025-02-27
or a revision that lost the column, are passed over), of which only ids and all-time counts are
read. Either way `family_days.period_from` says which day it was, and is NULL when there is no
period (so that periods join up only where each has one). A repo new since that day counts whole
when it was created after it (a launch: zero downloads then), as the accounts' periods count it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oss_tracker import __version__
from oss_tracker.errors import describe
from oss_tracker.sync.archive_days import Candidate, Source, iso, read_share

log = logging.getLogger("oss_tracker")

PREVIOUS_TRIES = 7  # archived days tried back for the start of a period (gaps are skipped)


@dataclass
class FamilyDay:
    """One archived day's families, as stored (store/families.py's save reads it by attribute)."""

    day: str
    started_at: str  # the snapshot's time (the archive commit's), UTC ISO
    endpoint: str  # where the archive was read (never a token)
    revision: str | None
    orgs: list[str]  # the accounts whose models were walked
    walked: list[int]  # every watched model walked (those without a family row had no descendant)
    absent: list[int]  # of them, those not in that day's file (created later, or private then)
    rows: int
    with_bases: int
    bases_from: str
    self_references: int
    period_from: str | None
    bytes_read: int
    families: list[Any]  # hub/archive_families.py's FamilyRecord
    owners: list[Any]  # its OwnerRecord
    notes: list[str] = field(default_factory=list)


@dataclass
class FamiliesDone:
    day: str
    models: int  # watched models walked
    families: int  # of them, with at least one descendant
    largest: tuple[str, int] | None  # (repo id, descendants) of the largest family
    bytes_read: int
    file_size: int
    period_from: str | None
    differ: int  # direct-children counts differing from model_info beyond the archive's age


class FamilyStep:
    """Reads, builds and stores the families of the days a backfill reads (see the module's docstring)."""

    def __init__(
        self,
        db: Any,
        orgs: list[str],
        planned: list[Candidate],
        companies: list[tuple[str, list[str]]],
        endpoint: str,
        earlier: Callable[[Candidate, int], Iterator[tuple[Candidate, Source]]],
    ) -> None:
        from oss_tracker.store import families as stored

        self.db = db
        self.orgs = orgs
        self.held = stored.held(db)
        self.planned = [c.day for c in planned]
        self.companies = companies  # the watch list's (name, accounts)
        self.endpoint = endpoint
        self.earlier = earlier  # the archive's days before a day, open (sync/backfill.py)
        self.carry: tuple[str, str, Any] | None = None  # (day, its time, its Counts): the last day built
        self.carry_then: tuple[str, str, Any] | None = None  # the carry while a day is built

    def needed(self, day: str, *, again: bool = False) -> bool:
        """Whether the day's families are still to build for these accounts (`again`: as stored now)."""
        if again:
            from oss_tracker.store import families as stored

            self.held = stored.held(self.db)
        return not all(o.lower() in self.held.get(day, set()) for o in self.orgs)

    def read(self, cand: Candidate, source: Source) -> Any:
        """The day's graph (hub/archive_families.py's Graph); the caller's snapshot pass shares its ids."""
        from oss_tracker.hub.archive_families import read_graph

        self.carry_then, self.carry = self.carry, None  # its memory back before today's graph is read
        before = source.bytes_read
        graph = read_graph(source.file, day=cand.day)
        graph.bytes_read = source.bytes_read - before
        return graph

    def build(self, cand: Candidate, source: Source, graph: Any) -> FamilyDay:
        """The day's families from its graph (walked from the stored models: read after the day's
        snapshots are stored, so that a model only the archive knows is walked too)."""
        from oss_tracker.hub.archive_families import Families, FamilyRoot, Owner, read_created
        from oss_tracker.hub.parse import date_ceiling
        from oss_tracker.store import families as stored

        carry, self.carry_then = self.carry_then, None
        roots = [FamilyRoot(*r) for r in stored.roots(self.db, self.orgs)]
        accounts = {r[0].lower(): r[0] for r in self.db.execute("SELECT name FROM orgs").fetchall()}
        orgs = [accounts.get(o.lower(), o) for o in self.orgs]
        owners = [Owner("org", o, (o,)) for o in orgs]
        companies: dict[str, str] = {}
        for name, members in self.companies:
            for account in members:
                companies.setdefault(account.lower(), name)
            if any(a.lower() in {o.lower() for o in orgs} for a in members):
                owners.append(Owner("company", name, tuple(members)))
        walk = Families(graph, roots, owners, companies)
        notes = list(graph.notes)
        previous, period_from, since, extra = None, None, None, 0
        if graph.all_time is None:
            notes.append("no period downloads: no all-time counts that day")
        else:
            previous, period_from, since, extra = self._previous(cand, carry, walk.needed(), notes)
        del carry
        if previous is not None:
            before = source.bytes_read
            ceiling = date_ceiling(datetime.fromisoformat(cand.at.replace("Z", "+00:00")))
            walk.created = read_created(source.file, walk.rows_read(), ceiling=ceiling)  # for the launch rule
            extra += source.bytes_read - before
        families, owner_rows = walk.compute(previous, since=since)
        day = FamilyDay(
            day=cand.day,
            started_at=cand.at,
            endpoint=self.endpoint,
            revision=cand.revision if cand.local is None else source.label,
            orgs=orgs,
            walked=[r.model_id for r in roots],
            absent=walk.absent(),
            rows=graph.rows,
            with_bases=graph.with_bases,
            bases_from=graph.bases_from,
            self_references=graph.self_references,
            period_from=period_from,
            bytes_read=graph.bytes_read + extra,
            families=families,
            owners=owner_rows,
            notes=notes,
        )
        # Kept for the next day of the plan only (spilled to a temporary file: see Counts).
        i = self.planned.index(cand.day) if cand.day in self.planned else -1
        self.carry = (cand.day, cand.at, graph.counts()) if 0 <= i < len(self.planned) - 1 else None
        return day

    def save(self, day: FamilyDay, file_size: int) -> FamiliesDone:
        """Store a built day (under the database lock) and say what it holds."""
        from oss_tracker.store import families as stored

        stored.save(self.db, day, version=__version__, computed_at=iso(datetime.now(UTC)))
        for o in day.orgs:
            self.held.setdefault(day.day, set()).add(o.lower())
        names = dict(self.db.execute(
            "SELECT id, repo_id FROM models WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps([f.model_id for f in day.families])],
        ).fetchall())  # fmt: skip
        largest = max(day.families, key=lambda f: (f.descendants, -f.model_id), default=None)
        differ = sum(1 for d in stored.api_differences(self.db, day=day.day) if d["beyond"])
        return FamiliesDone(
            day=day.day,
            models=len(day.walked),
            families=len(day.families),
            largest=(names[largest.model_id], largest.descendants) if largest else None,
            bytes_read=day.bytes_read,
            file_size=file_size,
            period_from=day.period_from,
            differ=differ,
        )

    def _previous(
        self, cand: Candidate, carry: tuple[str, str, Any] | None, needed: list[str], notes: list[str]
    ) -> tuple[dict[str, int] | None, str | None, str | None, int]:
        """All-time counts of `needed` on the day the period starts, that day, its time, and the bytes
        read for it: the plan's previous day kept from the last build when it has counts, else the
        newest earlier archived day that has them (within PREVIOUS_TRIES days)."""
        from oss_tracker.hub.archive_families import read_counts

        i = self.planned.index(cand.day) if cand.day in self.planned else -1
        if carry is not None and i > 0 and carry[0] == self.planned[i - 1] and carry[2] is not None:
            return carry[2].lookup(needed), carry[0], carry[1], 0
        read, without, prev = 0, [], None
        try:
            for prev, source in self.earlier(cand, PREVIOUS_TRIES):
                if source.csv:
                    without.append(f"{prev.day} is a CSV day")
                    continue
                before = source.bytes_read
                counts = read_counts(source.file, needed, day=prev.day)
                read += source.bytes_read - before
                if counts is not None:
                    if without:
                        notes.append(f"period from {prev.day}: " + "; ".join(without))
                    return counts, prev.day, prev.at, read
                without.append(f"{prev.day} has no all-time counts")
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - the families stand without a period
            day = f" ({prev.day})" if prev is not None else ""
            notes.append(f"no period downloads: the day before{day} could not be read ({describe(err)})")
            return None, None, None, read
        if without:  # (no archived day before at all: nothing to say)
            notes.append("no period downloads: " + "; ".join(without))
        return None, None, None, read


def families_part(done: list[FamiliesDone], skipped: list[tuple[str, str]]) -> str:
    """The families' part of a summary line."""
    parts = [f"families of {len(done)} day(s)"]
    if done:
        done = sorted(done, key=lambda d: d.day)
        last = done[-1]
        parts[0] += f" ({done[0].day} – {last.day})" if len(done) > 1 else f" ({last.day})"
        parts.append(f"{last.families:,} of {last.models:,} watched models with descendants")
        if last.largest:
            parts.append(f"largest {last.largest[0]} ({last.largest[1]:,})")
        parts.append(read_share(sum(d.bytes_read for d in done), sum(d.file_size for d in done)))
        if last.differ:
            parts.append(
                f"{last.differ} direct-children count(s) differ from model_info beyond the archive's age "
                "(see `oss-tracker families`)"
            )
    if skipped:
        parts.append(
            f"no families for {len(skipped)} day(s): " + "; ".join(f"{d}: {why}" for d, why in skipped[:3])
        )
    return ", ".join(parts)
