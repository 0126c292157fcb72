"""FastTable draws what rich's Table draws, character by character and style by style, and cuts nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from oss_tracker.render import table as render
from oss_tracker.render.fast_table import FastTable
from oss_tracker.render.text import cell, cell_kind
from oss_tracker.reports import compare as compare_report
from oss_tracker.reports import derivatives as derivative_report
from oss_tracker.reports import licences as licence_report
from oss_tracker.reports import org as reports
from oss_tracker.reports import releases as release_report
from oss_tracker.reports import trends as trend_report
from oss_tracker.reports.model import Column, Section
from oss_tracker.store.open import open_db

WIDTHS = [40, 60, 80, 100, 160, 250]


@pytest.fixture(scope="module")
def sections(bundled_history: Path) -> list[Section]:
    """Every table the reports draw from the bundled recordings."""
    db = open_db(bundled_history, create=False)
    orgs = [r[0] for r in db.execute("SELECT name FROM orgs ORDER BY name").fetchall()]
    built = [reports.org_report(db, org) for org in orgs]
    built += [
        trend_report.trends(db),
        trend_report.trends(db, interval="week"),
        trend_report.trends(db, metric="likes"),
        compare_report.compare(db, None),
        derivative_report.ranking(db),
        release_report.releases(db),
        licence_report.licenses_report(db),
    ]
    return [s for report in built for s in report.sections if s.rows and s.human]


def as_rich(table: FastTable) -> Table:
    """The same table given to rich's own Table."""
    out = Table(
        title=Text(table.title, style="bold"),
        title_justify="left",
        box=table.box,
        padding=(0, table.pad),
        show_edge=table.edge,
    )
    for c in table.columns:
        out.add_column(
            c.header, justify=c.justify, no_wrap=not c.wrap, min_width=c.min_width, overflow="fold"
        )
    for i, row in enumerate(table.rows):
        out.add_row(*(Text(t, style=s) for t, s in row), end_section=i in table.sections)
    return out


def drawn(renderable: object, width: int) -> list[list[tuple[str, Style]]]:
    """Each line as (character, style) pairs, with colours on."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    return [
        [(ch, seg.style or Style.null()) for seg in line for ch in seg.text]
        for line in console.render_lines(renderable, console.options, pad=False)
    ]


def test_every_report_table_that_fits_is_drawn_as_rich_draws_it(sections: list[Section]) -> None:
    compared = folded = 0
    for section in sections:
        for width in WIDTHS:
            table = render._table(section, width)
            if table.width(width) > width:
                continue  # rich would cut numbers there: see the next test
            assert drawn(table, width) == drawn(as_rich(table), width), (section.title, width)
            compared += 1
            folded += table.layout(width) != table.layout(10_000)
    # The comparison covers bordered and compact tables, and tables whose free text folds.
    assert compared >= 150 and folded >= 5, (compared, folded)
    assert {render._table(s, 250).edge for s in sections} == {True}
    assert {render._table(s, 60).edge for s in sections} == {True, False}


def test_a_table_too_wide_for_the_terminal_is_printed_whole(sections: list[Section]) -> None:
    """rich would squeeze and cut numbers; we print every cell whole, past the terminal's edge."""
    side_by_side = next(s for s in sections if s.title == "Side by side")
    console = Console(file=io.StringIO(), width=40, force_terminal=False)
    console.print(render._table(side_by_side, 40), crop=False)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in text.splitlines()) > 40
    table = render._table(side_by_side, 40)
    shown = [c for c in side_by_side.columns if c.table]
    checked = 0
    for row in side_by_side.rows:
        for column, spec in zip(shown, table.columns, strict=True):
            value = cell(row.get(column.key), cell_kind(side_by_side, row, column))
            if not spec.wrap:  # numbers and names whole; free text (a metric's name) may fold
                assert value in text, value
            checked += not spec.wrap
    assert checked == len(side_by_side.rows) * (len(shown) - 1)
    cut = Console(file=io.StringIO(), width=40, force_terminal=False)
    cut.print(as_rich(render._table(side_by_side, 40)))
    assert "1,060" not in cut.file.getvalue()  # type: ignore[attr-defined]  # what rich alone would print


def test_long_free_text_folds_and_lines_break_as_in_rich() -> None:
    section = Section(
        "Notes",
        [Column("org", "Org"), Column("n", "Count", "int"), Column("note", "What the note says")],
        [
            {"org": "Qwen", "n": -5, "note": "a note long enough to fold at a narrow width, twice over"},
            {"org": "deepseek-ai", "n": 12, "note": "two\nlines"},
            {"org": "MiniMaxAI", "n": 0, "note": "unbreakablewordthatmustbefoldedsomewhere"},
            {"org": "moonshotai", "n": 3, "note": "a\ttab, and 中文 two cells a character"},
        ],
    )
    for width in (30, 40, 50, 70, 120):
        table = render._table(section, width)
        assert table.width(width) <= width
        assert drawn(table, width) == drawn(as_rich(table), width), width
    narrow = render._table(section, 40)
    assert len(drawn(narrow, 40)) > len(section.rows) + 4  # rows fold onto several lines


def test_ascii_only_terminals_get_ascii_boxes(sections: list[Section], tmp_path: Path) -> None:
    def ascii_text(renderable: object, name: str) -> str:
        out = tmp_path / name
        with out.open("w", encoding="ascii", errors="replace") as f:
            Console(file=f, width=160, force_terminal=False, legacy_windows=False).print(
                renderable, crop=False
            )
        return out.read_text()

    table = render._table(sections[0], 160)
    text = ascii_text(table, "fast.txt")
    assert "+" in text and "┏" not in text
    assert text == ascii_text(as_rich(table), "rich.txt")


def test_a_folding_column_squeezed_to_nothing_still_draws_as_rich_does() -> None:
    from rich import box

    from oss_tracker.render.fast_table import FastColumn

    table = FastTable(
        "T",
        box.HEAVY_HEAD,
        [
            FastColumn("H", "left", True, 1),
            FastColumn("H", "right", False, 4),
            FastColumn("H", "left", True, 0),
        ],
    )
    table.add_row([("ccc eeeeeeeeee", ""), ("bb", ""), ("a", "")])
    for width in range(8, 40):
        if table.width(width) <= width:
            assert drawn(table, width) == drawn(as_rich(table), width), width
        else:
            drawn(table, width)  # too narrow for rich too: drawn whole, no error
