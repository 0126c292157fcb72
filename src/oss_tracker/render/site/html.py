"""A page of the site as HTML: its reports' charts (each with its numbers in a table), their
sections as tables, notes and footers.

Every string that reaches the page goes through `h` (control characters shown as escapes by
`visible`, then `& < > " '` escaped): model ids, licences and names are hostile input. The
charts' figures travel as data in a `<script type="application/json">` element, with `<`, `>`
and `&` written as JSON escapes so that no string can close it. A Content-Security-Policy allows
scripts only from the site's own files: even markup that got in could run nothing, nor load
anything from another origin.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from oss_tracker.escape import visible
from oss_tracker.humanize import human_date, human_period
from oss_tracker.render.site import plot
from oss_tracker.render.text import NUMERIC, cell, cell_kind
from oss_tracker.reports.model import Chart, Page, Report, Section

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'"
)
# Columns whose values name a page of the site: a model's (repo ids) or an account's.
MODEL_KEYS = ("id", "model", "base", "to", "from", "value")
ORG_KEYS = ("org", "base_org", "value")


def h(value: Any) -> str:
    """Text for HTML (element content or a quoted attribute)."""
    return escape(visible(str(value)), quote=True)


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: `<`, `>`, `&` and the JS line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(ch, esc)
    return text


class Links:
    """Where each page lives (paths from the site's root), to link names in tables to their pages."""

    def __init__(self, paths: dict[tuple[str, str], str]) -> None:
        self.paths = paths

    def href(self, kind: str, name: str, root: str) -> str | None:
        path = self.paths.get((kind, name))
        return None if path is None else root + path


def page_html(
    page: Page,
    *,
    title: str,
    site_title: str,
    note: str,
    root: str,
    library: str,
    links: Links,
    index: list[tuple[str, list[tuple[str, str]]]] | None = None,
) -> str:
    """The whole HTML document of a page."""
    figures: list[dict[str, Any]] = []
    body: list[str] = []
    for n, report in enumerate(page.reports):
        body.append(_report(report, first=n == 0, figures=figures, root=root, links=links, note=note))
    if index:
        body.append(_index(index, root))
    nav = " ".join(
        f'<a href="{h(root + path)}">{h(label)}</a>'
        for path, label in (("index.html", "Overview"), ("derivatives.html", "Derivatives"),
                            ("releases.html", "Releases and changes"), ("feed.xml", "Atom feed"))
    )  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{h(CSP)}">
<meta name="referrer" content="no-referrer">
<title>{h(title)}</title>
<link rel="stylesheet" href="{h(root)}assets/site.css">
<link rel="alternate" type="application/atom+xml" title="{h(site_title)}: releases and changes" href="{h(root)}feed.xml">
<script src="{h(root)}assets/{h(library)}" defer></script>
<script src="{h(root)}assets/site.js" defer></script>
</head>
<body>
<header><nav aria-label="Site">{nav}</nav></header>
<main>
{"".join(body)}
</main>
<script type="application/json" id="figures">{script_json(figures)}</script>
</body>
</html>
"""


def _report(
    report: Report, *, first: bool, figures: list[dict[str, Any]], root: str, links: Links, note: str
) -> str:
    top, sub = ("h1", "h2") if first else ("h2", "h3")
    out = [f'<section class="report">\n<{top}>{h(report.title)}</{top}>\n']
    if first:  # what the whole site rests on: as of, the history's span, archived days, demo data
        out.append(f'<p class="meta">{h(note)}</p>\n')
    out += [f'<p class="warning">{h(note)}</p>\n' for note in report.notes]
    for chart in report.charts:
        out.append(_chart(chart, len(figures), sub))
        figures.append(plot.figure(chart))
    for section in report.sections:
        if section.human:
            out.append(_section(section, sub, root, links))
    if report.footer:
        out.append(f'<p class="footer">{h(report.footer)}</p>\n')
    out.append("</section>\n")
    return "".join(out)


def _chart(chart: Chart, number: int, heading: str) -> str:
    """A chart's figure: title, what it shows and its source, the log switch where one series
    dwarfs the others, the plot, and its numbers in a table."""
    log = ""
    if plot.log_useful(chart):
        log = (
            f'<div class="controls"><button type="button" data-log="{number}" aria-pressed="false" '
            'title="A log scale shows small series beside large ones; it leaves out zeros and negative values">'
            "Log scale</button></div>\n"
        )
    label = f"{chart.title}: a chart; its numbers are in the table below it"
    return (
        f'<figure class="chart" id="chart-{number}">\n<figcaption><{heading}>{h(chart.title)}</{heading}>\n'
        f'<p class="note">{h(chart.note)}</p></figcaption>\n{log}'
        f'<div class="plot" data-chart="{number}" role="img" aria-label="{h(label)}"></div>\n'
        f'<details class="numbers"><summary>The numbers (table)</summary>\n{_chart_table(chart, number)}</details>\n'
        "</figure>\n"
    )


def _chart_table(chart: Chart, number: int) -> str:
    """One row an x value, one column a series; what is drawn has a value here, what is not
    (a gap, or before the series starts) is empty."""
    months = chart.style == "bar" and chart.x_kind == "date" and all(x.endswith("-01") for x in chart.x)
    head = "Category" if chart.x_kind == "category" else ("Month" if months else "Date")
    rows = []
    drawn = [dict(pairs) for pairs in plot.points(chart)]
    for i, x in enumerate(chart.x):
        shown = x if chart.x_kind == "category" else (human_period(x[:7]) if months else human_date(x))
        cells = []
        for s, values in zip(chart.series, drawn, strict=True):
            v = values.get(x) if i >= s.offset else None
            cells.append(
                f'<td data-value="{h(_raw(v))}">{h(cell(v, chart.kind))}</td>'
                if v is not None
                else "<td></td>"
            )
        rows.append(f'<tr><th scope="row" data-value="{h(x)}">{h(shown)}</th>{"".join(cells)}</tr>\n')
    names = "".join(f'<th scope="col">{h(s.name)}</th>' for s in chart.series)
    return (
        f'<div class="table-wrap"><table class="numbers" data-chart-table="{number}">\n'
        f"<caption>{h(chart.title)}</caption>\n"
        f'<thead><tr><th scope="col">{head}</th>{names}</tr></thead>\n<tbody>\n{"".join(rows)}</tbody></table></div>\n'
    )


def _number(value: Any, kind: str) -> str:
    return f'<td class="num" data-value="{h(_raw(value))}">{h(cell(value, kind))}</td>'


def _raw(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _section(section: Section, heading: str, root: str, links: Links) -> str:
    columns = [c for c in section.columns if c.table]
    if not section.rows:
        return f'<{heading}>{h(section.title)}</{heading}>\n<p class="empty">{h(section.empty)}</p>\n'
    head = "".join(
        f'<th scope="col" class="num">{h(c.title)}</th>'
        if c.kind in NUMERIC
        else f'<th scope="col">{h(c.title)}</th>'
        for c in columns
    )
    body = []
    for row in section.rows:
        cells = []
        for c in columns:
            kind = cell_kind(section, row, c)
            value = row.get(c.key)
            if kind in NUMERIC and value is not None and not isinstance(value, str):
                cells.append(_number(value, kind))
            elif value is None:
                cells.append('<td class="num">—</td>' if kind in NUMERIC else "<td></td>")
            else:
                cells.append(_text_cell(c.key, value, kind, root, links))
        body.append(f"<tr>{''.join(cells)}</tr>\n")
    return (
        f"<{heading}>{h(section.title)}</{heading}>\n"
        f'<div class="table-wrap"><table class="section">\n<caption>{h(section.title)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{''.join(body)}</tbody></table></div>\n"
    )


def _text_cell(key: str, value: Any, kind: str, root: str, links: Links) -> str:
    shown = cell(value, kind)
    raw = f' data-value="{h(value)}"' if kind in ("date", "datetime", "period") else ""
    if isinstance(value, str):
        href = (links.href("model", value, root) if key in MODEL_KEYS else None) or (
            links.href("org", value, root) if key in ORG_KEYS else None
        )
        if key == "company":
            href = links.href("company", value, root)
        if href is not None:
            return f'<td{raw}><a href="{h(href)}">{h(shown)}</a></td>'
    return f"<td{raw}>{h(shown)}</td>"


def _index(index: list[tuple[str, list[tuple[str, str]]]], root: str) -> str:
    out = ['<section class="report">\n']
    for title, entries in index:
        if not entries:
            continue
        items = "".join(f'<li><a href="{h(root + path)}">{h(name)}</a></li>' for name, path in entries)
        out.append(f'<h2>{h(title)}</h2>\n<ul class="pages">{items}</ul>\n')
    out.append("</section>\n")
    return "".join(out)
