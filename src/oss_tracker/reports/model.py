"""The report model: what every report returns and every format renders (no queries, no formatting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Column:
    key: str
    title: str
    # str | int | delta | date | datetime | period | float | rate | pct | share | size | bool
    kind: str = "str"
    table: bool = True  # shown in the table and Markdown forms
    csv: bool = True  # written in the CSV form


@dataclass
class Section:
    """One table of a report: what the table, CSV and Markdown formats show."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    empty: str = "nothing to show"
    group: str | None = None  # a key whose change of value draws a line in the table
    human: bool = True  # False: a section only the CSV form writes (see Report.main)
    row_kind: str | None = None  # a key whose value is the kind of the row's numeric cells
    # Markdown only: each row a bullet rather than a table row (a digest to paste into a
    # newsletter). item[0] is the bullet's head; the other parts follow it after a colon, joined
    # by commas. A part is text with `{key}` placeholders, each value shown as its column's kind
    # would be; a part whose every value is empty (None or "") is left out.
    item: tuple[str, ...] = ()


@dataclass
class ChartSeries:
    name: str
    values: list[float | None]  # one a Chart.x; None is a gap (no snapshot)
    note: str = ""
    offset: int = 0  # values before this index are not tracked yet: drawn as nothing


@dataclass
class Chart:
    """A small time-series chart: a sparkline a series in the terminal, lines in --plot."""

    title: str
    x: list[str]  # ISO dates, one a value
    series: list[ChartSeries]
    kind: str = "int"  # how a value is shown (a Column kind)
    y_label: str = ""
    style: str = "line"  # line (a level or rate over time) | bar (counts per period, stacked)
    x_kind: str = "date"  # date (x are ISO dates) | category (x are names: orgs, licences...)
    note: str = ""  # what the chart shows and where its numbers come from (the site prints it)


@dataclass
class Report:
    """A report's raw data (the JSON form) and its sections (the human forms)."""

    title: str
    data: Any
    sections: list[Section] = field(default_factory=list)
    footer: str = ""
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warning lines above the tables
    main: int | None = None  # the section the CSV form writes (default: the first list)


@dataclass
class Page:
    """One page of the static site (`oss-tracker site`): its reports, one under the other."""

    kind: str  # overview | org | company | model | derivatives | releases
    name: str  # the org, company or repo id it is about ("" for the site-wide pages)
    reports: list[Report]


@dataclass
class Site:
    """What `oss-tracker site` publishes: its pages, and the entries of its Atom feed."""

    title: str
    pages: list[Page]
    feed: Report  # data["entries"]: releases, licence changes, renames and removals, newest first
    as_of: str | None  # the latest stored run
    note: str  # one line every page shows under its title: history span, archive, demo data
