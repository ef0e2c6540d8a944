"""
NGSI-LD export (docs/NGSI_LD.md): readings as Smart Data Models ``WeatherObserved`` entities and
counts as ``CrowdFlowObserved`` entities, in a JSON array (normalized form, each entity with
its ``@context``), staged like every export; the metadata (units, sources, simulated) goes into
a sidecar ``<file>.json``.

The same functions build the entities ``GET /ngsi-ld/v1/entities`` answers, in the normalized
or the keyValues form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.qcflags import QCFlag
from sensors.errors import ExportError
from sensors.export.kinds import ExportResult, Progress, sidecar_path
from sensors.export.metadata import export_metadata
from sensors.export.staging import staged
from sensors.export.timestamps import check_time_range
from sensors.kinds.ngsi_ld import (
    CONTEXT_FILE,
    CORE_CONTEXT,
    CROWD_FLOW,
    DEVICE_URN,
    ROAD_SEGMENT_URN,
    SDM_CONTEXTS,
    WEATHER,
    crowd_flow_id,
    id_part,
    weather_id,
)

if TYPE_CHECKING:
    from sensors.store import Store

#: Export kind → entity type.
TYPE_OF_KIND: dict[str, str] = {"readings": WEATHER, "counts": CROWD_FLOW}
#: Height of the kits' anemometer (m) used to bring wind to 10 m for UTCI.
WIND_HEIGHT_M = 1.5
#: Smart Data Models ``direction`` values; other directions go to ``countingDirection``.
SDM_DIRECTIONS = ("inbound", "outbound")


@cache
def kaiteki_context() -> dict[str, Any]:
    """kaiteki's extension terms (the ``@context`` of :data:`CONTEXT_FILE`)."""
    return dict(json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"])


def context() -> list[Any]:
    """The ``@context`` of an entity: the Smart Data Models contexts, kaiteki's terms inline
    (no download needed to expand them), then the NGSI-LD core context."""
    return [*SDM_CONTEXTS, kaiteki_context(), CORE_CONTEXT]


def iso_utc(time: Any) -> str:
    """
    A timestamp as ISO 8601 in UTC with ``Z``.

    Examples
    --------
    >>> iso_utc(pd.Timestamp("2022-08-01 10:00", tz="Asia/Tokyo"))
    '2022-08-01T01:00:00Z'
    """
    return pd.Timestamp(time).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _prop(value: Any, key_values: bool, unit: str | None = None, at: str | None = None) -> Any:
    if key_values:
        return value
    out: dict[str, Any] = {"type": "Property", "value": value}
    if unit:
        out["unitCode"] = unit
    if at:
        out["observedAt"] = at
    return out


def _datetime(value: str, key_values: bool) -> Any:
    return value if key_values else {"type": "Property",
                                     "value": {"@type": "DateTime", "@value": value}}  # fmt: skip


def _rel(urn: str, key_values: bool) -> Any:
    return urn if key_values else {"type": "Relationship", "object": urn}


def _num(x: Any) -> float | int | None:
    if x is None or pd.isna(x):
        return None
    f = float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def derived_indices(frame: pd.DataFrame) -> dict[str, npt.NDArray[np.float64]]:
    """Mean radiant temperature, UTCI and WBGT (°C) of readings; NaN where undefined."""
    from comfort import indices

    ta = frame["air_temp_c"].to_numpy(dtype=np.float64, na_value=np.nan)
    tg = frame["globe_temp_c"].to_numpy(dtype=np.float64, na_value=np.nan)
    va = frame["wind_speed_m_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    rh = frame["rel_humidity_pct"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(all="ignore"):
        mrt = indices.mean_radiant_temperature(tg, ta, np.clip(va, 0.0, None))
        u = indices.utci(ta, mrt, indices.wind_speed_at_10m(va, WIND_HEIGHT_M), rh)
        wbgt = indices.wbgt_outdoor(ta, tg, rh, va)
    return {"meanRadiantTemperature": mrt, "utci": u, "wbgt": wbgt}


def weather_entities(
    frame: pd.DataFrame, key_values: bool = False, with_context: bool = True
) -> Iterator[dict[str, Any]]:
    """
    ``WeatherObserved`` entities of readings (:meth:`sensors.store.Store.readings` columns).

    Relative humidity is written as a fraction (0–1, unitCode ``C62``) as Smart Data Models
    define it; temperatures in °C (``CEL``), wind in m/s (``MTS``), solar radiation in W/m²
    (``D54``).
    """
    derived = derived_indices(frame)
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    for i in range(len(frame)):
        t = cols["time"][i]
        at = iso_utc(t)
        sid = str(cols["sensor_id"][i])
        e: dict[str, Any] = {"id": weather_id(sid, t), "type": WEATHER,
                             "dateObserved": _datetime(at, key_values)}  # fmt: skip
        lat, lon = _num(cols["lat"][i]), _num(cols["lon"][i])
        if lat is not None and lon is not None:
            geo = {"type": "Point", "coordinates": [lon, lat]}
            e["location"] = geo if key_values else {"type": "GeoProperty", "value": geo}
        e["refDevice"] = _rel(DEVICE_URN + id_part(sid), key_values)
        values: list[tuple[str, Any, str]] = [
            ("temperature", cols["air_temp_c"][i], "CEL"),
            ("relativeHumidity", None if pd.isna(cols["rel_humidity_pct"][i])
             else float(cols["rel_humidity_pct"][i]) / 100.0, "C62"),
            ("windSpeed", cols["wind_speed_m_s"][i], "MTS"),
            ("solarRadiation", cols["solar_wm2"][i], "D54"),
            ("globeTemperature", cols["globe_temp_c"][i], "CEL"),
            *((name, arr[i], "CEL") for name, arr in derived.items()),
        ]  # fmt: skip
        for name, value, unit in values:
            v = _num(value)
            if v is not None:
                e[name] = _prop(v, key_values, unit, at)
        level = _num(cols["level"][i]) if "level" in cols else None
        if level is not None:
            e["level"] = _prop(level, key_values)
        e["simulated"] = _prop(bool(cols["simulated"][i]), key_values)
        e["qcFlags"] = _prop(int(cols["qc_flags"][i]), key_values)
        if with_context:
            e["@context"] = context()
        yield e


def crowd_flow_entities(
    frame: pd.DataFrame, key_values: bool = False, with_context: bool = True
) -> Iterator[dict[str, Any]]:
    """``CrowdFlowObserved`` entities of counts (:meth:`sensors.store.Store.counts` columns)."""
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    for i in range(len(frame)):
        t0 = pd.Timestamp(cols["time"][i])
        t1 = t0 + pd.Timedelta(minutes=int(cols["interval_min"][i]))
        a, b = iso_utc(t0), iso_utc(t1)
        line, direction, series = (str(cols[c][i]) for c in ("line_id", "direction", "series"))
        e: dict[str, Any] = {
            "id": crowd_flow_id(line, direction, series, t0), "type": CROWD_FLOW,
            "dateObserved": _prop(f"{a}/{b}", key_values),
            "dateObservedFrom": _datetime(a, key_values),
            "dateObservedTo": _datetime(b, key_values),
        }  # fmt: skip
        count = _num(cols["count"][i])
        if count is not None:
            e["peopleCount"] = _prop(count, key_values, None, b)
        e["refRoadSegment"] = _rel(ROAD_SEGMENT_URN + id_part(line), key_values)
        if direction in SDM_DIRECTIONS:
            e["direction"] = _prop(direction, key_values)
        else:
            e["countingDirection"] = _prop(direction, key_values)
        flags = int(cols["qc_flags"][i])
        e["series"] = _prop(series, key_values)
        e["statistic"] = _prop(str(cols["statistic"][i]), key_values)
        e["estimated"] = _prop(bool(flags & QCFlag.ESTIMATED), key_values)
        e["simulated"] = _prop(bool(cols["simulated"][i]), key_values)
        e["qcFlags"] = _prop(flags, key_values)
        if with_context:
            e["@context"] = context()
        yield e


def entities(
    kind: str, frame: pd.DataFrame, key_values: bool = False, with_context: bool = True
) -> Iterator[dict[str, Any]]:
    """The entities of a ``readings`` or ``counts`` frame."""
    build = weather_entities if kind == "readings" else crowd_flow_entities
    return build(frame, key_values, with_context)


def export_ngsi_ld(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    progress: Progress | None = None,
    chunk_rows: int = 10_000,
) -> ExportResult:
    """
    Export ``readings`` or ``counts`` as a JSON array of NGSI-LD entities (normalized form).

    The file and its metadata sidecar are staged and renamed over their targets only when
    complete.

    Raises
    ------
    ExportError
        ``kind`` is neither readings nor counts, or times lie outside 1900..2100.
    """
    from sensors.export.tables import store_table

    if kind not in TYPE_OF_KIND:
        raise ExportError(
            f"cannot export {kind} as ngsi-ld: only readings (WeatherObserved) and counts "
            "(CrowdFlowObserved) have NGSI-LD entity types. Choose another --format."
        )
    frame, sources = store_table(store, kind, start, end)
    check_time_range(frame, kind)
    path = Path(path)
    meta = export_metadata(
        frame, kind, "ngsi-ld", sources=sources,
        extra={"entity_type": TYPE_OF_KIND[kind], "ngsi_ld_form": "normalized",
               "filter": {"start": None if start is None else str(start),
                          "end": None if end is None else str(end)}},
    )  # fmt: skip
    sidecar = sidecar_path(path)
    total = len(frame)
    with staged(path, sidecar) as (tmp, tmp_meta):
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write("[")
            for n, entity in enumerate(entities(kind, frame)):
                fh.write(",\n" if n else "\n")
                fh.write(json.dumps(entity, ensure_ascii=False))
                if progress and (n + 1) % chunk_rows == 0:
                    progress(n + 1, total)
            fh.write("\n]\n")
        if progress:
            progress(total, total)
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return ExportResult(path, kind, "ngsi-ld", total, meta, sidecar)
