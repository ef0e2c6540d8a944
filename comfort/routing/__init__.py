"""
Comfort-aware walking routes, isochrones and travel-time matrices on a compiled network.

One module per concept (how it works, modes, figures and the benchmark: docs/ROUTING.md):

- :mod:`~comfort.routing.graph`: :func:`compile_graph`, :class:`CompiledGraph` (CSR arrays,
  edge columns, snapping lon/lat to nodes);
- :mod:`~comfort.routing.costs`: :func:`edge_weights`, :class:`EdgeWeights` (one cost and one
  minutes array per mode and time: modes, opening hours, winter slowdown);
- :mod:`~comfort.routing.search`: :func:`shortest_path_edges` (numba A*);
- :mod:`~comfort.routing.routes`: :func:`route_lonlat`, :func:`find_route`, :class:`Route`
  (figures, GeoJSON, the shortest route for comparison);
- :mod:`~comfort.routing.reach`: :func:`isochrone`, :func:`od_matrix` (multi-source Dijkstra);
- :mod:`~comfort.routing.turns`: :func:`turn_list`, :class:`Turn` (turn-by-turn instructions).

Every public name is importable from ``comfort.routing`` itself.

Examples
--------
>>> from shapely.geometry import LineString
>>> from comfort.network import lines_to_graph
>>> cg = compile_graph(lines_to_graph([LineString([(0, 0), (100, 0)])], crs="EPSG:6680"))
>>> w = edge_weights(cg, "comfortable", discomfort=[0.5, 0.5], alpha=2.0)
>>> cost, edges = shortest_path_edges(cg, w, 0, 1)
>>> cost, round(find_route(cg, w, 0, 1).shortest.length_m, 1)
(200.0, 100.0)
"""

from comfort.routing.costs import (
    DEFAULT_ALPHA,
    DEFAULT_LEVEL_CHANGE_PENALTY_M,
    DEFAULT_SNOW_PENALTY,
    DEFAULT_WINTER_EXPOSURE_PENALTY,
    MODES,
    SAPPORO_TZ,
    SURFACES,
    WALK_SPEED_KMH,
    WALK_SPEED_M_PER_MIN,
    WINTER_ICE_EXTRA_MIN_PER_KM,
    WINTER_KEPT_EXTRA_MIN_PER_KM,
    EdgeWeights,
    Mode,
    Surface,
    edge_minutes,
    edge_weights,
    heuristic_scale,
    minute_of_day,
    open_mask,
    shortest_weights_like,
)
from comfort.routing.graph import KIND_CODES, KIND_NAMES, CompiledGraph, compile_graph
from comfort.routing.reach import Isochrone, csr_matrix, isochrone, od_matrix
from comfort.routing.routes import (
    STEP_LENGTH_M,
    Route,
    RouteFigures,
    find_route,
    round_like_python,
    route_figures,
    route_lonlat,
)
from comfort.routing.search import shortest_path_edges
from comfort.routing.turns import (
    TURN_ACTIONS,
    Turn,
    end_bearings,
    turn_list,
    turns_from_bearings,
)

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_LEVEL_CHANGE_PENALTY_M",
    "DEFAULT_SNOW_PENALTY",
    "DEFAULT_WINTER_EXPOSURE_PENALTY",
    "KIND_CODES",
    "KIND_NAMES",
    "MODES",
    "SAPPORO_TZ",
    "STEP_LENGTH_M",
    "SURFACES",
    "TURN_ACTIONS",
    "WALK_SPEED_KMH",
    "WALK_SPEED_M_PER_MIN",
    "WINTER_ICE_EXTRA_MIN_PER_KM",
    "WINTER_KEPT_EXTRA_MIN_PER_KM",
    "CompiledGraph",
    "EdgeWeights",
    "Isochrone",
    "Mode",
    "Route",
    "RouteFigures",
    "Surface",
    "Turn",
    "compile_graph",
    "csr_matrix",
    "edge_minutes",
    "edge_weights",
    "end_bearings",
    "find_route",
    "heuristic_scale",
    "isochrone",
    "minute_of_day",
    "od_matrix",
    "open_mask",
    "round_like_python",
    "route_figures",
    "route_lonlat",
    "shortest_path_edges",
    "shortest_weights_like",
    "turn_list",
    "turns_from_bearings",
]
