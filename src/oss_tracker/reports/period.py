"""A period's two snapshots: the one rule every report measures a period by.

A period asked as the days D to U (`--since D --until U`, or the last N days: D = U - (N - 1))
holds the downloads of the daily points D .. U of `trends`. An account's period is measured
from its **last snapshot before D** (else its first snapshot, when the history starts later)
to its **last snapshot on or before U**. A snapshot is the last stored run of its UTC day.
With a snapshot on every day that is D - 1 to U; otherwise the real days differ from the days
asked, and every report says which they were (`measured`).

`top`, `compare`, `changes --since`, `trends`, `report` and `site` all measure periods through
this module: `snapshot_before` is the one "snapshot on or before a day" lookup, `edges` the rule
applied to an account; `series.choose` applies the same rule to a list of days a series holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from oss_tracker.reports.common import STORED_RUN

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


@dataclass(frozen=True)
class Snap:
    """An account's snapshot: its day, the run (the day's last stored run) and that run's start."""

    day: str
    run: int
    at: str


@dataclass(frozen=True)
class Edges:
    """An account's period: its snapshot at the start (None: only one snapshot up to the end, no
    period) and at the end."""

    org_id: int
    start: Snap | None
    end: Snap


def snapshot_before(db: Database, org_id: int, bound: str) -> Snap | None:
    """The org's last stored snapshot whose run started before `bound` (an ISO day or time): on
    or before a day D is `bound` = D + 1 day, before D is `bound` = D. None if there is none.

    The runs newest first from the bound back (index runs_started; a run's day is its start's),
    each probed for the org by primary key: one or two index steps for an account synced daily,
    where sorting the account's own snapshots reads all of them. The last run by start (the higher
    id between runs of one start) is its day's last run: the day's value."""
    row = db.execute(
        f"""SELECT r.day, r.id, r.started_at FROM runs r
            WHERE r.started_at < ? AND {STORED_RUN}
              AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.run_id = r.id AND o.org_id = ?)
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        [bound, org_id],
    ).fetchone()
    return Snap(str(row[0]), int(row[1]), str(row[2])) if row else None


def first_snapshot(db: Database, org_id: int) -> Snap | None:
    """The org's first snapshot: its first day's last run."""
    row = db.execute(
        f"""SELECT r.day FROM runs r
            WHERE {STORED_RUN} AND EXISTS (SELECT 1 FROM org_snapshots o WHERE o.run_id = r.id AND o.org_id = ?)
            ORDER BY r.started_at, r.id LIMIT 1""",
        [org_id],
    ).fetchone()
    return snapshot_before(db, org_id, next_day(str(row[0]))) if row else None


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def edges(db: Database, org_id: int, since: date, until: date) -> Edges | None:
    """The account's period from `since` to `until` (the rule in the module's docstring), or None
    when it has no snapshot on or before `until` (not tracked yet)."""
    end = snapshot_before(db, org_id, next_day(until.isoformat()))
    if end is None:
        return None
    start = snapshot_before(db, org_id, since.isoformat()) or first_snapshot(db, org_id)
    return Edges(org_id, start if start is not None and start.run != end.run else None, end)


def last_days(until: date, days: int) -> date:
    """The first day of the period of the last `days` days up to `until` (both counted)."""
    return until - timedelta(days=days - 1)


def span(since: str, until: str) -> str:
    """A period's days in words: `25 Nov 2025 – 27 Nov 2025`, or one day."""
    from oss_tracker.humanize import human_date

    return human_date(since) if since == until else f"{human_date(since)} – {human_date(until)}"


def measured(since: str, until: str, pairs: set[tuple[str, str]]) -> str:
    """What a footer says when the snapshots measured (each account's (from day, to day)) are not
    the days asked: the day before `since` and `until`. "" when they are."""
    from oss_tracker.humanize import human_date

    if not pairs:
        return ""
    expected = ((date.fromisoformat(since) - timedelta(days=1)).isoformat(), until)
    if pairs == {expected}:
        return ""
    if len(pairs) > 1:
        return "the accounts measured between their own snapshots (from/to in the JSON)"
    (lo, hi) = next(iter(pairs))
    if lo >= since:
        return f"history starts {human_date(lo)}" + (f", measured to {human_date(hi)}" if hi != until else "")
    return f"measured between the snapshots of {human_date(lo)} and {human_date(hi)}"
