"""The planning area, its census blocks and walking network on an offline folium map."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from maps.offline import BLOCKS_ATTRIBUTION, offline_map

#: Colours of the network layers by edge kind.
KIND_COLOURS = {"street": "#4a5a6a", "underground": "#d9480f", "exit": "#f59f00"}


def area_map(
    planning_area: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """
    A map of the planning area, the census blocks (as the base layer) and the walking network.

    Parameters
    ----------
    planning_area
        One polygon row (any CRS).
    segments
        The segment table (``comfort.network.segment_table``), any CRS.
    blocks
        Census blocks drawn as the base layer when no tiles are configured.
    tiles
        Optional base-map tile URL template.

    Returns
    -------
    folium.Map
        Layers: blocks, planning area, streets, underground walkways and exits.
    """
    pa = planning_area.to_crs("EPSG:4326")
    seg = segments.to_crs("EPSG:4326")
    centre = pa.geometry.iloc[0].centroid
    m = offline_map((centre.y, centre.x), zoom_start=15, tiles=tiles)
    if blocks is not None and tiles is None:
        add_blocks(m, blocks)
    folium.GeoJson(
        pa[["area_ha", "geometry"]],
        name="planning area",
        style_function=lambda _: {
            "color": "#1864ab",
            "weight": 2.5,
            "fill": False,
            "dashArray": "6 4",
        },
    ).add_to(m)
    for kind, colour in KIND_COLOURS.items():
        part = seg[seg["kind"] == kind]
        if part.empty:
            continue
        weight = 2 if kind == "street" else 4
        folium.GeoJson(
            part.reset_index()[["segment_id", "kind", "name", "length_m", "geometry"]],
            name={"street": "streets", "underground": "underground walkways", "exit": "exits"}[
                kind
            ],
            style_function=lambda _, c=colour, w=weight: {"color": c, "weight": w},
            tooltip=folium.GeoJsonTooltip(["kind", "name", "length_m"]),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def add_blocks(m: folium.Map, blocks: gpd.GeoDataFrame, lang: str = "en") -> folium.GeoJson:
    """
    Draw the census blocks as the base layer (used when no tiles are configured).

    Parameters
    ----------
    m
        The map, changed in place.
    blocks
        Census blocks (``sensors.area.load_blocks``), any CRS.
    lang
        ``en`` or ``ja``: which block name the tooltip shows.
    """
    b = blocks.to_crs("EPSG:4326")[["name_ja", "name_en", "geometry"]].copy()
    b["geometry"] = shapely.set_precision(b.geometry.values, 1e-6)
    layer = folium.GeoJson(
        b,
        name="census blocks" if lang == "en" else "町丁目",
        style_function=lambda _: {
            "color": "#c9c9c9",
            "weight": 0.6,
            "fillColor": "#f4f1ea",
            "fillOpacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(["name_ja" if lang == "ja" else "name_en"], labels=False),
        attribution=BLOCKS_ATTRIBUTION,
        control=False,
    )
    layer.add_to(m)
    return layer
