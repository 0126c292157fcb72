"""Families of the watched models from archived days: `backfill --families` (each day it reads) and
`sync --families` (the newest archived day, after the live sync), one code path (sync/backfill.py
opens each day's file; this builds and stores its families from the same open file).

Per day: the graph of declared bases is read (hub/archive_families.py: ids, counts, bases only),
walked from every stored model of the accounts (with its former names), and per family, account
and company the aggregates are stored in one transaction (store/families.py).

Period downloads need the counts of a day before: the day read just before in the same run (when
it is the plan's previous day; kept in a temporary file, not in memory), else the archive's
previous day, of which only ids and all-time counts are read. Either way
`family_days.period_from` says which day it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oss_tracker import __version__
from oss_tracker.errors import describe

# sync/backfill.py's Candidate, Source and BackfillSummary (not imported: backfill imports this module)
Candidate = Source = BackfillSummary = Any

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
    """Builds and stores the families of the days a backfill reads (see the module's docstring)."""

    def __init__(self, backfill: Any, planned: list[Candidate]) -> None:
        from oss_tracker.store import families as stored

        self.backfill = backfill
        self.db = backfill.db
        self.orgs: list[str] = backfill.orgs
        self.held = stored.held(self.db)
        self.planned = [c.day for c in planned]
        self.carry: tuple[str, Any] | None = None  # (day, its Counts): the last day built in this run
        job = backfill.job
        self.companies: list[tuple[str, list[str]]] = job.companies() if job.companies else []

    def needed(self, day: str) -> bool:
        return not all(o.lower() in self.held.get(day, set()) for o in self.orgs)

    def build(self, cand: Candidate, source: Source) -> None:
        """The day's families from its open file; a day that cannot be read is recorded, never raised
        (its snapshot, already stored, stays)."""
        from oss_tracker.hub.archive_families import system_memory
        from oss_tracker.hub.archive_table import Unreadable

        summary: BackfillSummary = self.backfill.summary
        if source.csv:
            summary.family_skipped.append((cand.day, "a CSV day: its bases are read from Parquet days only"))
            return
        try:
            with system_memory():
                summary.families.append(self._build(cand, source))
        except Unreadable as why:
            summary.family_skipped.append((cand.day, f"families unreadable: {why}"))
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - tried again next time
            log.debug("families of %s failed", cand.day, exc_info=True)
            summary.family_failed.append((cand.day, f"families: {describe(err)}"))

    def _build(self, cand: Candidate, source: Source) -> FamiliesDone:
        from oss_tracker.hub.archive_families import Families, FamilyRoot, Owner, read_graph
        from oss_tracker.store import families as stored

        carry, self.carry = self.carry, None  # its memory back before today's graph is read
        before = source.bytes_read
        graph = read_graph(source.file)
        read = source.bytes_read - before
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
        previous, period_from, extra = self._previous(cand, carry, walk.needed(), notes)
        del carry
        families, owner_rows = walk.compute(previous)
        day = FamilyDay(
            day=cand.day,
            started_at=cand.at,
            endpoint=self.backfill.endpoint(),
            revision=cand.revision if cand.local is None else source.label,
            orgs=orgs,
            walked=[r.model_id for r in roots],
            rows=graph.rows,
            with_bases=graph.with_bases,
            bases_from=graph.bases_from,
            self_references=graph.self_references,
            period_from=period_from,
            bytes_read=read + extra,
            families=families,
            owners=owner_rows,
            notes=notes,
        )
        # Kept for the next day of the plan only (spilled to a temporary file: see Counts).
        i = self.planned.index(cand.day) if cand.day in self.planned else -1
        self.carry = (cand.day, graph.counts()) if 0 <= i < len(self.planned) - 1 else None
        del walk, graph
        stored.save(self.db, day, version=__version__, computed_at=_iso(datetime.now(UTC)))
        for o in orgs:
            self.held.setdefault(cand.day, set()).add(o.lower())
        names = {r.model_id: r.names[0] for r in roots}
        largest = max(families, key=lambda f: (f.descendants, -f.model_id), default=None)
        differ = sum(1 for d in stored.api_differences(self.db, day=cand.day) if d["beyond"])
        return FamiliesDone(
            day=cand.day,
            models=len(roots),
            families=len(families),
            largest=(names[largest.model_id], largest.descendants) if largest else None,
            bytes_read=read + extra,
            file_size=source.size,
            period_from=period_from,
            differ=differ,
        )

    def _previous(
        self, cand: Candidate, carry: tuple[str, Any] | None, needed: list[str], notes: list[str]
    ) -> tuple[dict[str, int] | None, str | None, int]:
        """All-time counts of `needed` on the day the period starts, that day, and the bytes read for it."""
        from oss_tracker.hub.archive_families import read_counts

        i = self.planned.index(cand.day) if cand.day in self.planned else -1
        if carry is not None and i > 0 and carry[0] == self.planned[i - 1]:
            return (carry[1].lookup(needed) if carry[1] is not None else None), carry[0], 0
        prev = None
        try:
            with self.backfill.earlier(cand, PREVIOUS_TRIES) as found:
                if found is None:
                    return None, None, 0
                prev, source = found
                if source.csv:
                    notes.append(f"no period downloads: the day before ({prev.day}) is a CSV day")
                    return None, None, 0
                counts = read_counts(source.file, needed)
                read = source.bytes_read
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - the families stand without a period
            day = f" ({prev.day})" if prev is not None else ""
            notes.append(f"no period downloads: the day before{day} could not be read ({describe(err)})")
            return None, None, 0
        if counts is None:
            notes.append(f"no period downloads: the day before ({prev.day}) has no all-time counts")
            return None, None, read
        return counts, prev.day, read


def families_part(summary: BackfillSummary) -> str:
    """The families' part of a summary line."""
    done = summary.families
    parts = [f"families of {len(done)} day(s)"]
    if done:
        last = done[-1]
        read = sum(d.bytes_read for d in done)
        size = sum(d.file_size for d in done)
        parts[0] += f" ({done[0].day} – {last.day})" if len(done) > 1 else f" ({last.day})"
        parts.append(f"{last.families:,} of {last.models:,} watched models with descendants")
        if last.largest:
            parts.append(f"largest {last.largest[0]} ({last.largest[1]:,})")
        parts.append(f"{_mb(read)} read" + (f" ({100 * read / size:.1f} % of {_mb(size)})" if size else ""))
        if last.differ:
            parts.append(
                f"{last.differ} direct-children count(s) differ from model_info beyond the archive's age "
                "(see `oss-tracker families`)"
            )
    if summary.family_skipped:
        parts.append(
            f"no families for {len(summary.family_skipped)} day(s): "
            + "; ".join(f"{d}: {why}" for d, why in summary.family_skipped[:3])
        )
    return ", ".join(parts)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e10 else f"{n / 1e9:,.1f} GB"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
