"""Reports as tables on a terminal, through rich (drawn by FastTable), fitted to its width.

Only a terminal gets here: a table for a pipe or a file is `render.plain` (no rich). The
layout is `render.grid`'s: headers wrap between words, then the borders go, then free text
is shortened with an ellipsis; identifiers, licences, tags, numbers and dates are never cut
or folded (a table that still does not fit runs past the edge).
"""

from __future__ import annotations

from typing import Any

from oss_tracker.render.grid import Charset, fitted, grid, layout
from oss_tracker.render.text import chart_lines, chart_title
from oss_tracker.reports.model import Report, Section


def to_table(report: Report, console: Any, charset: Charset | None = None) -> None:
    """Rich tables on the given console, one per section, and a dim footer."""
    from rich.markup import escape

    cs = charset or Charset()

    def text(value: str) -> str:  # as itself: no control character, no rich markup
        return escape(cs.text(value))

    console.print(f"[bold]{text(report.title)}[/bold]")
    for note in report.notes:
        console.print(f"[yellow]{text(note)}[/yellow]")
    for chart in report.charts:
        console.print(f"\n[bold]{text(chart_title(chart))}[/bold]")
        for line in chart_lines(chart):
            console.print("  " + text(line))
    for section in report.sections:
        if not section.human:
            continue
        if not section.rows:
            console.print(f"\n[bold]{text(section.title)}[/bold]\n  {text(section.empty)}")
            continue
        console.print(_table(section, console.size.width, cs), crop=False)
    if report.footer:
        console.print(f"[dim]{text(report.footer)}[/dim]")


def _table(section: Section, width: int, charset: Charset | None = None) -> Any:
    """The section as a FastTable laid out for `width` cells (see render.grid.layout)."""
    from rich import box

    from oss_tracker.render.fast_table import FastColumn, FastTable

    cs = charset or Charset()
    g = grid(section, cs.text)
    fit = layout(g, width, cs.ellipsis)
    g = fitted(g, fit, cs.ellipsis)
    table = FastTable(
        g.title,
        box.SIMPLE_HEAD if fit.compact else box.HEAVY_HEAD,
        [FastColumn(h, "right" if right else "left") for h, right in zip(g.headers, g.right, strict=True)],
        pad=0 if fit.compact else 1,
        edge=not fit.compact,
        fixed=fit.widths,
    )
    for i, row in enumerate(g.rows):
        table.add_row(row, end_section=i in g.ends)
    return table
