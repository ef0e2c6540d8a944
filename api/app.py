"""
The kaiteki web application: JSON under ``/v1`` and HTML pages, served by ``kaiteki serve``.

``create_app`` is the factory (tests build their own app with their own settings): one router
per resource in ``api/routers``, settings through the ``SettingsDep`` dependency, one exception
handler for domain errors (``api.errors``, every error status documented in the OpenAPI schema),
one error boundary for everything else (a generic 500 with a request id), authentication of the
write endpoints before their body is read, a request body size limit (413) and read timeout
(408), security headers and a Content-Security-Policy on every response (errors and 500s
included), CORS only for the origins in ``KAITEKI_CORS_ORIGINS`` (default: same origin only),
Leaflet and the page assets served from ``/static`` (no CDN) with a ``Cache-Control``
lifetime, responses gzip-compressed for clients that accept it, OpenAPI docs at ``/docs`` and
``/redoc`` from vendored Swagger UI and ReDoc assets (:func:`install_docs`). Logging
is configured here and in the CLI entry point only. The app's inputs are one
:class:`api.resources.Resources` on ``app.state.resources`` (routes take it as
``api.deps.ResourcesDep``); the lifespan loads the cheap ones, reads the key, registry and
batch-digest snapshots and starts the spool writer (``api.writer``): no request writes the
store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from api import resources
from api.deps import IngestContext
from api.errors import error_responses, install_error_handlers
from api.middleware import (
    BodyLimitMiddleware,
    IngestAuthMiddleware,
    ResponseMiddleware,
)
from api.routers import (
    area,
    comfort,
    courses,
    ingest,
    kpi,
    ngsi_ld,
    pages,
    places,
    reports,
    route,
    sta,
    walkability,
)
from api.settings import Settings, get_settings
from maps.offline import STATIC_DIR, STATIC_URL

DESCRIPTION = """
Walkability and thermal comfort for downtown Sapporo (kaiteki, 快適).

JSON under `/v1`; errors are JSON `{"error", "message", "status", "request_id"}` (the id is
also the `X-Request-ID` header). The POST ingest endpoints need an API key (`X-API-Key`,
created with `kaiteki keys create NAME`), checked before the body is read, and take at most
`KAITEKI_MAX_BATCH_ROWS` rows (default 10,000) and `KAITEKI_MAX_BODY_BYTES` bytes (default 5 MB)
per request (413 beyond). An accepted batch is validated and durably queued; the store's
writer commits it within seconds. A busy store answers 503 with `Retry-After`. Anything
computed from simulated sensor data carries `"simulated": true`.
"""


#: Responses smaller than this (bytes) are sent uncompressed.
GZIP_MIN_BYTES = 1000

#: How long browsers may reuse a static file before revalidating it (s): third-party assets
#: (Leaflet, Swagger UI, ReDoc) change only with their pinned version; kaiteki's own CSS/JS
#: may change at each deploy, so an hour (then a cheap 304 thanks to the ETag).
STATIC_MAX_AGE_S = {"leaflet/": 7 * 86400, "vendor/": 7 * 86400}
STATIC_DEFAULT_MAX_AGE_S = 3600


class CachedStaticFiles(StaticFiles):
    """Static files with a ``Cache-Control`` lifetime (:data:`STATIC_MAX_AGE_S`)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            max_age = next(
                (age for prefix, age in STATIC_MAX_AGE_S.items() if path.startswith(prefix)),
                STATIC_DEFAULT_MAX_AGE_S,
            )
            response.headers.setdefault("Cache-Control", f"public, max-age={max_age}")
        return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """
    Build the FastAPI application.

    Parameters
    ----------
    settings
        Settings to use; default :func:`api.settings.get_settings` (``KAITEKI_*`` variables).
        When given, they replace the settings dependency for every route.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = settings or get_settings()
    ingest_ctx = IngestContext.create(s)
    app_resources = resources.for_settings(s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(app_resources.warm)
        await run_in_threadpool(ingest_ctx.warm)
        ingest_ctx.writer.start()
        try:
            yield
        finally:
            await run_in_threadpool(ingest_ctx.writer.stop)

    app = FastAPI(
        title="kaiteki",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ingest = ingest_ctx
    app.state.resources = app_resources
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    # innermost first: the body limits, then the key check before any body is read
    app.add_middleware(BodyLimitMiddleware, max_bytes=s.max_body_bytes, timeout_s=s.body_timeout_s)
    app.add_middleware(
        IngestAuthMiddleware, paths=ingest.WRITE_PATHS, verify=ingest_ctx.keys.verify
    )
    if s.cors_origins:
        # Browsers on other origins may call the API only when configured; by default no
        # Access-Control-Allow-Origin is sent, so only the app's own pages can read responses.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(s.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", "Authorization"],
        )
    # added last, so outermost: request ids, the error boundary, gzip and the security headers
    # on every response, 401s, 408s, 413s and 500s included
    app.add_middleware(ResponseMiddleware, tiles=s.tiles, gzip_min_bytes=GZIP_MIN_BYTES)
    install_error_handlers(app)
    app.mount(STATIC_URL, CachedStaticFiles(directory=STATIC_DIR), name="static")
    # /v1/route first: a request is matched against the routers in order, and the route
    # endpoint is the one answered most often
    for module in (route, area, places, comfort, walkability, courses, kpi, pages, reports):
        app.include_router(module.router, responses=error_responses(404, 422, 500, 503))
    app.include_router(ingest.router, responses=error_responses(400, 401, 408, 413, 422, 500, 503))
    sta.install(app)
    ngsi_ld.install(app)
    install_docs(app)
    return app


def install_docs(app: FastAPI) -> None:
    """
    ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the app's own static files.

    The scripts and styles are the npm packages ``swagger-ui-dist`` and ``redoc`` vendored into
    ``maps/static/vendor/`` by ``scripts/vendor-docs-assets.sh`` (versions in its ``VERSIONS``
    file), so the docs work with no network.
    """
    from fastapi.openapi.docs import (
        get_redoc_html,
        get_swagger_ui_html,
        get_swagger_ui_oauth2_redirect_html,
    )
    from fastapi.responses import HTMLResponse

    vendor = f"{STATIC_URL}/vendor"
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{vendor}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=oauth2_redirect,
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API (ReDoc)",
            redoc_js_url=f"{vendor}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
