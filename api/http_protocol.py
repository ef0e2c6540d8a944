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

Also with ``--workers N``, every worker accepts from that one shared socket, and asyncio accepts
every pending connection in one go when the socket wakes it: the first worker to wake takes a
whole burst of clients. Kept-alive connections stay where they were accepted, so one worker can
serve all of them while the others idle (measured: 32 wrk connections, one worker at 14 CPU-s,
the other at 0). :class:`ReusePortEventLoop` (uvicorn's ``loop`` option, :data:`EVENT_LOOP`)
gives each worker its own listening socket on the same address with ``SO_REUSEPORT``, as nginx's
``reuseport`` does: the kernel spreads new connections over the workers' sockets by a hash of the
client's address and port. The loop is uvloop's (libuv, as uvicorn's ``--loop uvloop``): the
server's own work per request (reading, parsing, writing) then costs about half as much CPU
as with asyncio's selector loop, which matters most to one client's latency.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import h11
import uvloop
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Import string for uvicorn's ``http`` option (``--http`` on its command line).
HTTP_PROTOCOL = "api.http_protocol:NoDelayHttpToolsProtocol"

#: Import string for uvicorn's ``loop`` option (``--loop`` on its command line).
EVENT_LOOP = "api.http_protocol:ReusePortEventLoop"


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


class _HeaderTimer:
    """
    What both protocols add to uvicorn's: ``TCP_NODELAY`` on connect and a timer on reading
    each request's headers (``KAITEKI_HEADER_TIMEOUT_S``), restarted after every response.
    The protocol says when the timer finds an unfinished request (:meth:`_header_timeout`).
    """

    header_timeout_s: float | None = None
    _header_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _arm_header_timer(self) -> None:
        if self.header_timeout_s is None:
            from api.settings import get_settings

            type(self).header_timeout_s = get_settings().header_timeout_s
        self._stop_header_timer()
        assert self.header_timeout_s is not None
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        raise NotImplementedError

    def _send_timeout(self) -> None:
        self.transport.write(_timeout_response(self.header_timeout_s or 0))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:
        """Set ``TCP_NODELAY``, start the header timer, then hand over to uvicorn."""
        set_nodelay(transport)
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        """Restart the header timer for the next request on this connection."""
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the header timer."""
        self._stop_header_timer()
        super().connection_lost(exc)  # type: ignore[misc]


class NoDelayH11Protocol(_HeaderTimer, H11Protocol):  # type: ignore[misc]
    """
    uvicorn's h11 protocol with ``TCP_NODELAY`` set when a connection is made, and a timeout
    on reading each request's headers (``KAITEKI_HEADER_TIMEOUT_S``).
    """

    def _header_timeout(self) -> None:
        self._header_timer = None
        # h11 stays IDLE on the client side until a request's headers are complete
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:
            self._send_timeout()
        else:
            self.transport.close()


class NoDelayHttpToolsProtocol(_HeaderTimer, HttpToolsProtocol):  # type: ignore[misc]
    """
    uvicorn's httptools protocol (the C parser of Node's llhttp) with what
    :class:`NoDelayH11Protocol` adds: ``TCP_NODELAY`` and the header read timeout.
    """

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a pipelined request whose headers were read with the previous one
        self._send_timeout()

    def on_headers_complete(self) -> None:
        """The headers are in: stop the header timer."""
        self._stop_header_timer()
        super().on_headers_complete()


def reuse_port_socket(bound: socket.socket) -> socket.socket:
    """
    A new listening-ready socket on ``bound``'s address with ``SO_REUSEPORT`` set.

    ``bound`` is the socket uvicorn's supervisor bound (``SO_REUSEADDR``, never listening): it
    is marked ``SO_REUSEPORT`` too, so that every worker's socket can bind the same address.
    """
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    own = socket.socket(bound.family, bound.type, bound.proto)
    try:
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own.bind(bound.getsockname())
    except OSError:
        own.close()
        raise
    return own


class ReusePortEventLoop(uvloop.Loop):
    """
    uvloop's event loop, except that a server started on a socket handed down by uvicorn's
    worker supervisor listens on a socket of its own with ``SO_REUSEPORT`` (module docstring).

    A server started from a host and port (one worker) or on a Unix socket is unchanged.
    """

    async def create_server(  # type: ignore[override]
        self, protocol_factory: Any, host: Any = None, port: Any = None, **kwargs: Any
    ) -> asyncio.AbstractServer:
        """:meth:`asyncio.loop.create_server`, on a per-worker ``SO_REUSEPORT`` socket."""
        sock = kwargs.get("sock")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            kwargs["sock"] = reuse_port_socket(sock)
        return await super().create_server(protocol_factory, host, port, **kwargs)


def uvicorn_argv(
    host: str,
    port: int,
    workers: int = 1,
    log_level: str = "warning",
    keep_alive_s: int = 5,
) -> list[str]:
    """
    The command that serves the app as ``kaiteki serve`` does, for tests and benchmarks that
    start it in a subprocess (factory app, TCP_NODELAY protocol, per-worker sockets,
    keep-alive timeout).

    Examples
    --------
    >>> uvicorn_argv("127.0.0.1", 8000)[-6:]
    ['--http', 'api.http_protocol:NoDelayHttpToolsProtocol', '--loop', 'api.http_protocol:ReusePortEventLoop', '--log-level', 'warning']
    """
    return [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--timeout-keep-alive", str(keep_alive_s), "--http", HTTP_PROTOCOL, "--loop", EVENT_LOOP,
        "--log-level", log_level,
    ]  # fmt: skip
