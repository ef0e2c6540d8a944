"""
Route results: figures of a path (length, minutes, steps, UTCI minutes), GeoJSON, comparison
with the shortest route (docs/ROUTING.md, Minutes, steps and the other figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from comfort.routing.costs import WALK_SPEED_KMH, EdgeWeights, shortest_weights_like
from comfort.routing.graph import KIND_CODES, CompiledGraph
from comfort.routing.search import shortest_path_edges

#: Step length (m) used to turn metres into steps.
STEP_LENGTH_M = 0.7


def round_like_python(values: npt.ArrayLike, ndigits: int) -> npt.NDArray[np.float64]:
    """
    Round to ``ndigits`` decimals exactly as Python's ``round(float(v), ndigits)`` does, vectorised.

    ``np.round`` scales, rounds and unscales; the scaling can move a value lying within an ulp
    of a half-way point to the other side, so its last bit can differ from Python's correctly
    rounded result. Here such values (and non-finite or huge ones) are rounded by ``round``
    itself; every other value gets ``rint(v × 10^n) / 10^n``, which is the same double: the
    integer is the right one, and the division is correctly rounded. About 20× faster than a
    Python loop on route geometries, identical output.

    Parameters
    ----------
    values
        Numbers (any shape).
    ndigits
        Decimals to keep (0..15).

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``values``.

    Examples
    --------
    >>> round_like_python([141.350432149, 43.06740004999], 7).tolist()
    [141.3504321, 43.0674]
    >>> round_like_python([2.675], 2).tolist() == [round(2.675, 2)]
    True
    """
    v = np.asarray(values, dtype=np.float64)
    scale = 10.0**ndigits
    y = v * scale
    k = np.rint(y)
    out = k / scale
    with np.errstate(invalid="ignore"):
        unsure = ~(np.abs(y) < 2.0**52) | (np.abs(y - k) > 0.5 - 1e-6)
    if np.any(unsure):
        out[unsure] = [round(float(x), ndigits) for x in v[unsure]]
    return out


@dataclass(frozen=True)
class RouteFigures:
    """
    Figures of one path.

    Attributes
    ----------
    length_m
        Length (m).
    minutes
        Walking time (min) at 4.8 km/h plus the winter slowdown.
    steps
        Estimated steps, ``length_m / 0.7`` rounded.
    utci_minutes
        Minutes spent in each UTCI stress category (None without a comfort field).
    underground_share
        Share of the length on indoor edges (underground walkways and their exits), 0..1.
    cost
        The mode's cost of the path (equivalent metres).
    edges
        Directed edge indices in order.
    coords_lonlat
        The path as lon/lat vertices (degrees).
    walkways
        Names of the walkways used, in order.
    """

    length_m: float
    minutes: float
    steps: int
    utci_minutes: dict[str, float] | None
    underground_share: float
    cost: float
    edges: npt.NDArray[np.int64] = field(repr=False)
    coords_lonlat: npt.NDArray[np.float64] = field(repr=False)
    walkways: tuple[str, ...] = ()

    def geometry(self) -> dict[str, Any]:
        """The path as a GeoJSON LineString (lon/lat)."""
        return {
            "type": "LineString",
            "coordinates": round_like_python(self.coords_lonlat, 7).tolist(),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures with the GeoJSON geometry."""
        return {
            "length_m": round(self.length_m, 1),
            "minutes": round(self.minutes, 2),
            "steps": self.steps,
            "utci_minutes": (
                None
                if self.utci_minutes is None
                else {k: round(v, 2) for k, v in self.utci_minutes.items()}
            ),
            "underground_share": round(self.underground_share, 3),
            "walkways": list(self.walkways),
            "geometry": self.geometry(),
        }


@dataclass(frozen=True)
class Route:
    """
    A route for one mode and time, with the shortest route's figures for comparison.

    Attributes
    ----------
    mode, alpha, minute_of_day, snow_depth_cm
        The request.
    origin, destination
        Node ids the endpoints snapped to.
    origin_snap_m, destination_snap_m
        Snapping distances (m).
    route
        The route's figures.
    shortest
        The shortest (distance-only) route's figures at the same time.
    has_comfort
        Whether a comfort field was used (else distance only).
    """

    mode: str
    alpha: float
    minute_of_day: float | None
    snow_depth_cm: float
    origin: int
    destination: int
    origin_snap_m: float
    destination_snap_m: float
    route: RouteFigures
    shortest: RouteFigures
    has_comfort: bool

    @property
    def length_m(self) -> float:
        """Length of the route (m)."""
        return self.route.length_m

    @property
    def minutes(self) -> float:
        """Walking time of the route (min)."""
        return self.route.minutes

    def to_dict(self) -> dict[str, Any]:
        """
        The route object: ``length_m``, ``minutes``, ``steps``, ``utci_minutes``,
        ``underground_share``, ``geometry`` (GeoJSON LineString), ``shortest`` (the same
        figures for the shortest route) and the request.
        """
        return {
            **self.route.to_dict(),
            "shortest": self.shortest.to_dict(),
            "mode": self.mode,
            "alpha": self.alpha,
            "minute_of_day": self.minute_of_day,
            "snow_depth_cm": self.snow_depth_cm,
            "comfort_field": self.has_comfort,
            "origin_node": self.origin,
            "destination_node": self.destination,
            "origin_snap_m": round(self.origin_snap_m, 1),
            "destination_snap_m": round(self.destination_snap_m, 1),
            "walking_speed_kmh": WALK_SPEED_KMH,
            "step_length_m": STEP_LENGTH_M,
        }


def _utci_minutes(
    weights: EdgeWeights,
    edges: npt.NDArray[np.int64],
    minutes: npt.NDArray[np.float64],
    category_order: Sequence[str] | None,
) -> dict[str, float]:
    """
    Minutes per UTCI category along ``edges`` (``minutes`` is theirs), in ``category_order``
    then by first appearance; each total adds the edges' minutes in path order.
    """
    codes, names = weights.utci_codes()
    path_codes = codes[edges]
    sums = np.bincount(path_codes, weights=minutes, minlength=len(names)).tolist()
    present = np.flatnonzero(np.bincount(path_codes, minlength=len(names))).tolist()
    if category_order is not None and all(names[i] in category_order for i in present):
        # the usual case: every category on the path has its place in the order
        at = {names[i]: i for i in present}
        return {c: sums[at[c]] if c in at else 0.0 for c in category_order}
    seen = list(dict.fromkeys(path_codes.tolist()))  # by first appearance
    totals = {names[i]: sums[i] for i in seen}
    if category_order is None:
        return totals
    out = {c: totals.get(c, 0.0) for c in category_order}
    out.update({k: v for k, v in totals.items() if k not in out})
    return out


def route_figures(
    cg: CompiledGraph,
    weights: EdgeWeights,
    edges: npt.NDArray[np.int64],
    cost: float | None = None,
    category_order: Sequence[str] | None = None,
    source: int | None = None,
) -> RouteFigures:
    """
    Figures of a path given as directed edge indices.

    Parameters
    ----------
    cg, weights
        Graph and the weights the path was found with (minutes, categories).
    edges
        Directed edge indices in order.
    cost
        The path's cost; default the sum of ``weights.cost`` over the edges.
    category_order
        Order of the UTCI categories in ``utci_minutes`` (default: by first appearance).
    source
        Node index of the start, for a path with no edges.
    """
    edges = np.asarray(edges, dtype=np.int64)
    length = float(cg.length_m[edges].sum())
    mins = weights.minutes[edges]
    minutes = float(mins.sum())
    indoor_m = float(cg.length_m[edges][cg.indoor[edges]].sum())
    utci = (
        None
        if weights.utci_category is None
        else _utci_minutes(weights, edges, mins, category_order)
    )
    if edges.size:
        lonlat = cg.coords_lonlat()[cg.path_vertex_index(edges)]
    else:
        node = 0 if source is None else source
        lonlat = cg.to_lonlat([[cg.x[node], cg.y[node]], [cg.x[node], cg.y[node]]])
    walkways: list[str] = []
    for e in edges[cg.kind[edges] == KIND_CODES["underground"]]:
        nm = str(cg.name[e])
        if nm and (not walkways or walkways[-1] != nm):
            walkways.append(nm)
    return RouteFigures(
        length_m=length,
        minutes=minutes,
        steps=round(length / STEP_LENGTH_M),
        utci_minutes=utci,
        underground_share=indoor_m / length if length > 0 else 0.0,
        cost=float(weights.cost[edges].sum()) if cost is None else cost,
        edges=edges,
        coords_lonlat=lonlat,
        walkways=tuple(walkways),
    )


def find_route(
    cg: CompiledGraph,
    weights: EdgeWeights,
    source: int,
    target: int,
    shortest_weights: EdgeWeights | None = None,
    *,
    category_order: Sequence[str] | None = None,
    origin_snap_m: float = 0.0,
    destination_snap_m: float = 0.0,
) -> Route:
    """
    The route between two node indices for ``weights``, and the shortest route for comparison.

    Parameters
    ----------
    cg
        The compiled graph.
    weights
        Weights of the requested mode and time (:func:`edge_weights`).
    source, target
        Node indices (see :meth:`CompiledGraph.snap`, :meth:`CompiledGraph.node_index`).
    shortest_weights
        Weights of the ``shortest`` mode at the same time; default computed from ``weights``'
        time, snow depth and UTCI categories.
    category_order
        Order of the UTCI categories in ``utci_minutes``.
    origin_snap_m, destination_snap_m
        Snapping distances (m) to report.

    Raises
    ------
    RoutingError
        No route at this time.
    """
    if shortest_weights is None:
        shortest_weights = shortest_weights_like(cg, weights)
    cost, edges = shortest_path_edges(cg, weights, source, target)
    figs = route_figures(cg, weights, edges, cost, category_order, source)
    if weights.mode == "shortest":
        short = figs
    else:
        s_cost, s_edges = shortest_path_edges(cg, shortest_weights, source, target)
        short = route_figures(cg, shortest_weights, s_edges, s_cost, category_order, source)
    return Route(
        mode=weights.mode,
        alpha=weights.alpha,
        minute_of_day=weights.minute_of_day,
        snow_depth_cm=weights.snow_depth_cm,
        origin=int(cg.node_ids[source]),
        destination=int(cg.node_ids[target]),
        origin_snap_m=origin_snap_m,
        destination_snap_m=destination_snap_m,
        route=figs,
        shortest=short,
        has_comfort=weights.has_comfort,
    )


def route_lonlat(
    cg: CompiledGraph,
    origin: tuple[float, float],
    destination: tuple[float, float],
    weights: EdgeWeights,
    *,
    category_order: Sequence[str] | None = None,
    max_snap_m: float = 500.0,
    shortest_weights: EdgeWeights | None = None,
) -> Route:
    """
    The route between two lon/lat points, each snapped to the nearest street node.

    Parameters
    ----------
    cg
        The compiled graph.
    origin, destination
        ``(lon, lat)`` in degrees (WGS 84).
    weights
        Weights of the requested mode and time.
    category_order
        Order of the UTCI categories in ``utci_minutes``.
    max_snap_m
        Largest allowed distance (m) from a point to the network.
    shortest_weights
        Weights of the comparison route; default :func:`shortest_weights_like` of
        ``weights`` (pass them when routing many pairs with the same weights).
    """
    (s, ds), (t, dt_) = cg.snap_points([origin, destination], level=0, max_snap_m=max_snap_m)
    return find_route(
        cg,
        weights,
        s,
        t,
        shortest_weights,
        category_order=category_order,
        origin_snap_m=ds,
        destination_snap_m=dt_,
    )
