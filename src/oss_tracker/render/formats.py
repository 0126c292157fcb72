"""The only place that formats: one Report in, table | json | csv | markdown out."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import date, timedelta
from typing import Any

from oss_tracker.escape import json_visible, visible
from oss_tracker.reports import Chart, Column, Report, Section

NUMERIC = ("delta", "int", "float", "pct", "share", "size", "rate")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cell(value: Any, kind: str) -> str:
    """A value for people: thousands separators, signed changes, human dates."""
    if value is None:
        return "—" if kind in NUMERIC else ""
    if kind == "int":
        return f"{value:,}"
    if kind == "delta":
        return f"{value:+,}" if value else "0"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "rate":  # a per-day rate: whole units unless small
        return f"{value:+,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:+,.1f}"
    if kind == "pct":
        return f"{value:+.1f}%" if isinstance(value, int | float) else str(value)
    if kind == "share":
        return f"{value:.1f}%"
    if kind == "size":
        return human_size(value)
    if kind == "date":
        return human_date(value)
    if kind == "datetime":
        return human_datetime(value)
    if kind == "period":
        return human_period(value)
    if kind == "bool":
        return "yes" if value else ""
    return str(value)


def human_date(value: Any) -> str:
    """`2025-11-24...` -> `24 Nov 2025` (anything else is shown as it is)."""
    text = str(value)
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not m:
        return text
    return f"{int(m[3])} {MONTHS[int(m[2]) - 1]} {m[1]}"


def human_datetime(value: Any) -> str:
    """`2025-11-24T06:00:00Z` -> `24 Nov 2025 06:00 UTC`."""
    text = str(value)
    m = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})", text)
    return f"{human_date(m[1])} {m[2]} UTC" if m else human_date(text)


def human_period(label: Any) -> str:
    """A bucket label: `2025-11-24` (day), `2025-W48` (week), `2025-11` (month)."""
    text = str(label)
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        sunday = monday + timedelta(days=6)
        return f"W{m[2]} {human_date(monday.isoformat())}–{human_date(sunday.isoformat())}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return f"{MONTHS[int(m[2]) - 1]} {m[1]}"
    return human_date(text)


def human_size(parameters: Any) -> str:
    """A parameter count: 7615616512 -> `7.6B`, 494032768 -> `494M`, 1.5e12 -> `1.5T`."""
    n = float(parameters)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= limit:
            v = n / limit
            return f"{v:.1f}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return f"{n:.0f}"


KEEP_KINDS = ("date", "datetime", "period")
KEEP_KEYS = ("id", "model", "org")  # identifiers: cut, they would name something else

SPARKS = "▁▂▃▄▅▆▇█"
GAP_MARK = "·"


def sparkline(values: list[float | None]) -> str:
    """One character a value, scaled from the smallest to the largest; `·` for a gap."""
    real = [v for v in values if v is not None]
    if not real:
        return GAP_MARK * len(values)
    lo, hi = min(real), max(real)
    out = []
    for v in values:
        if v is None:
            out.append(GAP_MARK)
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))])
    return "".join(out)


SPARK_WIDTH = 60


def chart_title(chart: Chart) -> str:
    """The chart's title, with the key to the gap mark when a series has a gap."""
    gaps = any(v is None for s in chart.series for v in s.values[s.offset :])
    return f"{chart.title} ({GAP_MARK} = no snapshot)" if gaps else chart.title


def chart_lines(chart: Chart) -> list[str]:
    """The chart as text: one sparkline a series (the last 60 values), its name and latest value.

    Series names and notes (org names, model ids) come out with control characters escaped."""
    names = [visible(s.name) for s in chart.series]
    width = max((len(name) for name in names), default=0)
    cut = max(0, len(chart.x) - SPARK_WIDTH)
    lines = []
    for s, name in zip(chart.series, names, strict=True):
        shown = s.values[max(cut, s.offset) :]
        spark = sparkline(shown)
        lead = " " * max(0, s.offset - cut)
        last = next((v for v in reversed(s.values) if v is not None), None)
        tail = "" if last is None else f"  {cell(last, chart.kind)}"
        if s.note:
            tail += f"  ({visible(s.note)})"
        more = "…" if cut else ""
        lines.append(f"{name.ljust(width)}  {more}{lead}{spark}{tail}")
    return lines


def to_json(report: Report) -> str:
    """Exact values; characters a terminal would act on are written as `\\uXXXX` escapes."""
    return json_visible(json.dumps(report.data, indent=2, ensure_ascii=False)) + "\n"


def to_csv(report: Report) -> str:
    """The report's main (first non-summary) section, raw values, one header row.

    Text is made safe for terminals and spreadsheets (`csv_text`); numbers are written as they are."""
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
            3, 1 + max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
        )
        parts += [f"## {md_text(chart_title(chart))}", "", f"{fence}text", *lines, fence, ""]
    for section in report.sections:
        if not section.human:
            continue
        parts += [f"## {md_text(section.title)}", ""]
        if not section.rows:
            parts += [f"_{md_text(section.empty)}_", ""]
            continue
        columns = [c for c in section.columns if c.table]
        parts.append("| " + " | ".join(md_text(c.title or c.key) for c in columns) + " |")
        parts.append("|" + "|".join(_md_align(c) for c in columns) + "|")
        for row in section.rows:
            parts.append(
                "| "
                + " | ".join(md_text(cell(row.get(c.key), _kind(section, row, c))) for c in columns)
                + " |"
            )
        parts.append("")
    if report.footer:
        parts += [f"_{md_text(report.footer)}_", ""]
    return "\n".join(parts)


def _kind(section: Section, row: dict[str, Any], column: Column) -> str:
    """A column's kind, or for a row of mixed metrics (compare) the row's own kind for its numbers."""
    if section.row_kind and column.kind in NUMERIC and row.get(section.row_kind):
        return str(row[section.row_kind])
    return column.kind


def _md_align(column: Column) -> str:
    return "---:" if column.kind in NUMERIC else "---"


# Markdown that could start markup inside a line: escapes, code, emphasis, HTML and autolinks,
# links and images, table cells, strikethrough, headings' closing `#`s, entities (`&#x202e;`
# would put back a bidi override), math. `-`, `.`, `/`, `+`, `:` are left alone: they start
# nothing inside a line, and repo ids and numbers stay readable.
_MD_SPECIAL = re.compile(r"[\\`*<>\[\]|~#&$]")
# `_` emphasises only at a word's edge: `Qwen2.5_instruct` keeps its underscore.
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# A note is the first text of its line (`> note`): a list marker there would start a list.
# (A backslash escapes punctuation only: `1\\. x`, not `\\1. x`.)
_MD_BLOCK_START = re.compile(r"^(\s*\d*)([-+.)])(?=\s|$)")
_BACKTICKS = re.compile(r"`+")


def md_text(text: str) -> str:
    """Text for a Markdown heading, cell or note: one line (control characters escaped,
    `visible`), markup characters backslash-escaped so that they show as themselves."""
    text = _MD_SPECIAL.sub(r"\\\g<0>", visible(text))
    return _MD_EDGE_UNDERSCORE.sub(r"\\_", text) if "_" in text else text


def _md_block(text: str) -> str:
    return _MD_BLOCK_START.sub(r"\1\\\2", text)


def to_table(report: Report, console: Any) -> None:
    """Rich tables on the given console, one per section, and a dim footer."""
    from rich.markup import escape

    def text(value: str) -> str:  # as itself: no control character, no rich markup
        return escape(visible(value))

    console.print(f"[bold]{text(report.title)}[/bold]")
    for note in report.notes:
        console.print(f"[yellow]{text(note)}[/yellow]")
    for chart in report.charts:
        console.print(f"\n[bold]{text(chart_title(chart))}[/bold]")
        for line in chart_lines(chart):
            console.print("  " + escape(line))
    for section in report.sections:
        if not section.human:
            continue
        if not section.rows:
            console.print(f"\n[bold]{text(section.title)}[/bold]\n  {text(section.empty)}")
            continue
        console.print(_table(section, console.size.width), crop=False)
    if report.footer:
        console.print(f"[dim]{text(report.footer)}[/dim]")


def _table(section: Section, width: int) -> Any:
    """Numbers, dates and names are never cut: free text gives way (and folds) first; a table
    that still cannot fit drops its borders, and one that cannot fit even then is printed
    wider than the terminal rather than cut."""
    from rich import box

    from oss_tracker.fast_table import FastColumn, FastTable

    columns = [c for c in section.columns if c.table]
    # FastTable draws text as it is (never rich markup): control characters are escaped here.
    cells = [
        [
            (visible(cell(r.get(c.key), k)), _tone(r.get(c.key), k))
            for c in columns
            for k in (_kind(section, r, c),)
        ]
        for r in section.rows
    ]
    table = FastTable(
        visible(section.title),
        box.HEAVY_HEAD,
        [FastColumn(visible(c.title), "right" if c.kind in NUMERIC else "left") for c in columns],
    )
    for i, row in enumerate(cells):
        last_of_group = (
            section.group is not None
            and i + 1 < len(section.rows)
            and section.rows[i + 1].get(section.group) != section.rows[i].get(section.group)
        )
        table.add_row(row, end_section=last_of_group)
    naturals = []
    for c, spec, widest in zip(columns, table.columns, table.cell_widths(), strict=True):
        natural = max(widest, max((len(w) for w in spec.header.split()), default=0))
        keep = c.kind in NUMERIC or c.kind in KEEP_KINDS or c.key in KEEP_KEYS
        spec.wrap, spec.min_width = not keep, natural if keep else min(natural, 8)
        naturals.append(natural)
    if sum(naturals) + 3 * len(naturals) + 1 > width:  # compact: no outer border, no padding
        table.box, table.pad, table.edge = box.SIMPLE_HEAD, 0, False
    return table


def _tone(value: Any, kind: str) -> str:
    """Red for a fall, green for a rise; nothing else is coloured."""
    if kind in ("delta", "rate", "pct") and isinstance(value, int | float):
        return "red" if value < 0 else "green" if value > 0 else ""
    return ""


def render(report: Report, fmt: str, console: Any) -> None:
    """Write the report to stdout in `fmt` (tables through the rich console)."""
    if fmt == "table":
        to_table(report, console)
        return
    text = {"json": to_json, "csv": to_csv, "markdown": to_markdown}[fmt](report)
    (console.file if console is not None else sys.stdout).write(text)
