"""
Route and isochrone answers: one function each, called by ``kaiteki route`` and by
``GET /v1/route`` / ``GET /v1/isochrone``, so both print the same object (``conditions``
included; see docs/CONDITIONS.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from api.clock import parse_at
from api.errors import BadRequestError
from api.i18n import WALKWAY_NAMES_JA, advice_text, route_reason_text, turn_text
from api.resources import Resources
from api.schemas import RouteOut
from comfort import conditions as cond_engine
from comfort import routing
from comfort.advice import comfort_level
from comfort.conditions import CATEGORY_KEYS, Conditions
from sensors.courses import energy_kcal

__all__ = ["isochrone_answer", "parse_at", "route_answer", "route_card", "route_json"]


def _edge_card_columns(
    res: Resources, cg: routing.CompiledGraph
) -> tuple[list[str], list[str], list[str]]:
    """
    Per directed edge of ``cg``: Japanese name, English name and kind name, as lists (a route
    card picks a few dozen of them per request), worked out once per graph. Names come from the
    graph's ``name_ja``/``name_en`` edge attributes (docs/STREET_NAMES.md); a graph without them
    (one built from OpenStreetMap) gives its ``name`` in both.
    """

    def columns() -> tuple[list[str], list[str], list[str]]:
        by_segment: dict[int, tuple[str, str]] = {}
        for _, _, d in res.graph().edges(data=True):
            name = d.get("name") or ""
            name = name if isinstance(name, str) else ";".join(map(str, name))
            en = d.get("name_en") or name
            by_segment[int(d["segment_id"])] = (str(d.get("name_ja") or en), str(en))
        pairs = [by_segment.get(sid, ("", "")) for sid in cg.segment_id.tolist()]
        kinds = [routing.KIND_NAMES[k] for k in cg.kind.tolist()]
        return [p[0] for p in pairs], [p[1] for p in pairs], kinds

    out: tuple[list[str], list[str], list[str]] = cg.derived("card_columns", columns)
    return out


def edge_bearings(
    cg: routing.CompiledGraph,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The bearing of the first and last 15 m of every directed edge of ``cg`` (degrees)."""
    start, end = cg.derived("end_bearings", lambda: routing.end_bearings(cg.coords, cg.coord_ptr))
    return start, end


def segment_names(res: Resources, lang: str) -> dict[int, str]:
    """Each segment's street or walkway name in ``lang`` (map tooltips), by ``segment_id``."""
    cg = res.compiled()
    ja, en, _ = _edge_card_columns(res, cg)
    names = ja if lang == "ja" else en
    return dict(zip(cg.segment_id.tolist(), names, strict=True))


def _stress_group(name: str) -> str:
    level = comfort_level(name)
    return "no_stress" if level == "comfortable" else ("cold" if "cold" in level else "heat")


#: The stress group (cold, heat, no_stress) and the comfort level (comfort.advice) of each
#: UTCI category, worked out once: a route card reads them for every category.
_GROUP = {name: _stress_group(name) for name in CATEGORY_KEYS}
_LEVEL = {name: comfort_level(name) for name in CATEGORY_KEYS}


def _stress_minutes(utci_minutes: dict[str, float] | None) -> dict[str, float] | None:
    """Minutes in cold stress, in heat stress and without thermal stress (min)."""
    if utci_minutes is None:
        return None
    out = {"cold": 0.0, "heat": 0.0, "no_stress": 0.0}
    for name, minutes in utci_minutes.items():
        group = _GROUP.get(name)
        if group is not None:
            out[group] += minutes
    return {k: round(v, 1) for k, v in out.items()}


def _route_level(utci_minutes: dict[str, float] | None) -> str | None:
    """The comfort level (comfort.advice) the route spends most minutes in."""
    if not utci_minutes:
        return None
    by_level: dict[str, float] = {}
    for name, minutes in utci_minutes.items():
        level = _LEVEL.get(name)
        if level is not None and minutes > 0:
            by_level[level] = by_level.get(level, 0.0) + minutes
    return max(by_level, key=lambda k: by_level[k]) if by_level else None


def _reason(r: routing.Route, stress: dict[str, Any], conditions: dict[str, Any]) -> dict[str, Any]:
    """Why this route: a code and the figures its sentence needs (api.i18n.route_reason_text)."""
    route, short = r.route, r.shortest
    if conditions.get("walkways_closed") and r.mode == "winter":
        return {"code": "closed"}
    if r.mode == "shortest":
        return {"code": "shortest"}
    if not r.has_comfort and r.mode != "winter":
        return {"code": "no_field"}
    if np.array_equal(route.edges, short.edges):
        return {"code": "same"}
    rs, ss = stress["route"], stress["shortest"]
    if rs is not None and ss is not None:
        saved = (ss["cold"] + ss["heat"]) - (rs["cold"] + rs["heat"])
        if saved >= 0.5:
            return {
                "code": "less_stress",
                "saved": round(saved),
                "extra": max(0, round(route.minutes - short.minutes)),
            }
    return {"code": "underground", "pct": round(100 * route.underground_share)}


def route_card(
    res: Resources, r: routing.Route, conditions: dict[str, Any], lang: str = "en"
) -> dict[str, Any]:
    """
    What the route result card shows beyond the figures: energy (kcal), minutes in cold and
    heat stress against the shortest route, the walkways used (ja/en), the turn list with
    street names, and why this route was chosen (a code and a sentence in ``lang``).
    """
    cg = res.compiled()
    ja, en, kinds = _edge_card_columns(res, cg)
    edges = r.route.edges
    path = edges.tolist()
    start, end = edge_bearings(cg)
    turns = routing.turns_from_bearings(
        start[edges].tolist(),
        end[edges].tolist(),
        [ja[e] for e in path],
        [en[e] for e in path],
        [kinds[e] for e in path],
        cg.length_m[edges].tolist(),
    )
    walkways: list[dict[str, str]] = []
    for e in path:
        if kinds[e] == "underground" and en[e]:
            pair = {"name_ja": ja[e], "name_en": en[e]}
            if pair not in walkways:
                walkways.append(pair)
    stress = {
        "route": _stress_minutes(r.route.utci_minutes),
        "shortest": _stress_minutes(r.shortest.utci_minutes),
    }
    reason = _reason(r, stress, conditions)
    level = _route_level(r.route.utci_minutes)
    return {
        "advice": None if level is None else {"level": level, "text": advice_text(level, lang)},
        "energy_kcal": round(energy_kcal(r.route.minutes), 1),
        "stress_minutes": stress,
        "walkways_used": walkways,
        "walkways_closed": [
            {"name_ja": WALKWAY_NAMES_JA.get(n, n), "name_en": n}
            for n in conditions.get("walkways_closed") or []
        ],
        "turns": [_turn_json(t, lang) for t in turns],
        "reason": {**reason, "text": route_reason_text(reason, lang)},
        "lang": lang,
    }


def _turn_json(turn: routing.Turn, lang: str) -> dict[str, Any]:
    d = turn.to_dict()
    d["text"] = turn_text(d, lang)
    return d


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
    lang: str = "en",
) -> dict[str, Any]:
    """
    The route object (the :class:`api.schemas.RouteOut` fields, before validation), with the
    result card's parts (:func:`route_card`; sentences in ``lang``).

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
        **route_card(res, r, conditions, lang),
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
