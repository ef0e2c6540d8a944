"""
Offline folium maps: Leaflet served by the app itself, no CDN, optional base tiles.

folium's default page loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs. kaiteki's maps
need only Leaflet (vector layers, tooltips, popups, circle markers), which is vendored in
``maps/static/leaflet/`` (Leaflet 1.9.3, the version folium 0.20 expects; BSD-2-Clause licence
kept beside it). :func:`offline_map` makes a ``folium.Map`` that references ``/static/...`` only,
and :func:`external_urls` lets tests prove that no rendered page asks another host for anything.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import folium

#: Folder served at ``/static`` by the app.
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: URL prefix under which :data:`STATIC_DIR` is mounted.
STATIC_URL = "/static"

#: Leaflet's files (relative to :data:`STATIC_URL`).
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"

#: Attribution of the default base layer (the census blocks drawn by kaiteki).
BLOCKS_ATTRIBUTION = "Blocks: e-Stat / CODH 2015 census boundaries (CC BY 4.0)"

_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^"'\s)<>]*""")


def offline_map(
    location: tuple[float, float],
    zoom_start: int = 15,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    **kwargs: Any,
) -> folium.Map:
    """
    A ``folium.Map`` whose JavaScript and CSS come from the app's ``/static`` folder.

    Parameters
    ----------
    location
        Map centre as (lat, lon) (degrees, WGS 84).
    zoom_start
        Initial Leaflet zoom level.
    tiles
        A tile URL template (``{z}/{x}/{y}``) for a base map, or None for no tiles: the caller
        then draws the area's own blocks as the base layer. A tile server is the only thing a
        page may load from another host, and only when configured (``KAITEKI_TILES``).
    tiles_attribution
        Attribution shown for ``tiles`` (required by folium for custom tiles).
    **kwargs
        Passed to ``folium.Map`` (e.g. ``max_bounds``, ``min_zoom``).

    Returns
    -------
    folium.Map
        A map that references only ``/static/leaflet/leaflet.js`` and ``leaflet.css``.
    """
    m = folium.Map(
        location=list(location),
        zoom_start=zoom_start,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        **kwargs,
    )
    m.default_js = [("leaflet", f"{STATIC_URL}/{LEAFLET_JS}")]
    m.default_css = [("leaflet_css", f"{STATIC_URL}/{LEAFLET_CSS}")]
    if tiles:
        folium.TileLayer(
            tiles=tiles,
            attr=tiles_attribution or "Base map tiles (configured by KAITEKI_TILES)",
            name="base map",
            overlay=False,
            control=False,
        ).add_to(m)
    return m


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>\s*')


def map_parts(m: folium.Map) -> dict[str, str]:
    """
    The rendered pieces of a folium map, to embed in a page template.

    Returns
    -------
    dict
        ``header`` (script/link tags and styles for the ``<head>``), ``html`` (the map ``<div>``),
        ``script`` (the code that builds the map) and ``name`` (the JavaScript variable that holds
        the Leaflet map, e.g. ``map_1a2b...``).
    """
    root: Any = m.get_root()  # a branca Figure: header, html and script elements
    root.render()
    return {
        # folium's own viewport tag forbids zooming (user-scalable=no, WCAG 1.4.4): the page's
        # template has the viewport tag
        "header": _FOLIUM_VIEWPORT.sub("", root.header.render()),
        "html": root.html.render(),
        "script": root.script.render(),
        "name": m.get_name(),
    }


def external_urls(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """
    Absolute URLs to other hosts found in a page, except those starting with ``allowed``.

    Namespace URIs of SVG/XML (``http://www.w3.org/...``) are not requests and are ignored.

    Examples
    --------
    >>> external_urls('<script src="/static/leaflet/leaflet.js"></script>')
    []
    >>> external_urls('<link href="https://cdn.example.org/x.css">')
    ['https://cdn.example.org/x.css']
    """
    urls = [u for u in _URL.findall(html) if "www.w3.org" not in u]
    return [u for u in urls if not any(u.startswith(a) for a in allowed)]
