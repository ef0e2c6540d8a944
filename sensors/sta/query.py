"""
The read-only SensorThings API v1.1 query engine behind ``/sta/v1.1`` (docs/SENSORTHINGS.md).

:func:`answer` resolves a resource path (``Things``, ``Things(7)``, ``Things(7)/Datastreams``,
``Datastreams(3)/Observations``, ``Observations(9)/Datastream`` ...) and the query options
``$top $skip $count $orderby $select $expand $filter`` against a :class:`Catalog` and the store.
The small entity sets are frames queried in process on DuckDB (the store's
``work`` connection, whatever the backend); Observations are queried in the store itself, DuckDB
or PostgreSQL, as a union over the readings (one observation per variable), counts and dwell
tables, each joined to a ``VALUES`` list of its datastreams (portable SQL, the same answers on
both backends). ``$filter`` is compiled to parameterised SQL (:mod:`sensors.sta.filter`); order
is always completed by ``id`` (then the datastream) so paging with ``@iot.nextLink`` is stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from sensors.sta import filter as sta_filter
from sensors.sta.catalog import Catalog, plain_plans
from sensors.sta.errors import StaNotFoundError, StaQueryError
from sensors.sta.filter import Prop
from sensors.sta.vocabulary import OBS_FILE_STRIDE, OBS_LINE_STRIDE, vocabulary

#: Default and largest ``$top``.
DEFAULT_TOP = 100
MAX_TOP = 1_000

#: Entity sets served.
ENTITY_SETS = (
    "Things", "Locations", "Datastreams", "Sensors", "ObservedProperties", "Observations",
    "FeaturesOfInterest",
)  # fmt: skip

_COMMON = {"id": Prop("id", "int"), "name": Prop("name", "text"),
           "description": Prop("description", "text")}  # fmt: skip

#: Filterable (and sortable) properties of each entity set → SQL column of its relation.
PROPERTIES: dict[str, dict[str, Prop]] = {
    "Things": {**_COMMON, "properties/simulated": Prop("simulated", "bool")},
    "Locations": dict(_COMMON),
    "FeaturesOfInterest": dict(_COMMON),
    "Sensors": dict(_COMMON),
    "ObservedProperties": {**_COMMON, "definition": Prop("definition", "text")},
    "Datastreams": {
        **_COMMON, "observationType": Prop("observationType", "text"),
        "Thing/id": Prop("thing_id", "int"), "Sensor/id": Prop("sensor_id", "int"),
        "ObservedProperty/id": Prop("op_id", "int"),
        "properties/simulated": Prop("simulated", "bool"),
    },
    "Observations": {
        "id": Prop("o.id", "int"), "result": Prop("o.result", "num"),
        "phenomenonTime": Prop("o.t0", "time"), "resultTime": Prop("o.t1", "time"),
        "Datastream/id": Prop("o.ds_id", "int"), "FeatureOfInterest/id": Prop("o.foi_id", "int"),
        "parameters/qc_flags": Prop("o.qc_flags", "int"),
        "parameters/simulated": Prop("o.simulated", "bool"),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Nav:
    """A navigation property: its target set, and how the target relates to the source row."""

    target: str
    many: bool
    #: For ``many``: the target's column equal to the source's ``id``; for one: the source's
    #: column holding the target id.
    column: str


#: Navigation properties of each entity set.
NAVIGATION: dict[str, dict[str, Nav]] = {
    "Things": {"Datastreams": Nav("Datastreams", True, "thing_id"),
               "Locations": Nav("Locations", True, "thing_id")},
    "Locations": {"Things": Nav("Things", True, "location_id")},
    "Datastreams": {"Thing": Nav("Things", False, "thing_id"),
                    "Sensor": Nav("Sensors", False, "sensor_id"),
                    "ObservedProperty": Nav("ObservedProperties", False, "op_id"),
                    "Observations": Nav("Observations", True, "ds_id")},
    "Sensors": {"Datastreams": Nav("Datastreams", True, "sensor_id")},
    "ObservedProperties": {"Datastreams": Nav("Datastreams", True, "op_id")},
    "Observations": {"Datastream": Nav("Datastreams", False, "ds_id"),
                     "FeatureOfInterest": Nav("FeaturesOfInterest", False, "foi_id")},
    "FeaturesOfInterest": {"Observations": Nav("Observations", True, "foi_id")},
}  # fmt: skip

#: Properties each entity set returns (``$select`` chooses among them and ``id``).
FIELDS: dict[str, tuple[str, ...]] = {
    "Things": ("name", "description", "properties"),
    "Locations": ("name", "description", "encodingType", "location"),
    "FeaturesOfInterest": ("name", "description", "encodingType", "feature"),
    "Sensors": ("name", "description", "encodingType", "metadata"),
    "ObservedProperties": ("name", "definition", "description"),
    "Datastreams": ("name", "description", "unitOfMeasurement", "observationType",
                    "phenomenonTime", "properties"),
    "Observations": ("phenomenonTime", "resultTime", "result", "resultQuality", "parameters"),
}  # fmt: skip

_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d{1,19})\))?$")
_OBS_COLS = "o.id, o.ds_id, o.foi_id, o.t0, o.t1, o.result, o.qc_flags, o.simulated"


@dataclass
class Scope:
    """What a path resolved to: a collection (maybe constrained) or one entity."""

    entity_set: str
    constraint: tuple[str, int] | None = None
    row: dict[str, Any] | None = None


class Engine:
    """
    Answers SensorThings requests from one open store (read-only) and its catalog.

    Parameters
    ----------
    store
        The open :class:`sensors.store.Store`.
    catalog
        Its entities (:func:`sensors.sta.catalog.build_catalog`).
    base_url
        The service root as clients see it, e.g. ``http://host/sta/v1.1``.
    """

    def __init__(self, store: Any, catalog: Catalog, base_url: str) -> None:
        self.store = store
        self.catalog = catalog
        self.base = base_url.rstrip("/")
        plain_plans(store)
        # the small entity sets are frames queried in process, on DuckDB, whatever the backend
        # (the store's own connection for a DuckDB file, a private one for PostgreSQL)
        self.local = store.work
        for name in ENTITY_SETS:
            if name != "Observations":
                frame = catalog.frame(name)
                self.local.register(f"sta_{name}", frame[[c for c in frame.columns if c not in (
                    "properties", "unit")]])  # fmt: skip

    # -- relations ------------------------------------------------------------------------

    def _obs_relation(
        self, streams: pd.DataFrame, row_key: tuple[int, int] | None = None
    ) -> tuple[str, list[Any]]:
        """
        SQL of the Observations of ``streams`` (a union over their tables and variables) and
        its parameters, portable between DuckDB and PostgreSQL: each branch joins its table to
        a ``VALUES`` list of its datastreams (id, feature of interest and natural key).
        """
        voc = vocabulary()
        branches: list[str] = []
        params: list[Any] = []
        for index, v in enumerate(voc.variables):
            mine = streams[streams["variable"] == v.variable]
            if mine.empty:
                continue
            table, alias = v.table, "r"
            key_col = {"readings": "sensor_id", "counts": "line_id", "dwell": "zone_id"}[table]
            extra = {"readings": (), "counts": ("direction", "series", "statistic"),
                     "dwell": ("series",)}[table]  # fmt: skip
            values, vparams = _values(mine, ("id", "foi_id", "key", *extra))
            params.extend(vparams)
            join = " AND ".join(
                [f"m.key = {alias}.{key_col}", *(f"m.{c} = {alias}.{c}" for c in extra)]
            )
            t1 = (
                f"{alias}.time"
                if table == "readings"
                else f"{alias}.time + {alias}.interval_min * INTERVAL '1 minute'"
            )
            where = f"{alias}.{v.variable} IS NOT NULL"
            if row_key is not None:
                where += (
                    f" AND {alias}.file_id = {int(row_key[0])} AND {alias}.line = {int(row_key[1])}"
                )
            branches.append(
                f"SELECT {alias}.file_id * {OBS_FILE_STRIDE} + coalesce({alias}.line, 0) * "
                f"{OBS_LINE_STRIDE} + {index} AS id, m.id AS ds_id, m.foi_id, "
                f"{alias}.time AS t0, {t1} AS t1, "
                f"CAST({alias}.{v.variable} AS DOUBLE PRECISION) AS result, "
                f"{alias}.qc_flags, {alias}.simulated FROM {table} {alias} "
                f"JOIN {values} ON {join} WHERE {where}"
            )  # fmt: skip
        if not branches:
            return (
                "(SELECT CAST(NULL AS BIGINT) AS id, CAST(NULL AS BIGINT) AS ds_id, "
                "CAST(NULL AS BIGINT) AS foi_id, CAST(NULL AS TIMESTAMPTZ) AS t0, "
                "CAST(NULL AS TIMESTAMPTZ) AS t1, CAST(NULL AS DOUBLE PRECISION) AS result, "
                "CAST(NULL AS INTEGER) AS qc_flags, CAST(NULL AS BOOLEAN) AS simulated "
                "WHERE false) o",
                [],
            )
        return "(" + " UNION ALL ".join(branches) + ") o", params

    def _streams_for(self, constraint: tuple[str, int] | None) -> pd.DataFrame:
        ds = self.catalog.datastreams
        if constraint is None:
            return ds
        col, value = constraint
        return ds[ds["id" if col == "ds_id" else col] == value]

    # -- look-ups ---------------------------------------------------------------------------

    def get_one(self, entity_set: str, entity_id: int) -> dict[str, Any]:
        """One entity as a row dict; :class:`StaNotFoundError` when absent."""
        if entity_set == "Observations":
            index = entity_id % OBS_LINE_STRIDE
            file_id, rest = divmod(entity_id, OBS_FILE_STRIDE)
            line = rest // OBS_LINE_STRIDE
            voc = vocabulary()
            if index < len(voc.variables):
                ds = self.catalog.datastreams
                streams = ds[ds["variable"] == voc.variables[index].variable]
                rel, params = self._obs_relation(streams, (file_id, line))
                # one source line of a wide file (chikaho) is several rows with one id: the
                # first by datastream, as in collections
                rows = self.store.con.execute(
                    f"SELECT {_OBS_COLS} FROM {rel} WHERE o.id = ? ORDER BY o.ds_id LIMIT 1",
                    [*params, entity_id],
                ).df()
                if len(rows):
                    return dict(rows.iloc[0])
        else:
            frame = self.catalog.frame(entity_set)
            hit = frame[frame["id"] == entity_id]
            if len(hit):
                return dict(hit.iloc[0])
        raise StaNotFoundError(f"{entity_set}({entity_id}) does not exist.")

    def resolve(self, path: str) -> Scope:
        """
        The scope of a resource path.

        Raises
        ------
        StaQueryError
            A segment that is not an entity set or navigation property, or navigation from a
            collection.
        StaNotFoundError
            An id that does not exist.
        """
        segments = [s for s in path.strip("/").split("/") if s]
        if not segments:
            raise StaQueryError("empty resource path; ask for an entity set such as Things.")
        m = _SEGMENT.match(segments[0])
        if m is None or m.group(1) not in ENTITY_SETS:
            raise StaNotFoundError(
                f"{segments[0]!r} is not an entity set; the sets are {', '.join(ENTITY_SETS)}."
            )
        scope = Scope(m.group(1))
        if m.group(2) is not None:
            scope.row = self.get_one(scope.entity_set, int(m.group(2)))
        for seg in segments[1:]:
            m = _SEGMENT.match(seg)
            navs = NAVIGATION[scope.entity_set]
            if m is None or m.group(1) not in navs:
                raise StaNotFoundError(
                    f"{seg!r} is not a navigation property of {scope.entity_set}; use one of "
                    f"{', '.join(navs)} (property paths and $value are not implemented)."
                )
            if scope.row is None:
                raise StaQueryError(
                    f"navigate from one entity, e.g. {scope.entity_set}(1)/{m.group(1)}."
                )
            nav, here = navs[m.group(1)], scope.row
            if nav.many:
                scope = Scope(nav.target, constraint=(nav.column, int(here["id"])))
                if m.group(2) is not None:
                    row = self.get_one(nav.target, int(m.group(2)))
                    if not self._within(row, scope.constraint):
                        raise StaNotFoundError(f"{seg} is not reachable from this path.")
                    scope.row = row
            else:
                target_id = here[nav.column]
                if target_id is None or pd.isna(target_id):
                    raise StaNotFoundError(f"{seg}: this entity has none.")
                scope = Scope(nav.target, row=self.get_one(nav.target, int(target_id)))
        return scope

    def _within(self, row: dict[str, Any], constraint: tuple[str, int] | None) -> bool:
        if constraint is None:
            return True
        col, value = constraint
        return bool(row.get(col) == value)

    # -- collections ------------------------------------------------------------------------

    def collection(
        self, scope: Scope, options: Options, *, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None, bool]:
        """Rows of a collection scope: (rows, total when ``$count``, more pages follow)."""
        top = options.top if limit is None else min(limit, options.top)
        props = PROPERTIES[scope.entity_set]
        where: list[str] = []
        params: list[Any] = []
        if scope.entity_set == "Observations":
            streams = self._streams_for(scope.constraint)
            rel, params = self._obs_relation(streams)
            cols, con = _OBS_COLS, self.store.con
        else:
            rel, cols, con = f"sta_{scope.entity_set} o", "o.id", self.local
            if scope.constraint is not None:
                where.append(f"o.{scope.constraint[0]} = ?")
                params.append(scope.constraint[1])
        if options.filter is not None:
            sql, fparams = sta_filter.compile_sql(options.filter, props)
            where.append(sql)
            params.extend(fparams)
        body = f"FROM {rel}" + (" WHERE " + " AND ".join(where) if where else "")
        order = ", ".join(
            f"{_qualify(props[p].sql)} {'DESC' if desc else 'ASC'} NULLS LAST"
            for p, desc in options.orderby
        )
        order = (order + ", " if order else "") + "o.id ASC"
        if scope.entity_set == "Observations":
            order += ", o.ds_id ASC"  # rows of one wide source line share an id
        frame = con.execute(
            f"SELECT {cols} {body} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, top + 1, options.skip],
        ).df()
        more = len(frame) > top
        frame = frame.iloc[:top]
        total = None
        if options.count:
            total = int(con.execute(f"SELECT count(*) {body}", params).fetchall()[0][0])
        if scope.entity_set == "Observations":
            rows = [dict(r) for _, r in frame.iterrows()]
        else:
            full = self.catalog.frame(scope.entity_set).set_index("id", drop=False)
            rows = [dict(full.loc[int(i)]) for i in frame["id"]]
        return rows, total, more


def _qualify(sql: str) -> str:
    return sql if "." in sql else f"o.{sql}"


def _values(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """
    A ``VALUES`` list of ``frame[columns]`` as the relation ``m``, with ``?`` parameters
    (integer ids as BIGINT, the rest as text); the same SQL on DuckDB and PostgreSQL.

    Examples
    --------
    >>> f = pd.DataFrame({"id": [7, 8], "key": ["A", "B"]})
    >>> _values(f, ("id", "key"))
    ('(VALUES (CAST(? AS BIGINT), CAST(? AS TEXT)), (?, ?)) AS m(id, key)', [7, 'A', 8, 'B'])
    """
    cast = ["BIGINT" if c in ("id", "foi_id") else "TEXT" for c in columns]
    first = "(" + ", ".join(f"CAST(? AS {t})" for t in cast) + ")"
    rest = "(" + ", ".join("?" for _ in columns) + ")"
    rows = ", ".join([first, *([rest] * (len(frame) - 1))])
    params: list[Any] = []
    for rec in frame[list(columns)].itertuples(index=False):
        params.extend(int(x) if c in ("id", "foi_id") else str(x)
                      for c, x in zip(columns, rec, strict=True))  # fmt: skip
    return f"(VALUES {rows}) AS m({', '.join(columns)})", params


@dataclass(frozen=True)
class Options:
    """Parsed query options."""

    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    orderby: tuple[tuple[str, bool], ...] = ()
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    filter: sta_filter.Node | None = None


def _int_option(params: Mapping[str, str], name: str, default: int, high: int | None) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.strip().isdigit():
        raise StaQueryError(f"{name} must be a whole number >= 0; got {text!r}.")
    value = int(text)
    if high is not None and value > high:
        raise StaQueryError(f"{name} is at most {high}; got {value}. Page with @iot.nextLink.")
    return value


def parse_options(entity_set: str, params: Mapping[str, str]) -> Options:
    """
    The query options of a request on ``entity_set``.

    Raises
    ------
    StaQueryError
        An unknown option, a bad number, an unknown property in ``$orderby``/``$select``, an
        unknown or nested ``$expand``, a ``$filter`` that does not parse.
    """
    known = {"$top", "$skip", "$count", "$orderby", "$select", "$expand", "$filter",
             "$resultFormat"}  # fmt: skip
    unknown = sorted(k for k in params if k.startswith("$") and k not in known)
    if unknown:
        raise StaQueryError(f"unknown query option(s) {unknown}; supported: {sorted(known)}.")
    if params.get("$resultFormat") not in (None, "default"):
        raise StaQueryError("$resultFormat: only the default format is implemented.")
    count_text = params.get("$count", "false").lower()
    if count_text not in ("true", "false"):
        raise StaQueryError(f"$count must be true or false; got {params.get('$count')!r}.")
    props = PROPERTIES[entity_set]
    orderby = []
    for part in (p.strip() for p in params.get("$orderby", "").split(",") if p.strip()):
        words = part.split()
        if words[0] not in props or len(words) > 2 or (
            len(words) == 2 and words[1].lower() not in ("asc", "desc")
        ):  # fmt: skip
            raise StaQueryError(
                f"$orderby: {part!r} is not 'property [asc|desc]' with a property of "
                f"{entity_set}: {', '.join(sorted(props))}."
            )
        orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    select = tuple(s.strip() for s in params.get("$select", "").split(",") if s.strip())
    allowed = {"id", *FIELDS[entity_set], *NAVIGATION[entity_set]}
    bad = [s for s in select if s not in allowed]
    if bad:
        raise StaQueryError(
            f"$select: {bad} not properties of {entity_set}; choose from {sorted(allowed)}."
        )
    expand = tuple(s.strip() for s in params.get("$expand", "").split(",") if s.strip())
    for e in expand:
        if e not in NAVIGATION[entity_set]:
            raise StaQueryError(
                f"$expand: {e!r} is not a navigation property of {entity_set} (one level, no "
                f"nested options); use {', '.join(NAVIGATION[entity_set])}."
            )
    text = params.get("$filter")
    return Options(
        top=_int_option(params, "$top", DEFAULT_TOP, MAX_TOP),
        skip=_int_option(params, "$skip", 0, None),
        count=count_text == "true", orderby=tuple(orderby), select=select, expand=expand,
        filter=None if text is None else sta_filter.parse(text, props),
    )  # fmt: skip


def answer(engine: Engine, path: str, params: Mapping[str, str]) -> dict[str, Any]:
    """
    The JSON body of ``GET <base>/<path>?<params>``.

    Raises
    ------
    StaQueryError, StaNotFoundError
        See :meth:`Engine.resolve` and :func:`parse_options`.
    """
    scope = engine.resolve(path)
    options = parse_options(scope.entity_set, params)
    from sensors.sta.entities import render

    if scope.row is not None:
        return render(engine, scope.entity_set, scope.row, options)
    rows, total, more = engine.collection(scope, options)
    body: dict[str, Any] = {}
    if total is not None:
        body["@iot.count"] = total
    body["value"] = [render(engine, scope.entity_set, r, options) for r in rows]
    if more:
        nxt = {k: v for k, v in params.items() if k != "$skip"}
        nxt["$top"] = str(options.top)
        nxt["$skip"] = str(options.skip + options.top)
        body["@iot.nextLink"] = f"{engine.base}/{path.strip('/')}?{urlencode(nxt)}"
    return body


def iso(value: Any) -> str | None:
    """A timestamp as ISO 8601 in UTC with ``Z`` (None for a missing one)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("Asia/Tokyo")
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def number(value: Any) -> float | None:
    """A JSON-safe number (None for NaN)."""
    if value is None or pd.isna(value):
        return None
    f = float(value)
    return f if math.isfinite(f) else None
