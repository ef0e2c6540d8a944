"""
Dependencies of the routes, as ``Annotated`` aliases (FastAPI's "bigger applications" style).

- :data:`SettingsDep`: the settings (``api.settings.get_settings``; tests override it with
  ``app.dependency_overrides[get_settings]``).
- :data:`ResourcesDep`: the app's inputs (:class:`api.resources.Resources`, made in
  :func:`api.app.create_app`), from an ``async`` dependency (no hop to a worker thread).
- :data:`LangDep`: ``ja`` or ``en`` from ``?lang=`` or ``Accept-Language``.
- :data:`ApiKeyDep`: the id of a valid API key from ``X-API-Key`` (or ``Authorization: Bearer``),
  checked by :class:`api.middleware.IngestAuthMiddleware` before the body is read.
- :data:`IngestDep`: the app's ingest machinery (:class:`IngestContext`: key cache, spool,
  writer, cached store snapshots).

No dependency opens the store for writing: writes go through the spool (``api.spool``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query, Request

from api.auth import KeyCache
from api.errors import AuthError
from api.i18n import negotiate
from api.resources import Resources
from api.settings import Settings, get_settings
from api.snapshot import StoreSnapshot
from api.spool import Spool
from api.writer import SpoolWriter

SettingsDep = Annotated[Settings, Depends(get_settings)]


def app_resources_of(request: Request) -> Resources:
    """The app's :class:`api.resources.Resources` (``app.state.resources``)."""
    res: Resources = request.app.state.resources
    return res


async def app_resources(request: Request) -> Resources:
    """The app's :class:`api.resources.Resources` (``app.state.resources``)."""
    return app_resources_of(request)


ResourcesDep = Annotated[Resources, Depends(app_resources)]


#: ``?lang=``: the language of the answer's sentences and names (:data:`LangDep` negotiates).
LangQuery = Annotated[Literal["ja", "en"] | None, Query(description="Language: ja or en.")]


def request_language(request: Request, lang: str | None) -> str:
    """``ja`` or ``en``: ``?lang=`` first, then ``Accept-Language``, else English."""
    return negotiate(lang, request.headers.get("accept-language"))


async def language(request: Request, lang: LangQuery = None) -> str:
    """``ja`` or ``en``: ``?lang=`` first, then ``Accept-Language``, else English."""
    return request_language(request, lang)


LangDep = Annotated[str, Depends(language)]


def secret_from_headers(x_api_key: str | None, authorization: str | None) -> str:
    """
    The key sent in ``X-API-Key`` or ``Authorization: Bearer``.

    Raises
    ------
    AuthError
        Neither header carries a key.
    """
    secret = x_api_key
    if secret is None and authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:].strip()
    if not secret:
        raise AuthError(
            "an API key is required: send it in the X-API-Key header; create one with "
            "`kaiteki keys create NAME`"
        )
    return secret


def _read_registry(store: Any) -> Any:
    return store.con.execute("SELECT * FROM sensors").df()


def _read_digests(store: Any) -> frozenset[tuple[str, str]]:
    rows = store.con.execute("SELECT kind, sha256 FROM files").fetchall()
    return frozenset((str(k), str(d)) for k, d in rows)


@dataclass
class IngestContext:
    """
    What the write endpoints share in one app: the key cache, the spool and its writer, and
    snapshots of the store's sensor registry (for QC) and of the digests of stored batches.
    """

    settings: Settings
    keys: KeyCache
    spool: Spool
    writer: SpoolWriter
    registry: StoreSnapshot[Any]
    digests: StoreSnapshot[frozenset[tuple[str, str]]]

    @classmethod
    def create(cls, settings: Settings) -> IngestContext:
        """The machinery of an app on ``settings`` (the writer thread not started yet)."""
        import pandas as pd

        keys = KeyCache(settings.store, settings.key_refresh_s, settings.key_recheck_s)
        age = max(settings.key_refresh_s, 1.0)
        return cls(
            settings=settings, keys=keys, spool=Spool(settings.spool_dir),
            writer=SpoolWriter(settings, keys),
            registry=StoreSnapshot(settings.store, _read_registry, pd.DataFrame(), age * 6),
            digests=StoreSnapshot(settings.store, _read_digests, frozenset(), age),
        )  # fmt: skip

    def warm(self) -> None:
        """Read the snapshots once, waiting while the store is busy (at app start)."""
        from api import resources
        from sensors.errors import SensorsError

        for snap in (self.keys.snapshot, self.registry, self.digests):
            snap.refresh(wait_s=self.settings.store_wait_s)
        try:  # the planning area of the QC outside-area test (built once, cached on disk)
            resources.planning_area()
        except SensorsError:
            pass


def ingest_context(request: Request) -> IngestContext:
    """The app's :class:`IngestContext` (made in :func:`api.app.create_app`)."""
    ctx: IngestContext = request.app.state.ingest
    return ctx


IngestDep = Annotated[IngestContext, Depends(ingest_context)]


def api_key(
    request: Request,
    ingest: IngestDep,
    x_api_key: Annotated[
        str | None, Header(description="API key from `kaiteki keys create`.")
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """
    The id of the API key presented with the request (checked by the auth middleware before
    the body was read; checked here when the route is reached without it).

    Raises
    ------
    AuthError
        No key, an unknown key or a revoked key (HTTP 401).
    """
    key_id = getattr(request.state, "api_key_id", None)
    if key_id is not None:
        return str(key_id)
    return ingest.keys.verify(secret_from_headers(x_api_key, authorization))


ApiKeyDep = Annotated[str, Depends(api_key)]
