"""The commands cron runs: `sync`, `status`, `backup`; and `export`, the whole history out."""

# (No `from __future__ import annotations`: see cli/core.py.)

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from oss_tracker import errors as codes
from oss_tracker.cli import options as o
from oss_tracker.cli.core import (
    State,
    command,
    default_db,
    emit,
    errors,
    open_database,
    say,
    show,
    usage,
    watchlist,
)
from oss_tracker.cli.options import (
    NOW_FORMATS,
    CompanyOpt,
    DbOpt,
    Derivatives,
    EndpointOpt,
    ExportFormat,
    FamiliesOpt,
    FmtOpt,
    GroupOpt,
    Interval,
    JsonOpt,
    NowOpt,
    SinceOpt,
    TokenOpt,
    UntilOpt,
    accounts,
    check_window,
    number,
    output,
    refuse,
)
from oss_tracker.escape import visible
from oss_tracker.render.progress import sync_progress

_seconds = o.seconds

RetryWait = Annotated[
    float, o.seconds("--retry-wait", "First retry wait in seconds.", envvar="OSS_TRACKER_RETRY_WAIT")
]
MaxWait = Annotated[
    float, o.seconds("--max-wait", "Longest single wait in seconds.", envvar="OSS_TRACKER_MAX_WAIT")
]


@command()
def sync(
    ctx: typer.Context,
    org: Annotated[list[str] | None, typer.Option("--org", metavar="ORG", help="Organization to poll (repeatable). Default: the watch list's accounts.")] = None,
    company: CompanyOpt = None,
    group: GroupOpt = None,
    db: DbOpt = None,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    record: Annotated[Path | None, typer.Option("--record", metavar="DIR", help="Save every Hub response into this folder.")] = None,
    replay: Annotated[Path | None, typer.Option("--replay", metavar="DIR", help="Replay a folder saved with --record instead of the Hub.")] = None,
    wait: Annotated[float, o.seconds("--wait", "Seconds to wait for another running sync before giving up.")] = 0.0,
    retries: Annotated[int, typer.Option("--retries", metavar="N", min=0, max=100, help="Retries of a failed Hub request.")] = 5,
    retry_wait: RetryWait = 1.0,
    max_wait: MaxWait = 300.0,
    timeout: Annotated[float, o.seconds("--timeout", "Seconds before a Hub request times out.", minimum=1)] = 60.0,
    derivatives: Annotated[Derivatives, o.choice("--derivatives", Derivatives, "Derivative counts: auto refreshes the stalest within the rate-limit budget, all refreshes every model, none skips.")] = Derivatives.auto,
    derivative_workers: Annotated[int, typer.Option("--derivative-workers", metavar="N", min=1, max=16, help="Derivative counts fetched at once.")] = 8,
    families: FamiliesOpt = False,
    now: NowOpt = None,
) -> None:  # fmt: skip
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
    if families and (record is not None or replay is not None):
        raise usage("--families reads the Hub's archive: not with --record or --replay")
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
            companies=_company_map,
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
        with sync_progress(State.verbosity < 0) as (progress, retrying):
            summary = run_job(job, progress, retrying)
    if State.verbosity >= 0 or summary.status != "ok" or summary.warnings:  # -q: cron mails what needs a look
        typer.echo(visible(summary.line()), err=True)
    built = _sync_families(job) if families else "ok"
    if summary.status != "ok" or built != "ok":
        raise typer.Exit(codes.PARTIAL)


def _sync_families(job) -> str:
    """`sync --families`: the newest archived day's families, through backfill's code path (the
    sync's endpoint, token, retries); the run just stored stays whatever happens here. Returns the
    status: ok, or partial (the sync is stored, its families are not: exit 3)."""
    from oss_tracker.errors import describe
    from oss_tracker.sync.backfill import BackfillJob, run_backfill
    from oss_tracker.sync.families import families_part

    try:
        summary = run_backfill(
            BackfillJob(
                path=job.path, named=job.named, watched=job.watched, endpoint=job.endpoint, token=job.token,
                retries=job.retries, retry_wait=job.retry_wait, max_wait=job.max_wait, timeout=job.timeout,
                wait=job.wait, now=job.now, families=True, snapshots=False, latest=True, companies=_companies,
            )
        )  # fmt: skip
    except KeyboardInterrupt:
        raise
    except Exception as err:
        if State.debug:
            raise
        typer.echo(f"oss-tracker: error: families not built: {visible(describe(err))}", err=True)
        return "partial"
    if summary.held:
        line = "the newest archived day's families are already stored"
    elif summary.families or summary.family_skipped:
        line = families_part(summary.families, summary.family_skipped)
    else:
        line = "no archived day's families built"
    problems = [
        f"{d}: {why}"
        for d, why in summary.failed + summary.unreadable + summary.family_failed + summary.skipped
    ]
    status = "ok" if summary.status == "ok" and (summary.families or summary.held) else "partial"
    if State.verbosity >= 0 or status != "ok":
        typer.echo(
            visible(f"families {status}: {line}" + (" — " + "; ".join(problems) if problems else "")),
            err=True,
        )
    return status


def _companies() -> list[tuple[str, list[str]]]:
    """The watch list's companies and their accounts: which accounts a sync classifies as one
    company's (issue 14: a conversion of a Qwen model in Wan-AI is still Alibaba's conversion)."""
    return [(c.name, list(c.accounts)) for c in watchlist().companies.values()]


def _company_map() -> dict[str, str]:
    from oss_tracker.store.kinds import company_map

    return company_map(_companies())


@command()
def status(
    db: DbOpt = None,
    max_age: Annotated[float, typer.Option("--max-age", min=0, max=o.MAX_DAYS * 24, callback=number, metavar="HOURS", help="Hours after which the last stored run counts as stale.")] = 36.0,
    fmt: FmtOpt = None,
    as_json: JsonOpt = False,
    now: NowOpt = None,
) -> None:  # fmt: skip
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
    # not a Path: Path("DIR/") drops the slash that says DIR is a folder
    dest: Annotated[str, typer.Argument(metavar="DEST", help="File to write, or a folder (then NAME-YYYY-MM-DD.db inside it); DIR/ makes the folder if need be.")],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing backup file.")] = False,
) -> None:  # fmt: skip
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
    emit(str(result.path))
    say(describe_backup(result))


@command()
def export(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A new or empty folder to write (made if missing).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", metavar=o.choices(ExportFormat), help="CSV, or Parquet (needs pyarrow).")] = ExportFormat.csv,
    db: DbOpt = None,
) -> None:  # fmt: skip
    """Every table and view of the database, one file each, for other tools: NAME.csv or
    NAME.parquet, then manifest.json (files, rows, columns, as of).

    Reads one state of the database, even while a sync runs. Prints the folder on stdout and one
    line on stderr.

    \b
    Examples:
      oss-tracker export history-csv
      oss-tracker export history-parquet --format parquet
    """
    with errors():
        from oss_tracker.store.export import MANIFEST, need_pyarrow
        from oss_tracker.store.export import export as write_export

        if fmt is ExportFormat.parquet:
            need_pyarrow()  # before the folder is made
        from oss_tracker.reports.common import data_source

        database = open_database(db)
        source = data_source(database)  # the demo's data stays labelled as such in what it exports
        done = write_export(getattr(database, "conn", database), folder, fmt.value, source=source)
    tables = sum(1 for e in done if e.type == "table")
    rows = sum(e.rows for e in done)
    emit(str(folder))
    say(
        f"export ok: {tables} tables and {len(done) - tables} views, {rows:,} rows, "
        f"{fmt.value} files and {MANIFEST} in {folder}" + (f" · {source[1]}" if source[1] else "")
    )


@command()
def backfill(
    since: SinceOpt = None,
    until: UntilOpt = None,
    every: Annotated[
        Interval,
        typer.Option(
            "--every",
            metavar=o.choices(Interval),
            help="One archived day per day, week or month (the last of each).",
        ),
    ] = Interval.day,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            metavar="hub-stats|PATH",
            help="hub-stats (the Hub's public archive) or a local file or folder (models/YYYY-MM-DD/models.parquet).",
        ),
    ] = "hub-stats",
    repo: Annotated[
        str, typer.Option("--repo", metavar="REPO", help="The archive's dataset repo on the Hub.")
    ] = "cfahlgren1/hub-stats",
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org", metavar="ORG", help="Organization to backfill (repeatable). Default: the watch list's."
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
    wait: Annotated[float, _seconds("--wait", "Seconds to wait for a running sync before giving up.")] = 0.0,
    retries: Annotated[
        int, typer.Option("--retries", metavar="N", min=0, max=100, help="Retries of a failed request.")
    ] = 5,
    timeout: Annotated[float, _seconds("--timeout", "Seconds before a request times out.", minimum=1)] = 60.0,
    retry_wait: Annotated[
        float, _seconds("--retry-wait", "First retry wait in seconds.", envvar="OSS_TRACKER_RETRY_WAIT")
    ] = 1.0,
    max_wait: Annotated[
        float, _seconds("--max-wait", "Longest single wait in seconds.", envvar="OSS_TRACKER_MAX_WAIT")
    ] = 300.0,
    families: FamiliesOpt = False,
    now: Annotated[
        datetime | None, typer.Option("--now", hidden=True, formats=NOW_FORMATS, help="This machine's clock.")
    ] = None,
) -> None:
    """Import archived daily snapshots of the watched accounts (history from before the first sync).

    Each archived day becomes one run marked as from the archive; days (or accounts on a day)
    already stored are left as they are. Resumable: run it again to go on.

    \b
    Examples:
      oss-tracker backfill --since 2025-06
      oss-tracker backfill --since 1y --every week --org Qwen
      oss-tracker backfill --source ./hub-stats-copy/ --until 2025-11-23
    """
    check_window(since, until)
    with errors():
        from oss_tracker.sync.backfill import BackfillJob, run_backfill

        job = BackfillJob(
            path=db or default_db(),
            named=accounts(org, company, group),
            watched=lambda: watchlist().accounts(),
            since=since,
            until=until,
            every=every.value,
            source=source,
            repo=repo,
            endpoint=endpoint,
            token=token,
            retries=retries,
            retry_wait=retry_wait,
            max_wait=max_wait,
            timeout=timeout,
            wait=wait,
            now=now.replace(tzinfo=now.tzinfo or UTC) if now else None,
            families=families,
            companies=_companies,
        )
        from oss_tracker.render.progress import backfill_progress

        with backfill_progress(State.verbosity < 0, State.verbosity > 0) as (progress, said):
            summary = run_backfill(job, progress, lambda day: said(day.line()))
    if State.verbosity >= 0 or summary.status != "ok":
        typer.echo(visible(summary.line()), err=True)
    if summary.status == "failed":
        raise typer.Exit(codes.FAILED)
    if summary.status != "ok":
        raise typer.Exit(codes.PARTIAL)
