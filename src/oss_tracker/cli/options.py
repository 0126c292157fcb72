"""Options the commands share, their choices and bounds, and turning --org/--company/--group
into Hub accounts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from oss_tracker.cli.core import usage, watchlist


def choices(values: type[StrEnum]) -> str:
    """The metavar of an option with these values, plain as `--kind`'s: `table|json|csv|markdown`
    (Typer would write `<table|json|csv|markdown>`)."""
    return "|".join(v.value for v in values)


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
    share = "share"


class TopSort(StrEnum):
    downloads = "downloads"
    growth = "growth"
    likes = "likes"
    trending = "trending"


class ModelKind(StrEnum):
    original = "original"
    conversion = "conversion"
    derived = "derived"
    all = "all"


KindOpt = Annotated[
    ModelKind,
    typer.Option(
        "--kind",
        metavar=choices(ModelKind),
        help="Original models, conversions (quantized or converted copies), derived ones "
        "(finetunes, adapters, merges of its own), or all.",
    ),
]


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


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
MAX_ROWS = 1_000_000  # --limit
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
        "--db",
        metavar="PATH",
        help="SQLite file. Default: $OSS_TRACKER_DB, else ~/.local/share/oss-tracker/oss-tracker.db.",
    ),
]
FmtOpt = Annotated[
    Fmt | None,
    typer.Option(
        "--format", "-f", metavar=choices(Fmt), help="Output format (default: table).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Short for --format json.")]
OrgsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--org", metavar="ORG", help="Organization (repeatable). Default: every organization in the database."
    ),
]
CompanyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--company", metavar="NAME", help="A company of the watch list: all its accounts (repeatable)."
    ),
]
GroupOpt = Annotated[
    list[str] | None,
    typer.Option("--group", metavar="NAME", help="A group of the watch list, e.g. china (repeatable)."),
]


def within(lowest: int, highest: int) -> Any:
    """A callback bounding an integer option, for the options whose range would only be noise in
    their help (Typer's `min`/`max` print `[default: 20; 0<=x<=1000000]`); the same error words."""

    def check(value: int | None) -> int | None:
        if value is not None and not lowest <= value <= highest:
            raise typer.BadParameter(f"{value} is not in the range {lowest}<=x<={highest}")
        return value

    return check


def limit(what: str) -> Any:
    """`--limit N`: how many of a list to show; 0 shows them all, in every command."""
    return typer.Option(
        "--limit", metavar="N", callback=within(0, MAX_ROWS), help=f"How many {what} to list (0: all)."
    )


# `--top N`, the old name of `--limit` (report's), on every command that has `--limit`: one rule.
TopOpt = Annotated[
    int | None,
    typer.Option(
        "--top", metavar="N", callback=within(0, MAX_ROWS), hidden=True, help="Old name of --limit."
    ),
]


def rows(ctx: typer.Context, limit: int, top: int | None) -> int:
    """How many rows --limit asks for, or --top, its old name (with a warning); both is a usage error."""
    if top is None:
        return limit
    if given(ctx, "limit"):
        raise usage("--top is the old name of --limit: give --limit alone")
    typer.echo("oss-tracker: warning: --top is now --limit (--top will go)", err=True)
    return top


def days(help: str) -> Any:
    return typer.Option("--days", metavar="N", min=1, max=MAX_DAYS, help=help)


def plot(what: str) -> Any:
    return typer.Option("--plot", metavar="FILE", help=f"Also write {what}: FILE.png or FILE.svg.")


def choice(name: str, values: type[StrEnum], help: str, **kwargs: Any) -> Any:
    """An option whose values are an enum's, listed in its metavar."""
    return typer.Option(name, metavar=choices(values), help=help, **kwargs)


def seconds(name: str, help: str, *, minimum: float = 0, envvar: str | None = None) -> Any:
    return typer.Option(
        name, metavar="SECONDS", min=minimum, max=DAY_SECONDS, callback=number, envvar=envvar, help=help
    )


IntervalOpt = Annotated[
    Interval, choice("--interval", Interval, "One point a day, week or month (its last snapshot).")
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token", metavar="TOKEN", help="Hub token. Default: $HF_TOKEN or the huggingface_hub login.",
        show_default=False,
    ),
]  # fmt: skip
NowOpt = Annotated[
    datetime | None,
    typer.Option("--now", hidden=True, formats=NOW_FORMATS, help="Pretend it is this UTC time."),
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
    typer.Option(
        "--endpoint", metavar="URL", envvar="HF_ENDPOINT", help="Hub endpoint (a mirror, or a test Hub)."
    ),
]


def output(fmt: Fmt | None, as_json: bool) -> str:
    """The format --format and --json ask for together (table by default)."""
    if as_json and fmt not in (None, Fmt.json):
        raise usage(f"--json is short for --format json: it cannot go with --format {fmt.value}")
    return Fmt.json.value if as_json else (fmt or Fmt.table).value


# -- --since / --until: one parser for every command ----------------------------------------------
DATE_FORMS = (
    "YYYY-MM-DD, YYYY-MM, a time as the tool prints it (2025-11-27T06:00:00Z), "
    "or a span back from today (7d, 4w, 3m, 1y)"
)
_SPAN = r"(\d{1,6})([dwmy])"  # (compiled by `re` on first use)
_MONTH = r"(\d{4})-(\d{2})"
MAX_SPAN_DAYS = MAX_DAYS  # 100 years back at most: a date stays a date


def parse_day(text: str, *, end: bool = False, today: date | None = None) -> date:
    """A UTC day from what a user types for --since/--until: `2025-11-27`, an ISO time
    (`2025-11-27T06:00:00Z`, taken as its UTC day; as `runs` and JSON print them), `2025-11`
    (its first day; with `end`, its last), `27 Nov 2025` (as tables print it), or a span back
    from `today` (UTC): `7d`, `4w`, `3m` (calendar months), `1y`. Anything else is a usage error."""
    value = text.strip()
    if m := re.fullmatch(_SPAN, value.lower()):
        n, unit = int(m[1]), m[2]
        now = today or datetime.now(UTC).date()
        if unit in "dw":
            days = n * (7 if unit == "w" else 1)
            if days > MAX_SPAN_DAYS:
                raise typer.BadParameter(f"{value} goes back more than {MAX_SPAN_DAYS:,} days")
            return now - timedelta(days=days)
        months = n * (12 if unit == "y" else 1)
        if months * 31 > MAX_SPAN_DAYS:
            raise typer.BadParameter(f"{value} goes back more than {MAX_SPAN_DAYS:,} days")
        return _months_back(now, months)
    if m := re.fullmatch(_MONTH, value):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12 and year >= 1:
            first = date(year, month, 1)
            return _months_back(first, -1) - timedelta(days=1) if end else first
    else:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:  # Python 3.11 reads `Z` and offsets; the day is the UTC one
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None:
            return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()
        try:
            return datetime.strptime(value, "%d %b %Y").date()
        except ValueError:
            pass
    raise typer.BadParameter(f"'{text}' is not a date: use {DATE_FORMS}")


def _months_back(day: date, months: int) -> date:
    """The same day of the month `months` months earlier (later if negative), clamped to the
    month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    if year < 1:
        raise typer.BadParameter("that goes back before year 1")
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


def since_day(text: str) -> date:
    return parse_day(text)


def until_day(text: str) -> date:
    return parse_day(text, end=True)


def since(help: str = "First day (UTC)", default: str = "") -> Any:
    return typer.Option("--since", parser=since_day, metavar="DATE", help=f"{help}: {DATE_FORMS}.{default}")


SinceOpt = Annotated[date | None, since()]
UntilOpt = Annotated[
    date | None,
    typer.Option(
        "--until",
        parser=until_day,
        metavar="DATE",
        help="Last day (UTC), as --since; a month means its last day.",
    ),
]


def check_window(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise usage(f"--since {since.isoformat()} is after --until {until.isoformat()}")


# -- options that do nothing where they are given are refused -----------------------------------
def given(ctx: typer.Context, *names: str) -> list[str]:
    """The options among these parameters typed on the command line (not defaults, not the
    environment), as their flags."""
    flags = []
    for param in ctx.command.params:
        if param.name in names:
            source = ctx.get_parameter_source(param.name)
            if getattr(source, "name", "") == "COMMANDLINE":
                flags.append(param.opts[0])
    return flags


def refuse(ctx: typer.Context, names: tuple[str, ...], context: str) -> None:
    """A usage error naming the first of these options given on the command line: it does
    nothing `context`."""
    flags = given(ctx, *names)
    if flags:
        raise usage(f"{flags[0]} does nothing {context}")


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
