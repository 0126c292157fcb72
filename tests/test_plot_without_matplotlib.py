"""`--plot` where matplotlib is not installed: refused before any work, in one line that says
how to install it, also from a clone. matplotlib is made unimportable in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HIDDEN = "import sys; sys.modules['matplotlib'] = None; from oss_tracker.cli import main; sys.argv[0] = 'oss-tracker'; main()"


@pytest.mark.parametrize("command", [("trends",), ("releases",), ("trends", "--metric", "followers")])
def test_plot_without_matplotlib_is_one_line_before_any_output(
    bundled_history: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    out = tmp_path / "chart.png"
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN, *command, "--db", str(bundled_history), "--plot", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")  # no report printed first
    assert done.stderr == (
        "oss-tracker: error: --plot needs matplotlib, which is not installed: "
        "pip install 'oss-tracker[plot]' (from a clone: pip install -e '.[plot]')\n"
    )
    assert not out.exists()


def test_without_plot_the_same_command_works_without_matplotlib(bundled_history: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN, "trends", "--db", str(bundled_history), "-f", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("org,model,period,")
