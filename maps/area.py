"""The planning area, its census blocks and walking network on an offline folium map."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class BlocksLayer:
    """
    Census blocks ready to draw: a GeoJSON FeatureCollection in lon/lat (EPSG:4326) with
    coordinates rounded to 1e-6° (about 0.1 m), properties ``name_ja`` and ``name_en``, and a
    feature ``id``. Build it once with :func:`blocks_layer`; drawing it again costs no
    reprojection, rounding or GeoJSON conversion. Treat it as read-only.
    """

    geojson: dict[str, Any]

    def __len__(self) -> int:
        return len(self.geojson["features"])


def blocks_layer(blocks: gpd.GeoDataFrame) -> BlocksLayer:
    """
    The census blocks (``sensors.area.load_blocks``, any CRS) as a :class:`BlocksLayer`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"name_ja": ["北1条西1丁目"], "name_en": ["Kita 1 Nishi 1"]},
    ...                      geometry=[box(141.35, 43.06, 141.3512345678, 43.061)], crs=4326)
    >>> layer = blocks_layer(b)
    >>> len(layer), layer.geojson["features"][0]["id"]
    (1, '0')
    """
    b = blocks.to_crs("EPSG:4326")[["name_ja", "name_en", "geometry"]].copy()
    b["geometry"] = shapely.set_precision(b.geometry.values, 1e-6)
    geojson: dict[str, Any] = json.loads(b.reset_index(drop=True).to_json(drop_id=True))
    for i, feature in enumerate(geojson["features"]):
        feature["id"] = str(i)  # folium then needs no identifier of its own (no mutation)
    return BlocksLayer(geojson)


def add_blocks(
    m: folium.Map, blocks: gpd.GeoDataFrame | BlocksLayer, lang: str = "en"
) -> folium.GeoJson:
    """
    Draw the census blocks as the base layer (used when no tiles are configured).

    Parameters
    ----------
    m
        The map, changed in place.
    blocks
        Census blocks: a :class:`BlocksLayer` (cheapest: build it once and reuse it) or the
        blocks table (``sensors.area.load_blocks``), any CRS.
    lang
        ``en`` or ``ja``: which block name the tooltip shows.
    """
    layer_data = blocks if isinstance(blocks, BlocksLayer) else blocks_layer(blocks)
    layer = folium.GeoJson(
        layer_data.geojson,
        name="census blocks" if lang == "en" else "町丁目",
        style_function=_block_style,
        tooltip=folium.GeoJsonTooltip(["name_ja" if lang == "ja" else "name_en"], labels=False),
        attribution=BLOCKS_ATTRIBUTION,
        control=False,
    )
    layer.add_to(m)
    return layer


def _block_style(_: Any) -> dict[str, Any]:
    return {"color": "#c9c9c9", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 0.9}
