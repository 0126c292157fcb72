"""Shared test helpers: a fake Hub on 127.0.0.1, the real CLI in-process, tiny Hub-shaped worlds."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oss_tracker.cli import app
from tests.fakehub import FakeHub

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Retry waits of zero: a test never sleeps through the client's backoff.
    monkeypatch.setenv("OSS_TRACKER_RETRY_WAIT", "0")
    monkeypatch.setenv("OSS_TRACKER_MAX_WAIT", "0")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HF_ENDPOINT", "OSS_TRACKER_DB", "OSS_TRACKER_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub({"orgs": {}, "models": []}) as fake:
        yield fake


def hub_fixtures(world: dict[str, Any], *, name: str = "hub", **options: Any) -> tuple[Any, Any]:
    """A test module's fake Hub: one server for the module (`shared_hub`; a server a test is
    slow) and, under `name`, that Hub reset to `world` for each test."""

    @pytest.fixture(scope="module", name="shared_hub")
    def shared() -> Iterator[FakeHub]:
        with FakeHub(world, **options) as fake:
            yield fake

    @pytest.fixture(name=name)
    def fresh(shared_hub: FakeHub) -> FakeHub:
        return shared_hub.reset()

    return shared, fresh


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


REPLAY_DAYS = ["2025-11-24", "2025-11-25", "2025-11-27"]  # the bundled recordings (the 26th is a gap)


@pytest.fixture(scope="session")
def bundled_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after the three bundled recordings, synced once; copy it to change it."""
    db = tmp_path_factory.mktemp("bundled") / "history.db"
    for day in REPLAY_DAYS:
        result = run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day))
        assert result.exit_code == 0, result.stderr
    return db


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the real CLI in-process, stdout and stderr apart."""
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def sync_argv(
    hub: FakeHub,
    db: Path,
    *orgs: str,
    now: str = "2025-11-24T06:00:00Z",
    derivatives: str = "none",
    extra: tuple[str, ...] = (),
) -> list[str]:
    """`oss-tracker sync` against the fake Hub; derivative counts off unless a test is about them."""
    args = ["sync", "--db", str(db), "--endpoint", hub.url, "--now", now, "--derivatives", derivatives]
    for org in orgs:
        args += ["--org", org]
    return [*args, *extra]


def sync(
    hub: FakeHub,
    db: Path,
    *orgs: str,
    now: str = "2025-11-24T06:00:00Z",
    extra: tuple[str, ...] = (),
    derivatives: str = "none",
) -> Result:
    """The real CLI's sync, in process (see sync_argv)."""
    return run(*sync_argv(hub, db, *orgs, now=now, derivatives=derivatives, extra=extra))


def object_id(created_at: str, name: str) -> str:
    """A Hub-like `_id`: creation time in seconds, then bytes from the name."""
    seconds = int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(UTC).timestamp())
    return f"{seconds:08x}" + hashlib.sha1(name.encode()).hexdigest()[:16]


def model(
    repo_id: str,
    *,
    created_at: str = "2025-01-20T03:46:07.000Z",
    downloads: int = 10,
    all_time: int = 100,
    likes: int = 1,
    license: str | None = "mit",
    license_name: str | None = None,
    hub_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Hub-shaped model item, as the Hub stores it."""
    tags = ["transformers", "safetensors", "text-generation", "region:us"]
    card: dict[str, Any] = {}
    if license is not None:
        tags.insert(3, f"license:{license}")
        card["license"] = license
    if license_name is not None:
        card["license_name"] = license_name
    item = {
        "_id": hub_id or object_id(created_at, repo_id),
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "createdAt": created_at,
        "lastModified": created_at,
        "downloads": downloads,
        "downloadsAllTime": all_time,
        "likes": likes,
        "trendingScore": 3,
        "private": False,
        "gated": False,
        "tags": tags,
        "cardData": card,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "sha": hashlib.sha1(repo_id.encode()).hexdigest(),
    }
    item.update(extra)
    return item


def world(*models: dict[str, Any], followers: dict[str, int] | None = None, **extra: Any) -> dict[str, Any]:
    orgs = {m["author"] for m in models} | set(followers or {})
    return {
        "orgs": {o: {"fullname": o, "numFollowers": (followers or {}).get(o, 100)} for o in orgs},
        "models": list(models),
        **extra,
    }


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def dump(db: Path, *, failures: bool = False) -> list[str]:
    """Every row of every table, to compare a database before and after.

    Without `failures`, the rows of `failed_syncs` are left out: a sync that fails records its
    attempt there (after its run was rolled back), which is no change to the stored history;
    tests/test_failed_syncs.py checks those rows, and `failures=True` compares them too."""
    conn = sqlite3.connect(db)
    try:
        return [
            line for line in conn.iterdump() if failures or not line.startswith('INSERT INTO "failed_syncs"')
        ]
    finally:
        conn.close()


def copy_db(db: Path, to: Path) -> Path:
    """A copy with what the WAL holds (a file copy alone would miss it)."""
    src, dst = sqlite3.connect(db), sqlite3.connect(to)
    src.backup(dst)
    src.close()
    dst.close()
    return to


def before_migration(db: Path, to: Path, migration: str, table: str) -> Path:
    """A copy of `db` as an older version left it: without `table`, which `migration` adds."""
    copy_db(db, to)
    conn = sqlite3.connect(to)
    with conn:
        conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [migration])
    conn.close()
    return to


def migrate(db: Path) -> None:
    """Upgrade a file an older version wrote, as `oss-tracker sync` does before its run (a report
    refuses such a file)."""
    from oss_tracker.store.open import open_db

    open_db(db).close()


def older_refused(db: Path, *command: str) -> bool:
    """Whether a report refuses `db` as written by an older version, in one line, leaving it as it is."""
    before = dump(db)
    result = run(*command, "--db", str(db))
    return (
        result.exit_code == 1
        and result.stderr
        == f"oss-tracker: error: {db} was written by an older oss-tracker: run `oss-tracker sync` once to upgrade it\n"
        and dump(db) == before
    )


def load_world(day: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "worlds" / f"{day}.json").read_text())


# -- the static site (`oss-tracker site`): tests/test_site.py and tests/test_site_browser.py --------
WATCHLIST = ROOT / "examples" / "watchlist.toml"  # Alibaba = Qwen + Wan-AI: a company of two accounts
SITE_MODELS = "2"  # pages for each account's 2 most downloaded models and the 2 top bases


@pytest.fixture(scope="session")
def demo_site(bundled_history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the bundled demo (the three recorded days), written once; read it, never change it."""
    out = tmp_path_factory.mktemp("site") / "site"
    result = run(
        "--config", str(WATCHLIST), "site", str(out), "--db", str(bundled_history), "--models", SITE_MODELS
    )
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database of hostile names (tests/test_output_safety.py's, and HTML and plotly markup) and
    its site: (database, site folder)."""
    from tests.site_hostile import hostile_site_world

    db = tmp_path_factory.mktemp("hostile-site") / "hostile.db"
    env = {
        "OSS_TRACKER_RETRY_WAIT": "0",
        "OSS_TRACKER_MAX_WAIT": "0",
        "OSS_TRACKER_DB": None,
        "HF_TOKEN": None,
    }
    with FakeHub(hostile_site_world(1)) as fake:
        first = run(*sync_argv(fake, db, "Evil", derivatives="all"), env=env)  # type: ignore[arg-type]
        fake.set_world(hostile_site_world(2))
        second = run(*sync_argv(fake, db, "Evil", now="2025-11-25T06:00:00Z", derivatives="all"), env=env)  # type: ignore[arg-type]
    assert (first.exit_code, second.exit_code) == (0, 0), (first.stderr, second.stderr)
    out = db.parent / "site"
    result = run("site", str(out), "--db", str(db), "--models", "20")
    assert result.exit_code == 0, result.stderr
    return db, out
