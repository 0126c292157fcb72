"""One table from exceptions to one-line messages, and the exit codes.

Imports nothing heavy: huggingface_hub's error types are looked up by name so that
report commands, which never touch the Hub, do not pay for importing it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

# Exit codes (documented in the README).
OK = 0
FAILED = 1  # nothing stored: all orgs failed, bad database, bad recording...
USAGE = 2  # wrong options or arguments (Typer's own code too)
PARTIAL = 3  # a run was stored, but at least one org failed or came back incomplete
BUSY = 4  # another sync holds the lock

# How far after this machine's clock a run may be dated (clocks of two machines, a recording
# replayed at once). A run dated later is refused, and `status` calls a stored one "future":
# one such run would make every later sync look like going back in time.
CLOCK_SKEW = timedelta(minutes=5)


class TrackerError(Exception):
    """An error whose message is already fit for the user."""

    exit_code = FAILED


class UnknownOrg(TrackerError):
    """The Hub answered 404 for an organization's overview."""


class NoData(TrackerError):
    """A report asked about something the database has no snapshot of."""


class Busy(TrackerError):
    exit_code = BUSY


class Stopped(TrackerError):
    """A run stopped by a signal (SIGINT, SIGTERM, SIGHUP); the message says what was stored."""


def describe(err: BaseException) -> str:
    """A short, token-free sentence for any error met while syncing or reporting."""
    if type(err).__module__.startswith("oss_tracker."):
        return str(err)  # our own errors are written for the user
    if isinstance(err, json.JSONDecodeError):
        return "the Hub sent a page that is not JSON"
    # SQLite's own messages for SQLITE_FULL and SQLITE_CORRUPT, whole: "malformed JSON" from a
    # view's json_extract is no damaged file.
    if isinstance(err, sqlite3.OperationalError) and "database or disk is full" in str(err):
        return "the disk is full: the run was rolled back"
    if isinstance(err, sqlite3.DatabaseError) and "database disk image is malformed" in str(err):
        return "the database file is damaged (database disk image is malformed): restore it from a backup"
    if isinstance(err, sqlite3.OperationalError) and "disk I/O error" in str(err):
        return "database error: disk I/O error (is the disk full or failing?)"
    if isinstance(err, sqlite3.Error):
        return f"database error: {err}"
    name = type(err).__name__
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    if name == "RepositoryNotFoundError":
        return "repository not found on the Hub (404)"
    if status is not None:
        path = getattr(getattr(getattr(response, "request", None), "url", None), "path", "")
        return f"the Hub answered HTTP {status} for {path}".rstrip()
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}{': ' + str(err.filename) if err.filename else ''}"
    return f"{name}: {err}" if str(err) else name
