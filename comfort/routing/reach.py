"""
Many-to-many: OD matrices and isochrones with scipy's multi-source Dijkstra (docs/ROUTING.md,
Engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString
from shapely.ops import substring

from comfort.errors import RoutingError
from comfort.routing.costs import EdgeWeights
from comfort.routing.graph import CompiledGraph


def csr_matrix(cg: CompiledGraph, values: npt.NDArray[np.float64]) -> sp.csr_array:
    """
    A node × node CSR matrix of edge ``values`` for :mod:`scipy.sparse.csgraph`.

    Parallel edges are reduced to their minimum and edges with infinite value dropped; zeros
    are kept as explicit entries (zero-cost edges, which csgraph honours).
    """
    vals = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(vals)
    s, d, w = cg.src[ok], cg.dst[ok], vals[ok]
    order = np.lexsort((w, d, s))
    s, d, w = s[order], d[order], w[order]
    first = np.ones(s.size, dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    s, d, w = s[first], d[first], w[first]
    n = cg.n_nodes
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    return sp.csr_array((w, d, indptr), shape=(n, n))


def od_matrix(
    cg: CompiledGraph,
    weights: EdgeWeights,
    origins: npt.ArrayLike,
    destinations: npt.ArrayLike | None = None,
    *,
    measure: Literal["minutes", "cost", "length_m"] = "minutes",
    limit: float = np.inf,
) -> npt.NDArray[np.float64]:
    """
    Origin–destination matrix of least travel time, cost or length (multi-source Dijkstra).

    Parameters
    ----------
    cg, weights
        Graph and weights (closed and excluded edges are not used).
    origins, destinations
        Node indices; ``destinations`` default to all nodes.
    measure
        ``"minutes"`` (walking time, default), ``"cost"`` (the mode's cost) or ``"length_m"``
        (network distance over the routable edges).
    limit
        Search limit in the measure's unit; farther entries are ``inf``.

    Returns
    -------
    numpy.ndarray
        ``len(origins) × len(destinations)``, ``inf`` where unreachable.
    """
    values = {
        "minutes": weights.minutes,
        "cost": weights.cost,
        "length_m": np.where(np.isfinite(weights.cost), cg.length_m, np.inf),
    }.get(measure)
    if values is None:
        raise RoutingError(f"measure must be minutes, cost or length_m; got {measure!r}")
    o = np.atleast_1d(np.asarray(origins, dtype=np.int64))
    if o.size and (o.min() < 0 or o.max() >= cg.n_nodes):
        raise RoutingError(f"origin node indices must lie in 0..{cg.n_nodes - 1}")
    dist = dijkstra(csr_matrix(cg, values), directed=True, indices=o, limit=limit)
    dist = np.atleast_2d(np.asarray(dist, dtype=np.float64))
    if destinations is None:
        return dist
    d = np.atleast_1d(np.asarray(destinations, dtype=np.int64))
    if d.size and (d.min() < 0 or d.max() >= cg.n_nodes):
        raise RoutingError(f"destination node indices must lie in 0..{cg.n_nodes - 1}")
    return dist[:, d]


@dataclass(frozen=True)
class Isochrone:
    """
    Where one can walk from a point within a time budget.

    Attributes
    ----------
    origin
        Node index of the start.
    max_minutes
        Time budget (min).
    node_minutes
        Minutes to every node (``inf`` beyond the budget or unreachable).
    edge_fraction
        Per directed edge, the reachable share of its length (0..1) from its source.
    polygon_lonlat
        The reachable area: reached edge pieces buffered by ``buffer_m`` and unioned (shapely
        geometry, lon/lat degrees).
    buffer_m
        Buffer (m) used for the polygon.
    """

    origin: int
    max_minutes: float
    node_minutes: npt.NDArray[np.float64]
    edge_fraction: npt.NDArray[np.float64]
    polygon_lonlat: shapely.Geometry
    buffer_m: float

    def to_geojson(self) -> dict[str, Any]:
        """The polygon as a GeoJSON Feature with the budget in its properties."""
        return {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(self.polygon_lonlat),
            "properties": {
                "max_minutes": self.max_minutes,
                "buffer_m": self.buffer_m,
                "nodes_reached": int(np.isfinite(self.node_minutes).sum()),
            },
        }


def isochrone(
    cg: CompiledGraph,
    weights: EdgeWeights,
    origin: int,
    max_minutes: float,
    buffer_m: float = 25.0,
) -> Isochrone:
    """
    Minutes reachable from a node: node times, reached edge shares and a polygon.

    Parameters
    ----------
    cg, weights
        Graph and weights (walking minutes with the winter slowdown; closed and excluded edges
        are not used).
    origin
        Node index of the start.
    max_minutes
        Time budget (min), > 0.
    buffer_m
        Buffer (m) around reached edge pieces for the polygon.

    Raises
    ------
    RoutingError
        A non-positive budget.
    """
    if not (np.isfinite(max_minutes) and max_minutes > 0):
        raise RoutingError(f"max_minutes must be a positive number of minutes; got {max_minutes}")
    node_min = od_matrix(cg, weights, [origin], measure="minutes", limit=max_minutes)[0]
    tu = node_min[cg.src]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(
            np.isfinite(tu) & np.isfinite(weights.minutes),
            np.clip((max_minutes - tu) / weights.minutes, 0.0, 1.0),
            0.0,
        )
    frac = np.nan_to_num(frac, nan=1.0)  # zero-minute edges from a reached node
    pieces = []
    for e in np.flatnonzero(frac > 0):
        line = LineString(cg.edge_coords(int(e)))
        f = float(frac[e])
        pieces.append(line if f >= 1.0 else substring(line, 0.0, f, normalized=True))
    if pieces:
        area = shapely.unary_union(shapely.buffer(np.array(pieces, dtype=object), buffer_m))
    else:
        area = shapely.Point(cg.x[origin], cg.y[origin]).buffer(buffer_m)
    area_ll = shapely.transform(area, lambda xy: cg.to_lonlat(xy))
    return Isochrone(
        origin=origin,
        max_minutes=float(max_minutes),
        node_minutes=node_min,
        edge_fraction=frac,
        polygon_lonlat=area_ll,
        buffer_m=buffer_m,
    )
