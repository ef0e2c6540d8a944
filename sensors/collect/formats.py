"""
MQTT message bodies → reading parts, each with its idempotency key (docs/LIVE.md "Formats").

Three formats:

- ``kaiteki``: a JSON object with the fields of the kind (docs/DATA_FORMATS.md), or a list of
  them, e.g. ``{"time": "2026-07-01T14:00:00+09:00", "sensor_id": "S01", "air_temp_c": 28.4,
  ...}``;
- ``ttn``: The Things Stack uplink (``end_device_ids.device_id``, ``received_at``,
  ``uplink_message.decoded_payload``), the payload fields renamed by a mapping file
  (``sensors/data/ttn_mapping.json`` by default);
- ``sensorthings``: SensorThings MQTT observations on ``v1.1/Datastreams(ID)/Observations``
  with ``phenomenonTime`` and ``result``; the datastream id says which sensor and variable by a
  mapping file.

Every part carries a **key**: a digest of the reading's identity (kind, sensor or line/zone,
series, time normalised to UTC; for SensorThings the datastream and time). A redelivered or
republished message has the same keys and so adds nothing. A message that cannot become
readings raises :class:`MessageError` with the reason; the collector quarantines it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sensors import kinds
from sensors.collect.errors import MappingError, MessageError
from sensors.readers import alias_map, normalise_name

FORMATS: tuple[str, ...] = ("kaiteki", "ttn", "sensorthings")

#: Kinds the collector accepts (their record fields: docs/DATA_FORMATS.md).
COLLECT_KINDS: tuple[str, ...] = ("thermal", "flow", "dwell")

#: Largest message body accepted (bytes); larger ones are quarantined unread.
MAX_PAYLOAD_BYTES = 256 * 1024

#: Most readings in one ``kaiteki`` message (a list).
MAX_RECORDS_PER_MESSAGE = 1_000

#: Deepest JSON nesting accepted (a TTN uplink needs 4).
MAX_DEPTH = 8

#: Fields that, with the time, identify one reading of a kind (its idempotency key).
IDENTITY: dict[str, tuple[str, ...]] = {
    "thermal": ("sensor_id",),
    "flow": ("line_id", "direction", "series", "statistic"),
    "dwell": ("zone_id", "series"),
}

#: The default TTN mapping file.
TTN_MAPPING = Path(__file__).resolve().parent.parent / "data" / "ttn_mapping.json"

_TZ = ZoneInfo("Asia/Tokyo")
_STA_TOPIC = re.compile(r"(?:^|/)Datastreams\(\s*'?([^)']+?)'?\s*\)/Observations$")


@dataclass(frozen=True)
class Part:
    """
    One reading (or, for SensorThings, one variable of a reading) decoded from a message.

    ``merge`` groups parts that form one stored row (SensorThings observations of one sensor
    and time); for the other formats it equals ``key``.
    """

    key: str
    merge: str
    fields: dict[str, Any]


def digest(*parts: Any) -> str:
    """
    A short stable digest (hex, 32 characters) of parts (text as is, others by ``repr``).

    Examples
    --------
    >>> len(digest("thermal", "S01", "2026-07-01T05:00:00+00:00"))
    32
    >>> digest("thermal", "S01") == digest("thermal", "S02")
    False
    """
    text = "\x1f".join(p if isinstance(p, str) else repr(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normal_time(value: Any) -> str:
    """
    A time as UTC ISO text for keys (a naive time is Asia/Tokyo); other values as ``raw:...``.

    Examples
    --------
    >>> normal_time("2026-07-01T14:00:00+09:00") == normal_time("2026-07-01T05:00:00Z")
    True
    >>> normal_time("2026-07-01 14:00")
    '2026-07-01T05:00:00+00:00'
    """
    if isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip())
        except ValueError:
            return f"raw:{value}"
        if t.tzinfo is None:
            t = t.replace(tzinfo=_TZ)
        return t.astimezone(UTC).isoformat()
    return f"raw:{value!r}"


def reading_key(kind: str, record: Mapping[str, Any]) -> str:
    """The idempotency key of one record of ``kind``: its identity fields and normal time."""
    ident = [record.get(f) for f in IDENTITY[kind]]
    return digest(kind, *ident, normal_time(record.get("time")))


def parse_json(payload: bytes) -> Any:
    """
    The JSON value of a message body.

    Raises
    ------
    MessageError
        Too large, not UTF-8, not JSON, NaN/Infinity, or nested deeper than :data:`MAX_DEPTH`.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MessageError(
            f"payload of {len(payload):,} bytes exceeds {MAX_PAYLOAD_BYTES:,}; send one reading "
            "or a short list per message."
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(
            f"payload is not UTF-8 text (byte {exc.start}); send UTF-8 JSON."
        ) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MessageError("JSON nested too deeply; send flat objects.") from None
    except MessageError:
        raise
    except ValueError as exc:
        raise MessageError(f"payload is not valid JSON ({exc}).") from None
    if not _flat(value) and _depth(value) > MAX_DEPTH:
        raise MessageError(f"JSON nested deeper than {MAX_DEPTH} levels; send flat objects.")
    return value


def _refuse_constant(name: str) -> Any:
    raise MessageError(f"{name} is not a number kaiteki stores; send null for a missing value.")


def _flat(value: Any) -> bool:
    """Whether ``value`` is an object of scalars or a list of them (the common message)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            return not isinstance(item, list)
        for v in item.values():
            if isinstance(v, dict | list):
                return False
    return True


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            if d <= MAX_DEPTH:
                stack.extend((x, d + 1) for x in v)
    return deepest


def _flat_record(obj: Any, where: str, kind: str) -> dict[str, Any]:
    """A record whose values are all JSON scalars, its field names made canonical."""
    if not isinstance(obj, dict):
        raise MessageError(f"{where} is {type(obj).__name__}; expected a JSON object.")
    out: dict[str, Any] = {}
    for k, v in obj.items():
        name = _canonical(kind, k)
        if name in out:
            raise MessageError(f"{where}: field {name!r} is given twice (as {k!r} too).")
        out[name] = v
        if isinstance(v, dict | list):
            raise MessageError(
                f"{where}: field {k!r} holds a {type(v).__name__}; values must be numbers, "
                "text, true/false or null."
            )
        if isinstance(v, float) and not math.isfinite(v):
            raise MessageError(f"{where}: field {k!r} is not a finite number.")
    return out


@functools.cache
def _lookup(kind: str) -> dict[str, str]:
    """Normalised alias → canonical field name of ``kind``'s records."""
    spec = kinds.get(kind).spec
    return alias_map({c.name: c.aliases for c in spec.cols})


@functools.lru_cache(maxsize=4096)
def _canonical(kind: str, key: str) -> str:
    """The canonical name of field ``key`` of ``kind`` (``key`` itself when unknown)."""
    return _lookup(kind).get(normalise_name(str(key)).lower()) or str(key)


def required_fields(kind: str) -> tuple[str, ...]:
    """Fields a batch of ``kind`` must name (a record may leave them null)."""
    return kinds.get(kind).spec.header_required


def decode_kaiteki(kind: str, payload: bytes) -> list[Part]:
    """Parts of a ``kaiteki`` message (one record or a list of records)."""
    value = parse_json(payload)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise MessageError("empty list; send at least one reading.")
    if len(items) > MAX_RECORDS_PER_MESSAGE:
        raise MessageError(
            f"{len(items):,} readings in one message; at most {MAX_RECORDS_PER_MESSAGE:,}."
        )
    parts = []
    for i, item in enumerate(items):
        rec = _flat_record(item, f"reading {i}" if isinstance(value, list) else "the message", kind)
        key = reading_key(kind, rec)
        parts.append(Part(key, key, rec))
    return parts


def load_mapping(path: str | Path, fmt: str) -> dict[str, Any]:
    """
    Read a TTN or SensorThings mapping file (docs/LIVE.md "Mapping files").

    Raises
    ------
    MappingError
        Missing file, bad JSON, or without its ``fields`` (TTN) / ``datastreams``
        (SensorThings) object.
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{p}: mapping file not found; pass --mapping FILE.") from None
    except ValueError as exc:
        raise MappingError(f"{p}: not valid JSON ({exc}).") from None
    need = "fields" if fmt == "ttn" else "datastreams"
    if not isinstance(doc, dict) or not isinstance(doc.get(need), dict) or not doc[need]:
        raise MappingError(
            f"{p}: a {fmt} mapping needs a non-empty object {need!r} (see docs/LIVE.md)."
        )
    return doc


def decode_ttn(kind: str, payload: bytes, mapping: Mapping[str, Any]) -> list[Part]:
    """Parts of a The Things Stack uplink message."""
    up = parse_json(payload)
    if not isinstance(up, dict):
        raise MessageError("a TTN uplink must be a JSON object.")
    ids = up.get("end_device_ids")
    device = ids.get("device_id") if isinstance(ids, dict) else None
    if not isinstance(device, str) or not device:
        raise MessageError("end_device_ids.device_id is missing; not a TTN uplink message.")
    msg = up.get("uplink_message")
    decoded = msg.get("decoded_payload") if isinstance(msg, dict) else None
    if not isinstance(decoded, dict):
        raise MessageError(
            f"device {device!r}: uplink_message.decoded_payload is missing; set a payload "
            "formatter on the application."
        )
    time = up.get("received_at") or (msg.get("received_at") if isinstance(msg, dict) else None)
    if not isinstance(time, str):
        raise MessageError(f"device {device!r}: received_at is missing or not text.")
    devices = mapping.get("devices")
    if isinstance(devices, dict):
        if device not in devices:
            raise MessageError(
                f"unknown device {device!r}; add it to the mapping's 'devices' with its sensor_id."
            )
        const = devices[device]
        const = const if isinstance(const, dict) else {IDENTITY[kind][0]: const}
    else:
        const = {IDENTITY[kind][0]: device}
    rec: dict[str, Any] = {"time": time, **const}
    for src, dst in mapping["fields"].items():
        if src in decoded:
            rec[dst] = decoded[src]
    if not set(mapping["fields"]) & set(decoded):
        raise MessageError(
            f"device {device!r}: decoded_payload has none of the mapped fields "
            f"{sorted(mapping['fields'])}."
        )
    rec = _flat_record(rec, f"device {device!r}", kind)
    key = reading_key(kind, rec)
    return [Part(key, key, rec)]


def datastream_of(topic: str) -> str:
    """
    The datastream id in a SensorThings observation topic.

    Examples
    --------
    >>> datastream_of("v1.1/Datastreams(42)/Observations")
    '42'
    >>> datastream_of("v1.1/Datastreams('air-S01')/Observations")
    'air-S01'
    """
    m = _STA_TOPIC.search(topic)
    if m is None:
        raise MessageError(
            f"topic {topic!r} is not a SensorThings observation topic "
            "(v1.1/Datastreams(ID)/Observations)."
        )
    return m.group(1)


def decode_sensorthings(
    kind: str, topic: str, payload: bytes, mapping: Mapping[str, Any]
) -> list[Part]:
    """Parts of a SensorThings MQTT observation (one variable of one reading)."""
    ds = datastream_of(topic)
    target = mapping["datastreams"].get(ds)
    if not isinstance(target, dict) or "variable" not in target:
        raise MessageError(
            f"unknown datastream {ds!r}; add it to the mapping's 'datastreams' with its "
            "sensor and variable."
        )
    obs = parse_json(payload)
    if not isinstance(obs, dict):
        raise MessageError(f"datastream {ds}: an observation must be a JSON object.")
    when = obs.get("phenomenonTime")
    if not isinstance(when, str) or not when:
        raise MessageError(f"datastream {ds}: phenomenonTime is missing or not text.")
    when = when.split("/", 1)[0]  # an interval: its start
    if "result" not in obs:
        raise MessageError(f"datastream {ds}: the observation has no result.")
    result = obs["result"]
    if isinstance(result, dict | list) or isinstance(result, bool):
        raise MessageError(f"datastream {ds}: result must be a number or null.")
    const = {k: v for k, v in target.items() if k != "variable"}
    rec = {"time": when, **const, target["variable"]: result}
    rec = _flat_record(rec, f"datastream {ds}", kind)
    key = digest("sta", ds, normal_time(when))
    return [Part(key, reading_key(kind, rec), rec)]


def decode(
    fmt: str, kind: str, topic: str, payload: bytes, mapping: Mapping[str, Any] | None
) -> list[Part]:
    """
    The parts of one message in format ``fmt`` for ``kind``.

    Raises
    ------
    MessageError
        The message cannot become readings (the reason says why).
    """
    if fmt == "kaiteki":
        return decode_kaiteki(kind, payload)
    if mapping is None:
        raise MappingError(f"format {fmt!r} needs a mapping file (--mapping FILE).")
    if fmt == "ttn":
        return decode_ttn(kind, payload, mapping)
    if fmt == "sensorthings":
        return decode_sensorthings(kind, topic, payload, mapping)
    raise MappingError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}.")
