"""
The planning area and the embedded Sapporo walking network, derived from the real census blocks.

The 2015 census small-area polygons of downtown Sapporo (e-Stat / CODH, CC BY 4.0) form a
coverage whose shared edges trace the street centrelines of the jō–chōme grid. From them:

- :func:`load_blocks` reads the blocks, parses their names into grid coordinates (``jo``: +north,
  −south, 0 for Odori; ``chome``: −west, +east) and projects them to JGD2011 / Japan Plane
  Rectangular CS XII (EPSG:6680, metres);
- :func:`default_planning_area` is the union of the blocks from South 6 to North 7 and West 9 to
  East 2, Odori included (CONTEXT.md: 154 blocks, about 283 ha); a planner replaces it with one
  GeoJSON file (:func:`planning_area` with ``area_path``);
- :func:`build_sapporo_graph` derives the street graph (``comfort.network``), adds street
  covariates and the three underground walkways, and clips it to the planning area plus a buffer;
- :func:`sapporo_graph` caches the result as GeoParquet keyed by its inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import linemerge, substring

from comfort import network
from comfort.network import Walkway
from sensors.errors import AreaError
from sensors.readers import read_vector
from sensors.street_names import street_names

CENSUS_FILE = "sapporo_downtown_chome_2015.geojson"
CRS = "EPSG:6680"

#: Bump when the graph-building code changes, so that cached graphs are rebuilt.
BUILD_VERSION = "5"

#: Default planning area in grid coordinates (CONTEXT.md): South 6..North 7, West 9..East 2.
DEFAULT_AREA_JO = (-6, 7)
DEFAULT_AREA_CHOME = (-9, 2)

_KANJI = "一二三四五六七八九"
_NAME = re.compile(r"^(?:(北|南)(.+?)条|大通)(西|東)([０-９0-9]+)丁目$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _kanji_number(text: str) -> int:
    """
    A kanji numeral from 1 to 99.

    Examples
    --------
    >>> [_kanji_number(t) for t in ("一", "十", "十二", "二十", "二十一")]
    [1, 10, 12, 20, 21]
    """
    if "十" not in text:
        return _KANJI.index(text) + 1
    tens, _, ones = text.partition("十")
    return (_KANJI.index(tens) + 1 if tens else 1) * 10 + (_KANJI.index(ones) + 1 if ones else 0)


def parse_block_name(name: str) -> tuple[int, int] | None:
    """
    Grid coordinates of a jō–chōme block name, or None for a name outside the grid.

    Parameters
    ----------
    name
        A census block name such as ``北一条西３丁目`` (full-width or ASCII digits).

    Returns
    -------
    (jo, chome) or None
        ``jo`` is +N for 北N条, −N for 南N条 and 0 for 大通; ``chome`` is −N for 西N丁目 and +N for
        東N丁目.

    Examples
    --------
    >>> parse_block_name("北一条西３丁目")
    (1, -3)
    >>> parse_block_name("大通東１丁目")
    (0, 1)
    >>> parse_block_name("南十条西１２丁目")
    (-10, -12)
    >>> parse_block_name("中島公園") is None
    True
    """
    m = _NAME.match(name.strip())
    if m is None:
        return None
    ns, jo_text, ew, chome_text = m.groups()
    jo = 0 if ns is None else _kanji_number(jo_text) * (1 if ns == "北" else -1)
    chome = int(chome_text.translate(_FULLWIDTH)) * (-1 if ew == "西" else 1)
    return jo, chome


def block_name_en(jo: int, chome: int) -> str:
    """
    English short name of a block.

    Examples
    --------
    >>> block_name_en(1, -3), block_name_en(0, 1), block_name_en(-4, -4)
    ('N1 W3', 'Odori E1', 'S4 W4')
    """
    row = "Odori" if jo == 0 else f"{'N' if jo > 0 else 'S'}{abs(jo)}"
    return f"{row} {'W' if chome < 0 else 'E'}{abs(chome)}"


def load_blocks(census_path: Path) -> gpd.GeoDataFrame:
    """
    The census blocks of downtown Sapporo, projected to EPSG:6680, with grid coordinates.

    Parameters
    ----------
    census_path
        ``sapporo_downtown_chome_2015.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name_ja``, ``name_en``, ``jo``, ``chome``, ``population``, ``households``,
        ``area_m2``, ``key_code``, geometry (EPSG:6680). Blocks outside the jō–chōme grid keep
        ``jo``/``chome`` as missing.

    Raises
    ------
    AreaError
        The file cannot be read or lacks the census fields.
    """
    try:
        raw = read_vector(census_path)
    except Exception as exc:  # json, shapely and GDAL raise several types
        raise AreaError(
            f"cannot read census blocks from {census_path}: {exc}. Expected the e-Stat/CODH "
            "GeoJSON sapporo_downtown_chome_2015.geojson."
        ) from exc
    missing = {"S_NAME", "JINKO", "SETAI", "KEY_CODE"} - set(raw.columns)
    if missing:
        raise AreaError(
            f"{census_path} lacks the census fields {sorted(missing)}; expected the 2015 census "
            "small-area GeoJSON with S_NAME, JINKO, SETAI, KEY_CODE."
        )
    coords = [parse_block_name(n) for n in raw["S_NAME"]]
    blocks = gpd.GeoDataFrame(
        {
            "name_ja": raw["S_NAME"],
            "jo": pd.array([c[0] if c else None for c in coords], dtype="Int64"),
            "chome": pd.array([c[1] if c else None for c in coords], dtype="Int64"),
            "population": raw["JINKO"].astype("int64"),
            "households": raw["SETAI"].astype("int64"),
            "key_code": raw["KEY_CODE"].astype(str),
        },
        geometry=raw.geometry.to_crs(CRS),
        crs=CRS,
    )
    blocks["name_en"] = [
        block_name_en(*c) if c else n for c, n in zip(coords, raw["S_NAME"], strict=False)
    ]
    blocks["area_m2"] = blocks.geometry.area
    return blocks


def default_planning_area(blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """
    The default planning area: blocks from South 6 to North 7 and West 9 to East 2, dissolved.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``name``, ``blocks`` (count), ``population``, ``area_ha``, geometry (EPSG:6680).
    """
    sel = blocks[
        blocks["jo"].between(*DEFAULT_AREA_JO) & blocks["chome"].between(*DEFAULT_AREA_CHOME)
    ]
    if sel.empty:
        raise AreaError("no census block falls in the default planning area S6..N7, W9..E2")
    geom = shapely.union_all(shapely.set_precision(sel.geometry.values, 0.5))
    return gpd.GeoDataFrame(
        {
            "name": ["Sapporo downtown planning area (S6–N7, W9–E2; approximation)"],
            "blocks": [len(sel)],
            "population": [int(sel["population"].sum())],
            "area_ha": [round(geom.area / 1e4, 1)],
        },
        geometry=[geom],
        crs=CRS,
    )


def read_planning_area(area_path: Path) -> gpd.GeoDataFrame:
    """
    A planning area from a GeoJSON (or any OGR) file with one or more polygons, dissolved.

    Raises
    ------
    AreaError
        The file is missing, unreadable, empty, or holds no polygon.
    """
    if not Path(area_path).is_file():
        raise AreaError(
            f"planning-area file {area_path} not found; set KAITEKI_AREA to a GeoJSON polygon "
            "file or unset it to use the embedded default"
        )
    try:
        gdf = read_vector(area_path)
    except Exception as exc:
        raise AreaError(f"cannot read planning area {area_path}: {exc}") from exc
    polys = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise AreaError(
            f"{area_path} holds no polygon (found {sorted(set(gdf.geometry.geom_type))}); "
            "the planning area must be a Polygon or MultiPolygon"
        )
    if polys.crs is None:
        polys = polys.set_crs("EPSG:4326")
    geom = shapely.union_all(polys.to_crs(CRS).geometry.values)
    return gpd.GeoDataFrame(
        {
            "name": [str(gdf["name"].iloc[0]) if "name" in gdf else Path(area_path).stem],
            "blocks": [None],
            "population": [None],
            "area_ha": [round(geom.area / 1e4, 1)],
        },
        geometry=[geom],
        crs=CRS,
    )


def planning_area(census_path: Path, area_path: Path | None = None) -> gpd.GeoDataFrame:
    """The planning area: from ``area_path`` when given, else the embedded default."""
    if area_path is not None:
        return read_planning_area(area_path)
    return default_planning_area(load_blocks(census_path))


# --- the street graph ---------------------------------------------------------------------


def _boundary_between(
    blocks: gpd.GeoDataFrame, a: tuple[int, int], b: tuple[int, int]
) -> LineString:
    ga = blocks[(blocks["jo"] == a[0]) & (blocks["chome"] == a[1])]
    gb = blocks[(blocks["jo"] == b[0]) & (blocks["chome"] == b[1])]
    if ga.empty or gb.empty:
        raise AreaError(f"blocks {block_name_en(*a)} and {block_name_en(*b)} not both present")
    shared = ga.geometry.iloc[0].boundary.intersection(gb.geometry.iloc[0].boundary.buffer(1.0))
    lines = [g for g in shapely.get_parts(shared) if g.geom_type == "LineString"]
    merged = linemerge(lines) if lines else shared
    if isinstance(merged, MultiLineString):
        merged = max(merged.geoms, key=lambda g: g.length)
    if not isinstance(merged, LineString) or merged.length < 10:
        raise AreaError(f"blocks {block_name_en(*a)} and {block_name_en(*b)} share no street edge")
    return merged


def _oriented(line: LineString, towards_south: bool = True) -> LineString:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    if towards_south:
        return line if y1 < y0 else line.reverse()
    return line if x1 > x0 else line.reverse()


def _axis(
    blocks: gpd.GeoDataFrame, pairs: list[tuple[tuple[int, int], tuple[int, int]]]
) -> LineString:
    """One line along the shared edges of the block pairs (north to south), bridging small jogs."""
    coords: list[tuple[float, float]] = []
    for a, b in pairs:
        part = _oriented(_boundary_between(blocks, a, b))
        if coords and Point(coords[-1]).distance(Point(part.coords[0])) > 40:
            raise AreaError(
                f"walkway axis breaks between {block_name_en(*a)} and the block before it"
            )
        coords.extend(part.coords)
    return LineString(coords).simplify(0.5)


def _street_attrs(blocks: gpd.GeoDataFrame, lines: list[LineString]) -> list[dict[str, Any]]:
    """Adjacent blocks, name, width class, park adjacency and river distance per street line."""
    mids = gpd.GeoSeries([ln.interpolate(0.5, normalized=True) for ln in lines], crs=CRS)
    near = gpd.sjoin(
        gpd.GeoDataFrame(geometry=mids.buffer(2.0), crs=CRS),
        blocks[["jo", "chome", "name_en", "geometry"]],
        predicate="intersects",
    )
    river_pairs = [
        ((jo, -1), (jo, 1))
        for jo in sorted(set(blocks["jo"].dropna()))
        if ((blocks["jo"] == jo) & (blocks["chome"] == -1)).any()
        and ((blocks["jo"] == jo) & (blocks["chome"] == 1)).any()
    ]
    river_parts = []
    for a, b in river_pairs:
        try:
            river_parts.append(_boundary_between(blocks, a, b))
        except AreaError:
            continue
    river = shapely.union_all(river_parts) if river_parts else None
    names = street_names(blocks, lines)
    attrs = []
    for i, _line in enumerate(lines):
        adj = near[near.index == i]
        cells = sorted(
            {(int(j), int(c)) for j, c in zip(adj["jo"], adj["chome"], strict=False) if pd.notna(j)}
        )
        name_ja, name_en = names[i]
        width = "wide" if name_en in ("Ekimae-dori", "Soseigawa-dori") else "standard"
        if len(cells) == 2:
            (j0, c0), (j1, c1) = cells
            if (j0 == j1 and {c0, c1} in ({-4, -3}, {-1, 1})) or (
                c0 == c1 and 0 in (j0, j1) and c0 < 0
            ):
                width = "wide"
        park = any(j == 0 and c < 0 for j, c in cells)
        mid = mids.iloc[i]
        attrs.append(
            {
                "name": name_en,
                "name_en": name_en,
                "name_ja": name_ja,
                "width_class": width,
                "park_adjacent": bool(park),
                "river_dist_m": round(float(river.distance(mid)), 1) if river else float("nan"),
                "blocks": "|".join(sorted(set(adj["name_en"]))),
            }
        )
    return attrs


#: Opening hours of the walkways (minutes after midnight). Approximate published passage hours;
#: Chi-Ka-Ho 5:00–24:30, the Odori concourse with the subway, Pole Town and Aurora Town 7:00–23:00.
WALKWAY_HOURS = {
    "Chi-Ka-Ho": (5 * 60, 24 * 60 + 30),
    "Odori concourse": (5 * 60, 24 * 60 + 30),
    "Pole Town": (7 * 60, 23 * 60),
    "Aurora Town": (7 * 60, 23 * 60),
}


def _walkways(blocks: gpd.GeoDataFrame) -> list[tuple[Walkway, list[Point]]]:
    """The three walkways (plus the Odori concourse) from the grid, with their junctions."""
    # Chi-Ka-Ho runs from North 5 to the north edge of Odori; the concourse crosses Odori.
    north = _axis(blocks, [((jo, -4), (jo, -3)) for jo in (4, 3, 2, 1, 0)])
    split = north.project(Point(_oriented(_boundary_between(blocks, (1, -4), (1, -3))).coords[-1]))
    chikaho = substring(north, 0, split)
    concourse = substring(north, split, north.length)
    poletown = _axis(blocks, [((jo, -4), (jo, -3)) for jo in (-1, -2, -3)])
    # Aurora Town: under the middle of Odori Park from Ekimae-dori east to West 1 (TV Tower).
    # It starts at the concourse (offset like it), so the two meet underground.
    mids = [
        _boundary_between(blocks, (0, a), (0, b)).interpolate(0.5, normalized=True)
        for a, b in ((-3, -2), (-2, -1))
    ]
    start = network.walkway_axis(Walkway("", "", concourse, 0, 0, 6.0)).interpolate(
        0.5, normalized=True
    )
    aurora = LineString([(start.x, start.y)] + [(p.x, p.y) for p in mids])
    out = []
    for name_en, name_ja, line, offset in (
        ("Chi-Ka-Ho", "札幌駅前通地下歩行空間（チ・カ・ホ）", chikaho, 6.0),
        ("Odori concourse", "大通駅コンコース", concourse, 6.0),
        ("Pole Town", "さっぽろ地下街ポールタウン", poletown, 6.0),
        ("Aurora Town", "さっぽろ地下街オーロラタウン", aurora, 0.0),
    ):
        open_min, close_min = WALKWAY_HOURS[name_en]
        junctions = [start] if name_en in ("Odori concourse", "Aurora Town") else []
        out.append((Walkway(name_en, name_ja, line, open_min, close_min, offset), junctions))
    return out


def exit_reach_m(walkway: Walkway) -> float:
    """
    How far (m) from a walkway's axis its street exits lie.

    Walkways under a street have exits at each block corner on the axis (within 3 m); Aurora
    Town runs under the middle of Odori Park, whose census blocks reach about 105 m to either side.
    """
    return 3.0 if walkway.offset_m else 115.0


@dataclass
class BuildReport:
    """What building the embedded graph did: pieces cleaned, components dropped."""

    source: str
    segments_before_clip: int = 0
    segments_clipped: int = 0
    components_dropped: int = 0
    notes: list[str] = field(default_factory=list)


def build_sapporo_graph(
    blocks: gpd.GeoDataFrame, area: gpd.GeoDataFrame, buffer_m: float = 150.0
) -> tuple[nx.MultiDiGraph, BuildReport]:
    """
    The embedded walking graph of downtown Sapporo from the census blocks.

    Parameters
    ----------
    blocks
        From :func:`load_blocks`.
    area
        The planning area (:func:`planning_area`); the graph keeps the streets within
        ``buffer_m`` of it (lines leaving that zone are cut at its edge), so routes near the
        area's edge are not cut short.
    buffer_m
        Buffer (m) around the planning area.

    Returns
    -------
    (networkx.MultiDiGraph, BuildReport)
    """
    report = BuildReport(source="census blocks 2015 (e-Stat/CODH)")
    lines = network.street_lines_from_coverage(blocks.geometry.values)
    report.segments_before_clip = len(lines)
    keep_zone = area.geometry.iloc[0].buffer(buffer_m)
    kept: list[LineString] = []
    for ln in lines:
        if ln.within(keep_zone):
            kept.append(ln)
        elif ln.intersects(keep_zone):
            # cut lines that leave the zone; pieces shorter than a sliver are not streets
            pieces = shapely.get_parts(ln.intersection(keep_zone))
            kept.extend(p for p in pieces if p.geom_type == "LineString" and p.length >= 25.0)
    report.segments_clipped = len(lines) - sum(ln.within(keep_zone) for ln in lines)
    G = network.lines_to_graph(kept, crs=CRS, edge_attrs=_street_attrs(blocks, kept))
    for walkway, junctions in _walkways(blocks):
        axis = walkway.line
        exits = [
            n
            for n, d in G.nodes(data=True)
            if n < network.UNDERGROUND_NODE_BASE
            and axis.distance(Point(d["x"], d["y"])) < (reach := exit_reach_m(walkway))
        ]
        network.add_walkway(G, walkway, exits, max_exit_m=reach + 10, junctions=junctions)
    G, dropped = network.largest_component(G)
    report.components_dropped = dropped
    if dropped:
        report.notes.append(f"dropped {dropped} small disconnected pieces")
    G.graph["source"] = report.source
    G.graph["planning_area_m2"] = float(area.geometry.iloc[0].area)
    return G, report


# --- cache ---------------------------------------------------------------------------------


def _digest(*paths: Path | None, extra: str = "") -> str:
    h = hashlib.sha256(BUILD_VERSION.encode() + extra.encode())
    for p in paths:
        h.update(b"|" if p is None else Path(p).read_bytes())
    return h.hexdigest()[:16]


def save_graph(G: nx.MultiDiGraph, folder: Path) -> None:
    """
    Save a graph as GeoParquet node and edge tables plus its graph attributes (atomic).

    Each call writes its own temporary folder, so processes that build the same graph at once
    (the workers of a server starting on an empty cache) never write into each other's files.
    """
    import osmnx as ox

    folder = Path(folder)
    tmp = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir(parents=True)
    nodes, edges = ox.graph_to_gdfs(G)
    _lists_to_json(nodes).to_parquet(tmp / "nodes.parquet")
    _lists_to_json(edges).to_parquet(tmp / "edges.parquet")
    (tmp / "graph.json").write_text(json.dumps(G.graph, default=str))
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    try:
        tmp.rename(folder)
    except OSError:  # a concurrent build of the same graph put its copy in place first
        shutil.rmtree(tmp, ignore_errors=True)


def load_graph(folder: Path) -> nx.MultiDiGraph:
    """Load a graph saved by :func:`save_graph`."""
    import osmnx as ox

    folder = Path(folder)
    nodes = _json_to_lists(gpd.read_parquet(folder / "nodes.parquet"))
    edges = _json_to_lists(gpd.read_parquet(folder / "edges.parquet"))
    attrs = json.loads((folder / "graph.json").read_text())
    G = ox.graph_from_gdfs(nodes, edges, graph_attrs=attrs)
    for _, _, data in G.edges(data=True):
        for key in [k for k, v in data.items() if _is_missing(v)]:
            del data[key]
    for _, data in G.nodes(data=True):
        for key in [k for k, v in data.items() if _is_missing(v)]:
            del data[key]
    return G


_LIST_PREFIX = "\x1elist:"


def _lists_to_json(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Encode columns holding lists (OSM merged ways) as JSON text: Parquet cannot mix types."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, list)).any():
            frame[col] = frame[col].map(
                lambda v: None if _is_missing(v) else _LIST_PREFIX + json.dumps(v, default=str)
            )
    return frame


def _json_to_lists(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for col in frame.columns:
        if frame[col].dtype != object and str(frame[col].dtype) not in ("str", "string"):
            continue
        values = frame[col]
        if values.map(lambda v: isinstance(v, str) and v.startswith(_LIST_PREFIX)).any():
            frame[col] = values.map(
                lambda v: (
                    json.loads(v[len(_LIST_PREFIX) :])
                    if isinstance(v, str) and v.startswith(_LIST_PREFIX)
                    else v
                )
            ).astype(object)
    return frame


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def sapporo_graph(
    census_path: Path, cache_dir: Path, area_path: Path | None = None
) -> nx.MultiDiGraph:
    """
    The embedded Sapporo graph, built once and then read from the cache.

    The cache key is a digest of the census file, the planning-area file and the build version,
    so editing either input rebuilds the graph.
    """
    key = _digest(census_path, area_path)
    folder = Path(cache_dir) / "graphs" / f"sapporo-{key}"
    if (folder / "edges.parquet").exists():
        return load_graph(folder)
    blocks = load_blocks(census_path)
    area = planning_area(census_path, area_path)
    G, report = build_sapporo_graph(blocks, area)
    G.graph["build_report"] = json.dumps(report.__dict__)
    save_graph(G, folder)
    return G


# --- current graph, export -------------------------------------------------------------------

_CURRENT = "current.txt"


def graphs_dir(cache_dir: Path) -> Path:
    """Folder of the built graphs under the cache directory."""
    return Path(cache_dir) / "graphs"


def set_current_graph(cache_dir: Path, folder: Path | None) -> None:
    """Make a built graph the one every command and the app use (None: the embedded default)."""
    marker = graphs_dir(cache_dir) / _CURRENT
    if folder is None:
        marker.unlink(missing_ok=True)
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(Path(folder).name + "\n")


def current_graph(
    census_path: Path, cache_dir: Path, area_path: Path | None = None
) -> nx.MultiDiGraph:
    """The graph in use: the last one built from OSM, else the embedded Sapporo graph."""
    marker = graphs_dir(cache_dir) / _CURRENT
    if marker.exists():
        folder = graphs_dir(cache_dir) / marker.read_text().strip()
        if (folder / "edges.parquet").exists():
            return load_graph(folder)
    return sapporo_graph(census_path, cache_dir, area_path)


def save_osm_graph(G: nx.MultiDiGraph, cache_dir: Path, source: str) -> Path:
    """Save a graph built from OSM in the cache and make it current; returns its folder."""
    key = hashlib.sha256((BUILD_VERSION + source).encode()).hexdigest()[:16]
    folder = graphs_dir(cache_dir) / f"osm-{key}"
    G.graph["source"] = source
    save_graph(G, folder)
    set_current_graph(cache_dir, folder)
    return folder


#: Edge attributes that GraphML stores as text, with the type to read them back as.
GRAPHML_EDGE_DTYPES: dict[str, Any] = {
    "segment_id": int,
    "level": int,
    "bearing_deg": float,
    "river_dist_m": float,
    "open_min": int,
    "close_min": int,
}
GRAPHML_BOOL_ATTRS = ("indoor", "stairs", "park_adjacent")


def export_graph(G: nx.MultiDiGraph, fmt: str, out: Path) -> Path:
    """
    Write the graph as GraphML (one file, read back by ``osmnx.load_graphml``) or GeoParquet
    (a folder with ``nodes.parquet`` and ``edges.parquet``, read back by geopandas).

    Raises
    ------
    AreaError
        An unknown format.
    """
    import osmnx as ox

    out = Path(out)
    if fmt == "graphml":
        out.parent.mkdir(parents=True, exist_ok=True)
        ox.save_graphml(G, out)
        return out
    if fmt == "geoparquet":
        out.mkdir(parents=True, exist_ok=True)
        nodes, edges = ox.graph_to_gdfs(G)
        nodes.to_parquet(out / "nodes.parquet")
        edges.to_parquet(out / "edges.parquet")
        return out
    raise AreaError(f"unknown export format {fmt!r}; use graphml or geoparquet")


def read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML export back with kaiteki's attributes typed (numbers, booleans)."""
    import osmnx as ox

    def as_bool(text: str) -> bool:
        return str(text) == "True"

    dtypes: dict[str, Any] = {**GRAPHML_EDGE_DTYPES, **dict.fromkeys(GRAPHML_BOOL_ATTRS, as_bool)}
    return ox.load_graphml(path, edge_dtypes=dtypes)
