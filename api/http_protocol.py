"""
The HTTP protocol class uvicorn serves the app with: h11 with ``TCP_NODELAY`` on every
connection.

With ``--workers N`` uvicorn binds the listening socket itself with ``proto=0``; accepted
sockets inherit it and asyncio then skips ``TCP_NODELAY`` (it only sets it when
``proto == IPPROTO_TCP``; uvicorn issue #3149). uvicorn writes the status line and headers, then
the body, as separate writes, so with Nagle's algorithm on, every keep-alive response after the
first waits for the client's delayed ACK: about 40 ms on Linux. Measured on ``/v1/route``: one
connection p50 44 ms without, 0.9 ms with. ``kaiteki serve`` and ``bench/api.py`` pass
:data:`HTTP_PROTOCOL` as uvicorn's ``http`` option.
"""

from __future__ import annotations

import asyncio
import socket
import sys

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Import string for uvicorn's ``http`` option (``--http`` on its command line).
HTTP_PROTOCOL = "api.http_protocol:NoDelayH11Protocol"


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """
    Turn Nagle's algorithm off on a TCP transport's socket.

    Returns
    -------
    bool
        Whether the option was set (False for Unix sockets and transports without one).
    """
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` set when a connection is made."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set ``TCP_NODELAY``, then hand over to uvicorn."""
        set_nodelay(transport)
        super().connection_made(transport)


def uvicorn_argv(host: str, port: int, workers: int = 1, log_level: str = "warning") -> list[str]:
    """
    The command that serves the app as ``kaiteki serve`` does, for tests and benchmarks that
    start it in a subprocess (factory app, TCP_NODELAY protocol).

    Examples
    --------
    >>> uvicorn_argv("127.0.0.1", 8000)[-4:]
    ['--http', 'api.http_protocol:NoDelayH11Protocol', '--log-level', 'warning']
    """
    return [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--http", HTTP_PROTOCOL, "--log-level", log_level,
    ]  # fmt: skip
