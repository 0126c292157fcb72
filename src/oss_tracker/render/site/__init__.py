"""`oss-tracker site OUT`: the site's reports as a static, self-contained website and an Atom feed.

    OUT/index.html              the overview
    OUT/org/NAME.html           an account          OUT/company/NAME.html    a company
    OUT/model/ORG--NAME.html    a top model         OUT/derivatives.html     derivative rankings
    OUT/releases.html           the release feed    OUT/feed.xml             the same, in Atom
    OUT/assets/                 plotly.js, site.js, site.css: written once, shared by every page

Pages link to each other and to their assets by relative paths, so the folder works from
file:// and from any static host; nothing is fetched from another origin. Sees only the report
model (render/ never touches the database).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from oss_tracker.render.site import atom, folder, html, plot
from oss_tracker.reports.model import Page, Site

STATIC = Path(__file__).resolve().parent / "static"
FOLDERS = {"org": "org", "company": "company", "model": "model"}
SINGLE = {"overview": "index.html", "derivatives": "derivatives.html", "releases": "releases.html"}


@dataclass
class Written:
    """What was written, for the summary line."""

    pages: int
    entries: int
    total_bytes: int
    largest: tuple[str, int]  # the largest page (path, bytes)


def slug(name: str) -> str:
    """A file name for a page about `name`: the name with `/` as `--` where it is plain (letters,
    digits, `.`, `_`, `-`); else its plain parts and a hash of the whole, so that no two names meet."""
    plain = name.replace("/", "--")
    safe = re.sub(r"-{3,}", "--", re.sub(r"[^A-Za-z0-9._-]+", "-", plain)).strip(".-")[:80]
    if safe != plain or not safe:
        safe = f"{safe or 'page'}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"
    return safe


def paths(site: Site) -> dict[tuple[str, str], str]:
    """Each page's path from the site's root. File names that would meet on a case-insensitive
    disk (or after `slug`) get the hash of their name."""
    out: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for page in site.pages:
        if page.kind in SINGLE:
            path = SINGLE[page.kind]
        else:
            path = f"{FOLDERS[page.kind]}/{slug(page.name)}.html"
            if path.lower() in taken:
                digest = hashlib.sha256(page.name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
                path = f"{FOLDERS[page.kind]}/{slug(page.name)}-{digest}.html"
        taken.add(path.lower())
        out[(page.kind, page.name)] = path
    return out


def write_site(site: Site, out: Path, *, base_url: str | None = None) -> Written:
    """Write the site into OUT (new, empty, or an earlier site replaced whole: see folder.py)."""
    library, script = plot.library()
    where = paths(site)
    links = html.Links(where)
    index = [
        ("Companies", [(p.name, where[(p.kind, p.name)]) for p in site.pages if p.kind == "company"]),
        ("Accounts", [(p.name, where[(p.kind, p.name)]) for p in site.pages if p.kind == "org"]),
        ("Models", [(p.name, where[(p.kind, p.name)]) for p in site.pages if p.kind == "model"]),
    ]
    with folder.staged(out, {"as_of": site.as_of, "pages": len(site.pages)}) as staging:
        staging.write(f"assets/{library}", script)
        for name in ("site.js", "site.css"):
            staging.write(f"assets/{name}", (STATIC / name).read_bytes())
        staging.write(".nojekyll", b"")  # GitHub Pages: serve the files as they are
        for page in site.pages:
            path = where[(page.kind, page.name)]
            root = "../" * path.count("/")
            staging.write(
                path,
                html.page_html(
                    page,
                    title=_title(site, page),
                    site_title=site.title,
                    note=site.note,
                    root=root,
                    library=library,
                    links=links,
                    index=index if page.kind == "overview" else None,
                ).encode("utf-8"),
            )

        def link(entry: dict) -> str:
            return where.get(("model", entry["id"])) or where.get(("org", entry["org"])) or "index.html"

        staging.write(
            "feed.xml",
            atom.atom(site.feed, title=site.title, base_url=base_url, link=link, as_of=site.as_of).encode(
                "utf-8"
            ),
        )
        pages = {p: n for p, n in staging.sizes.items() if p.endswith(".html")}
    largest = max(pages.items(), key=lambda kv: kv[1])
    return Written(len(pages), len(site.feed.data["entries"]), sum(staging.sizes.values()), largest)


def _title(site: Site, page: Page) -> str:
    if page.kind == "overview":
        return site.title
    return f"{page.reports[0].title} · {site.title}"


__all__ = ["Page", "Site", "Written", "paths", "slug", "write_site"]
