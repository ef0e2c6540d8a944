"""
Errors of the web layer and the one place that turns every error into a JSON response.

Routes never try/except: domain errors (``comfort.errors.ComfortError``,
``sensors.errors.SensorsError``) and the errors below propagate to :func:`install_error_handlers`,
which maps them to an HTTP status by the built-in class they subclass and answers
``{"error": <class name>, "message": <the error's own message>, "status": <code>,
"request_id": <id>}``. A store that cannot be opened (another process holds it, or the file is
unusable) is a 503 with ``Retry-After`` and a message without paths or process ids. Anything
else escapes to :class:`api.middleware.ResponseMiddleware`, the one error boundary: a
generic 500 (:func:`internal_error_body`) with the request id, the traceback in the server log
only.

Errors speak the request's language (``?lang=`` or ``Accept-Language``,
:func:`api.i18n.negotiate`): in Japanese, ``message`` comes from the catalogue
(:data:`ERROR_MESSAGE_KEYS`, texts in ``api.i18n``) and the English detail moves to
``developer_message``. A browser asking for a page that does not exist (``Accept: text/html``,
outside ``/v1``) gets the HTML 404 page in its language; API clients still get JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from comfort.errors import ComfortError
from sensors.errors import SensorsError, StoreError

log = logging.getLogger("kaiteki.api")

#: Seconds a client is asked to wait (``Retry-After``) when the store is busy.
RETRY_AFTER_S = 2


class ApiError(Exception):
    """Base class of the errors raised by the web layer."""


class NotFoundError(ApiError, LookupError):
    """The requested resource (course, place, page) does not exist."""


class NotPreparedError(ApiError, FileNotFoundError):
    """An input the endpoint needs has not been built yet (run ``make prepare``)."""


class StoreBusyError(ApiError, BlockingIOError):
    """Another process holds the store for writing (an ingest, key management): retry soon."""


class AuthError(ApiError, PermissionError):
    """The API key is missing, unknown or revoked."""


class BadRequestError(ApiError, ValueError):
    """A query parameter or body is well-formed JSON but has an unusable value."""


class BatchTooLargeError(ApiError, ValueError):
    """A posted batch has more rows than the per-request limit (HTTP 413)."""


#: What each documented error status means (the ``responses`` of the OpenAPI schema).
ERROR_STATUS_TEXT: dict[int, str] = {
    400: "The request body is not valid JSON.",
    408: "The request headers or body did not arrive in time.",
    401: "API key missing, malformed, unknown or revoked.",
    404: "No such resource (course, place).",
    413: "Request body or batch too large: split it into smaller requests.",
    422: "A parameter or body has an unusable value or the wrong shape.",
    500: "Internal error (details in the server log only, under the request id).",
    503: (
        "An input the endpoint needs has not been built yet (`make prepare`), or the store is "
        "busy with a write by another process (retry after `Retry-After` seconds)."
    ),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """
    OpenAPI ``responses`` for error statuses, all with the :class:`api.schemas.ErrorOut` body.

    Examples
    --------
    >>> sorted(error_responses(404, 422))
    [404, 422]
    """
    from api.schemas import ErrorOut

    return {code: {"model": ErrorOut, "description": ERROR_STATUS_TEXT[code]} for code in codes}


def standard_responses(
    *codes: int, media_types: tuple[str, ...] = ("application/json",)
) -> dict[int | str, dict[str, Any]]:
    """
    OpenAPI ``responses`` of an endpoint that follows another standard's error body
    (SensorThings, NGSI-LD problem details): a JSON object in each of ``media_types``.

    Examples
    --------
    >>> sorted(standard_responses(400, 404))
    [400, 404]
    """
    content = {m: {"schema": {"type": "object"}} for m in media_types}
    text = {**ERROR_STATUS_TEXT, **STANDARD_STATUS_TEXT}
    return {code: {"description": text[code], "content": content} for code in codes}


#: What the statuses mean on the standards' endpoints (SensorThings, NGSI-LD).
STANDARD_STATUS_TEXT: dict[int, str] = {
    400: "A query option, filter or id is not understood (the body says which and why).",
    404: "No such entity.",
}


def status_for(exc: BaseException) -> int:
    """
    HTTP status for an error, by the built-in class it subclasses.

    Examples
    --------
    >>> status_for(NotFoundError("x")), status_for(AuthError("x")), status_for(ValueError("x"))
    (404, 401, 422)
    >>> status_for(BatchTooLargeError("x"))
    413
    """
    if isinstance(exc, BatchTooLargeError):
        return 413
    if isinstance(exc, PermissionError):
        return 401
    if isinstance(exc, (NotPreparedError, StoreBusyError, StoreError)):
        return 503
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, FileNotFoundError):
        return 503
    if isinstance(exc, ValueError):
        return 422
    return 500


#: The message of a store error as a client sees it (the details go to the server log).
STORE_UNAVAILABLE = (
    "the store is busy (another process is writing it) or unavailable; retry in a moment"
)


def error_body(exc: BaseException, status: int, request_id: str | None = None) -> dict[str, object]:
    """
    The JSON body of an error response.

    Examples
    --------
    >>> error_body(NotFoundError("no course 'x'"), 404, "r1")
    {'error': 'NotFoundError', 'message': "no course 'x'", 'status': 404, 'request_id': 'r1'}
    """
    if isinstance(exc, StoreError) and not isinstance(exc, ApiError):
        return {
            "error": "StoreBusyError", "message": STORE_UNAVAILABLE, "status": status,
            "request_id": request_id,
        }  # fmt: skip
    return {"error": type(exc).__name__, "message": str(exc), "status": status,
            "request_id": request_id}  # fmt: skip


def internal_error_body(request_id: str | None) -> dict[str, object]:
    """
    The body of every unexpected-error 500: generic, with the request id to find the log entry.

    Examples
    --------
    >>> internal_error_body("abc")["message"]
    'internal error; the server log has the details under request id abc'
    """
    return {
        "error": "InternalError",
        "message": f"internal error; the server log has the details under request id {request_id}",
        "status": 500,
        "request_id": request_id,
    }


#: The catalogue key (``api.i18n``) of each error code, then of each status.
ERROR_MESSAGE_KEYS: dict[str | int, str] = {
    "NotFoundError": "err_not_found",
    "ValidationError": "err_invalid",
    "BadRequestError": "err_invalid",
    "RoutingError": "err_no_route",
    "NotPreparedError": "err_not_prepared",
    "StoreBusyError": "err_busy",
    "AuthError": "err_auth",
    "BatchTooLargeError": "err_too_large",
    "InternalError": "err_internal",
    400: "err_bad_request",
    401: "err_auth",
    404: "err_not_found",
    413: "err_too_large",
    422: "err_invalid",
    500: "err_internal",
    503: "err_not_prepared",
}


def request_language(request: Request) -> str:
    """``ja`` or ``en`` for a request: ``?lang=``, then ``Accept-Language``, else English."""
    from api.i18n import negotiate

    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def localised(body: dict[str, Any], lang: str) -> dict[str, Any]:
    """
    An error body in ``lang``: in Japanese the catalogue's message, the English one kept in
    ``developer_message``; in English unchanged.

    Examples
    --------
    >>> b = localised({"error": "NotFoundError", "message": "no course 'x'", "status": 404}, "ja")
    >>> b["message"], b["developer_message"]
    ('見つかりません。アドレスを確認してください。', "no course 'x'")
    """
    if lang != "ja":
        return body
    from api.i18n import translator

    key = ERROR_MESSAGE_KEYS.get(str(body.get("error"))) or ERROR_MESSAGE_KEYS.get(
        int(body.get("status") or 500), "err_internal"
    )
    text = translator(lang)(key, request_id=body.get("request_id") or "")
    return {**body, "message": text, "developer_message": body.get("message")}


def wants_html(request: Request) -> bool:
    """Whether a request comes from a browser page (``Accept: text/html``), not an API client."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/v1/")


def request_id_of(request: Request) -> str | None:
    """The id :class:`api.middleware.ResponseMiddleware` gave the request, if any."""
    return getattr(request.state, "request_id", None)


def not_found_page(request: Request) -> Response:
    """The HTML 404 page in the request's language (``api/templates/404.html``)."""
    from api.layout import render

    lang = request_language(request)
    page = render(request, "404.html", lang, active="")
    page.status_code = 404
    return page


def install_error_handlers(app: FastAPI) -> None:
    """
    Register the one handler for domain errors and the JSON form of HTTP and validation
    errors. Unexpected errors are left to the error boundary middleware, which is inside the
    security headers (a handler registered for ``Exception`` would answer outside them).
    """

    async def domain_error(request: Request, exc: Exception) -> Response:
        status = status_for(exc)
        rid = request_id_of(request)
        headers = None
        if status >= 500:
            log.error("%s %s failed [request %s]: %r (cause: %r)", request.method,
                      request.url.path, rid, exc, exc.__cause__)  # fmt: skip
        if status == 503:
            headers = {"Retry-After": str(RETRY_AFTER_S)}
        if status == 404 and wants_html(request):
            return not_found_page(request)
        body = localised(error_body(exc, status, rid), request_language(request))
        return JSONResponse(body, status_code=status, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404 and wants_html(request):
            return not_found_page(request)
        body = {"error": "HTTPError", "message": str(exc.detail), "status": exc.status_code,
                "request_id": request_id_of(request)}  # fmt: skip
        return JSONResponse(
            localised(body, request_language(request)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
            for err in exc.errors()
        ]
        body = {
            "error": "ValidationError",
            "message": "invalid request: " + "; ".join(problems),
            "status": 422,
            "request_id": request_id_of(request),
            "detail": [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
            ],
        }
        return JSONResponse(localised(body, request_language(request)), status_code=422)

    for cls in (ComfortError, SensorsError, ApiError):
        app.add_exception_handler(cls, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
