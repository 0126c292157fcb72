"""Licence keys and groups, from the Hub's `license:` tag and the card's `license_name`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oss_tracker.values import text

UNKNOWN = "unknown"

# Permissive: use, change and redistribute with attribution only (OSI-approved permissive
# licences, and the Creative Commons attribution-only ones common for weights and data).
PERMISSIVE = frozenset(
    {
        "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear",
        "bsl-1.0", "isc", "zlib", "unlicense", "ecl-2.0", "afl-3.0", "postgresql", "ncsa",
        "cc0-1.0", "cc-by-2.0", "cc-by-3.0", "cc-by-4.0",
    }
)  # fmt: skip
# Open, but with share-alike or copyleft terms (OSI copyleft, CC share-alike).
COPYLEFT = frozenset(
    {
        "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr", "agpl-3.0",
        "mpl-2.0", "epl-2.0", "eupl-1.1", "osl-3.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
    }
)  # fmt: skip

GROUP_PERMISSIVE = "permissive"
GROUP_COPYLEFT = "copyleft"
GROUP_CUSTOM = "custom"
GROUP_UNKNOWN = "unknown"


@dataclass(frozen=True)
class License:
    """A model's licence: the normalised key plus the raw tag and card name it came from."""

    key: str
    tag: str | None
    name: str | None


def _clean(value: Any) -> str | None:
    # A lone surrogate or a NUL cannot be stored: such a name is unknown, not a crash.
    value = text(value)
    if value is not None and value.strip():
        return value.strip()
    return None


def from_hub(tags: list[str] | None, license_name: Any) -> License:
    """The licence as the Hub shows it: tag first, the card's name for `other`, else unknown."""
    tag = None
    for t in tags or []:
        if isinstance(t, str) and t.startswith("license:"):
            tag = _clean(t.removeprefix("license:"))
            if tag:
                break
    name = _clean(license_name)
    if tag is None:
        return License(UNKNOWN, None, name)
    key = tag.lower()
    if key == "other" and name:
        key = name.lower()
    return License(key, tag, name)


def group(key: str) -> str:
    """`permissive` (OSI or CC-BY), `copyleft` (OSI or CC share-alike), `custom` (any other name), `unknown`."""
    if key == UNKNOWN:
        return GROUP_UNKNOWN
    if key in PERMISSIVE:
        return GROUP_PERMISSIVE
    if key in COPYLEFT:
        return GROUP_COPYLEFT
    return GROUP_CUSTOM
