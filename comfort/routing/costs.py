"""
Costs per (mode, time): one cost and one minutes array over the directed edges.

Modes, opening hours and the level-change penalty: docs/ROUTING.md, Modes. Walking speed and
the winter slowdown (Fossum & Ryeng 2021): docs/ROUTING.md, Minutes, steps and the other figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from comfort.errors import RoutingError
from comfort.places import is_open
from comfort.routing.graph import KIND_CODES, CompiledGraph

#: Walking speed (km/h) used for minutes.
WALK_SPEED_KMH = 4.8
#: The same in metres per minute.
WALK_SPEED_M_PER_MIN = WALK_SPEED_KMH * 1000.0 / 60.0
#: Extra minutes per km on a kept winter surface vs bare pavement (Fossum & Ryeng 2021).
WINTER_KEPT_EXTRA_MIN_PER_KM = 1.0
#: Extra minutes per km on clean ice vs bare pavement (Fossum & Ryeng 2021).
WINTER_ICE_EXTRA_MIN_PER_KM = 2.0

#: Routing modes.
MODES = ("shortest", "comfortable", "winter", "accessible")
Mode = Literal["shortest", "comfortable", "winter", "accessible"]
#: Winter surface conditions on outdoor edges when snow lies.
SURFACES = ("kept", "ice")
Surface = Literal["kept", "ice"]

#: Default preference weights (dimensionless; see :func:`edge_weights`).
DEFAULT_ALPHA = 1.0
DEFAULT_LEVEL_CHANGE_PENALTY_M = 30.0
DEFAULT_WINTER_EXPOSURE_PENALTY = 0.1
DEFAULT_SNOW_PENALTY = 0.4


@dataclass(frozen=True, eq=False)
class EdgeWeights:
    """
    One cost array and one minutes array over the directed edges, for one mode and time.

    Attributes
    ----------
    mode
        The routing mode.
    cost
        Cost per directed edge (equivalent metres); ``inf`` for edges that are not routable
        (closed walkway, stairs in accessible mode).
    minutes
        Walking time per directed edge (min), with the winter slowdown; ``inf`` where ``cost``
        is.
    heuristic_scale
        ``k`` of the A* heuristic ``k × euclidean distance``, ``min(cost / chord)``.
    minute_of_day
        Time of day the opening hours were evaluated at (minutes after midnight), or None
        (every walkway open).
    snow_depth_cm
        Snow depth (cm) used.
    alpha
        Comfort weight α used.
    utci_category
        UTCI stress category per directed edge (strings), or None without a comfort field.
    has_comfort
        Whether a discomfort array was used.
    """

    mode: str
    cost: npt.NDArray[np.float64]
    minutes: npt.NDArray[np.float64]
    heuristic_scale: float
    minute_of_day: float | None
    snow_depth_cm: float
    alpha: float
    utci_category: npt.NDArray[np.object_] | None
    has_comfort: bool

    def utci_codes(self) -> tuple[npt.NDArray[np.intp], list[str]]:
        """
        :attr:`utci_category` as integer codes and the names they stand for, worked out once
        per weights (a route sums its minutes per category with ``np.bincount``).

        Raises
        ------
        ValueError
            The weights carry no UTCI categories.
        """
        cached = self.__dict__.get("_utci_codes")
        if cached is None:
            if self.utci_category is None:
                raise ValueError("these weights have no UTCI categories (no comfort field)")
            labels = np.asarray([str(x) for x in self.utci_category], dtype=object)
            names, codes = np.unique(labels, return_inverse=True)
            cached = (np.asarray(codes, dtype=np.intp), [str(n) for n in names])
            object.__setattr__(self, "_utci_codes", cached)
        return cached


#: The clock of opening hours and of naive times.
SAPPORO_TZ = ZoneInfo("Asia/Tokyo")


def minute_of_day(at: dt.datetime | dt.time | float | None) -> float | None:
    """
    Minutes after midnight of a datetime or time (local clock), passing numbers through.

    A timezone-aware datetime is read on the Asia/Tokyo clock; a naive one is taken as local.

    Examples
    --------
    >>> minute_of_day(dt.datetime(2025, 1, 20, 8, 30))
    510.0
    >>> minute_of_day(dt.datetime(2025, 1, 20, 15, 30, tzinfo=dt.UTC))  # 00:30 in Sapporo
    30.0
    """
    if at is None:
        return None
    if isinstance(at, dt.datetime):
        if at.tzinfo is not None:  # opening hours are on the Sapporo clock
            at = at.astimezone(SAPPORO_TZ)
        return at.hour * 60.0 + at.minute + at.second / 60.0
    if isinstance(at, dt.time):
        return at.hour * 60.0 + at.minute + at.second / 60.0
    return float(at)


def open_mask(
    open_min: npt.ArrayLike, close_min: npt.ArrayLike, at_min: float | None
) -> npt.NDArray[np.bool_]:
    """
    Whether each edge is open at ``at_min`` minutes after midnight.

    ``open_min``/``close_min`` are opening hours (minutes after midnight); ``close_min`` may
    exceed 1440 for a closing after midnight. NaN in either means always open; ``at_min=None``
    means every edge is open.

    Examples
    --------
    >>> open_mask([300, 300, np.nan], [1470, 1470, np.nan], 10.0).tolist()  # 00:10
    [True, True, True]
    >>> open_mask([300], [1470], 120.0).tolist()  # 02:00
    [False]
    """
    if at_min is None:
        return np.ones(np.shape(open_min), dtype=bool)
    return is_open(open_min, close_min, float(at_min))


def edge_minutes(
    cg: CompiledGraph,
    snow_depth_cm: float = 0.0,
    surface: Surface = "kept",
) -> npt.NDArray[np.float64]:
    """
    Walking time per directed edge (min): 4.8 km/h plus the winter slowdown when snow lies.

    Parameters
    ----------
    cg
        The compiled graph.
    snow_depth_cm
        Snow depth on the ground (cm); above zero, outdoor edges get the slowdown.
    surface
        ``"kept"``: +1 min/km (best obtainable winter surface), ``"ice"``: +2 min/km (clean
        ice), after Fossum & Ryeng (2021). Indoor edges are never slowed.
    """
    if surface not in SURFACES:
        raise RoutingError(f"surface must be one of {SURFACES}; got {surface!r}")
    minutes = cg.length_m / WALK_SPEED_M_PER_MIN
    if snow_depth_cm > 0:
        extra = WINTER_KEPT_EXTRA_MIN_PER_KM if surface == "kept" else WINTER_ICE_EXTRA_MIN_PER_KM
        minutes = minutes + np.where(cg.indoor, 0.0, cg.length_m / 1000.0 * extra)
    return np.asarray(minutes, dtype=np.float64)


def edge_weights(
    cg: CompiledGraph,
    mode: str = "shortest",
    *,
    at: dt.datetime | dt.time | float | None = None,
    discomfort: npt.ArrayLike | None = None,
    utci_category: npt.ArrayLike | None = None,
    alpha: float = DEFAULT_ALPHA,
    snow_depth_cm: float = 0.0,
    surface: Surface = "kept",
    level_change_penalty_m: float = DEFAULT_LEVEL_CHANGE_PENALTY_M,
    winter_exposure_penalty: float = DEFAULT_WINTER_EXPOSURE_PENALTY,
    snow_penalty: float = DEFAULT_SNOW_PENALTY,
) -> EdgeWeights:
    """
    Cost and minutes arrays over the directed edges for one mode and time (vectorised).

    Parameters
    ----------
    cg
        The compiled graph.
    mode
        ``shortest``, ``comfortable``, ``winter`` or ``accessible`` (docs/ROUTING.md, Modes).
    at
        Date and time (or minutes after midnight) at which walkway opening hours are checked;
        None: every walkway open.
    discomfort
        Discomfort per directed edge in [0, 1] (``1 − comfort`` from the comfort field, spread
        with :meth:`CompiledGraph.per_edge`); None: distance only. NaN counts as 0 (no data).
    utci_category
        UTCI stress category label per directed edge, for the route's minutes per category.
    alpha
        Comfort weight α ≥ 0: an edge in full discomfort costs ``1 + α`` times its length.
    snow_depth_cm
        Snow depth (cm) on the day; above zero, winter slowdown and (winter mode) snow penalty.
    surface
        Winter surface of outdoor edges when snow lies: ``"kept"`` or ``"ice"``.
    level_change_penalty_m
        Added to the cost of every exit (stairs) edge in all modes but ``shortest`` (equivalent
        metres, default 30 m ≈ 22 s at 4.8 km/h for about one storey of stairs).
    winter_exposure_penalty
        Winter mode: relative extra cost of outdoor edges (default 0.1).
    snow_penalty
        Winter mode: further relative extra cost of outdoor edges when snow lies (default 0.4).

    Returns
    -------
    EdgeWeights

    Raises
    ------
    RoutingError
        Unknown mode, negative weights, or arrays not aligned with the edges.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from comfort.network import lines_to_graph
    >>> from comfort.routing.graph import compile_graph
    >>> cg = compile_graph(lines_to_graph([LineString([(0, 0), (100, 0)])], crs="EPSG:6680"))
    >>> edge_weights(cg, "comfortable", discomfort=[0.5, 0.5], alpha=2.0).cost.tolist()
    [200.0, 200.0]
    """
    if mode not in MODES:
        raise RoutingError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    for label, value in (
        ("alpha", alpha),
        ("level_change_penalty_m", level_change_penalty_m),
        ("winter_exposure_penalty", winter_exposure_penalty),
        ("snow_penalty", snow_penalty),
    ):
        if not (np.isfinite(value) and value >= 0):
            raise RoutingError(f"{label} must be a finite number >= 0; got {value}")
    if not np.isfinite(snow_depth_cm):
        raise RoutingError(f"snow_depth_cm must be finite; got {snow_depth_cm}")
    m = cg.n_edges
    disc: npt.NDArray[np.float64] | None = None
    if discomfort is not None:
        disc = np.asarray(discomfort, dtype=np.float64)
        if disc.shape != (m,):
            raise RoutingError(
                f"discomfort must have one value per directed edge ({m}); got shape "
                f"{disc.shape}. Spread per-segment values with CompiledGraph.per_edge."
            )
        disc = np.clip(np.nan_to_num(disc, nan=0.0), 0.0, 1.0)
    cats: npt.NDArray[np.object_] | None = None
    if utci_category is not None:
        cats = np.asarray(utci_category).astype(str).astype(object)
        if cats.shape != (m,):
            raise RoutingError(
                f"utci_category must have one value per directed edge ({m}); got {cats.shape}"
            )
    t = minute_of_day(at)
    is_open = open_mask(cg.open_min, cg.close_min, t)
    cost = cg.length_m.copy()
    if mode != "shortest":
        if disc is not None and alpha > 0:
            cost *= 1.0 + alpha * disc
        if mode == "winter":
            outdoor = ~cg.indoor
            factor = 1.0 + winter_exposure_penalty
            if snow_depth_cm > 0:
                factor *= 1.0 + snow_penalty
            cost[outdoor] *= factor
        cost += np.where(cg.kind == KIND_CODES["exit"], level_change_penalty_m, 0.0)
        if mode == "accessible":
            cost[cg.stairs] = np.inf
    cost[~is_open] = np.inf
    minutes = edge_minutes(cg, snow_depth_cm, surface)
    minutes = np.where(np.isfinite(cost), minutes, np.inf)
    return EdgeWeights(
        mode=mode,
        cost=cost,
        minutes=minutes,
        heuristic_scale=heuristic_scale(cost, cg.chord_m),
        minute_of_day=t,
        snow_depth_cm=float(snow_depth_cm),
        alpha=float(alpha) if mode != "shortest" else 0.0,
        utci_category=cats,
        has_comfort=disc is not None,
    )


def heuristic_scale(cost: npt.NDArray[np.float64], chord_m: npt.NDArray[np.float64]) -> float:
    """
    The largest ``k`` with ``k × chord ≤ cost`` on every edge (0 when none has a chord).

    With it, ``h(n) = k × euclidean(n, target)`` is a consistent A* heuristic.

    Examples
    --------
    >>> round(heuristic_scale(np.array([10.0, 30.0, np.inf]), np.array([10.0, 20.0, 5.0])), 9)
    1.0
    """
    ok = (chord_m > 0) & np.isfinite(cost)
    if not np.any(ok):
        return 0.0
    k = float(np.min(cost[ok] / chord_m[ok]))
    # Guard against rounding: a hair below the bound keeps the heuristic consistent.
    return max(0.0, k * (1.0 - 1e-12))


def shortest_weights_like(cg: CompiledGraph, weights: EdgeWeights) -> EdgeWeights:
    """
    Weights of the ``shortest`` mode at the same time, snow depth and UTCI categories as
    ``weights``: the comparison route of :func:`find_route`.

    They depend on ``weights`` only, so a caller routing many pairs with the same weights (the
    web API) computes them once and passes them as ``shortest_weights``.

    Parameters
    ----------
    cg
        The compiled graph.
    weights
        Weights of any mode (:func:`edge_weights`).

    Returns
    -------
    EdgeWeights
        Cost = length (m) on the edges open at ``weights.minute_of_day`` (inf when closed);
        minutes as in ``weights`` (recomputed from the walking speed where the mode excluded
        an edge).
    """
    t = weights.minute_of_day
    is_open = open_mask(cg.open_min, cg.close_min, t)
    cost = np.where(is_open, cg.length_m, np.inf)
    minutes = np.where(is_open, weights.minutes, np.inf)
    # ``weights.minutes`` is inf where the mode excluded an edge; recompute those from speed.
    excluded = is_open & ~np.isfinite(weights.minutes)
    if np.any(excluded):
        base = edge_minutes(cg, weights.snow_depth_cm)
        minutes = np.where(excluded, base, minutes)
    return EdgeWeights(
        mode="shortest",
        cost=cost,
        minutes=minutes,
        heuristic_scale=heuristic_scale(cost, cg.chord_m),
        minute_of_day=t,
        snow_depth_cm=weights.snow_depth_cm,
        alpha=0.0,
        utci_category=weights.utci_category,
        has_comfort=weights.has_comfort,
    )
