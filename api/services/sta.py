"""
The SensorThings and NGSI-LD read services: the store opened read-only per request and the
entity catalog (:func:`sensors.sta.catalog.build_catalog`) kept while the store file is
unchanged.

A request reads the store read-only (retried briefly while another process writes it; 503
beyond, as :func:`api.services.kpi.read_store`); a store that does not exist yet answers empty
collections. The catalog is rebuilt when the store changes, so a new sensor appears with its
first reading: for a DuckDB file, when the file or its write-ahead log changes (size and
modification time); for PostgreSQL, which has no file to look at, when the ``files`` table
(one row per ingested file, API batch or collector batch) gains or loses a row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from api.services.kpi import read_store
from sensors.store import Store, is_postgres_url

_T = TypeVar("_T")

_lock = threading.Lock()
_catalogs: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _file_state(path: Path) -> tuple[Any, ...]:
    out: list[Any] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [None, None]
    return tuple(out)


def _store_state(store: Store, store_path: Path) -> tuple[Any, ...]:
    if not is_postgres_url(store_path):
        return _file_state(store_path)
    row = store.con.execute("SELECT count(*), max(file_id) FROM files").fetchone()
    return tuple(row) if row is not None else (None, None)


def catalog_of(store: Store, store_path: Path) -> Any:
    """The catalog of the open store, rebuilt only when the store changed."""
    from sensors.sta.catalog import build_catalog

    key, state = str(store_path), _store_state(store, store_path)
    with _lock:
        hit = _catalogs.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]
    catalog = build_catalog(store)
    with _lock:
        _catalogs[key] = (state, catalog)
    return catalog


def with_store(store_path: Path, read: Callable[[Store], _T]) -> _T:
    """``read(store)`` on the store opened read-only; on an empty in-memory store when the file
    does not exist yet or has no schema."""

    def empty() -> _T:
        with Store(":memory:") as mem:
            return read(mem)

    sentinel: Any = object()
    got = read_store(store_path, read, sentinel)
    return empty() if got is sentinel else got


def sta_answer(store_path: Path, base_url: str, path: str, params: dict[str, str]) -> Any:
    """The JSON body of ``GET /sta/v1.1/<path>`` (:func:`sensors.sta.query.answer`)."""
    from sensors.sta.query import Engine, answer

    def read(store: Store) -> Any:
        catalog = (
            catalog_of(store, store_path) if store.path != ":memory:" else _empty_catalog(store)
        )
        return answer(Engine(store, catalog, base_url), path, params)

    return with_store(store_path, read)


def _empty_catalog(store: Store) -> Any:
    from sensors.sta.catalog import build_catalog

    return build_catalog(store)


def clear() -> None:
    """Forget the cached catalogs (tests)."""
    with _lock:
        _catalogs.clear()
