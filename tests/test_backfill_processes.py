"""`oss-tracker backfill` as real processes: a cron sync that arrives during a long backfill gets
through within a day's import (the lock is held a day's write at a time, and a waiting sync goes
first), and a backfill killed with SIGKILL again and again ends, once resumed, with the database
a single uninterrupted run gives.

The archive is the fake Hub's dataset repo (tests/fakehub_archive.py), answering each range read a
little late so that a day's import takes a measurable time. No network.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from fixtures.build_archive import archive_table, parquet_bytes
from tests.conftest import load_world, rows
from tests.fakehub import FakeHub
from tests.fakehub_archive import ArchiveCommit, ArchiveRepo, sha_of

ROOT = Path(__file__).resolve().parent.parent
ORGS = ["MiniMaxAI", "moonshotai"]
DAYS = [(date(2025, 11, 1) + timedelta(days=i)).isoformat() for i in range(8)]


@pytest.fixture(scope="module")
def commits() -> list[ArchiveCommit]:
    """A models upload a day for eight days, each file its own (other filler rows)."""
    worlds = [load_world(d) for d in ("2025-11-24", "2025-11-25", "2025-11-27")]
    out = []
    for i, day in enumerate(DAYS):
        data = parquet_bytes(archive_table(worlds[i * 3 // len(DAYS)], filler=100 + i))
        out.append(
            ArchiveCommit(
                sha_of(day), f"{day}T13:05:00.000Z", "Upload models.parquet", {"models.parquet": data}
            )
        )
    return out


@pytest.fixture
def hub(commits: list[ArchiveCommit]) -> Any:
    with FakeHub(load_world("2025-11-27")) as fake:
        fake.archive = ArchiveRepo(commits, page_size=50)
        yield fake


def child(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OSS_TRACKER_RETRY_WAIT": "0", "OSS_TRACKER_MAX_WAIT": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def backfill_argv(hub: FakeHub, db: Path) -> list[str]:
    argv = ["backfill", "--db", str(db), "--endpoint", hub.url, "--now", "2025-12-01T00:00:00Z"]
    return argv + [a for o in ORGS for a in ("--org", o)]


def archive_runs(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM runs WHERE source = 'archive'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def wait_for(condition: Any, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the backfill ended first: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("never reached")
        time.sleep(0.02)


def test_a_sync_that_arrives_during_a_backfill_gets_through_within_a_days_import(
    hub: FakeHub, tmp_path: Path
) -> None:
    """Each range read answers 50 ms late: a day takes about half a second to import and the whole
    backfill several seconds. A cron sync with --wait, started once two days are stored, is stored
    while the backfill runs (its run lies between archived runs by id), in less time than two days'
    imports, and the backfill goes on to store every day."""
    hub.add_fault("delay", match="/resolve/", times=100_000, seconds=0.05)
    db = tmp_path / "h.db"
    backfill = child(*backfill_argv(hub, db))
    try:
        wait_for(lambda: archive_runs(db) >= 2, backfill)
        started = time.monotonic()
        first = time.monotonic()
        sync = child("sync", "--db", str(db), "--endpoint", hub.url, "--now", "2025-12-01T06:00:00Z",
                     "--wait", "120", "--derivatives", "none", *[a for o in ORGS for a in ("--org", o)])  # fmt: skip
        _, sync_err = sync.communicate(timeout=120)
        took = time.monotonic() - started
        per_day = (time.monotonic() - first) / max(1, archive_runs(db))
        running = backfill.poll() is None
        _, backfill_err = backfill.communicate(timeout=120)
    finally:
        for proc in (backfill,):
            if proc.poll() is None:
                proc.kill()
    assert sync.returncode == 0, sync_err
    assert backfill.returncode == 0, backfill_err
    assert running, "the backfill had ended before the sync got through: the test proves nothing"
    assert backfill_err.startswith(f"backfill ok: {len(DAYS)} day(s) imported ({DAYS[0]} – {DAYS[-1]})")
    [(sync_run,)] = rows(db, "SELECT id FROM runs WHERE source IS NULL")
    ids = [i for (i,) in rows(db, "SELECT id FROM runs WHERE source = 'archive' ORDER BY id")]
    assert len(ids) == len(DAYS) and ids[0] < sync_run < ids[-1]
    assert rows(db, "SELECT count(*) FROM org_snapshots WHERE run_id = ?", sync_run) == [(len(ORGS),)]
    # Within about a day's import: far less than what the rest of the backfill took after it.
    assert took < 5 + 2 * per_day, (took, per_day)


def test_a_backfill_killed_again_and_again_resumes_to_the_same_database(hub: FakeHub, tmp_path: Path) -> None:
    """SIGKILL three times, each a random moment after the backfill stored one more day (mid-read or
    mid-write of the next), then the backfill again until it ends: the database holds what one
    uninterrupted backfill stores, fact for fact."""
    import random

    once = tmp_path / "once.db"
    whole = child(*backfill_argv(hub, once))
    _, err = whole.communicate(timeout=120)
    assert whole.returncode == 0, err
    hub.add_fault("delay", match="/resolve/", times=100_000, seconds=0.02)
    db = tmp_path / "killed.db"
    rng = random.Random(15)
    for _ in range(3):
        stored = archive_runs(db)
        proc = child(*backfill_argv(hub, db))
        wait_for(lambda stored=stored: archive_runs(db) > stored, proc)
        time.sleep(rng.uniform(0.0, 0.3))
        assert proc.poll() is None, "the backfill ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert 3 <= archive_runs(db) < len(DAYS)
    last = child(*backfill_argv(hub, db))
    _, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    assert archive_runs(db) == len(DAYS)
    assert semantic(db) == semantic(once)


SEMANTIC = {
    "runs": "SELECT day, started_at, status, message, source, revision, orgs, endpoint, file_rows FROM runs",
    "models": """SELECT m.repo_id, m.hub_id, m.created_at, m.last_modified, m.license, m.license_tag, m.license_name,
                        m.pipeline_tag, m.library_name, m.parameters, m.gated, m.base_model, m.base_relation,
                        m.first_seen, m.last_seen, m.removed_at, g.name, f.day, l.day, x.day
                 FROM models m JOIN orgs g ON g.id = m.org_id JOIN runs f ON f.id = m.first_seen_run
                 JOIN runs l ON l.id = m.last_seen_run LEFT JOIN runs x ON x.id = m.removed_run""",
    "snapshots": """SELECT r.day, m.hub_id, s.downloads_30d, s.downloads_all_time, s.likes, s.trending
                    FROM model_snapshots s JOIN runs r ON r.id = s.run_id JOIN models m ON m.id = s.model_id""",
    "events": """SELECT m.hub_id, r.day, e.kind, e.old, e.new, e.at FROM events e JOIN runs r ON r.id = e.run_id
                 JOIN models m ON m.id = e.model_id""",
    "org_snapshots": """SELECT r.day, g.name, o.num_models, o.followers, o.listed, o.complete FROM org_snapshots o
                        JOIN runs r ON r.id = o.run_id JOIN orgs g ON g.id = o.org_id""",
    "totals": """SELECT r.day, g.name, p.day, t.models, t.downloads_30d, t.downloads_all_time, t.likes, t.downloads,
                        t.base, t.drops, t.launches, t.launch_downloads, t.first_seen_not_counted, t.stalls
                 FROM org_run_totals t JOIN runs r ON r.id = t.run_id JOIN orgs g ON g.id = t.org_id
                 LEFT JOIN runs p ON p.id = t.prev_run_id""",
}


def semantic(db: Path) -> dict[str, list[Any]]:
    """Every stored fact, with runs named by their day (the ids of two histories differ) and
    models by their `_id`; what reading cost (bytes, requests, times) left out."""
    return {name: sorted(rows(db, sql), key=repr) for name, sql in SEMANTIC.items()}
