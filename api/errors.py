"""
Errors of the web layer and the one place that turns every error into a JSON response.

Routes never try/except: domain errors (``comfort.errors.ComfortError``,
``sensors.errors.SensorsError``) and the errors below propagate to :func:`install_error_handlers`,
which maps them to an HTTP status by the built-in class they subclass and answers
``{"error": <class name>, "message": <the error's own message>, "status": <code>}``. Anything
else becomes a 500 with a generic message; the traceback goes to the server log, never to the
client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from comfort.errors import ComfortError
from sensors.errors import SensorsError

log = logging.getLogger("kaiteki.api")


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
    401: "API key missing, malformed, unknown or revoked.",
    404: "No such resource (course, place).",
    413: "Request body or batch too large: split it into smaller requests.",
    422: "A parameter or body has an unusable value or the wrong shape.",
    500: "Internal error (details in the server log only).",
    503: (
        "An input the endpoint needs has not been built yet (`make prepare`), or the store is "
        "busy with a write by another process (retry in a moment)."
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
    if isinstance(exc, (NotPreparedError, StoreBusyError)):
        return 503
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, FileNotFoundError):
        return 503
    if isinstance(exc, ValueError):
        return 422
    return 500


def error_body(exc: BaseException, status: int) -> dict[str, object]:
    """The JSON body of an error response."""
    return {"error": type(exc).__name__, "message": str(exc), "status": status}


def install_error_handlers(app: FastAPI) -> None:
    """Register the one handler for domain errors and a catch-all that hides tracebacks."""

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(exc, status), status_code=status)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s: unexpected error", request.method, request.url.path)
        return JSONResponse(
            {
                "error": "InternalError",
                "message": "internal error; the server log has the details",
                "status": 500,
            },
            status_code=500,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"error": "HTTPError", "message": str(exc.detail), "status": exc.status_code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
            for err in exc.errors()
        ]
        return JSONResponse(
            {
                "error": "ValidationError",
                "message": "invalid request: " + "; ".join(problems),
                "status": 422,
                "detail": [
                    {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
                ],
            },
            status_code=422,
        )

    for cls in (ComfortError, SensorsError, ApiError):
        app.add_exception_handler(cls, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
