"""A value as people read it, and time series as text (sparklines): what every human format shares."""

from __future__ import annotations

from typing import Any

from oss_tracker.escape import visible
from oss_tracker.humanize import human_date, human_datetime, human_period, human_size
from oss_tracker.reports.model import Chart, Column, Section

NUMERIC = ("delta", "int", "float", "pct", "share", "size", "rate")


def cell(value: Any, kind: str) -> str:
    """A value for people: thousands separators, signed changes, human dates."""
    if value is None:
        return "—" if kind in NUMERIC else ""
    if kind == "int":
        return f"{value:,}"
    if kind == "delta":
        return f"{value:+,}" if value else "0"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "rate":  # a per-day rate: whole units unless small
        return f"{value:+,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:+,.1f}"
    if kind == "pct":
        return f"{value:+.1f}%" if isinstance(value, int | float) else str(value)
    if kind == "share":
        return f"{value:.1f}%"
    if kind == "size":
        return human_size(value)
    if kind == "date":
        return human_date(value)
    if kind == "datetime":
        return human_datetime(value)
    if kind == "period":
        return human_period(value)
    if kind == "bool":
        return "yes" if value else ""
    return str(value)


SPARKS = "▁▂▃▄▅▆▇█"


GAP_MARK = "·"


def sparkline(values: list[float | None]) -> str:
    """One character a value, scaled from the smallest to the largest; `·` for a gap."""
    real = [v for v in values if v is not None]
    if not real:
        return GAP_MARK * len(values)
    lo, hi = min(real), max(real)
    out = []
    for v in values:
        if v is None:
            out.append(GAP_MARK)
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))])
    return "".join(out)


SPARK_WIDTH = 60


def chart_title(chart: Chart) -> str:
    """The chart's title, with the key to the gap mark when a series has a gap."""
    gaps = any(v is None for s in chart.series for v in s.values[s.offset :])
    return f"{chart.title} ({GAP_MARK} = no snapshot)" if gaps else chart.title


def chart_lines(chart: Chart) -> list[str]:
    """The chart as text: one sparkline a series (the last 60 values), its name and latest value.

    Series names and notes (org names, model ids) come out with control characters escaped."""
    names = [visible(s.name) for s in chart.series]
    width = max((len(name) for name in names), default=0)
    cut = max(0, len(chart.x) - SPARK_WIDTH)
    lines = []
    for s, name in zip(chart.series, names, strict=True):
        shown = s.values[max(cut, s.offset) :]
        spark = sparkline(shown)
        lead = " " * max(0, s.offset - cut)
        last = next((v for v in reversed(s.values) if v is not None), None)
        tail = "" if last is None else f"  {cell(last, chart.kind)}"
        if s.note:
            tail += f"  ({visible(s.note)})"
        more = "…" if cut else ""
        lines.append(f"{name.ljust(width)}  {more}{lead}{spark}{tail}")
    return lines


def cell_kind(section: Section, row: dict[str, Any], column: Column) -> str:
    """A column's kind, or for a row of mixed metrics (compare) the row's own kind for its numbers."""
    if section.row_kind and column.kind in NUMERIC and row.get(section.row_kind):
        return str(row[section.row_kind])
    return column.kind
