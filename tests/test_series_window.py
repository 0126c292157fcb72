"""A trend reads only its window's days (and the day before it) yet builds what reading every day builds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from oss_tracker.reports import series
from oss_tracker.reports.common import watched_orgs
from oss_tracker.reports.series import Subject
from oss_tracker.store.open import open_db
from tests.conftest import model, sync, world
from tests.fakehub import FakeHub

# Day 4 and day 8 are gaps, days 1 and 3 have two runs, Beta is first synced on day 5.
RUNS = ["01T06", "01T18", "02T06", "03T06", "03T18", "05T06", "06T06", "07T06", "09T06", "10T06"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("window") / "t.db"
    with FakeHub({"orgs": {}, "models": []}) as hub:
        for i, when in enumerate(RUNS):
            models = [model("Alpha/a", all_time=100 + 7 * i * i), model("Alpha/b", all_time=50 + 3 * i)]
            orgs = ["Alpha"]
            if i >= 5:
                models.append(model("Beta/c", all_time=1000 + 11 * i))
                orgs.append("Beta")
            hub.set_world(world(*models))
            result = sync(hub, db, *orgs, now=f"2025-11-{when}:00:00Z")
            assert result.exit_code == 0, result.stderr
    return db


def points(built: list[series.Series]) -> list[list[tuple]]:
    return [
        [(p.period, p.date, p.gap, p.run_id, p.total, p.change, p.days) for p in s.points]
        + [(s.window_from, s.window_change)]
        for s in built
    ]


@pytest.mark.parametrize("interval", ["day", "week"])
@pytest.mark.parametrize("metric", ["downloads", "likes"])
def test_the_window_alone_gives_the_same_series(
    history: Path, interval: str, metric: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_db(history, create=False)
    subjects = [Subject(name, oid) for oid, name in watched_orgs(db)]
    every_day = series.org_days
    for offset in range(-1, 12):
        since = date(2025, 11, 1) + timedelta(days=offset)
        windowed = series.build(db, subjects, metric=metric, interval=interval, since=since, until=None)
        with monkeypatch.context() as m:
            m.setattr(series, "org_days", lambda db, ids, since=None: every_day(db, ids))
            whole = series.build(db, subjects, metric=metric, interval=interval, since=since, until=None)
        assert windowed[1:] == whole[1:]
        assert points(windowed[0]) == points(whole[0]), since
    # The window really is smaller: from the 7th, Alpha's days are the 6th (the day before) on,
    # and its first; each read day is the day's last run, as when every day is read.
    ids = [s.org_id for s in subjects]
    read = series.org_days(db, ids, date(2025, 11, 7))
    assert sorted(read[ids[0]]) == ["2025-11-01", "2025-11-06", "2025-11-07", "2025-11-09", "2025-11-10"]
    assert read[ids[0]]["2025-11-01"] == (2, "2025-11-01T18:00:00Z")
    assert read[ids[0]]["2025-11-06"] == (7, "2025-11-06T06:00:00Z")
    for offset in range(-1, 12):
        some = series.org_days(db, ids, date(2025, 11, 1) + timedelta(days=offset))
        every = series.org_days(db, ids)
        for org_id, days in some.items():
            assert days == {d: every[org_id][d] for d in days}, offset
