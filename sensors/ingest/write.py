"""The transactional write of one batch: its ``files`` row, its rows and its quarantine."""

from __future__ import annotations

import uuid
from typing import Any

import pyarrow as pa

from sensors.ingest.result import IngestResult
from sensors.kinds import Adapter


def ensure_table(store: Any, adapter: Adapter) -> None:
    """Create the adapter's output table if no migration made it (idempotent)."""
    store.con.execute(adapter.table.ddl())


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
) -> None:
    """
    Write the ``files`` row, the rows of ``out`` and the quarantine entries in one
    transaction; sets ``result.file_id``. On any error nothing of the batch is kept.
    """
    con = store.con
    table = adapter.table
    view = f"batch_{uuid.uuid4().hex[:12]}"
    if table.line:
        out = out.append_column("line", pa.array(lines, type=pa.int64()))
    # DuckDB scans a table whose columns share one chunk layout about twice as fast (the
    # typed columns come in DuckDB's chunks, the flags and lines in one piece)
    out = out.combine_chunks()
    con.register(view, out)
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "INSERT INTO files (path, sha256, kind, rows_read, accepted, flagged, quarantined, "
            "encoding, simulated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING file_id",
            [result.file, result.sha256, result.kind, result.rows_read, result.accepted,
             result.flagged, result.quarantined, result.encoding, result.simulated],
        ).fetchone()  # fmt: skip
        assert row is not None
        file_id = int(row[0])
        names = ", ".join(out.column_names)
        if adapter.replace_key is not None:
            key = adapter.replace_key
            con.execute(f"DELETE FROM {table.name} WHERE {key} IN (SELECT {key} FROM {view})")
        con.execute(
            f"INSERT INTO {table.name} ({names}, file_id) SELECT {names}, ? FROM {view}",
            [file_id],
        )
        if quarantine:
            qt = pa.table({
                "line": pa.array([q["line"] for q in quarantine], type=pa.int64()),
                "field": pa.array([q["field"] for q in quarantine], type=pa.string()),
                "reason": pa.array([q["reason"] for q in quarantine], type=pa.string()),
                "raw": pa.array([q["raw"] for q in quarantine], type=pa.string()),
            })  # fmt: skip
            qv = f"q_{uuid.uuid4().hex[:12]}"
            con.register(qv, qt)
            try:
                con.execute(
                    "INSERT INTO quarantine (file_id, line, field, reason, raw) "
                    f"SELECT ?, line, field, reason, raw FROM {qv}",
                    [file_id],
                )
            finally:
                con.unregister(qv)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(view)
    result.file_id = file_id
