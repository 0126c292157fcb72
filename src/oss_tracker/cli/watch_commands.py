"""`watch list|add|remove`: the watch list file."""

# (No `from __future__ import annotations`: see cli/core.py.)

from typing import Annotated

import typer

from oss_tracker.cli.core import app, errors, show, watchlist
from oss_tracker.cli.options import EndpointOpt, FmtOpt, JsonOpt, hub_names, labels, output, refuse
from oss_tracker.escape import visible

watch_app = typer.Typer(
    help="""Show or change the watch list: companies, their Hub accounts, groups.

    \b
    Examples:
      oss-tracker watch list
      oss-tracker watch add zai-org --company Zhipu --country CN --group china
      oss-tracker watch remove zai-org
    """,
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


@watch_app.command("list")
def watch_list(fmt: FmtOpt = None, as_json: JsonOpt = False) -> None:
    """Companies, their accounts, country and groups, as the next sync will watch them.

    \b
    Examples:
      oss-tracker watch list
      oss-tracker --config examples/watchlist.toml watch list --json
    """
    fmt_name = output(fmt, as_json)
    with errors():
        from oss_tracker.reports.watch import watch_report

        show(watch_report(watchlist()), fmt_name)


@watch_app.command("add")
def watch_add(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="Hub account (organization) to watch.")],
    company: Annotated[
        str | None,
        typer.Option("--company", metavar="NAME", help="Company it belongs to (default: the account)."),
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", metavar="CODE", help="Country of a new company, e.g. CN or US.")
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", metavar="NAME", help="Also put the company in this group.")
    ] = None,
    endpoint: EndpointOpt = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Check on the Hub that the account exists.")
    ] = True,
) -> None:
    """Add an account to the watch list, after checking on the Hub that it exists.

    \b
    Examples:
      oss-tracker watch add zai-org --company Zhipu --country CN --group china
      oss-tracker watch add some-lab --no-check
    """
    name = hub_names([account], hint="ACCOUNT")[0]
    if not check:
        refuse(ctx, ("endpoint",), "with --no-check (no Hub is asked)")
    labels(company=company, country=country, group=group)
    with errors():
        from oss_tracker import watchlist as watchlists

        wl = watchlist(may_be_new=True)  # a first `add` writes the default list plus the account
        if check:
            from oss_tracker.errors import TrackerError
            from oss_tracker.hub import client as hub
            from oss_tracker.hub.transport import HubUnavailable
            from oss_tracker.sync.run import check_account

            with hub.connect(endpoint=endpoint) as session:
                try:
                    name = check_account(session, name)
                except HubUnavailable as err:
                    raise TrackerError(
                        f"{err}; to add {name} without checking it on the Hub, pass --no-check"
                    ) from None
        target = wl.add(name, company, country, group, verified=check)
        path = wl.path or watchlists.default_path()
        watchlists.save(wl, path)
        unchecked = "" if check else ", unverified: not checked on the Hub"
        typer.echo(visible(f"watching {name} (company {target.name}{unchecked}) — saved to {path}"), err=True)


@watch_app.command("remove")
def watch_remove(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="Hub account to stop watching.")],
) -> None:
    """Stop watching an account (its stored history stays in the database).

    \b
    Examples:
      oss-tracker watch remove zai-org
    """
    account = hub_names([account], hint="ACCOUNT")[0]
    with errors():
        from oss_tracker import watchlist as watchlists

        wl = watchlist()
        company = wl.remove(account)
        path = wl.path or watchlists.default_path()
        watchlists.save(wl, path)
        typer.echo(
            visible(f"no longer watching {account} (company {company.name}) — saved to {path}"), err=True
        )
