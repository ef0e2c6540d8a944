"""
``/sta/v1.1``: OGC SensorThings API v1.1, read-only, over the store (docs/SENSORTHINGS.md).

Things, Locations, Datastreams, ObservedProperties, Sensors, Observations and
FeaturesOfInterest, entities by id, navigation, ``$top $skip $count $orderby $select $expand
$filter`` and ``@iot.nextLink`` paging (:mod:`sensors.sta.query`). Errors are SensorThings-style
JSON: ``{"code": 400, "type": "error", "message": ...}`` (plus kaiteki's ``error``, ``status``
and ``request_id``). Personal kinds (steps, questionnaires) are never exposed; simulated data
carries ``"simulated": true`` in ``properties`` (Things, Datastreams) and ``parameters``
(Observations).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep
from api.errors import request_id_of, standard_responses
from api.services.sta import sta_answer
from sensors.sta.errors import StaNotFoundError, StaQueryError
from sensors.sta.query import ENTITY_SETS

router = APIRouter(prefix="/sta/v1.1", tags=["sensorthings"])

#: Conformance classes of OGC 18-088 that kaiteki's read-only service implements.
CONFORMANCE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


@router.get("", responses=standard_responses(503))
def service_root(request: Request) -> dict[str, Any]:
    """The service root: one link per entity set and the conformance classes implemented."""
    base = _base(request)
    return {
        "value": [{"name": n, "url": f"{base}/{n}"} for n in ENTITY_SETS],
        "serverSettings": {"conformance": list(CONFORMANCE)},
    }


@router.get("/{path:path}", responses=standard_responses(400, 404, 503))
async def resource(path: str, request: Request, settings: SettingsDep) -> JSONResponse:
    """
    An entity set, an entity (``Things(1)``) or a navigation (``Datastreams(1)/Observations``)
    with the SensorThings query options. 400 for a bad option or ``$filter``, 404 for an
    unknown entity; ``$top`` is at most 1,000 (default 100).
    """
    params = dict(request.query_params)
    body = await run_in_threadpool(sta_answer, settings.store, _base(request), path, params)
    return JSONResponse(body)


def install(app: FastAPI) -> None:
    """Add the router and the SensorThings-style error bodies (400, 404) to ``app``."""

    async def sta_error(request: Request, exc: Exception) -> JSONResponse:
        code = 404 if isinstance(exc, StaNotFoundError) else 400
        return JSONResponse(
            {"code": code, "type": "error", "message": str(exc), "error": type(exc).__name__,
             "status": code, "request_id": request_id_of(request)},
            status_code=code,
        )  # fmt: skip

    app.add_exception_handler(StaQueryError, sta_error)
    app.add_exception_handler(StaNotFoundError, sta_error)
    app.include_router(router)
