"""Options the commands share, their choices and bounds, and turning --org/--company/--group
into Hub accounts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oss_tracker.cli.core import watchlist


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Kind(StrEnum):
    model = "model"
    dataset = "dataset"
    space = "space"


class By(StrEnum):
    org = "org"
    company = "company"


class Derivatives(StrEnum):
    auto = "auto"
    all = "all"
    none = "none"


class Relation(StrEnum):
    finetune = "finetune"
    quantized = "quantized"
    adapter = "adapter"
    merge = "merge"


class FamilyBy(StrEnum):
    descendants = "descendants"
    community = "community"
    growth = "growth"


class Metric(StrEnum):
    downloads = "downloads"
    likes = "likes"
    models = "models"
    followers = "followers"
    derivatives = "derivatives"


class Interval(StrEnum):
    day = "day"
    week = "week"
    month = "month"


# --now: ISO 8601 as the tests and recordings write it ("2025-11-24T06:00:00Z"), or a plain day.
NOW_FORMATS = [
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
]

# Bounds of the numeric options: past them a value is a usage error (exit 2), never an
# OverflowError from SQLite (a LIMIT beyond int64) or from date arithmetic.
MAX_ROWS = 1_000_000  # --top, --limit
MAX_DAYS = 36_500  # --days; --max-age is at most as many days, in hours
DAY_SECONDS = 86_400  # --wait, --retry-wait, --max-wait, --timeout


def number(value: float) -> float:
    """A float option's value, refusing NaN (which passes every range check: `nan > max` is False)."""
    if value != value:
        raise typer.BadParameter(f"{value} is not a number")
    return value


DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="SQLite file. Default: $OSS_TRACKER_DB, else ~/.local/share/oss-tracker/oss-tracker.db."
    ),
]
FmtOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]
OrgsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--org", metavar="ORG", help="Organization (repeatable). Default: every organization in the database."
    ),
]
CompanyOpt = Annotated[
    list[str] | None,
    typer.Option("--company", help="A company of the watch list: all its accounts (repeatable)."),
]
GroupOpt = Annotated[
    list[str] | None, typer.Option("--group", help="A group of the watch list, e.g. china (repeatable).")
]
SinceOpt = Annotated[
    datetime | None,
    typer.Option("--since", formats=["%Y-%m-%d"], metavar="DATE", help="First day (UTC), YYYY-MM-DD."),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option("--until", formats=["%Y-%m-%d"], metavar="DATE", help="Last day (UTC), YYYY-MM-DD."),
]
FamiliesOpt = Annotated[
    bool,
    typer.Option(
        "--families",
        help="Also build the watched models' families (every descendant) from the archived day(s): needs pyarrow.",
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint", envvar="HF_ENDPOINT", help="Hub endpoint (a mirror, or a test Hub)."),
]


def day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def check_window(since: datetime | None, until: datetime | None) -> None:
    if since and until and since > until:
        raise typer.BadParameter("--since is after --until", param_hint="--since")


def check_plot(plot: Path | None) -> None:
    """Before any work is done: a wrong --plot suffix is a usage error (exit 2); no matplotlib is
    a failure (exit 1: the command line is right, the installation lacks an optional part), one
    line with the command that installs it."""
    if plot is not None:
        from oss_tracker.render.charts import PlotError, check_path, require_matplotlib

        try:
            check_path(plot)
        except PlotError as err:
            raise typer.BadParameter(str(err), param_hint="--plot") from None
        try:
            require_matplotlib()
        except PlotError as err:
            from oss_tracker.cli.core import fail

            raise fail(str(err), err.exit_code) from None


def hub_names(items: list[str], hint: str = "--org") -> list[str]:
    """Hub account names, each once (case-insensitively); anything else is a usage error."""
    from oss_tracker.names import account_problem

    seen: dict[str, str] = {}
    for item in items:
        name = item.strip()
        problem = account_problem(name)
        if problem is not None:
            raise typer.BadParameter(problem, param_hint=hint)
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def labels(**values: str | None) -> None:
    """Company, country and group names become TOML keys and titles: one line of text each."""
    from oss_tracker.names import label_problem

    what = {"company": "company name", "group": "group name", "country": "country"}
    for option, value in values.items():
        problem = None if value is None else label_problem(value, what[option])
        if problem is not None:
            raise typer.BadParameter(problem, param_hint=f"--{option}")


def accounts(
    org: list[str] | None, company: list[str] | None, group: list[str] | None, database=None
) -> list[str] | None:
    """The Hub accounts that --org, --company and --group name together; None when none is given.

    For a report (`database` given), a company's or group's accounts that were never synced
    are left out: the example watch list names accounts a user may not sync.
    """
    orgs = hub_names(org) if org else None
    if not (company or group):
        return orgs
    named = watchlist().resolve(orgs, company, group) or []
    if database is None:
        return named
    from oss_tracker.reports.common import synced

    return synced(database, named, keep=orgs or [])
