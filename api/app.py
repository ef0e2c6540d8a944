"""
The kaiteki web application: JSON under ``/v1`` and HTML pages, served by ``kaiteki serve``.

``create_app`` is the factory (tests build their own app with their own settings): one router
per resource in ``api/routers``, settings through the ``SettingsDep`` dependency, one exception
handler for domain errors (``api.errors``), a request body size limit (413), Leaflet and the
page assets served from ``/static`` (no CDN), OpenAPI docs at ``/docs``. Logging is configured
here and in the CLI entry point only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.middleware import BodyLimitMiddleware
from api.routers import (
    area,
    comfort,
    courses,
    ingest,
    kpi,
    pages,
    places,
    route,
    walkability,
)
from api.settings import Settings, get_settings
from maps.offline import STATIC_DIR, STATIC_URL

DESCRIPTION = """
Walkability and thermal comfort for downtown Sapporo (kaiteki, 快適).

JSON under `/v1`; errors are JSON `{"error", "message", "status"}`. The POST ingest endpoints
need an API key (`X-API-Key`, created with `kaiteki keys create NAME`). Anything computed from
simulated sensor data carries `"simulated": true`.
"""


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
    app = FastAPI(title="kaiteki", description=DESCRIPTION, version="0.1.0")
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    app.add_middleware(BodyLimitMiddleware, max_bytes=s.max_body_bytes)
    install_error_handlers(app)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    for module in (area, places, comfort, walkability, route, courses, kpi, ingest, pages):
        app.include_router(module.router)
    return app
