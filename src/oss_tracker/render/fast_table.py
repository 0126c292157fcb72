"""A rich table drawn a row at a time: rich's Table layout, without measuring every cell through it.

(Only for a terminal: a table for a pipe or a file is drawn by render.plain, without rich.
The report tables come here with their widths chosen by render.grid, so that no cell folds
but a header between its words.)

rich.table.Table measures, wraps and justifies every cell through the general layout
machinery: about half a millisecond a row, so a 600-row trend took 430 ms to draw, more than
the rest of the report put together. Our tables hold one-line cells of plain text, so each
column's width is chosen beforehand (render.grid.layout: no cell folds but a header between
its words), and a cell that fits is just its text, padded. `FastTable` hands the few cells that
must fold to rich and draws the rest itself: the same characters and styles as rich's Table
given the same widths (tests/test_fast_table.py compares the two character by character,
styles included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.box import Box
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from oss_tracker.render.grid import text_width as grid_width


@dataclass
class FastColumn:
    header: str
    justify: str  # "left" or "right"


@dataclass
class FastTable:
    """Title, one header row, then rows of (text, style name) cells; `sections` ends a group.

    `fixed` the inner column widths (render.grid.layout chose them); `pad` spaces each side of a
    cell and `edge` (the outer border) as rich's `padding=(0, pad)` and `show_edge`."""

    title: str
    box: Box
    columns: list[FastColumn]
    fixed: list[int]
    pad: int = 1
    edge: bool = True
    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    sections: set[int] = field(default_factory=set)  # rows followed by a separator line
    sizes: list[list[int]] = field(default_factory=list)  # each cell's width, measured once

    def add_row(self, cells: list[tuple[str, str]], *, end_section: bool = False) -> None:
        if end_section:
            self.sections.add(len(self.rows))
        self.rows.append(cells)
        self.sizes.append([text_width(text) for text, _style in cells])

    def layout(self) -> list[int]:
        """Column widths, padding included."""
        return [w + 2 * self.pad for w in self.fixed]

    def width(self) -> int:
        """The width the table takes (it runs past a terminal narrower than that: never cut)."""
        return sum(self.layout()) + self._borders()

    def _borders(self) -> int:
        return len(self.columns) - 1 + (2 if self.edge else 0)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        widths = self.layout()
        table_width = sum(widths) + self._borders()
        # The title is a line of text above the table, wrapped (between words) only at the
        # terminal's edge: rich's Table would wrap it at the table's own width.
        title = Text(self.title, style=console.get_style("bold"))
        yield from console.render(
            title, options.update(width=max(table_width, options.max_width), justify="left")
        )
        box = self.box.substitute(options, safe=console.safe_box)
        plain = console.get_style("")
        line = Segment.line()
        if self.edge:
            yield Segment(box.get_top(widths), plain)
            yield line
        header = [(c.header, "") for c in self.columns]
        sizes = [text_width(c.header) for c in self.columns]
        edges = (box.head_left, box.head_vertical, box.head_right)
        yield from self._row(
            console, options, header, sizes, widths, console.get_style("table.header"), edges, top=False
        )
        yield Segment(box.get_row(widths, "head", edge=self.edge), plain)
        yield line
        last = len(self.rows) - 1
        separator = box.get_row(widths, "row", edge=self.edge)
        for i, row in enumerate(self.rows):
            edges = (box.foot_left, box.foot_vertical, box.foot_right) if i == last else (
                box.mid_left, box.mid_vertical, box.mid_right
            )  # fmt: skip
            yield from self._row(console, options, row, self.sizes[i], widths, plain, edges, top=True)
            if i in self.sections and i != last:
                yield Segment(separator, plain)
                yield line
        if self.edge:
            yield Segment(box.get_bottom(widths), plain)
            yield line

    def _row(
        self,
        console: Any,
        options: Any,
        cells: list[tuple[str, str]],
        sizes: list[int],
        widths: list[int],
        row_style: Style,
        edges: tuple[str, str, str],
        *,
        top: bool,
    ) -> Any:
        """One table row: usually one line; a cell too wide for its column folds as rich folds it."""
        left, divider, right = edges
        # As rich does: a blank divider takes the row's background, a drawn one stays plain.
        between = Segment(divider, row_style.background_style) if not divider.strip() else Segment(divider)
        padding = Segment(" " * self.pad, row_style)
        rendered: list[list[list[Segment]]] = []
        for (text, style), size, width, column in zip(cells, sizes, widths, self.columns, strict=True):
            inner = width - 2 * self.pad
            if size <= inner and text.isprintable():  # a newline or a tab: rich lays it out
                fill = " " * (inner - size)
                body = Segment(fill + text if column.justify == "right" else text + fill,
                               row_style + Style.parse(style) if style else row_style)  # fmt: skip
                rendered.append([[padding, body, padding] if self.pad else [body]])
            else:  # the rare cell that folds: rich's own wrapping
                cell = Padding(Text(text, style=style), (0, self.pad))
                cell_options = options.update(
                    width=width, justify=column.justify, no_wrap=False, overflow="fold", height=None
                )
                rendered.append(console.render_lines(cell, cell_options, style=row_style))
        height = max(1, *(len(r) for r in rendered))
        # Shorter cells get blank lines: body cells keep to the top, header cells to the bottom.
        for r, width in zip(rendered, widths, strict=True):
            if len(r) < height:
                blank = [[Segment(" " * width, row_style)]] * (height - len(r))
                r[:] = r + blank if top else blank + r
        for n in range(height):
            if self.edge:
                yield Segment(left)
            for i, r in enumerate(rendered):
                if i:
                    yield between
                yield from r[n]
            if self.edge:
                yield Segment(right)
            yield Segment.line()


def text_width(text: str) -> int:
    """Terminal cells the text takes (its longest line), by render.grid's rule: the one the
    columns were laid out by, and the one the plain drawing of a pipe pads by."""
    return max(grid_width(line) for line in text.split("\n"))
