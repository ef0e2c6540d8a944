"""
``/v1/places``: the places registry as of a date with each place's probability of being
comfortable, one place, and changes (``POST``/``PATCH`` behind API keys, queued in the spool and
committed by the store's one writer: a request never opens the store for writing).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.deps import ApiKeyDep, IngestDep, LangDep, ResourcesDep, SettingsDep
from api.errors import BadRequestError, NotFoundError, error_responses
from api.settings import Settings
from comfort.constants import SEASONS
from comfort.errors import KPIError, PlacesError

router = APIRouter(prefix="/v1", tags=["places"])

AsOfQuery = Annotated[
    dt.date | None,
    Query(description="Registry as of this date (YYYY-MM-DD); default today."),
]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _kpi_places(settings: Settings) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Per-place KPI rows by id and the KPI object (empty without the fields)."""
    from api.services.places_kpi import places_kpi

    try:
        obj = places_kpi(settings)
    except KPIError:
        return {}, {}
    return {p["place_id"]: p for p in obj["places"]}, obj


@router.get("/places")
def list_places(
    settings: SettingsDep,
    lang: LangDep,
    as_of: AsOfQuery = None,
    include_planned: Annotated[bool, Query(description="Add planned places.")] = False,
) -> dict[str, Any]:
    """
    The places registry as of a date as GeoJSON: each place with its kind, status, validity,
    ``p_comfortable`` under the reference climate, and ``comfortable_<year>`` (probability ≥
    0.5 under that year's own weather) for the baseline and current years (null without field).
    """
    from api.services.places_kpi import read_registry
    from comfort.places import valid_on

    reg, _ = read_registry(settings)
    day = as_of or dt.date.today()
    reg = reg[valid_on(reg, day, include_planned=include_planned)]
    rows, obj = _kpi_places(settings)
    doc = json.loads(reg.to_json(drop_id=True, default=str))
    for f in doc["features"]:
        props = f["properties"]
        kpi = rows.get(props["place_id"], {})
        props["name"] = props["name_ja" if lang == "ja" else "name_en"]
        props["p_comfortable"] = kpi.get("p_comfortable")
        by_year = kpi.get("p_comfortable_by_year", {})
        for y in (settings.baseline_year, settings.demo_year):
            p = by_year.get(str(y))
            props[f"comfortable_{y}"] = None if p is None else p >= 0.5
    doc["properties"] = {
        "as_of": day.isoformat(),
        "baseline_year": settings.baseline_year,
        "current_year": settings.demo_year,
        "count": len(reg),
        "reference_climate": obj.get("reference_climate"),
        "simulated": bool(obj.get("simulated", False)),
    }
    return doc


@router.get("/places/{place_id}")
def get_place(
    place_id: str, res: ResourcesDep, settings: SettingsDep, lang: LangDep
) -> dict[str, Any]:
    """
    One place of the registry: its attributes and history of validity, its probability of
    being comfortable (reference climate and each year's weather), and, for places the field
    was built with, mean UTCI (°C) by season and hour (``season_hour``) and daytime by season.
    """
    from api.services.places_kpi import read_registry

    reg, _ = read_registry(settings)
    row = reg[reg["place_id"] == place_id]
    if row.empty:
        raise NotFoundError(
            f"no place {place_id!r}; GET /v1/places lists them (e.g. {reg['place_id'].iloc[0]})"
        )
    props = {k: _clean(v) for k, v in row.drop(columns="geometry").iloc[0].to_dict().items()}
    rows, obj = _kpi_places(settings)
    kpi = rows.get(place_id, {})
    by_year = kpi.get("p_comfortable_by_year", {})
    out: dict[str, Any] = {
        **props,
        "name": props["name_ja" if lang == "ja" else "name_en"],
        "geometry": json.loads(row.to_json(drop_id=True, default=str))["features"][0]["geometry"],
        "p_comfortable": kpi.get("p_comfortable"),
        "conditions_source": kpi.get("conditions_source"),
        "comfortable": {
            str(y): None if by_year.get(str(y)) is None else by_year[str(y)] >= 0.5
            for y in (settings.baseline_year, settings.demo_year)
        },
        "season_hour": None,
        "daytime_by_season": None,
        "simulated": bool(obj.get("simulated", False)),
    }
    year = settings.demo_year
    if res.has_field(year):
        from comfort.field import by_season_hour, place_field

        pf = place_field(res.field(year))
        if place_id in pf["place"].to_numpy():
            sh = by_season_hour(pf[["utci_c", "comfort"]].sel(place=place_id)).compute()
            out["season_hour"] = {
                s: [_clean(round(float(v), 1)) for v in sh["utci_c"].sel(season=s).to_numpy()]
                for s in SEASONS
            }
            ps = res.place_season(year)
            out["daytime_by_season"] = {
                s: _clean(round(float(ps["utci_c"].sel(season=s, place=place_id)), 1))
                for s in SEASONS
            }
    return out


def _validated(
    settings: Settings, action: str, place_id: str | None, fields: dict[str, Any]
) -> dict[str, Any]:
    """The change checked against the registry snapshot (so a bad change is a 400 now)."""
    from api.services.places_kpi import read_registry
    from sensors import registry

    if not isinstance(fields, dict) or not fields:
        raise BadRequestError("send a JSON object with the place's fields (see docs/PLACES.md)")
    reg, _ = read_registry(settings)
    ids = set(reg["place_id"].astype(str))
    try:
        if action == "add":
            pid = str(fields.get("place_id") or "")
            if pid in ids:
                raise PlacesError(f"place {pid} exists already; PATCH /v1/places/{pid} changes it.")
            registry.check_change(None, fields)
        else:
            if place_id not in ids:
                raise NotFoundError(f"no place {place_id!r}; GET /v1/places lists them")
            base = reg[reg["place_id"] == place_id]
            registry.check_change(registry.as_record(base), fields)
    except PlacesError as exc:
        raise BadRequestError(str(exc)) from None
    return fields


def _queue(ingest: Any, change: dict[str, Any]) -> JSONResponse:
    name = ingest.spool.put_place_change(change)
    ingest.writer.wake()
    return JSONResponse(status_code=202, content={"queued": True, "entry": name, "change": change})


@router.post("/places", status_code=202, responses=error_responses(400, 401, 413, 422, 503))
def post_place(
    fields: Annotated[
        dict[str, Any], Body(description="place_id, names, kind, geometry or lon/lat, source, ...")
    ],
    settings: SettingsDep,
    ingest: IngestDep,
    key_id: ApiKeyDep,
) -> JSONResponse:
    """
    Add a place (API key): checked now, queued (202) and committed with its audit row by the
    store's writer within seconds.
    """
    ok = _validated(settings, "add", None, fields)
    return _queue(ingest, {"action": "add", "place_id": ok.get("place_id"), "fields": ok,
                           "who": f"api key {key_id}"})  # fmt: skip


@router.patch(
    "/places/{place_id}",
    status_code=202,
    responses=error_responses(400, 401, 404, 413, 422, 503),
)
def patch_place(
    place_id: str,
    fields: Annotated[
        dict[str, Any], Body(description='Fields to change, e.g. {"valid_to": "2024-04-01"}.')
    ],
    settings: SettingsDep,
    ingest: IngestDep,
    key_id: ApiKeyDep,
) -> JSONResponse:
    """Change fields of a place (API key; ``valid_to`` retires it): checked, queued (202)."""
    ok = _validated(settings, "edit", place_id, fields)
    return _queue(ingest, {"action": "edit", "place_id": place_id, "fields": ok,
                           "who": f"api key {key_id}"})  # fmt: skip
