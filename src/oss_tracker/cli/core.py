"""The Typer app: global options, logging, one line and an exit code for every error, and
the few steps every command shares (open the database, render a report)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


def say(message: str) -> None:
    """A line for people on stderr (unless --quiet); it may quote names from outside."""
    if State.verbosity >= 0:
        typer.echo(visible(message), err=True)


def fail(message: str, code: int) -> typer.Exit:
    # Messages quote Hub answers, model ids and watch-list names: one line, nothing a terminal runs.
    typer.echo(f"oss-tracker: error: {visible(message)}", err=True)
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """One line on stderr and an exit code for every failure; a traceback only with --debug."""
    try:
        yield
    except (typer.Exit, typer.BadParameter):
        raise  # Typer prints a usage error itself (exit 2)
    except KeyboardInterrupt:
        raise fail("interrupted: nothing from this run was stored", codes.FAILED) from None
    except Exception as err:
        if State.debug:
            raise
        from oss_tracker.errors import describe

        raise fail(describe(err), getattr(err, "exit_code", codes.FAILED)) from None


def watchlist(*, may_be_new: bool = False):
    """The watch list of --config (which must exist, unless about to be written), else the default file."""
    from oss_tracker import watchlist as wl

    return wl.load(State.config, explicit=State.config is not None and not may_be_new)


def open_database(db: Path | None):
    """The database for a report: a plain read-only connection when the file is current, else
    the store's own open with its migrations and checks (an older file is migrated, if writable)."""
    path = db or default_db()
    from oss_tracker.store.open import open_db, open_readonly

    conn = open_readonly(path)
    if conn is not None:
        return conn
    return open_db(path, create=False)


def show(report: Any, fmt: str, plot: Path | None = None) -> None:
    """Render a report on stdout; with `plot`, also write its first chart to that file."""
    from oss_tracker.render.formats import render

    console = None
    if fmt == "table":  # rich only for tables: JSON, CSV and Markdown start faster without it
        from rich.console import Console

        console = Console(soft_wrap=False, highlight=False, emoji=False)  # names are data, not :emoji: codes
    render(report, fmt, console)
    if plot is not None:
        from oss_tracker.render.charts import write_plot

        write_plot(report.charts, plot)
        say(f"wrote {plot}")
