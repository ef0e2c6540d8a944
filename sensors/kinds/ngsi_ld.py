"""
FIWARE NGSI-LD entities (docs/NGSI_LD.md): Smart Data Models ``WeatherObserved`` and
``CrowdFlowObserved``, in the normalized or the keyValues form.

A file holds a JSON array of entities, one entity object, or JSON Lines (one entity per line).
The entity type decides the store table: ``WeatherObserved`` → ``readings`` with the thermal QC
(kind ``ngsi-ld-weather``), ``CrowdFlowObserved`` → ``counts`` with the flow QC (kind
``ngsi-ld-crowdflow``); :func:`ingest_ngsi_ld` ingests a file as one or both. An entity of
another type, or one that is not an object, is quarantined with the reason. Attribute names may
be short (``temperature``), prefixed (``kaiteki:utci``) or full URIs; units follow the
``unitCode`` (UN/CEFACT: ``CEL``, ``FAH``, ``KEL``, ``MTS``, ``KMH``, ``P1``).

kaiteki's extension terms (``globeTemperature``, ``meanRadiantTemperature``, ``utci``,
``wbgt``, ``level``, ``simulated``, ``qcFlags``, ``series``, ``statistic``, ``estimated``,
``countingDirection``) live under :data:`KAITEKI_NS`; their @context is
``sensors/data/ngsi-ld-context.jsonld`` (:data:`CONTEXT_FILE`). ``meanRadiantTemperature``,
``utci`` and ``wbgt`` are derived: they are written on export and not stored on ingest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pandas as pd

from sensors.errors import FileFormatError
from sensors.ingest.lines import MAX_RAW_CHARS, check_bytes, clean_text
from sensors.ingest.sources import records_batch
from sensors.kinds import Adapter, register
from sensors.kinds.flow import COUNT_RANGES, COUNTS_TABLE, FLOW, qc_flow
from sensors.kinds.thermal import READING_RANGES, READINGS_TABLE, THERMAL, qc_thermal

if TYPE_CHECKING:
    from sensors.ingest.result import IngestResult
    from sensors.ingest.sources import Batch, Source

#: kaiteki's namespace for the extension terms.
KAITEKI_NS = "https://w3id.org/kaiteki/ngsi-ld#"
#: The @context file of kaiteki's terms, shipped with the package.
CONTEXT_FILE = Path(__file__).resolve().parents[1] / "data" / "ngsi-ld-context.jsonld"
#: The NGSI-LD core context and the Smart Data Models contexts of the two types.
CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
SDM_CONTEXTS = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Weather/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/"
    "context.jsonld",
)

WEATHER = "WeatherObserved"
CROWD_FLOW = "CrowdFlowObserved"
#: Entity type → ingest kind.
KIND_OF_TYPE: dict[str, str] = {WEATHER: "ngsi-ld-weather", CROWD_FLOW: "ngsi-ld-crowdflow"}
#: Smart Data Models required attributes of each type (``location`` may be replaced by
#: ``address`` in WeatherObserved, or by ``refRoadSegment`` in CrowdFlowObserved).
REQUIRED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    WEATHER: ("id", "type", "dateObserved", "location"),
    CROWD_FLOW: ("id", "type", "dateObserved"),
}
#: Derived attributes (written on export, not stored).
DERIVED_ATTRIBUTES = ("meanRadiantTemperature", "utci", "wbgt")

#: URN prefixes of the ids kaiteki writes.
DEVICE_URN = "urn:ngsi-ld:Device:kaiteki:"
ROAD_SEGMENT_URN = "urn:ngsi-ld:RoadSegment:kaiteki:"

#: unitCode → (factor, offset) to the stored unit, per attribute family.
_TEMPERATURE_UNITS = {"CEL": (1.0, 0.0), "FAH": (5 / 9, -32 * 5 / 9), "KEL": (1.0, -273.15)}
_SPEED_UNITS = {"MTS": (1.0, 0.0), "KMH": (1 / 3.6, 0.0), "KNT": (0.514444, 0.0)}
_RATIO_UNITS = {"C62": (100.0, 0.0), "P1": (1.0, 0.0)}  # relativeHumidity → %
_SOLAR_UNITS = {"D54": (1.0, 0.0)}
#: Weather attribute → (thermal column, units, default unitCode).
WEATHER_NUMBERS: dict[str, tuple[str, dict[str, tuple[float, float]], str]] = {
    "temperature": ("air_temp_c", _TEMPERATURE_UNITS, "CEL"),
    "relativeHumidity": ("rel_humidity_pct", _RATIO_UNITS, "C62"),
    "windSpeed": ("wind_speed_m_s", _SPEED_UNITS, "MTS"),
    "globeTemperature": ("globe_temp_c", _TEMPERATURE_UNITS, "CEL"),
    "solarRadiation": ("solar_wm2", _SOLAR_UNITS, "D54"),
}


class EntityError(ValueError):
    """One entity cannot be read (quarantined with this message)."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def short_name(term: str) -> str:
    """
    The short name of an attribute or type: the part after the last ``#``, ``/`` or ``:``.

    Examples
    --------
    >>> short_name("https://w3id.org/kaiteki/ngsi-ld#utci"), short_name("kaiteki:level")
    ('utci', 'level')
    >>> short_name("https://uri.fiware.org/ns/dataModels#WeatherObserved")
    'WeatherObserved'
    """
    for sep in ("#", "/", ":"):
        if sep in term:
            term = term.rsplit(sep, 1)[1]
    return term


def id_part(text: str) -> str:
    """A kaiteki id as one URN segment (percent-encoded, so ``:`` cannot split it)."""
    return quote(str(text), safe="")


def time_part(time: Any) -> str:
    """A timestamp as a compact UTC URN segment (``20220801T010000Z``)."""
    return pd.Timestamp(time).tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")


def weather_id(sensor_id: str, time: Any) -> str:
    """The entity id of the reading of ``sensor_id`` at ``time``."""
    return f"urn:ngsi-ld:{WEATHER}:kaiteki:{id_part(sensor_id)}:{time_part(time)}"


def crowd_flow_id(line_id: str, direction: str, series: str, time: Any) -> str:
    """The entity id of the count of (line, direction, series) from ``time``."""
    parts = ":".join(id_part(x) for x in (line_id, direction, series))
    return f"urn:ngsi-ld:{CROWD_FLOW}:kaiteki:{parts}:{time_part(time)}"


def parse_entity_id(entity_id: str) -> tuple[str, list[str], pd.Timestamp] | None:
    """
    (type, key parts, time) of an id written by :func:`weather_id` / :func:`crowd_flow_id`;
    None for any other id.

    Examples
    --------
    >>> parse_entity_id(weather_id("S 01", "2022-08-01T10:00+09:00"))[:2]
    ('WeatherObserved', ['S 01'])
    >>> parse_entity_id("urn:ngsi-ld:WeatherObserved:Spain-Valladolid") is None
    True
    """
    parts = entity_id.split(":")
    if len(parts) < 6 or parts[:2] != ["urn", "ngsi-ld"] or parts[3] != "kaiteki":
        return None
    etype, keys, stamp = parts[2], parts[4:-1], parts[-1]
    want = {WEATHER: 1, CROWD_FLOW: 3}.get(etype)
    if want != len(keys):
        return None
    try:
        time = pd.Timestamp(stamp)
    except ValueError:
        return None
    if time.tzinfo is None:
        return None
    return etype, [unquote(k) for k in keys], time


def _strip(urn: str, *prefixes: str) -> str:
    for p in prefixes:
        if urn.startswith(p):
            return unquote(urn[len(p) :])
    return urn


def attribute_value(attr: Any) -> Any:
    """
    The value of an attribute in either form: a Property's ``value``, a Relationship's
    ``object``, a GeoProperty's GeoJSON, a typed literal's ``@value``, or the keyValues value.
    For a multi-attribute (a list of instances) the default instance (no ``datasetId``).
    """
    if isinstance(attr, list):
        default = [a for a in attr if isinstance(a, Mapping) and "datasetId" not in a]
        attr = (default or attr or [None])[0]
    if isinstance(attr, Mapping):
        if attr.get("type") == "Relationship" and "object" in attr:
            return attr["object"]
        if attr.get("type") in ("Property", "GeoProperty") and "value" in attr:
            return attribute_value(attr["value"]) if isinstance(attr["value"], Mapping) and (
                "@value" in attr["value"]) else attr["value"]  # fmt: skip
        if "@value" in attr:
            return attr["@value"]
    return attr


def _unit_code(attr: Any) -> str | None:
    if isinstance(attr, list):
        attr = attr[0] if attr else None
    return attr.get("unitCode") if isinstance(attr, Mapping) else None


def _number(attrs: Mapping[str, Any], name: str) -> float | None:
    """A numeric attribute in kaiteki's unit; None when absent."""
    if name not in attrs:
        return None
    value = attribute_value(attrs[name])
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EntityError(name, f"{name} must be a number, got {json.dumps(value)[:60]}")
    _, units, default = WEATHER_NUMBERS.get(name, (name, {"": (1.0, 0.0)}, ""))
    code = _unit_code(attrs[name]) or default
    if code not in units:
        raise EntityError(
            name, f"{name}: unitCode {code!r} is not supported; use one of {sorted(units)}"
        )
    factor, offset = units[code]
    if (factor, offset) == (1.0, 0.0):
        return float(value)
    return round(float(value) * factor + offset, 9)  # no binary noise from the conversion


def _text(attrs: Mapping[str, Any], name: str) -> str | None:
    value = attribute_value(attrs.get(name))
    return None if value is None else str(value)


def _time(attrs: Mapping[str, Any], name: str) -> str | None:
    value = _text(attrs, name)
    if value is not None and "/" in value and name == "dateObserved":
        value = value.split("/", 1)[0]  # an ISO 8601 interval: its start
    return value


def _point(attrs: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """(lat, lon) of a GeoJSON Point ``location``; (None, None) when absent."""
    geo = attribute_value(attrs.get("location"))
    if geo is None:
        return None, None
    coords = geo.get("coordinates") if isinstance(geo, Mapping) else None
    if (
        not isinstance(geo, Mapping) or geo.get("type") != "Point" or not isinstance(coords, list)
        or len(coords) < 2 or not all(isinstance(c, int | float) for c in coords[:2])
    ):  # fmt: skip
        raise EntityError(
            "location", "location must be a GeoJSON Point {type: Point, coordinates: [lon, lat]}"
        )
    return float(coords[1]), float(coords[0])


def _flag(attrs: Mapping[str, Any], name: str) -> bool:
    value = attribute_value(attrs.get(name))
    return value is True or (isinstance(value, str) and value.lower() == "true")


def weather_record(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A WeatherObserved entity as a thermal record (:data:`sensors.kinds.thermal.THERMAL`)."""
    attrs = {short_name(k): v for k, v in entity.items()}
    device = _text(attrs, "refDevice")
    sensor = (
        _strip(device, DEVICE_URN, "urn:ngsi-ld:Device:")
        if device
        else _strip(str(entity.get("id", "")), f"urn:ngsi-ld:{WEATHER}:")
    )
    lat, lon = _point(attrs)
    level = _number(attrs, "level")
    record: dict[str, Any] = {
        "time": _time(attrs, "dateObserved"),
        "sensor_id": sensor or None,
        "lat": lat,
        "lon": lon,
        "level": None if level is None else level,
        "simulated": _flag(attrs, "simulated"),
    }
    for name, (column, _, _) in WEATHER_NUMBERS.items():
        record[column] = _number(attrs, name)
    return record


def crowd_flow_record(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A CrowdFlowObserved entity as a flow record (:data:`sensors.kinds.flow.FLOW`)."""
    attrs = {short_name(k): v for k, v in entity.items()}
    start = _text(attrs, "dateObservedFrom")
    end = _text(attrs, "dateObservedTo")
    observed = _text(attrs, "dateObserved")
    if (start is None or end is None) and observed and "/" in observed:
        start, end = (start or observed.split("/", 1)[0]), (end or observed.split("/", 1)[1])
    if start is None or end is None:
        raise EntityError(
            "dateObservedFrom",
            "a CrowdFlowObserved needs dateObservedFrom and dateObservedTo (or dateObserved as "
            "an ISO 8601 interval start/end)",
        )
    try:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    except ValueError:
        raise EntityError(
            "dateObservedFrom", f"dateObservedFrom/To are not ISO 8601 times: {start!r}, {end!r}"
        ) from None
    if t0.tzinfo is None or t1.tzinfo is None:
        t0, t1 = t0.tz_localize(None), t1.tz_localize(None)
    minutes = (t1 - t0).total_seconds() / 60
    if minutes != int(minutes):
        raise EntityError(
            "dateObservedTo",
            f"the interval {start} .. {end} is not a whole number of minutes; kaiteki stores "
            "counts per whole-minute interval",
        )
    segment = _text(attrs, "refRoadSegment")
    line = _text(attrs, "countingLine")
    if line is None:
        line = (
            _strip(segment, ROAD_SEGMENT_URN, "urn:ngsi-ld:RoadSegment:")
            if segment
            else _strip(str(entity.get("id", "")), f"urn:ngsi-ld:{CROWD_FLOW}:")
        )
    direction = _text(attrs, "countingDirection") or _text(attrs, "direction") or "both"
    count = _number(attrs, "peopleCount")
    if count is None and "peopleCount" not in attrs:
        raise EntityError("peopleCount", "a CrowdFlowObserved needs peopleCount (people)")
    return {
        "time": start,
        "line_id": line or None,
        "direction": direction,
        "interval_min": int(minutes),
        "count": count,
        "statistic": _text(attrs, "statistic") or "total",
        "series": _text(attrs, "series") or "ngsi-ld",
        "estimated": _flag(attrs, "estimated"),
        "simulated": _flag(attrs, "simulated"),
    }


def load_entities(data: bytes, name: str) -> list[tuple[int, Any, str]]:
    """
    The entities of a file as (position, entity, raw text): a JSON array, one object (an
    ``@graph`` is unwrapped), or JSON Lines. The position is the 1-based index in the array,
    or the line number of JSON Lines.

    Raises
    ------
    FileFormatError
        The file is neither JSON nor JSON Lines.
    """
    enc = check_bytes(data, name)
    text = data.decode("cp932" if enc == "cp932" else "utf-8-sig", "replace")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) < 2:
            raise FileFormatError(
                f"{name}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                "expected a JSON array of NGSI-LD entities, one entity, or JSON Lines."
            ) from None
        out: list[tuple[int, Any, str]] = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((i, json.loads(line), line))
            except json.JSONDecodeError as err:
                out.append((i, EntityError(None, f"invalid JSON: {err.msg}"), line))
        return out
    if isinstance(doc, Mapping) and isinstance(doc.get("@graph"), list):
        doc = doc["@graph"]
    items = doc if isinstance(doc, list) else [doc]
    return [(i, e, json.dumps(e, ensure_ascii=False)) for i, e in enumerate(items, start=1)]


def entity_type(entity: Any) -> str | None:
    """The short type of an entity (None when it has none)."""
    if not isinstance(entity, Mapping):
        return None
    t = entity.get("type", entity.get("@type"))
    if isinstance(t, list):
        t = next((x for x in t if isinstance(x, str) and short_name(x) in KIND_OF_TYPE), None)
    return short_name(t) if isinstance(t, str) else None


def _owner_of_others(types: set[str | None]) -> str:
    """The type whose kind quarantines the entities of no known type (so they count once)."""
    return WEATHER if WEATHER in types or CROWD_FLOW not in types else CROWD_FLOW


def _reader(etype: str) -> Any:
    to_record = weather_record if etype == WEATHER else crowd_flow_record
    spec = THERMAL if etype == WEATHER else FLOW

    def read(src: Source) -> Batch:
        name = src.path.name
        entities = load_entities(src.data, name)
        types = {entity_type(e) for _, e, _ in entities}
        owner = _owner_of_others(types) == etype
        records: list[dict[str, Any]] = []
        lines: list[int] = []
        problems: list[dict[str, Any]] = []
        raws: dict[int, str] = {}
        for pos, entity, raw in entities:
            raws[pos] = clean_text(raw[:MAX_RAW_CHARS])
            found = entity_type(entity)
            if found not in KIND_OF_TYPE:
                if owner:
                    reason = (
                        str(entity) if isinstance(entity, EntityError)
                        else "not a JSON object" if not isinstance(entity, Mapping)
                        else f"entity type {found!r} is not read; expected {WEATHER} or "
                        f"{CROWD_FLOW}"
                    )  # fmt: skip
                    problems.append({"line": pos, "field": "type", "reason": reason,
                                     "raw": raws[pos]})  # fmt: skip
                continue
            if found != etype:
                continue
            try:
                records.append(to_record(entity))
                lines.append(pos)
            except EntityError as exc:
                problems.append({"line": pos, "field": exc.field, "reason": str(exc),
                                 "raw": raws[pos]})  # fmt: skip
        batch = records_batch(
            src.store, records, spec, name, str(src.path), src.sha256, src.rules, lines,
            problems, raws.get,
        )  # fmt: skip
        batch.encoding = "json"
        return batch

    return read


WEATHER_ADAPTER = register(
    Adapter(
        kind=KIND_OF_TYPE[WEATHER],
        description="NGSI-LD WeatherObserved entities (JSON) → readings",
        spec=THERMAL,
        table=READINGS_TABLE,
        qc=qc_thermal,
        ranges=READING_RANGES,
        reader=_reader(WEATHER),
    )
)
CROWD_FLOW_ADAPTER = register(
    Adapter(
        kind=KIND_OF_TYPE[CROWD_FLOW],
        description="NGSI-LD CrowdFlowObserved entities (JSON) → counts",
        spec=FLOW,
        table=COUNTS_TABLE,
        qc=qc_flow,
        ranges=COUNT_RANGES,
        reader=_reader(CROWD_FLOW),
    )
)


def ingest_ngsi_ld(
    store: Any,
    path: str | Path,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
) -> list[IngestResult]:
    """
    Ingest an NGSI-LD file: its WeatherObserved entities into ``readings`` and its
    CrowdFlowObserved entities into ``counts``, each with its kind's QC, in one transaction
    per type. Entities of other types are quarantined (once) with the reason.

    Returns
    -------
    list of IngestResult
        One per entity type present (``ngsi-ld-weather`` first); one result when the file has
        no entity of either type (all quarantined).

    Raises
    ------
    FileFormatError
        The file is missing, or neither JSON nor JSON Lines.
    """
    from sensors.ingest import ingest_file

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such file; check the path.")
    types = {entity_type(e) for _, e, _ in load_entities(p.read_bytes(), p.name)}
    wanted = [t for t in (WEATHER, CROWD_FLOW) if t in types] or [_owner_of_others(types)]
    return [
        ingest_file(store, KIND_OF_TYPE[t], p, area=area, pseudonym_key=pseudonym_key)
        for t in wanted
    ]
