"""
Loading for the conditions engine (:mod:`comfort.conditions`): the comfort fields of the field
store and the real Sapporo daily weather (see docs/CONDITIONS.md).

:class:`StoredFields` opens each year's field lazily (dask, on-disk chunks) and keeps it; every
read runs under one lock, because HDF5 (under netCDF4) is not thread-safe. Whether a field comes
from simulated readings is read here and nowhere else (:func:`is_simulated`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from comfort import routing
from comfort.conditions import Conditions, resolve_conditions
from comfort.constants import DAILY_WEATHER_FILE, TIME_ZONE
from sensors import fieldstore
from sensors.weather import read_daily_weather

#: The real daily weather file (Sapporo City open data, 2019–2022).
WEATHER_FILE = DAILY_WEATHER_FILE


def is_simulated(ds: xr.Dataset) -> bool:
    """
    Whether a field was computed from simulated sensor readings (its ``simulated`` attribute:
    a bool once loaded by :func:`sensors.fieldstore.load_field`, text in older files).

    Examples
    --------
    >>> is_simulated(xr.Dataset(attrs={"simulated": "true"}))
    True
    >>> is_simulated(xr.Dataset())
    False
    """
    value = ds.attrs.get("simulated", False)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return str(value).strip().lower() in ("1", "true", "yes")


def daily_weather_table(path: str | Path) -> pd.DataFrame:
    """
    The real daily weather for the engine: indexed by naive local midnight, columns
    ``air_temp_c`` (°C), ``wind_speed_m_s`` (m/s), ``precip_mm`` (mm), ``snow_depth_cm`` (cm).
    """
    weather = read_daily_weather(path)
    out = weather.rename(columns={"wind_speed_m_s": "wind_speed_m_s"})
    out.index = pd.DatetimeIndex(weather.index).tz_localize(None).normalize()
    return out


def field_times(ds: xr.Dataset) -> pd.DatetimeIndex:
    """The hours of a field as naive Asia/Tokyo timestamps."""
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    if times.tz is not None:
        times = times.tz_convert(TIME_ZONE).tz_localize(None)
    return times


class StoredFields:
    """
    The comfort fields of a cache folder, for :func:`comfort.conditions.resolve_conditions`.

    Parameters
    ----------
    cache_dir
        The cache folder (fields under ``<cache_dir>/field/<year>.nc``).
    open_field
        How to open the field of a year (default :func:`sensors.fieldstore.load_year` with the
        on-disk chunks); the web app passes its cached opener.
    lock
        Lock held around every read (default a new re-entrant lock).
    """

    def __init__(
        self,
        cache_dir: str | Path,
        open_field: Callable[[int], xr.Dataset] | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self._open = open_field or (lambda y: fieldstore.load_year(self.cache_dir, y, chunks={}))
        self._lock = lock or threading.RLock()
        self._datasets: dict[int, xr.Dataset] = {}
        self._times: dict[int, pd.DatetimeIndex] = {}

    def years(self) -> list[int]:
        """Years with a built field, ascending."""
        return fieldstore.available_years(self.cache_dir)

    def dataset(self, year: int) -> xr.Dataset:
        """The field of ``year`` (opened once)."""
        with self._lock:
            if year not in self._datasets:
                self._datasets[year] = self._open(year)
            return self._datasets[year]

    def times(self, year: int) -> pd.DatetimeIndex:
        """The hours of the field of ``year`` (naive Asia/Tokyo)."""
        with self._lock:
            if year not in self._times:
                self._times[year] = field_times(self.dataset(year))
            return self._times[year]

    def hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Segment ids and their UTCI (°C) at one position of the field's time axis."""
        with self._lock:
            ds = self.dataset(year)
            utci = np.asarray(ds["utci_c"].isel(time=position).to_numpy(), dtype=np.float64)
            return np.asarray(ds["edge"].to_numpy(), dtype=np.int64), utci

    def simulated(self, year: int) -> bool:
        """Whether the field of ``year`` comes from simulated sensor readings."""
        return is_simulated(self.dataset(year))


def load_conditions(
    at: dt.datetime | None,
    cg: routing.CompiledGraph,
    cache_dir: str | Path,
    weather_path: str | Path,
) -> Conditions:
    """
    The conditions at ``at`` (naive Asia/Tokyo) from the fields under ``cache_dir`` and the
    daily weather file, without caching (the CLI and the API use the cached
    ``api.resources.Resources.conditions``).
    """
    return resolve_conditions(at, cg, StoredFields(cache_dir), daily_weather_table(weather_path))
