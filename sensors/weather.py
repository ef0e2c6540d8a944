"""
Adapter for the real Sapporo daily reference weather (the weather columns of the Chi-Ka-Ho file).

The Sapporo City open-data file ``sapporo_daily_chikaho_subway_weather_2019-2022.csv`` carries
daily means of the city weather station under Japanese headers: ``気温(℃)``, ``風向(度:0～359)``,
``風速(m/s)``, ``降水量(mm)``, ``積雪深(cm)``. The first column (no header) is the date.

Dates are returned as a timezone-aware :class:`pandas.DatetimeIndex` at local midnight,
``Asia/Tokyo``, named ``date``: ``weather.loc["2022-01-05"]`` and ``weather.loc["2022"]`` work,
and ``index.date`` gives :class:`datetime.date` values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sensors.errors import FileFormatError
from sensors.kinds.weather import WEATHER_ALIASES, WEATHER_COLUMNS, WEATHER_RANGES
from sensors.readers import read_dated_csv

__all__ = [
    "WEATHER_ALIASES",
    "WEATHER_COLUMNS",
    "WEATHER_RANGES",
    "parse_dates",
    "read_daily_weather",
    "to_numbers",
]

#: Time zone of the Sapporo open data.
TZ = "Asia/Tokyo"


def parse_dates(text: pd.Series, name: str, lines: pd.Series | None = None) -> pd.DatetimeIndex:
    """
    Parse ``YYYY-MM-DD`` (or ``YYYY/MM/DD``) dates to local midnight, Asia/Tokyo.

    Raises
    ------
    FileFormatError
        A date cannot be parsed; the message names the line.
    """
    norm = text.astype("string").str.replace("/", "-", regex=False)
    parsed = pd.to_datetime(norm, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        line = int(lines.iloc[i]) if lines is not None else i + 2
        raise FileFormatError(
            f"{name}: line {line}: field date: expected a date YYYY-MM-DD, got "
            f"{text.iloc[i]!r}. Fix or remove the row."
        )
    return pd.DatetimeIndex(parsed).tz_localize(TZ).rename("date")


def to_numbers(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> pd.DataFrame:
    """
    Convert text columns to float64, naming file, line and field of the first bad value.

    Empty cells become NaN.

    Raises
    ------
    FileFormatError
        A cell holds text that is not a number.
    """
    out = {}
    for col in columns:
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = (num.isna() & raw.notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FileFormatError(
                f"{name}: line {int(frame['line'].iloc[i])}: field {col}: expected a number, "
                f"got {raw.iloc[i]!r}. Fix the cell or leave it empty."
            )
        out[col] = num.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(out, index=frame.index)


def read_daily_weather(path: str | Path) -> pd.DataFrame:
    """
    Read the real Sapporo daily weather from the Chi-Ka-Ho open-data file.

    Parameters
    ----------
    path
        ``sapporo_daily_chikaho_subway_weather_2019-2022.csv`` or a file with the same layout
        (UTF-8 or Shift_JIS; first column the date; Japanese or canonical headers).

    Returns
    -------
    pandas.DataFrame
        One row per day, indexed by ``date`` (tz-aware midnight, Asia/Tokyo), columns
        ``air_temp_c`` (°C, daily mean), ``wind_dir_deg`` (degrees from north, daily mean),
        ``wind_speed_m_s`` (m/s, daily mean), ``precip_mm`` (mm, daily total),
        ``snow_depth_cm`` (cm, daily mean). Empty cells are NaN.

    Raises
    ------
    FileFormatError
        A weather column is missing, a date or number cannot be parsed, or a date repeats.
    EncodingError
        The file is neither UTF-8 nor cp932.
    """
    path = Path(path)
    raw, _ = read_dated_csv(path, WEATHER_ALIASES, WEATHER_COLUMNS)
    index = parse_dates(raw["date_text"], path.name, raw["line"])
    out = to_numbers(raw, WEATHER_COLUMNS, path.name)
    out.index = index
    dup = index.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise FileFormatError(
            f"{path.name}: line {int(raw['line'].iloc[i])}: field date: {index[i].date()} "
            "appears twice; expected one row per day."
        )
    return out.sort_index()
