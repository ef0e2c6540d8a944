"""
Sensor readings arranged as ``(hour, sensor)`` arrays: QC exclusion, hourly means, wind at one
reference height and MRT from the globe (docs/FIELD.md, "Inputs").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort import indices
from comfort.errors import FieldInputError
from comfort.field.config import TIME_ZONE, require_columns
from comfort.field.derived import _utci, _wind_factor_to_10m
from comfort.field.qc import DEFAULT_KEEP_FLAGS, FlagsLike, qc_exclusion


def to_local_naive(times: Any) -> pd.DatetimeIndex:
    """
    Timestamps as naive Asia/Tokyo wall-clock times (the field's time axis).

    Timezone-aware input is converted to Asia/Tokyo; naive input is taken as Asia/Tokyo already
    (the project's convention for timestamps without a zone).

    Examples
    --------
    >>> to_local_naive(pd.to_datetime(["2022-01-01T00:00Z"]))[0]
    Timestamp('2022-01-01 09:00:00')
    """
    try:
        idx = pd.DatetimeIndex(times)
    except ValueError:  # timezone-aware values in several zones
        idx = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    if idx.tz is not None:
        idx = idx.tz_convert(TIME_ZONE).tz_localize(None)
    return idx


@dataclass
class SensorArrays:
    """
    Readings arranged as ``(hour, sensor)`` arrays, NaN where missing or excluded.

    Attributes
    ----------
    times
        The hours (naive Asia/Tokyo).
    sensors
        The sensor sites (:func:`sensor_sites`), in column order.
    values
        One ``(hour, sensor)`` array per variable of :data:`VARIABLES`; ``wind_speed_m_s`` at
        the reference height ``reference_height_m``; ``mrt_c`` from the globe (ISO 7726), NaN
        where :func:`comfort.indices.mrt_plausible` rejects it.
    utci_c
        UTCI at the sensors (°C), from the observed variables.
    reference_height_m
        Height (m) the wind speeds are expressed at.
    excluded
        What was left out, per reason: readings excluded by QC (``"qc"``; ``"qc_globe_only"``
        lost their globe temperature only), of mobile (``"mobile"``) or unknown
        (``"unknown_sensor"``) sensors, or outside the hours (``"outside_time_range"``); and
        sensor-hours whose MRT failed :func:`comfort.indices.mrt_plausible`
        (``"mrt_implausible"``: MRT and observed UTCI set to NaN; air, humidity and wind kept).
    simulated
        True when any reading is simulated.
    averaged_cells
        Number of sensor-hours that averaged more than one reading (e.g. 10-minute data);
        nothing is excluded there.
    """

    times: pd.DatetimeIndex
    sensors: pd.DataFrame
    values: dict[str, npt.NDArray[np.float64]]
    utci_c: npt.NDArray[np.float64]
    reference_height_m: float
    excluded: dict[str, int] = field(default_factory=dict)
    simulated: bool = False
    averaged_cells: int = 0


def _mrt(
    globe_c: npt.NDArray[np.float64],
    air_c: npt.NDArray[np.float64],
    wind_m_s: npt.NDArray[np.float64],
    diameter_m: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """
    MRT (°C) of ``(hour, sensor)`` arrays, one globe diameter (m) per sensor, and where it is
    plausible (:func:`comfort.indices.mrt_plausible`; False where MRT is NaN).
    """
    out = np.full(globe_c.shape, np.nan)
    plausible = np.zeros(globe_c.shape, dtype=bool)
    for d in np.unique(diameter_m):
        cols = np.flatnonzero(diameter_m == d)
        g, a, w = globe_c[:, cols], air_c[:, cols], wind_m_s[:, cols]
        out[:, cols] = indices.mean_radiant_temperature(g, a, w, globe_diameter_m=float(d))
        plausible[:, cols] = indices.mrt_plausible(g, a, w, globe_diameter_m=float(d))
    return out, plausible


def sensor_arrays(
    readings: pd.DataFrame,
    sites: pd.DataFrame,
    times: Any = None,
    keep_flags: FlagsLike = DEFAULT_KEEP_FLAGS,
    mobile_ids: Sequence[str] = (),
) -> SensorArrays:
    """
    Arrange readings into ``(hour, sensor)`` arrays, after QC exclusion and MRT from the globe.

    Readings go to the hour they fall in (mean of several); wind is expressed at the median
    sensor height; MRT comes from the hourly globe, air and wind, and an MRT that
    :func:`comfort.indices.mrt_plausible` rejects is set to NaN (with the observed UTCI) and
    counted in ``excluded["mrt_implausible"]``. Details: docs/FIELD.md, "Inputs".

    Parameters
    ----------
    readings
        ``time``, ``sensor_id``, ``air_temp_c`` (°C), ``rel_humidity_pct`` (%),
        ``wind_speed_m_s`` (m/s, at sensor height), ``globe_temp_c`` (°C), the QC bitmask
        ``qc_flags`` (see :func:`comfort.field.qc_exclusion`), optional ``simulated``.
    sites
        Sensor sites from :func:`sensor_sites`.
    times
        The hours of the field (default: every hour from the first to the last reading).
    keep_flags
        QC flags that do not exclude a reading (:class:`comfort.qcflags.QCFlag` or names).
    mobile_ids
        Sensors whose readings are left out (mobile kits), counted in ``excluded``.

    Raises
    ------
    FieldInputError
        A required column is missing, ``qc_flags`` is not an integer bitmask, or no reading
        is left.
    """
    require_columns(
        readings,
        ["time", "sensor_id", "air_temp_c", "rel_humidity_pct", "wind_speed_m_s", "globe_temp_c"],
        "the readings table",
        "Read it with sensors.store.Store(path).readings(start=..., end=...).",
    )
    excluded: dict[str, int] = {}
    qc = qc_exclusion(readings, keep_flags)
    bad = qc["reading"].to_numpy()
    excluded["qc"] = int(bad.sum())
    excluded["qc_globe_only"] = int((qc["globe"].to_numpy() & ~bad).sum())
    r = readings.loc[~bad]
    globe_bad = qc["globe"].to_numpy()[~bad]
    ids = r["sensor_id"].astype(str)
    mobile = ids.isin(set(map(str, mobile_ids)))
    excluded["mobile"] = int(mobile.sum())
    known = ids.isin(set(sites["sensor_id"]))
    excluded["unknown_sensor"] = int((~known & ~mobile).sum())
    r = r.loc[known & ~mobile]
    globe_bad = globe_bad[(known & ~mobile).to_numpy()]
    if r.empty:
        raise FieldInputError(
            f"no usable readings: {len(readings)} rows arrived, {excluded} were excluded. "
            "Check the QC flags, the time range and that the sensor ids are in the registry."
        )
    local = to_local_naive(r["time"]).floor("h")
    if times is None:
        times = pd.date_range(local.min(), local.max(), freq="h")
    times = to_local_naive(times)
    col = pd.Index(sites["sensor_id"]).get_indexer(r["sensor_id"].astype(str))
    row = times.get_indexer(local)
    inside = row >= 0
    excluded["outside_time_range"] = int((~inside).sum())
    shape = (len(times), len(sites))
    height = sites["height_m"].to_numpy(float)
    ref_h = float(np.median(height))
    factor = _wind_factor_to_10m(height) / _wind_factor_to_10m(np.array([ref_h]))[0]
    raw: dict[str, npt.NDArray[np.float64]] = {}
    flat = row[inside] * shape[1] + col[inside]
    counts = np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape)
    averaged_cells = int((counts > 1).sum())
    for name in ("air_temp_c", "rel_humidity_pct", "wind_speed_m_s", "globe_temp_c"):
        v = pd.to_numeric(r[name], errors="coerce").to_numpy(float)
        if name == "globe_temp_c":
            v = np.where(globe_bad, np.nan, v)
        v = v[inside]
        ok = np.isfinite(v)
        sums = np.bincount(flat[ok], weights=v[ok], minlength=counts.size).reshape(shape)
        n = np.bincount(flat[ok], minlength=counts.size).reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw[name] = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
    wind_at_sensor = raw["wind_speed_m_s"]
    mrt, plausible = _mrt(
        raw["globe_temp_c"],
        raw["air_temp_c"],
        wind_at_sensor,
        sites["globe_diameter_m"].to_numpy(float),
    )
    implausible = np.isfinite(mrt) & ~plausible
    excluded["mrt_implausible"] = int(implausible.sum())
    mrt[implausible] = np.nan
    values = {
        "air_temp_c": raw["air_temp_c"],
        "mrt_c": mrt,
        "wind_speed_m_s": wind_at_sensor * factor[None, :],
        "rel_humidity_pct": raw["rel_humidity_pct"],
    }
    utci_obs = _utci(values, ref_h)
    simulated = bool(
        "simulated" in readings.columns
        and readings["simulated"].astype("boolean").fillna(False).any()
    )
    return SensorArrays(
        times=times,
        sensors=sites,
        values=values,
        utci_c=utci_obs,
        reference_height_m=ref_h,
        excluded=excluded,
        simulated=simulated,
        averaged_cells=averaged_cells,
    )
