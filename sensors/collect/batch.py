"""
One micro-batch of MQTT messages → the store, in one transaction, exactly once.

:func:`commit_batch` decodes every message (:mod:`sensors.collect.formats`), drops the parts
whose idempotency key the store already holds (a redelivery after a crash, a publisher's
retry), merges the rest into records and ingests them with the same adapters and QC as file
ingest (:func:`sensors.ingest.ingest_records`). The keys go into ``collect_keys`` and refused
messages into ``collect_rejects`` inside the batch's own transaction: either the rows and their
keys are stored, or neither is (on either backend: a DuckDB file, or PostgreSQL where the rows
and keys are written with ``COPY``). The caller acknowledges the messages to the broker only after
this returns, so a crash at any moment loses nothing that was acknowledged and a redelivery
adds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from sensors.collect.errors import MessageError
from sensors.collect.formats import Part, decode, digest, required_fields
from sensors.errors import FileFormatError, IngestError
from sensors.store import COLLECT_TABLES_SQL

#: Characters of a refused payload kept in ``collect_rejects.raw``.
MAX_RAW_CHARS = 2_000


@dataclass(frozen=True)
class Received:
    """One message as it came from the broker."""

    topic: str
    payload: bytes
    received_at: datetime


@dataclass
class BatchReport:
    """What one micro-batch did: messages in, rows stored/flagged/quarantined, refusals."""

    messages: int = 0
    stored: int = 0
    flagged: int = 0
    quarantined: int = 0
    rejected: int = 0
    duplicates: int = 0
    file_id: int | None = None
    notes: list[str] = field(default_factory=list)


def ensure_tables(store: Any) -> None:
    """Create ``collect_keys`` and ``collect_rejects`` when no migration made them."""
    store.con.execute(COLLECT_TABLES_SQL)


def _known(store: Any, table: str, keys: Sequence[str]) -> set[str]:
    """The ``keys`` already in ``table`` (``collect_keys`` or ``collect_rejects``)."""
    if not keys:
        return set()
    unique = sorted(set(keys))
    hit = store.existing_keys(table, pa.table({"key": pa.array(unique, type=pa.string())}))
    return {unique[int(i)] for i in hit}


def _reject_row(msg: Received, reason: str) -> dict[str, Any]:
    sha = hashlib.sha256(msg.payload).hexdigest()
    raw = msg.payload[: MAX_RAW_CHARS * 4].decode("utf-8", "backslashreplace")[:MAX_RAW_CHARS]
    return {
        "key": digest("reject", msg.topic, sha),
        "topic": msg.topic.encode("utf-8", "backslashreplace").decode("utf-8"),
        "payload_sha256": sha,
        "payload_bytes": len(msg.payload),
        "reason": reason,
        "raw": raw,
        "received_at": msg.received_at,
    }


def _insert(con: Any, table: str, rows: list[dict[str, Any]], *, skip_stored: bool = False) -> None:
    """
    Append ``rows`` to ``table`` in the transaction open on ``con`` (the store's DuckDB
    connection, or its PostgreSQL one, which copies them with ``COPY``); ``skip_stored`` leaves
    out rows whose key is already stored.
    """
    if not rows:
        return
    cols = list(rows[0])
    data = pa.table({c: [r[c] for r in rows] for c in cols})
    if hasattr(con, "copy_rows"):  # sensors.storage.postgres.PgConnection
        con.copy_rows(table, data, skip_stored=skip_stored)
        return
    view = f"r_{uuid.uuid4().hex[:12]}"
    con.register(view, data)
    try:
        names = ", ".join(cols)
        extra = " ON CONFLICT DO NOTHING" if skip_stored else ""
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}{extra}")
    finally:
        con.unregister(view)


@contextlib.contextmanager
def _transaction(store: Any) -> Iterator[Any]:
    """One transaction on the store (either backend); yields the connection to write on."""
    if getattr(store, "backend", "duckdb") == "postgresql":
        with store.transaction() as con:
            yield con
        return
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def commit_batch(
    store: Any,
    messages: Sequence[Received],
    *,
    kind: str,
    fmt: str,
    mapping: Mapping[str, Any] | None = None,
    source: str = "mqtt",
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    refused: Sequence[dict[str, Any]] = (),
) -> BatchReport:
    """
    Store one micro-batch exactly once (see the module docstring).

    Parameters
    ----------
    store
        The open :class:`sensors.store.Store` (read-write).
    messages
        The batch, in arrival order.
    kind
        ``thermal``, ``flow`` or ``dwell``.
    fmt
        ``kaiteki``, ``ttn`` or ``sensorthings``.
    mapping
        The TTN or SensorThings mapping (:func:`sensors.collect.formats.load_mapping`).
    source
        Label recorded as the batch's ``files.path`` (e.g. ``"mqtt:kaiteki/thermal/#"``).
    area, pseudonym_key
        As in :func:`sensors.ingest.ingest_records`.
    refused
        Messages already refused (rows of ``collect_rejects``), written with the batch.

    Returns
    -------
    BatchReport
    """
    from sensors.ingest import ingest_records

    ensure_tables(store)
    report = BatchReport(messages=len(messages))
    rejects: dict[str, dict[str, Any]] = {r["key"]: r for r in refused}
    decoded: list[tuple[Received, list[Part]]] = []
    for msg in messages:
        try:
            decoded.append((msg, decode(fmt, kind, msg.topic, msg.payload, mapping)))
        except MessageError as exc:
            row = _reject_row(msg, str(exc))
            rejects.setdefault(row["key"], row)
    known = _known(store, "collect_keys", [p.key for _, parts in decoded for p in parts])
    known_rejects = _known(store, "collect_rejects", list(rejects))
    reject_rows = [r for k, r in rejects.items() if k not in known_rejects]
    # merge the new parts into records, in arrival order
    records: list[dict[str, Any]] = []
    by_merge: dict[str, int] = {}
    key_rows: list[dict[str, Any]] = []
    for msg, parts in decoded:
        sha = hashlib.sha256(msg.payload).hexdigest()
        for part in parts:
            if part.key in known:
                report.duplicates += 1
                continue
            known.add(part.key)
            i = by_merge.get(part.merge)
            if i is None:
                i = by_merge[part.merge] = len(records)
                records.append(dict(part.fields))
            else:
                records[i].update(part.fields)
            key_rows.append({
                "key": part.key, "kind": kind, "topic": msg.topic, "payload_sha256": sha,
                "line": i + 1, "received_at": msg.received_at,
            })  # fmt: skip

    def write_keys(con: Any, file_id: int) -> None:
        _insert(con, "collect_keys", [{**k, "file_id": file_id} for k in key_rows])
        _insert(con, "collect_rejects", reject_rows, skip_stored=True)

    report.rejected = len(reject_rows)
    if records:
        for name in required_fields(kind):
            records[0].setdefault(name, None)
        try:
            res = ingest_records(
                store, kind, records, source, area=area, pseudonym_key=pseudonym_key,
                on_write=write_keys, row_outcomes=False,
            )  # fmt: skip
        except (IngestError, FileFormatError) as exc:
            if len(messages) == 1:  # this message alone cannot be ingested: refuse it
                return commit_batch(
                    store, [], kind=kind, fmt=fmt, refused=[_reject_row(messages[0], str(exc))]
                )
            return _one_by_one(store, messages, kind=kind, fmt=fmt, mapping=mapping,
                               source=source, area=area, pseudonym_key=pseudonym_key)  # fmt: skip
        report.file_id = res.file_id
        report.stored, report.flagged = res.accepted, res.flagged
        report.quarantined = res.quarantined
        report.notes = list(res.messages)
    elif reject_rows:
        with _transaction(store) as con:
            _insert(con, "collect_rejects", reject_rows, skip_stored=True)
    return report


def _one_by_one(store: Any, messages: Sequence[Received], **kw: Any) -> BatchReport:
    """A batch the ingest refused as a whole, committed one message at a time."""
    total = BatchReport(messages=len(messages))
    for msg in messages:
        r = commit_batch(store, [msg], **kw)
        total.stored += r.stored
        total.flagged += r.flagged
        total.quarantined += r.quarantined
        total.rejected += r.rejected
        total.duplicates += r.duplicates
        total.file_id = r.file_id if r.file_id is not None else total.file_id
        total.notes.extend(r.notes)
    return total


def collector_quarantine(store: Any) -> Any:
    """
    Everything the collector did not store as a clean row, one frame: refused messages
    (``collect_rejects``) and rows the ingest QC quarantined (``quarantine`` joined to their
    message's topic and payload digest). Columns: ``topic``, ``payload_sha256``, ``reason``,
    ``field``, ``raw``, ``received_at``. The store may be open read-only once the collector
    has run.
    """
    if not store.read_only:
        ensure_tables(store)
    return store.query(
        "SELECT topic, payload_sha256, reason, NULL AS field, raw, received_at "
        "FROM collect_rejects UNION ALL "
        "SELECT k.topic, k.payload_sha256, q.reason, q.field, q.raw, k.received_at "
        "FROM quarantine q JOIN collect_keys k ON k.file_id = q.file_id AND k.line = q.line "
        "ORDER BY received_at"
    )


def now_utc() -> datetime:
    """The current time (UTC), as stamped on received messages."""
    return datetime.now(UTC)
