"""`oss-tracker site OUT`: the reports as a static website and an Atom feed (reads only the database)."""

# No `from __future__ import annotations`: Typer reads these annotations itself.

from pathlib import Path
from typing import Annotated

import typer

from oss_tracker.cli.core import command, errors, open_database, say, watchlist
from oss_tracker.cli.options import MAX_DAYS, DbOpt


@command()
def site(
    out: Annotated[
        Path, typer.Argument(metavar="OUT", help="Folder to write: new, empty, or an earlier site.")
    ],
    db: DbOpt = None,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            metavar="N",
            min=1,
            max=MAX_DAYS,
            help="Days of downloads per day on each account's page.",
        ),
    ] = 90,
    models: Annotated[
        int,
        typer.Option(
            "--models",
            metavar="N",
            min=0,
            max=1000,
            help="Pages for each account's N most downloaded models.",
        ),
    ] = 5,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="The site's public address (https://...): absolute links in the feed.",
        ),
    ] = None,
) -> None:
    """A static website (overview, accounts, companies, top models, derivatives, releases) and an
    Atom feed of releases, licence changes, renames and removals, written into OUT.

    \b
    Examples:
      oss-tracker site ./site/
      oss-tracker site /srv/www/oss-tracker/ --models 10 --url https://example.org/oss-tracker/
    """
    if url is not None and not _plain_url(url):
        raise typer.BadParameter("give the site's address as http(s)://host/path/", param_hint="--url")
    with errors():
        from oss_tracker.render.site import plot

        plot.library_path()  # before any work: no plotly, no site (one line saying how to install it)
        from oss_tracker.render.site import write_site
        from oss_tracker.reports.site import build_site

        built = build_site(open_database(db), watchlist(), days=days, models=models)
        done = write_site(built, out, base_url=None if url is None else url.rstrip("/") + "/")
        say(
            f"site: {done.pages:,} pages and feed.xml ({done.entries:,} entries) in {out}, "
            f"{done.total_bytes / 1e6:.1f} MB; largest page {done.largest[0]} ({done.largest[1] / 1e3:,.0f} KB)"
        )


def _plain_url(url: str) -> bool:
    """An http(s) address with a host and no spaces, quotes or angle brackets (it goes into the feed)."""
    from urllib.parse import urlsplit

    if any(ch.isspace() or ch in "\"'<>\\" or not ch.isprintable() for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment
