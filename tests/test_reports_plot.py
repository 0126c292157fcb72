"""`--plot`: a real chart file (matplotlib), lines per org, gaps left as gaps."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tests.conftest import run
from tests.test_reports_world import shared_race_db

pytest.importorskip("matplotlib")


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


def test_trends_plot_svg_has_a_line_per_org_and_is_reproducible(race_db: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (first, second):
        result = run("trends", "--db", str(race_db), "--plot", str(out), "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert f"wrote {out}" in result.stderr
    svg = first.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    for org in ("deepseek-ai", "MiniMaxAI", "moonshotai", "Qwen"):
        assert f">{org}<" in svg  # the legend, as text
    assert "Downloads per day" in svg
    assert len(re.findall(r'id="line2d_\d+"', svg)) >= 4
    assert first.read_bytes() == second.read_bytes()


def test_plot_png_and_releases(race_db: Path, tmp_path: Path) -> None:
    png = tmp_path / "charts" / "followers.png"
    result = run("trends", "--db", str(race_db), "--metric", "followers", "--plot", str(png))
    assert result.exit_code == 0, result.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1080, 576)
    releases = tmp_path / "releases.svg"
    assert run("releases", "--db", str(race_db), "--plot", str(releases)).exit_code == 0
    assert "Releases per month" in releases.read_text()


def test_nothing_to_plot(race_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.png"
    # (A window of one gap day: past the history's end, --since is an error of its own.)
    result = run(
        "trends", "--db", str(race_db), "--since", "2025-11-26", "--until", "2025-11-26", "--plot", str(out)
    )
    assert result.exit_code == 1 and "nothing to plot" in result.stderr
    assert not out.exists()
