"""A failed sync stores no run, but leaves a trace: `failed_syncs` (time, reason, requests), and
`status` shows the last one. The trace is written after the run's rollback, in a transaction
of its own; a sync refused as busy writes nothing at all (tests/test_sync.py, test_cron.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from oss_tracker.store.failures import Failure, record_failure
from oss_tracker.store.open import open_db
from tests.conftest import dump, model, rows, run, sync, world
from tests.fakehub import FakeHub

FAILURES = "SELECT started_at, endpoint, orgs, reason, requests, exit_code, tool_version FROM failed_syncs"
CLOCK = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _fail_every_listing(hub: FakeHub) -> None:
    hub.set_world(world(model("A/x"), model("B/y")))
    hub.add_fault("status", match="/api/models?", times=99, status=500)


def _status(db: Path, now: str, fmt: str = "json") -> tuple[int, str]:
    result = run("status", "--db", str(db), "--now", now, "--format", fmt, env={"COLUMNS": "300"})
    return result.exit_code, result.stdout


def test_a_first_sync_that_fails_leaves_its_attempt_and_status_shows_it(hub: FakeHub, tmp_path: Path) -> None:
    _fail_every_listing(hub)
    db = tmp_path / "new.db"
    result = sync(hub, db, "A", "B", extra=("--retries", "0"))
    assert result.exit_code == 1
    reason = result.stderr.removeprefix("oss-tracker: error: ").rstrip("\n")
    # Both orgs failed for one reason: said once (not once per org).
    assert reason == "sync failed, nothing stored: HTTP 500 for GET /api/models after 1 attempts"
    # No run (the run's transaction was rolled back, so the attempt was written after it) ...
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
    # ... but the attempt: the run's date, the endpoint, the accounts, why, what it cost.
    requests = hub.count()
    assert rows(db, FAILURES) == [
        ("2025-11-24T06:00:00Z", hub.url, '["A", "B"]', reason, requests, 1, "0.1.0")
    ]
    assert requests == 4  # two overviews, two listings
    code, out = _status(db, "2025-11-24T07:00:00Z")
    data = json.loads(out)
    assert code == 1 and (data["health"], data["source"]) == ("empty", "none")
    assert data["failures_since_last_run"] == 1
    last = data["last_failure"]
    assert re.fullmatch(CLOCK, last.pop("failed_at"))
    assert last == {
        "started_at": "2025-11-24T06:00:00Z",
        "endpoint": hub.url,
        "reason": reason,
        "requests": 4,
        "exit_code": 1,
    }
    _, table = _status(db, "2025-11-24T07:00:00Z", "table")
    line = next(line for line in table.splitlines() if "last failed sync" in line)
    assert re.fullmatch(
        rf"last failed sync {CLOCK} \(run of 2025-11-24T06:00:00Z, exit 1, 4 requests\): "
        + re.escape(reason),
        " ".join(w for w in line.split() if w != "│"),
    )


def test_failures_after_a_stored_run_are_counted_and_the_history_is_untouched(
    hub: FakeHub, tmp_path: Path
) -> None:
    hub.set_world(world(model("A/x"), model("B/y")))
    db = tmp_path / "t.db"
    assert sync(hub, db, "A", "B").exit_code == 0
    before = dump(db, failures=True)
    _fail_every_listing(hub)
    for now in ("2025-11-25T06:00:00Z", "2025-11-26T06:00:00Z"):
        assert sync(hub, db, "A", "B", now=now, extra=("--retries", "0")).exit_code == 1
    after = dump(db, failures=True)
    # Exactly two rows more, both in failed_syncs; every other row as it was.
    assert [line for line in after if line not in before] == [
        line for line in after if line.startswith('INSERT INTO "failed_syncs"')
    ]
    assert len(after) == len(before) + 2
    assert rows(db, "SELECT started_at FROM failed_syncs ORDER BY id") == [
        ("2025-11-25T06:00:00Z",),
        ("2025-11-26T06:00:00Z",),
    ]
    code, out = _status(db, "2025-11-24T08:00:00Z")
    data = json.loads(out)
    assert code == 0 and data["health"] == "ok"  # the last stored run is still recent
    assert (data["last_failure"]["started_at"], data["failures_since_last_run"]) == (
        "2025-11-26T06:00:00Z",
        2,
    )
    _, table = _status(db, "2025-11-24T08:00:00Z", "table")
    assert "; 2 failed since the last stored run" in table


def test_an_attempt_is_never_written_inside_an_open_transaction(tmp_path: Path) -> None:
    """Written inside the run's transaction, the attempt's commit would store half a run."""
    db = open_db(tmp_path / "t.db")
    failure = Failure("2025-11-24T06:00:00Z", "2025-11-24T06:00:01Z", None, ["A"], "why", 0, 1, "0.1.0")
    db.conn.execute("BEGIN")
    db.execute(
        "INSERT INTO runs (started_at, day, endpoint, orgs, status, tool_version) VALUES (?, ?, ?, ?, ?, ?)",
        ["2025-11-24T06:00:00Z", "2025-11-24", "x", "[]", "running", "0.1.0"],
    )
    assert record_failure(db, failure) is False
    assert db.conn.in_transaction  # nothing committed the half-written run
    db.conn.rollback()
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM failed_syncs").fetchone()[0] == 0
    assert record_failure(db, failure) is True  # after the rollback it is
    assert db.execute("SELECT reason FROM failed_syncs").fetchall() == [("why",)]
    db.close()


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
def test_status_other_formats_carry_the_last_failure(hub: FakeHub, tmp_path: Path, fmt: str) -> None:
    _fail_every_listing(hub)
    db = tmp_path / "t.db"
    assert sync(hub, db, "A", "B", extra=("--retries", "0")).exit_code == 1
    _, out = _status(db, "2025-11-24T07:00:00Z", fmt)
    reason = "sync failed, nothing stored: HTTP 500 for GET /api/models after 1 attempts"
    if fmt == "csv":  # raw values, one item a line
        items = dict(csv.reader(io.StringIO(out)))
        assert (items["last_failure_reason"], items["last_failure_started_at"]) == (
            reason,
            "2025-11-24T06:00:00Z",
        )
        assert (items["last_failure_requests"], items["failures_since_last_run"]) == ("4", "1")
    else:  # in words, in the status table
        line = next(x for x in out.splitlines() if x.startswith("| last failed sync |"))
        assert line.endswith(f"(run of 2025-11-24T06:00:00Z, exit 1, 4 requests): {reason} |")
