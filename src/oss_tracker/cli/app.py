"""Command line: parse, call, render, map errors to exit codes. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from oss_tracker import __version__
from oss_tracker import errors as codes
from oss_tracker.escape import visible

log = logging.getLogger("oss_tracker")

app = typer.Typer(
    help="Keep a local history of what open-model publishers release on the Hugging Face Hub, and how it is used.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


def _number(value: float) -> float:
    """A float option's value, refusing NaN (which passes every range check: `nan > max` is False)."""
    if value != value:
        raise typer.BadParameter(f"{value} is not a number")
    return value


class State:
    config: Path | None = None
    debug = False
    verbosity = 0  # -1 quiet, 0 normal, 1 verbose


def default_db() -> Path:
    """`$OSS_TRACKER_DB`, else `$XDG_DATA_HOME/oss-tracker/oss-tracker.db` (~/.local/share/...)."""
    env = os.environ.get("OSS_TRACKER_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "oss-tracker" / "oss-tracker.db"


DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="SQLite file. Default: $OSS_TRACKER_DB, else ~/.local/share/oss-tracker/oss-tracker.db."
    ),
]
FmtOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]
CompanyOpt = Annotated[
    list[str] | None,
    typer.Option("--company", help="A company of the watch list: all its accounts (repeatable)."),
]
GroupOpt = Annotated[
    list[str] | None, typer.Option("--group", help="A group of the watch list, e.g. china (repeatable).")
]


def _watchlist(*, may_be_new: bool = False):
    """The watch list of --config (which must exist, unless about to be written), else the default file."""
    from oss_tracker import watchlist

    return watchlist.load(State.config, explicit=State.config is not None and not may_be_new)


def _accounts(
    org: list[str] | None, company: list[str] | None, group: list[str] | None, database=None
) -> list[str] | None:
    """The Hub accounts that --org, --company and --group name together; None when none is given.

    For a report (`database` given), a company's or group's accounts that were never synced
    are left out: the example watch list names accounts a user may not sync.
    """
    orgs = _dedupe(org) if org else None
    if not (company or group):
        return orgs
    accounts = _watchlist().resolve(orgs, company, group) or []
    if database is None:
        return accounts
    stored = {r[0].lower() for r in database.execute("SELECT name FROM orgs").fetchall()}
    named = {o.lower() for o in orgs or []}
    kept = [a for a in accounts if a.lower() in stored or a.lower() in named]
    if not kept:
        from oss_tracker.errors import NoData

        raise NoData(f"none of {', '.join(accounts)} was synced yet")
    return kept


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oss-tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="OSS_TRACKER_DEBUG", help="Show tracebacks on errors.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="OSS_TRACKER_CONFIG",
            help="Watch list file. Default: ~/.config/oss-tracker/watchlist.toml (the four mission orgs if absent).",
        ),
    ] = None,
) -> None:
    """Keep a local history of what open-model publishers release on the Hugging Face Hub."""
    State.debug = debug
    State.config = config
    State.verbosity = -1 if quiet else (1 if verbose or debug else 0)
    _setup_logging()


class _VisibleFormatter(logging.Formatter):
    """Log lines carry model ids and Hub messages: each record stays one line, with control
    characters escaped; a traceback (--debug) keeps its line breaks, each line escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return "\n".join(visible(line) for line in super().formatException(ei).split("\n"))

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(visible(line) for line in super().formatStack(stack_info).split("\n"))


def _setup_logging() -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.DEBUG}[State.verbosity]
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        # Its own stderr console: RichHandler's default is rich's global console, on stdout,
        # where log lines would end up inside `--format json` output.
        handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False, markup=False)
        handler.setFormatter(_VisibleFormatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            _VisibleFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        )
    root = logging.getLogger("oss_tracker")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _stdout():
    from rich.console import Console

    return Console(soft_wrap=False, highlight=False, emoji=False)  # names are data, not :emoji: codes


def _fail(message: str, code: int) -> typer.Exit:
    # Messages quote Hub answers, model ids and watch-list names: one line, nothing a terminal runs.
    typer.echo(f"oss-tracker: error: {visible(message)}", err=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """One line on stderr and an exit code for every failure; a traceback only with --debug."""
    try:
        yield
    except (typer.Exit, typer.BadParameter):
        raise  # Typer prints a usage error itself (exit 2)
    except KeyboardInterrupt:
        raise _fail("interrupted: nothing from this run was stored", codes.FAILED) from None
    except Exception as err:
        if State.debug:
            raise
        from oss_tracker.errors import describe

        raise _fail(describe(err), getattr(err, "exit_code", codes.FAILED)) from None


def _open(db: Path | None, *, create: bool):
    """The database: for reports a plain read-only connection when the file is current,
    else (and for sync) sqlite-utils with its migrations and checks."""
    path = db or default_db()
    if not create:
        from oss_tracker.dbfile import open_readonly

        conn = open_readonly(path)
        if conn is not None:
            return conn
    from oss_tracker.store import open_db

    return open_db(path, create=create)


# -- sync ---------------------------------------------------------------------------
@app.command()
def sync(
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org",
            help="Organization to poll (repeatable). Default: the watch list's accounts.",
        ),
    ] = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", envvar="HF_ENDPOINT", help="Hub endpoint (a mirror, or a test Hub)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="Hub token. Default: $HF_TOKEN or the huggingface_hub login.", show_default=False
        ),
    ] = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="Save every Hub response into this folder.")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option("--replay", help="Replay a folder saved with --record instead of the Hub.")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            max=DAY_SECONDS,
            callback=_number,
            help="Seconds to wait for another running sync before giving up.",
        ),
    ] = 0.0,
    retries: Annotated[
        int, typer.Option("--retries", min=0, max=100, help="Retries of a failed Hub request.")
    ] = 5,
    retry_wait: Annotated[
        float,
        typer.Option(
            "--retry-wait",
            min=0,
            max=DAY_SECONDS,
            callback=_number,
            envvar="OSS_TRACKER_RETRY_WAIT",
            help="First retry wait in seconds.",
        ),
    ] = 1.0,
    max_wait: Annotated[
        float,
        typer.Option(
            "--max-wait",
            min=0,
            max=DAY_SECONDS,
            callback=_number,
            envvar="OSS_TRACKER_MAX_WAIT",
            help="Longest single wait in seconds.",
        ),
    ] = 300.0,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            max=DAY_SECONDS,
            callback=_number,
            help="Seconds before a Hub request times out.",
        ),
    ] = 60.0,
    derivatives: Annotated[
        Derivatives,
        typer.Option(
            "--derivatives",
            help="Derivative counts: auto refreshes the stalest within the rate-limit budget, all refreshes every model, none skips.",
        ),
    ] = Derivatives.auto,
    derivative_workers: Annotated[
        int, typer.Option("--derivative-workers", min=1, max=16, help="Derivative counts fetched at once.")
    ] = 8,
    now: Annotated[
        datetime | None,
        typer.Option(
            "--now", hidden=True, formats=NOW_FORMATS, help="Pretend the run starts at this UTC time."
        ),
    ] = None,
) -> None:
    """Poll the watched organizations and store one snapshot run in the database."""
    if record is not None and replay is not None:
        raise typer.BadParameter("use --record or --replay, not both", param_hint="--record")
    with _errors():
        from oss_tracker import hub
        from oss_tracker.lock import sync_lock
        from oss_tracker.replay import read_manifest
        from oss_tracker.sync import SyncFailed, run_sync
        from oss_tracker.transport import RetryPolicy

        manifest = read_manifest(replay) if replay is not None else {}
        # A replay asks for what its recording asked for, unless told otherwise.
        named = _accounts(org, company, group)
        orgs = named or manifest.get("orgs") or _watchlist().accounts()
        path = db or default_db()
        clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
        if replay is not None:
            recorded = manifest.get("recorded_at")
            if now is None and recorded:
                now = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
            fixed = now
            clock = lambda: fixed  # noqa: E731 - a replay is dated by its recording
        start = (now.replace(tzinfo=now.tzinfo or UTC) if now else clock()).astimezone(UTC)
        from oss_tracker.store import check_location

        # The lock first: a sync refused as busy writes nothing, not even a migration.
        check_location(path)
        with _stop_on_signals(path) as on_stop, sync_lock(path, wait=wait):
            store_db = _open(path, create=True)
            session = hub.connect(
                endpoint=endpoint,
                token=token,
                replay=replay,
                record=record,
                policy=RetryPolicy(retries=retries, base_wait=retry_wait, max_wait=max_wait),
                timeout=timeout,
                started_at=start,
                orgs=orgs,
            )
            on_stop.append(session.transport.cancel)  # in-flight fetches stop at their next request
            try:
                with _progress() as progress:
                    summary = run_sync(
                        store_db,
                        session,
                        orgs,
                        now=start,
                        clock=clock,
                        progress=progress,
                        derivative_mode=derivatives.value,
                        derivative_workers=derivative_workers,
                        strict=named is not None,  # a typo on the command line stops; cron goes on
                    )
            except SyncFailed as err:
                raise _fail(f"sync failed, nothing stored: {err}", codes.FAILED) from None
            finally:
                session.close()
                store_db.close()  # before the lock's descriptor closes (see lock.py)
        if State.verbosity >= 0 or summary.status != "ok":
            typer.echo(visible(summary.line()), err=True)
        if summary.status != "ok":
            raise typer.Exit(codes.PARTIAL)


def _dedupe(items: list[str], hint: str = "--org") -> list[str]:
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


@contextmanager
def _progress() -> Iterator[Callable[[str, int], None] | None]:
    """A live line of per-org counts on a terminal; nothing at all otherwise."""
    if not sys.stderr.isatty() or State.verbosity < 0:
        yield None
        return
    from rich.console import Console
    from rich.text import Text

    counts: dict[str, int] = {}
    with Console(stderr=True).status("Fetching…") as status:

        def update(org: str, n: int) -> None:
            counts[org] = n
            # A Text, not a str: rich would read `[...]` in an org name as markup.
            status.update(Text(visible("Fetching " + ", ".join(f"{o}: {c:,}" for o, c in counts.items()))))

        yield update


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C so that the open transaction rolls back."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


@contextmanager
def _stop_on_signals(path: Path) -> Iterator[list[Callable[[], None]]]:
    """SIGINT, SIGTERM and SIGHUP stop a sync cleanly; a second signal ends the process at once.

    The first signal runs the hooks (the transport's cancel, so that fetches in other
    threads stop at their next request) and raises in the main thread: the run's
    transaction is rolled back, the lock released, and the block ends with one line and
    exit 1. A second one exits on the spot, which SQLite survives as it survives SIGKILL:
    an uncommitted transaction is no change.
    """
    import signal
    import threading

    hooks: list[Callable[[], None]] = []
    last_run = _last_run_id(path)
    if threading.current_thread() is not threading.main_thread():
        try:
            yield hooks
        except KeyboardInterrupt as err:
            raise _interrupted(err, path, last_run) from None
        return
    caught: list[str] = []

    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if caught:
            message = f"oss-tracker: error: {name} again: stopped at once, nothing from this run was stored\n"
            os.write(2, message.encode())
            os._exit(codes.FAILED)
        caught.append(name)
        for hook in hooks:
            hook()
        raise _Stopped(name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield hooks
    except KeyboardInterrupt as err:
        raise _interrupted(err, path, last_run) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _last_run_id(path: Path) -> int | None:
    """The newest stored run, read without writing anything (None: no database or no run yet)."""
    import sqlite3

    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT max(id) FROM runs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _interrupted(err: KeyboardInterrupt, path: Path, last_run: int | None) -> typer.Exit:
    """The one line for a sync stopped by a signal; true even if the signal came just after the commit."""
    name = getattr(err, "signame", "SIGINT")
    try:
        stored = _last_run_id(path)
    except Exception:  # noqa: BLE001 - the message must still go out
        stored = last_run
    if stored != last_run:
        return _fail(f"interrupted by {name} after run #{stored} was stored", codes.FAILED)
    return _fail(f"interrupted by {name}: nothing from this run was stored", codes.FAILED)


# -- health -------------------------------------------------------------------------
@app.command()
def status(
    db: DbOpt = None,
    max_age: Annotated[
        float,
        typer.Option(
            "--max-age",
            min=0,
            max=MAX_DAYS * 24,
            callback=_number,
            help="Hours after which the last stored run counts as stale.",
        ),
    ] = 36.0,
    fmt: FmtOpt = Fmt.table,
    now: Annotated[
        datetime | None,
        typer.Option("--now", hidden=True, formats=NOW_FORMATS, help="Pretend it is this UTC time."),
    ] = None,
) -> None:
    """Health for cron: last run and its status, days missed, database size.

    Exit code 0 when the last run is ok and recent, 3 when it was partial, 1 when it is
    older than --max-age hours or there is none (or no database).
    """
    with _errors():
        from oss_tracker.health import status_report

        path = db or default_db()
        database = _open(path, create=False)
        moment = (now.replace(tzinfo=now.tzinfo or UTC) if now else datetime.now(UTC)).astimezone(UTC)
        health, code = status_report(database, path, now=moment, max_age_hours=max_age)
        _show(lambda: health, fmt)
    if code != codes.OK:
        raise typer.Exit(code)


@app.command()
def backup(
    dest: Annotated[
        Path, typer.Argument(help="File to write, or a folder (then NAME-YYYY-MM-DD.db inside it).")
    ],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing backup file.")] = False,
) -> None:
    """Copy the database safely, even while a sync runs (SQLite's online backup), and check the copy.

    Prints the backup's path on stdout and one line on stderr.
    """
    with _errors():
        from oss_tracker.health import backup as make_backup
        from oss_tracker.health import describe_backup

        result = make_backup(db or default_db(), dest, now=datetime.now(UTC), force=force)
    typer.echo(str(result.path))
    if State.verbosity >= 0:
        typer.echo(visible(describe_backup(result)), err=True)


# -- reports ------------------------------------------------------------------------
def _show(report_fn: Callable[[], object], fmt: Fmt) -> None:
    _render_report(report_fn(), fmt)


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
        org = _dedupe([org])[0]
    with _errors():
        database = _open(db, create=False)
        if company is not None or group is not None:
            from oss_tracker.rollup import company_report
            from oss_tracker.watchlist import Company

            wl = _watchlist()
            if group is not None:
                members = wl.group(group)
                accounts = [a for c in members for a in c.accounts]
                target = Company(f"group {group}", accounts, None)
            else:
                target = wl.company(company)
            _show(lambda: company_report(database, target, top=top), fmt)
            return
        from oss_tracker.reports import org_report

        _show(lambda: org_report(database, org, top=top, days=days), fmt)


@app.command()
def changes(
    org: OrgsOpt = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """What changed between the last two syncs: new, removed, renamed, licence changes."""
    with _errors():
        from oss_tracker.reports import changes as changes_report

        database = _open(db, create=False)
        orgs = _accounts(org, company, group, database)
        _show(lambda: changes_report(database, orgs), fmt)


class Relation(StrEnum):
    finetune = "finetune"
    quantized = "quantized"
    adapter = "adapter"
    merge = "merge"


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
        str | None, typer.Option("--family", help="Also roll up a family by name glob, e.g. 'Qwen3-*'.")
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
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", envvar="HF_ENDPOINT", help="Hub endpoint, for --list.")
    ] = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """Bases ranked by direct derivatives (finetune, quantized, adapter, merge), with change and org totals."""
    with _errors():
        if list_repos:
            if model_id is None:
                raise typer.BadParameter("--list needs a MODEL_ID", param_hint="--list")
            from oss_tracker import hub
            from oss_tracker.derivative_report import children_listing

            rel = relation.value if relation else None
            with hub.connect(endpoint=endpoint) as session:
                items = list(hub.iter_derivatives(session.api, model_id, rel, limit))
            _show(lambda: children_listing(items, model_id, rel), fmt)
            return
        from oss_tracker.derivative_report import edges_report, model_history, ranking

        database = _open(db, create=False)
        if model_id is not None and not edges:
            _show(lambda: model_history(database, model_id), fmt)
            return
        orgs = _accounts(org, company, group, database)
        if edges:
            _show(lambda: edges_report(database, orgs), fmt)
        else:
            _show(lambda: ranking(database, orgs=orgs, limit=limit, family=family), fmt)


# -- analyst reports: trends, releases, licences, compare (read only the database) ----------
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


OrgsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--org", metavar="ORG", help="Organization (repeatable). Default: every organization in the database."
    ),
]
SinceOpt = Annotated[
    datetime | None,
    typer.Option("--since", formats=["%Y-%m-%d"], metavar="DATE", help="First day (UTC), YYYY-MM-DD."),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option("--until", formats=["%Y-%m-%d"], metavar="DATE", help="Last day (UTC), YYYY-MM-DD."),
]


def _render_report(report: object, fmt: Fmt, plot: Path | None = None) -> None:
    from oss_tracker.render import render

    # rich only for tables: JSON, CSV and Markdown for scripts start faster without it.
    render(report, fmt.value, _stdout() if fmt is Fmt.table else None)
    if plot is not None:
        from oss_tracker.charts import write_plot

        write_plot(report.charts, plot)
        if State.verbosity >= 0:
            typer.echo(visible(f"wrote {plot}"), err=True)


def _check_plot(plot: Path | None) -> None:
    """A wrong --plot suffix is a usage error (exit 2), found before any work is done."""
    if plot is not None:
        from oss_tracker.charts import PlotError, check_path

        try:
            check_path(plot)
        except PlotError as err:
            raise typer.BadParameter(str(err), param_hint="--plot") from None


def _day(value: datetime | None):
    return value.date() if value is not None else None


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
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", metavar="FILE", help="Also write a chart, lines per series: FILE.png or FILE.svg."
        ),
    ] = None,
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
    if since and until and since > until:
        raise typer.BadParameter("--since is after --until", param_hint="--since")
    _check_plot(plot)
    with _errors():
        from oss_tracker.trend_report import trends as trends_report

        database = _open(db, create=False)
        report_ = trends_report(
            database,
            orgs=_accounts(org, company, group, database),
            models=model,
            metric=metric.value,
            interval=interval.value,
            since=_day(since),
            until=_day(until),
        )
        _render_report(report_, fmt, plot)


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
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE", help="Also write releases per month: FILE.png or FILE.svg."),
    ] = None,
    db: DbOpt = None,
    fmt: FmtOpt = Fmt.table,
) -> None:
    """The release feed, newest first, with licence, size, pipeline and first-seen date; releases per month."""
    if since and until and since > until:
        raise typer.BadParameter("--since is after --until", param_hint="--since")
    _check_plot(plot)
    with _errors():
        from oss_tracker.release_report import releases as releases_report

        database = _open(db, create=False)
        orgs = _accounts(org, company, group, database)
        if kind is not Kind.model:
            if plot is not None:
                raise typer.BadParameter("--plot is for model releases", param_hint="--plot")
            from oss_tracker.rollup import repo_releases

            found = repo_releases(
                database, kind.value, orgs=orgs, since=_day(since), until=_day(until), limit=limit
            )
            _render_report(found, fmt)
            return
        _render_report(
            releases_report(database, orgs=orgs, since=_day(since), until=_day(until), limit=limit), fmt, plot
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
    with _errors():
        from oss_tracker.licence_report import licenses_report

        database = _open(db, create=False)
        _render_report(licenses_report(database, orgs=_accounts(org, company, group, database)), fmt)


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
    orgs = _dedupe(orgs, hint="ORG") if orgs else orgs
    with _errors():
        database = _open(db, create=False)
        if by is By.company or group:
            from oss_tracker.rollup import company_compare

            wl = _watchlist()
            if group:
                chosen = [c for g in group for c in wl.group(g)]
                label = "group " + ", ".join(group)
            elif company:
                chosen, label = [wl.company(c) for c in company], "chosen companies"
            else:
                chosen, label = list(wl.companies.values()), "watch list"
            _render_report(
                company_compare(database, wl, companies=chosen, since=_day(since), label=label), fmt
            )
            return
        from oss_tracker.compare_report import compare as compare_report

        _render_report(
            compare_report(database, _accounts(orgs, company, None, database), since=_day(since)), fmt
        )


# -- watch list ---------------------------------------------------------------------
watch_app = typer.Typer(
    help="Show or change the watch list: companies, their Hub accounts, groups.", no_args_is_help=True
)
app.add_typer(watch_app, name="watch")


@watch_app.command("list")
def watch_list(fmt: FmtOpt = Fmt.table) -> None:
    """Companies, their accounts, country and groups, as the next sync will watch them."""
    with _errors():
        from oss_tracker.reports import Column, Report, Section

        wl = _watchlist()
        rows = []
        for company in wl.companies.values():
            groups = [g for g, members in wl.groups.items() if company.name in members]
            rows.append(
                {
                    "company": company.name,
                    "accounts": ", ".join(company.accounts),
                    "country": company.country,
                    "groups": ", ".join(groups),
                    "unverified": ", ".join(company.unverified),
                }
            )
        source = str(wl.path) if wl.path and wl.path.exists() else f"built-in default (no file at {wl.path})"
        data = {
            "path": str(wl.path) if wl.path else None,
            "companies": [
                {"name": c.name, "accounts": c.accounts, "country": c.country, "unverified": c.unverified}
                for c in wl.companies.values()
            ],
            "groups": wl.groups,
        }
        columns = [Column("company", "Company"), Column("accounts", "Hub accounts"), Column("country", "Country"),
                   Column("groups", "Groups"), Column("unverified", "Unverified")]  # fmt: skip
        _show(
            lambda: Report("Watch list", data, [Section(f"{len(rows)} companies", columns, rows)], source),
            fmt,
        )


@watch_app.command("add")
def watch_add(
    account: Annotated[str, typer.Argument(help="Hub account (organization) to watch.")],
    company: Annotated[
        str | None, typer.Option("--company", help="Company it belongs to (default: the account).")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Country of a new company, e.g. CN or US.")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="Also put the company in this group.")] = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", envvar="HF_ENDPOINT", help="Hub endpoint used to check the account."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Check on the Hub that the account exists.")
    ] = True,
) -> None:
    """Add an account to the watch list, after checking on the Hub that it exists."""
    name = _dedupe([account], hint="ACCOUNT")[0]
    _labels(company=company, country=country, group=group)
    with _errors():
        from oss_tracker import watchlist

        wl = _watchlist(may_be_new=True)  # a first `add` writes the default list plus the account
        if check:
            from oss_tracker import hub
            from oss_tracker.sync import check_account

            with hub.connect(endpoint=endpoint) as session:
                name = check_account(session, name)
        target = wl.add(name, company, country, group)
        path = wl.path or watchlist.default_path()
        watchlist.save(wl, path)
        typer.echo(visible(f"watching {name} (company {target.name}) — saved to {path}"), err=True)


@watch_app.command("remove")
def watch_remove(account: Annotated[str, typer.Argument(help="Hub account to stop watching.")]) -> None:
    """Stop watching an account (its stored history stays in the database)."""
    account = _dedupe([account], hint="ACCOUNT")[0]
    with _errors():
        from oss_tracker import watchlist

        wl = _watchlist()
        company = wl.remove(account)
        path = wl.path or watchlist.default_path()
        watchlist.save(wl, path)
        typer.echo(
            visible(f"no longer watching {account} (company {company.name}) — saved to {path}"), err=True
        )


def _labels(**values: str | None) -> None:
    """Company, country and group names become TOML keys and titles: one line of text each."""
    from oss_tracker.names import label_problem

    what = {"company": "company name", "group": "group name", "country": "country"}
    for option, value in values.items():
        problem = None if value is None else label_problem(value, what[option])
        if problem is not None:
            raise typer.BadParameter(problem, param_hint=f"--{option}")


def main() -> None:
    app(prog_name="oss-tracker")
