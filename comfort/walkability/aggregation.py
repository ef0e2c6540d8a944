"""
Walkability aggregated from nodes to segments, census blocks and the JIS 100 m mesh, and the
four tables ``kaiteki walk score`` saves (docs/WALKABILITY.md, Aggregation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from comfort import mesh
from comfort.routing import CompiledGraph
from comfort.walkability.measures import comfort_adjusted, node_walkability, segments


def segment_values(cg: CompiledGraph, nodes: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """
    Per segment, the mean of its two end nodes' ``columns`` (and the segment's own fields).

    Returns
    -------
    pandas.DataFrame
        ``segment_id``, ``u``/``v`` (node ids), ``length_m``, ``kind``, ``name`` and the means.
    """
    seg = segments(cg)
    su, sv = seg["u"].to_numpy(), seg["v"].to_numpy()
    out = pd.DataFrame(
        {
            "segment_id": seg["segment_id"].to_numpy(),
            "u": cg.node_ids[su],
            "v": cg.node_ids[sv],
            "length_m": seg["length_m"].to_numpy(),
            "kind": seg["kind"].to_numpy(),
            "name": cg.name[seg["edge"].to_numpy()].astype(str),
        }
    )
    for col in columns:
        vals = nodes[col].to_numpy(dtype=float)
        out[col] = (vals[su] + vals[sv]) / 2.0
    return out


def segment_geometries(cg: CompiledGraph, segment_table: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Projected LineStrings of the segments of :func:`segment_values` (one direction)."""
    edge_of = segments(cg).set_index("segment_id")["edge"]
    edges = edge_of.loc[segment_table["segment_id"].to_numpy()].to_numpy()
    return np.array([shapely.LineString(cg.edge_coords(int(e))) for e in edges], dtype=object)


def aggregate_to_polygons(
    polygons: npt.ArrayLike,
    segment_geoms: npt.ArrayLike,
    segment_table: pd.DataFrame,
    nodes: pd.DataFrame,
    columns: Sequence[str],
    buffer_m: float = 0.0,
    min_streets: int = 2,
) -> pd.DataFrame:
    """
    Length-weighted means of segment values per polygon, plus the polygon's own structure.

    Parameters
    ----------
    polygons
        Polygons in the graph's CRS (m).
    segment_geoms
        Segment LineStrings (m), aligned with ``segment_table``.
    segment_table
        From :func:`segment_values`.
    nodes
        From :func:`node_walkability` (needs ``x``, ``y``, ``street_count``).
    columns
        Segment columns to average (weighted by the segment length inside the polygon).
    buffer_m
        Grow each polygon by this much (m) first. Census blocks are bounded by the street
        centrelines, so use about 10 m to catch the streets around a block; mesh cells tile the
        plane, so use 0.
    min_streets
        Intersection definition (see :func:`intersection_count`).

    Returns
    -------
    pandas.DataFrame
        One row per polygon: ``street_length_m`` (inside the grown polygon), the weighted
        means, ``intersections`` (each node shared among the polygons it falls in),
        ``intersection_density_km2`` (per km² of the polygon's own area) and
        ``link_node_ratio`` (shared segments over shared nodes; NaN without nodes).
    """
    polys = np.asarray(polygons, dtype=object)
    grown = shapely.buffer(polys, buffer_m) if buffer_m else polys
    segs = np.asarray(segment_geoms, dtype=object)
    n_p = polys.size
    tree = shapely.STRtree(segs)
    pi, si = tree.query(grown, predicate="intersects")
    inside = shapely.length(shapely.intersection(grown[pi], segs[si]))
    length = np.bincount(pi, weights=inside, minlength=n_p)
    out: dict[str, npt.NDArray[Any]] = {"street_length_m": length}
    for col in columns:
        vals = segment_table[col].to_numpy(dtype=float)[si]
        ok = np.isfinite(vals)
        num = np.bincount(pi[ok], weights=inside[ok] * vals[ok], minlength=n_p)
        den = np.bincount(pi[ok], weights=inside[ok], minlength=n_p)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[col] = np.where(den > 0, num / den, np.nan)
    # Structure: nodes and segment midpoints, each shared among the polygons holding it.
    pts = shapely.points(nodes["x"].to_numpy(), nodes["y"].to_numpy())
    ptree = shapely.STRtree(pts)
    qp, qn = ptree.query(grown, predicate="intersects")
    share_n = 1.0 / np.bincount(qn, minlength=len(nodes))[qn]
    is_int = nodes["street_count"].to_numpy()[qn] >= min_streets
    inter = np.bincount(qp, weights=share_n * is_int, minlength=n_p)
    node_w = np.bincount(qp, weights=share_n, minlength=n_p)
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    mtree = shapely.STRtree(mids)
    mp, ms = mtree.query(grown, predicate="intersects")
    share_s = 1.0 / np.bincount(ms, minlength=segs.size)[ms]
    seg_w = np.bincount(mp, weights=share_s, minlength=n_p)
    area_km2 = shapely.area(polys) / 1e6
    out["intersections"] = inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out["intersection_density_km2"] = np.where(area_km2 > 0, inter / area_km2, np.nan)
        out["link_node_ratio"] = np.where(node_w > 0, seg_w / node_w, np.nan)
    return pd.DataFrame(out)


def mesh_grid(cg: CompiledGraph) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.object_]]:
    """
    The JIS 100 m mesh cells (:mod:`comfort.mesh`) that the network passes through.

    Returns
    -------
    (numpy.ndarray of str, numpy.ndarray of shapely.Polygon)
        10-digit mesh codes and the cells in the graph's CRS (m).
    """
    ll = cg.to_lonlat(cg.coords)
    codes = mesh.meshes_covering(
        float(ll[:, 0].min()),
        float(ll[:, 1].min()),
        float(ll[:, 0].max()),
        float(ll[:, 1].max()),
        4,
    )
    cells_ll = mesh.mesh_polygons(codes)
    tr = pyproj.Transformer.from_crs("EPSG:4326", cg.crs, always_xy=True)
    cells = shapely.transform(
        cells_ll, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
    )
    lines = np.array(
        [shapely.LineString(cg.edge_coords(int(e))) for e in segments(cg)["edge"]], dtype=object
    )
    hit = np.unique(shapely.STRtree(lines).query(cells, predicate="intersects")[0])
    return codes[hit], cells[hit]


#: Columns averaged onto segments, blocks and grid cells.
SUMMARY_COLUMNS = (
    "reach_400_m",
    "reach_800_m",
    "link_node_ratio_800",
    "access_score",
    "walkability",
)


def walkability_tables(
    cg: CompiledGraph,
    destinations: pd.DataFrame | None = None,
    blocks: gpd.GeoDataFrame | None = None,
    *,
    edge_comfort: npt.ArrayLike | None = None,
    alpha: float = 1.0,
    block_buffer_m: float = 10.0,
) -> dict[str, gpd.GeoDataFrame]:
    """
    The walkability tables: nodes, edges (segments), census blocks and the 100 m grid.

    Parameters
    ----------
    cg
        The compiled graph.
    destinations
        ``x``, ``y`` (m, graph CRS), ``category`` per destination.
    blocks
        Census blocks in the graph's CRS (any columns; kept); None: no block table.
    edge_comfort
        Comfort (0..1) per directed edge for one season and hour; adds the comfort-adjusted
        columns.
    alpha
        Perceived-distance weight of the comfort variant.
    block_buffer_m
        Buffer (m) of blocks when aggregating (see :func:`aggregate_to_polygons`).

    Returns
    -------
    dict of geopandas.GeoDataFrame
        ``nodes`` (points), ``edges`` (segment lines), ``grid`` (100 m mesh cells, with
        ``mesh_code``) and, with ``blocks``, ``blocks``; all in the graph's CRS.
    """
    nodes = node_walkability(cg, destinations)
    columns = list(SUMMARY_COLUMNS)
    if edge_comfort is not None:
        adj = comfort_adjusted(cg, edge_comfort, destinations, alpha=alpha, base=nodes)
        nodes = pd.concat([nodes, adj], axis=1)
        columns += list(adj.columns)
    seg = segment_values(cg, nodes, columns)
    seg_geoms = segment_geometries(cg, seg)
    out: dict[str, gpd.GeoDataFrame] = {
        "nodes": gpd.GeoDataFrame(
            nodes, geometry=gpd.points_from_xy(nodes["x"], nodes["y"]), crs=cg.crs
        ),
        "edges": gpd.GeoDataFrame(seg, geometry=seg_geoms, crs=cg.crs),
    }
    codes, cells = mesh_grid(cg)
    grid = aggregate_to_polygons(cells, seg_geoms, seg, nodes, columns, buffer_m=0.0)
    grid.insert(0, "mesh_code", codes)
    out["grid"] = gpd.GeoDataFrame(grid, geometry=cells, crs=cg.crs)
    if blocks is not None:
        agg = aggregate_to_polygons(
            blocks.geometry.to_numpy(), seg_geoms, seg, nodes, columns, buffer_m=block_buffer_m
        )
        keep = blocks.drop(columns=[c for c in agg.columns if c in blocks.columns])
        out["blocks"] = gpd.GeoDataFrame(
            pd.concat([keep.reset_index(drop=True), agg], axis=1),
            geometry=keep.geometry.name,
            crs=blocks.crs,
        )
    return out
