"""Log lines on stderr: one line a record, control characters escaped, tracebacks only with
--debug. Imported only by the commands that log (sync, watch, derivatives --list): a report
never pays for `logging`."""

from __future__ import annotations

import logging
import sys
from typing import Any

from oss_tracker.escape import visible


def setup(verbosity: int, *, debug: bool) -> None:
    """Level by verbosity (-1 quiet, 0 normal, 1 verbose); rich's handler on a terminal."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.DEBUG}[verbosity]
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        # Its own stderr console: RichHandler's default is rich's global console, on stdout,
        # where log lines would end up inside `--format json` output.
        handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False, markup=False)
        handler.setFormatter(VisibleFormatter("%(message)s", debug=debug))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            VisibleFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z", debug=debug)
        )
    root = logging.getLogger("oss_tracker")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class VisibleFormatter(logging.Formatter):
    """Log lines carry model ids and Hub messages: each record stays one line, with control
    characters escaped. A traceback only with --debug (its line breaks kept, each line
    escaped); otherwise (-v) the error a record carries is named at the end of its one line."""

    def __init__(self, *args: Any, debug: bool = False) -> None:
        super().__init__(*args)
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not self.debug:
            from oss_tracker.errors import describe

            err = record.exc_info[1]
            record = logging.makeLogRecord(
                {**record.__dict__, "msg": f"{record.getMessage()}: {describe(err)}", "args": None,
                 "exc_info": None, "exc_text": None, "stack_info": None}
            )  # fmt: skip
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return "\n".join(visible(line) for line in super().formatException(ei).split("\n"))

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(visible(line) for line in super().formatStack(stack_info).split("\n"))
