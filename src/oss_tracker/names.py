"""What a name may be: a Hub account (it goes into URLs and the database) and a company or group label.

One place for the rules, used wherever a name comes in: the command line, watch lists, replay
manifests. Imports nothing heavy (every command uses it).
"""

from __future__ import annotations

import re

# The Hub's own rule for a namespace, as huggingface_hub states it (utils/_validators.py,
# validate_repo_id): letters, digits, '-', '_', '.'; '--' and '..' forbidden; '-' and '.'
# cannot start or end the name; at most 96 characters. No '/', '?', '#', '%' or '..': a name
# never becomes another URL path or query.
ACCOUNT_MAX = 96
_ACCOUNT = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?")

# Companies and groups are our own labels (TOML keys, report titles): any text a person would
# type, but one line of it, and short.
LABEL_MAX = 100


class BadName(ValueError):
    """A name that is not acceptable; the message says why, for the user."""


def shown(value: object, limit: int = 60) -> str:
    """A value for an error message: quoted, control characters escaped, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def account_problem(value: object) -> str | None:
    """Why `value` is not a Hub account name, or None if it is one."""
    if not isinstance(value, str):
        return f"{shown(value)} is not a Hub account name (not a string)"
    if not value:
        return "an empty Hub account name"
    if len(value) > ACCOUNT_MAX:
        return f"{shown(value)} is not a Hub account name (longer than {ACCOUNT_MAX} characters)"
    if not _ACCOUNT.fullmatch(value) or "--" in value or ".." in value:
        return (
            f"{shown(value)} is not a Hub account name (letters, digits, '-', '_' and '.' only; "
            "no '--' or '..'; '-' and '.' neither first nor last)"
        )
    return None


def account(value: object) -> str:
    """`value` if it is a Hub account name, else BadName saying why."""
    problem = account_problem(value)
    if problem is not None:
        raise BadName(problem)
    return value  # type: ignore[return-value]


def label_problem(value: object, what: str = "name") -> str | None:
    """Why `value` cannot be a company, group or country label, or None if it can."""
    if not isinstance(value, str):
        return f"{what} {shown(value)} is not a string"
    if not value.strip():
        return f"an empty {what}"
    if len(value) > LABEL_MAX:
        return f"{what} {shown(value)} is longer than {LABEL_MAX} characters"
    if any(_control(c) for c in value):
        return f"{what} {shown(value)} holds a control character"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return f"{what} {shown(value)} is not valid Unicode"
    return None


def label(value: object, what: str = "name") -> str:
    problem = label_problem(value, what)
    if problem is not None:
        raise BadName(problem)
    return value  # type: ignore[return-value]


def _control(c: str) -> bool:
    # C0, DEL and C1 controls, and the line/paragraph separators and bidirectional overrides
    # that would break a TOML line or reorder a terminal line (why this is not values' or
    # escape's rule: the comment above values._BAD_TEXT).
    o = ord(c)
    return (
        o < 0x20 or 0x7F <= o < 0xA0 or c in "\u2028\u2029" or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069
    )
