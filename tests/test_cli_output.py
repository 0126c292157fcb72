"""Where the output goes (issue 12, points 14, 15 and 18): a pipe or a file gets plain text,
never wrapped; a terminal gets a table fitted to its width, never breaking a token; an output
that takes only ASCII (or Latin-1) gets ASCII drawing, never a UnicodeEncodeError; a closed
pipe ends every format the same way.

The terminal cases run the real command in a pseudo-terminal of a chosen width (`tty`); the
encoding and pipe cases run it as a child process, since the encoding and the pipe are the
process's own. The database is the race of test_reports_world.py, whose outputs are in
tests/golden/.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import ROOT, run
from tests.test_reports_world import shared_race_db

GOLDEN = ROOT / "tests" / "golden"
REPORTS = {
    "trends": ("trends",),
    "trends-derivatives-model": ("trends", "--metric", "derivatives", "--model", "Qwen/Qwen3-8B"),
    "releases": ("releases",),
    "licenses": ("licenses",),
    "compare": ("compare",),
    "report": ("report", "--org", "Qwen"),
}
# rich's ASCII box, character for character, and our own drawing characters in ASCII.
TO_ASCII = str.maketrans(
    {**dict.fromkeys("┏┓└┘", "+"), **dict.fromkeys("━─┳┴", "-"), **dict.fromkeys("┃│┡┩├┤", "|"),
     **dict.fromkeys("╇┼", "+"), "—": "-", "–": "-", "·": ".", **dict(zip("▁▂▃▄▅▆▇█", "_.-~=+*#", strict=True))}
)  # fmt: skip
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="session")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_race_db(tmp_path_factory)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env.update(extra)
    return env


def child(*args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """The real command in its own process, stdout a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "oss_tracker", *args], capture_output=True, env=child_env(**env), timeout=60
    )


def tty(*args: str, columns: int, **env: str) -> tuple[int, str]:
    """The real command on a pseudo-terminal `columns` wide: (exit code, what the terminal got,
    styles left out)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "oss_tracker", *args], stdin=slave, stdout=slave, stderr=slave,
        env=child_env(TERM="xterm-256color", **env), close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=60)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return code, ANSI.sub("", text)


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


# -- point 15: a pipe or a file is never wrapped; a terminal never breaks a token -------------------
def test_a_pipe_gets_every_line_whole_whatever_the_width(race_db: Path) -> None:
    """At 80 columns (the default into a pipe) the footer folded and table cells broke
    mid-token (`text-generatio` / `n`); into a pipe nothing is wrapped any more, COLUMNS or not."""
    narrow = run("trends", "--db", str(race_db), env={"COLUMNS": "40"})
    wide = run("trends", "--db", str(race_db), env={"COLUMNS": "1000"})
    assert narrow.stdout == wide.stdout == golden("trends.txt")
    assert narrow.stdout.splitlines()[-1] == (
        "24 Nov 2025 – 27 Nov 2025 · 3 snapshot days, 1 gap · as of 27 Nov 2025 06:00 UTC · downloads = "
        "difference of all-time counts over the models in both snapshots, plus the all-time count of each "
        "model created in between"
    )
    releases = run("releases", "--db", str(race_db), env={"COLUMNS": "80"}).stdout.splitlines()
    assert (
        "│ 14 Jan 2025 │ MiniMaxAI/MiniMax-Text-01        │ original │ minimax-model-agreement │  456B │      — │"
        "       — │         — │ text-generation │ 24 Nov 2025 │         30,000 │            — │             — │         │"
    ) in releases


def test_a_narrow_terminal_shortens_the_note_and_keeps_ids_numbers_and_dates_whole(race_db: Path) -> None:
    code, out = tty("trends", "--org", "Qwen", "--db", str(race_db), columns=60)
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    start = lines.index("Downloads per day", 1)
    # 69 columns even so (the note at its floor of 12 cells): it runs past the edge, whole.
    assert lines[start : start + 8] == [
        "Downloads per day",
        "Org  Day          All-time Downloads Days Per day Growth Note",
        "─" * 69,
        "Qwen 24 Nov 2025 1,250,000         —    —       —      —",
        "Qwen 25 Nov 2025 1,331,500   +81,500    1 +81,500  +6.5% 1 new model…",
        "Qwen 26 Nov 2025         —         —    —       —      — no snapshot",
        "Qwen 27 Nov 2025 1,246,500   -85,000    2 -42,500  -6.4% 1 all-time…",
        "All-time download counts that went down (counted as they are, not hidden)",
    ]
    # Text wraps between words at the terminal's edge.
    assert lines[1:4] == [
        "Warning: 1 all-time download count went down (the Hub",
        "recounts); the period downloads include the drop, listed",
        "below.",
    ]


def test_a_wide_terminal_gets_the_bordered_table_whole(race_db: Path) -> None:
    code, out = tty("trends", "--db", str(race_db), columns=120)
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    plain = golden("trends.txt").splitlines()
    assert lines[:-2] == plain[:-1]  # the same characters as into a pipe...
    assert " ".join(lines[-2:]) == plain[-1]  # ...but the footer, wrapped at 120 columns


# -- point 14: an output that cannot take Unicode gets ASCII, never a UnicodeEncodeError -----------
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("name", list(REPORTS))
def test_an_ascii_or_latin1_pipe_gets_ascii_tables(race_db: Path, name: str, encoding: str) -> None:
    done = child(*REPORTS[name], "--db", str(race_db), PYTHONIOENCODING=encoding)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("ascii") == golden(f"{name}.txt").translate(TO_ASCII)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_ascii_or_latin1_pipe_gets_every_format(race_db: Path, encoding: str) -> None:
    for name, args in REPORTS.items():
        md = child(*args, "--db", str(race_db), "-f", "markdown", PYTHONIOENCODING=encoding)
        assert (md.returncode, md.stderr) == (0, b"")
        assert md.stdout.decode("ascii") == golden(f"{name}.md").translate(TO_ASCII)
        js = child(*args, "--db", str(race_db), "-f", "json", PYTHONIOENCODING=encoding)
        assert (js.returncode, js.stderr) == (0, b"")
        assert json.loads(js.stdout.decode("ascii")) == json.loads(golden(f"{name}.json"))
        csv = child(*args, "--db", str(race_db), "-f", "csv", PYTHONIOENCODING=encoding)
        assert (csv.returncode, csv.stderr) == (0, b"")
        assert csv.stdout.decode(encoding) == golden(f"{name}.csv")


def test_an_ascii_terminal_gets_ascii_tables(race_db: Path) -> None:
    code, out = tty("report", "--org", "Qwen", "--db", str(race_db), columns=120, PYTHONIOENCODING="ascii")
    assert code == 0
    assert out.isascii()
    lines = [line.rstrip() for line in out.splitlines()]
    assert "  Qwen   #._  -42,500" in lines  # the sparkline, gap and all
    assert (
        "| Qwen/Qwen2.5-7B-Instruct         | 480,000 |  900,000 |   810 | apache-2.0 | 16 Sep 2024 | original |"
        in lines
    )


def test_text_an_output_cannot_encode_is_escaped_not_an_error() -> None:
    from oss_tracker.render.grid import charset_for

    latin = charset_for("latin-1")
    assert not latin.fancy and latin.ellipsis == "..."
    assert latin.text("Qwen/中文 – café · ▁█ \x1b") == "Qwen/\\u4e2d\\u6587 - café . _# \\x1b"
    assert charset_for("ascii").text("café") == "caf\\xe9"
    assert charset_for("utf-8").text("中文 – ▁") == "中文 – ▁"
    assert charset_for("no-such-codec").fancy
