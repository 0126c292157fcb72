"""Reports as tables on a terminal, through rich (drawn by FastTable)."""

from __future__ import annotations

from typing import Any

from oss_tracker.escape import visible
from oss_tracker.render.text import NUMERIC, cell, cell_kind, chart_lines, chart_title
from oss_tracker.reports.model import Report, Section

KEEP_KINDS = ("date", "datetime", "period")


KEEP_KEYS = ("id", "model", "org")  # identifiers: cut, they would name something else


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

    from oss_tracker.render.fast_table import FastColumn, FastTable

    columns = [c for c in section.columns if c.table]
    # FastTable draws text as it is (never rich markup): control characters are escaped here.
    cells = [
        [
            (visible(cell(r.get(c.key), k)), _tone(r.get(c.key), k))
            for c in columns
            for k in (cell_kind(section, r, c),)
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
