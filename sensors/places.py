"""
The places layer: public spaces where people spend time, read from a replaceable GeoJSON.

The embedded default (``sensors/data/places.geojson``) is derived from the real 2015 census
block polygons by :func:`derive_default_places` (Odori Park blocks as census polygons; plazas,
walkways and streets from shared block edges, which trace street centrelines) and written with
:func:`write_places`. Planners replace it with their own file of the same schema
(``docs/PLACES.md``). Coordinates are EPSG:4326.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, nearest_points

from comfort.errors import PlacesError
from comfort.places import PLACE_COLUMNS, REGISTRY_DEFAULTS, check_places, check_registry, kind_of
from sensors.area import CRS, load_blocks
from sensors.errors import FileFormatError
from sensors.place_catalogue import more_places
from sensors.readers import read_layer

#: The embedded default places layer.
PLACES_FILE = Path(__file__).resolve().parent / "data" / "places.geojson"

#: Columns of a loaded places layer (besides geometry): the schema and the registry's history.
REGISTRY_COLUMNS = (*PLACE_COLUMNS, "kind", *REGISTRY_DEFAULTS)

_ALWAYS_OPEN = (0, 1440)
#: Chi-Ka-Ho walkway hours (5:00–24:30, published by Sapporo Ekimae-dori Machizukuri).
_CHIKAHO_HOURS = (300, 1470)
#: Underground shopping streets (Aurora Town, Pole Town): passage hours 7:00–23:00.
_MALL_HOURS = (420, 1380)


def _shared(blocks: pd.Series, a: str, b: str) -> BaseGeometry:
    """The common edge of two census blocks (a street centreline), as one line."""
    line = blocks[a].boundary.intersection(blocks[b].boundary)
    if line.is_empty or line.length < 1.0:
        raise FileFormatError(
            f"census blocks {a} and {b} share no edge; the census file does not look like "
            "the 2015 e-Stat downtown Sapporo polygons."
        )
    merged = linemerge(line) if line.geom_type == "MultiLineString" else line
    return merged


def _corner(blocks: pd.Series, nw: str, ne: str, sw: str) -> Point:
    """The street intersection at the corner shared by three blocks (NW, NE, SW of it)."""
    ns_street = _shared(blocks, nw, ne)
    ew_street = _shared(blocks, nw, sw)
    point: Point = nearest_points(ns_street, ew_street)[0]
    return point


def _toward(p: Point, q: Point, distance_m: float) -> Point:
    """The point ``distance_m`` from ``p`` on the way to ``q``."""
    line = LineString([p, q])
    return Point(line.interpolate(min(distance_m, line.length)).coords[0])


def _place(
    place_id: str,
    name_ja: str,
    name_en: str,
    type_: str,
    indoor: bool,
    level: int,
    hours: tuple[int, int],
    source: str,
    geometry: BaseGeometry,
    *,
    features: tuple[str, ...] = (),
    months: str = "1-12",
    approximate: bool = False,
    status: str = "existing",
    valid_from: str | None = None,
) -> dict[str, Any]:
    """One registry row (see docs/PLACES.md for the columns)."""
    return {
        "place_id": place_id,
        "name_ja": name_ja,
        "name_en": name_en,
        "type": type_,
        "indoor": indoor,
        "level": level,
        "open_min": hours[0],
        "close_min": hours[1],
        "source": source,
        "kind": kind_of(type_, indoor),
        "months": months,
        "features": ",".join(sorted(features)),
        "public_access": True,
        "valid_from": valid_from,
        "valid_to": None,
        "status": status,
        "approximate": approximate,
        "geometry": geometry,
    }


def derive_default_places(census_path: Path) -> gpd.GeoDataFrame:
    """
    The embedded default places, derived from the real census block polygons.

    Parameters
    ----------
    census_path
        ``sapporo_downtown_chome_2015.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns :data:`REGISTRY_COLUMNS` and geometry.

    Raises
    ------
    FileFormatError
        A block the derivation needs is missing from the census file.
    """
    gdf = load_blocks(census_path)
    blocks = gdf.set_index("name_en").geometry
    census = "census block polygons 2015 (e-Stat/CODH, CC BY 4.0)"
    rows: list[dict[str, Any]] = []
    try:
        for w in range(1, 10):
            kanji = "０１２３４５６７８９"[w]
            rows.append(
                _place(
                    f"odori-w{w}",
                    f"大通公園 西{kanji}丁目",
                    f"Odori Park West {w}",
                    "park",
                    False,
                    0,
                    _ALWAYS_OPEN,
                    f"census polygon 大通西{kanji}丁目 ({census}); the block of Odori Park "
                    "between the streets' centrelines",
                    blocks[f"Odori W{w}"],
                    features=("trees", "shade", "seats", "water"),
                )
            )
        # Sapporo Station south plaza: at the south edge of the station blocks N5 W3/W4, on
        # the Ekimae-dori axis (their common edge), 40 m into the blocks.
        axis = _shared(blocks, "N5 W3", "N5 W4")
        ends = [Point(axis.coords[0]), Point(axis.coords[-1])]
        south, north = sorted(ends, key=lambda p: p.y)
        rows.append(
            _place(
                "station-south-plaza",
                "札幌駅南口駅前広場",
                "Sapporo Station South Plaza",
                "plaza",
                False,
                0,
                _ALWAYS_OPEN,
                "south exit forecourt of JR Sapporo Station (北5条西3–4丁目); circle of 40 m "
                f"on the Ekimae-dori axis at the south edge of the station blocks ({census})",
                _toward(south, north, 40.0).buffer(40.0),
                features=("seats",),
            )
        )
        # Akapla (札幌市北3条広場): outdoor plaza on Kita-3-jo street, West 4, between
        # Ekimae-dori and the former Hokkaido Government Office (red brick).
        rows.append(
            _place(
                "akapla",
                "札幌市北3条広場（アカプラ）",
                "Kita 3-jo Plaza (Akapla)",
                "plaza",
                False,
                0,
                _ALWAYS_OPEN,
                "outdoor pedestrian plaza (2014) replacing the roadway of 北3条通 in West 4; "
                f"street centreline between N2 W4 and N3 W4 buffered 14 m ({census})",
                _shared(blocks, "N2 W4", "N3 W4").buffer(14.0, cap_style="flat"),
                features=("trees", "seats"),
            )
        )
        # Chi-Ka-Ho intersection plazas (underground, heated).
        rows.append(
            _place(
                "chikaho-kita3-plaza",
                "チ・カ・ホ 北3条交差点広場",
                "Chi-Ka-Ho Kita 3-jo Intersection Plaza",
                "underground_plaza",
                True,
                -1,
                _CHIKAHO_HOURS,
                "rest plazas of the Sapporo Ekimae-dori underground walkway under the Kita "
                f"3-jo intersection; point at the intersection ({census})",
                _corner(blocks, "N3 W4", "N3 W3", "N2 W4").buffer(20.0),
                features=("heating", "seats"),
            )
        )
        rows.append(
            _place(
                "chikaho-kita-odori-plaza",
                "チ・カ・ホ 北大通交差点広場",
                "Chi-Ka-Ho Kita-Odori Intersection Plaza",
                "underground_plaza",
                True,
                -1,
                _CHIKAHO_HOURS,
                "rest plazas of the underground walkway under the intersection of Ekimae-dori "
                f"and the north side of Odori ({census})",
                _corner(blocks, "N1 W4", "N1 W3", "Odori W4").buffer(20.0),
                features=("heating", "seats"),
            )
        )
        # Aurora Town: under Odori Park from Ekimae-dori east to West 1.
        start = _shared(blocks, "Odori W3", "Odori W4").centroid
        end = blocks["Odori W1"].centroid
        rows.append(
            _place(
                "aurora-town",
                "オーロラタウン",
                "Aurora Town",
                "underground_mall",
                True,
                -1,
                _MALL_HOURS,
                "underground shopping street under Odori Park from Ekimae-dori to West 1 "
                f"(TV Tower); 20 m wide strip along the park's axis ({census})",
                LineString([start, end]).buffer(10.0, cap_style="flat"),
                features=("heating", "cooling", "seats"),
            )
        )
        # Pole Town: under Ekimae-dori from Odori south to Susukino (South 4).
        p0 = _corner(blocks, "Odori W4", "Odori W3", "S1 W4")
        p1 = _corner(blocks, "S3 W4", "S3 W3", "S4 W4")
        rows.append(
            _place(
                "pole-town",
                "ポールタウン",
                "Pole Town",
                "underground_mall",
                True,
                -1,
                _MALL_HOURS,
                "underground shopping street under Ekimae-dori from Odori to Susukino "
                f"(South 4); 16 m wide strip along the street axis ({census})",
                LineString([p0, p1]).buffer(8.0, cap_style="flat"),
                features=("heating", "cooling", "seats"),
            )
        )
        # Soseigawa Park: the river park strip between West 1 and East 1, South 4 to North 1.
        rows_jo = ["S4", "S3", "S2", "S1", "Odori", "N1"]
        river = shapely.union_all([_shared(blocks, f"{j} W1", f"{j} E1") for j in rows_jo])
        rows.append(
            _place(
                "soseigawa-park",
                "創成川公園",
                "Soseigawa Park",
                "park",
                False,
                0,
                _ALWAYS_OPEN,
                "linear park (2011) along the Sosei River from South 4 to North 1; the "
                f"West 1 | East 1 block edges (the river axis) buffered 20 m ({census})",
                river.buffer(20.0, cap_style="flat"),
                features=("trees", "water", "seats"),
            )
        )
        # Tanukikoji: covered shopping arcade between South 2 and South 3, West 1 to West 7.
        arcade = shapely.union_all([_shared(blocks, f"S2 W{w}", f"S3 W{w}") for w in range(1, 8)])
        rows.append(
            _place(
                "tanukikoji",
                "狸小路商店街",
                "Tanukikoji Shopping Arcade",
                "arcade",
                False,
                0,
                _ALWAYS_OPEN,
                "roofed pedestrian shopping street (outdoor air, sheltered from sun, rain and "
                f"snow) between South 2 and South 3, West 1 to West 7 ({census})",
                arcade.buffer(8.0, cap_style="flat"),
                features=("shade",),
            )
        )
        rows.extend(more_places(blocks, _place, _shared, _corner))
    except KeyError as exc:
        raise FileFormatError(
            f"census block {exc} is missing from {census_path}; the places derivation needs "
            "the 2015 downtown Sapporo census polygons (sapporo_downtown_chome_2015.geojson)."
        ) from exc
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).to_crs("EPSG:4326")
    return out


def write_places(places: gpd.GeoDataFrame, path: Path) -> Path:
    """
    Write a places layer as GeoJSON (EPSG:4326, coordinates rounded to 1e-7 degrees).

    Parameters
    ----------
    places
        A places GeoDataFrame (checked with :func:`comfort.places.check_places`).
    path
        Target file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    table = check_registry(places)
    for col in ("valid_from", "valid_to"):
        table[col] = [None if d is None else d.isoformat() for d in table[col]]
    gdf = gpd.GeoDataFrame(table, geometry="geometry", crs=places.crs).to_crs("EPSG:4326")
    gdf = gdf.set_geometry(shapely.set_precision(gdf.geometry.values, 1e-7))
    fc = json.loads(gdf.to_json(drop_id=True))
    fc["name"] = "kaiteki_places"
    fc["description"] = (
        "Public spaces of downtown Sapporo where people spend time (kaiteki places layer). "
        "Derived from the 2015 census block polygons (e-Stat/CODH, CC BY 4.0); see "
        "docs/PLACES.md. Coordinates lon/lat (EPSG:4326)."
    )
    Path(path).write_text(json.dumps(fc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Path(path)


def load_places(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """
    Read a places GeoJSON and check it.

    Parameters
    ----------
    path
        The file; default the embedded layer :data:`PLACES_FILE`.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per place, columns :data:`REGISTRY_COLUMNS` (the registry's
        columns take their defaults when the file lacks them) and geometry (polygons or points); ``indoor`` bool, ``level``/``open_min``/``close_min``
        int. Outdoor places without hours are always open (0–1440).

    Raises
    ------
    FileFormatError
        The file is missing or not GeoJSON.
    PlacesError
        The layer breaks the schema (missing column, duplicate id, bad hours, ...).
    """
    p = Path(path) if path is not None else PLACES_FILE
    gdf = read_layer(
        p,
        "a GeoJSON with the columns of docs/PLACES.md, or leave it out to use the embedded layer",
    )
    for col, default in (("open_min", 0), ("close_min", 1440)):
        if col not in gdf.columns:
            gdf[col] = default
    try:
        check_places(gdf, where=p.name)
    except PlacesError:
        raise
    gdf["indoor"] = gdf["indoor"].astype(bool)
    for col in ("level", "open_min", "close_min"):
        gdf[col] = gdf[col].astype(int)
    gdf = gpd.GeoDataFrame(check_registry(gdf, where=p.name), geometry="geometry", crs=gdf.crs)
    for col in ("valid_from", "valid_to"):  # ISO text (or None): every export format keeps it
        gdf[col] = pd.Series([None if d is None else d.isoformat() for d in gdf[col]], dtype="str")
    return gdf[[*REGISTRY_COLUMNS, "geometry"]].reset_index(drop=True)
