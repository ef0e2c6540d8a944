"""A walking course on an offline folium map: the route, its waypoints and the winter option."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from maps.area import add_blocks
from maps.offline import offline_map

ROUTE_COLOUR = "#1864ab"
WINTER_COLOUR = "#d9480f"


def course_map(
    course: dict[str, Any],
    blocks: gpd.GeoDataFrame | None = None,
    *,
    lang: str = "en",
    tiles: str | None = None,
) -> folium.Map:
    """
    A map of one course.

    Parameters
    ----------
    course
        The course detail of ``GET /v1/courses/{id}``: ``geometry`` (GeoJSON LineString,
        lon/lat), ``waypoints`` (``name``, ``lon``, ``lat``) and optionally
        ``winter_alternative`` with its own ``geometry``.
    blocks
        Census blocks drawn as the base layer when no tiles are configured.
    lang
        ``en`` or ``ja`` for labels.
    tiles
        Optional tile URL template.

    Returns
    -------
    folium.Map
        Fitted to the course; layers: blocks, the route, the winter route, waypoint markers.
    """
    coords = course["geometry"]["coordinates"]
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    m = offline_map(((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2), 16, tiles)
    if blocks is not None and tiles is None:
        add_blocks(m, blocks, lang)
    alt = course.get("winter_alternative")
    if alt:
        folium.GeoJson(
            {"type": "Feature", "geometry": alt["geometry"], "properties": {}},
            name="winter (underground)" if lang == "en" else "冬（地下）",
            style_function=lambda _: {
                "color": WINTER_COLOUR,
                "weight": 5,
                "dashArray": "8 6",
                "opacity": 0.9,
            },
        ).add_to(m)
    folium.GeoJson(
        {"type": "Feature", "geometry": course["geometry"], "properties": {"name": course["name"]}},
        name=course["name"],
        style_function=lambda _: {"color": ROUTE_COLOUR, "weight": 6, "opacity": 0.85},
        tooltip=folium.GeoJsonTooltip(["name"], labels=False),
    ).add_to(m)
    for i, w in enumerate(course["waypoints"]):
        folium.CircleMarker(
            (w["lat"], w["lon"]),
            radius=7,
            color="#ffffff",
            weight=2,
            fill=True,
            fill_color=ROUTE_COLOUR if i else "#2b8a3e",
            fill_opacity=1.0,
            tooltip=f"{i + 1}. {w['name']}",
        ).add_to(m)
    m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    return m
