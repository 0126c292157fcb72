"""Charts for the site: a report's Chart as a plotly.js figure, and plotly.js itself.

plotly.js (MIT) draws the charts in the browser, as SVG: each point a mark, a log axis a
relayout away. It comes from the installed `plotly` Python package (`pip install
'oss-tracker[site]'`), which ships it as `plotly/package_data/plotly.min.js`: found without
importing the package (plotly's Python side is never used: the figures are plain data), and
copied into the site once, named by its version, for every page to share. Nothing is fetched.

Every text plotly shows (series names, category labels, axis titles) is HTML-escaped here:
plotly reads `<b>`, `<br>` and `<a href>` in them as markup, and a model id is hostile input.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from oss_tracker.errors import TrackerError
from oss_tracker.escape import visible
from oss_tracker.reports.model import Chart

NO_PLOTLY = (
    "site needs plotly (the charting library it publishes), which is not installed: "
    "pip install 'oss-tracker[site]' (from a clone: pip install -e '.[site]')"
)
LOG_RATIO = 10  # the log switch is offered when the largest series peaks 10x above the smallest
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# More than 10 series (plotly's own colours): 20 distinct ones, in pairs of a dark and a light.
COLOURS_20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
              "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
              "#17becf", "#9edae5"]  # fmt: skip
HOVER = {"int": ",d", "delta": "+,d", "rate": ",.0f", "float": ",.2f", "share": ".1f", "pct": "+.2f"}


class SiteLibraryError(TrackerError):
    """plotly (which ships plotly.js) is not installed, or holds no plotly.min.js."""


def library_path() -> Path:
    """The installed plotly.min.js; SiteLibraryError if there is none. The package is looked up,
    not imported."""
    try:
        spec = importlib.util.find_spec("plotly")
    except (ImportError, ValueError):  # a broken entry in sys.modules
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SiteLibraryError(NO_PLOTLY)
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    raise SiteLibraryError(f"the installed plotly holds no package_data/plotly.min.js: {NO_PLOTLY}")


def library() -> tuple[str, bytes]:
    """plotly.js's file name in the site (its version in it, so a cache never mixes two) and content."""
    content = library_path().read_bytes()
    found = re.search(rb"plotly\.js v([0-9][0-9A-Za-z.+-]{0,40})", content[:400])
    version = found.group(1).decode() if found else "unknown"
    return f"plotly-{version}.min.js", content


def text(value: str) -> str:
    """A string from outside, for plotly: control characters shown (`visible`), markup escaped."""
    return escape(visible(value), quote=False)


def log_useful(chart: Chart) -> bool:
    """Whether one series dwarfs another (a log scale shows both): peaks 10x apart or more."""
    peaks = [max((v for v in s.values if v is not None and v > 0), default=0) for s in chart.series]
    positive = [p for p in peaks if p > 0]
    return len(positive) > 1 and max(positive) >= LOG_RATIO * min(positive)


def points(chart: Chart) -> list[list[tuple[str, float | None]]]:
    """Each series' (x, value) pairs as drawn: from its offset on (before it: not tracked yet).
    A bar chart leaves out what has no value; a line keeps a gap (it breaks the line)."""
    out = []
    for s in chart.series:
        pairs = list(zip(chart.x[s.offset :], s.values[s.offset :], strict=True))
        out.append([p for p in pairs if p[1] is not None] if chart.style == "bar" else pairs)
    return out


DAY_MS = 86_400_000


def _xaxis(chart: Chart) -> dict[str, Any]:
    """Categories as given; dates as days (a snapshot is a day's value: no hours on the axis)."""
    if chart.x_kind == "category":
        return {"type": "category", "automargin": True}
    axis: dict[str, Any] = {"type": "date", "automargin": True, "tickformat": "%-d %b %Y"}
    try:
        span = (date.fromisoformat(max(chart.x)[:10]) - date.fromisoformat(min(chart.x)[:10])).days
    except ValueError:
        return axis
    if chart.style == "bar" and all(x.endswith("-01") for x in chart.x):
        axis["tickformat"] = "%b %Y"  # a bar a month
    elif span <= 31:
        axis["dtick"] = DAY_MS * (1 if span <= 14 else 7)
    return axis


def figure(chart: Chart) -> dict[str, Any]:
    """The plotly.js figure (data and layout) of a chart."""
    bar = chart.style == "bar"
    traces = []
    for s, pairs in zip(chart.series, points(chart), strict=True):
        trace: dict[str, Any] = {
            "type": "bar" if bar else "scatter",
            "name": text(s.name),
            "x": [text(x) for x, _ in pairs],
            "y": [v for _, v in pairs],
        }
        if not bar:
            trace |= {
                "mode": "lines+markers",
                "connectgaps": False,
                "marker": {"size": 5},
                "line": {"width": 1.6},
            }
        traces.append(trace)
    fmt = HOVER.get(chart.kind, "")
    share = chart.kind in ("share", "pct")
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "height": 380,
        "showlegend": len(traces) > 1,
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.15},
        "hovermode": "x unified" if len(traces) > 1 else "closest",
        "xaxis": _xaxis(chart),
        "yaxis": {
            "title": {"text": text(chart.y_label)},
            "automargin": True,
            "rangemode": "tozero",
            "hoverformat": fmt,
            "ticksuffix": "%" if share else "",
        },
    }
    if bar:
        layout["barmode"] = "stack"
    if len(traces) > 10:
        layout["colorway"] = COLOURS_20
    return {"data": traces, "layout": layout}
