"""
Walking destinations for the walkability access measures: the embedded Sapporo set and OSM POIs.

The embedded file ``sensors/data/destinations.geojson`` holds the subway stations of downtown
Sapporo that could be located reliably (Sapporo, Odori, Susukino, Nishi-11-chome; each at the
centroid of the census block given by its published address, so within about 100 m) and Odori
Park (one point per Odori block, West 1 to West 11). Each feature says how it was located
(``located_by``). Underground walkway entrances are not in the file: they come from the graph
(its ``exit`` edges). When an OSM extract is at hand, :func:`destinations_from_osm_file` reads
shops, food and services from its tags.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from sensors.errors import FileFormatError, OSMSourceError
from sensors.readers import read_layer

#: The embedded destinations file.
DESTINATIONS_FILE = Path(__file__).resolve().parent / "data" / "destinations.geojson"

#: Columns of a destinations table besides geometry.
COLUMNS = ("category", "name_en", "name_ja")

#: OSM tag values read as each destination category (key -> values; ``*`` any value).
OSM_CATEGORIES: dict[str, dict[str, set[str]]] = {
    "shop": {"shop": {"*"}},
    "food": {"amenity": {"restaurant", "cafe", "fast_food", "bar", "pub", "food_court"}},
    "service": {
        "amenity": {
            "pharmacy",
            "bank",
            "post_office",
            "clinic",
            "doctors",
            "hospital",
            "library",
            "townhall",
            "community_centre",
            "school",
            "kindergarten",
        }
    },
    "park": {"leisure": {"park", "garden", "playground"}},
    "subway_station": {"railway": {"station", "subway_entrance"}},
}


def load_destinations(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """
    Read a destinations GeoJSON: point features with ``category`` (and optional names).

    Parameters
    ----------
    path
        The file; default the embedded Sapporo set (:data:`DESTINATIONS_FILE`).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``category``, ``name_en``, ``name_ja``, ``located_by``, geometry.

    Raises
    ------
    FileFormatError
        The file is missing, unreadable, lacks ``category``, or holds non-point features.
    """
    p = Path(path) if path is not None else DESTINATIONS_FILE
    gdf = read_layer(p, "a GeoJSON of destination points with a 'category' property")
    if "category" not in gdf.columns:
        raise FileFormatError(
            f"{p.name}: field category is missing; expected a 'category' property on every "
            "feature (e.g. subway_station, park)"
        )
    kinds = gdf.geometry.geom_type
    if not (kinds == "Point").all():
        i = int((kinds != "Point").to_numpy().nonzero()[0][0])
        raise FileFormatError(
            f"{p.name}: feature {i} is a {kinds.iloc[i]}; destinations must be points. "
            "Replace areas by their entrances or centroids."
        )
    missing = gdf["category"].isna() | (gdf["category"].astype(str).str.strip() == "")
    if missing.any():
        i = int(missing.to_numpy().nonzero()[0][0])
        raise FileFormatError(
            f"{p.name}: feature {i} has an empty category; give every feature one"
        )

    for col in ("name_en", "name_ja", "located_by"):
        if col not in gdf.columns:
            gdf[col] = ""
    return gdf[["category", "name_en", "name_ja", "located_by", "geometry"]]


def _category(tags: dict[str, str]) -> str | None:
    for category, rules in OSM_CATEGORIES.items():
        for key, values in rules.items():
            value = tags.get(key)
            if value is not None and ("*" in values or value in values):
                return category
    return None


def destinations_from_osm_file(path: str | Path) -> gpd.GeoDataFrame:
    """
    Shops, food, services, parks and stations from the tags of a local OSM extract.

    Tagged nodes are read as they are; tagged closed ways (shops drawn as buildings, parks) by
    the centroid of their nodes that are in the file. Categories follow
    :data:`OSM_CATEGORIES`.

    Parameters
    ----------
    path
        ``.osm`` or ``.osm.pbf`` extract.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``category``, ``name_en``, ``name_ja`` (the OSM ``name:en`` /
        ``name`` tags), ``located_by`` (``osm node N`` or ``osm way N``), geometry.

    Raises
    ------
    OSMSourceError
        The file is missing or cannot be read.
    """
    import osmium

    p = Path(path)
    if not p.is_file():
        raise OSMSourceError(f"OSM extract {p} not found; pass an existing .osm or .osm.pbf file")
    rows: list[dict[str, object]] = []
    try:
        fp = osmium.FileProcessor(str(p)).with_locations()
        for obj in fp:
            if isinstance(obj, osmium.osm.Node | osmium.osm.Way):
                tags = {t.k: t.v for t in obj.tags}
                category = _category(tags)
                if category is None:
                    continue
                if isinstance(obj, osmium.osm.Node):
                    if not obj.location.valid():
                        continue
                    geom = shapely.Point(obj.location.lon, obj.location.lat)
                    where = f"osm node {obj.id}"
                else:
                    pts = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                    if not pts:
                        continue
                    geom = shapely.MultiPoint(pts).centroid
                    where = f"osm way {obj.id}"
                rows.append(
                    {
                        "category": category,
                        "name_en": tags.get("name:en", tags.get("name", "")),
                        "name_ja": tags.get("name:ja", ""),
                        "located_by": where,
                        "geometry": geom,
                    }
                )
    except RuntimeError as exc:
        raise OSMSourceError(f"cannot read OSM extract {p}: {exc}") from exc
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "located_by", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
