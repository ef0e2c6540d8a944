"""ASGI middleware of the app: the request body size limit and the security headers."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """
    Reject request bodies larger than ``max_bytes`` with 413 and a JSON message.

    A declared ``Content-Length`` above the limit is refused before reading; a body sent in
    chunks is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reply(self, send: Send, received: int | None) -> None:
        got = "more" if received is None else f"{received:,}"
        body = json.dumps(
            {
                "error": "PayloadTooLarge",
                "message": (
                    f"request body too large: the limit is {self.max_bytes:,} bytes and {got} "
                    "bytes arrived; split the batch into smaller requests"
                ),
                "status": 413,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = 0
            if size > self.max_bytes:
                await self._reply(send, size)
                return
        received = 0
        started = False
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                # the app turned the interrupted read into a response of its own (FastAPI
                # answers 400 "error parsing the body"): drop it, the 413 below replaces it
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            pass
        if too_large and not started:
            await self._reply(send, received)


#: Paths of FastAPI's interactive API docs, whose pages load Swagger UI / ReDoc from a CDN and
#: therefore get the other security headers but not the maps' Content-Security-Policy.
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


def content_security_policy(tiles: str | None = None) -> str:
    """
    The Content-Security-Policy of every page: the app's own origin only.

    Inline scripts and styles are allowed because folium writes each map as an inline script
    and inline styles; nothing is loaded from another host except, when ``KAITEKI_TILES`` is
    set, images from that tile host. Frames only from the app itself (``frame-ancestors``).

    Examples
    --------
    >>> "img-src 'self' data:;" in content_security_policy()
    True
    >>> "img-src 'self' data: https://*.tile.example.org;" in content_security_policy(
    ...     "https://{s}.tile.example.org/{z}/{x}/{y}.png")
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
        "frame-ancestors 'self'"
    )


class SecurityHeadersMiddleware:
    """
    Add security headers to every HTTP response.

    ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: SAMEORIGIN``,
    ``Referrer-Policy: same-origin`` on everything; ``Content-Security-Policy``
    (:func:`content_security_policy`) on everything but the interactive API docs
    (:data:`DOCS_PATHS`). Headers a route set itself are kept.
    """

    def __init__(self, app: ASGIApp, tiles: str | None = None) -> None:
        self.app = app
        csp = content_security_policy(tiles).encode()
        self.common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"referrer-policy", b"same-origin"),
        ]
        self.csp = (b"content-security-policy", csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.common)
        if scope.get("path") not in DOCS_PATHS:
            extra.append(self.csp)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
