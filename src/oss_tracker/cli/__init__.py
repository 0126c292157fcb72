"""Command line: parse, call, render, map errors to exit codes. Nothing else lives here.

`app` holds the global options and the error mapping; the commands live beside it, one
module a family (what cron runs, the reports, the watch list), and share `options`.

Start-up (issue 18; docs/benchmarks.md "Start-up"): `oss-tracker --version` is answered
before Typer is imported; otherwise only the module of the command named is imported and
only that command is built (`core.build_only`); a read-only report runs without the cyclic
garbage collector and ends without Python's teardown, which would free every module one by
one for nothing.
"""

from __future__ import annotations

import sys
from typing import Any

# Global options that may come before the command, and whether each takes a value.
_GLOBAL = {"--version": False, "-q": False, "--quiet": False, "-v": False, "--verbose": False,
           "--debug": False, "--config": True}  # fmt: skip
# The module of each command (a command not listed here makes `main` load them all).
_MODULES = {
    **dict.fromkeys(("sync", "backfill", "status", "backup", "export"), "sync_commands"),
    **dict.fromkeys(
        (
            "report",
            "changes",
            "model",
            "derivatives",
            "families",
            "trends",
            "top",
            "releases",
            "licenses",
            "compare",
        ),
        "report_commands",
    ),
    "watch": "watch_commands",
    "site": "site_command",
}


def main() -> None:
    args = sys.argv[1:]
    if "--version" in args and all(a in _GLOBAL and not _GLOBAL[a] for a in args):
        from oss_tracker import __version__

        try:
            sys.stdout.write(f"oss-tracker {__version__}\n")
            sys.stdout.flush()
        except BrokenPipeError:
            from oss_tracker.cli.usage import pipe_closed

            sys.exit(pipe_closed())
        except OSError as err:
            from oss_tracker.cli.usage import output_failed

            sys.exit(output_failed(err))
        return
    name = _command(args)
    from oss_tracker.cli.core import READ_ONLY

    fast = name in READ_ONLY and not ({"--list", "-h", "--help"} & set(args))
    if fast:
        import gc

        gc.disable()  # a report allocates little and ends at once: no collection pays off
    code = load(name)(prog_name="oss-tracker", standalone_mode=False)
    if fast:
        import os

        # Everything is written (cli.usage flushed stdout) and nothing is left to finish (no
        # thread, no write, no atexit handler): skip the interpreter's teardown (~9 ms).
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _command(args: list[str]) -> str | None:
    """The command the arguments name, if they name one before anything else."""
    i = 0
    while i < len(args):
        arg = args[i]
        name, attached, _ = arg.partition("=")
        if name in _GLOBAL:
            # `--config PATH` takes the next argument, `--config=PATH` none; `--quiet=x` is left for
            # Click to refuse in one line.
            i += 2 if _GLOBAL[name] and not attached else 1
            continue
        return arg if arg in _MODULES else None
    return None


def load(name: str | None = None) -> Any:
    """The Typer app with `name`'s command built (None: every command)."""
    from oss_tracker.cli import core, usage

    usage.every_command = _every_command
    module = _MODULES.get(name or "")
    core.build_only({name} if module and name else None)
    # isort: off
    # Imported for their commands, in the order --help lists them.
    if module in (None, "sync_commands"):
        from oss_tracker.cli import sync_commands  # noqa: F401
    if module in (None, "report_commands"):
        from oss_tracker.cli import report_commands  # noqa: F401
    if module in (None, "watch_commands"):
        from oss_tracker.cli import watch_commands  # noqa: F401
    if module in (None, "site_command"):
        from oss_tracker.cli import site_command  # noqa: F401
    # isort: on
    return core.app


def _every_command() -> Any:
    from typer.main import get_command

    return get_command(load())


def __getattr__(name: str) -> Any:
    if name == "app":  # `from oss_tracker.cli import app` (tests): every command
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
