"""`feed.xml`: the feed report as an Atom feed (RFC 4287), for feed readers and chat integrations.

Every entry has a permanent id (a name-based UUID of the entry's key: its model's Hub `_id`, and
for a change its kind, time and values; not of the feed's accounts or address, so a rebuilt site,
or one with an account more, gives a reader no entry twice), a title, an `updated`
time (when the sync saw the change, RFC 3339), a text summary and a link to its page. Text is
made one printable line (`visible`: XML 1.0 cannot even carry most control characters), then
XML-escaped.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from oss_tracker import __version__
from oss_tracker.escape import visible
from oss_tracker.reports.model import Report

NAMESPACE = uuid.UUID("6f1d3c1e-6c53-4f43-9a5e-2b7d4f0c9a11")  # oss-tracker's feeds
LABELS = {
    "release": "New release",
    "license_changed": "Licence change",
    "renamed": "Rename",
    "removed": "Removal",
}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EPOCH = "1970-01-01T00:00:00Z"


def x(value: Any) -> str:
    """Element text."""
    return escape(visible(str(value)))


def attr(value: Any) -> str:
    """A quoted attribute value."""
    return quoteattr(visible(str(value)))


def stamp(value: str | None) -> str:
    """An RFC 3339 time (what the database stores); anything else stands as the epoch, not as text."""
    return value if value and RFC3339.fullmatch(value) else EPOCH


def feed_id(base_url: str | None, accounts: list[str]) -> str:
    """The feed's permanent id: its address where it is published, else a UUID of its accounts."""
    if base_url:
        return base_url + "feed.xml"
    return uuid.uuid5(NAMESPACE, "oss-tracker feed of " + ",".join(sorted(a.lower() for a in accounts))).urn


def atom(
    report: Report,
    *,
    title: str,
    base_url: str | None,
    link: Any,  # (entry) -> the path of its page in the site
    as_of: str | None,
) -> str:
    """The Atom document. Links are relative to the feed (it sits at the site's root) unless the
    site's address is known."""
    data = report.data
    entries = data["entries"]
    fid = feed_id(base_url, data["orgs"])
    base = base_url or ""
    updated = max((stamp(e["at"]) for e in entries), default=stamp(as_of))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{x(fid)}</id>",
        f'  <title type="text">{x(title)}: releases and changes</title>',
        f'  <subtitle type="text">{x("New releases, licence changes, renames and removals in " + ", ".join(data["orgs"]))}</subtitle>',
        f"  <updated>{updated}</updated>",
        "  <author><name>oss-tracker</name></author>",
        f"  <generator version={attr(__version__)}>oss-tracker</generator>",
        f'  <link rel="alternate" type="text/html" href={attr(base + "index.html")}/>',
        # The feed's own address: relative (to the feed) where the site's is not known.
        f'  <link rel="self" type="application/atom+xml" href={attr(base + "feed.xml")}/>',
    ]
    for e in entries:
        at = stamp(e["at"])
        lines += [
            "  <entry>",
            f"    <id>{uuid.uuid5(NAMESPACE, e['key']).urn}</id>",
            f'    <title type="text">{x(e["title"])}</title>',
            f"    <updated>{at}</updated>",
            f"    <published>{at}</published>",
            f'    <link rel="alternate" type="text/html" href={attr(base + link(e))}/>',
            f"    <category term={attr(e['kind'])} label={attr(LABELS[e['kind']])}/>",
            f'    <summary type="text">{x(e["detail"])}</summary>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
