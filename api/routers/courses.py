"""``GET /v1/courses`` and ``GET /v1/courses/{id}``: walking courses in Japanese and English."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter

from api import data
from api.deps import LangDep, SettingsDep
from api.schemas import CourseOut, CourseSummaryOut
from comfort import indices
from sensors.courses import BODY_MASS_KG, WALKING_MET, Course

router = APIRouter(prefix="/v1", tags=["courses"])

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
    the edges its legs traverse (``api.data.course_route``), lengths summed per segment.
    """
    sids = np.asarray(route["segment_ids"], dtype=np.int64)
    lengths = np.asarray(route["edge_length_m"], dtype=np.float64)
    ids, inverse = np.unique(sids, return_inverse=True)
    return ids, np.bincount(inverse, weights=lengths, minlength=ids.size).astype(np.float64)


def comfort_by_season(
    c: Course, route: dict[str, Any], year: int
) -> tuple[list[dict[str, Any]], bool]:
    """
    Daytime (10–18 h) comfort along the course by season: length-weighted mean UTCI and the
    share of the length with no thermal stress (:func:`comfort.indices.in_neutral_band`), from
    the comfort field of ``year`` on the segments the course walks (:func:`course_segments`).
    """
    if not data.has_field(year):
        return [], False
    agg = data.season_hour(year)
    sids, lens = course_segments(route)
    edge_ids = np.asarray(agg["edge"].to_numpy(), dtype=np.int64)
    order = np.argsort(edge_ids)
    pos = np.clip(np.searchsorted(edge_ids, sids, sorter=order), 0, max(edge_ids.size - 1, 0))
    cols = order[pos] if edge_ids.size else np.zeros(sids.size, dtype=np.int64)
    known = edge_ids[cols] == sids if edge_ids.size else np.zeros(sids.size, dtype=bool)
    rows: list[dict[str, Any]] = []
    for season in ("DJF", "MAM", "JJA", "SON"):
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
    return rows, data.is_simulated(data.field(year))


def course_detail(c: Course, lang: str, year: int) -> dict[str, Any]:
    """Everything shown on a course page."""
    import datetime as dt

    # Winter courses are routed on a snowy January noon of the demo year (real snow depth),
    # the others by distance with every walkway open.
    winter_at = dt.datetime(year, 1, 20, 12)
    weights, _ = data.route_weights(c.mode, winter_at if c.mode == "winter" else None)
    route = data.course_route(c, weights)
    seasons, simulated = comfort_by_season(c, route, year)
    w_weights, _ = data.route_weights("winter", winter_at)
    winter = data.course_route(c, w_weights)
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


@router.get("/courses", response_model=list[CourseSummaryOut])
def list_courses(lang: LangDep) -> list[dict[str, Any]]:
    """Every walking course (names and descriptions in ``lang``: ``?lang=`` or Accept-Language)."""
    return [summary(c, lang) for c in data.courses()]


@router.get("/courses/{course_id}", response_model=CourseOut)
def get_course(course_id: str, lang: LangDep, settings: SettingsDep) -> dict[str, Any]:
    """
    One course routed on the walking graph through its waypoints: length, minutes, steps,
    energy (kcal), underground share, comfort by season (demo year, daytime) and the underground
    alternative in winter when there is one.
    """
    return course_detail(data.course(course_id), lang, settings.demo_year)
