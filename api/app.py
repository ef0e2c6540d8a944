"""
The kaiteki web application: JSON under ``/v1`` and HTML pages, served by ``kaiteki serve``.

``create_app`` is the factory (tests build their own app with their own settings). Logging is
configured here and in the CLI entry point only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import resources
from api.settings import Settings, get_settings
from comfort import network
from maps.area import area_map
from maps.offline import STATIC_DIR, STATIC_URL


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = settings or get_settings()
    app = FastAPI(
        title="kaiteki",
        description="Walkability and thermal comfort for downtown Sapporo.",
        version="0.1.0",
    )
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/v1/area")
    def area_summary() -> dict:
        """The planning area and a summary of the walking network."""
        G = resources.graph()
        pa = resources.planning_area()
        return {
            "planning_area": pa.drop(columns="geometry").iloc[0].to_dict(),
            "network": network.summary(G, float(pa.geometry.iloc[0].area)),
            "source": G.graph.get("source"),
        }

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        """The planning area and its walking network on a map."""
        m = area_map(resources.planning_area(), resources.segments(), resources.blocks(), s.tiles)
        return m.get_root().render()

    return app
