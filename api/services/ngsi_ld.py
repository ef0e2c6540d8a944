"""
The NGSI-LD read service (docs/NGSI_LD.md): ``GET /ngsi-ld/v1/entities`` over the store, read
only, as Smart Data Models ``WeatherObserved`` (readings) and ``CrowdFlowObserved`` (counts)
entities built by :mod:`sensors.export.ngsi_ld`.

Query: ``type``, ``id`` (comma-separated), ``q`` (NGSI-LD query language: ``==``, ``!=``,
``>``, ``>=``, ``<``, ``<=``, value lists ``a,b`` and ranges ``a..b`` with ``==``, attribute
existence, ``;`` for and, ``|`` for or, parentheses), ``attrs``, ``limit`` (≤ 1,000, default
20), ``offset``, ``options=keyValues`` and ``count=true``. Every value of ``q`` becomes a SQL
parameter, never SQL text. Personal kinds (steps, questionnaires) have no entity type here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from api.services.sta import with_store
from sensors.kinds.ngsi_ld import (
    CROWD_FLOW,
    DEVICE_URN,
    ROAD_SEGMENT_URN,
    WEATHER,
    parse_entity_id,
    short_name,
)

#: Largest ``limit``; the default as in NGSI-LD (20).
MAX_LIMIT = 1000
DEFAULT_LIMIT = 20

#: The entity types served, with their table.
TYPES: dict[str, str] = {WEATHER: "readings", CROWD_FLOW: "counts"}

_READINGS_SQL = (
    "SELECT r.time, r.sensor_id, coalesce(r.lat, s.lat) AS lat, coalesce(r.lon, s.lon) AS lon, "
    "coalesce(r.level, s.level, CAST(0 AS SMALLINT)) AS level, r.air_temp_c, "
    "r.rel_humidity_pct, r.wind_speed_m_s, r.globe_temp_c, r.solar_wm2, r.qc_flags, "
    "r.simulated, r.file_id, r.line FROM readings r LEFT JOIN sensors s USING (sensor_id)"
)
_READINGS_ORDER = " ORDER BY r.sensor_id, r.time, r.file_id, r.line"
_COUNTS_SQL = (
    "SELECT r.time, r.line_id, r.direction, r.interval_min, r.count, r.statistic, r.series, "
    "r.qc_flags, r.simulated, r.file_id, r.line FROM counts r"
)
_COUNTS_ORDER = " ORDER BY r.line_id, r.direction, r.series, r.time, r.file_id, r.line"

#: Attribute → (SQL expression, value kind) that ``q`` may compare, per type.
ATTRIBUTES: dict[str, dict[str, tuple[str, str]]] = {
    WEATHER: {
        "temperature": ("r.air_temp_c", "number"),
        "relativeHumidity": ("(r.rel_humidity_pct / 100.0)", "number"),
        "windSpeed": ("r.wind_speed_m_s", "number"),
        "globeTemperature": ("r.globe_temp_c", "number"),
        "solarRadiation": ("r.solar_wm2", "number"),
        "dateObserved": ("r.time", "time"),
        "refDevice": ("r.sensor_id", "device"),
        "level": ("coalesce(r.level, s.level, CAST(0 AS SMALLINT))", "number"),
        "simulated": ("r.simulated", "bool"),
        "qcFlags": ("r.qc_flags", "number"),
    },
    CROWD_FLOW: {
        "peopleCount": ("r.count", "number"),
        "dateObservedFrom": ("r.time", "time"),
        "dateObservedTo": ("(r.time + r.interval_min * INTERVAL '1 minute')", "time"),
        "direction": ("r.direction", "text"),
        "countingDirection": ("r.direction", "text"),
        "refRoadSegment": ("r.line_id", "segment"),
        "series": ("r.series", "text"),
        "statistic": ("r.statistic", "text"),
        "simulated": ("r.simulated", "bool"),
        "qcFlags": ("r.qc_flags", "number"),
    },
}


class NgsiQueryError(ValueError):
    """A bad NGSI-LD query (400 BadRequestData)."""


class NgsiNotFoundError(LookupError):
    """No entity with that id (404 ResourceNotFound)."""


_TOKEN = re.compile(
    r'\s*(?:(?P<op>==|!=|>=|<=|>|<|;|\||\(|\))|(?P<str>"(?:[^"\\]|\\.)*")|'
    r"(?P<word>[^\s;|()=!<>\"]+))"
)


def _tokens(q: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    q = q.strip()
    while pos < len(q):
        m = _TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise NgsiQueryError(f"q: cannot read {q[pos : pos + 20]!r} at character {pos + 1}.")
        kind = m.lastgroup or "word"
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@dataclass
class _Parser:
    """Recursive descent over ``q`` → (SQL, parameters) for one entity type."""

    tokens: list[tuple[str, str]]
    attributes: dict[str, tuple[str, str]]
    pos: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise NgsiQueryError("q ends too early; expected an attribute or a value.")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> tuple[str, list[Any]]:
        sql, params = self.expression()
        if self.pos != len(self.tokens):
            raise NgsiQueryError(f"q: unexpected {self.peek()!r}; join terms with ';' or '|'.")
        return sql, params

    def expression(self) -> tuple[str, list[Any]]:
        sql, params = self.term()
        while self.peek() in (";", "|"):
            op = "AND" if self.take()[1] == ";" else "OR"
            right, more = self.term()
            sql, params = f"({sql} {op} {right})", params + more
        return sql, params

    def term(self) -> tuple[str, list[Any]]:
        if self.peek() == "(":
            self.take()
            sql, params = self.expression()
            if self.peek() != ")":
                raise NgsiQueryError("q: a '(' is not closed; add the ')'.")
            self.take()
            return sql, params
        kind, name = self.take()
        if kind != "word":
            raise NgsiQueryError(f"q: expected an attribute name, got {name!r}.")
        short = short_name(name)
        if short not in self.attributes:
            raise NgsiQueryError(
                f"q: attribute {name!r} cannot be queried; use one of "
                f"{sorted(self.attributes)} (derived attributes such as utci are not)."
            )
        expr, vkind = self.attributes[short]
        if self.peek() not in ("==", "!=", ">", ">=", "<", "<="):
            return f"({expr} IS NOT NULL)", []
        op = self.take()[1]
        vk, raw = self.take()
        if vk == "op":
            raise NgsiQueryError(f"q: expected a value after {name}{op}, got {raw!r}.")
        if vk == "word" and op in ("==", "!=") and ".." in raw:
            lo, hi = raw.split("..", 1)
            sql = f"({expr} BETWEEN ? AND ?)"
            return (sql if op == "==" else f"NOT {sql}"), [_value(lo, vkind, name),
                                                           _value(hi, vkind, name)]  # fmt: skip
        if vk == "word" and op in ("==", "!=") and "," in raw:
            values = [_value(v, vkind, name) for v in raw.split(",")]
            marks = ", ".join("?" * len(values))
            return f"({expr} {'IN' if op == '==' else 'NOT IN'} ({marks}))", values
        value = _value(raw[1:-1] if vk == "str" else raw, vkind, name)
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"({expr} {sql_op} ?)", [value]


def _value(raw: str, kind: str, name: str) -> Any:
    """A ``q`` value as the parameter compared with attribute ``name`` of ``kind``."""
    raw = raw.strip().strip('"')
    try:
        if kind == "number":
            return float(raw)
        if kind == "bool":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if kind == "time":
            t = pd.Timestamp(raw)
            return (t.tz_localize("Asia/Tokyo") if t.tzinfo is None else t).to_pydatetime()
    except ValueError:
        raise NgsiQueryError(
            f"q: {name} compares with a {kind}"
            + (" (ISO 8601, e.g. 2022-08-01T10:00:00Z)" if kind == "time" else "")
            + f"; got {raw!r}."
        ) from None
    if kind == "device":
        return _unurn(raw, DEVICE_URN, "urn:ngsi-ld:Device:")
    if kind == "segment":
        return _unurn(raw, ROAD_SEGMENT_URN, "urn:ngsi-ld:RoadSegment:")
    return raw


def _unurn(raw: str, *prefixes: str) -> str:
    from urllib.parse import unquote

    for p in prefixes:
        if raw.startswith(p):
            return unquote(raw[len(p) :])
    return raw


def compile_q(q: str, etype: str) -> tuple[str, list[Any]]:
    """
    An NGSI-LD ``q`` as a parameterised SQL condition on the table of ``etype``.

    Raises
    ------
    NgsiQueryError
        The query does not parse, or names an attribute that cannot be queried.
    """
    return _Parser(_tokens(q), ATTRIBUTES[etype]).parse()


@dataclass
class Query:
    """A checked ``GET /ngsi-ld/v1/entities`` query."""

    types: list[str]
    ids: list[str]
    q: str | None = None
    attrs: list[str] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    key_values: bool = False
    count: bool = False


def _id_condition(ids: list[str], etype: str) -> tuple[str, list[Any]] | None:
    """SQL matching the kaiteki ids of ``etype`` among ``ids``; None when none is one."""
    parts, params = [], []
    for i in ids:
        parsed = parse_entity_id(i)
        if parsed is None or parsed[0] != etype:
            continue
        _, keys, time = parsed
        if etype == WEATHER:
            parts.append("(r.sensor_id = ? AND r.time = ?)")
        else:
            parts.append("(r.line_id = ? AND r.direction = ? AND r.series = ? AND r.time = ?)")
        params += [*keys, time.to_pydatetime()]
    return ("(" + " OR ".join(parts) + ")", params) if parts else None


def _where(etype: str, query: Query) -> tuple[str, list[Any]] | None:
    """The WHERE clause (with its parameters) of ``query`` on ``etype``; None: no match."""
    where, params = [], []
    if query.ids:
        cond = _id_condition(query.ids, etype)
        if cond is None:
            return None
        where.append(cond[0])
        params += cond[1]
    if query.q:
        sql, more = compile_q(query.q, etype)
        where.append(sql)
        params += more
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _select(store: Any, etype: str, query: Query, limit: int, offset: int) -> pd.DataFrame:
    where = _where(etype, query)
    if where is None:
        return pd.DataFrame()
    base, order = (_READINGS_SQL, _READINGS_ORDER) if etype == WEATHER else (
        _COUNTS_SQL, _COUNTS_ORDER)  # fmt: skip
    return store.query(base + where[0] + order + " LIMIT ? OFFSET ?", [*where[1], limit, offset])


def _count(store: Any, etype: str, query: Query) -> int:
    where = _where(etype, query)
    if where is None:
        return 0
    base = _READINGS_SQL if etype == WEATHER else _COUNTS_SQL
    frame = store.query(f"SELECT count(*) AS n FROM ({base}{where[0]}) AS m", where[1])
    return int(frame["n"].iloc[0])


def _entities(etype: str, frame: pd.DataFrame, query: Query, with_context: bool) -> list[dict]:
    from sensors.export.ngsi_ld import entities

    if frame.empty:
        return []
    frame["time"] = pd.to_datetime(frame["time"]).dt.tz_convert("Asia/Tokyo")
    out = list(entities(TYPES[etype], frame, query.key_values, with_context))
    if query.attrs:
        keep = {"id", "type", "@context", *query.attrs}
        out = [{k: v for k, v in e.items() if k in keep} for e in out]
    return out


def find_entities(
    store_path: Path, query: Query, with_context: bool = True
) -> tuple[list[dict[str, Any]], int | None]:
    """
    The entities of ``query`` (paged by ``limit``/``offset`` over the types in order) and,
    with ``query.count``, how many match in all.
    """

    def read(store: Any) -> tuple[list[dict[str, Any]], int | None]:
        out: list[dict[str, Any]] = []
        total = 0 if query.count else None
        skip, room = query.offset, query.limit
        for etype in query.types:
            if etype not in TYPES:
                continue
            n = _count(store, etype, query) if (query.count or skip) else None
            if total is not None and n is not None:
                total += n
            if room == 0:
                continue
            if n is not None and skip >= n:
                skip -= n
                continue
            frame = _select(store, etype, query, room, skip)
            out += _entities(etype, frame, query, with_context)
            room -= len(frame)
            skip = 0
        return out, total

    return with_store(store_path, read)


def get_entity(store_path: Path, entity_id: str, key_values: bool, attrs: list[str] | None) -> dict:
    """
    One entity by id.

    Raises
    ------
    NgsiNotFoundError
        No stored reading or count has that id.
    """
    parsed = parse_entity_id(entity_id)
    if parsed is not None:
        query = Query(types=[parsed[0]], ids=[entity_id], attrs=attrs, limit=1,
                      key_values=key_values)  # fmt: skip
        found, _ = find_entities(store_path, query)
        if found:
            return found[0]
    raise NgsiNotFoundError(
        f"no entity {entity_id!r}: kaiteki's ids are urn:ngsi-ld:WeatherObserved:kaiteki:"
        "<sensor>:<time> and urn:ngsi-ld:CrowdFlowObserved:kaiteki:<line>:<direction>:<series>:"
        "<time> (list them with GET /ngsi-ld/v1/entities?type=...)."
    )


def parse_query(params: dict[str, str]) -> Query:
    """
    The checked query of ``GET /ngsi-ld/v1/entities``.

    Raises
    ------
    NgsiQueryError
        No ``type`` and no ``id``, a bad ``limit``/``offset``, or unknown ``options``.
    """
    types = [short_name(t) for t in params.get("type", "").split(",") if t.strip()]
    ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
    if not types and not ids:
        raise NgsiQueryError(
            "give type (WeatherObserved or CrowdFlowObserved) or id; e.g. "
            "/ngsi-ld/v1/entities?type=WeatherObserved&limit=10."
        )
    if not types:
        types = sorted({p[0] for p in map(parse_entity_id, ids) if p is not None})
    numbers = {}
    for name, default, high in (("limit", DEFAULT_LIMIT, MAX_LIMIT), ("offset", 0, None)):
        raw = params.get(name)
        try:
            v = default if raw is None else int(raw)
        except ValueError:
            raise NgsiQueryError(f"{name} must be a whole number, got {raw!r}.") from None
        if v < 0 or (high is not None and v > high):
            raise NgsiQueryError(
                f"{name} must be between 0 and {high if high is not None else 'any'}; got {v}."
            )
        numbers[name] = v
    options = {o.strip() for o in params.get("options", "").split(",") if o.strip()}
    unknown = options - {"keyValues", "normalized", "count"}
    if unknown:
        raise NgsiQueryError(
            f"options {sorted(unknown)} are not supported; use keyValues or normalized."
        )
    if {"keyValues", "normalized"} <= options:
        raise NgsiQueryError("options cannot be both keyValues and normalized.")
    q = params.get("q")
    if q is not None and types:
        for t in types:
            if t in TYPES:
                compile_q(q, t)  # checked before any read
    attrs = [a.strip() for a in params.get("attrs", "").split(",") if a.strip()] or None
    return Query(
        types=types, ids=ids, q=q or None, attrs=attrs, limit=numbers["limit"],
        offset=numbers["offset"], key_values="keyValues" in options,
        count=params.get("count", "").lower() == "true" or "count" in options,
    )  # fmt: skip
