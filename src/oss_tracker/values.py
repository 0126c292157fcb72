"""Checks for single values from the Hub: each gives the value fit to store, or None (unknown).

Small pure functions with no imports beyond the standard library: they run once per field
of every listing item (orgs of 20,000 models exist), so each is a few comparisons. A
value that fails a check is stored as NULL and counted by the caller, never rounded,
clamped or wrapped into a wrong number.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

# The largest integer a JSON number holds exactly (an IEEE double's 53-bit mantissa): the
# Hub's own counts are JavaScript numbers, so anything larger is not a count it can have
# meant, and 2**53 - 1 models' worth of them still sums within SQLite's 64-bit integers
# for a thousand models (past that, sync/run.py rolls the org back rather than wrap).
MAX_COUNT = 2**53 - 1
# trendingScore is a score, not a count (fractional values occur), but one beyond what a
# count may be is no score either.
MAX_SCORE = float(MAX_COUNT)

# The longest text kept. A Hub repo id is at most ~140 characters (a 96-character name and its
# namespace), licence names, pipeline and library tags are short slugs: 20,000 characters is
# no such thing, and one made a report's table take a minute to draw.
MAX_TEXT = 1000

# The Hub's floor for `createdAt`: repos older than this were all given 2022-03-02T23:29:04Z.
CREATED_FLOOR = "2022-03-02T00:00:00Z"
# `lastModified` can predate the floor (the repo's first commit), but not the Hub itself.
MODIFIED_FLOOR = "2015-01-01T00:00:00Z"


def created_sql(alias: str = "m") -> str:
    """SQL for a repo's stored createdAt where it can be true, else NULL: not before the Hub's
    floor, not later than a day after the tracker first saw the repo. A sync stores nothing
    else now; a database written before holds years like 999 (stored unpadded: `999-06-...`)
    or 9999, which must not break (or stretch to 108,000 months) a report, nor make a model
    created "after" a period's start whose downloads count whole (store/totals.py)."""
    c = f"{alias}.created_at"
    return (
        f"(CASE WHEN {c} >= '{CREATED_FLOOR}' "
        f"AND {c} <= strftime('%Y-%m-%dT%H:%M:%SZ', {alias}.first_seen, '+1 day') THEN {c} END)"
    )


# Three rules about characters, deliberately different, because they guard three things:
# - what can be STORED (here): a lone surrogate cannot be encoded as UTF-8 (SQLite would refuse
#   the whole run's insert), and NUL ends a C string in every tool that reads the file after us.
#   Every other character is data and is kept exactly (an ESC in a repo id is the Hub's).
# - what may be SHOWN raw (escape.visible): only what `str.isprintable()` accepts; everything
#   else, ESC, C1, bidi, zero-width and other format characters, NBSP, is escaped on output.
# - what a person may type into a LABEL (names._control: company, group, country): no control
#   character that would break the TOML line or reorder a terminal line (C0, DEL, C1, the line
#   separators, bidi overrides and isolates), but format characters such as the zero-width
#   joiner of an emoji sequence, or an NBSP, are fine in a name (and shown escaped).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# What the Hub sends: `2025-01-20T03:46:07.000Z`; the fraction is optional. ASCII digits only
# (`\d` would take other scripts' digits).
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]{1,9})?Z")


def count(value: Any) -> int | None:
    """A count: a whole number (an integral float too) in 0..MAX_COUNT, else None."""
    if type(value) is int:  # not bool, which is an int subclass
        return value if 0 <= value <= MAX_COUNT else None
    if type(value) is float and value.is_integer() and 0 <= value <= MAX_COUNT:
        return int(value)
    return None


def score(value: Any) -> float | None:
    """A trending score: a finite number within +-MAX_SCORE, else None (NaN fails both tests)."""
    if type(value) is float:
        return value if -MAX_SCORE <= value <= MAX_SCORE else None
    if type(value) is int:  # compared as an int first: float(10**400) raises OverflowError
        return float(value) if -MAX_COUNT <= value <= MAX_COUNT else None
    return None


def text(value: Any) -> str | None:
    """A non-empty string of at most MAX_TEXT characters that SQLite can store and other tools
    can read, else None."""
    if type(value) is not str or not value or len(value) > MAX_TEXT:
        return None
    if value.isascii():
        # A flag CPython keeps (O(1)): ASCII holds no surrogate, only a NUL needs looking for, and
        # most values never reach the regular expression.
        return value if "\x00" not in value else None
    return value if _BAD_TEXT.search(value) is None else None


def hub_date(value: Any, floor: str, ceiling: str) -> str | None:
    """A Hub date as `YYYY-MM-DDTHH:MM:SSZ` if it is a real moment within [floor, ceiling], else None.

    The bounds are strings of the same form: the format is fixed-width, so they compare as text.
    """
    if type(value) is not str:
        return None
    m = _DATE.fullmatch(value)
    if m is None:
        return None
    out = f"{m[1]}T{m[2]}Z"
    if not floor <= out <= ceiling:
        return None
    try:
        datetime.fromisoformat(out[:-1])  # a real day and time: not 2025-02-30, not 24:61
    except ValueError:
        return None
    return out


def unset(value: Any) -> bool:
    """What the Hub sends for a value it does not have: nothing, null or an empty string."""
    return value is None or value == ""


def json_int(digits: str) -> int | float:
    """`parse_int` for json.loads: more digits than any int64 has is out of range, and is
    turned into an infinity (that every check above refuses) instead of a 4,300-digit
    integer Python refuses to build (one such number would fail the whole page)."""
    if len(digits) <= 20:
        return int(digits)
    return -math.inf if digits[0] == "-" else math.inf
