"""The report commands: each reads only the database (`derivatives --list` asks the Hub).

The same words everywhere (`--org`, `--limit N` with 0 for all, `--since DATE`, `--json`), each
command's help ends with examples, and an option that would do nothing where it is given is
refused.
"""

# (No `from __future__ import annotations`: see cli/core.py.)

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from oss_tracker.cli import options as o
from oss_tracker.cli.core import _setup_logging, command, errors, open_database, show, usage, watchlist
from oss_tracker.cli.options import (
    By,
    CompanyOpt,
    DbOpt,
    EndpointOpt,
    FamilyBy,
    FmtOpt,
    GroupOpt,
    IntervalOpt,
    JsonOpt,
    Kind,
    KindOpt,
    Metric,
    ModelKind,
    OrgsOpt,
    Relation,
    SinceOpt,
    TopSort,
    UntilOpt,
    accounts,
    check_plot,
    check_window,
    hub_names,
    output,
    refuse,
)
from oss_tracker.values import MAX_COUNT


def _reading(db: Path | None, org=None, company=None, group=None, since=None, until=None) -> tuple[Any, Any]:
    """The database, the accounts --org/--company/--group name (None: all), and a window wholly
    outside the history refused in words."""
    from oss_tracker.reports.common import within_history

    database = open_database(db)
    orgs = accounts(org, company, group, database)
    within_history(database, since, until, orgs)
    return database, orgs


@command()
def report(
    ctx: typer.Context,
    org: Annotated[list[str] | None, typer.Option("--org", metavar="ORG", help="Organization (Hub account) to report on.")] = None,
    company: Annotated[list[str] | None, typer.Option("--company", metavar="NAME", help="Or a company of the watch list: its accounts summed.")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", metavar="NAME", help="Or a group of the watch list: all its companies' accounts summed.")] = None,
    db: DbOpt = None,
    limit: Annotated[int, o.limit("top models")] = 10,
    top: o.TopOpt = None,
    days: Annotated[int, o.days("Days of downloads trend to show.")] = 30,
    kind: KindOpt = ModelKind.all,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Totals with change since the previous snapshot, top models, licence mix (by models and by
    downloads), releases per month (all and originals), what the releases are (providers, papers),
    the downloads trend and derivative totals, for one account (or one company or group, summed).

    \b
    Examples:
      oss-tracker report --org Qwen
      oss-tracker report --org deepseek-ai --limit 5 --json
      oss-tracker report --org Qwen --kind original
      oss-tracker --config examples/watchlist.toml report --company Alibaba
    """
    fmt_name = output(fmt, as_json)
    if fmt_name == "csv":
        refuse(
            ctx, ("days",), "with --format csv (the CSV is the totals; the trend is in the table and JSON)"
        )
    # One subject a report: a second --org was silently dropped (the JSON of one report is one
    # object; several accounts side by side are `compare`, several summed are a company).
    named = [(f"--{kind}", v) for kind, values in (("org", org), ("company", company), ("group", group))
             for v in values or []]  # fmt: skip
    if len(named) != 1:
        if not named:
            raise usage("report needs one of --org ORG, --company NAME or --group NAME")
        raise usage(_one_subject(named))
    count = o.rows(ctx, limit, top)
    with errors():
        database = open_database(db)
        if company or group:
            from oss_tracker.reports.companies import company_report, group_as_company

            wl = watchlist()
            target, members = (
                group_as_company(wl, group[0]) if group else (wl.company(company[0]), None)  # type: ignore[index]
            )
            built = company_report(database, target, top=count, days=days, members=members, kind=kind.value)
            show(built, fmt_name)
            return
        from oss_tracker.reports.org import org_report

        name = hub_names(org)[0]  # type: ignore[arg-type]
        show(org_report(database, name, top=count, days=days, kind=kind.value), fmt_name)


def _one_subject(named: list[tuple[str, str]]) -> str:
    """Why `report` refuses several subjects, with a command that shows them: `compare` for
    subjects of one type (accounts side by side, or companies, the companies of groups), else a
    report of each."""
    import shlex

    quoted = " ".join(f"{flag} {shlex.quote(value)}" for flag, value in named)
    why = f"report covers one account, company or group, not {len(named)} ({quoted})"
    flags = {flag for flag, _ in named}
    if flags == {"--org"}:
        return f"{why}: run it once for each, or put accounts side by side with: oss-tracker compare {quoted}"
    if flags == {"--company"}:
        return (
            f"{why}: run it once for each, or put the companies side by side with: "
            f"oss-tracker compare {quoted} --by company"
        )
    if flags == {"--group"}:
        return f"{why}: run it once for each, or put their companies side by side with: oss-tracker compare {quoted}"
    each = "; ".join(f"oss-tracker report {flag} {shlex.quote(value)}" for flag, value in named)
    return f"{why}: run one report for each: {each}"


@command()
def changes(
    ctx: typer.Context,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    since: Annotated[date | None, o.since("Every sync from this day on (UTC), not only the last")] = None,
    until: UntilOpt = None,
    limit: Annotated[int, o.limit("top movers")] = 10,
    top: o.TopOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What the syncs found changed: new releases (size, licence, pipeline, downloads at first sight),
    removals, renames, licence changes, dataset and Space events, and the top movers by downloads.

    Without --since: the last sync (the last on or before --until), since the one before. With it:
    every sync of the days from --since to --until, a digest of the period (-f markdown for a
    newsletter).

    \b
    Examples:
      oss-tracker changes
      oss-tracker changes --org Qwen --json
      oss-tracker changes --since 2025-11 --until 2025-11 -f markdown
      oss-tracker changes --since 7d --limit 20
    """
    fmt_name = output(fmt, as_json)
    limit = o.rows(ctx, limit, top)
    check_window(since, until)
    with errors():
        from oss_tracker.reports.changes import changes as changes_report

        database, orgs = _reading(db, org, company, group, since, until)
        show(changes_report(database, orgs, since=since, until=until, limit=limit), fmt_name)


@command()
def model(
    model_id: Annotated[str, typer.Argument(metavar="ID", help="A model: its repo id, a former name, or its Hub _id.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    interval: IntervalOpt = o.Interval.day,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """One model's page: created and first seen, renames, licence history, declared bases, size,
    downloads and likes over time, derivative counts, removal.

    Default window: 30 days (day), 26 weeks (week), all (month), up to its last snapshot.

    \b
    Examples:
      oss-tracker model deepseek-ai/DeepSeek-R1
      oss-tracker model Qwen/Qwen3-8B --since 3m --interval week
      oss-tracker model MiniMaxAI/MiniMax-M2 --json
    """
    fmt_name = output(fmt, as_json)
    check_window(since, until)
    with errors():
        from oss_tracker.reports.model_page import model_page

        database, _ = _reading(db, since=since, until=until)
        show(model_page(database, model_id, since=since, until=until, interval=interval.value), fmt_name)


@command()
def derivatives(
    ctx: typer.Context,
    model_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="A base model: its count history, or with --list its derivative repos.")] = None,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    limit: Annotated[int, o.limit("bases (or repos with --list)")] = 20,
    top: o.TopOpt = None,
    family: Annotated[str | None, typer.Option("--family", metavar="MODEL|GLOB", help="A model id (or a former name): its family tree from the archive and its history. A name glob, e.g. 'Qwen3-*': also roll up those models' direct derivatives.")] = None,
    list_repos: Annotated[bool, typer.Option("--list", help="List ID's derivative repos live from the Hub.")] = False,
    edges: Annotated[bool, typer.Option("--edges", help="Only the watched models built on another watched account's model.")] = False,
    relation: Annotated[Relation | None, typer.Option("--relation", metavar=o.choices(Relation), help="With --list: only this relation.")] = None,
    db: DbOpt = None,
    endpoint: EndpointOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Bases ranked by direct derivatives (finetune, quantized, adapter, merge), with change and org totals.

    \b
    Examples:
      oss-tracker derivatives --org Qwen --limit 10
      oss-tracker derivatives --family 'qwen3-*'
      oss-tracker derivatives --family Qwen/Qwen3-8B
      oss-tracker derivatives Qwen/Qwen3-8B
      oss-tracker derivatives Qwen/Qwen3-8B --list --relation quantized
      oss-tracker derivatives --edges
    """
    fmt_name = output(fmt, as_json)
    if list_repos:
        if model_id is None:
            raise usage("--list needs a model ID: oss-tracker derivatives ID --list")
        refuse(ctx, ("org", "company", "group", "family", "edges", "db"),
               "with --list (it lists ID's derivative repos live from the Hub)")  # fmt: skip
    else:
        refuse(ctx, ("relation",), "without --list (it picks which derivative repos --list shows)")
        refuse(ctx, ("endpoint",), "without --list (only --list asks the Hub)")
        if model_id is not None and edges:
            raise usage("--edges shows every watched model built on another watched account's: give no ID")
        if model_id is not None:
            refuse(ctx, ("org", "company", "group", "family", "limit", "top"),
                   "with an ID (its count history); give no ID for the ranking")  # fmt: skip
        elif edges:
            refuse(ctx, ("family", "limit", "top"), "with --edges (every such model is listed)")
        elif family is not None and is_model_id(family):
            refuse(ctx, ("org", "company", "group"), "with --family MODEL (that model's family tree)")
    limit = o.rows(ctx, limit, top)
    with errors():
        if list_repos:
            _setup_logging()  # the one report that asks the Hub: -v shows its retries
            from oss_tracker.hub import client as hub
            from oss_tracker.reports.derivatives import children_listing

            rel = relation.value if relation else None
            with hub.connect(endpoint=endpoint) as session:
                items = list(hub.iter_derivatives(session.api, model_id, rel, limit or None))
            show(children_listing(items, model_id, rel), fmt_name)  # type: ignore[arg-type]
            return
        from oss_tracker.reports.derivatives import edges_report, model_history, ranking

        database = open_database(db)
        if family is not None and is_model_id(family):
            from oss_tracker.reports.families import family_report

            show(family_report(database, family, limit=limit or o.MAX_ROWS), fmt_name)
        elif model_id is not None:
            show(model_history(database, model_id), fmt_name)
        elif edges:
            show(edges_report(database, accounts(org, company, group, database)), fmt_name)
        else:
            orgs = accounts(org, company, group, database)
            show(ranking(database, orgs=orgs, limit=limit, family=family), fmt_name)


def is_model_id(value: str) -> bool:
    """`--family`'s two meanings: `org/name` without a glob character names one model (its tree);
    anything else is a glob on names (the roll-up of direct counts)."""
    return "/" in value and not any(c in value for c in "*?[")


@command()
def families(
    ctx: typer.Context,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    by: Annotated[FamilyBy, o.choice("--by", FamilyBy, "Rank by descendants, community 30-day downloads, or new descendants since --since.")] = FamilyBy.descendants,
    since: Annotated[date | None, o.since("Start of the growth window", " Default: 30 days back.")] = None,
    limit: Annotated[int, o.limit("families")] = 20,
    top: o.TopOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Watched models ranked by their families (every descendant, from the public archive), with each
    account's and company's own downloads beside the downloads of the models built on them.

    \b
    Examples:
      oss-tracker families
      oss-tracker families --by community --limit 10
      oss-tracker families --org Qwen --by growth --since 3m --json
    """
    fmt_name = output(fmt, as_json)
    limit = o.rows(ctx, limit, top)
    with errors():
        from oss_tracker.reports.families import families_report

        database, orgs = _reading(db, org, company, group)
        show(
            families_report(database, orgs=orgs, by=by.value, since=since, limit=limit or o.MAX_ROWS),
            fmt_name,
        )


@command()
def trends(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    model: Annotated[list[str] | None, typer.Option("--model", metavar="ID", help="A model (repo id, repeatable) instead of organizations.")] = None,
    by: Annotated[By | None, o.choice("--by", By, "One series per Hub account (org), or per company of the watch list, its accounts summed. Default: company with --company or --group, else org.", show_default=False)] = None,
    metric: Annotated[Metric, o.choice("--metric", Metric, "What to follow (share: of the downloads of all those shown).")] = Metric.downloads,
    since: SinceOpt = None,
    until: UntilOpt = None,
    interval: IntervalOpt = o.Interval.day,
    plot: Annotated[Path | None, o.plot("a chart, lines per series")] = None,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """A time series per organization, company or model: level, change, per-day rate, growth; gaps stay gaps.

    Downloads in a period are the difference of all-time counts between snapshots, plus the count of
    each model created in between; a count that went down is flagged. --by company sums each
    company's accounts on the days they all have a snapshot; --metric share gives each one's share
    of the downloads of all those shown. Default window: 30 days (day), 26 weeks (week), all (month).

    \b
    Examples:
      oss-tracker trends --org Qwen --org deepseek-ai
      oss-tracker trends --interval week --since 3m
      oss-tracker trends --model Qwen/Qwen3-8B --metric likes --since 2025-11
      oss-tracker --config examples/watchlist.toml trends --group china --metric share --interval week
      oss-tracker trends --org Qwen --plot qwen.png
    """
    fmt_name = output(fmt, as_json)
    if model and (org or company or group):
        flag = "--org" if org else "--company" if company else "--group"
        raise usage(f"use {flag} or --model, not both")
    if model and metric.value in ("models", "followers", "share"):
        raise usage(f"--metric {metric.value} is for organizations and companies, not models")
    if model and by is not None:
        raise usage("--by groups organizations: it does nothing with --model")
    by_company = by is By.company or (by is None and bool(company or group) and not org)
    check_window(since, until)
    check_plot(plot)
    with errors():
        from oss_tracker.reports.trends import trends as trends_report

        database, orgs = _reading(db, org, company, group, since, until)
        built = trends_report(
            database, orgs=orgs, models=model, metric=metric.value, interval=interval.value, since=since,
            until=until, companies=watchlist() if by_company else None,
        )  # fmt: skip
        show(built, fmt_name, plot)


@command()
def top(
    ctx: typer.Context,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    sort: Annotated[TopSort, o.choice("--sort", TopSort, "Rank by downloads in the period, growth (of the all-time count), likes gained, or the Hub's trending score.")] = TopSort.downloads,
    days: Annotated[int, o.days("The period: the last N days.")] = 7,
    since: SinceOpt = None,
    until: UntilOpt = None,
    kind: KindOpt = ModelKind.all,
    min_downloads: Annotated[int, typer.Option("--min-downloads", metavar="N", callback=o.within(0, MAX_COUNT), help="With --sort growth: rank only models with at least N all-time downloads at the start.")] = 1_000,
    limit: Annotated[int, o.limit("models")] = 20,
    top: o.TopOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Models ranked by downloads, growth, likes gained or trending score over a period, with their rank change.

    The period is the last --days days up to the last snapshot, or --since to --until, measured
    from the last snapshot before its first day; the rank change compares with the period of the
    same length before it. A model created in the period counts its whole all-time count; one
    first seen in it but created before is not ranked.

    \b
    Examples:
      oss-tracker top
      oss-tracker top --sort growth --days 30 --limit 10
      oss-tracker top --org Qwen --sort likes --since 2025-11
      oss-tracker --config examples/watchlist.toml top --group china --sort trending --json
    """
    fmt_name = output(fmt, as_json)
    limit = o.rows(ctx, limit, top)
    check_window(since, until)
    if since is not None:
        refuse(ctx, ("days",), "with --since (the period is --since to --until)")
    if sort is not TopSort.growth:
        refuse(ctx, ("min_downloads",), "without --sort growth (it bounds the growth ranking)")
    with errors():
        from oss_tracker.reports.top import top as top_report

        database, orgs = _reading(db, org, company, group, since, until)
        found = top_report(
            database, orgs=orgs, sort=sort.value, days=days, since=since, until=until, kind=kind.value,
            min_downloads=min_downloads, limit=limit,
        )  # fmt: skip
        show(found, fmt_name)


@command()
def releases(
    ctx: typer.Context,
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    kind: Annotated[str | None, typer.Option("--kind", metavar="original|conversion|derived|all", help="Original models, conversions (quantized or converted copies), derived ones (finetunes, adapters, merges of its own), or all (default).", show_default=False)] = None,
    repo_type: Annotated[Kind, o.choice("--type", Kind, "Models, datasets or Spaces (--kind model|dataset|space before).")] = Kind.model,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, o.limit("releases")] = 50,
    top: o.TopOpt = None,
    plot: Annotated[Path | None, o.plot("releases per month")] = None,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """The release feed, newest first, with kind, licence, size, pipeline and first-seen date; releases per month.

    \b
    Examples:
      oss-tracker releases --since 2025-11
      oss-tracker releases --org Qwen --kind original --limit 0 -f csv
      oss-tracker releases --type dataset --since 30d
    """
    fmt_name = output(fmt, as_json)
    limit = o.rows(ctx, limit, top)
    model_kind = kind or ModelKind.all.value
    if kind in (k.value for k in Kind):
        # `--kind` named the repo type before models had kinds: still read so, for a while.
        if repo_type is not Kind.model and repo_type.value != kind:
            raise usage(f"--kind {kind} is the old spelling of --type {kind}: give --type alone")
        typer.echo(f"oss-tracker: warning: --kind {kind} is now --type {kind} (--kind model|dataset|space will go)",
                   err=True)  # fmt: skip
        repo_type, model_kind = Kind(kind), ModelKind.all.value
    elif kind is not None and kind not in (k.value for k in ModelKind):
        raise usage(
            f"invalid value for --kind: '{kind}' is not one of 'original', 'conversion', 'derived', 'all'"
        )
    check_window(since, until)
    check_plot(plot)
    if plot is not None and repo_type is not Kind.model:
        raise usage("--plot draws model releases: it does nothing with --type " + repo_type.value)
    if repo_type is not Kind.model and model_kind != ModelKind.all.value:
        raise usage(f"--kind {model_kind} is a kind of model: it does nothing with --type {repo_type.value}")
    with errors():
        # A release before the history is still a release: only --since is checked against it.
        database, orgs = _reading(db, org, company, group, since)
        if repo_type is not Kind.model:
            from oss_tracker.reports.companies import repo_releases

            show(
                repo_releases(database, repo_type.value, orgs=orgs, since=since, until=until, limit=limit),
                fmt_name,
            )
            return
        from oss_tracker.reports.releases import releases as releases_report

        built = releases_report(database, orgs=orgs, since=since, until=until, limit=limit, kind=model_kind)
        show(built, fmt_name, plot)


@command()
def licenses(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    kind: KindOpt = ModelKind.all,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Licence mix per organization (permissive, copyleft, custom, unknown) by models, originals and
    30-day downloads, and dated licence changes.

    \b
    Examples:
      oss-tracker licenses
      oss-tracker licenses --org Qwen --kind original
      oss-tracker --config examples/watchlist.toml licenses --group china -f markdown
    """
    fmt_name = output(fmt, as_json)
    with errors():
        from oss_tracker.reports.licences import licenses_report

        database, orgs = _reading(db, org, company, group)
        show(licenses_report(database, orgs=orgs, kind=kind.value), fmt_name)


@command()
def compare(
    orgs: Annotated[list[str] | None, typer.Argument(metavar="[ORG]...", help="Organizations, as with --org.", show_default=False)] = None,
    org: OrgsOpt = None,
    since: Annotated[date | None, o.since("Start of the download period", " Default: the last 30 days.")] = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    by: Annotated[By | None, o.choice("--by", By, "One column per Hub account (org), or per company, its accounts summed. Default: company with --group, else org.", show_default=False)] = None,
    kind: KindOpt = ModelKind.all,
    db: DbOpt = None,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """The organizations side by side: models, releases, downloads, likes, followers, derivatives, share.

    Models and releases are counted all and originals; --kind compares one kind of model alone.

    With --by company (implied by --group): companies, each the sum of its accounts, with each one's
    share of the group and of all tracked downloads. With --group and --by org: the group's accounts.

    \b
    Examples:
      oss-tracker compare
      oss-tracker compare --org Qwen --org deepseek-ai --since 2025-11-01
      oss-tracker compare --kind original
      oss-tracker --config examples/watchlist.toml compare --group china
      oss-tracker --config examples/watchlist.toml compare --group china --by org
    """
    fmt_name = output(fmt, as_json)
    named = [*(hub_names(orgs, hint="ORG") if orgs else []), *(hub_names(org) if org else [])]
    by_company = by is By.company or (by is None and bool(group))
    if by_company and named:
        if by is None:  # implied by --group
            raise usage(
                "--group implies --by company, which compares companies, not accounts (--org): "
                "add --by org to show the group's accounts beside them"
            )
        raise usage("--by company compares companies: name them with --company or --group, not accounts")
    with errors():
        if by_company:
            from oss_tracker.reports.companies import chosen_companies, company_compare

            database, _ = _reading(db, since=since)
            wl = watchlist()
            chosen, label = chosen_companies(wl, company, group)
            built = company_compare(database, wl, companies=chosen, since=since, label=label, kind=kind.value)
            show(built, fmt_name)
            return
        from oss_tracker.reports.compare import compare as compare_report

        database, accounts_named = _reading(db, named or None, company, group, since)
        show(compare_report(database, accounts_named, since=since, kind=kind.value), fmt_name)
