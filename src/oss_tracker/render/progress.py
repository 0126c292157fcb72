"""Progress on a terminal while a sync or a backfill runs: a live line or bar on stderr (rich),
nothing when stderr is not a terminal or the command is quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from oss_tracker.escape import visible


@contextmanager
def sync_progress(
    quiet: bool,
) -> Iterator[tuple[Callable[[str, int], None] | None, Callable[[str | None], None] | None]]:
    """A live line of per-org counts, and the retry being waited for, on a terminal; nothing otherwise."""
    if not sys.stderr.isatty() or quiet:
        yield None, None
        return
    from rich.console import Console
    from rich.text import Text

    counts: dict[str, int] = {}
    waiting: list[str] = []  # the latest retry wait, until a retried request gets through
    with Console(stderr=True).status("Fetching…") as status:

        def show() -> None:
            line = "Fetching " + (", ".join(f"{o}: {c:,}" for o, c in counts.items()) or "…")
            # A Text, not a str: rich would read `[...]` in an org name as markup.
            status.update(Text(visible(line + "".join(f" — {w}" for w in waiting))))

        def update(org: str, n: int) -> None:
            counts[org] = n
            show()

        def retrying(message: str | None) -> None:
            waiting[:] = [message] if message else []
            show()

        yield update, retrying


BackfillBar = Callable[[int, int, int, str], None]  # days done, days planned, bytes read, current day


@contextmanager
def backfill_progress(
    quiet: bool, verbose: bool
) -> Iterator[tuple[BackfillBar | None, Callable[[str], None]]]:
    """A bar on a terminal (days, MB read, time left) and a way to say a line (`-v`'s line a day):
    above the bar on a terminal, plain on stderr otherwise; nothing at all with -q."""

    def plain(line: str) -> None:
        if verbose and not quiet:
            print(visible(line), file=sys.stderr, flush=True)

    if not sys.stderr.isatty() or quiet:
        yield None, plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.text import Text

    with Progress(
        TextColumn("Backfilling {task.fields[day]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days · {task.fields[read]} ·"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("backfill", total=None, day="", read="0.0 MB read")

        def update(done: int, total: int, read: int, day: str) -> None:
            bar.update(task, completed=done, total=total, day=day, read=f"{read / 1e6:,.1f} MB read")

        def above(line: str) -> None:
            if verbose:  # a Text, not a str: rich would read `[...]` in a line as markup
                bar.console.print(Text(visible(line)), soft_wrap=True)

        yield update, above
