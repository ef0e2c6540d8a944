"""
The SensorThings entities kaiteki derives from its store (read-only): a :class:`Catalog` of
Things, Locations, Sensors, ObservedProperties, Datastreams and FeaturesOfInterest as frames.

- a **Thing** per thermal sensor (registry or readings), per counting line and per dwell zone;
- a **Location** and a **FeatureOfInterest** per Thing with coordinates (its point);
- a **Sensor** per kind of instrument (thermal station, people counter, dwell counter);
- an **ObservedProperty** per kaiteki variable (``sensors/data/sta_observed_properties.json``);
- a **Datastream** per thermal sensor × variable with at least one value, per counting line ×
  direction × series × statistic and per dwell zone × series.

Ids are stable integers (:func:`sensors.sta.vocabulary.stable_id` of the entity's natural key),
so they do not change when rows are added. Personal tables (steps, survey) are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sensors.sta.vocabulary import Vocabulary, stable_id, vocabulary

#: The Sensor of each source table: (name, description).
SENSOR_KINDS: dict[str, tuple[str, str]] = {
    "readings": (
        "kaiteki thermal station",
        "Street-level station measuring air temperature, relative humidity, wind speed, "
        "black-globe temperature (ISO 7726) and solar irradiance.",
    ),
    "counts": ("kaiteki people counter", "Counter of people crossing a counting line."),
    "dwell": ("kaiteki dwell counter", "Count of people staying in a zone (stationary)."),
}

#: Observation type of each source table.
OBSERVATION_TYPES: dict[str, str] = {
    "readings": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
    "counts": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation",
    "dwell": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation",
}


@dataclass(frozen=True)
class Catalog:
    """Every entity set except Observations, one frame each (``id`` column first)."""

    things: pd.DataFrame
    locations: pd.DataFrame
    sensors: pd.DataFrame
    observed_properties: pd.DataFrame
    datastreams: pd.DataFrame
    features: pd.DataFrame

    def frame(self, entity_set: str) -> pd.DataFrame:
        """The frame of an entity set by its SensorThings name (``Things`` ...)."""
        return {
            "Things": self.things, "Locations": self.locations, "Sensors": self.sensors,
            "ObservedProperties": self.observed_properties, "Datastreams": self.datastreams,
            "FeaturesOfInterest": self.features,
        }[entity_set]  # fmt: skip


def plain_plans(store: Any) -> None:
    """
    On a PostgreSQL store, turn off JIT compilation for this connection: the SensorThings
    reads scan every monthly partition, and compiling their plans took longer than running
    them (measured on the demo store: /Observations?$count=true 12.8 s with JIT, 4.3 s
    without). A DuckDB store is left as it is.
    """
    if getattr(store, "backend", "duckdb") == "postgresql":
        store.con.execute("SET jit = off")


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _time(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return str(pd.Timestamp(value).isoformat())


def _thermal_things(store: Any) -> list[dict[str, Any]]:
    reg = store.con.execute(
        "SELECT sensor_id, kind, lat, lon, level, height_m, globe_diameter_m, installed, name, "
        "simulated FROM sensors"
    ).df()
    seen = store.con.execute(
        "SELECT sensor_id, bool_or(simulated) AS simulated FROM readings GROUP BY sensor_id"
    ).df()
    rows: dict[str, dict[str, Any]] = {}
    for r in reg.itertuples(index=False):
        rows[str(r.sensor_id)] = {
            "key": str(r.sensor_id), "lat": _num(r.lat), "lon": _num(r.lon),
            "name": r.name if isinstance(r.name, str) and r.name else str(r.sensor_id),
            "simulated": bool(r.simulated),
            "extra": {"kind": r.kind, "level": None if pd.isna(r.level) else int(r.level),
                      "height_m": _num(r.height_m), "globe_diameter_m": _num(r.globe_diameter_m),
                      "installed": _time(r.installed)},
        }  # fmt: skip
    for r in seen.itertuples(index=False):
        row = rows.setdefault(
            str(r.sensor_id),
            {"key": str(r.sensor_id), "lat": None, "lon": None, "name": str(r.sensor_id),
             "simulated": False, "extra": {}},
        )  # fmt: skip
        row["simulated"] = bool(row["simulated"] or r.simulated)
    return [rows[k] for k in sorted(rows)]


def _thing(source: str, row: dict[str, Any]) -> dict[str, Any]:
    key = row["key"]
    located = row["lat"] is not None and row["lon"] is not None
    label = {"readings": "sensor_id", "counts": "line_id", "dwell": "zone_id"}[source]
    what = {"readings": "Thermal sensor", "counts": "Counting line", "dwell": "Dwell zone"}
    props = {label: key, "table": source, "simulated": row["simulated"], **row["extra"]}
    return {
        "id": stable_id("Thing", source, key), "name": row["name"],
        "description": f"{what[source]} {key}" + (" (simulated)" if row["simulated"] else ""),
        "source": source, "key": key, "lat": row["lat"], "lon": row["lon"],
        "simulated": row["simulated"], "properties": props,
        "location_id": stable_id("Location", source, key) if located else None,
        "foi_id": stable_id("FeatureOfInterest", source, key),
    }  # fmt: skip


def _thermal_streams(store: Any, voc: Vocabulary) -> pd.DataFrame:
    variables = [v.variable for v in voc.of_table("readings")]
    aggs = ", ".join(
        f"count({v}) AS n_{v}, min(time) FILTER (WHERE {v} IS NOT NULL) AS t0_{v}, "
        f"max(time) FILTER (WHERE {v} IS NOT NULL) AS t1_{v}, "
        f"bool_or(simulated) FILTER (WHERE {v} IS NOT NULL) AS sim_{v}"
        for v in variables
    )
    return store.con.execute(f"SELECT sensor_id, {aggs} FROM readings GROUP BY sensor_id").df()


def _count_streams(store: Any, table: str) -> pd.DataFrame:
    """
    One row per stream of ``counts`` (line × direction × series × statistic) or ``dwell``
    (zone × series): ``key``, ``direction``, ``series``, ``statistic``, first start ``t0``, last
    end ``t1`` and whether any value is simulated; sorted here, not in SQL, so that the order is
    the same on PostgreSQL (whose text order follows the database's collation) as on DuckDB.
    """
    if table == "counts":
        keys, value = ["line_id", "direction", "series", "statistic"], "count"
    else:
        keys, value = ["zone_id", "series"], "dwell_count"
    frame = store.con.execute(
        f"SELECT {', '.join(keys)}, min(time) AS t0, "
        "max(time + interval_min * INTERVAL '1 minute') AS t1, bool_or(simulated) AS simulated "
        f"FROM {table} WHERE {value} IS NOT NULL GROUP BY {', '.join(keys)}"
    ).df()
    frame = frame.rename(columns={keys[0]: "key"})
    for col in ("direction", "statistic"):
        if col not in frame.columns:
            frame[col] = ""
    order = ["key", "direction", "series", "statistic"]
    frame = frame.sort_values(order, kind="stable", ignore_index=True)
    return frame[[*order, "t0", "t1", "simulated"]]


def build_catalog(store: Any, voc: Vocabulary | None = None) -> Catalog:
    """
    The entities of the store (opened read-only or not); empty frames for an empty store.

    Parameters
    ----------
    store
        An open :class:`sensors.store.Store` with the schema.
    voc
        The vocabulary (default: the shipped table).
    """
    voc = voc or vocabulary()
    plain_plans(store)
    things = [_thing("readings", r) for r in _thermal_things(store)]
    streams: list[dict[str, Any]] = []
    by_key = {t["key"]: t for t in things}
    for r in _thermal_streams(store, voc).itertuples(index=False):
        thing = by_key[str(r.sensor_id)]
        for v in voc.of_table("readings"):
            if int(getattr(r, f"n_{v.variable}")) == 0:
                continue
            sim = bool(getattr(r, f"sim_{v.variable}"))
            streams.append(_stream(thing, v.variable, voc, getattr(r, f"t0_{v.variable}"),
                                   getattr(r, f"t1_{v.variable}"), sim, {}))  # fmt: skip
    for table, variable in (("counts", "count"), ("dwell", "dwell_count")):
        frame = _count_streams(store, table)
        for key in sorted(frame["key"].astype(str).unique()):
            sim = bool(frame.loc[frame["key"] == key, "simulated"].any())
            thing = _thing(table, {"key": key, "lat": None, "lon": None, "name": key,
                                   "simulated": sim, "extra": {}})  # fmt: skip
            things.append(thing)
        by_id = {t["key"]: t for t in things if t["source"] == table}
        for r in frame.itertuples(index=False):
            extra = {"direction": r.direction, "series": r.series, "statistic": r.statistic}
            if table == "dwell":
                extra = {"series": r.series}
            streams.append(_stream(by_id[str(r.key)], variable, voc, r.t0, r.t1,
                                   bool(r.simulated), extra))  # fmt: skip
    return _frames(things, streams, voc)


def _stream(
    thing: dict[str, Any], variable: str, voc: Vocabulary, t0: Any, t1: Any, simulated: bool,
    extra: dict[str, str],
) -> dict[str, Any]:  # fmt: skip
    v = voc.by_variable(variable)
    source, key = thing["source"], thing["key"]
    parts = [p for p in (extra.get("direction"), extra.get("series"), extra.get("statistic")) if p]
    label = " ".join([key, variable, *parts])
    return {
        "id": stable_id("Datastream", source, key, variable, *parts), "name": label,
        "description": f"{v.description} {thing['description']}" + (
            f" ({', '.join(parts)})" if parts else ""),
        "thing_id": thing["id"], "sensor_id": stable_id("Sensor", source),
        "op_id": stable_id("ObservedProperty", variable), "foi_id": thing["foi_id"],
        "source": source, "key": key, "variable": variable,
        "direction": extra.get("direction", ""), "series": extra.get("series", ""),
        "statistic": extra.get("statistic", ""), "unit": dict(v.unit),
        "observationType": OBSERVATION_TYPES[source], "t0": _time(t0), "t1": _time(t1),
        "simulated": simulated,
        "properties": {"variable": variable, "table": source, "simulated": simulated, **extra},
    }  # fmt: skip


def _frames(
    things: list[dict[str, Any]], streams: list[dict[str, Any]], voc: Vocabulary
) -> Catalog:
    located = [t for t in things if t["location_id"] is not None]
    locations = [
        {"id": t["location_id"], "name": t["name"], "description": f"Location of {t['name']}",
         "thing_id": t["id"], "lat": t["lat"], "lon": t["lon"], "simulated": t["simulated"]}
        for t in located
    ]  # fmt: skip
    features = [
        {"id": t["foi_id"], "name": t["name"], "description": f"Where {t['name']} observes",
         "thing_id": t["id"], "lat": t["lat"], "lon": t["lon"], "simulated": t["simulated"]}
        for t in things
    ]  # fmt: skip
    sensors = [
        {"id": stable_id("Sensor", src), "name": name, "description": desc, "source": src}
        for src, (name, desc) in SENSOR_KINDS.items()
    ]
    ops = [
        {"id": stable_id("ObservedProperty", v.variable), "name": v.variable,
         "definition": v.definition, "description": v.description, "variable": v.variable}
        for v in voc.variables
    ]  # fmt: skip
    cols = {
        "things": ["id", "name", "description", "source", "key", "lat", "lon", "simulated",
                   "properties", "location_id", "foi_id"],
        "streams": ["id", "name", "description", "thing_id", "sensor_id", "op_id", "foi_id",
                    "source", "key", "variable", "direction", "series", "statistic", "unit",
                    "observationType", "t0", "t1", "simulated", "properties"],
        "places": ["id", "name", "description", "thing_id", "lat", "lon", "simulated"],
    }  # fmt: skip
    thing_frame = pd.DataFrame(things, columns=cols["things"])
    thing_frame["location_id"] = thing_frame["location_id"].astype("Int64")
    return Catalog(
        things=thing_frame,
        locations=pd.DataFrame(locations, columns=cols["places"]),
        sensors=pd.DataFrame(sensors, columns=["id", "name", "description", "source"]),
        observed_properties=pd.DataFrame(
            ops, columns=["id", "name", "definition", "description", "variable"]
        ),
        datastreams=pd.DataFrame(streams, columns=cols["streams"]),
        features=pd.DataFrame(features, columns=cols["places"]),
    )
