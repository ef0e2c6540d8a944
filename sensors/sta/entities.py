"""
The JSON form of each SensorThings entity kaiteki serves (OGC 18-088, SensorThings API v1.1):
``@iot.id``, ``@iot.selfLink``, the entity's properties and ``<Nav>@iot.navigationLink`` links,
with ``$select`` and one level of ``$expand`` applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sensors.sta.query import NAVIGATION, Nav, Options, Scope, iso, number

if TYPE_CHECKING:
    from sensors.sta.query import Engine

#: Where kaiteki documents each Sensor (the ``metadata`` of Sensors).
SENSOR_METADATA = "https://github.com/kaiteki-sapporo/kaiteki/blob/main/docs/SENSORTHINGS.md"


def _point(row: dict[str, Any]) -> dict[str, Any] | None:
    lat, lon = row.get("lat"), row.get("lon")
    if lat is None or lon is None or pd.isna(lat) or pd.isna(lon):
        return None
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def _period(t0: Any, t1: Any) -> str | None:
    a, b = iso(t0), iso(t1)
    if a is None:
        return None
    return a if b is None or a == b else f"{a}/{b}"


def _fields(entity_set: str, row: dict[str, Any]) -> dict[str, Any]:
    if entity_set == "Things":
        return {"name": row["name"], "description": row["description"],
                "properties": dict(row["properties"])}  # fmt: skip
    if entity_set == "Locations":
        return {"name": row["name"], "description": row["description"],
                "encodingType": "application/geo+json", "location": _point(row),
                "properties": {"simulated": bool(row["simulated"])}}  # fmt: skip
    if entity_set == "FeaturesOfInterest":
        return {"name": row["name"], "description": row["description"],
                "encodingType": "application/geo+json", "feature": _point(row),
                "properties": {"simulated": bool(row["simulated"])}}  # fmt: skip
    if entity_set == "Sensors":
        return {"name": row["name"], "description": row["description"],
                "encodingType": "text/html", "metadata": SENSOR_METADATA,
                "properties": {"table": row["source"]}}  # fmt: skip
    if entity_set == "ObservedProperties":
        return {
            "name": row["name"],
            "definition": row["definition"],
            "description": row["description"],
            "properties": {"variable": row["variable"]},
        }
    if entity_set == "Datastreams":
        return {"name": row["name"], "description": row["description"],
                "unitOfMeasurement": dict(row["unit"]), "observationType": row["observationType"],
                "phenomenonTime": _period(row["t0"], row["t1"]),
                "properties": dict(row["properties"])}  # fmt: skip
    simulated = bool(row["simulated"])
    return {
        "phenomenonTime": _period(row["t0"], row["t1"]), "resultTime": iso(row["t1"]),
        "result": number(row["result"]),
        "resultQuality": {"qc_flags": int(row["qc_flags"])},
        "parameters": {"qc_flags": int(row["qc_flags"]), "simulated": simulated},
    }  # fmt: skip


def render(
    engine: Engine, entity_set: str, row: dict[str, Any], options: Options
) -> dict[str, Any]:
    """One entity as JSON, with ``options.select`` and ``options.expand`` applied."""
    ident = int(row["id"])
    self_link = f"{engine.base}/{entity_set}({ident})"
    out: dict[str, Any] = {"@iot.id": ident, "@iot.selfLink": self_link}
    out.update(_fields(entity_set, row))
    for name in NAVIGATION[entity_set]:
        out[f"{name}@iot.navigationLink"] = f"{self_link}/{name}"
    if options.select:
        keep = set(options.select) | set(options.expand)
        out = {k: v for k, v in out.items()
               if k.split("@", 1)[0] in keep or (k == "@iot.id" and "id" in keep)}  # fmt: skip
    for name in options.expand:
        out[name] = _expanded(engine, NAVIGATION[entity_set][name], row)
    return out


def _expanded(engine: Engine, nav: Nav, row: dict[str, Any]) -> Any:
    """The expanded navigation property of ``row`` (a list for sets, an object or None)."""
    plain = Options()
    if nav.many:
        scope = Scope(nav.target, constraint=(nav.column, int(row["id"])))
        rows, _, _ = engine.collection(scope, plain)
        return [render(engine, nav.target, r, plain) for r in rows]
    target = row.get(nav.column)
    if target is None or pd.isna(target):
        return None
    return render(engine, nav.target, engine.get_one(nav.target, int(target)), plain)
