"""
The transactional write of one batch: its ``files`` row, its rows and its quarantine.

The batch has been cast and checked in process (on DuckDB and Arrow); only this last step
talks to the store, through the backend's ``write_batch`` (a DuckDB file, or PostgreSQL with
``COPY``; :mod:`sensors.store`), so every guarantee holds on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from sensors.ingest.result import IngestResult
from sensors.kinds import Adapter


def ensure_table(store: Any, adapter: Adapter) -> None:
    """Create the adapter's output table if no migration made it (idempotent)."""
    store.ensure_table(adapter.table.ddl())


def already_ingested(store: Any, sha: str, kind: str) -> int | None:
    """The ``file_id`` of the batch with these bytes and kind, if it was ingested."""
    row = store.con.execute(
        "SELECT file_id FROM files WHERE sha256 = ? AND kind = ?", [sha, kind]
    ).fetchone()
    return int(row[0]) if row else None


def write_batch(
    store: Any,
    result: IngestResult,
    adapter: Adapter,
    out: pa.Table,
    lines: Any,
    quarantine: list[dict],
    on_write: Callable[[Any, int], None] | None = None,
) -> None:
    """
    Write the ``files`` row, the rows of ``out`` and the quarantine entries in one
    transaction; sets ``result.file_id``. On any error nothing of the batch is kept.
    ``on_write(con, file_id)``, when given, writes more rows in the same transaction (the MQTT
    collector's idempotency keys).

    When another writer stored the same batch meanwhile (PostgreSQL takes concurrent writers),
    nothing is added and ``result`` says ``duplicate_file`` with that batch's ``file_id``.
    """
    from sensors.store import DuplicateBatchError

    if adapter.table.line:
        out = out.append_column("line", pa.array(lines, type=pa.int64()))
    qt = pa.table({
        "line": pa.array([q["line"] for q in quarantine], type=pa.int64()),
        "field": pa.array([q["field"] for q in quarantine], type=pa.string()),
        "reason": pa.array([q["reason"] for q in quarantine], type=pa.string()),
        "raw": pa.array([q["raw"] for q in quarantine], type=pa.string()),
    })  # fmt: skip
    files_row = {
        "path": result.file, "sha256": result.sha256, "kind": result.kind,
        "rows_read": result.rows_read, "accepted": result.accepted, "flagged": result.flagged,
        "quarantined": result.quarantined, "encoding": result.encoding,
        "simulated": result.simulated,
    }  # fmt: skip
    try:
        result.file_id = store.write_batch(
            files_row, adapter.table.name, out, qt,
            replace_key=adapter.replace_key, on_write=on_write,
        )  # fmt: skip
    except DuplicateBatchError:
        prev = already_ingested(store, result.sha256, result.kind)
        result.duplicate_file = True
        result.file_id = prev
        result.rows_read = result.accepted = result.flagged = result.quarantined = 0
        result.messages = [
            f"{result.file}: the same batch was stored meanwhile by another writer (file_id "
            f"{prev}); nothing added."
        ]
