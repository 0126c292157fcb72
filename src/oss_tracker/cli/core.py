"""The Typer app: global options, logging, one line and an exit code for every error, and
the few steps every command shares (open the database, render a report)."""

# (No `from __future__ import annotations`: Typer evaluates every string annotation of a
# command twice when it builds it, which costs more than evaluating them once here.)

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from oss_tracker import __version__
from oss_tracker import errors as codes
from oss_tracker.cli.usage import hoist_globals, run_group
from oss_tracker.escape import visible

# The commands that read the database and log nothing: they skip setting up logging (and
# importing it), and `main` may skip Python's teardown after them (cli/__init__.py).
READ_ONLY = ("report", "changes", "model", "families", "trends", "top", "releases", "licenses", "compare", "status",
             "derivatives")  # fmt: skip

# Building a command's Click object costs about a millisecond: `main` asks for the one command
# it will run (`only`), and the others are only noted, until `build_all`.
_ONLY: set[str] | None = None
_PENDING: list[tuple[str | None, dict[str, Any], Any]] = []


def command(name: str | None = None, **kwargs: Any) -> Any:
    """`app.command`, except that a command other than the one asked for is only noted."""

    def register(f: Any) -> Any:
        if _ONLY is None or (name or f.__name__.replace("_", "-")) in _ONLY:
            app.command(name, **kwargs)(f)
        else:
            _PENDING.append((name, kwargs, f))
        return f

    return register


def build_only(names: set[str] | None) -> None:
    """Register only these commands from now on (None: every command, the noted ones too)."""
    global _ONLY
    _ONLY = names
    if names is None:
        while _PENDING:
            name, kwargs, f = _PENDING.pop(0)
            app.command(name, **kwargs)(f)


class Commands(TyperGroup):
    """The command line's group: global options accepted after the command too, one line on
    stderr for every usage error, and a broken pipe ends quietly."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = hoist_globals(self, list(sys.argv[1:] if args is None else args))
        code = run_group(self, argv, extra)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=Commands,
    help="""Keep a local history of what open-model publishers release on the Hugging Face Hub, and how it is used.

    \b
    Examples:
      oss-tracker sync --db demo.db --replay fixtures/replay/2025-11-24
      oss-tracker sync
      oss-tracker report --org Qwen
      oss-tracker --config examples/watchlist.toml compare --group china
      oss-tracker status --json
      oss-tracker report -h
    """,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    ctx: typer.Context,
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
            metavar="PATH",
            envvar="OSS_TRACKER_CONFIG",
            help="Watch list file. Default: ~/.config/oss-tracker/watchlist.toml (the four mission orgs if absent).",
        ),
    ] = None,
) -> None:
    """Keep a local history of what open-model publishers release on the Hugging Face Hub."""
    State.debug = debug
    State.config = config
    State.verbosity = -1 if quiet else (1 if verbose or debug else 0)
    if ctx.invoked_subcommand not in READ_ONLY:
        _setup_logging()


def _setup_logging() -> None:
    """Log lines on stderr at the level -q/-v/--debug ask for (see cli/logs.py)."""
    from oss_tracker.cli.logs import setup

    setup(State.verbosity, debug=State.debug)


def say(message: str) -> None:
    """A line for people on stderr (unless --quiet); it may quote names from outside."""
    if State.verbosity >= 0:
        typer.echo(visible(message), err=True)


def usage(message: str) -> typer.BadParameter:
    """A usage error (exit 2) shown as this one sentence: `oss-tracker: error: <message>`."""
    return typer.BadParameter(message)


def fail(message: str, code: int) -> typer.Exit:
    # Messages quote Hub answers, model ids and watch-list names: one line, nothing a terminal runs.
    typer.echo(f"oss-tracker: error: {visible(message)}", err=True)
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """One line on stderr and an exit code for every failure; a traceback only with --debug."""
    try:
        yield
    except (typer.Exit, typer.BadParameter, BrokenPipeError):
        raise  # a usage error, or stdout's reader gone: cli.usage.run_group ends those
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
    the store's own checks, which say in one line why the file cannot be read (an older file is
    refused, never migrated: `oss-tracker sync` upgrades it under its lock)."""
    path = db or default_db()
    from oss_tracker.store.open import open_db, open_readonly

    conn = open_readonly(path)
    if conn is not None:
        return conn
    return open_db(path, create=False)


@contextmanager
def _stdout() -> Iterator[None]:
    """Writing to stdout, flushed here, inside the command: a closed pipe ends quietly (141, see
    cli.usage), and any other failure (`> /dev/full`) is `cannot write the output: ...`, exit 1,
    the words `--version` and `-h` use too (not the bare "No space left on device")."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        if err.filename is not None:
            raise  # a file of the command's own, not stdout: its error shows itself
        from oss_tracker.cli.usage import output_failed

        raise typer.Exit(output_failed(err)) from None


def emit(line: str) -> None:
    """One line of data on stdout (a path `backup` and `export` print)."""
    with _stdout():
        sys.stdout.write(line + "\n")


def show(report: Any, fmt: str, plot: Path | None = None) -> None:
    """Render a report on stdout; with `plot`, also write its first chart to that file."""
    from oss_tracker.render.formats import render

    with _stdout():
        render(report, fmt, sys.stdout)
    if plot is not None:
        from oss_tracker.render.charts import write_plot

        write_plot(report.charts, plot)
        say(f"wrote {plot}")
