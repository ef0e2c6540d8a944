"""
``POST /v1/readings|counts|steps|survey``: JSON batches through the same adapters and QC as
``kaiteki ingest``; an API key is required; the response gives each row's outcome.

With a PostgreSQL store (``KAITEKI_STORE=postgresql://...``) the batch is committed in the
request, in one transaction: PostgreSQL takes many writers. With the DuckDB file (the default)
no request writes the store. A batch is validated by ``sensors.ingest.ingest_records`` on a
throw-away in-memory store seeded with a cached snapshot of the sensor registry, then durably
queued in the spool (``api.spool``); the store's one writer (``api.writer``, or
``kaiteki ingest``) commits it within seconds, once. ``accepted`` therefore means "validated and
durably queued". A batch already queued or stored answers ``duplicate_batch``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Body

from api import resources
from api.deps import ApiKeyDep, IngestContext, IngestDep
from api.errors import BadRequestError, BatchTooLargeError
from api.schemas import IngestOut
from sensors.store import is_postgres_url

router = APIRouter(prefix="/v1", tags=["ingest"])

_EXAMPLE = [
    {
        "time": "2022-07-20T14:00:00+09:00",
        "sensor_id": "kit-01",
        "lat": 43.0605,
        "lon": 141.3521,
        "air_temp_c": 27.4,
        "rel_humidity_pct": 61,
        "wind_speed_m_s": 1.8,
        "globe_temp_c": 35.2,
    }
]

Records = Annotated[
    list[dict[str, Any]],
    Body(
        description=(
            "One JSON object per row, fields as in docs/DATA_FORMATS.md; at most "
            "KAITEKI_MAX_BATCH_ROWS rows (default 10,000) per request."
        ),
        examples=[_EXAMPLE],
    ),
]


#: The write endpoints (authenticated by :class:`api.middleware.IngestAuthMiddleware`).
WRITE_PATHS = frozenset({"/v1/readings", "/v1/counts", "/v1/steps", "/v1/survey"})


def _check_values(kind: str, records: list[dict[str, Any]]) -> None:
    """
    Refuse what no row may hold, naming row and field: text that is not valid Unicode (a lone
    surrogate such as ``\\ud800``) and non-finite numbers (``NaN``, ``Infinity``).
    """
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            continue
        for name, value in record.items():
            for text, where in ((name, "field name"), (value, f"field {name!r}")):
                if isinstance(text, str):
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError:
                        raise BadRequestError(
                            f"row {i} of the {kind} batch: the {where} is not valid UTF-8 text "
                            "(it holds a lone surrogate such as \\ud800); send real characters"
                        ) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise BadRequestError(
                    f"row {i} of the {kind} batch: field {name!r} is {value}; numbers must be "
                    "finite. Send null for a missing value"
                )


def _validate(kind: str, records: list[dict[str, Any]], ctx: IngestContext, source: str) -> Any:
    """``ingest_records`` on this thread's scratch store, seeded with the registry snapshot."""
    from sensors.ingest import ingest_records
    from sensors.scratch import scratch_store

    registry = ctx.registry.get() if kind == "readings" else None
    with scratch_store() as mem:
        if registry is not None and len(registry):
            mem.con.register("registry_snapshot", registry)
            mem.con.execute("INSERT INTO sensors SELECT * FROM registry_snapshot")
            mem.con.unregister("registry_snapshot")
        return ingest_records(
            mem, kind, records, source=source, area=resources.planning_area(),
            pseudonym_key=ctx.settings.pseudonym_key,
        )  # fmt: skip


def _write_now(kind: str, records: list[dict[str, Any]], ctx: IngestContext, source: str) -> dict:
    """
    A PostgreSQL store takes concurrent writers: the batch is committed in this request, in one
    transaction (``accepted`` then means stored). A lost server is a 503 with Retry-After
    (nothing of the batch kept); the same batch stored by another request is a duplicate.
    """
    from sensors.ingest import ingest_records
    from sensors.store import Store

    with Store(ctx.settings.store) as store:
        result = ingest_records(
            store, kind, records, source=source, area=resources.planning_area(),
            pseudonym_key=ctx.settings.pseudonym_key,
        )  # fmt: skip
    if result.duplicate_file:
        return _duplicate(kind, source)
    return _answer(kind, result, queued=False)


def _duplicate(kind: str, source: str) -> dict:
    return {
        "kind": kind, "rows_read": 0, "accepted": 0, "flagged": 0, "quarantined": 0,
        "duplicate_batch": True, "queued": False, "rows": [],
        "messages": [f"{source}: this exact batch was already received; nothing added."],
    }  # fmt: skip


def _ingest(kind: str, records: list[dict[str, Any]], ctx: IngestContext, key_id: str) -> dict:
    settings = ctx.settings
    if not records:
        raise BadRequestError(f"the {kind} batch is empty; send a JSON list of row objects")
    if len(records) > settings.max_batch_rows:
        raise BatchTooLargeError(
            f"the {kind} batch has {len(records):,} rows; at most {settings.max_batch_rows:,} "
            "rows are taken per request (KAITEKI_MAX_BATCH_ROWS). Split the batch into smaller "
            "requests, or ingest large files with `kaiteki ingest`."
        )
    _check_values(kind, records)
    source = f"api:POST /v1/{kind} key={key_id}"
    if is_postgres_url(settings.store):
        return _write_now(kind, records, ctx, source)
    result = _validate(kind, records, ctx, source)
    if result.duplicate_file or (result.kind, result.sha256) in ctx.digests.get():
        return _duplicate(kind, source)
    entry = {"kind": kind, "source": source, "records": records}
    if not ctx.spool.put_batch(result.kind, result.sha256, entry):
        return _duplicate(kind, source)
    ctx.writer.wake()
    return _answer(kind, result, queued=True)


def _answer(kind: str, result: Any, *, queued: bool) -> dict:
    return {
        "kind": kind,
        "rows_read": result.rows_read,
        "accepted": result.accepted,
        "flagged": result.flagged,
        "quarantined": result.quarantined,
        "duplicate_batch": False,
        "queued": queued,
        "messages": result.messages,
        "rows": [
            {
                "row": r.index,
                "status": r.status,
                "flags": r.flags,
                "reason": None if r.reason is None else f"{r.field or ''}: {r.reason}".lstrip(": "),
            }
            for r in (result.rows or [])
        ],
    }


@router.post("/readings", response_model=IngestOut)
def post_readings(records: Records, ingest: IngestDep, key_id: ApiKeyDep) -> dict:
    """Thermal readings (air, humidity, wind, globe temperature) with QC flags per row."""
    return _ingest("readings", records, ingest, key_id)


@router.post("/counts", response_model=IngestOut)
def post_counts(records: Records, ingest: IngestDep, key_id: ApiKeyDep) -> dict:
    """People counts per counting line, interval and direction."""
    return _ingest("counts", records, ingest, key_id)


@router.post("/steps", response_model=IngestOut)
def post_steps(records: Records, ingest: IngestDep, key_id: ApiKeyDep) -> dict:
    """Participants' steps (ids pseudonymised at ingest; raw ids never stored)."""
    return _ingest("steps", records, ingest, key_id)


@router.post("/survey", response_model=IngestOut)
def post_survey(records: Records, ingest: IngestDep, key_id: ApiKeyDep) -> dict:
    """Questionnaire responses (thermal sensation, comfort vote, ...)."""
    return _ingest("survey", records, ingest, key_id)
