"""Golden outputs: each report command in each format, against files in tests/golden/.

The database is the race of test_reports_world.py (four orgs, four runs on three days, a gap
day, two all-time drops, a licence change, a rename and a removal). Tables are drawn at a
fixed console width of 100 columns.

To regenerate after an intended change, then review the diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_reports_golden.py

Without UPDATE_GOLDEN=1 a difference fails the test (a missing file too).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run
from tests.test_reports_world import shared_race_db

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
WIDTH = "100"

CASES = {
    "trends": ("trends",),
    "trends-derivatives-model": ("trends", "--metric", "derivatives", "--model", "Qwen/Qwen3-8B"),
    "releases": ("releases",),
    "licenses": ("licenses",),
    "compare": ("compare",),
    "report": ("report", "--org", "Qwen"),
}
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


def _lines(text: str) -> list[str]:
    # Rich pads table titles to the console width: trailing spaces carry no meaning.
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize("fmt", list(SUFFIX))
@pytest.mark.parametrize("name", list(CASES))
def test_golden(race_db: Path, name: str, fmt: str) -> None:
    result = run(*CASES[name], "--db", str(race_db), "--format", fmt, env={"COLUMNS": WIDTH, "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text("\n".join(_lines(result.stdout)) + "\n" if fmt == "table" else result.stdout)
    assert path.exists(), f"no golden file {path.name}: run UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    expected = path.read_text()
    if fmt == "table":
        assert _lines(result.stdout) == _lines(expected)
    else:
        assert result.stdout == expected
