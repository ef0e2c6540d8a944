"""
The HTTP protocol class uvicorn serves the app with: h11 with ``TCP_NODELAY`` on every
connection and a header read timeout.

A request's headers must be complete within ``KAITEKI_HEADER_TIMEOUT_S`` of the connection (or
of the previous response on a kept-alive connection); a client trickling header bytes
(slowloris) gets ``408`` and the connection is closed. uvicorn's own ``timeout_keep_alive``
closes idle kept-alive connections; the body read timeout is
:class:`api.middleware.BodyLimitMiddleware`'s.

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
import json
import socket
import sys

import h11
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


def _timeout_response(timeout_s: float) -> bytes:
    body = json.dumps(
        {
            "error": "RequestTimeout",
            "message": f"request headers not received within {timeout_s:g} s",
            "status": 408,
        }
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
        "x-content-type-options: nosniff\r\nx-frame-options: SAMEORIGIN\r\n"
        "referrer-policy: same-origin\r\n\r\n"
    )
    return head.encode("ascii") + body


class NoDelayH11Protocol(H11Protocol):
    """
    uvicorn's h11 protocol with ``TCP_NODELAY`` set when a connection is made, and a timeout
    on reading each request's headers (``KAITEKI_HEADER_TIMEOUT_S``).
    """

    header_timeout_s: float | None = None
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        if self.header_timeout_s is None:
            from api.settings import get_settings

            type(self).header_timeout_s = get_settings().header_timeout_s
        if self._header_timer is not None:
            self._header_timer.cancel()
        assert self.header_timeout_s is not None
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _header_timeout(self) -> None:
        self._header_timer = None
        # h11 stays IDLE on the client side until a request's headers are complete
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE and self.conn.their_state is h11.IDLE:
            self.transport.write(_timeout_response(self.header_timeout_s or 0))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set ``TCP_NODELAY``, start the header timer, then hand over to uvicorn."""
        set_nodelay(transport)
        super().connection_made(transport)
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        """Restart the header timer for the next request on this connection."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the header timer."""
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)


def uvicorn_argv(
    host: str,
    port: int,
    workers: int = 1,
    log_level: str = "warning",
    keep_alive_s: int = 5,
) -> list[str]:
    """
    The command that serves the app as ``kaiteki serve`` does, for tests and benchmarks that
    start it in a subprocess (factory app, TCP_NODELAY protocol, keep-alive timeout).

    Examples
    --------
    >>> uvicorn_argv("127.0.0.1", 8000)[-4:]
    ['--http', 'api.http_protocol:NoDelayH11Protocol', '--log-level', 'warning']
    """
    return [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--timeout-keep-alive", str(keep_alive_s), "--http", HTTP_PROTOCOL, "--log-level", log_level,
    ]  # fmt: skip
