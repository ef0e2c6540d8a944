"""
ASGI middleware of the app, outermost first: the response layer (request ids, the error
boundary's generic 500s, compression, security headers), authentication of the write endpoints
before their body is read, and the request body size and time limits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RETRY_AFTER_S, ApiError, error_body, internal_error_body, status_for

log = logging.getLogger("kaiteki.api")


async def send_json(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete JSON response (``headers`` added to the content type and length)."""
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class _Interrupted(Exception):
    pass


#: Methods whose requests normally carry no body (the limiter steps aside when none is declared).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimitMiddleware:
    """
    Reject request bodies larger than ``max_bytes`` with 413, and bodies that do not arrive
    within ``timeout_s`` of the first read with 408 (a slow sender cannot hold a worker).

    A declared ``Content-Length`` above the limit is refused before reading; a body sent in
    chunks is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float = 15.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _body(self, status: int, received: int | None, rid: str | None) -> dict[str, Any]:
        if status == 408:
            return {
                "error": "RequestTimeout",
                "message": (
                    f"request body not received within {self.timeout_s:g} s; send it at once "
                    "(a slow or stalled connection is cut)"
                ),
                "status": 408, "request_id": rid,
            }  # fmt: skip
        got = "more" if received is None else f"{received:,}"
        return {
            "error": "PayloadTooLarge",
            "message": (
                f"request body too large: the limit is {self.max_bytes:,} bytes and {got} "
                "bytes arrived; split the batch into smaller requests"
            ),
            "status": 413, "request_id": rid,
        }  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if (
            scope.get("method") in _BODILESS
            and declared is None
            and b"transfer-encoding" not in headers
        ):
            # a read with neither Content-Length nor Transfer-Encoding has no body (RFC 9112
            # section 6.3): nothing to limit or to time out, and no timer task per request
            await self.app(scope, receive, send)
            return
        rid = scope.get("state", {}).get("request_id")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = 0
            if size > self.max_bytes:
                await send_json(send, 413, self._body(413, size, rid))
                return
        received = 0
        started = False
        failed: int | None = None
        deadline: float | None = None

        async def limited_receive() -> Message:
            nonlocal received, failed, deadline
            if deadline is None:
                deadline = time.monotonic() + self.timeout_s
            try:
                message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0))
            except TimeoutError:
                failed = 408
                raise _Interrupted from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    failed = 413
                    raise _Interrupted
                if not message.get("more_body", False):
                    deadline = float("inf")  # the body is complete: no limit on later reads
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if failed and not started:
                # the app turned the interrupted read into a response of its own (FastAPI
                # answers 400 "error parsing the body"): drop it, the 413/408 replaces it
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _Interrupted:
            pass
        if failed and not started:
            await send_json(send, failed, self._body(failed, received, rid),
                            [(b"connection", b"close")])  # fmt: skip


_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _with_vary(headers: list[tuple[bytes, bytes]], name: bytes) -> None:
    """Add ``name`` to the ``Vary`` header (in place), creating it when there is none."""
    for i, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            if name.lower() not in value.lower():
                headers[i] = (key, value + b", " + name)
            return
    headers.append((b"vary", name))


class IngestAuthMiddleware:
    """
    Authenticate ``POST`` requests to the write endpoints before their body is read: a
    missing, malformed, unknown or revoked key gets 401 and the body is never received (an
    unauthenticated client cannot make the server read or parse megabytes). The key id goes to
    ``request.state.api_key_id`` for :data:`api.deps.ApiKeyDep`.

    Parameters
    ----------
    app
        The inner app.
    paths
        The protected paths.
    verify
        Secret → key id, raising :class:`api.errors.AuthError` (run in a worker thread: it may
        read the store).
    """

    def __init__(self, app: ASGIApp, paths: frozenset[str], verify: Any) -> None:
        self.app = app
        self.paths = paths
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or (scope.get("path") not in self.paths)
        ):
            await self.app(scope, receive, send)
            return
        from api.deps import secret_from_headers

        headers = {k.lower(): v for k, v in scope.get("headers") or []}
        rid = scope.get("state", {}).get("request_id")
        try:
            secret = secret_from_headers(
                _header(headers, b"x-api-key"), _header(headers, b"authorization")
            )
            key_id = await run_in_threadpool(self.verify, secret)
        except ApiError as exc:
            status = status_for(exc)
            extra = [(b"retry-after", str(RETRY_AFTER_S).encode())] if status == 503 else []
            await send_json(send, status, error_body(exc, status, rid), extra)
            return
        scope.setdefault("state", {})["api_key_id"] = key_id
        await self.app(scope, receive, send)


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")


#: Paths of the interactive API docs (Swagger UI and ReDoc, vendored: :func:`api.app.install_docs`),
#: whose policy also lets ReDoc start its search worker from a ``blob:`` URL.
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


def tile_source(tiles: str | None) -> str | None:
    """
    The CSP source expression of a tile URL template (scheme and host), or None.

    A ``{s}`` (or any other ``{...}``) placeholder in the host becomes a ``*`` wildcard label.

    Examples
    --------
    >>> tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    'https://*.tile.example.org'
    >>> tile_source("https://tiles.example.org:8080/{z}/{x}/{y}.png")
    'https://tiles.example.org:8080'
    >>> tile_source(None) is None
    True
    """
    if not tiles:
        return None
    scheme, sep, rest = tiles.partition("://")
    if not sep:
        return None
    host = rest.split("/", 1)[0]
    labels = ["*" if "{" in label else label for label in host.split(".")]
    if any(not label for label in labels) or any(c in host for c in "'\"; \t"):
        return None
    return f"{scheme.lower()}://{'.'.join(labels)}"


def content_security_policy(tiles: str | None = None, blob_workers: bool = False) -> str:
    """
    The Content-Security-Policy of every page: the app's own origin only.

    Inline scripts and styles are allowed because folium writes each map as an inline script
    and inline styles; nothing is loaded from another host except, when ``KAITEKI_TILES`` is
    set, images from that tile host. Frames only from the app itself (``frame-ancestors``).
    ``blob_workers`` (the API docs): web workers also from ``blob:`` URLs.

    Examples
    --------
    >>> "img-src 'self' data:;" in content_security_policy()
    True
    >>> "img-src 'self' data: https://*.tile.example.org;" in content_security_policy(
    ...     "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    True
    >>> content_security_policy(blob_workers=True).endswith("; worker-src 'self' blob:")
    True
    """
    img = "'self' data:"
    host = tile_source(tiles)
    if host:
        img += f" {host}"
    return (
        "default-src 'self'; "
        "script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'self'" + ("; worker-src 'self' blob:" if blob_workers else "")
    )


class ResponseMiddleware:
    """
    The outermost layer, one wrapper per response: the request id, the error boundary,
    compression and the security headers.

    - Every request gets an id (``X-Request-ID`` on the response, ``request.state.request_id``
      inside); a client's own id is kept when it is 1–64 letters, digits, ``.``, ``_`` or ``-``.
    - Any exception that escapes the app becomes a generic 500
      (:func:`api.errors.internal_error_body`) logged with its traceback and the id. No path,
      process id or exception text reaches the client.
    - A client that accepts gzip gets bodies of ``gzip_min_bytes`` or more compressed
      (Starlette's ``GZipMiddleware``; a map page is about 5× smaller); every response says
      ``Vary: Accept-Encoding``. A client that does not accept it pays for no compression layer.
    - ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: SAMEORIGIN``,
      ``Referrer-Policy: same-origin`` on everything, 401s, 408s, 413s and 500s included;
      ``Content-Security-Policy`` (:func:`content_security_policy`) on everything, the
      interactive API docs (:data:`DOCS_PATHS`) with ``blob:`` workers. Headers a route set
      itself are kept.

    One layer rather than four: on the hot path (``/v1/route``, well under a millisecond of
    work) every ASGI wrapper a response passes through is a measurable share of its time.
    """

    def __init__(self, app: ASGIApp, tiles: str | None = None, gzip_min_bytes: int = 1000) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=gzip_min_bytes)
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"referrer-policy", b"same-origin"),
        ]
        self.docs_headers = [
            *common,
            (
                b"content-security-policy",
                content_security_policy(tiles, blob_workers=True).encode(),
            ),
        ]
        self.headers = [
            *common,
            (b"content-security-policy", content_security_policy(tiles).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        gzip = False
        for key, value in scope.get("headers") or ():
            if key == b"x-request-id":
                given = value.decode("latin-1")
            elif key == b"accept-encoding":
                gzip = b"gzip" in value
        rid = given if _SAFE_REQUEST_ID.match(given) else os.urandom(16).hex()  # as uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        extra = self.docs_headers if scope.get("path") in DOCS_PATHS else self.headers
        rid_header = (b"x-request-id", rid.encode())
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers") or () if k != b"x-request-id"]
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                if not gzip:  # the gzip responder says it itself when it compresses
                    _with_vary(headers, b"Accept-Encoding")
                headers.append(rid_header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await (self.gzip if gzip else self.app)(scope, receive, with_headers)
        except Exception:
            log.exception("%s %s: unexpected error [request %s]", scope.get("method"),
                          scope.get("path"), rid)  # fmt: skip
            if not started:
                await send_json(with_headers, 500, internal_error_body(rid))
