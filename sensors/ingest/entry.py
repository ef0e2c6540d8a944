"""
The entry points: a file (``kaiteki ingest KIND FILE``) or in-memory records (the web API).

Both look the kind up in :mod:`sensors.kinds`, read the source into a typed batch
(:mod:`sensors.ingest.sources`, or the adapter's own reader), and hand it to
:func:`sensors.ingest.pipeline.finish`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sensors import kinds, qc
from sensors.errors import FileFormatError, IngestError
from sensors.ingest.casting import CastRules
from sensors.ingest.pipeline import Context, finish
from sensors.ingest.privacy import require_key
from sensors.ingest.result import IngestResult
from sensors.ingest.sources import Source, read_table, records_batch
from sensors.ingest.write import already_ingested, ensure_table
from sensors.kinds import Adapter


def _now_us() -> int:
    return int(time.time() * 1e6)


def _rules(adapter: Adapter, now_us: int) -> CastRules:
    """Cast rules of a kind: whole-number columns must fit their SQL type."""
    int_types = {
        adapter.source_column(c): adapter.table.sql_type(c)
        for c in adapter.table.names
        if adapter.spec.col(adapter.source_column(c)).type in ("int", "double")
    }
    return CastRules.at(now_us, int_types)


def _context(area: Any, area_buffer_m: float, key: str | bytes | None, now_us: int) -> Context:
    area_wgs84 = qc.area_in_wgs84(area, buffer_m=area_buffer_m) if area is not None else None
    return Context(now_us=now_us, area_wgs84=area_wgs84, pseudonym_key=key)


def ingest_file(
    store: Any,
    kind: str,
    path: str | Path,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    area_buffer_m: float = 100.0,
) -> IngestResult:
    """
    Ingest one file into the store, in one transaction.

    Parameters
    ----------
    store
        The open :class:`sensors.store.Store`.
    kind
        A registered kind (:func:`sensors.kinds.kinds`): ``thermal`` (CSV or ``.jsonl``),
        ``sensors`` (registry CSV), ``flow`` / ``dwell`` (CSV), ``mesh`` (MLIT GeoJSON),
        ``steps`` (Fitbit or kaiteki CSV), ``survey`` (CSV), ``weather`` / ``chikaho`` (the
        Sapporo daily file).
    path
        The file.
    area
        Planning area (GeoDataFrame/GeoSeries or a shapely polygon in EPSG:6680) for the
        outside-area test; skipped when None.
    pseudonym_key
        Secret key for pseudonyms (required for the personal kinds ``steps`` and ``survey``).
    area_buffer_m
        Tolerance around the area (m).

    Returns
    -------
    IngestResult
        Counts and messages; ``duplicate_file`` when the same bytes were already ingested as
        this kind (nothing is added then).

    Raises
    ------
    FileFormatError, EncodingError
        The file is rejected as a whole (empty, binary, undecodable, missing columns); nothing
        is stored.
    IngestError
        Unknown kind, or a personal kind (``steps``, ``survey``) without a pseudonym key.
    """
    adapter = kinds.get(kind)
    require_key(adapter, pseudonym_key)
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file; check the path.")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    ensure_table(store, adapter)
    prev = already_ingested(store, sha, kind)
    if prev is not None:
        return IngestResult(
            file=str(path), kind=kind, sha256=sha, duplicate_file=True, file_id=prev,
            messages=[f"{path.name}: already ingested as {kind} (file_id {prev}); nothing added."],
        )  # fmt: skip
    now_us = _now_us()
    ctx = _context(area, area_buffer_m, pseudonym_key, now_us)
    src = Source(store, path, data, sha, adapter.spec, _rules(adapter, now_us))
    del data
    batch = (adapter.reader or read_table)(src)
    src.data = b""
    return finish(store, batch, adapter, ctx, want_rows=False)


def ingest_records(
    store: Any,
    kind: str,
    records: Sequence[Mapping[str, Any]],
    source: str,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    area_buffer_m: float = 100.0,
    on_write: Callable[[Any, int], None] | None = None,
    row_outcomes: bool = True,
) -> IngestResult:
    """
    Ingest in-memory records (the web API's ``POST /v1/readings|counts|steps|survey``).

    The batch is one transaction and is recorded in ``files`` with ``path = source`` and the
    SHA-256 of the canonical JSON of ``records``: posting the identical batch again adds
    nothing (``duplicate_file``). A record with text that is not valid Unicode (a lone
    surrogate) or longer than 32 KB is quarantined with the reason.

    Parameters
    ----------
    store
        The open store.
    kind
        ``readings`` (or ``thermal``), ``counts`` (or ``flow``), ``dwell``, ``steps``,
        ``survey`` or ``sensors`` (any name of :func:`sensors.kinds.record_kinds`).
    records
        One dict per row with the fields of docs/DATA_FORMATS.md (values may be numbers,
        strings, booleans or None).
    source
        Label recorded as the batch's path, e.g. ``"api:POST /v1/readings"``.
    area, pseudonym_key, area_buffer_m
        As in :func:`ingest_file`.
    on_write
        Called as ``on_write(con, file_id)`` inside the batch's transaction, to write more rows
        atomically with it (the MQTT collector's idempotency keys); not called for a duplicate.
    row_outcomes
        Fill ``rows`` with one outcome per record (False: leave it empty, for callers that
        read the quarantine table instead, like the MQTT collector).

    Returns
    -------
    IngestResult
        With ``rows``: one :class:`RowOutcome` per record (index, status, flags, field,
        reason).

    Raises
    ------
    IngestError
        Unknown kind, records not a list of objects, nested too deeply, or steps without a key.
    FileFormatError
        A required field is absent from every record.
    """
    names = kinds.record_kinds()
    if kind not in names:
        raise IngestError(f"unknown record kind {kind!r}; expected one of {list(names)}.")
    adapter = kinds.get(names[kind])
    require_key(adapter, pseudonym_key)
    if not isinstance(records, Sequence) or not all(isinstance(r, Mapping) for r in records):
        raise IngestError(f"{source}: expected a list of JSON objects (one per row).")
    sha = _records_sha256(records, source)
    ensure_table(store, adapter)
    prev = already_ingested(store, sha, adapter.kind)
    if prev is not None:
        return IngestResult(
            file=source, kind=adapter.kind, sha256=sha, duplicate_file=True, file_id=prev,
            rows=[], messages=[f"{source}: this exact batch was already ingested (file_id "
                               f"{prev}); nothing added."],
        )  # fmt: skip
    if not records:
        raise IngestError(f"{source}: the batch is empty; send at least one record.")
    now_us = _now_us()
    ctx = _context(area, area_buffer_m, pseudonym_key, now_us)
    ctx.on_write = on_write
    batch = records_batch(
        store, records, adapter.spec, source, source, sha, _rules(adapter, now_us)
    )
    batch.encoding = "json"
    return finish(store, batch, adapter, ctx, want_rows=row_outcomes)


def _records_sha256(records: Sequence[Mapping[str, Any]], source: str) -> str:
    """
    SHA-256 of the canonical JSON of ``records`` (lone surrogates kept as such, so a batch
    with them has a digest; its rows are quarantined later).

    Raises
    ------
    IngestError
        A record nests deeper than Python can serialise.
    """
    try:
        canon = json.dumps(list(records), sort_keys=True, ensure_ascii=False, default=str)
    except RecursionError:
        raise IngestError(
            f"{source}: a record is nested too deeply; send flat objects (field: value)."
        ) from None
    except TypeError as exc:  # keys that cannot be sorted or serialised
        raise IngestError(
            f"{source}: records must be JSON objects with text keys ({exc})."
        ) from None
    return hashlib.sha256(canon.encode("utf-8", "surrogatepass")).hexdigest()


def read_text_records(text: str) -> list[dict[str, Any]]:
    """Parse CSV text (header + rows) into dict records, e.g. for an API upload."""
    return list(csv.DictReader(io.StringIO(text)))
