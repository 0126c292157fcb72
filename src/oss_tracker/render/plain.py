"""A report as plain text, for a pipe or a file: the characters a terminal gets, without styles
and without wrapping (no line is folded at 80 columns: a script reads each row and each note
whole), drawn without importing rich.

The boxes are rich's HEAVY_HEAD (and, for an output that cannot encode it, rich's ASCII box),
drawn as rich draws them, so that a table reads the same in a terminal and in a file
(tests/test_fast_table.py compares the two).
"""

from __future__ import annotations

from oss_tracker.render.grid import Charset, Grid, grid, text_width
from oss_tracker.render.text import chart_lines, chart_title
from oss_tracker.reports.model import Report

# top, header row, line under the header, body row, group separator, bottom: (left, line or
# space, divider, right), as rich's HEAVY_HEAD and ASCII boxes have them.
HEAVY_HEAD = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "├─┼┤", "└─┴┘")
ASCII = ("+--+", "| ||", "|-+|", "| ||", "|-+|", "+--+")


def to_plain(report: Report, charset: Charset | None = None) -> str:
    """The whole report as text: title, notes, charts, one table a section, footer."""
    cs = charset or Charset()
    text = cs.text
    lines = [text(report.title)]
    lines += [text(note) for note in report.notes]
    for chart in report.charts:
        lines += ["", text(chart_title(chart))]
        lines += ["  " + text(line) for line in chart_lines(chart)]
    for section in report.sections:
        if not section.human:
            continue
        if not section.rows:
            lines += ["", text(section.title), "  " + text(section.empty)]
            continue
        lines += draw(grid(section, text), ascii=not cs.fancy)
    if report.footer:
        lines.append(text(report.footer))
    return "".join(line.rstrip() + "\n" for line in lines)


def draw(g: Grid, *, ascii: bool = False) -> list[str]:
    """A bordered table at its natural widths (nothing cut, nothing wrapped), title above it."""
    top, head, under, body, between, bottom = ASCII if ascii else HEAVY_HEAD
    widths = g.natural()

    def rule(box: str) -> str:
        left, line, divider, right = box
        return left + divider.join(line * (w + 2) for w in widths) + right

    def row(box: str, cells: list[str]) -> str:
        left, _, divider, right = box
        padded = (
            text + " " * (w - text_width(text)) if not right_aligned else " " * (w - text_width(text)) + text
            for text, w, right_aligned in zip(cells, widths, g.right, strict=True)
        )
        return left + divider.join(f" {cell} " for cell in padded) + right

    out = [g.title, rule(top), row(head, g.headers), rule(under)]
    for i, cells in enumerate(g.rows):
        out.append(row(body, [t for t, _tone in cells]))
        if i in g.ends and i != len(g.rows) - 1:
            out.append(rule(between))
    out.append(rule(bottom))
    return out
