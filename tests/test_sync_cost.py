"""What a sync costs beside its work (issue 18): no heavy module it does not use, listings that overlap."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, model, rows, sync, world
from tests.fakehub import FakeHub

HEAVY = ("numpy", "pandas", "matplotlib", "sqlite_utils", "huggingface_hub.hf_api")


def _sync_in_a_new_process(db: Path, day: str, *extra: str) -> list[str]:
    """`oss-tracker sync --replay` in a fresh interpreter; the modules loaded, then numpy imported."""
    argv = ["oss-tracker", "sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day), *extra]
    code = (
        "import sys\n"
        "from oss_tracker.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
        # A chart drawn after a sync (same process) still gets numpy: nothing was left blocking it.
        "import numpy\n"
        "print('NUMPY', numpy.arange(3).sum(), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(("LOADED", "NUMPY"))]
    return lines


def test_a_sync_imports_no_numpy_nor_pandas_though_installed(tmp_path: Path) -> None:
    """sqlite-utils imports numpy and pandas whenever installed (~100 ms a sync): no sync loads
    them, nor sqlite-utils itself (~75 ms more), a first sync (every migration applied) included."""
    assert importlib.util.find_spec("numpy") is not None  # the test extra brings it: else this proves nothing
    db = tmp_path / "t.db"
    assert _sync_in_a_new_process(db, "2025-11-24") == ["LOADED ['huggingface_hub.hf_api']", "NUMPY 3"]
    assert _sync_in_a_new_process(db, "2025-11-25") == ["LOADED ['huggingface_hub.hf_api']", "NUMPY 3"]


def test_a_sync_without_derivative_counts_never_makes_an_hfapi(tmp_path: Path) -> None:
    """Listings and overviews need HfApi's settings, not HfApi (huggingface_hub.hf_api, ~50 ms
    to import): a `--derivatives none` sync never imports it; one that counts does (above)."""
    db = tmp_path / "t.db"
    assert _sync_in_a_new_process(db, "2025-11-24", "--derivatives", "none") == ["LOADED []", "NUMPY 3"]
    assert _sync_in_a_new_process(db, "2025-11-25", "--derivatives", "none") == ["LOADED []", "NUMPY 3"]


def test_an_orgs_dataset_and_space_listings_run_while_its_models_are_listed(tmp_path: Path) -> None:
    """After the overview, the three listings overlap: with the model listing's answer held back
    1 s, the dataset and Space listings are answered before it (in turn after it, they cost an
    org three round trips in a row, where the script an analyst would write has none of them).
    What is stored does not change."""
    db = tmp_path / "t.db"
    spaces = [model("A/s1", created_at="2025-02-01T00:00:00.000Z", sdk="gradio")]
    w = world(model("A/m1"), model("A/m2", downloads=20), datasets=[model("A/d1")], spaces=spaces)
    with FakeHub(w) as hub:
        hub.add_fault("delay", match="/api/models?", seconds=1.0)
        result = sync(hub, db, "A")
        order = [r["path"] for r in hub.requests]
    assert result.exit_code == 0, result.stderr
    assert order[0] == "/api/organizations/A/overview"
    assert sorted(order[1:3]) == ["/api/datasets", "/api/spaces"]
    assert order[3:] == ["/api/models"]
    assert rows(db, "SELECT repo_id, created_at FROM models ORDER BY repo_id") == [
        ("A/m1", "2025-01-20T03:46:07Z"),
        ("A/m2", "2025-01-20T03:46:07Z"),
    ]
    assert rows(db, "SELECT kind, repo_id, sdk FROM repos ORDER BY repo_id") == [
        ("dataset", "A/d1", None),
        ("space", "A/s1", "gradio"),
    ]
    assert rows(db, "SELECT listed, complete, datasets_listed, spaces_listed FROM org_snapshots") == [
        (2, 1, 1, 1)
    ]


def test_models_are_looked_up_a_page_at_a_time_and_no_count_is_planned_when_none_is_wanted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync of 2,345 models, then the next day's: the stored rows of a page's models are read
    with one query a page (two on a first sync: the new ids), not one a model; and with
    `--derivatives none` the stalest-first list of models to count is never read."""
    from oss_tracker.store import open as store

    statements: list[str] = []
    real_open = store.open_db

    def traced(path: Path, *, create: bool = True, timeout: float = 30) -> store.Store:
        database = real_open(path, create=create, timeout=timeout)
        database.conn.set_trace_callback(statements.append)
        return database

    monkeypatch.setattr(store, "open_db", traced)
    items = [model(f"Big/m{i:04d}", downloads=i) for i in range(2345)]
    db = tmp_path / "t.db"
    with FakeHub(world(*items)) as hub:
        for day in ("2025-11-24", "2025-11-25"):
            statements.clear()
            result = sync(hub, db, "Big", now=f"{day}T06:00:00Z")
            assert result.exit_code == 0, result.stderr
            lookups = [
                s
                for s in statements
                if s.lstrip().startswith("SELECT") and "FROM models" in s and "hub_id" in s
            ]
            # 3 pages (and new ids read back the first day), and one probe for archive-born models
            assert len(lookups) == (7 if day == "2025-11-24" else 4)
            assert not any("derivative_latest" in s for s in statements)
            snapshots = rows(
                db,
                "SELECT count(*), sum(downloads_30d) FROM model_snapshots s JOIN runs r ON r.id = s.run_id WHERE r.day = ?",
                day,
            )
            assert snapshots == [(2345, sum(range(2345)))]
    assert rows(db, "SELECT count(*), min(id), max(id), count(DISTINCT hub_id) FROM models") == [
        (2345, 1, 2345, 2345)
    ]


def test_one_worker_means_one_request_at_a_time(tmp_path: Path) -> None:
    """`run_sync(workers=1)` (the benchmarks' "one at a time") lists an org's datasets and Spaces
    after its models, not beside them: no side pool."""
    from datetime import UTC, datetime

    from oss_tracker.hub import client
    from oss_tracker.store.open import open_db
    from oss_tracker.sync.run import run_sync

    w = world(model("A/m1"), datasets=[model("A/d1")], spaces=[model("A/s1", sdk="gradio")])
    with FakeHub(w) as hub:
        hub.add_fault("delay", match="/api/models?", seconds=0.5)
        db = open_db(tmp_path / "t.db")
        session = client.connect(endpoint=hub.url, token=False)
        try:
            summary = run_sync(db, session, ["A"], now=datetime(2025, 11, 24, 6, tzinfo=UTC), workers=1,
                               derivative_mode="none")  # fmt: skip
        finally:
            session.close()
            db.close()
        order = [r["path"] for r in hub.requests]
    assert summary.status == "ok"
    assert order == ["/api/organizations/A/overview", "/api/models", "/api/datasets", "/api/spaces"]
