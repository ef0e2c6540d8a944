"""``GET /v1/route`` and ``GET /v1/isochrone``: comfort-aware walking routes and reach."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api import wayfinding
from api.clock import same_time_in
from api.deps import LangQuery, ResourcesDep, SettingsDep, app_resources_of, request_language
from api.params import FromQuery, ModeQuery, ToQuery, parse_lonlat
from api.schemas import RouteOut
from api.settings import get_settings
from comfort import routing

router = APIRouter(prefix="/v1", tags=["route"])


AtQuery = Annotated[
    str | None,
    Query(
        description=(
            "ISO 8601 date-time (JST when no zone). Sets walkway opening hours, the day's real "
            "snow depth and the comfort field hour. Default: now's date and hour in the demo "
            "year."
        )
    ),
]


def parse_at(at: str | None, demo_year: int) -> dt.datetime:
    """
    ``at`` as naive JST (:func:`api.clock.parse_at`); default: now's date and hour in the demo
    year.
    """
    return wayfinding.parse_at(at, same_time_in(demo_year))


@router.get("/route", response_model=RouteOut)
async def route(
    request: Request,
    from_: FromQuery,
    to: ToQuery,
    at: AtQuery = None,
    mode: ModeQuery = "comfortable",
    alpha: Annotated[
        float, Query(ge=0, le=20, description="Comfort weight α (comfortable/winter).")
    ] = routing.DEFAULT_ALPHA,
    lang: LangQuery = None,
) -> dict[str, Any]:
    """
    A walking route between two points for a mode and time, with the shortest route's figures.

    ``conditions`` says what the route was computed under (comfort field hour, snow depth,
    weather, walkways) and where each came from: ``exact``, ``same_day_other_year``,
    ``climatology`` or ``none`` (docs/CONDITIONS.md). ``simulated`` is true when the field
    comes from simulated sensor readings.
    """
    origin, destination = parse_lonlat(from_, "from"), parse_lonlat(to, "to")
    # The app's inputs, settings and language as ResourcesDep, SettingsDep and LangDep give
    # them, read here rather than through sub-dependencies: each sub-dependency FastAPI solves
    # costs about 70,000 CPU instructions (callgrind), 2 % of this whole request.
    res = app_resources_of(request)
    settings = request.app.dependency_overrides.get(get_settings, get_settings)()
    lang_code = request_language(request, lang)
    when = parse_at(at, settings.demo_year)
    if res.route_weights_ready(mode, when, alpha):
        # Weights kept: snapping, two A* searches and the figures take well under a
        # millisecond of CPU, less than a hop to a worker thread and back; answer here.
        return wayfinding.route_answer(res, origin, destination, when, mode, alpha, lang=lang_code)
    # First request for this mode, minute and α: loading the graph and the field hour and
    # weighting the edges can take seconds; a worker thread keeps the event loop serving.
    return await run_in_threadpool(
        wayfinding.route_answer, res, origin, destination, when, mode, alpha, lang=lang_code
    )


@router.get("/isochrone")
def isochrone(
    res: ResourcesDep,
    settings: SettingsDep,
    from_: FromQuery,
    minutes: Annotated[float, Query(gt=0, le=60, description="Walking time budget (min).")] = 10,
    at: Annotated[str | None, Query(description="ISO 8601 date-time (JST when no zone).")] = None,
    mode: ModeQuery = "shortest",
) -> dict[str, Any]:
    """
    Where one can walk within ``minutes`` from a point: a GeoJSON Feature (polygon of the
    reached street pieces, buffered 25 m) with the number of nodes reached and the
    ``conditions`` it was computed under.
    """
    origin = parse_lonlat(from_, "from")
    when = parse_at(at, settings.demo_year)
    return wayfinding.isochrone_answer(res, origin, minutes, when, mode)
