"""Values in words for people: dates, periods, sizes, byte counts (shared by reports and render)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(value: Any) -> str:
    """`2025-11-24...` -> `24 Nov 2025` (anything else is shown as it is)."""
    text = str(value)
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not m:
        return text
    return f"{int(m[3])} {MONTHS[int(m[2]) - 1]} {m[1]}"


def human_datetime(value: Any) -> str:
    """`2025-11-24T06:00:00Z` -> `24 Nov 2025 06:00 UTC`."""
    text = str(value)
    m = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})", text)
    return f"{human_date(m[1])} {m[2]} UTC" if m else human_date(text)


def human_period(label: Any) -> str:
    """A bucket label: `2025-11-24` (day), `2025-W48` (week), `2025-11` (month)."""
    text = str(label)
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        sunday = monday + timedelta(days=6)
        return f"W{m[2]} {human_date(monday.isoformat())}–{human_date(sunday.isoformat())}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return f"{MONTHS[int(m[2]) - 1]} {m[1]}"
    return human_date(text)


def human_size(parameters: Any) -> str:
    """A parameter count: 7615616512 -> `7.6B`, 494032768 -> `494M`, 1.5e12 -> `1.5T`."""
    n = float(parameters)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= limit:
            v = n / limit
            return f"{v:.1f}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return f"{n:.0f}"


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover
