"""
The walking network: street centrelines from a block coverage, underground walkways, summaries.

The graph follows OSMnx's conventions so that OSMnx functions work on it unchanged: a
``networkx.MultiDiGraph`` with node attributes ``x``/``y`` (projected metres) and ``lon``/``lat``,
edge attributes ``length`` (m) and ``geometry`` (a shapely ``LineString`` in the graph's CRS),
and the graph attribute ``crs``. Every street segment is stored in both directions (u→v and
v→u, geometry reversed on the second, ``reversed`` set), as OSMnx does for walking networks.

kaiteki adds, on every edge:

- ``segment_id``: one id per undirected segment, shared by both directions (the unit the comfort
  field is computed on);
- ``kind``: ``"street"``, ``"underground"`` (walkway) or ``"exit"`` (stairs between the two);
- ``level``: 0 street, -1 underground; ``indoor``: True for walkways and their exits;
- ``bearing_deg``: street orientation in [0, 180) degrees clockwise from grid north of the CRS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
import shapely.affinity
from shapely.geometry import LineString, Point
from shapely.ops import linemerge, substring

from comfort.errors import NetworkBuildError

#: Node ids of underground walkway nodes start here; street nodes are numbered from 0.
UNDERGROUND_NODE_BASE = 1_000_000


def street_lines_from_coverage(
    polygons: Sequence[shapely.Geometry] | npt.ArrayLike,
    grid_m: float = 0.5,
    min_dangle_m: float = 25.0,
    junction_tol_m: float = 6.0,
) -> list[LineString]:
    """
    Street centrelines from a polygon coverage whose shared edges trace the streets.

    The polygon boundaries are snapped to a ``grid_m`` grid, unioned (which nodes them at every
    crossing and removes the second copy of each shared edge), merged into lines between
    junctions, and cleaned: dangling pieces shorter than ``min_dangle_m`` (slivers where two
    boundaries do not quite meet) are removed until none is left.

    Parameters
    ----------
    polygons
        Polygons in a projected CRS (metres).
    grid_m
        Precision grid (m) the vertices are snapped to.
    min_dangle_m
        Dead-end pieces shorter than this (m) are treated as slivers and removed.
    junction_tol_m
        Junctions closer than this (m) are merged into one (see :func:`consolidate_ends`).

    Returns
    -------
    list of shapely.LineString
        Lines between junctions (nodes of degree other than 2).

    Raises
    ------
    NetworkBuildError
        No polygons, or no lines left after cleaning.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lines = street_lines_from_coverage([box(0, 0, 100, 100), box(100, 0, 200, 100)])
    >>> round(sum(line.length for line in lines))
    700
    """
    geoms = np.asarray(polygons, dtype=object)
    if geoms.size == 0:
        raise NetworkBuildError(
            "no polygons to derive streets from; pass a non-empty block coverage"
        )
    snapped = shapely.set_precision(geoms, grid_m)
    noded = shapely.unary_union(shapely.boundary(snapped))
    pieces = [g for g in shapely.get_parts(noded) if g.length > 0]
    lines = _remove_dangles(pieces, min_dangle_m, grid_m)
    lines = consolidate_ends(lines, tol_m=junction_tol_m)
    if not lines:
        raise NetworkBuildError("no street lines left after removing slivers; check the input")
    return lines


def consolidate_ends(lines: Sequence[LineString], tol_m: float = 6.0) -> list[LineString]:
    """
    Merge line ends closer than ``tol_m`` into one junction and drop the slivers between them.

    Where block corners do not meet in one point, the noded boundaries leave clusters of
    junctions a few metres apart joined by sliver segments. Each cluster of ends (single-linkage
    within ``tol_m``) is moved to its centroid; lines that then start and end at the same
    junction and are shorter than ``4 * tol_m`` are removed, as are duplicates (same junctions,
    geometry within ``tol_m`` everywhere: Hausdorff distance). Lines are then merged again through junctions of degree 2.

    Examples
    --------
    >>> a = LineString([(0, 0), (100, 0)])
    >>> b = LineString([(101, 1), (200, 0)])
    >>> sliver = LineString([(100, 0), (101, 1)])
    >>> [round(line.length) for line in consolidate_ends([a, b, sliver])]
    [200]
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    if not lines:
        return []
    ends = np.array([[ln.coords[0], ln.coords[-1]] for ln in lines]).reshape(-1, 2)
    if len(ends) > 1:
        labels = fcluster(linkage(ends, method="single"), t=tol_m, criterion="distance")
    else:
        labels = np.ones(1, dtype=int)
    centre = {lab: ends[labels == lab].mean(axis=0) for lab in np.unique(labels)}
    out: list[LineString] = []
    seen: dict[tuple[int, int], list[LineString]] = {}
    for i, line in enumerate(lines):
        a, b = int(labels[2 * i]), int(labels[2 * i + 1])
        coords = list(line.coords)
        coords[0], coords[-1] = tuple(centre[a]), tuple(centre[b])
        moved = LineString(coords)
        if a == b and moved.length < 4 * tol_m:
            continue
        key = (min(a, b), max(a, b))
        if any(moved.hausdorff_distance(other) < tol_m for other in seen.get(key, [])):
            continue
        seen.setdefault(key, []).append(moved)
        out.append(moved)
    return _merge(out)


def _node_key(xy: tuple[float, float], grid_m: float) -> tuple[int, int]:
    return (round(xy[0] / grid_m), round(xy[1] / grid_m))


def _merge(lines: Iterable[LineString]) -> list[LineString]:
    merged = linemerge(list(lines))
    return [g for g in shapely.get_parts(merged) if g.length > 0]


def _remove_dangles(
    pieces: list[LineString], min_dangle_m: float, grid_m: float
) -> list[LineString]:
    lines = _merge(pieces)
    while True:
        degree: dict[tuple[int, int], int] = {}
        for line in lines:
            for xy in (line.coords[0], line.coords[-1]):
                key = _node_key(xy, grid_m)
                degree[key] = degree.get(key, 0) + 1
        keep = []
        for line in lines:
            ends = [_node_key(xy, grid_m) for xy in (line.coords[0], line.coords[-1])]
            dangling = any(degree[e] == 1 for e in ends)
            if not (dangling and line.length < min_dangle_m):
                keep.append(line)
        if len(keep) == len(lines):
            return lines
        lines = _merge(keep)


def bearing_deg(line: LineString) -> float:
    """
    Orientation of a line from its first to its last point, folded into [0, 180) degrees.

    Measured clockwise from the CRS's grid north, so a north–south street is 0 and an
    east–west street 90.

    Examples
    --------
    >>> bearing_deg(LineString([(0, 0), (0, 10)]))
    0.0
    >>> bearing_deg(LineString([(0, 0), (10, 0)]))
    90.0
    """
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    return float(np.degrees(np.arctan2(x1 - x0, y1 - y0)) % 180.0)


def lines_to_graph(
    lines: Sequence[LineString],
    crs: str,
    grid_m: float = 0.5,
    edge_attrs: Sequence[dict[str, Any]] | None = None,
) -> nx.MultiDiGraph:
    """
    A walking ``MultiDiGraph`` in OSMnx's conventions from lines that meet at their ends.

    Parameters
    ----------
    lines
        Lines in the projected ``crs`` (metres), each running between two junctions.
    crs
        The lines' CRS, e.g. ``"EPSG:6680"``.
    grid_m
        End points closer than this grid (m) become one node.
    edge_attrs
        Extra attributes per line (same order), copied onto both directions.

    Returns
    -------
    networkx.MultiDiGraph
        Both directions of every line; ``segment_id`` is the line's index.
    """
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    G = nx.MultiDiGraph(crs=crs, simplified=True, created_with="kaiteki")
    ids: dict[tuple[int, int], int] = {}

    def node(xy: tuple[float, float]) -> int:
        key = _node_key(xy, grid_m)
        if key not in ids:
            ids[key] = len(ids)
            lon, lat = to_lonlat.transform(xy[0], xy[1])
            G.add_node(ids[key], x=float(xy[0]), y=float(xy[1]), lon=lon, lat=lat)
        return ids[key]

    for i, line in enumerate(lines):
        u, v = node(line.coords[0]), node(line.coords[-1])
        attrs = {
            "osmid": i,
            "segment_id": i,
            "highway": "footway",
            "oneway": False,
            "kind": "street",
            "level": 0,
            "indoor": False,
            "bearing_deg": round(bearing_deg(line), 2),
        }
        if edge_attrs is not None:
            attrs.update(edge_attrs[i])
        _add_both_directions(G, u, v, line, attrs)
    set_street_counts(G)
    return G


def _add_both_directions(
    G: nx.MultiDiGraph, u: int, v: int, line: LineString, attrs: dict[str, Any]
) -> None:
    length = float(line.length)
    G.add_edge(u, v, **attrs, length=length, geometry=line, reversed=False)
    G.add_edge(v, u, **attrs, length=length, geometry=line.reverse(), reversed=True)


def set_street_counts(G: nx.MultiDiGraph) -> None:
    """
    Set OSMnx's ``street_count`` node attribute: the number of undirected segments at a node.

    OSMnx's ``basic_stats`` reads it to count intersections and dead ends.
    """
    counts: dict[int, set[int]] = {n: set() for n in G.nodes}
    for u, v, sid in G.edges(data="segment_id"):
        counts[u].add(sid)
        counts[v].add(sid)
    nx.set_node_attributes(G, {n: len(s) for n, s in counts.items()}, "street_count")


@dataclass(frozen=True)
class Walkway:
    """
    An underground walkway laid along a line, with exits to the street graph.

    Attributes
    ----------
    name_en, name_ja
        Names in English and Japanese.
    line
        Its axis in the graph's CRS (m).
    open_min, close_min
        Opening hours as minutes after midnight (``close_min`` may pass 1440 for after
        midnight). The walkway is not routable outside them.
    offset_m
        Lateral offset (m) of the walkway from the axis, so that it and the street above are
        told apart on a map and when snapping points.
    """

    name_en: str
    name_ja: str
    line: LineString
    open_min: int
    close_min: int
    offset_m: float = 6.0


def walkway_axis(walkway: Walkway) -> LineString:
    """
    The walkway's own line: its axis simplified (1 m) and shifted ``offset_m`` to the left.

    The shift is perpendicular to the axis's overall direction (first to last point), which suits
    the straight axes of grid streets and never splits the line.

    Examples
    --------
    >>> w = Walkway("w", "w", LineString([(0, 0), (0, -100)]), 0, 1440, offset_m=6.0)
    >>> list(walkway_axis(w).coords)
    [(6.0, 0.0), (6.0, -100.0)]
    """
    line = walkway.line.simplify(1.0)
    if not walkway.offset_m:
        return line
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    norm = float(np.hypot(x1 - x0, y1 - y0))
    if norm == 0:
        raise NetworkBuildError(f"walkway {walkway.name_en} starts and ends at the same point")
    dx, dy = -(y1 - y0) / norm * walkway.offset_m, (x1 - x0) / norm * walkway.offset_m
    return shapely.affinity.translate(line, xoff=dx, yoff=dy)


def add_walkway(
    G: nx.MultiDiGraph,
    walkway: Walkway,
    exit_nodes: Sequence[int],
    max_exit_m: float = 80.0,
    junctions: Sequence[Point] = (),
) -> list[int]:
    """
    Add an underground walkway to the graph, with an exit (stairs) at each given street node.

    The walkway is split into one edge per exit: each exit node is projected onto the (offset)
    walkway line, walkway nodes are made there, consecutive ones joined by ``kind="underground"``
    edges and each joined to its street node by a ``kind="exit"`` edge (``stairs=True``).
    Walkway nodes already in the graph at the same place (within 1 m) are reused, so walkways
    that meet are connected.

    Parameters
    ----------
    G
        The street graph, changed in place.
    walkway
        The walkway.
    exit_nodes
        Street nodes with a stair or exit down to the walkway.
    max_exit_m
        An exit node farther than this (m) from the walkway is an error.
    junctions
        Points along the walkway where another walkway joins underground: a walkway node is made
        there (or reused) without an exit.

    Returns
    -------
    list of int
        The walkway's nodes from one end to the other.

    Raises
    ------
    NetworkBuildError
        An exit node is farther than ``max_exit_m`` from the walkway, or fewer than two stops.
    """
    if len(exit_nodes) + len(junctions) < 2:
        raise NetworkBuildError(
            f"walkway {walkway.name_en} needs at least two stops (exits or junctions); "
            f"got {len(exit_nodes)} exits and {len(junctions)} junctions"
        )
    axis = walkway_axis(walkway)
    to_lonlat = pyproj.Transformer.from_crs(G.graph["crs"], "EPSG:4326", always_xy=True)
    stops: list[tuple[float, int | None]] = [(axis.project(p), None) for p in junctions]
    for n in exit_nodes:
        p = Point(G.nodes[n]["x"], G.nodes[n]["y"])
        if axis.distance(p) > max_exit_m:
            raise NetworkBuildError(
                f"exit node {n} is {axis.distance(p):.0f} m from walkway {walkway.name_en}; "
                f"exits must lie within {max_exit_m:.0f} m of its axis"
            )
        stops.append((axis.project(p), n))
    stops.sort(key=lambda s: s[0])
    next_segment = 1 + max((s for _, _, s in G.edges(data="segment_id")), default=-1)
    common = {
        "highway": "footway",
        "oneway": False,
        "level": -1,
        "indoor": True,
        "name": walkway.name_en,
        "name_ja": walkway.name_ja,
        "open_min": walkway.open_min,
        "close_min": walkway.close_min,
    }
    existing = [n for n in G.nodes if n >= UNDERGROUND_NODE_BASE]
    walk_nodes: list[int] = []
    for dist, street_node in stops:
        q = axis.interpolate(dist)
        found = [n for n in existing if Point(G.nodes[n]["x"], G.nodes[n]["y"]).distance(q) < 1.0]
        if found:
            wn = found[0]
        else:
            wn = UNDERGROUND_NODE_BASE + len(existing)
            lon, lat = to_lonlat.transform(q.x, q.y)
            G.add_node(wn, x=q.x, y=q.y, lon=lon, lat=lat)
            existing.append(wn)
        walk_nodes.append(wn)
        if street_node is None:
            continue
        exit_line = LineString([(G.nodes[street_node]["x"], G.nodes[street_node]["y"]), (q.x, q.y)])
        if exit_line.length > 0 and not G.has_edge(street_node, wn):
            _add_both_directions(
                G,
                street_node,
                wn,
                exit_line,
                {
                    **common,
                    "osmid": next_segment,
                    "segment_id": next_segment,
                    "kind": "exit",
                    "stairs": True,
                    "bearing_deg": round(bearing_deg(exit_line), 2),
                },
            )
            next_segment += 1
    for (d0, _), (d1, _), a, b in zip(stops, stops[1:], walk_nodes, walk_nodes[1:], strict=False):
        if a == b or d1 - d0 <= 0:
            continue
        piece = substring(axis, d0, d1)
        _add_both_directions(
            G,
            a,
            b,
            piece,
            {
                **common,
                "osmid": next_segment,
                "segment_id": next_segment,
                "kind": "underground",
                "stairs": False,
                "bearing_deg": round(bearing_deg(piece), 2),
            },
        )
        next_segment += 1
    set_street_counts(G)
    return walk_nodes


def nearest_node(G: nx.MultiDiGraph, x: float, y: float, level: int | None = 0) -> int:
    """
    The node nearest to a projected point, optionally only among nodes of one level.

    Examples
    --------
    >>> G = lines_to_graph([LineString([(0, 0), (100, 0)])], crs="EPSG:6680")
    >>> nearest_node(G, 90.0, 5.0)
    1
    """
    best, best_d = None, np.inf
    for n, data in G.nodes(data=True):
        if level is not None and _node_level(G, n) != level:
            continue
        d = (data["x"] - x) ** 2 + (data["y"] - y) ** 2
        if d < best_d:
            best, best_d = n, d
    if best is None:
        raise NetworkBuildError(f"no node at level {level} in the graph")
    return int(best)


def _node_level(G: nx.MultiDiGraph, n: int) -> int:
    return -1 if n >= UNDERGROUND_NODE_BASE else 0


def length_mismatches(G: nx.MultiDiGraph, rel_tol: float = 0.005) -> list[tuple[Any, Any, Any]]:
    """
    Edges whose ``length`` differs from their geometry's length by more than ``rel_tol``.

    Returns
    -------
    list of (u, v, key)
        The offending edges; empty when every edge agrees.
    """
    bad = []
    for u, v, k, data in G.edges(keys=True, data=True):
        geom = data.get("geometry")
        if geom is None:
            geom = LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
        glen = geom.length
        if abs(data["length"] - glen) > rel_tol * max(glen, 1e-9) + 1e-6:
            bad.append((u, v, k))
    return bad


def largest_component(G: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, int]:
    """
    The largest weakly connected component, and how many components were dropped.

    Returns
    -------
    (networkx.MultiDiGraph, int)
        A copy of the largest component, and the number of other components.
    """
    comps = list(nx.weakly_connected_components(G))
    if not comps:
        raise NetworkBuildError("the graph is empty")
    biggest = max(comps, key=len)
    return G.subgraph(biggest).copy(), len(comps) - 1


def summary(G: nx.MultiDiGraph, planning_area_m2: float | None = None) -> dict[str, Any]:
    """
    Counts and lengths of a walking graph, as printed by ``kaiteki area info``.

    Lengths count each undirected segment once.

    Returns
    -------
    dict
        ``nodes``, ``edges`` (directed), ``segments``, ``street_km``, ``underground_km``
        (walkway edges, exits excluded), ``exits``, ``planning_area_ha`` (None when no area is
        given) and ``components`` (weakly connected).
    """
    seen: set[int] = set()
    street_m = under_m = 0.0
    exits = 0
    for _, _, data in G.edges(data=True):
        sid = data["segment_id"]
        if sid in seen:
            continue
        seen.add(sid)
        kind = data.get("kind", "street")
        if kind == "street":
            street_m += data["length"]
        elif kind == "underground":
            under_m += data["length"]
        elif kind == "exit":
            exits += 1
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "segments": len(seen),
        "street_km": round(street_m / 1000, 3),
        "underground_km": round(under_m / 1000, 3),
        "exits": exits,
        "planning_area_ha": None if planning_area_m2 is None else round(planning_area_m2 / 1e4, 1),
        "components": nx.number_weakly_connected_components(G),
    }


#: Columns of :func:`segment_table` besides geometry, with their defaults where an edge lacks them.
SEGMENT_COLUMNS: dict[str, Any] = {
    "kind": "street",
    "level": 0,
    "indoor": False,
    "stairs": False,
    "bearing_deg": np.nan,
    "width_class": "standard",
    "park_adjacent": False,
    "river_dist_m": np.nan,
    "name": "",
    "open_min": 0,
    "close_min": 1440,
}


def segment_table(G: nx.MultiDiGraph) -> Any:
    """
    One row per undirected segment (``segment_id``), the unit the comfort field is computed on.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``segment_id``: ``u``, ``v``, ``length_m``, the :data:`SEGMENT_COLUMNS`,
        ``mid_x``, ``mid_y`` (m, graph CRS), ``mid_lon``, ``mid_lat`` and the geometry (graph
        CRS), sorted by ``segment_id``.
    """
    import geopandas as gpd

    rows = []
    seen: set[int] = set()
    for u, v, data in G.edges(data=True):
        sid = int(data["segment_id"])
        if sid in seen or data.get("reversed", False):
            continue
        seen.add(sid)
        geom = data.get("geometry") or LineString(
            [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        )
        mid = geom.interpolate(0.5, normalized=True)
        row = {"segment_id": sid, "u": u, "v": v, "length_m": float(data["length"])}
        for col, default in SEGMENT_COLUMNS.items():
            value = data.get(col, default)
            row[col] = default if value is None else value
        row.update(mid_x=mid.x, mid_y=mid.y, geometry=geom)
        rows.append(row)
    table = gpd.GeoDataFrame(rows, geometry="geometry", crs=G.graph["crs"])
    table = table.set_index("segment_id").sort_index()
    lonlat = table.geometry.interpolate(0.5, normalized=True).to_crs("EPSG:4326")
    table["mid_lon"], table["mid_lat"] = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    for col in ("level", "open_min", "close_min"):
        table[col] = table[col].astype("int64")
    for col in ("indoor", "stairs", "park_adjacent"):
        table[col] = table[col].astype(bool)
    return table
