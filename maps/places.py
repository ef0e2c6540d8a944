"""
The places map: each public place coloured by whether it is comfortable in the current year,
highlighted when it was not in the baseline year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd

from maps.area import add_blocks
from maps.offline import offline_map

#: Colour of each place state, in legend order.
STATE_COLOURS = {
    "new_comfortable": "#2b8a3e",
    "comfortable": "#74b816",
    "not_comfortable": "#e8590c",
    "no_data": "#adb5bd",
}


def place_state(base: bool | None, current: bool | None) -> str:
    """
    The state of a place from its comfort in the baseline and current years (None: no data).

    Examples
    --------
    >>> place_state(False, True), place_state(True, True), place_state(None, None)
    ('new_comfortable', 'comfortable', 'no_data')
    """
    if current is None:
        return "no_data"
    if current and not base:
        return "new_comfortable"
    return "comfortable" if current else "not_comfortable"


def places_map(
    places: gpd.GeoDataFrame,
    states: Mapping[str, str],
    labels: Mapping[str, str],
    blocks: Any = None,
    *,
    lang: str = "en",
    tiles: str | None = None,
) -> folium.Map:
    """
    A map of the places: polygons filled and points drawn in the colour of their state.

    Parameters
    ----------
    places
        The places layer (EPSG:4326) with ``place_id``, ``name_ja`` and ``name_en``.
    states
        State of each place id (:func:`place_state`).
    labels
        Text of each state in the page's language (keys of :data:`STATE_COLOURS`).
    blocks, lang, tiles
        Base layer (census blocks when no tiles), language, tile URL.
    """
    p = places.copy()
    p["name"] = p["name_ja" if lang == "ja" else "name_en"]
    state = [states.get(pid, "no_data") for pid in p["place_id"]]
    p["state"] = [labels[s] for s in state]
    p["colour"] = [STATE_COLOURS[s] for s in state]
    centre = p.union_all().centroid
    m = offline_map((centre.y, centre.x), 15, tiles)
    if tiles is None and blocks is not None:
        add_blocks(m, blocks, lang)
    polys = p[p.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(polys):
        folium.GeoJson(
            polys[["name", "state", "colour", "geometry"]].__geo_interface__,
            name="places",
            style_function=_style,
            tooltip=folium.GeoJsonTooltip(["name", "state"], labels=False),
        ).add_to(m)
    for _, r in p[p.geometry.geom_type == "Point"].iterrows():
        folium.CircleMarker(
            (r.geometry.y, r.geometry.x),
            radius=8,
            color="#fff",
            weight=2,
            fill=True,
            fill_color=r["colour"],
            fill_opacity=1,
            tooltip=f"{r['name']} — {r['state']}",
        ).add_to(m)
    return m


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = feature["properties"]["colour"]
    return {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.6}
