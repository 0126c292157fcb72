"""What a sync costs beside its work (issue 18): no heavy module it does not use, listings that overlap."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

HEAVY = ("numpy", "pandas", "matplotlib")


def _sync_in_a_new_process(db: Path, day: str) -> list[str]:
    """`oss-tracker sync --replay` in a fresh interpreter; the modules loaded, then numpy imported."""
    code = (
        "import sys\n"
        "from oss_tracker.cli import main\n"
        f"sys.argv = ['oss-tracker', 'sync', '--db', {str(db)!r}, '--replay', {str(FIXTURES / 'replay' / day)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print('LOADED', sorted(m for m in {HEAVY + ('sqlite_utils',)!r} if m in sys.modules), file=sys.stderr)\n"
        # A chart drawn after a sync (same process) still gets numpy: nothing was left blocking it.
        "import numpy\n"
        "print('NUMPY', numpy.arange(3).sum(), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(("LOADED", "NUMPY"))]
    return lines


def test_a_sync_imports_no_numpy_nor_pandas_though_installed(tmp_path: Path) -> None:
    """sqlite-utils imports numpy and pandas whenever installed (~100 ms a sync): a first sync
    (every migration applied through sqlite-utils) loads neither, and a daily sync (nothing to
    migrate) does not even load sqlite-utils."""
    assert importlib.util.find_spec("numpy") is not None  # the test extra brings it: else this proves nothing
    db = tmp_path / "t.db"
    assert _sync_in_a_new_process(db, "2025-11-24") == ["LOADED ['sqlite_utils']", "NUMPY 3"]
    assert _sync_in_a_new_process(db, "2025-11-25") == ["LOADED []", "NUMPY 3"]
