"""Health for cron: `status` (last run, its status, days missed, size; `backup` is store/backup.py).

Reads SQLite only and never imports huggingface_hub, like the reports. A failed sync
stores no run (its transaction is rolled back): it shows up here as a missed day and an
ageing last run, and as the last failure (`failed_syncs`: when, why, how many requests).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import CLOCK_SKEW, FAILED, OK, PARTIAL
from oss_tracker.humanize import human_bytes
from oss_tracker.reports.common import with_source
from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.store.failures import last_failures

if TYPE_CHECKING:
    from sqlite_utils import Database

RECENT_DAYS = 30  # the window for "days missed lately"
LISTED_MISSED = 10  # missed days spelled out in the table
LISTED_MISSED_JSON = 30  # and in JSON (`missed_days`); the counts cover every day


# -- status -------------------------------------------------------------------------------


def status_report(db: Database, path: Path, *, now: datetime, max_age_hours: float) -> tuple[Report, int]:
    """The health report and the exit code it calls for: 0 ok, 3 last run partial, 1 stale or empty."""
    now = now.astimezone(UTC)
    today = now.date()
    runs = [
        dict(zip(("id", "started_at", "finished_at", "day", "status", "requests", "tool_version", "message", "orgs", "source"), r, strict=True))
        for r in db.execute(
            "SELECT id, started_at, finished_at, day, status, requests, tool_version, message, orgs, source FROM runs ORDER BY started_at, id"
        ).fetchall()
    ]  # fmt: skip
    # Days backfilled from an archive are history (they fill missed days), not syncs: the health
    # of the cron job is that of its own runs.
    archived = [r for r in runs if r["source"] == "archive" and r["status"] in ("ok", "partial")]
    stored = [r for r in runs if r["status"] in ("ok", "partial") and r["source"] != "archive"]
    last = stored[-1] if stored else None
    last_ok = next((r for r in reversed(stored) if r["status"] == "ok"), None)
    run_days = {r["day"] for r in stored + archived}
    first_day = min(run_days) if run_days else None
    missed = _missed(run_days, today)
    age_hours = (now - _parse(last["started_at"])).total_seconds() / 3600 if last else None
    failure, failures = last_failures(db, last["started_at"] if last else None)

    if last is None:
        health, code = "empty", FAILED
    elif age_hours is not None and age_hours * 3600 < -CLOCK_SKEW.total_seconds():
        # A run dated after this machine's clock: the clock, or a recording, was wrong. Every
        # later sync is refused as going back in time, so this is not healthy.
        health, code = "future", FAILED
    elif age_hours is not None and age_hours > max_age_hours:
        health, code = "stale", FAILED
    elif last["status"] == "partial":
        health, code = "partial", PARTIAL
    else:
        health, code = "ok", OK

    size, wal = _size(path), _size(path.with_name(path.name + "-wal"))
    free = _free(path)
    orgs = _orgs(db, _watched(last), today)
    data: dict[str, Any] = {
        "health": health,
        "database": str(path),
        "size_bytes": size,
        "wal_bytes": wal,
        "free_bytes": free,
        "runs": len(stored),
        "archive_days": len({r["day"] for r in archived}),
        "first_day": first_day,
        "last_run": _run_data(last),
        "last_ok_run": _run_data(last_ok),
        "last_run_age_hours": round(age_hours, 1) if age_hours is not None else None,
        "max_age_hours": max_age_hours,
        "days_missed": missed.total,
        "days_missed_recent": missed.recent,
        "missed_days": missed.last,
        "last_failure": failure,
        "failures_since_last_run": failures,
        "orgs": orgs,
    }
    rows = [
        {"item": "health", "value": _health_text(health, max_age_hours, last)},
        {"item": "database", "value": str(path)},
        {
            "item": "size",
            "value": human_bytes(size) + (f" (+ {human_bytes(wal)} write-ahead log)" if wal else ""),
        },
        {"item": "free disk space", "value": human_bytes(free) if free is not None else "unknown"},
        {"item": "runs stored", "value": f"{len(stored):,}" + (f" since {first_day}" if first_day else "")},
        {"item": "last run", "value": _run_text(last)},
    ]
    if archived:
        days = sorted({r["day"] for r in archived})
        rows.insert(
            -1,
            {
                "item": "archive days",
                "value": f"{len(days):,} ({days[0]} – {days[-1]}, `oss-tracker backfill`)",
            },
        )
    if last is not None and last["message"]:
        rows.append({"item": "last run problems", "value": last["message"]})
    if last is not None and last_ok is not last:
        rows.append({"item": "last ok run", "value": _run_text(last_ok)})
    if age_hours is not None:
        age = _age(age_hours) if age_hours >= 0 else f"{_age(-age_hours)} in the future"
        rows.append({"item": "last run age", "value": age})
    if failure is not None:
        rows.append({"item": "last failed sync", "value": _failure_text(failure, failures, last is not None)})
    rows.append({"item": "days missed", "value": _missed_text(missed)})
    sections = [
        # CSV: one raw value a line (bytes, hours, ISO dates; the missed days as one
        # space-separated list), for scripts. The table and Markdown show the same in words.
        Section("Status", [Column("item", "Item"), Column("value", "Value")], [], human=False),
        Section("Status", [Column("item", "Item"), Column("value", "Value")], rows),
        Section(
            "Organizations (watched in the last run)",
            [
                Column("org", "Organization"),
                Column("last_day", "Last snapshot", "date"),
                Column("complete", "Complete"),
                Column("listed", "Models", "int"),
                Column("days_missed", "Days missed", "int"),
            ],
            [{**o, "complete": "yes" if o["complete"] else "no"} for o in orgs],
            empty="no organization synced yet",
        ),
    ]
    report = with_source(db, Report("oss-tracker status", data, sections, main=0))
    sections[0].rows = [{"item": k, "value": v} for k, v in raw_items(report.data)]
    return report, code


def raw_items(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The status as (key, raw value) pairs: the JSON's values, nested keys joined by `_`, every
    key present (empty when unknown) so that a script can rely on each line."""
    run, ok, failure = data["last_run"] or {}, data["last_ok_run"] or {}, data["last_failure"] or {}
    run_keys = ("id", "started_at", "finished_at", "status", "requests", "tool_version", "message")
    failure_keys = ("failed_at", "started_at", "endpoint", "reason", "requests", "exit_code")
    return [
        *(
            (k, data[k])
            for k in ("health", "database", "size_bytes", "wal_bytes", "free_bytes", "runs", "first_day")
        ),
        *((f"last_run_{k}", run.get(k)) for k in run_keys),
        *((f"last_ok_run_{k}", ok.get(k)) for k in ("id", "started_at")),
        *((k, data[k]) for k in ("last_run_age_hours", "max_age_hours", "days_missed", "days_missed_recent")),
        ("missed_days", " ".join(data["missed_days"])),
        *((f"last_failure_{k}", failure.get(k)) for k in failure_keys),
        ("failures_since_last_run", data["failures_since_last_run"]),
        ("source", data.get("source")),
    ]


@dataclass
class Missed:
    total: int  # days from the first stored run up to yesterday (UTC) with no stored run
    recent: int  # of those, in the last RECENT_DAYS days
    last: list[str]  # the latest LISTED_MISSED_JSON of them, oldest first


def _missed(days: set[str], today: date) -> Missed:
    """Missed days counted, not listed: a `--now` far ahead must not walk (or print) every day."""
    stored = set()
    for day in days:
        try:
            stored.add(date.fromisoformat(day).toordinal())
        except (TypeError, ValueError):
            continue  # not a day: cannot count as one
    end = today.toordinal()  # today itself is not missed before its run
    if not stored or min(stored) >= end:
        return Missed(0, 0, [])
    first = min(stored)
    before = {d for d in stored if d < end}
    total = (end - first) - len(before)
    recent = sum(1 for d in range(max(first, end - RECENT_DAYS), end) if d not in before)
    last: list[str] = []
    day = end - 1
    # Back from yesterday: each step is a missed day (at most LISTED_MISSED_JSON) or a stored one.
    while day >= first and len(last) < LISTED_MISSED_JSON:
        if day not in before:
            last.append(date.fromordinal(day).isoformat())
        day -= 1
    return Missed(total, recent, last[::-1])


def _watched(last: dict[str, Any] | None) -> list[str]:
    if last is None:
        return []
    try:
        orgs = json.loads(last["orgs"])
    except (TypeError, ValueError):
        return []
    return [o for o in orgs if isinstance(o, str)] if isinstance(orgs, list) else []


def _orgs(db: Database, watched: list[str], today: date) -> list[dict[str, Any]]:
    out = []
    for name in watched:
        snaps = db.execute(
            """SELECT r.day, s.complete, s.listed, o.name FROM org_snapshots s
               JOIN runs r ON r.id = s.run_id JOIN orgs o ON o.id = s.org_id
               WHERE o.name = ? COLLATE NOCASE AND r.status IN ('ok', 'partial') ORDER BY r.started_at, s.run_id""",
            [name],
        ).fetchall()
        if not snaps:
            out.append(
                {"org": name, "last_day": None, "complete": False, "listed": None, "days_missed": None}
            )
            continue
        days = {s[0] for s in snaps}
        day, complete, listed, spelled = snaps[-1]
        missed = _missed(days, today)
        out.append(
            {
                "org": spelled,
                "last_day": day,
                "complete": bool(complete),
                "listed": listed,
                "days_missed": missed.total,
            }
        )
    return out


def _run_data(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        k: run[k]
        for k in ("id", "started_at", "finished_at", "status", "requests", "tool_version", "message")
    }


def _run_text(run: dict[str, Any] | None) -> str:
    if run is None:
        return "none"
    took = ""
    if run["finished_at"]:
        seconds = (_parse(run["finished_at"]) - _parse(run["started_at"])).total_seconds()
        took = f", took {_duration(seconds)}" if 0 <= seconds < 86_400 else ""
    return f"#{run['id']} {run['started_at']} {run['status']} ({run['requests']:,} requests{took})"


def _failure_text(failure: dict[str, Any], since: int, any_run: bool) -> str:
    text = (
        f"{failure['failed_at']} (run of {failure['started_at']}, exit {failure['exit_code']}, "
        f"{failure['requests']:,} requests): {failure['reason']}"
    )
    if any_run and since:
        text += f"; {since:,} failed since the last stored run"
    elif since > 1:
        text += f"; {since:,} in all"
    return text


def _health_text(health: str, max_age_hours: float, last: dict[str, Any] | None) -> str:
    if health == "future":
        return (
            f"future: the last run is dated {last['started_at'] if last else '?'}, after this machine's clock "
            "(the clock or a recording was wrong); sync refuses every later run"
        )
    return {
        "ok": "ok",
        "partial": "partial: the last run stored some organizations, not all",
        "stale": f"stale: no run stored in the last {max_age_hours:g} h",
        "empty": "empty: no run stored yet",
    }[health]


def _missed_text(missed: Missed) -> str:
    if not missed.total:
        return "none"
    shown = ", ".join(missed.last[-LISTED_MISSED:])
    more = "…, " if missed.total > LISTED_MISSED else ""
    return f"{missed.total:,} in all, {missed.recent} in the last {RECENT_DAYS} days: {more}{shown}"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path.parent if str(path.parent) else Path(".")).free
    except OSError:
        return None


def _age(hours: float) -> str:
    return f"{hours:,.1f} h" if hours < 48 else f"{hours / 24:,.1f} days"


def _duration(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"


# -- backup -------------------------------------------------------------------------------
