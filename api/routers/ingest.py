"""
``POST /v1/readings|counts|steps|survey``: JSON batches through the same adapters and QC as
``kaiteki ingest``; an API key is required; the response gives each row's outcome.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api import resources
from api.deps import ApiKeyDep, SettingsDep
from api.errors import BadRequestError, BatchTooLargeError
from api.schemas import IngestOut

router = APIRouter(prefix="/v1", tags=["ingest"])

_EXAMPLE = [
    {
        "time": "2022-07-20T14:00:00+09:00",
        "sensor_id": "kit-01",
        "lat": 43.0605,
        "lon": 141.3521,
        "air_temp_c": 27.4,
        "rel_humidity_pct": 61,
        "wind_speed_ms": 1.8,
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


def _ingest(kind: str, records: list[dict[str, Any]], settings: Any, key_id: str) -> dict:
    from sensors.ingest import ingest_records
    from sensors.store import Store

    if not records:
        raise BadRequestError(f"the {kind} batch is empty; send a JSON list of row objects")
    if len(records) > settings.max_batch_rows:
        raise BatchTooLargeError(
            f"the {kind} batch has {len(records):,} rows; at most {settings.max_batch_rows:,} "
            "rows are taken per request (KAITEKI_MAX_BATCH_ROWS). Split the batch into smaller "
            "requests, or ingest large files with `kaiteki ingest`."
        )
    with Store(settings.store) as store:
        result = ingest_records(
            store,
            kind,
            records,
            source=f"api:POST /v1/{kind} key={key_id}",
            area=resources.planning_area(),
            pseudonym_key=settings.pseudonym_key,
        )
    return {
        "kind": kind,
        "rows_read": result.rows_read,
        "accepted": result.accepted,
        "flagged": result.flagged,
        "quarantined": result.quarantined,
        "duplicate_batch": result.duplicate_file,
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
def post_readings(records: Records, settings: SettingsDep, key_id: ApiKeyDep) -> dict:
    """Thermal readings (air, humidity, wind, globe temperature) with QC flags per row."""
    return _ingest("readings", records, settings, key_id)


@router.post("/counts", response_model=IngestOut)
def post_counts(records: Records, settings: SettingsDep, key_id: ApiKeyDep) -> dict:
    """People counts per counting line, interval and direction."""
    return _ingest("counts", records, settings, key_id)


@router.post("/steps", response_model=IngestOut)
def post_steps(records: Records, settings: SettingsDep, key_id: ApiKeyDep) -> dict:
    """Participants' steps (ids pseudonymised at ingest; raw ids never stored)."""
    return _ingest("steps", records, settings, key_id)


@router.post("/survey", response_model=IngestOut)
def post_survey(records: Records, settings: SettingsDep, key_id: ApiKeyDep) -> dict:
    """Questionnaire responses (thermal sensation, comfort vote, ...)."""
    return _ingest("survey", records, settings, key_id)
