"""FastTable draws what rich's Table draws, character by character and style by style, and cuts nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console, Group
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

# A table with a free-text column (the note) beside ids, a licence, a number and a date.
FREE = Section(
    "Notes",
    [Column("org", "Org"), Column("license", "Licence"), Column("n", "Count", "int"),
     Column("at", "Date", "date"), Column("note", "What the note says")],
    [
        {"org": "Qwen", "license": "apache-2.0", "n": -5, "at": "2025-11-24",
         "note": "a note long enough to be shortened at a narrow width, twice over"},
        {"org": "deepseek-ai", "license": "minimax-model-agreement", "n": 12, "at": "2025-11-25",
         "note": "two\nlines"},
        {"org": "MiniMaxAI", "license": "mit", "n": 0, "at": "2025-11-26",
         "note": "unbreakablewordthatmustbeshortenedsomewhere"},
        {"org": "moonshotai", "license": "other", "n": 3, "at": "2025-11-27",
         "note": "a\ttab, and 中文 two cells a character"},
    ],
)  # fmt: skip


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


def as_rich(table: FastTable) -> Group:
    """The same table given to rich's own Table (with the same column widths), under its title
    as a line of text."""
    out = Table(
        box=table.box,
        padding=(0, table.pad),
        show_edge=table.edge,
    )
    for i, c in enumerate(table.columns):
        out.add_column(c.header, justify=c.justify, width=table.fixed[i], overflow="fold")
    for i, row in enumerate(table.rows):
        out.add_row(*(Text(t, style=s) for t, s in row), end_section=i in table.sections)
    return Group(Text(table.title, style="bold", justify="left"), out)


def drawn(renderable: object, width: int) -> list[list[tuple[str, Style]]]:
    """Each line as (character, style) pairs, with colours on."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    return [
        [(ch, seg.style or Style.null()) for seg in line for ch in seg.text]
        for line in console.render_lines(renderable, console.options, pad=False)
    ]


def plain_text(renderable: object, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    console.print(renderable, crop=False)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]


def test_every_report_table_that_fits_is_drawn_as_rich_draws_it(sections: list[Section]) -> None:
    compared = shortened = wrapped = 0
    for section in [*sections, FREE]:
        for width in WIDTHS:
            table = render._table(section, width)
            if table.width() > width:
                continue  # rich would cut numbers there: see the next test
            assert drawn(table, width) == drawn(as_rich(table), width), (section.title, width)
            compared += 1
            shortened += any(t.endswith("…") for row in table.rows for t, _ in row)
            wrapped += len(drawn(table, width)) > len(table.rows) + len(table.sections) + 5 - 3 * (
                not table.edge
            )
    # The comparison covers bordered and compact tables, shortened free text and wrapped headers.
    assert compared >= 150 and shortened >= 2 and wrapped >= 3, (compared, shortened, wrapped)
    assert {render._table(s, 250).edge for s in sections} == {True}
    assert {render._table(s, 60).edge for s in sections} == {True, False}


def test_a_table_too_wide_for_the_terminal_is_printed_whole(sections: list[Section]) -> None:
    """rich would squeeze and cut numbers; we print every cell whole, past the terminal's edge."""
    side_by_side = next(s for s in sections if s.title == "Side by side")
    text = "\n".join(plain_text(render._table(side_by_side, 40), 40))
    assert max(len(line) for line in text.splitlines()) > 40
    shown = [c for c in side_by_side.columns if c.table]
    checked = 0
    for row in side_by_side.rows:
        for column in shown:
            value = cell(row.get(column.key), cell_kind(side_by_side, row, column))
            assert f" {value} " in f" {text} ".replace("\n", " "), value  # whole, metric names too
            checked += 1
    assert checked == len(side_by_side.rows) * len(shown)
    rich_alone = Table(box=None)
    for c in shown:
        rich_alone.add_column(c.title)
    for row in side_by_side.rows:
        rich_alone.add_row(*(cell(row.get(c.key), cell_kind(side_by_side, row, c)) for c in shown))
    squeezed = Console(file=io.StringIO(), width=40, force_terminal=False)
    squeezed.print(rich_alone)
    assert "1,060" not in squeezed.file.getvalue()  # type: ignore[attr-defined]  # what rich alone would print


def test_a_narrow_terminal_shortens_free_text_and_never_breaks_a_token() -> None:
    """Point 15: ids, licences, numbers and dates whole on one line; only the note gives way."""
    for width in range(30, 140, 7):
        table = render._table(FREE, width)
        lines = plain_text(table, width)
        under = next(i for i, line in enumerate(lines) if line[:1] in "┡─")  # the line under the header
        body = lines[under + 1 :][: len(FREE.rows)]
        assert len(body) == len(FREE.rows)  # one line a row: nothing folds
        for row, line in zip(FREE.rows, body, strict=True):
            for key in ("org", "license"):
                assert f" {row[key]} " in f" {line} ", (width, line)
            assert f" {cell(row['n'], 'int')} " in f" {line} " and cell(row["at"], "date") in line
        notes = [t for t, _ in (r[-1] for r in table.rows)]
        if table.width() <= width:
            assert drawn(table, width) == drawn(as_rich(table), width), width
        if width < 100:
            assert any(n.endswith("…") for n in notes), (width, notes)
        assert all(len(n) >= 12 for n in notes if n.endswith("…"))
    wide = render._table(FREE, 200)
    assert [t for t, _ in (r[-1] for r in wide.rows)][0] == FREE.rows[0]["note"]
    # Too narrow even so: the note at its floor (12 cells), its header wrapped, the rest whole.
    assert plain_text(render._table(FREE, 58), 58) == [
        "Notes",
        "                                                      What the",
        "Org         Licence                 Count Date        note says",
        "─" * 66,
        "Qwen        apache-2.0                 -5 24 Nov 2025 a note long…",
        "deepseek-ai minimax-model-agreement    12 25 Nov 2025 two\\nlines",
        "MiniMaxAI   mit                         0 26 Nov 2025 unbreakable…",
        "moonshotai  other                       3 27 Nov 2025 a\\ttab, and…",
    ]


def test_the_plain_drawing_is_the_rich_drawing_without_styles(sections: list[Section]) -> None:
    """A table for a pipe or a file (render.plain, no rich) has the characters a wide terminal
    gets from rich, line for line."""
    from oss_tracker.render.grid import grid
    from oss_tracker.render.plain import draw

    for section in [*sections, FREE]:
        assert draw(grid(section)) == plain_text(render._table(section, 10_000), 10_000), section.title
        assert draw(grid(section), ascii=True) == _ascii(render._table(section, 10_000)), section.title


class _AsciiOut(io.StringIO):
    encoding = "ascii"  # what rich reads to draw ASCII boxes


def _ascii(renderable: object) -> list[str]:
    out = _AsciiOut()
    console = Console(file=out, width=10_000, force_terminal=False, legacy_windows=False)
    assert console.options.ascii_only
    console.print(renderable, crop=False)
    return [line.rstrip() for line in out.getvalue().splitlines()]


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


def test_a_terminal_table_and_a_pipe_table_measure_text_alike() -> None:
    """One width rule (render.grid.text_width) lays the columns out and pads the cells, on a
    terminal as in a pipe: rich's own measure counts a spacing mark (Devanagari's ि) as no cell,
    where the layout counted one, and the terminal's cell came out one space wider."""
    from oss_tracker.render.grid import grid
    from oss_tracker.render.plain import draw

    marks = Section(
        "Marks",
        [Column("name", "Name"), Column("n", "Count", "int")],
        [{"name": "कि", "n": 1}, {"name": "wide 模型", "n": 22}, {"name": "abc", "n": 333}],
    )
    assert (
        draw(grid(marks))
        == plain_text(render._table(marks, 10_000), 10_000)
        == [
            "Marks",
            "┏━━━━━━━━━━━┳━━━━━━━┓",
            "┃ Name      ┃ Count ┃",
            "┡━━━━━━━━━━━╇━━━━━━━┩",
            "│ कि        │     1 │",
            "│ wide 模型 │    22 │",
            "│ abc       │   333 │",
            "└───────────┴───────┘",
        ]
    )
