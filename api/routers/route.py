"""``GET /v1/route`` and ``GET /v1/isochrone``: comfort-aware walking routes and reach."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from api import data, wayfinding
from api.deps import SettingsDep
from api.errors import BadRequestError
from api.schemas import RouteOut
from api.settings import Settings, get_settings
from comfort import routing

router = APIRouter(prefix="/v1", tags=["route"])


async def settings_async(request: Request) -> Settings:
    """
    The settings, as :data:`api.deps.SettingsDep` gives them (the app's override of
    :func:`api.settings.get_settings` when it has one), from an ``async`` dependency.

    FastAPI runs a plain ``def`` dependency on a worker thread; for ``GET /v1/route``, whose
    own work is well under a millisecond, that hop and the GIL hand-over that follows it cost
    more than the route (measured under load: the event loop waited on the GIL in every
    socket write). ``get_settings`` is cached, so calling it here is instant.
    """
    provider = request.app.dependency_overrides.get(get_settings, get_settings)
    settings: Settings = provider()
    return settings


AsyncSettingsDep = Annotated[Settings, Depends(settings_async)]


def parse_lonlat(text: str, name: str) -> tuple[float, float]:
    """
    ``"lon,lat"`` as two floats.

    Examples
    --------
    >>> parse_lonlat("141.3504,43.0674", "from")
    (141.3504, 43.0674)
    """
    parts = text.split(",")
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise BadRequestError(
            f"{name} must be 'lon,lat' in degrees, e.g. 141.3504,43.0674; got {text!r}"
        ) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadRequestError(f"{name}={text!r} is not a lon,lat pair in degrees")
    return lon, lat


def parse_at(at: str | None, demo_year: int) -> dt.datetime:
    """
    ``at`` as naive JST (:func:`api.wayfinding.parse_at`); default: now's date and hour in
    the demo year.
    """
    if at is None:
        return data.same_time_in(demo_year)
    return wayfinding.parse_at(at, data.same_time_in(demo_year))


def route_dict(
    origin: tuple[float, float],
    destination: tuple[float, float],
    when: dt.datetime,
    mode: str,
    alpha: float,
) -> dict[str, Any]:
    """The route object of ``GET /v1/route`` (:func:`api.wayfinding.route_answer`)."""
    return wayfinding.route_answer(origin, destination, when, mode, alpha)


@router.get("/route", response_model=RouteOut)
async def route(
    settings: AsyncSettingsDep,
    from_: Annotated[str, Query(alias="from", description="Start as lon,lat (degrees).")],
    to: Annotated[str, Query(description="Destination as lon,lat (degrees).")],
    at: Annotated[
        str | None,
        Query(
            description=(
                "ISO 8601 date-time (JST when no zone). Sets walkway opening hours, the day's "
                "real snow depth and the comfort field hour. Default: now's date and hour in "
                "the demo year."
            )
        ),
    ] = None,
    mode: Annotated[
        str, Query(description="shortest, comfortable, winter or accessible.")
    ] = "comfortable",
    alpha: Annotated[
        float, Query(ge=0, le=20, description="Comfort weight α (comfortable/winter).")
    ] = routing.DEFAULT_ALPHA,
) -> dict[str, Any]:
    """
    A walking route between two points for a mode and time, with the shortest route's figures.

    ``conditions`` says what the route was computed under (comfort field hour, snow depth,
    weather, walkways) and where each came from: ``exact``, ``same_day_other_year``,
    ``climatology`` or ``none`` (docs/CONDITIONS.md). ``simulated`` is true when the field
    comes from simulated sensor readings.
    """
    origin = parse_lonlat(from_, "from")
    destination = parse_lonlat(to, "to")
    when = parse_at(at, settings.demo_year)
    if data.route_weights_ready(mode, when, alpha):
        # Weights cached: snapping, two A* searches and the figures take well under a
        # millisecond of CPU, less than a hop to a worker thread and back; answer here.
        return route_dict(origin, destination, when, mode, alpha)
    # First request for this mode, minute and α: loading the graph and the field hour and
    # weighting the edges can take seconds; a worker thread keeps the event loop serving.
    return await run_in_threadpool(route_dict, origin, destination, when, mode, alpha)


@router.get("/isochrone")
def isochrone(
    settings: SettingsDep,
    from_: Annotated[str, Query(alias="from", description="Start as lon,lat (degrees).")],
    minutes: Annotated[float, Query(gt=0, le=60, description="Walking time budget (min).")] = 10,
    at: Annotated[str | None, Query(description="ISO 8601 date-time (JST when no zone).")] = None,
    mode: Annotated[str, Query(description="shortest, comfortable, winter or accessible.")] = (
        "shortest"
    ),
) -> dict[str, Any]:
    """
    Where one can walk within ``minutes`` from a point: a GeoJSON Feature (polygon of the
    reached street pieces, buffered 25 m) with the number of nodes reached and the
    ``conditions`` it was computed under.
    """
    origin = parse_lonlat(from_, "from")
    when = parse_at(at, settings.demo_year)
    return wayfinding.isochrone_answer(origin, minutes, when, mode)
