"""
``kaiteki serve``: run the web application.

uvicorn closes idle kept-alive connections after ``KAITEKI_KEEP_ALIVE_S``; request headers must
arrive within ``KAITEKI_HEADER_TIMEOUT_S`` (``api.http_protocol``) and bodies within
``KAITEKI_BODY_TIMEOUT_S`` (``api.middleware``). A warning is printed while the public demo
pseudonym key is in use.
"""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve the app (JSON API under /v1, pages, OpenAPI docs at /docs)."""
    import uvicorn

    from api.cli._common import console, settings
    from api.http_protocol import EVENT_LOOP, HTTP_PROTOCOL
    from api.settings import DEMO_KEY_WARNING

    s = settings()
    if s.uses_demo_pseudonym_key:
        console.print(f"[yellow]warning:[/] {DEMO_KEY_WARNING}", highlight=False)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HTTP_PROTOCOL,  # TCP_NODELAY and the header timeout: see api/http_protocol.py
        loop=EVENT_LOOP,  # one SO_REUSEPORT socket per worker: see api/http_protocol.py
        timeout_keep_alive=s.keep_alive_s,
    )


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command."""
    app.command("serve")(serve)
