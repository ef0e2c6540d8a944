"""``GET /v1/places`` and ``GET /v1/places/{id}``: public places and whether they are comfortable."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import APIRouter

from api.deps import LangDep, ResourcesDep, SettingsDep
from api.errors import NotFoundError
from api.resources import Resources
from api.settings import Settings
from comfort.constants import SEASONS

router = APIRouter(prefix="/v1", tags=["places"])


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def place_status(res: Resources, settings: Settings) -> dict[tuple[int, str], bool]:
    """Whether each place is comfortable, by (year, place id), in the KPI's years."""
    result = res.places_kpi(settings.baseline_year, settings.demo_year)
    if result is None:
        return {}
    status, _ = result
    year_rows = status[status["period"] == "year"]
    return {(int(r.year), str(r.place_id)): bool(r.comfortable) for r in year_rows.itertuples()}


@router.get("/places")
def list_places(res: ResourcesDep, settings: SettingsDep, lang: LangDep) -> dict[str, Any]:
    """
    The places layer as GeoJSON, with ``comfortable_<year>`` for the baseline and current years
    (null when the field of that year has not been built).
    """
    p = res.places()
    status = place_status(res, settings)
    doc = json.loads(p.to_json(drop_id=True))
    for f in doc["features"]:
        pid = f["properties"]["place_id"]
        f["properties"]["name"] = f["properties"]["name_ja" if lang == "ja" else "name_en"]
        for y in (settings.baseline_year, settings.demo_year):
            f["properties"][f"comfortable_{y}"] = status.get((y, pid))
    doc["properties"] = {
        "baseline_year": settings.baseline_year,
        "current_year": settings.demo_year,
        "count": len(p),
        "simulated": bool(status)
        and res.any_simulated([settings.baseline_year, settings.demo_year]),
    }
    return doc


@router.get("/places/{place_id}")
def get_place(
    place_id: str, res: ResourcesDep, settings: SettingsDep, lang: LangDep
) -> dict[str, Any]:
    """
    One place: its attributes, mean UTCI (°C) and comfort by season and hour of day
    (``season_hour``: season → 24 hourly means), daytime means by season, and whether it is
    comfortable (≥ 60 % of its open daytime hours in UTCI 9–26 °C) in each year.
    """
    p = res.places()
    row = p[p["place_id"] == place_id]
    if row.empty:
        raise NotFoundError(
            f"no place {place_id!r}; GET /v1/places lists them (e.g. {p['place_id'].iloc[0]})"
        )
    props = {k: _clean(v) for k, v in row.drop(columns="geometry").iloc[0].to_dict().items()}
    out: dict[str, Any] = {
        **props,
        "name": props["name_ja" if lang == "ja" else "name_en"],
        "geometry": json.loads(row.to_json(drop_id=True))["features"][0]["geometry"],
        "season_hour": None,
        "daytime_by_season": None,
        "comfortable": {},
        "simulated": False,
    }
    year = settings.demo_year
    if res.has_field(year):
        from comfort.field import by_season_hour, place_field

        pf = place_field(res.field(year))
        if place_id in pf["place"].to_numpy():
            one = pf[["utci_c", "comfort"]].sel(place=place_id)
            sh = by_season_hour(one).compute()
            out["season_hour"] = {
                s: [_clean(round(float(v), 1)) for v in sh["utci_c"].sel(season=s).to_numpy()]
                for s in SEASONS
            }
            ps = res.place_season(year)
            out["daytime_by_season"] = {
                s: _clean(round(float(ps["utci_c"].sel(season=s, place=place_id)), 1))
                for s in SEASONS
            }
            out["simulated"] = res.is_simulated(year)
    status = place_status(res, settings)
    out["comfortable"] = {
        str(y): status.get((y, place_id)) for y in (settings.baseline_year, settings.demo_year)
    }
    return out
