"""
The sensor registry (CSV; docs/DATA_FORMATS.md "Thermal readings"): one row per sensor with
its location, level, installation date and globe size.

A registry row replaces the stored row of the same ``sensor_id``. QC: outside area; a sensor
listed twice in one file keeps its last row, the earlier ones are quarantined.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensors import qc
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import values
from sensors.tables import Col, Spec

SENSORS = Spec(
    "sensors",
    (
        Col("sensor_id", "text", True, ("sensor", "station_id")),
        Col("kind", "text", default="fixed"),
        Col("lat", "double", aliases=("latitude", "緯度")),
        Col("lon", "double", aliases=("lng", "longitude", "経度")),
        Col("level", "int", default="0"),
        Col("height_m", "double"),
        Col("globe_diameter_m", "double"),
        Col("installed", "time"),
        Col("name", "text"),
        Col("simulated", "bool", default="false"),
    ),
    ("sensor_id",),
)

SENSORS_TABLE = OutputTable(
    "sensors",
    (
        ("sensor_id", "TEXT PRIMARY KEY"),
        ("kind", "TEXT NOT NULL"),
        ("lat", "DOUBLE"),
        ("lon", "DOUBLE"),
        ("level", "SMALLINT NOT NULL DEFAULT 0"),
        ("height_m", "DOUBLE"),
        ("globe_diameter_m", "DOUBLE"),
        ("installed", "TIMESTAMPTZ"),
        ("name", "TEXT"),
    ),
    line=False,
)


def qc_sensors(q: QCInput) -> npt.NDArray[np.uint32]:
    """Outside-area flags; earlier rows of a sensor listed again are rejected."""
    t = q.rows
    flags = qc.area_flags(values(t, "lon"), values(t, "lat"), q.area_wgs84)
    sid = pd.Series(t.column("sensor_id").to_pylist())
    earlier = np.flatnonzero(sid.duplicated(keep="last").to_numpy())
    if len(earlier):
        last_line = dict(zip(sid, q.lines.tolist(), strict=True))
        for i in earlier.tolist():
            q.reject(i, "sensor_id", f"sensor_id {sid[i]!r} is listed again on line "
                     f"{last_line[sid[i]]}; that later row was stored")  # fmt: skip
    return flags


ADAPTER = register(
    Adapter(
        kind="sensors",
        description="sensor registry (CSV)",
        spec=SENSORS,
        table=SENSORS_TABLE,
        qc=qc_sensors,
        record_names=("sensors",),
        replace_key="sensor_id",
    )
)
