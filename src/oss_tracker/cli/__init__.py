"""Command line: parse, call, render, map errors to exit codes. Nothing else lives here.

`app` holds the global options and the error mapping; the commands live beside it, one
module a family (what cron runs, the reports, the watch list), and share `options`.
"""

from oss_tracker.cli.core import app

# isort: off
# Imported for their commands, in the order --help lists them.
from oss_tracker.cli import sync_commands  # noqa: F401, E402
from oss_tracker.cli import report_commands  # noqa: F401, E402
from oss_tracker.cli import watch_commands  # noqa: F401, E402
from oss_tracker.cli import site_command  # noqa: F401, E402

# isort: on


def main() -> None:
    app(prog_name="oss-tracker")


__all__ = ["app", "main"]
