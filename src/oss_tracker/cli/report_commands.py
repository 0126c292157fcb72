"""The report commands: each reads only the database (`derivatives --list` asks the Hub)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from oss_tracker.cli.core import app, errors, open_database, show, watchlist
from oss_tracker.cli.options import (
    MAX_DAYS,
    MAX_ROWS,
    By,
    CompanyOpt,
    DbOpt,
    EndpointOpt,
    FamilyBy,
    Fmt,
    FmtOpt,
    GroupOpt,
    Interval,
    Kind,
    Metric,
    OrgsOpt,
    Relation,
    SinceOpt,
    UntilOpt,
    accounts,
    check_plot,
    check_window,
    day,
    hub_names,
)


def _plot(help: str) -> typer.models.OptionInfo:
    return typer.Option("--plot", metavar="FILE", help=f"Also write {help}: FILE.png or FILE.svg.")


@app.command()
def report(
    org: Annotated[str | None, typer.Option("--org", help="Organization (Hub account) to report on.")] = None,
    company: Annotated[
        str | None, typer.Option("--company", help="Or a company of the watch list: its accounts summed.")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Or a group of the watch list: all its companies' accounts summed."),
    ] = None,
    db: DbOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=MAX_ROWS, help="How many top models to list.")] = 10,
    days: Annotated[
        int, typer.Option("--days", min=1, max=MAX_DAYS, help="Days of downloads trend to show.")
    ] = 30,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """Totals with change since the previous snapshot, top models, licence mix, releases per month,
    the downloads trend and derivative totals."""
    if sum(x is not None for x in (org, company, group)) != 1:
        raise typer.BadParameter("give one of --org, --company or --group", param_hint="--org")
    if org is not None:
        org = hub_names([org])[0]
    with errors():
        database = open_database(db)
        if company is not None or group is not None:
            from oss_tracker.reports.companies import company_report, group_as_company

            wl = watchlist()
            target, members = (
                group_as_company(wl, group) if group is not None else (wl.company(company), None)
            )
            show(company_report(database, target, top=top, days=days, members=members), fmt.value)
            return
        from oss_tracker.reports.org import org_report

        show(org_report(database, org, top=top, days=days), fmt.value)


@app.command()
def changes(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """What changed between the last two syncs: new, removed, renamed, licence changes."""
    with errors():
        from oss_tracker.reports.changes import changes as changes_report

        database = open_database(db)
        show(changes_report(database, accounts(org, company, group, database)), fmt.value)


@app.command()
def derivatives(
    model_id: Annotated[
        str | None,
        typer.Argument(help="A base model: its count history, or with --list its derivative repos."),
    ] = None,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_ROWS, help="How many bases (or repos with --list).")
    ] = 20,
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            metavar="MODEL|GLOB",
            help="A model id (or a former name): its family tree from the archive and its history. "
            "A name glob, e.g. 'Qwen3-*': also roll up those models' direct derivatives.",
        ),
    ] = None,
    list_repos: Annotated[
        bool, typer.Option("--list", help="List MODEL_ID's derivative repos live from the Hub.")
    ] = False,
    edges: Annotated[
        bool,
        typer.Option("--edges", help="Only the watched models built on another watched account's model."),
    ] = False,
    relation: Annotated[
        Relation | None, typer.Option("--relation", help="With --list: only this relation.")
    ] = None,
    db: DbOpt = None,
    endpoint: EndpointOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """Bases ranked by direct derivatives (finetune, quantized, adapter, merge), with change and org totals."""
    with errors():
        if list_repos:
            if model_id is None:
                raise typer.BadParameter("--list needs a MODEL_ID", param_hint="--list")
            from oss_tracker.hub import client as hub
            from oss_tracker.reports.derivatives import children_listing

            rel = relation.value if relation else None
            with hub.connect(endpoint=endpoint) as session:
                items = list(hub.iter_derivatives(session.api, model_id, rel, limit))
            show(children_listing(items, model_id, rel), fmt.value)
            return
        from oss_tracker.reports.derivatives import edges_report, model_history, ranking

        database = open_database(db)
        if family is not None and is_model_id(family):
            from oss_tracker.reports.families import family_report

            show(family_report(database, family, limit=limit), fmt.value)
            return
        if model_id is not None and not edges:
            show(model_history(database, model_id), fmt.value)
            return
        orgs = accounts(org, company, group, database)
        if edges:
            show(edges_report(database, orgs), fmt.value)
        else:
            show(ranking(database, orgs=orgs, limit=limit, family=family), fmt.value)


def is_model_id(value: str) -> bool:
    """`--family`'s two meanings: `org/name` without a glob character names one model (its tree);
    anything else is a glob on names (the roll-up of direct counts)."""
    return "/" in value and not any(c in value for c in "*?[")


@app.command()
def families(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    by: Annotated[
        FamilyBy,
        typer.Option(
            "--by", help="Rank by descendants, community 30-day downloads, or new descendants since --since."
        ),
    ] = FamilyBy.descendants,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            metavar="DATE",
            help="Start of the growth window. Default: 30 days back.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_ROWS, help="How many families to list.")
    ] = 20,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """Watched models ranked by their families (every descendant, from the public archive), with each
    account's and company's own downloads beside the downloads of the models built on them."""
    with errors():
        from oss_tracker.reports.families import families_report

        database = open_database(db)
        built = families_report(
            database, orgs=accounts(org, company, group, database), by=by.value, since=day(since), limit=limit
        )
        show(built, fmt.value)


@app.command()
def trends(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", metavar="ID", help="A model (repo id, repeatable) instead of organizations."),
    ] = None,
    metric: Annotated[Metric, typer.Option("--metric", help="What to follow.")] = Metric.downloads,
    since: SinceOpt = None,
    until: UntilOpt = None,
    interval: Annotated[
        Interval, typer.Option("--interval", help="One point a day, week or month (its last snapshot).")
    ] = Interval.day,
    plot: Annotated[Path | None, _plot("a chart, lines per series")] = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """A time series per organization (or model): level, change, per-day rate, growth; gaps stay gaps.

    Downloads in a period are the difference of all-time counts between snapshots; a count that
    went down is flagged. Default window: 30 days (day), 26 weeks (week), all (month).
    """
    if org and model:
        raise typer.BadParameter("use --org or --model, not both", param_hint="--model")
    if model and metric.value in ("models", "followers"):
        raise typer.BadParameter(
            f"--metric {metric.value} is for organizations, not models", param_hint="--metric"
        )
    check_window(since, until)
    check_plot(plot)
    with errors():
        from oss_tracker.reports.trends import trends as trends_report

        database = open_database(db)
        built = trends_report(
            database,
            orgs=accounts(org, company, group, database),
            models=model,
            metric=metric.value,
            interval=interval.value,
            since=day(since),
            until=day(until),
        )
        show(built, fmt.value, plot)


@app.command()
def releases(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    kind: Annotated[Kind, typer.Option("--kind", help="Models, datasets or Spaces.")] = Kind.model,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, max=MAX_ROWS, help="How many releases to list (0: all).")
    ] = 50,
    plot: Annotated[Path | None, _plot("releases per month")] = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """The release feed, newest first, with licence, size, pipeline and first-seen date; releases per month."""
    check_window(since, until)
    check_plot(plot)
    with errors():
        database = open_database(db)
        orgs = accounts(org, company, group, database)
        if kind is not Kind.model:
            if plot is not None:
                raise typer.BadParameter("--plot is for model releases", param_hint="--plot")
            from oss_tracker.reports.companies import repo_releases

            found = repo_releases(
                database, kind.value, orgs=orgs, since=day(since), until=day(until), limit=limit
            )
            show(found, fmt.value)
            return
        from oss_tracker.reports.releases import releases as releases_report

        show(
            releases_report(database, orgs=orgs, since=day(since), until=day(until), limit=limit),
            fmt.value,
            plot,
        )


@app.command()
def licenses(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """Licence mix per organization (permissive, copyleft, custom, unknown) and dated licence changes."""
    with errors():
        from oss_tracker.reports.licences import licenses_report

        database = open_database(db)
        show(licenses_report(database, orgs=accounts(org, company, group, database)), fmt.value)


@app.command()
def compare(
    orgs: Annotated[
        list[str] | None,
        typer.Argument(metavar="ORG", help="Organizations. Default: every organization in the database."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            metavar="DATE",
            help="Start of the download period. Default: 30 days back.",
        ),
    ] = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    by: Annotated[
        By, typer.Option("--by", help="One column per Hub account, or per company (its accounts summed).")
    ] = By.org,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """The organizations side by side: models, releases, downloads, likes, followers, derivatives, share.

    With --by company (implied by --group): companies, each the sum of its accounts, with each one's
    share of the group and of all tracked downloads.
    """
    orgs = hub_names(orgs, hint="ORG") if orgs else orgs
    with errors():
        database = open_database(db)
        if by is By.company or group:
            from oss_tracker.reports.companies import chosen_companies, company_compare

            wl = watchlist()
            chosen, label = chosen_companies(wl, company, group)
            show(company_compare(database, wl, companies=chosen, since=day(since), label=label), fmt.value)
            return
        from oss_tracker.reports.compare import compare as compare_report

        show(compare_report(database, accounts(orgs, company, None, database), since=day(since)), fmt.value)
