"""Tables as text, without rich: the cells of a section, their widths in terminal cells, the
layout a terminal of a given width gets, and the characters an output encoding can take.

A table drawn into a pipe or a file never imports rich (start-up cost): `render.plain` draws
it from a `Grid`. A terminal gets rich (colours), laid out here first, so that both agree on
what a cell holds. Identifiers, licences, tags, numbers and dates are never cut or folded:
only free text (a note, a detail, a status value) gives way, shortened with an ellipsis.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from oss_tracker.escape import visible
from oss_tracker.render.text import NUMERIC, cell, cell_kind
from oss_tracker.reports.model import Section

# Columns of sentences: the only ones shortened (with an ellipsis) when a terminal is too
# narrow. Every other column (ids, orgs, licences, tags, pipelines, numbers, dates, a
# metric's name) is kept whole: the table runs past the edge rather than cut a token.
FREE_TEXT = ("note", "detail", "shift", "value")
FREE_MIN = 12  # a shortened free-text column keeps at least this many cells (or its header)

# The characters of our own drawing and text, for an output that cannot encode them
# (`PYTHONIOENCODING=ascii`, a Latin-1 terminal): one for one, so a layout keeps its widths,
# but the ellipsis (three dots).
SPARKS_ASCII = "_.-~=+*#"
_ASCII_MAP = str.maketrans(
    {"—": "-", "–": "-", "·": ".", "…": "...", **dict(zip("▁▂▃▄▅▆▇█", SPARKS_ASCII, strict=True))}
)
FANCY_SAMPLE = "┏━┳┓┃┡╇┩│├─┼┤└┴┘▁█—–·…"


# (Plain classes, not dataclasses: a dataclass costs a fraction of a millisecond to create at
# import, and this module is on every report's start-up path.)
class Charset:
    """What the output can encode: everything (`fancy`), else ASCII drawing, and any other
    character it cannot take written as a backslash escape (`\\u4e2d`), never an error."""

    __slots__ = ("encoding", "fancy")

    def __init__(self, encoding: str = "utf-8", fancy: bool = True) -> None:
        self.encoding = encoding
        self.fancy = fancy

    @property
    def ellipsis(self) -> str:
        return "…" if self.fancy else "..."

    def text(self, value: str) -> str:
        """A string from a report, safe to show (`visible`) and to encode."""
        return visible(value) if self.fancy else self.encodable(visible(value))

    def encodable(self, text: str, *, drawing: bool = True) -> str:
        """`text` as the output can take it: our own drawing characters in ASCII (`drawing`),
        any other character it cannot encode as a backslash escape."""
        if self.fancy or text.isascii():
            return text
        if drawing:
            text = text.translate(_ASCII_MAP)
        return text.encode(self.encoding, "backslashreplace").decode(self.encoding)


def charset_for(encoding: str | None) -> Charset:
    """The charset an output stream's encoding allows (None or unknown: UTF-8)."""
    name = encoding or "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return Charset()
    try:
        FANCY_SAMPLE.encode(codec)
    except UnicodeEncodeError:
        return Charset(codec, fancy=False)
    return Charset(codec)


def text_width(text: str) -> int:
    """Terminal cells a line of text takes: wide (East Asian) characters two, combining
    characters none; plain ASCII is one cell a character."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    import unicodedata  # only for text past ASCII

    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def shorten(text: str, width: int, ellipsis: str = "…") -> str:
    """`text` cut to `width` cells, the cut shown with an ellipsis."""
    if text_width(text) <= width:
        return text
    room = width - text_width(ellipsis)
    out, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + ellipsis


class Grid:
    """One table: title, header, rows of (text, tone) cells, ready to lay out and draw."""

    __slots__ = ("title", "headers", "right", "free", "rows", "ends")

    def __init__(
        self,
        title: str,
        headers: list[str],
        right: list[bool],  # right-aligned (numbers)
        free: list[bool],  # free text: may be shortened on a narrow terminal
        rows: list[list[tuple[str, str]]],
        ends: set[int],  # rows followed by a group separator line
    ) -> None:
        self.title, self.headers, self.right, self.free = title, headers, right, free
        self.rows, self.ends = rows, ends

    def cell_widths(self) -> list[int]:
        """Each column's widest cell, the header left out."""
        widths = [0] * len(self.headers)
        for row in self.rows:
            for i, (text, _tone) in enumerate(row):
                w = text_width(text)
                if w > widths[i]:
                    widths[i] = w
        return widths

    def natural(self) -> list[int]:
        """Each column's width with nothing cut and the header on one line."""
        return [max(text_width(h), w) for h, w in zip(self.headers, self.cell_widths(), strict=True)]


def grid(section: Section, text: Callable[[str], str] = visible) -> Grid:
    """A section's table: the columns it shows, each value as people read it (`text` makes
    every string safe to show and to encode)."""
    columns = [c for c in section.columns if c.table]
    rows = []
    for r in section.rows:
        row = []
        for c in columns:
            kind = cell_kind(section, r, c)
            value = r.get(c.key)
            row.append((text(cell(value, kind)), _tone(value, kind)))
        rows.append(row)
    ends = set()
    if section.group is not None:
        for i in range(len(section.rows) - 1):
            if section.rows[i + 1].get(section.group) != section.rows[i].get(section.group):
                ends.add(i)
    return Grid(
        text(section.title),
        [text(c.title) for c in columns],
        [c.kind in NUMERIC for c in columns],
        [c.key in FREE_TEXT and c.kind not in NUMERIC for c in columns],
        rows,
        ends,
    )


def _tone(value: object, kind: str) -> str:
    """Red for a fall, green for a rise; nothing else is coloured."""
    if kind in ("delta", "rate", "pct") and isinstance(value, int | float):
        return "red" if value < 0 else "green" if value > 0 else ""
    return ""


class Layout:
    """Inner column widths (padding and borders left out) and whether the table is drawn
    compact (no outer border, no padding); free text longer than its column is shortened."""

    __slots__ = ("widths", "compact")

    def __init__(self, widths: list[int], compact: bool = False) -> None:
        self.widths = widths
        self.compact = compact

    def total(self) -> int:
        return table_width(self.widths, self.compact)


def table_width(widths: list[int], compact: bool) -> int:
    """The width of a table with these inner column widths: one divider between columns,
    and in a bordered table two borders and a space each side of every cell."""
    if compact:
        return sum(widths) + max(0, len(widths) - 1)
    return sum(widths) + 3 * len(widths) + 1


def layout(g: Grid, max_width: int | None, ellipsis: str = "…") -> Layout:
    """The widths a table takes in `max_width` cells (None: no limit), giving way in this order:
    headers wrap between their words, the borders go, free text is shortened (never below
    FREE_MIN cells or its header's longest word). Nothing else is ever narrowed: a table that
    still does not fit runs past the edge."""
    natural = g.natural()
    if max_width is None:
        return Layout(natural)
    cells = g.cell_widths()
    words = [max((text_width(w) for w in h.split()), default=0) for h in g.headers]
    wrapped = [max(c, w) for c, w in zip(cells, words, strict=True)]  # headers wrapped at spaces
    for compact in (False, True):
        if table_width(natural, compact) <= max_width:
            return Layout(natural, compact)
        if table_width(wrapped, compact) <= max_width:
            return Layout(_widen(wrapped, natural, max_width, compact), compact)
    floor = [
        max(min(c, max(FREE_MIN, text_width(ellipsis))), w) if free else n
        for c, w, n, free in zip(cells, words, wrapped, g.free, strict=True)
    ]
    widths = _narrow(wrapped, floor, table_width(wrapped, True) - max_width)
    return Layout(widths, compact=True)


def _widen(widths: list[int], natural: list[int], max_width: int, compact: bool) -> list[int]:
    """Give the room left back to wrapped headers, left to right, so that fewer wrap."""
    out = widths[:]
    room = max_width - table_width(out, compact)
    for i, want in enumerate(natural):
        grow = min(room, want - out[i])
        if grow > 0:
            out[i] += grow
            room -= grow
    return out


def _narrow(widths: list[int], floor: list[int], excess: int) -> list[int]:
    """Take `excess` cells from the widest columns that may give way, one cell at a time, never
    below their floor."""
    out = widths[:]
    while excess > 0:
        candidates = [i for i, (w, f) in enumerate(zip(out, floor, strict=True)) if w > f]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: (out[i], -i))
        out[widest] -= 1
        excess -= 1
    return out


def fitted(g: Grid, fit: Layout, ellipsis: str = "…") -> Grid:
    """The grid with each free-text cell longer than its column shortened to fit."""
    if fit.widths == g.natural():
        return g
    rows = [
        [
            (shorten(text, width, ellipsis), tone) if free else (text, tone)
            for (text, tone), width, free in zip(row, fit.widths, g.free, strict=True)
        ]
        for row in g.rows
    ]
    return Grid(g.title, g.headers, g.right, g.free, rows, g.ends)
