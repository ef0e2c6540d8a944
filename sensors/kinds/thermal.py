"""
Thermal-environment readings (CSV or JSON Lines; docs/DATA_FORMATS.md "Thermal readings").

QC: physical range, location and level plausibility, the sensor registry (location fallback,
installation date, ``unregistered``), future times, outside area, globe far below air, the
per-sensor series tests (step, spike, persistence, duplicate) and duplicates against the store.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from comfort.qcflags import QCFlag
from sensors import qc
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import values
from sensors.tables import Col, Spec

THERMAL = Spec(
    "thermal",
    (
        Col("time", "time", True, ("timestamp", "datetime", "日時", "時刻")),
        Col("sensor_id", "text", True, ("sensor", "station_id", "センサーid")),
        Col("lat", "double", aliases=("latitude", "緯度")),
        Col("lon", "double", aliases=("lng", "longitude", "経度")),
        Col("level", "int"),
        Col("air_temp_c", "double", aliases=("気温(℃)", "気温")),
        Col("rel_humidity_pct", "double", aliases=("rh_pct", "相対湿度(%)", "湿度(%)", "湿度")),
        Col("wind_speed_m_s", "double", aliases=("wind_speed_ms", "風速(m/s)", "風速")),
        Col("globe_temp_c", "double", aliases=("黒球温度(℃)", "黒球温度")),
        Col("solar_wm2", "double", aliases=("日射量(w/m2)", "日射量")),
        Col("simulated", "bool", default="false"),
    ),
    ("time", "sensor_id", "air_temp_c", "rel_humidity_pct", "wind_speed_m_s", "globe_temp_c"),
)

#: Physical range of each reading variable (inclusive), following WMO-style plausible limits
#: widened for street-level microclimate.
READING_RANGES: dict[str, tuple[float, float]] = {
    "air_temp_c": (-40.0, 45.0),
    "rel_humidity_pct": (0.0, 100.0),
    "wind_speed_m_s": (0.0, 60.0),
    "globe_temp_c": (-45.0, 80.0),
    "solar_wm2": (0.0, 1400.0),
}

#: Variables whose absence is flagged ``missing`` (solar radiation is optional).
REQUIRED_VARIABLES: tuple[str, ...] = (
    "air_temp_c",
    "rel_humidity_pct",
    "wind_speed_m_s",
    "globe_temp_c",
)

#: Levels a reading may be on: 0 street, −1 underground.
LEVELS: tuple[int, ...] = (0, -1)

READINGS_TABLE = OutputTable(
    "readings",
    (
        ("time", "TIMESTAMPTZ NOT NULL"),
        ("sensor_id", "TEXT NOT NULL"),
        ("lat", "DOUBLE"),
        ("lon", "DOUBLE"),
        ("level", "SMALLINT"),
        ("air_temp_c", "DOUBLE"),
        ("rel_humidity_pct", "DOUBLE"),
        ("wind_speed_m_s", "DOUBLE"),
        ("globe_temp_c", "DOUBLE"),
        ("solar_wm2", "DOUBLE"),
    ),
)


def _fill_nan(
    vals: npt.NDArray[np.float64], per_code: npt.NDArray[np.float64], codes: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """``vals`` with each NaN replaced by ``per_code`` of its row's code."""
    nan = np.isnan(vals)
    if not nan.any():
        return vals
    return np.where(nan, per_code[codes], vals)


def series_order(
    codes: npt.NDArray[np.int64], time_us: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp] | None:
    """
    The stable order by (sensor code, time), or None when the rows are already in it.

    Two stable sorts (time, then the small sensor codes, which numpy sorts by radix) give the
    same order as ``np.lexsort((np.arange(n), time_us, codes))``.
    """
    if codes.size < 2:
        return None
    dc = codes[1:] - codes[:-1]
    if np.all((dc > 0) | ((dc == 0) & (time_us[1:] >= time_us[:-1]))):
        return None
    by_time = np.argsort(time_us, kind="stable")
    small = codes.astype(np.uint16) if codes.max() < 65_536 else codes
    return by_time[np.argsort(small[by_time], kind="stable")]


def qc_thermal(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of thermal readings (see the module docstring)."""
    t, ranges = q.rows, q.ranges
    n = t.num_rows
    flags = np.zeros(n, dtype=np.uint32)
    time_us = values(t, "time")
    vals = {v: values(t, v) for v in ranges}
    flags |= qc.range_flags({k: vals[k] for k in REQUIRED_VARIABLES}, ranges)
    solar = vals["solar_wm2"]
    lo, hi = ranges["solar_wm2"]
    with np.errstate(invalid="ignore"):
        flags[(solar < lo) | (solar > hi)] |= np.uint32(QCFlag.RANGE)
    lat, lon = values(t, "lat"), values(t, "lon")
    level = values(t, "level")  # NaN where empty
    with np.errstate(invalid="ignore"):
        flags[(np.abs(lat) > 90) | (np.abs(lon) > 180)] |= np.uint32(QCFlag.RANGE)
        flags[~np.isnan(level) & ~np.isin(level, LEVELS)] |= np.uint32(QCFlag.RANGE)
    # registry, looked up once per distinct sensor of the batch
    con = q.store.con
    reg = con.execute(
        "SELECT sensor_id, lat, lon, level, epoch_us(installed) AS installed_us FROM sensors"
    ).df()
    sid = t.column("sensor_id").combine_chunks().dictionary_encode()
    codes = sid.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = pd.Index(sid.dictionary.to_pylist())
    registered_ids = reg["sensor_id"]
    reg = reg.set_index("sensor_id").reindex(names)
    registered = reg["lat"].notna().to_numpy() | reg.index.isin(registered_ids)
    loc_lat = _fill_nan(lat, reg["lat"].to_numpy(dtype=np.float64, na_value=np.nan), codes)
    loc_lon = _fill_nan(lon, reg["lon"].to_numpy(dtype=np.float64, na_value=np.nan), codes)
    # a sensor outside the registry is fine when the row carries its location (mobile kits)
    unreg = ~registered[codes] & (np.isnan(loc_lat) | np.isnan(loc_lon))
    flags[unreg] |= np.uint32(QCFlag.UNREGISTERED)
    if unreg.any():
        missing = sorted(set(np.asarray(names)[np.unique(codes[unreg])].tolist()))[:5]
        q.messages.append(
            f"{q.name}: {int(unreg.sum())} readings from sensors neither in the registry nor "
            f"with lat/lon (e.g. {missing}); stored, flagged 'unregistered'. Ingest the registry "
            "with 'kaiteki ingest sensors'."
        )
    installed = reg["installed_us"].to_numpy(dtype=np.float64, na_value=np.nan)
    installed = np.where(np.isnan(installed), np.iinfo(np.int64).min, installed).astype(np.int64)
    flags |= qc.time_flags(time_us, q.now_us, installed[codes])
    flags |= qc.area_flags(loc_lon, loc_lat, q.area_wgs84)
    flags |= qc.globe_flags(vals["globe_temp_c"], vals["air_temp_c"])
    # time series tests in (sensor, time, file order)
    lev = np.nan_to_num(level, nan=0.0).astype(np.int64)
    order = series_order(codes, time_us)
    if order is None:  # already in (sensor, time) order, as most station files are
        flags |= qc.series_flags(codes, time_us, vals, lev)
    else:
        sflags = qc.series_flags(
            codes[order], time_us[order], {k: v[order] for k, v in vals.items()}, lev[order]
        )
        flags[order] |= sflags
    if n:
        flags |= _stored_duplicates(q)
    return flags


def _stored_duplicates(q: QCInput) -> npt.NDArray[np.uint32]:
    """``duplicate`` on readings whose (sensor_id, time) is already in the store."""
    t = q.rows
    out = np.zeros(t.num_rows, dtype=np.uint32)
    keys = pa.table({"sensor_id": t.column("sensor_id"), "time": t.column("time")})
    hit = q.store.existing_keys("readings", keys)
    if len(hit):
        out[np.asarray(hit, dtype=np.int64)] |= np.uint32(QCFlag.DUPLICATE)
        q.messages.append(
            f"{q.name}: {len(hit)} readings repeat a (sensor_id, time) already in the store; "
            "flagged 'duplicate'."
        )
    return out


ADAPTER = register(
    Adapter(
        kind="thermal",
        description="thermal readings (CSV or .jsonl)",
        spec=THERMAL,
        table=READINGS_TABLE,
        qc=qc_thermal,
        ranges=READING_RANGES,
        record_names=("readings", "thermal"),
    )
)
