"""Output safety (issue 11, points 9, 10, 11 and part of 21): strings from the Hub reach no
terminal, spreadsheet or page unescaped, and a huge numeric option is a usage error.

A hostile org, `Evil`, is synced twice from the fake Hub by the real CLI. Its repo ids,
licence tags and names, pipeline and library strings carry what a real Hub could store in a
JSON string: ESC sequences (clear screen, set the window title), C1 CSI (U+009B), a
right-to-left override (U+202E), CR, BEL, a newline followed by a Markdown heading, `|`, and
spreadsheet formulas. Every report is checked in every format: exact text against
tests/golden/hostile/ (regenerate with UPDATE_GOLDEN=1, then read the diff), the key lines
spelt out here, and a sweep: no control character but the line breaks anywhere, and JSON
holding the exact strings.

Runs (UTC):
  #1 2025-11-24 06:00  Evil/base (7 derivatives), CLS, GONE; derivative counts for all
  #2 2025-11-25 06:00  Evil/base renamed to RENAMED; CLS relicensed; RLO, CR, NL new; GONE removed
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oss_tracker.cli import core as cli
from oss_tracker.escape import json_visible, visible
from oss_tracker.render.formats import csv_text, md_text
from tests.conftest import Result, copy_db, model, object_id, rows, run, sync_argv, world
from tests.fakehub import FakeHub

GOLDEN = Path(__file__).resolve().parent / "golden" / "hostile"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
TABLE_ENV = {"COLUMNS": "100", "NO_COLOR": "1"}

ESC, BEL, CSI8, RLO = "\x1b", "\x07", "\x9b", "\u202e"
RENAMED = f"Evil/base{ESC}]0;pwned{BEL}"  # OSC 0: sets the terminal's window title
CLS = f"Evil/cls{ESC}[2J"  # clears the screen
RLO_ID = f"Evil/rlo{RLO}gnp.exe"  # reads as "Evil/rloexe.png"
CR_ID = f"Evil/cr\rok{BEL}"  # CR rewrites the line, BEL rings
NL_ID = "Evil/nl\n# heading|cell"  # a new line, then a Markdown heading and a table cell
GONE = f"Evil/gone{CSI8}2J"  # C1 CSI: clears the screen on terminals that take 8-bit controls
FORMULA = "=cmd|' /C calc'!A0"
MARKUP = "a*b_[x](http://e)<b>`c`&#x202e;"
CLS_LICENSE = f"evil{ESC}[5m"  # blink


def _model(repo_id: str, created: str, all_time: int, **extra: Any) -> dict[str, Any]:
    return model(repo_id, created_at=created, downloads=all_time // 2, all_time=all_time, **extra)


def hostile_world(day: int) -> dict[str, Any]:
    base_created = "2025-01-01T00:00:00.000Z"
    base = _model(
        "Evil/base" if day == 1 else RENAMED, base_created, 1000, childrenModelCount={"finetune": 7}
    )
    base["_id"] = object_id(base_created, "Evil/base")  # the Hub's _id survives a rename
    items = [
        base,
        _model(CLS, "2025-02-01T00:00:00.000Z", 900 if day == 1 else 950,
               license="mit" if day == 1 else CLS_LICENSE, pipeline_tag=f"text{CSI8}31mgen",
               library_name=FORMULA),
    ]  # fmt: skip
    if day == 1:
        items.append(_model(GONE, "2025-02-15T00:00:00.000Z", 10))
    else:
        items += [
            _model(RLO_ID, "2025-03-01T00:00:00.000Z", 800, license="other", license_name="@SUM(1)",
                   pipeline_tag="-x", library_name=" =1+1",
                   # What the release is (issue 14, point 8): hostile too, shown by releases, model, report.
                   config={"architectures": [f"Evil{ESC}[2JForCausalLM"], "model_type": "=1+1"},
                   inferenceProviderMapping=[{"provider": f"prov{RLO}gnp", "status": "live", "task": "x"},
                                             {"provider": FORMULA, "status": f"live{BEL}", "task": "x"}]),
            _model(CR_ID, "2025-04-01T00:00:00.000Z", 700, license="x\ry", pipeline_tag="\t=1+1",
                   library_name="-1"),
            _model(NL_ID, "2025-05-01T00:00:00.000Z", 600, license=MARKUP, pipeline_tag="+1",
                   library_name="@x", gguf={"architecture": MARKUP, "context_length": 4096}),
        ]  # fmt: skip
    return world(*items)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Result]]]:
    """The hostile database, and the two syncs' results (the second at -v)."""
    db = tmp_path_factory.mktemp("hostile") / "hostile.db"
    env = {
        "OSS_TRACKER_RETRY_WAIT": "0",
        "OSS_TRACKER_MAX_WAIT": "0",
        "OSS_TRACKER_DB": None,
        "HF_TOKEN": None,
    }
    with FakeHub(hostile_world(1)) as hub:
        first = run(*sync_argv(hub, db, "Evil", derivatives="all"), env=env)  # type: ignore[arg-type]
        hub.set_world(hostile_world(2))
        argv = sync_argv(hub, db, "Evil", now="2025-11-25T06:00:00Z", derivatives="all")
        second = run("-v", *argv, env=env)  # type: ignore[arg-type]
    assert (first.exit_code, second.exit_code) == (0, 0), (first.stderr, second.stderr)
    yield db, [first, second]


def test_the_hostile_strings_are_stored_exactly(hostile: tuple[Path, list[Result]]) -> None:
    db, _ = hostile
    stored = "SELECT repo_id, license, license_name, pipeline_tag, library_name, removed_at IS NOT NULL FROM models ORDER BY created_at"
    assert rows(db, stored) == [
        (RENAMED, "mit", None, "text-generation", "transformers", 0),
        (CLS, CLS_LICENSE, None, f"text{CSI8}31mgen", FORMULA, 0),
        (GONE, "mit", None, "text-generation", "transformers", 1),
        (RLO_ID, "@sum(1)", "@SUM(1)", "-x", " =1+1", 0),
        (CR_ID, "x\ry", None, "\t=1+1", "-1", 0),
        (NL_ID, MARKUP, None, "+1", "@x", 0),
    ]


CASES = {
    "report": ("report", "--org", "Evil"),
    "releases": ("releases",),
    "changes": ("changes",),
    "licenses": ("licenses",),
    "trends": ("trends", "--model", CLS),
    "compare": ("compare",),
    "top": ("top",),
    "derivatives": ("derivatives",),
    "derivatives-history": ("derivatives", "Evil/base"),  # by its former name: titled by its new one
    "changes-since": ("changes", "--since", "2025-11-24"),
    "model": ("model", "Evil/base"),  # by its former name: titled by its new one, its rename shown
    "model-licence": ("model", CLS),  # its hostile licence, and its change
    "model-details": ("model", RLO_ID),  # its hostile architecture, model type and providers
}
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}


def _output(db: Path, name: str, fmt: str) -> str:
    result = run(*CASES[name], "--db", str(db), "--format", fmt, env=TABLE_ENV)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]  # rich pads titles to the console width


def _controls(text: str) -> list[str]:
    """The characters a terminal could act on, the line breaks left out."""
    return sorted({ch for ch in text if ch != "\n" and not ch.isprintable()})


@pytest.mark.parametrize("fmt", list(SUFFIX))
@pytest.mark.parametrize("name", list(CASES))
def test_every_report_shows_hostile_strings_escaped(
    hostile: tuple[Path, list[Result]], name: str, fmt: str
) -> None:
    out = _output(hostile[0], name, fmt)
    assert _controls(out) == []
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(_lines(out)) + "\n" if fmt == "table" else out)
    expected = path.read_text()
    if fmt == "table":
        assert _lines(out) == _lines(expected)
    else:
        assert out == expected


def test_table_cells_and_titles_show_each_control_character_visibly(
    hostile: tuple[Path, list[Result]],
) -> None:
    db = hostile[0]
    changes = _lines(_output(db, "changes", "table"))
    assert [line[:67] for line in changes[5:8]] == [
        "│ 1 May 2025 │ Evil/nl\\n# heading|cell │ original │ a*b_[x](http://",
        "│ 1 Apr 2025 │ Evil/cr\\rok\\x07         │ original │ x\\ry           ",
        "│ 1 Mar 2025 │ Evil/rlo\\u202egnp.exe   │ original │ @sum(1)        ",
    ]
    assert changes[13:16] == [
        "│ removed │ model │ Evil/gone\\x9b2J           │                    │",
        "│ renamed │ model │ Evil/base\\x1b]0;pwned\\x07 │ from Evil/base     │",
        "│ licence │ model │ Evil/cls\\x1b[2J           │ mit -> evil\\x1b[5m │",
    ]
    releases = _lines(_output(db, "releases", "table"))
    assert (
        "│ 1 Feb 2025  │ Evil/cls\\x1b[2J           │ original │ evil\\x1b[5m                     │    — │      — │       — │ "
        "        — │ text\\x9b31mgen  │ 24 Nov 2025 │            900 │            — │             — │         │"
    ) in releases
    assert (
        _lines(_output(db, "derivatives-history", "table"))[0] == "Derivatives of Evil/base\\x1b]0;pwned\\x07"
    )
    assert _lines(_output(db, "trends", "table"))[3] == "  Evil/cls\\x1b[2J   ▄  +50"  # a chart's series name


def test_csv_neutralises_formulas_and_escapes_controls(hostile: tuple[Path, list[Result]]) -> None:
    out = _output(hostile[0], "releases", "csv")
    table = list(csv.reader(io.StringIO(out)))
    head = table[0]
    assert head[:3] + head[5:6] + head[9:11] + head[14:16] == [
        "created_at", "id", "org", "license", "architecture", "model_type", "pipeline_tag", "library_name"
    ]  # fmt: skip
    assert [r[1:2] + r[5:6] + r[9:11] + r[14:16] for r in table[1:]] == [
        ["Evil/nl\\n# heading|cell", MARKUP, MARKUP, "", "'+1", "'@x"],
        ["Evil/cr\\rok\\x07", "x\\ry", "", "", "'\\t=1+1", "'-1"],  # "-1" is text here: kept text
        [
            "Evil/rlo\\u202egnp.exe",
            "'@sum(1)",
            "Evil\\x1b[2JForCausalLM",
            "'=1+1",
            "'-x",
            "' =1+1",
        ],  # = after a blank too
        ["Evil/gone\\x9b2J", "mit", "", "", "text-generation", "transformers"],
        ["Evil/cls\\x1b[2J", "evil\\x1b[5m", "", "", "text\\x9b31mgen", "'" + FORMULA],
        ["Evil/base\\x1b]0;pwned\\x07", "mit", "", "", "text-generation", "transformers"],
    ]
    # Numbers stay numbers: a negative change is written as it is, not as text.
    trends = list(csv.reader(io.StringIO(_output(hostile[0], "trends", "csv"))))
    assert trends[1][0] == "Evil/cls\\x1b[2J"


def test_markdown_keeps_each_string_in_its_cell_and_on_its_line(hostile: tuple[Path, list[Result]]) -> None:
    db = hostile[0]
    md = _output(db, "releases", "markdown").splitlines()
    assert (
        "| 1 May 2025 | Evil/nl\\\\n\\# heading\\|cell | original | a\\*b\\_\\[x\\](http://e)\\<b\\>\\`c\\`\\&\\#x202e; "
        "| — | — | 4,096 | — | +1 | 25 Nov 2025 | 600 | — | — |  |"
    ) in md
    assert not any(line.startswith("# heading") for line in md)
    history = _output(db, "derivatives-history", "markdown").splitlines()
    assert history[0] == "# Derivatives of Evil/base\\\\x1b\\]0;pwned\\\\x07"
    assert [line for line in history if line.startswith("#")] == [history[0], "## Direct derivatives by day"]


def test_json_is_exact_and_puts_no_raw_control_on_a_terminal(hostile: tuple[Path, list[Result]]) -> None:
    db = hostile[0]
    out = _output(db, "changes", "json")
    assert _controls(out) == []
    assert "\\u202e" in out and "\\u009b" in out  # json.dumps writes these raw: escaped after it
    data = json.loads(out)
    at = "2025-11-25T06:00:00Z"
    assert data == {
        "as_of": at,
        "since": "2025-11-24T06:00:00Z",
        "window": {"since": "2025-11-25", "until": "2025-11-25", "runs": 1},
        "new": [NL_ID, CR_ID, RLO_ID],
        "removed": [GONE],
        "restored": [],
        "renamed": [{"from": "Evil/base", "to": RENAMED}],
        "license_changed": [{"id": CLS, "from": "mit", "to": CLS_LICENSE}],
        "datasets": {"new": [], "removed": [], "renamed": []},
        "spaces": {"new": [], "removed": [], "renamed": []},
        "releases": data["releases"],  # below
        "movers": [
            {
                "rank": 1,
                "id": CLS,
                "org": "Evil",
                "downloads": 50,
                "growth_pct": 5.56,
                "downloads_all_time": 950,
                "from": "2025-11-24",
                "to": "2025-11-25",
                "launch": False,
                "note": "",
            },
        ],  # fmt: skip
        "events": [
            {"change": "new", "kind": "model", "id": NL_ID, "detail": "", "at": at},
            {"change": "new", "kind": "model", "id": CR_ID, "detail": "", "at": at},
            {"change": "new", "kind": "model", "id": RLO_ID, "detail": "", "at": at},
            {"change": "removed", "kind": "model", "id": GONE, "detail": "", "at": at},
            {"change": "renamed", "kind": "model", "id": RENAMED, "detail": "from Evil/base", "at": at},
            {"change": "licence", "kind": "model", "id": CLS, "detail": f"mit -> {CLS_LICENSE}", "at": at},
        ],
        "source": "hub",
    }
    assert [(r["id"], r["license"], r["pipeline_tag"], r["library_name"], r["downloads_all_time"])
            for r in data["releases"]] == [
        (NL_ID, MARKUP, "+1", "@x", 600), (CR_ID, "x\ry", "\t=1+1", "-1", 700),
        (RLO_ID, "@sum(1)", "-x", " =1+1", 800),
    ]  # fmt: skip


def test_sync_log_lines_at_verbose_are_escaped(hostile: tuple[Path, list[Result]]) -> None:
    """`-v`: the derivative refresh of the renamed model fails (the client refuses its id),
    and the log line names it, escaped; the summary line is the plain one."""
    second = hostile[1][1]
    assert _controls(second.stderr) == []
    logged = [re.sub(r"^\S+ ", "", line) for line in second.stderr.splitlines()[:-1]]  # no timestamp
    # (Counts are fetched in parallel: the lines come in any order.)
    assert sorted(line.split(" not refreshed: HFValidationError: ")[0] for line in logged) == [
        "INFO derivative count of Evil/base\\x1b]0;pwned\\x07",
        "INFO derivative count of Evil/cls\\x1b[2J",
        "INFO derivative count of Evil/cr\\rok\\x07",
        "INFO derivative count of Evil/nl\\n# heading|cell",
        "INFO derivative count of Evil/rlo\\u202egnp.exe",
    ]
    assert second.stderr.splitlines()[-1] == (
        "sync ok: 1 org(s), 5 models, 3 new, 1 removed, 1 renamed, 1 licence change(s), 2 requests, "
        "derivatives: 0 refreshed, 5 left stale, 5 failed, run #2 — warning: 5 derivative count(s) not "
        "refreshed (5 failed), left as they were (the stalest are tried first next run)"
    )


def test_a_plot_legend_shows_hostile_ids_escaped(hostile: tuple[Path, list[Result]], tmp_path: Path) -> None:
    """An SVG cannot even hold a raw ESC or BEL (it would not be XML): the legend shows escapes."""
    pytest.importorskip("matplotlib")
    from xml.dom.minidom import parse

    svg = tmp_path / "t.svg"
    result = run(
        "trends",
        "--model",
        CLS,
        "--model",
        RENAMED,
        "--db",
        str(hostile[0]),
        "--plot",
        str(svg),
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"wrote {svg}\n"
    texts = [t.firstChild.data for t in parse(str(svg)).getElementsByTagName("text") if t.firstChild]
    assert [t for t in texts if t.startswith("Evil/")] == ["Evil/cls\\x1b[2J", "Evil/base\\x1b]0;pwned\\x07"]


# -- a hostile path from the Hub: the summary line, `status` and the error line ----------------
# A same-host redirect is followed; the path it names (percent-decoded) is quoted in the org's
# failure, so the Hub chooses text that reaches the summary line, runs.message and `status`.
HOSTILE_PATH = "/api/models%1b[2J%c2%9b%e2%80%aex"
SHOWN_PATH = "/api/models\\x1b[2J\\x9b\\u202ex"


def _redirected_sync(hub: FakeHub, db: Path, *orgs: str) -> Result:
    hub.add_fault("status", match="author=Evil", status=307, headers={"Location": hub.url + HOSTILE_PATH})
    return run(*sync_argv(hub, db, *orgs))


def test_summary_line_and_status_show_a_hostile_hub_message_escaped(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with FakeHub(world(model("Evil/a"), model("Good/b"))) as hub:
        result = _redirected_sync(hub, db, "Evil", "Good")
    assert result.exit_code == 3
    assert result.stderr == (
        "sync partial: 1 org(s), 1 models, 0 new (1 org(s) synced for the first time), 0 removed, "
        f"0 renamed, 0 licence change(s), 5 requests, run #1 — Evil: the Hub answered HTTP 404 for {SHOWN_PATH}\n"
    )
    message = f"Evil: the Hub answered HTTP 404 for /api/models{ESC}[2J{CSI8}{RLO}x"
    assert rows(db, "SELECT message FROM runs") == [(message,)]
    status = ("status", "--db", str(db), "--now", "2025-11-24T07:00:00Z", "--format")
    table = run(*status, "table", env=TABLE_ENV)
    assert table.exit_code == 3 and _controls(table.stdout) == []
    shown = f"Evil: the Hub answered HTTP 404 for {SHOWN_PATH}"
    row = rf"│ last run problems │ {re.escape(shown)} *│"
    assert sum(1 for line in _lines(table.stdout) if re.fullmatch(row, line)) == 1
    md = run(*status, "markdown").stdout
    assert (
        "| last run problems | Evil: the Hub answered HTTP 404 for /api/models\\\\x1b\\[2J\\\\x9b\\\\u202ex |"
        in md
    )
    assert f"last_run_message,{shown}" in run(*status, "csv").stdout.splitlines()
    out = run(*status, "json").stdout
    assert _controls(out) == [] and json.loads(out)["last_run"]["message"] == message


def test_the_error_line_shows_a_hostile_hub_message_escaped(tmp_path: Path) -> None:
    with FakeHub(world(model("Evil/a"))) as hub:
        result = _redirected_sync(hub, tmp_path / "t.db", "Evil")
    assert result.exit_code == 1
    assert result.stderr == (
        f"oss-tracker: error: sync failed, nothing stored: Evil: the Hub answered HTTP 404 for {SHOWN_PATH}\n"
    )


def test_a_log_line_on_a_terminal_is_escaped_and_goes_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, -v logs through rich's handler: escaped as the plain one, and on stderr
    (rich's default console is stdout, where a log line would end up inside JSON output)."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err, out = Terminal(), Terminal()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(cli.State, "verbosity", 1)
    try:
        cli._setup_logging()
        logging.getLogger("oss_tracker.sync").info("%s: %s listed twice; kept once", "Evil", CLS + "\n[red]x")
    finally:
        logging.getLogger("oss_tracker").handlers[:] = []
    shown = re.sub(r"\x1b\[[0-9;]*m", "", err.getvalue())  # rich's own styling, none of ours
    assert shown.split() == ["INFO", "Evil:", "Evil/cls\\x1b[2J\\n[red]x", "listed", "twice;", "kept", "once"]
    assert out.getvalue() == ""


# -- the escaping rules themselves -------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B"),
        ("通义千问 ✓ 🤗", "通义千问 ✓ 🤗"),  # printable: kept
        ("a\\x1b b", "a\\x1b b"),  # a literal backslash is kept (the JSON form tells them apart)
        ("\x00\x07\x08\t\n\r\x1b\x7f", "\\x00\\x07\\x08\\t\\n\\r\\x1b\\x7f"),  # C0 and DEL
        ("\x85\x9b\x9f", "\\x85\\x9b\\x9f"),  # C1: NEL, CSI, APC
        ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),  # bidi embed/override
        ("\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c"),
        (
            "\u200b\u200d\u2060\ufeff\u00ad",
            "\\u200b\\u200d\\u2060\\ufeff\\xad",
        ),  # zero-width, BOM, soft hyphen
        ("\u2028\u2029\xa0", "\\u2028\\u2029\\xa0"),  # line/paragraph separators, a non-ASCII space
        ("\U000e0041\U000f0000", "\\U000e0041\\U000f0000"),  # a tag character, private use
        ("\ud800", "\\ud800"),  # a lone surrogate: could not even be written out
    ],
)
def test_visible_escapes_every_non_printable_character(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert visible(raw).isprintable()


def test_visible_returns_printable_text_itself() -> None:
    text = "deepseek-ai/DeepSeek-V3.2-Exp"
    assert visible(text) is text


def test_json_visible_is_exact_json_with_nothing_a_terminal_acts_on() -> None:
    value = {"id": f"a{ESC}[2J{CSI8}{RLO}\u2028\ufeff\U000e0041\ud800\x7f通义 🤗", "n": [-1, 2.5, None]}
    text = json_visible(json.dumps(value, indent=2, ensure_ascii=False))
    assert json.loads(text) == value
    assert _controls(text) == []
    assert '"a\\u001b[2J\\u009b\\u202e\\u2028\\ufeff\\udb40\\udc41\\ud800\\u007f通义 🤗"' in text


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("-1", "'-1"),  # text that looks like a number is text: kept text
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\\t=1"),
        ("\rx", "'\\rx"),
        ("  =1", "'  =1"),  # a formula after blanks
        ("\n=1", "'\\n=1"),
        ("a=1", "a=1"),
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B"),
        ("x\x1b[2J", "x\\x1b[2J"),
    ],
)
def test_csv_text(raw: str, cell: str) -> None:
    assert csv_text(raw) == cell


def test_csv_writes_numbers_as_numbers_and_text_as_text() -> None:
    from oss_tracker.render.formats import to_csv
    from oss_tracker.reports.model import Column, Report, Section

    columns = [Column("name", "Name"), Column("change", "Change", "delta"), Column("pct", "Pct", "pct")]
    section = Section(
        "s", columns, [{"name": "-1", "change": -1, "pct": -0.5}, {"name": "=A1", "change": 3, "pct": 0.0}]
    )
    assert to_csv(Report("r", None, [section])) == "name,change,pct\n'-1,-1,-0.5\n'=A1,3,0.0\n"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Qwen/Qwen2.5-7B_instruct", "Qwen/Qwen2.5-7B_instruct"),  # an intraword _ stays
        ("_x_ __y__ a_", "\\_x\\_ \\_\\_y\\_\\_ a\\_"),
        ("a|b", "a\\|b"),
        ("# h", "\\# h"),
        ("x #", "x \\#"),  # a heading's closing sequence
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("[a](http://e) ![i](u)", "\\[a\\](http://e) !\\[i\\](u)"),
        ("`c` *e* ~s~ $m$", "\\`c\\` \\*e\\* \\~s\\~ \\$m\\$"),
        ("&#x202e; \\", "\\&\\#x202e; \\\\"),
        ("a\n# b\r\x1b", "a\\\\n\\# b\\\\r\\\\x1b"),
        ("-1.5%", "-1.5%"),
    ],
)
def test_md_text(raw: str, shown: str) -> None:
    assert md_text(raw) == shown


def test_a_markdown_note_cannot_start_a_list_nor_a_chart_close_its_fence() -> None:
    from oss_tracker.render.formats import to_markdown
    from oss_tracker.reports.model import Chart, ChartSeries, Report

    chart = Chart("c", ["2025-11-24"], [ChartSeries("```", [1.0])], kind="int")
    out = to_markdown(Report("t", None, [], charts=[chart], notes=["- x", "1. y", "+ z"]))
    assert out.splitlines() == [
        "# t", "", "> \\- x", "", "> 1\\. y", "", "> \\+ z", "", "## c", "",
        "````text", "```  ▄  1.0", "````",
    ]  # fmt: skip


# -- point 21: a huge number is a usage error, never an OverflowError ---------------------------
HUGE = "100000000000000000000"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("report", "--org", "Evil", "--limit", HUGE), f"invalid value for --limit: {HUGE} is not in the range 0<=x<=1000000"),
        # (click refuses `1e20` for an int option itself; the OverflowError came from a huge integer.)
        (("report", "--org", "Evil", "--limit", "1e20"), "invalid value for --limit: '1e20' is not a whole number"),
        (("report", "--org", "Evil", "--days", HUGE), f"invalid value for --days: {HUGE} is not in the range 1<=x<=36500"),
        (("releases", "--limit", HUGE), f"invalid value for --limit: {HUGE} is not in the range 0<=x<=1000000"),
        (("derivatives", "--limit", HUGE), f"invalid value for --limit: {HUGE} is not in the range 0<=x<=1000000"),
        (("status", "--max-age", "1e400"), "invalid value for --max-age: inf is not in the range 0<=x<=876000"),
        (("status", "--max-age", "nan"), "invalid value for --max-age: nan is not a number"),
        (("sync", "--retries", HUGE), f"invalid value for --retries: {HUGE} is not in the range 0<=x<=100"),
        (("sync", "--wait", "nan"), "invalid value for --wait: nan is not a number"),
        (("sync", "--timeout", "1e400"), "invalid value for --timeout: inf is not in the range 1<=x<=86400"),
        (("sync", "--max-wait", "1e300"), "invalid value for --max-wait: 1e+300 is not in the range 0<=x<=86400"),
        (("sync", "--retry-wait", "nan"), "invalid value for --retry-wait: nan is not a number"),
    ],
)  # fmt: skip
def test_a_huge_numeric_option_is_a_usage_error(
    hostile: tuple[Path, list[Result]], hub: FakeHub, tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    db = copy_db(hostile[0], tmp_path / "copy.db")
    # A sync that took the value would run against the (empty) fake Hub, never the real one.
    where = ("--endpoint", hub.url, "--org", "Evil", "--derivatives", "none") if args[0] == "sync" else ()
    result = run(*args, *where, "--db", str(db))
    assert result.exit_code == 2
    assert result.stderr == f"oss-tracker: error: {error}\n"
    assert "Traceback" not in result.stderr and "Overflow" not in result.stderr


def test_the_largest_allowed_values_work(hostile: tuple[Path, list[Result]]) -> None:
    db = str(hostile[0])
    top = run(
        "report", "--org", "Evil", "--limit", "1000000", "--days", "36500", "--db", db, "--format", "json"
    )
    assert top.exit_code == 0, top.stderr
    assert len(json.loads(top.stdout)["top_models"]) == 5
    feed = run("releases", "--limit", "1000000", "--db", db, "--format", "json")
    assert feed.exit_code == 0 and json.loads(feed.stdout)["shown"] == 6
    assert run("derivatives", "--limit", "1000000", "--db", db).exit_code == 0
    ranked = run("top", "--limit", "1000000", "--days", "36500", "--db", db, "--format", "json")
    assert ranked.exit_code == 0 and json.loads(ranked.stdout)["shown"] == 2, ranked.stderr
    status = run(
        "status", "--max-age", "876000", "--now", "2025-11-25T07:00:00Z", "--db", db, "--format", "json"
    )
    assert status.exit_code == 0 and json.loads(status.stdout)["max_age_hours"] == 876000
