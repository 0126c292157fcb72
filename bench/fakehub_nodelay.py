"""tests/fakehub.py as a process, with TCP_NODELAY on its connections (used by the other benchmarks).

    python bench/fakehub_nodelay.py WORLD.json [--latency 0.1] [--quota N] ...   (the fake Hub's options)
        [--archive FILE --archive-at 2025-12-01T13:05:00.000Z]

`--archive` also serves `cfahlgren1/hub-stats` with one commit, dated `--archive-at`, whose
`models.parquet` is FILE (mapped into memory, answering range requests): bench/archive_day.py's
backfill from the Hub.

The fake Hub writes a response's headers and its body in two sends; on a kept-alive
connection Nagle's algorithm then holds the body until the client's delayed ACK, about
40 ms later, so every request after a connection's first costs 40 ms more than its
`--latency`. Real Hub front ends do not do that. Setting TCP_NODELAY on each accepted
connection removes the stall without touching tests/fakehub.py.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import fakehub  # noqa: E402

_setup = fakehub._Handler.setup


def _setup_nodelay(self) -> None:
    _setup(self)
    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


fakehub._Handler.setup = _setup_nodelay  # type: ignore[method-assign]


def _serve_archive(file: str, at: str) -> None:
    import mmap

    from tests.fakehub_archive import ArchiveCommit, ArchiveRepo, sha_of

    with open(file, "rb") as fh:
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    commit = ArchiveCommit(
        sha_of(at), at, "Upload models.parquet with huggingface_hub", {"models.parquet": data}
    )
    start = fakehub.FakeHub.start

    def start_with_archive(self, port: int = 0):
        self.archive = ArchiveRepo([commit])
        return start(self, port)

    fakehub.FakeHub.start = start_with_archive  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    if "--archive" in argv:
        i = argv.index("--archive")
        j = argv.index("--archive-at")
        _serve_archive(argv[i + 1], argv[j + 1])
        argv = [a for k, a in enumerate(argv) if k not in (i, i + 1, j, j + 1)]
    return fakehub.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
