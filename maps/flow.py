"""
The people-flow map: the MLIT 1 km mesh stay population and the Chi-Ka-Ho counters J1–J5.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from maps.layers import add_points, choropleth_map

#: Where along the Chi-Ka-Ho axis (0 north end, 1 south end) each counter array J1..J5 is drawn.
COUNTER_POSITIONS = (0.0, 0.25, 0.5, 0.75, 1.0)


def chikaho_counters(
    segments_lonlat: gpd.GeoDataFrame, daily: pd.DataFrame
) -> gpd.GeoDataFrame | None:
    """
    The Chi-Ka-Ho counter arrays J1 (north) .. J5 (south) as points along the Chi-Ka-Ho walkway
    with their mean count over the last year of ``daily``. Approximate positions: the open data
    give no coordinates.

    Parameters
    ----------
    segments_lonlat
        Segment table in lon/lat with ``name``, ``mid_lon`` and ``mid_lat``.
    daily
        Daily counts (people per 15 min) in columns ``J1``..``J5``, indexed by date.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``array``, ``mean`` (people per 15 min) and ``label`` per counter (EPSG:4326); None
        when the graph has no Chi-Ka-Ho walkway.
    """
    chikaho = segments_lonlat[segments_lonlat["name"] == "Chi-Ka-Ho"]
    if chikaho.empty:
        return None
    north_to_south = chikaho.sort_values("mid_lat", ascending=False)
    picks = [north_to_south.iloc[round(f * (len(north_to_south) - 1))] for f in COUNTER_POSITIONS]
    last_year = daily.loc[daily.index >= daily.index.max() - pd.Timedelta(days=364)]
    pts = gpd.GeoDataFrame(
        {
            "array": [f"J{i}" for i in range(1, 6)],
            "mean": [float(last_year[f"J{i}"].mean()) for i in range(1, 6)],
        },
        geometry=[Point(r["mid_lon"], r["mid_lat"]) for r in picks],
        crs="EPSG:4326",
    )
    period = f"{last_year.index.min():%Y-%m}–{last_year.index.max():%Y-%m}"
    pts["label"] = [
        f"{a}: {v:,.0f} / 15 min (mean {period}, real)"
        for a, v in zip(pts["array"], pts["mean"], strict=True)
    ]
    return pts


def flow_map(
    mesh: gpd.GeoDataFrame,
    counters: gpd.GeoDataFrame,
    blocks: Any = None,
    *,
    lang: str = "en",
    tiles: str | None = None,
) -> folium.Map:
    """
    The mesh stay population as a choropleth with the counters as circles sized by their mean.

    Parameters
    ----------
    mesh
        Mesh cells with ``mesh_id`` and ``stay_population`` (people).
    counters
        :func:`chikaho_counters`.
    blocks, lang, tiles
        Base layer (census blocks when no tiles), language, tile URL.
    """
    m = choropleth_map(
        mesh,
        "stay_population",
        ["mesh_id", "stay_population"],
        blocks=blocks,
        lang=lang,
        tiles=tiles,
        name="MLIT stay population",
        zoom=14,
    )
    add_points(m, counters, "mean", "label")
    return m
