"""Progress on a terminal while a sync runs: a live line on stderr (rich), nothing
when stderr is not a terminal or the command is quiet."""

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
