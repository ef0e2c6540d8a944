"""
``/ngsi-ld/v1``: FIWARE NGSI-LD context information, read-only, over the store
(docs/NGSI_LD.md).

``GET /ngsi-ld/v1/entities?type=WeatherObserved|CrowdFlowObserved`` with ``id``, ``q``,
``attrs``, ``limit`` (≤ 1,000), ``offset``, ``options=keyValues`` and ``count=true``
(``NGSILD-Results-Count`` header), and ``GET /ngsi-ld/v1/entities/{id}``. Bodies are
``application/ld+json`` with each entity's ``@context``; a client asking for
``application/json`` only gets plain JSON with the context in a ``Link`` header. Errors are
NGSI-LD problem details (``BadRequestData`` 400, ``ResourceNotFound`` 404). Simulated data
carries ``simulated: true``; personal kinds are never served.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep
from api.errors import request_id_of, standard_responses
from api.services.ngsi_ld import (
    NgsiNotFoundError,
    NgsiQueryError,
    find_entities,
    get_entity,
    parse_query,
)

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])

LD_JSON = "application/ld+json"
#: Where the kaiteki @context is described (the Link header of application/json answers).
CONTEXT_LINK = (
    "<https://github.com/kaiteki-sapporo/kaiteki/blob/main/sensors/data/ngsi-ld-context.jsonld>; "
    'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def _wants_ld(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return LD_JSON in accept or "application/json" not in accept


#: Content types of the answers: JSON-LD, or plain JSON with the context in a Link header.
_OK = {
    "description": "Successful Response",
    "content": {
        "application/ld+json": {"schema": {}},
        "application/json": {"schema": {}},
    },
}
_ERROR_TYPES = ("application/json", "application/ld+json")


def _answer(body: Any, ld: bool, headers: dict[str, str] | None = None) -> Response:
    headers = dict(headers or {})
    if not ld:
        headers["Link"] = CONTEXT_LINK
    return Response(
        json.dumps(body, ensure_ascii=False, allow_nan=False),
        media_type=LD_JSON if ld else "application/json",
        headers=headers,
    )


@router.get(
    "/entities",
    responses={200: _OK, **standard_responses(400, 503, media_types=_ERROR_TYPES)},
)
async def entities(request: Request, settings: SettingsDep) -> Response:
    """
    Query entities: ``type`` (or ``id``) is required; ``q`` filters on attributes
    (``temperature>25;relativeHumidity<0.6``); paged by ``limit`` and ``offset``.
    """
    query = parse_query(dict(request.query_params))
    ld = _wants_ld(request)
    found, total = await run_in_threadpool(find_entities, settings.store, query, ld)
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else None
    return _answer(found, ld, headers)


@router.get(
    "/entities/{entity_id:path}",
    responses={200: _OK, **standard_responses(400, 404, 503, media_types=_ERROR_TYPES)},
)
async def entity(entity_id: str, request: Request, settings: SettingsDep) -> Response:
    """One entity by id (404 ``ResourceNotFound`` when no reading or count has it)."""
    params = request.query_params
    options = {o.strip() for o in params.get("options", "").split(",")}
    attrs = [a.strip() for a in params.get("attrs", "").split(",") if a.strip()] or None
    found = await run_in_threadpool(
        get_entity, settings.store, entity_id, "keyValues" in options, attrs
    )
    if not _wants_ld(request):
        found.pop("@context", None)
    return _answer(found, _wants_ld(request))


def install(app: FastAPI) -> None:
    """Add the router and the NGSI-LD problem details (400, 404) to ``app``."""

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        missing = isinstance(exc, NgsiNotFoundError)
        code = 404 if missing else 400
        kind = "ResourceNotFound" if missing else "BadRequestData"
        return JSONResponse(
            {"type": ERRORS + kind, "title": kind, "detail": str(exc), "status": code,
             "error": type(exc).__name__, "request_id": request_id_of(request)},
            status_code=code,
        )  # fmt: skip

    app.add_exception_handler(NgsiQueryError, problem)
    app.add_exception_handler(NgsiNotFoundError, problem)
    app.include_router(router)
