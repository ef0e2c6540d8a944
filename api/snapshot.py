"""
Store snapshots: small tables the request path needs (API key digests, the sensor registry,
the digests of stored batches), read from the store read-only and kept in memory.

A request never waits on the store for them: a snapshot older than its ``max_age_s`` is read
again by one thread while the others keep using the previous value, and a store that is busy
(another process writing it) or missing keeps the previous value too. Only a snapshot that has
never been read and cannot be read raises :class:`api.errors.StoreBusyError` (HTTP 503).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import duckdb

from api.errors import StoreBusyError
from sensors.errors import StoreError
from sensors.store import Store, is_busy_error, is_postgres_url

log = logging.getLogger("kaiteki.api")

T = TypeVar("T")

#: How long (s) the one request that re-reads a snapshot waits while the store is busy (the
#: server's writer holds it for a moment); the other requests use the previous value meanwhile.
REQUEST_WAIT_S = 0.5


class StoreSnapshot(Generic[T]):
    """
    A value computed from the store opened read-only, re-read at most every ``max_age_s``.

    Parameters
    ----------
    store_path
        The store file; a missing file gives ``empty``.
    read
        Computes the value from the open store (schema present).
    empty
        The value of a store that does not exist yet or has no schema.
    max_age_s
        Age (s) after which :meth:`get` reads the store again.
    """

    def __init__(
        self, store_path: Path | str, read: Callable[[Store], T], empty: T, max_age_s: float
    ) -> None:
        self.store_path = Path(store_path)
        self._read = read
        self._empty = empty
        self.max_age_s = max_age_s
        self._value: T = empty
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        #: Number of times the store was opened (tests check that floods do not reach it).
        self.reads = 0

    @property
    def loaded(self) -> bool:
        """Whether the store has been read at least once."""
        return self._loaded_at is not None

    def age_s(self) -> float:
        """Seconds since the last successful read (infinite before the first)."""
        return float("inf") if self._loaded_at is None else time.monotonic() - self._loaded_at

    def refresh(self, wait_s: float = 0.0) -> bool:
        """
        Read the store now (one thread at a time); False when it is busy (value kept).

        Parameters
        ----------
        wait_s
            How long to retry while another process holds the store.
        """
        with self._lock:
            return self._refresh_locked(wait_s)

    def _refresh_locked(self, wait_s: float) -> bool:
        self.reads += 1
        try:
            if not (is_postgres_url(self.store_path) or self.store_path.exists()):
                value = self._empty
            else:
                with Store(self.store_path, read_only=True, wait_s=wait_s) as store:
                    value = self._empty if store.schema_version() == 0 else self._read(store)
        except (StoreError, duckdb.Error) as exc:
            if not is_busy_error(exc):
                log.warning("store snapshot not refreshed: %r (cause %r)", exc, exc.__cause__)
            return False
        self._value = value
        self._loaded_at = time.monotonic()
        return True

    def get(self, max_age_s: float | None = None) -> T:
        """
        The value, read again first when older than ``max_age_s`` (default: the snapshot's)
        unless another thread is reading it right now.

        Raises
        ------
        StoreBusyError
            The store has never been read and is busy now (HTTP 503).
        """
        limit = self.max_age_s if max_age_s is None else max_age_s
        if self.age_s() > limit:
            if not self.loaded:
                with self._lock:
                    if not self.loaded and not self._refresh_locked(REQUEST_WAIT_S):
                        raise StoreBusyError(
                            "the store is busy (another process is writing it); retry in a moment"
                        )
            elif self._lock.acquire(blocking=False):
                try:
                    if self.age_s() > limit:
                        self._refresh_locked(REQUEST_WAIT_S)
                finally:
                    self._lock.release()
        return self._value
