"""tests/fakehub.py as a process, with TCP_NODELAY on its connections (used by the other benchmarks).

    python bench/fakehub_nodelay.py WORLD.json [--latency 0.1] [--quota N] ...   (the fake Hub's options)

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

if __name__ == "__main__":
    sys.exit(fakehub.main())
