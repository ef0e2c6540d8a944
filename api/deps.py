"""
Dependencies of the routes, as ``Annotated`` aliases (FastAPI's "bigger applications" style).

- :data:`SettingsDep`: the settings (``api.settings.get_settings``; tests override it with
  ``app.dependency_overrides[get_settings]``).
- :data:`LangDep`: ``ja`` or ``en`` from ``?lang=`` or ``Accept-Language``.
- :data:`ApiKeyDep`: the id of a valid API key from ``X-API-Key`` (or ``Authorization: Bearer``).
- :data:`StoreDep`: the DuckDB store, opened for the request and closed after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api import auth
from api.errors import AuthError
from api.i18n import negotiate
from api.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


def language(
    request: Request,
    lang: Annotated[str | None, Query(description="Language: ja or en.")] = None,
) -> str:
    """``ja`` or ``en``: ``?lang=`` first, then ``Accept-Language``, else English."""
    return negotiate(lang, request.headers.get("accept-language"))


LangDep = Annotated[str, Depends(language)]


def api_key(
    settings: SettingsDep,
    x_api_key: Annotated[
        str | None, Header(description="API key from `kaiteki keys create`.")
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """
    The id of the API key presented with the request.

    Raises
    ------
    AuthError
        No key, an unknown key or a revoked key (HTTP 401).
    """
    secret = x_api_key
    if secret is None and authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:].strip()
    if not secret:
        raise AuthError(
            "an API key is required: send it in the X-API-Key header; create one with "
            "`kaiteki keys create NAME`"
        )
    return auth.verify_key(settings.store, secret)


ApiKeyDep = Annotated[str, Depends(api_key)]


def store(settings: SettingsDep) -> Iterator[object]:
    """The DuckDB store for one request (opened, migrated, closed afterwards)."""
    from sensors.store import Store

    s = Store(settings.store)
    try:
        yield s
    finally:
        close = getattr(s, "close", None)
        if close is not None:
            close()


StoreDep = Annotated[object, Depends(store)]
