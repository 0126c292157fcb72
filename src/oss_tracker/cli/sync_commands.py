"""The commands cron runs: `sync`, `status`, `backup`."""

# (No `from __future__ import annotations`: see cli/core.py.)

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from oss_tracker import errors as codes
from oss_tracker.cli.core import (
    State,
    command,
    default_db,
    errors,
    open_database,
    say,
    show,
    usage,
    watchlist,
)
from oss_tracker.cli.options import (
    DAY_SECONDS,
    MAX_DAYS,
    NOW_FORMATS,
    CompanyOpt,
    DbOpt,
    Derivatives,
    EndpointOpt,
    FmtOpt,
    GroupOpt,
    JsonOpt,
    accounts,
    number,
    output,
    refuse,
)
from oss_tracker.escape import visible


def _seconds(
    name: str, help: str, *, minimum: float = 0, envvar: str | None = None
) -> typer.models.OptionInfo:
    return typer.Option(
        name, metavar="SECONDS", min=minimum, max=DAY_SECONDS, callback=number, envvar=envvar, help=help
    )


@command()
def sync(
    ctx: typer.Context,
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org",
            metavar="ORG",
            help="Organization to poll (repeatable). Default: the watch list's accounts.",
        ),
    ] = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    endpoint: EndpointOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            help="Hub token. Default: $HF_TOKEN or the huggingface_hub login.",
            show_default=False,
        ),
    ] = None,
    record: Annotated[
        Path | None, typer.Option("--record", metavar="DIR", help="Save every Hub response into this folder.")
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay", metavar="DIR", help="Replay a folder saved with --record instead of the Hub."
        ),
    ] = None,
    wait: Annotated[
        float, _seconds("--wait", "Seconds to wait for another running sync before giving up.")
    ] = 0.0,
    retries: Annotated[
        int, typer.Option("--retries", metavar="N", min=0, max=100, help="Retries of a failed Hub request.")
    ] = 5,
    retry_wait: Annotated[
        float, _seconds("--retry-wait", "First retry wait in seconds.", envvar="OSS_TRACKER_RETRY_WAIT")
    ] = 1.0,
    max_wait: Annotated[
        float, _seconds("--max-wait", "Longest single wait in seconds.", envvar="OSS_TRACKER_MAX_WAIT")
    ] = 300.0,
    timeout: Annotated[
        float, _seconds("--timeout", "Seconds before a Hub request times out.", minimum=1)
    ] = 60.0,
    derivatives: Annotated[
        Derivatives,
        typer.Option(
            "--derivatives",
            help="Derivative counts: auto refreshes the stalest within the rate-limit budget, all refreshes every model, none skips.",
        ),
    ] = Derivatives.auto,
    derivative_workers: Annotated[
        int,
        typer.Option(
            "--derivative-workers", metavar="N", min=1, max=16, help="Derivative counts fetched at once."
        ),
    ] = 8,
    now: Annotated[
        datetime | None,
        typer.Option(
            "--now", hidden=True, formats=NOW_FORMATS, help="Pretend the run starts at this UTC time."
        ),
    ] = None,
) -> None:
    """Poll the watched organizations and store one snapshot run in the database.

    \b
    Examples:
      oss-tracker sync
      oss-tracker -q sync --wait 900
      oss-tracker sync --org Qwen --derivatives none
      oss-tracker sync --replay fixtures/replay/2025-11-24 --db demo.db
    """
    if record is not None and replay is not None:
        raise usage("use --record or --replay, not both")
    if replay is not None:
        refuse(ctx, ("endpoint", "token"), "with --replay (the recording answers, not a Hub)")
    if derivatives is Derivatives.none:
        refuse(ctx, ("derivative_workers",), "with --derivatives none")
    with errors():
        from oss_tracker.sync.job import SyncJob, run_job

        job = SyncJob(
            path=db or default_db(),
            named=accounts(org, company, group),
            watched=lambda: watchlist().accounts(),
            endpoint=endpoint,
            token=token,
            record=record,
            replay=replay,
            wait=wait,
            retries=retries,
            retry_wait=retry_wait,
            max_wait=max_wait,
            timeout=timeout,
            derivatives=derivatives.value,
            derivative_workers=derivative_workers,
            now=now,
        )
        with _progress() as progress:
            summary = run_job(job, progress)
    if State.verbosity >= 0 or summary.status != "ok":
        typer.echo(visible(summary.line()), err=True)
    if summary.status != "ok":
        raise typer.Exit(codes.PARTIAL)


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


@command()
def status(
    db: DbOpt = None,
    max_age: Annotated[
        float,
        typer.Option(
            "--max-age",
            min=0,
            max=MAX_DAYS * 24,
            callback=number,
            metavar="HOURS",
            help="Hours after which the last stored run counts as stale.",
        ),
    ] = 36.0,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
    now: Annotated[
        datetime | None,
        typer.Option("--now", hidden=True, formats=NOW_FORMATS, help="Pretend it is this UTC time."),
    ] = None,
) -> None:
    """Health for cron: last run and its status, days missed, database size.

    Exit code 0 when the last run is ok and recent, 3 when it was partial, 1 when it is
    older than --max-age hours or there is none (or no database).

    \b
    Examples:
      oss-tracker status
      oss-tracker -q status --max-age 30
      oss-tracker status --json
    """
    fmt_name = output(fmt, as_json)
    with errors():
        from oss_tracker.reports.status import status_report

        path = db or default_db()
        database = open_database(path)
        moment = (now.replace(tzinfo=now.tzinfo or UTC) if now else datetime.now(UTC)).astimezone(UTC)
        health, code = status_report(database, path, now=moment, max_age_hours=max_age)
        show(health, fmt_name)
    if code != codes.OK:
        raise typer.Exit(code)


@command()
def backup(
    dest: Annotated[
        Path,
        typer.Argument(
            metavar="DEST", help="File to write, or a folder (then NAME-YYYY-MM-DD.db inside it)."
        ),
    ],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing backup file.")] = False,
) -> None:
    """Copy the database safely, even while a sync runs (SQLite's online backup), and check the copy.

    Prints the backup's path on stdout and one line on stderr.

    \b
    Examples:
      oss-tracker backup ~/backups/oss-tracker/
      oss-tracker backup /mnt/backup/tracker.db --force
    """
    with errors():
        from oss_tracker.store.backup import backup as make_backup
        from oss_tracker.store.backup import describe_backup

        result = make_backup(db or default_db(), dest, now=datetime.now(UTC), force=force)
    typer.echo(str(result.path))
    say(describe_backup(result))
