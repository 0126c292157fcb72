"""One Report in, table | json | csv | markdown out: the formats for scripts, and the dispatch."""

from __future__ import annotations

import json
import re
from typing import IO, Any

from oss_tracker.escape import json_visible, visible
from oss_tracker.render.grid import Charset, charset_for
from oss_tracker.render.text import NUMERIC, cell, cell_kind, chart_lines, chart_title
from oss_tracker.reports.model import Column, Report, Section


def to_json(report: Report, *, ascii: bool = False) -> str:
    """Exact values; characters a terminal would act on are written as `\\uXXXX` escapes (with
    `ascii`, every character past ASCII too: the same JSON for an output that takes only ASCII)."""
    return json_visible(json.dumps(report.data, indent=2, ensure_ascii=ascii)) + "\n"


def to_csv(report: Report) -> str:
    """The report's main (first non-summary) section, raw values, one header row.

    Text is made safe for terminals and spreadsheets (`csv_text`); numbers are written as they are."""
    import csv
    import io

    section = report.sections[_main(report)] if report.sections else Section("", [], [])
    columns = [c for c in section.columns if c.csv]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in section.rows:
        writer.writerow([_raw(row.get(c.key)) for c in columns])
    return out.getvalue()


def _raw(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return csv_text(value)
    return value


# A spreadsheet reads a cell starting with one of these as a formula (or, tab and CR, may
# drop them and read what follows): `=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, `@SUM(...)`.
FORMULA_START = ("=", "+", "-", "@")


def csv_text(text: str) -> str:
    """A text value for a CSV cell: control characters escaped (`visible`), and a value that a
    spreadsheet would take for a formula (first non-blank character `= + - @`, or a leading
    tab or CR) led by a `'`, as spreadsheet-safe exporters do. Only text: the report's
    numbers, negative ones included, are never strings and stay numbers."""
    shown = visible(text)
    if text[:1] in ("\t", "\r") or text.lstrip()[:1] in FORMULA_START:
        return "'" + shown
    return shown


def _main(report: Report) -> int:
    if report.main is not None:
        return report.main
    # A report that opens with a totals block has its list in the next section.
    return 1 if len(report.sections) > 1 and report.sections[0].title.startswith("Totals") else 0


def to_markdown(report: Report) -> str:
    """GitHub-flavoured Markdown; every text is one line of inline text (`md_text`)."""
    parts = [f"# {md_text(report.title)}", ""]
    for note in report.notes:
        parts += [f"> {_md_block(md_text(note))}", ""]
    for chart in report.charts:
        lines = chart_lines(chart)
        fence = "`" * max(
            3, 1 + max((len(run) for line in lines for run in re.findall(_BACKTICKS, line)), default=0)
        )
        parts += [f"## {md_text(chart_title(chart))}", "", f"{fence}text", *lines, fence, ""]
    for section in report.sections:
        if not section.human:
            continue
        parts += [f"## {md_text(section.title)}", ""]
        if not section.rows:
            parts += [f"_{md_text(section.empty)}_", ""]
            continue
        if section.item:
            parts += [_md_item(section, row) for row in section.rows] + [""]
            continue
        columns = [c for c in section.columns if c.table]
        parts.append("| " + " | ".join(md_text(c.title) for c in columns) + " |")
        parts.append("|" + "|".join(_md_align(c) for c in columns) + "|")
        for row in section.rows:
            parts.append(
                "| "
                + " | ".join(md_text(cell(row.get(c.key), cell_kind(section, row, c))) for c in columns)
                + " |"
            )
        parts.append("")
    if report.footer:
        parts += [f"_{md_text(report.footer)}_", ""]
    return "\n".join(parts)


_PLACEHOLDER = r"\{(\w+)\}"


def _md_item(section: Section, row: dict[str, Any]) -> str:
    """A row as one bullet (`Section.item`): its head, then its other non-empty parts."""
    kinds = {c.key: c for c in section.columns}

    def fill(part: str) -> str | None:
        keys = re.findall(_PLACEHOLDER, part)
        if keys and all(row.get(k) in (None, "") for k in keys):
            return None

        def value(m: re.Match[str]) -> str:
            v = row.get(m[1])
            if v in (None, ""):
                return ""
            column = kinds.get(m[1])
            return md_text(cell(v, cell_kind(section, row, column) if column else "str"))

        # The part's own text is ours (it may hold markup, e.g. `**`); every value is escaped.
        return re.sub(_PLACEHOLDER, value, part)

    head, *rest = section.item
    shown = [p for p in (fill(part) for part in rest) if p]
    return f"- {fill(head) or ''}" + (f": {', '.join(shown)}" if shown else "")


def _md_align(column: Column) -> str:
    return "---:" if column.kind in NUMERIC else "---"


# Markdown that could start markup inside a line: escapes, code, emphasis, HTML and autolinks,
# links and images, table cells, strikethrough, headings' closing `#`s, entities (`&#x202e;`
# would put back a bidi override), math. `-`, `.`, `/`, `+`, `:` are left alone: they start
# nothing inside a line, and repo ids and numbers stay readable.
_MD_SPECIAL = r"[\\`*<>\[\]|~#&$]"
# `_` emphasises only at a word's edge: `Qwen2.5_instruct` keeps its underscore.
_MD_EDGE_UNDERSCORE = r"(?<![^\W_])_|_(?![^\W_])"
# A note is the first text of its line (`> note`): a list marker there would start a list.
# (A backslash escapes punctuation only: `1\\. x`, not `\\1. x`.)
_MD_BLOCK_START = r"^(\s*\d*)([-+.)])(?=\s|$)"
_BACKTICKS = r"`+"
# (Patterns as strings, compiled by `re` on first use: a table or JSON report never pays for them.)


def md_text(text: str) -> str:
    """Text for a Markdown heading, cell or note: one line (control characters escaped,
    `visible`), markup characters backslash-escaped so that they show as themselves."""
    text = re.sub(_MD_SPECIAL, r"\\\g<0>", visible(text))
    return re.sub(_MD_EDGE_UNDERSCORE, r"\\_", text) if "_" in text else text


def _md_block(text: str) -> str:
    return re.sub(_MD_BLOCK_START, r"\1\\\2", text)


def render(report: Report, fmt: str, out: IO[str]) -> None:
    """Write the report to `out` in `fmt`. A table goes to a terminal through rich (styled,
    fitted to its width), anywhere else as plain text (no rich, no wrapping). Whatever the
    output's encoding, nothing fails to encode: ASCII drawing and `\\u` escapes where needed."""
    cs = charset_for(getattr(out, "encoding", None))
    if fmt == "table" and _is_terminal(out):
        from rich.console import Console

        from oss_tracker.render.table import to_table

        # names are data, not :emoji: codes
        to_table(report, Console(file=out, soft_wrap=False, highlight=False, emoji=False), cs)
        return
    out.write(format_text(report, fmt, cs))


def format_text(report: Report, fmt: str, charset: Charset | None = None) -> str:
    """The report as text in `fmt` (a table as for a pipe or a file)."""
    cs = charset or Charset()
    if fmt == "table":
        from oss_tracker.render.plain import to_plain

        return to_plain(report, cs)
    if fmt == "json":
        return to_json(report, ascii=not cs.fancy)
    if fmt == "csv":
        return cs.encodable(to_csv(report), drawing=False)
    return cs.encodable(to_markdown(report))


def _is_terminal(out: IO[str]) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: not a terminal
        return False
