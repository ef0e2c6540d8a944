"""
Walking courses as the API and the course pages show them: the summary, the routed course with
its figures, comfort along it by season and the underground alternative in winter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from api.resources import Resources
from comfort import indices
from comfort.constants import SEASONS
from sensors.courses import BODY_MASS_KG, WALKING_MET, Course

ENERGY_FORMULA = (
    f"kcal = {WALKING_MET} MET × {BODY_MASS_KG:.0f} kg × hours (walking 2.8–3.2 mph, level firm "
    "surface, Compendium of Physical Activities 2011 code 17190)"
)


def summary(c: Course, lang: str) -> dict[str, Any]:
    """The list entry of a course in ``lang``."""
    return {
        "id": c.course_id,
        "name": c.name(lang),
        "description": c.description(lang),
        "mode": c.mode,
        "lang": lang,
        "waypoints": [
            {"name": w.name_ja if lang == "ja" else w.name_en, "lon": w.lon, "lat": w.lat}
            for w in c.waypoints
        ],
        "url": f"/courses/{c.course_id}?lang={lang}",
    }


def course_segments(route: dict[str, Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """
    The segments a routed course walks and the length (m) it walks on each: the segment ids of
    the edges its legs traverse (:func:`sensors.courses.course_route`), lengths summed per segment.
    """
    sids = np.asarray(route["segment_ids"], dtype=np.int64)
    lengths = np.asarray(route["edge_length_m"], dtype=np.float64)
    ids, inverse = np.unique(sids, return_inverse=True)
    return ids, np.bincount(inverse, weights=lengths, minlength=ids.size).astype(np.float64)


def comfort_by_season(
    res: Resources, route: dict[str, Any], year: int
) -> tuple[list[dict[str, Any]], bool]:
    """
    Daytime (10–18 h) comfort along the course by season: length-weighted mean UTCI and the
    share of the length with no thermal stress (:func:`comfort.indices.in_neutral_band`), from
    the comfort field of ``year`` on the segments the course walks (:func:`course_segments`).
    """
    if not res.has_field(year):
        return [], False
    agg = res.season_hour(year)
    sids, lens = course_segments(route)
    edge_ids = np.asarray(agg["edge"].to_numpy(), dtype=np.int64)
    order = np.argsort(edge_ids)
    pos = np.clip(np.searchsorted(edge_ids, sids, sorter=order), 0, max(edge_ids.size - 1, 0))
    cols = order[pos] if edge_ids.size else np.zeros(sids.size, dtype=np.int64)
    known = edge_ids[cols] == sids if edge_ids.size else np.zeros(sids.size, dtype=bool)
    rows: list[dict[str, Any]] = []
    for season in SEASONS:
        u = (
            agg["utci_c"]
            .sel(season=season)
            .sel(hour=slice(10, 17))
            .transpose("hour", "edge")
            .to_numpy()
        )
        vals = np.where(known[None, :], u[:, cols], np.nan)
        ok = np.isfinite(vals)
        w = np.broadcast_to(lens, vals.shape)
        if not ok.any():  # no field hours in this season
            rows.append({"season": season, "mean_utci_c": None, "no_stress_share": None})
            continue
        mean = float((np.where(ok, vals, 0) * w).sum() / (w * ok).sum())
        neutral = indices.in_neutral_band(vals)
        share = float((w * neutral).sum() / (w * ok).sum())
        rows.append(
            {"season": season, "mean_utci_c": round(mean, 1), "no_stress_share": round(share, 3)}
        )
    return rows, res.is_simulated(year)


def course_detail(res: Resources, c: Course, lang: str, year: int) -> dict[str, Any]:
    """Everything shown on a course page and in ``GET /v1/courses/{id}``."""
    # Winter courses are routed on a snowy January noon of the demo year (real snow depth),
    # the others by distance with every walkway open.
    winter_at = dt.datetime(year, 1, 20, 12)
    weights, _ = res.route_weights(c.mode, winter_at if c.mode == "winter" else None)
    route = res.course_route(c, weights)
    seasons, simulated = comfort_by_season(res, route, year)
    w_weights, _ = res.route_weights("winter", winter_at)
    winter = res.course_route(c, w_weights)
    alt = None
    if winter["underground_share"] > route["underground_share"] + 0.05:
        alt = {
            k: winter[k]
            for k in ("length_m", "minutes", "underground_share", "walkways", "geometry")
        }
    return {
        **summary(c, lang),
        **{
            k: route[k]
            for k in (
                "length_m",
                "minutes",
                "steps",
                "energy_kcal",
                "underground_share",
                "walkways",
                "utci_minutes",
                "geometry",
            )
        },
        "energy_formula": ENERGY_FORMULA,
        "comfort_by_season": seasons,
        "winter_alternative": alt,
        "simulated": simulated,
    }
