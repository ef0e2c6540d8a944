"""
Walkability per node of a :class:`comfort.routing.CompiledGraph`: reach, intersections,
link–node ratio, access to destinations, the 0–100 composite index and its comfort-adjusted
variant.

Definitions and reference values: docs/WALKABILITY.md, sections Measures (per node), Composite
index and Comfort-adjusted variant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from comfort.errors import InputRangeError
from comfort.routing import (
    KIND_CODES,
    KIND_NAMES,
    WALK_SPEED_M_PER_MIN,
    CompiledGraph,
    csr_matrix,
)

#: Network radii (m) of the reach measures.
REACH_RADII_M = (400.0, 800.0)
#: Minute thresholds of the access counts.
ACCESS_MINUTES = (5.0, 10.0, 15.0)
#: Radius (m) of the local intersection density.
INTERSECTION_RADIUS_M = 400.0
#: Weights of the composite index (sum to 1).
WEIGHTS: dict[str, float] = {
    "reach": 0.25,
    "intersections": 0.20,
    "link_node": 0.15,
    "access": 0.40,
}
#: Reference values at which a component scores 1 (docs/WALKABILITY.md, Composite index).
REACH_REF_M = 20_000.0
INTERSECTION_REF_KM2 = 60.0
LINK_NODE_RANGE = (1.0, 2.0)
#: The access decay: full score up to the first, zero from the second (min).
ACCESS_DECAY_MIN = (5.0, 15.0)
#: Category of underground walkway entrances (street ends of ``exit`` edges).
WALKWAY_ENTRANCE = "walkway_entrance"


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


def segments(cg: CompiledGraph) -> pd.DataFrame:
    """
    One row per undirected segment: ``segment_id``, end node indices ``u``/``v``, ``length_m``,
    ``kind``, ``edge`` (a directed edge index of the segment).
    """
    order = np.argsort(cg.segment_id, kind="stable")
    sid = cg.segment_id[order]
    first = np.ones(sid.size, dtype=bool)
    first[1:] = sid[1:] != sid[:-1]
    e = order[first]
    return pd.DataFrame(
        {
            "segment_id": cg.segment_id[e],
            "u": cg.src[e],
            "v": cg.dst[e],
            "length_m": cg.length_m[e],
            "kind": [KIND_NAMES.get(int(k), "street") for k in cg.kind[e]],
            "edge": e,
        }
    )


def street_counts(cg: CompiledGraph) -> npt.NDArray[np.int64]:
    """
    Undirected segments meeting at each node (OSMnx's ``street_count``; a loop counts once).
    """
    pairs = np.concatenate(
        [
            np.column_stack([cg.src, cg.segment_id]),
            np.column_stack([cg.dst, cg.segment_id]),
        ]
    )
    uniq = np.unique(pairs, axis=0)
    return np.bincount(uniq[:, 0], minlength=cg.n_nodes).astype(np.int64)


def intersection_count(cg: CompiledGraph, min_streets: int = 2) -> int:
    """Nodes where at least ``min_streets`` segments meet (OSMnx's ``intersection_count``)."""
    return int((street_counts(cg) >= min_streets).sum())


def _distances_chunks(
    cg: CompiledGraph,
    values: npt.NDArray[np.float64],
    limit: float,
    chunk: int,
    transpose: bool = False,
    indices: npt.NDArray[np.int64] | None = None,
) -> Iterator[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    mat = csr_matrix(cg, values)
    if transpose:
        mat = mat.T.tocsr()
    idx = np.arange(cg.n_nodes) if indices is None else indices
    for start in range(0, idx.size, chunk):
        sel = idx[start : start + chunk]
        yield start, sel, np.atleast_2d(dijkstra(mat, directed=True, indices=sel, limit=limit))


def network_reach(
    cg: CompiledGraph,
    radii_m: Sequence[float] = REACH_RADII_M,
    *,
    cost: npt.ArrayLike | None = None,
    segment_weight: npt.ArrayLike | None = None,
    chunk: int = 256,
) -> pd.DataFrame:
    """
    Length, segments and nodes within each network radius of every node (its ego graph).

    Parameters
    ----------
    cg
        The compiled graph.
    radii_m
        Network distances (m).
    cost
        Per directed edge distance used for the radius (default ``length_m``; the comfort
        variant passes perceived metres; ``inf`` edges are not walked).
    segment_weight
        Per directed edge weight of the length (default 1; the comfort variant passes the
        edge's comfort); the weight of the segment's first directed edge is used.
    chunk
        Origins per Dijkstra batch (bounds the memory to ``chunk × n`` floats).

    Returns
    -------
    pandas.DataFrame
        One row per node: ``reach_<r>_m``, ``links_<r>``, ``nodes_<r>`` and
        ``link_node_ratio_<r>`` for each radius ``r`` (an integer label in metres).
    """
    radii = [float(r) for r in radii_m]
    if not radii or min(radii) <= 0:
        raise InputRangeError(f"radii_m must be positive distances in metres; got {radii_m}")
    c = cg.length_m if cost is None else np.asarray(cost, dtype=np.float64)
    seg = segments(cg)
    su, sv = seg["u"].to_numpy(), seg["v"].to_numpy()
    weight = (
        np.ones(len(seg))
        if segment_weight is None
        else np.asarray(segment_weight, dtype=np.float64)[seg["edge"].to_numpy()]
    )
    slen = seg["length_m"].to_numpy() * np.nan_to_num(weight, nan=1.0)
    out = {
        f"{kind}_{int(r)}{unit}": np.zeros(cg.n_nodes)
        for r in radii
        for kind, unit in (("reach", "_m"), ("links", ""), ("nodes", ""))
    }
    tol = 1e-9
    for _, sel, dist in _distances_chunks(cg, c, max(radii) * (1 + tol), chunk):
        for r in radii:
            reached = dist <= r * (1 + tol)
            both = reached[:, su] & reached[:, sv]
            out[f"reach_{int(r)}_m"][sel] = both @ slen
            out[f"links_{int(r)}"][sel] = both.sum(axis=1)
            out[f"nodes_{int(r)}"][sel] = reached.sum(axis=1)
    frame = pd.DataFrame(out)
    for r in radii:
        frame[f"links_{int(r)}"] = frame[f"links_{int(r)}"].astype(np.int64)
        frame[f"nodes_{int(r)}"] = frame[f"nodes_{int(r)}"].astype(np.int64)
        frame[f"link_node_ratio_{int(r)}"] = frame[f"links_{int(r)}"] / frame[f"nodes_{int(r)}"]
    return frame


def intersection_density(
    cg: CompiledGraph, radius_m: float = INTERSECTION_RADIUS_M, min_streets: int = 2
) -> npt.NDArray[np.float64]:
    """Intersections within ``radius_m`` (straight line) of each node, per km²."""
    is_int = street_counts(cg) >= min_streets
    pts = np.column_stack([cg.x, cg.y])
    tree = cKDTree(pts[is_int])
    counts = np.asarray(tree.query_ball_point(pts, r=radius_m, return_length=True), dtype=float)
    return counts / (np.pi * (radius_m / 1000.0) ** 2)


# --------------------------------------------------------------------------------------------
# Access to destinations
# --------------------------------------------------------------------------------------------


def walkway_entrances(cg: CompiledGraph) -> npt.NDArray[np.int64]:
    """Street-level nodes with an exit (stairs) down to an underground walkway."""
    ex = cg.kind == KIND_CODES["exit"]
    ends = np.concatenate([cg.src[ex], cg.dst[ex]])
    return np.unique(ends[cg.node_level[ends] == 0])


def destination_access(
    cg: CompiledGraph,
    dest_x: npt.ArrayLike,
    dest_y: npt.ArrayLike,
    dest_category: npt.ArrayLike,
    *,
    minutes: npt.ArrayLike | None = None,
    thresholds_min: Sequence[float] = ACCESS_MINUTES,
    include_walkway_entrances: bool = True,
    max_snap_m: float = 300.0,
) -> tuple[pd.DataFrame, list[str]]:
    """
    Minutes to the nearest destination of each category and counts within thresholds.

    Parameters
    ----------
    cg
        The compiled graph.
    dest_x, dest_y
        Destination points in the graph's CRS (m).
    dest_category
        Category of each destination (e.g. ``subway_station``, ``park``, ``shop``).
    minutes
        Walking minutes per directed edge (default 4.8 km/h on every edge).
    thresholds_min
        Minute thresholds of the counts.
    include_walkway_entrances
        Add the graph's walkway entrances as category ``walkway_entrance``.
    max_snap_m
        Destinations farther than this (m) from every street node are left out (they are
        outside the network); their number is in the returned frame's ``attrs["dropped"]``.

    Returns
    -------
    (pandas.DataFrame, list of str)
        One row per node with ``<category>_min`` (``inf`` beyond the largest threshold) and
        ``<category>_<t>min`` columns, and the categories in column order.
    """
    xs = np.atleast_1d(np.asarray(dest_x, dtype=np.float64))
    ys = np.atleast_1d(np.asarray(dest_y, dtype=np.float64))
    cats = np.atleast_1d(np.asarray(dest_category)).astype(str)
    if not (xs.size == ys.size == cats.size):
        raise InputRangeError(
            f"dest_x, dest_y and dest_category must have equal lengths; got {xs.size}, "
            f"{ys.size}, {cats.size}"
        )
    thresholds = [float(t) for t in thresholds_min]
    if any(t <= 0 for t in thresholds):
        raise InputRangeError(f"thresholds_min must be positive minutes; got {thresholds_min}")
    mins = (
        cg.length_m / WALK_SPEED_M_PER_MIN
        if minutes is None
        else np.asarray(minutes, dtype=np.float64)
    )
    node = np.empty(0, dtype=np.int64)
    snap_min = np.empty(0)
    dropped = 0
    if xs.size:
        node, snap_m = cg.snap_xy(xs, ys, level=0)
        keep = snap_m <= max_snap_m
        dropped = int((~keep).sum())
        node, snap_min, cats = node[keep], snap_m[keep] / WALK_SPEED_M_PER_MIN, cats[keep]
    if include_walkway_entrances:
        ent = walkway_entrances(cg)
        node = np.concatenate([node, ent])
        snap_min = np.concatenate([snap_min, np.zeros(ent.size)])
        cats = np.concatenate([cats, np.full(ent.size, WALKWAY_ENTRANCE)])
    categories = list(dict.fromkeys(cats.tolist()))
    out: dict[str, npt.NDArray[Any]] = {}
    limit = max(thresholds) if thresholds else np.inf
    for category in categories:
        sel = cats == category
        nearest = np.full(cg.n_nodes, np.inf)
        counts = {t: np.zeros(cg.n_nodes, dtype=np.int64) for t in thresholds}
        # Node -> destination times are destination -> node times on the reversed graph.
        for start, _, dist in _distances_chunks(
            cg, mins, limit, 64, transpose=True, indices=node[sel]
        ):
            total = dist + snap_min[sel][start : start + dist.shape[0], None]
            nearest = np.minimum(nearest, total.min(axis=0))
            for t in thresholds:
                counts[t] += (total <= t).sum(axis=0)
        nearest[nearest > limit] = np.inf
        out[f"{category}_min"] = nearest
        for t in thresholds:
            out[f"{category}_{t:g}min"] = counts[t]
    frame = pd.DataFrame(out, index=pd.RangeIndex(cg.n_nodes))
    frame.attrs["dropped"] = dropped
    return frame, categories


def access_decay(
    minutes: npt.ArrayLike,
    full_min: float = ACCESS_DECAY_MIN[0],
    zero_min: float = ACCESS_DECAY_MIN[1],
) -> npt.NDArray[np.float64]:
    """
    1 up to ``full_min``, linear down to 0 at ``zero_min`` (NaN/inf: 0).

    Examples
    --------
    >>> access_decay([0.0, 5.0, 10.0, 15.0, np.inf]).tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    m = np.asarray(minutes, dtype=np.float64)
    score = np.clip((zero_min - m) / (zero_min - full_min), 0.0, 1.0)
    return np.where(np.isfinite(m), score, 0.0)


def composite_index(
    reach_800_m: npt.ArrayLike,
    intersection_density_km2: npt.ArrayLike,
    link_node_ratio: npt.ArrayLike,
    access_score: npt.ArrayLike,
    weights: Mapping[str, float] = WEIGHTS,
) -> npt.NDArray[np.float64]:
    """
    The composite walkability index (0–100); formula in docs/WALKABILITY.md, Composite index.

    Examples
    --------
    >>> composite_index([20_000.0], [60.0], [2.0], [1.0]).tolist()
    [100.0]
    >>> composite_index([10_000.0], [30.0], [1.5], [0.5]).round(1).tolist()
    [50.0]
    """
    total = sum(weights.values())
    if not np.isclose(total, 1.0) or min(weights.values()) < 0:
        raise InputRangeError(f"weights must be >= 0 and sum to 1; got {dict(weights)}")
    lo, hi = LINK_NODE_RANGE
    s_reach = np.clip(np.asarray(reach_800_m, dtype=float) / REACH_REF_M, 0, 1)
    s_int = np.clip(np.asarray(intersection_density_km2, dtype=float) / INTERSECTION_REF_KM2, 0, 1)
    s_lnr = np.clip(
        (np.nan_to_num(np.asarray(link_node_ratio, dtype=float)) - lo) / (hi - lo), 0, 1
    )
    s_acc = np.clip(np.asarray(access_score, dtype=float), 0, 1)
    return 100.0 * (
        weights["reach"] * s_reach
        + weights["intersections"] * s_int
        + weights["link_node"] * s_lnr
        + weights["access"] * s_acc
    )


# --------------------------------------------------------------------------------------------
# Per node, per segment
# --------------------------------------------------------------------------------------------


def node_walkability(
    cg: CompiledGraph,
    destinations: pd.DataFrame | None = None,
    *,
    minutes: npt.ArrayLike | None = None,
    cost: npt.ArrayLike | None = None,
    segment_weight: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """
    Every walkability measure per node and the composite index.

    Parameters
    ----------
    cg
        The compiled graph.
    destinations
        Table with ``x``, ``y`` (m, graph CRS) and ``category``; None: walkway entrances only.
    minutes
        Walking minutes per directed edge for access (default 4.8 km/h).
    cost, segment_weight
        Passed to :func:`network_reach` (the comfort variant uses them).

    Returns
    -------
    pandas.DataFrame
        One row per node: ``node_id``, ``x``, ``y``, ``lon``, ``lat``, ``level``,
        ``street_count``, reach and link–node columns, ``intersection_density_km2``, access
        columns, ``access_score`` and ``walkability``. ``attrs["categories"]`` lists the
        destination categories.
    """
    frame = pd.DataFrame(
        {
            "node_id": cg.node_ids,
            "x": cg.x,
            "y": cg.y,
            "lon": cg.lon,
            "lat": cg.lat,
            "level": cg.node_level.astype(np.int64),
            "street_count": street_counts(cg),
        }
    )
    frame = pd.concat([frame, network_reach(cg, cost=cost, segment_weight=segment_weight)], axis=1)
    frame["intersection_density_km2"] = intersection_density(cg)
    if destinations is not None and len(destinations):
        dx, dy, dc = destinations["x"], destinations["y"], destinations["category"]
    else:
        dx, dy, dc = np.empty(0), np.empty(0), np.empty(0, dtype=str)
    access, categories = destination_access(cg, dx, dy, dc, minutes=minutes)
    frame = pd.concat([frame, access], axis=1)
    if categories:
        near = np.column_stack([frame[f"{c}_min"].to_numpy() for c in categories])
        frame["access_score"] = access_decay(near).mean(axis=1)
    else:
        frame["access_score"] = 0.0
    frame["walkability"] = composite_index(
        frame["reach_800_m"],
        frame["intersection_density_km2"],
        frame["link_node_ratio_800"],
        frame["access_score"],
    )
    frame.attrs["categories"] = categories
    frame.attrs["destinations_dropped"] = access.attrs.get("dropped", 0)
    return frame


def comfort_adjusted(
    cg: CompiledGraph,
    edge_comfort: npt.ArrayLike,
    destinations: pd.DataFrame | None = None,
    alpha: float = 1.0,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """
    The comfort-adjusted measures: reach, access and index with each edge weighted by comfort.

    Parameters
    ----------
    cg
        The compiled graph.
    edge_comfort
        Comfort (0..1) per directed edge for one season and hour (NaN: 1, no data).
    destinations
        As for :func:`node_walkability`.
    alpha
        Perceived-distance weight α ≥ 0 (as in comfortable routing).
    base
        The unadjusted table (from :func:`node_walkability`) for the structural measures;
        computed when not given.

    Returns
    -------
    pandas.DataFrame
        ``comfort_reach_800_m``, ``comfort_access_score``, ``walkability_comfort`` per node.
    """
    comfort = np.clip(np.nan_to_num(np.asarray(edge_comfort, dtype=float), nan=1.0), 0, 1)
    if comfort.shape != (cg.n_edges,):
        raise InputRangeError(
            f"edge_comfort must have one value per directed edge ({cg.n_edges}); got "
            f"{comfort.shape}. Spread per-segment values with CompiledGraph.per_edge."
        )
    if not (np.isfinite(alpha) and alpha >= 0):
        raise InputRangeError(f"alpha must be a finite number >= 0; got {alpha}")
    factor = 1.0 + alpha * (1.0 - comfort)
    adjusted = node_walkability(
        cg,
        destinations,
        minutes=cg.length_m / WALK_SPEED_M_PER_MIN * factor,
        cost=cg.length_m * factor,
        segment_weight=comfort,
    )
    if base is None:
        base = node_walkability(cg, destinations)
    out = pd.DataFrame(
        {
            "comfort_reach_800_m": adjusted["reach_800_m"].to_numpy(),
            "comfort_access_score": adjusted["access_score"].to_numpy(),
        }
    )
    out["walkability_comfort"] = composite_index(
        out["comfort_reach_800_m"],
        base["intersection_density_km2"],
        base["link_node_ratio_800"],
        out["comfort_access_score"],
    )
    return out
