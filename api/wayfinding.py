"""
Route and isochrone answers: one function each, called by ``kaiteki route`` and by
``GET /v1/route`` / ``GET /v1/isochrone``, so both print the same object (``conditions``
included; see docs/CONDITIONS.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.clock import parse_at
from api.errors import BadRequestError
from api.resources import Resources
from api.schemas import RouteOut
from comfort import conditions as cond_engine
from comfort import routing
from comfort.conditions import CATEGORY_KEYS, Conditions

__all__ = ["isochrone_answer", "parse_at", "route_answer", "route_json"]


def _conditions(
    res: Resources, when: dt.datetime, snow_cm: float | None, use_field: bool
) -> Conditions:
    cond = res.conditions(when)
    if snow_cm is not None:
        cond = cond.with_snow(snow_cm)
    if not use_field:
        cond = cond.without_field()
    return cond


def _weights(
    res: Resources,
    when: dt.datetime,
    mode: str,
    alpha: float,
    snow_cm: float | None,
    surface: str,
    use_field: bool,
) -> tuple[routing.EdgeWeights, routing.EdgeWeights, dict[str, Any]]:
    """The app's cached weights for the defaults; the CLI's options computed on their own."""
    if snow_cm is None and surface == "kept" and use_field:
        return res.route_weights_pair(mode, when, alpha)
    if mode not in routing.MODES:
        raise BadRequestError(f"mode must be one of {', '.join(routing.MODES)}; got {mode!r}")
    if surface not in routing.SURFACES:
        raise BadRequestError(
            f"surface must be one of {', '.join(routing.SURFACES)}; got {surface!r}"
        )
    cg = res.compiled()
    cond = _conditions(res, when, snow_cm, use_field)
    weights = cond_engine.route_weights(cg, cond, mode, alpha, surface)  # type: ignore[arg-type]
    return weights, routing.shortest_weights_like(cg, weights), cond.to_dict()


def route_answer(
    res: Resources,
    origin: tuple[float, float],
    destination: tuple[float, float],
    when: dt.datetime,
    mode: str,
    alpha: float = routing.DEFAULT_ALPHA,
    *,
    snow_cm: float | None = None,
    surface: str = "kept",
    use_field: bool = True,
) -> dict[str, Any]:
    """
    The route object (the :class:`api.schemas.RouteOut` fields, before validation).

    Parameters
    ----------
    res
        The inputs (:func:`api.resources.current` in the CLI, the app's in the API).
    origin, destination
        ``(lon, lat)`` in degrees.
    when
        The time of the route (naive Asia/Tokyo, :func:`parse_at`).
    mode, alpha
        Routing mode and comfort weight α.
    snow_cm, surface, use_field
        CLI options: a snow depth (cm) instead of the real one, the winter surface, and
        whether to use the comfort field.
    """
    weights, shortest, conditions = _weights(res, when, mode, alpha, snow_cm, surface, use_field)
    r = routing.route_lonlat(
        res.compiled(),
        origin,
        destination,
        weights,
        category_order=CATEGORY_KEYS,
        shortest_weights=shortest,
    )
    out = r.to_dict()
    out.update(
        at=when.isoformat(timespec="minutes"),
        field_year=conditions["field_year"],
        simulated=conditions["simulated"],
        conditions=conditions,
    )
    return out


def route_json(answer: dict[str, Any]) -> dict[str, Any]:
    """A route object as the API sends it (validated against :class:`RouteOut`)."""
    return RouteOut.model_validate(answer).model_dump(mode="json")


def isochrone_answer(
    res: Resources,
    origin: tuple[float, float],
    minutes: float,
    when: dt.datetime,
    mode: str,
    *,
    snow_cm: float | None = None,
    surface: str = "kept",
) -> dict[str, Any]:
    """
    Where one can walk within ``minutes`` (min) from ``origin`` (lon, lat in degrees) at
    ``when``: a GeoJSON Feature with ``mode``, ``at``, ``origin_snap_m``, ``snow_depth_cm``,
    ``nodes_reached`` and ``conditions`` in its properties.
    """
    weights, _, conditions = _weights(
        res, when, mode, routing.DEFAULT_ALPHA, snow_cm, surface, use_field=True
    )
    cg = res.compiled()
    node, snap_m = cg.snap(origin[0], origin[1], level=0)
    iso = routing.isochrone(cg, weights, node, minutes)
    feature = iso.to_geojson()
    feature["properties"].update(
        mode=mode,
        at=when.isoformat(timespec="minutes"),
        origin_snap_m=round(snap_m, 1),
        snow_depth_cm=weights.snow_depth_cm,
        conditions=conditions,
    )
    return feature
