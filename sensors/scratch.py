"""
A reusable in-memory store per thread, emptied after each use: where ``POST /v1/<kind>`` runs
a batch through the ingest pipeline to answer with its QC before the batch is queued.

Opening an in-memory :class:`~sensors.store.Store` runs every migration (about a quarter of a
second); a batch of 100 rows takes milliseconds. So each thread keeps one, and after every use
each data table is emptied (``schema_version`` stays): the next batch sees a store as new. A
store that cannot be emptied is dropped and the next use opens a fresh one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sensors.store import Store

__all__ = ["scratch_store"]

#: Tables that describe the schema rather than hold data: kept when a scratch store is emptied.
_SCHEMA_TABLES = frozenset({"schema_version"})

_local = threading.local()


@contextmanager
def scratch_store() -> Iterator[Store]:
    """
    This thread's in-memory store, empty, for the length of the ``with`` block.

    Examples
    --------
    >>> with scratch_store() as s:
    ...     _ = s.con.execute("INSERT INTO page_views VALUES (DATE '2022-01-20', '/map', 3, false)")
    >>> with scratch_store() as s:
    ...     s.con.execute("SELECT count(*) FROM page_views").fetchone()[0]
    0
    """
    store: Store | None = getattr(_local, "store", None)
    if store is None:
        store = Store(":memory:")
        _local.store = store
    try:
        yield store
    finally:
        try:
            _empty(store)
        except Exception:
            _local.store = None
            store.close()
            raise


def _empty(store: Store) -> None:
    """Delete every row of every data table (a transaction left open is rolled back first)."""
    con = store.con
    try:
        con.execute("ROLLBACK")
    except Exception:  # no transaction open: the usual case
        pass
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
    ).fetchall()
    for (name,) in tables:
        if name not in _SCHEMA_TABLES:
            con.execute(f'DELETE FROM "{name}"')
