"""
Choropleth and point layers on offline folium maps: walkability, places, people flow.

Colours are computed here (a small sequential ramp) and stored per feature, so the maps need
no colour-map JavaScript from a CDN (branca's colormaps load d3 from one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt

from maps.area import add_blocks
from maps.offline import offline_map

#: Sequential ramp, light to dark (colour-blind safe, viridis-like).
RAMP = ("#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154")
NO_DATA = "#ced4da"


def ramp_colours(
    values: npt.ArrayLike, lo: float | None = None, hi: float | None = None
) -> list[str]:
    """
    A colour of :data:`RAMP` per value, scaled between ``lo`` and ``hi`` (default min/max).

    Examples
    --------
    >>> ramp_colours([0, 50, 100, float("nan")])
    ['#fde725', '#21918c', '#440154', '#ced4da']
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return [NO_DATA] * len(v)
    lo = float(np.nanmin(v)) if lo is None else lo
    hi = float(np.nanmax(v)) if hi is None else hi
    span = hi - lo if hi > lo else 1.0
    idx = np.clip(np.round((v - lo) / span * (len(RAMP) - 1)), 0, len(RAMP) - 1)
    return [RAMP[int(i)] if good else NO_DATA for i, good in zip(idx, ok, strict=True)]


def ramp_legend(lo: float, hi: float, fmt: str = "{:.0f}") -> list[dict[str, str]]:
    """Legend entries (colour and value) of the ramp from ``lo`` to ``hi``."""
    steps = np.linspace(lo, hi, len(RAMP))
    return [
        {"colour": c, "label": fmt.format(s), "range": ""} for c, s in zip(RAMP, steps, strict=True)
    ]


def _base(
    gdf: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame | None, tiles: str | None, lang: str, zoom: int
) -> folium.Map:
    centre = gdf.to_crs("EPSG:4326").union_all().centroid
    m = offline_map((centre.y, centre.x), zoom_start=zoom, tiles=tiles)
    if blocks is not None and tiles is None:
        add_blocks(m, blocks, lang)
    return m


def choropleth_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    tooltip: Sequence[str],
    *,
    aliases: Sequence[str] | None = None,
    blocks: gpd.GeoDataFrame | None = None,
    lang: str = "en",
    tiles: str | None = None,
    name: str = "layer",
    lo: float | None = None,
    hi: float | None = None,
    zoom: int = 15,
    line: bool = False,
) -> folium.Map:
    """
    Polygons (or lines with ``line=True``) coloured by ``column`` on the ramp.

    Parameters
    ----------
    gdf
        Features in any CRS.
    column
        Numeric column that sets the colour (NaN: grey).
    tooltip, aliases
        Columns shown on hover, and their labels.
    blocks, lang, tiles
        Base layer (census blocks when no tiles), language, tile URL.
    name
        Layer name.
    lo, hi
        Range of the colour scale (default the column's min and max).
    """
    g = gdf.to_crs("EPSG:4326").copy()
    g["colour"] = ramp_colours(g[column].to_numpy(dtype=float), lo, hi)
    keep = list(dict.fromkeys([*tooltip, column, "colour"]))
    g = g[[*keep, "geometry"]]
    for c in keep:
        if g[c].dtype.kind == "f":
            g[c] = g[c].round(2)
    m = _base(g, blocks, tiles, lang, zoom)
    folium.GeoJson(
        g.__geo_interface__,
        name=name,
        style_function=_line_style if line else _poly_style,
        tooltip=folium.GeoJsonTooltip(list(tooltip), aliases=list(aliases or tooltip)),
    ).add_to(m)
    return m


def _poly_style(feature: dict[str, Any]) -> dict[str, Any]:
    c = feature["properties"]["colour"]
    return {"color": "#495057", "weight": 0.8, "fillColor": c, "fillOpacity": 0.75}


def _line_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": feature["properties"]["colour"], "weight": 5, "opacity": 0.9}


def add_points(
    m: folium.Map,
    points: gpd.GeoDataFrame,
    size_column: str,
    label_column: str,
    colour: str = "#d9480f",
    max_radius: float = 22.0,
) -> None:
    """Circle markers sized by ``size_column`` (area proportional) with a tooltip label."""
    p = points.to_crs("EPSG:4326")
    v = p[size_column].to_numpy(dtype=float)
    top = float(np.nanmax(v)) if np.isfinite(v).any() and np.nanmax(v) > 0 else 1.0
    for (_, row), val in zip(p.iterrows(), v, strict=True):
        radius = (
            4.0 + (max_radius - 4.0) * np.sqrt(max(val, 0.0) / top) if np.isfinite(val) else 4.0
        )
        folium.CircleMarker(
            (row.geometry.y, row.geometry.x),
            radius=float(radius),
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.85,
            tooltip=str(row[label_column]),
        ).add_to(m)
