"""
Adapter for the real Chi-Ka-Ho daily people counts and subway boardings (Sapporo open data).

``sapporo_daily_chikaho_subway_weather_2019-2022.csv`` has one row per day. The columns
``J1``..``J5`` are the Chi-Ka-Ho (Sapporo Station–Odori underground walkway) people-counter
arrays, given as the **daily mean of the 15-minute counts** (people per 15 minutes, averaged
over the counted intervals of the day). The subway columns are daily boardings per station and
line. The arrays of 2019–2022 are the acoustic generation (series ``chikaho-acoustic``); the
2024 infrared counters are a different series and must not be spliced onto it.

Dates: a timezone-aware index at local midnight, Asia/Tokyo, named ``date``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sensors.kinds.chikaho import (
    ARRAYS,
    CHIKAHO_SERIES,
    DAILY_ALIASES,
    SUBWAY_ALIASES,
    SUBWAY_LINE_IDS,
    SUBWAY_SERIES,
)
from sensors.readers import read_dated_csv
from sensors.weather import parse_dates, to_numbers

__all__ = [
    "ARRAYS",
    "CHIKAHO_SERIES",
    "SUBWAY_ALIASES",
    "SUBWAY_LINE_IDS",
    "SUBWAY_SERIES",
    "chikaho_long",
    "read_chikaho_daily",
]


def read_chikaho_daily(path: str | Path) -> pd.DataFrame:
    """
    Read the Chi-Ka-Ho daily counts and subway boardings.

    Parameters
    ----------
    path
        ``sapporo_daily_chikaho_subway_weather_2019-2022.csv`` or a file with its layout
        (UTF-8 or Shift_JIS).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date`` (tz-aware midnight, Asia/Tokyo); columns ``J1``..``J5`` (daily
        mean of 15-minute counts, people per 15 min) and the six ``*_boardings`` columns
        (boardings per day): ``sapporo_namboku_boardings``, ``sapporo_toho_boardings``,
        ``susukino_namboku_boardings``, ``odori_namboku_boardings``,
        ``odori_tozai_boardings``, ``odori_toho_boardings``.

    Raises
    ------
    FileFormatError
        A column is missing or a cell cannot be parsed (message names line and field).
    EncodingError
        Not UTF-8 or cp932 text.
    """
    path = Path(path)
    raw, _ = read_dated_csv(path, DAILY_ALIASES, ARRAYS)
    index = parse_dates(raw["date_text"], path.name, raw["line"])
    cols = tuple(c for c in DAILY_ALIASES if c in raw.columns)
    out = to_numbers(raw, cols, path.name)
    out.index = index
    return out.sort_index()


def chikaho_long(daily: pd.DataFrame) -> pd.DataFrame:
    """
    Long form of :func:`read_chikaho_daily` for the ``counts`` table.

    Parameters
    ----------
    daily
        The frame returned by :func:`read_chikaho_daily`.

    Returns
    -------
    pandas.DataFrame
        One row per day and line: ``time`` (midnight Asia/Tokyo), ``line_id``
        (``chikaho-J1``.. or ``subway-<station>-<line>``), ``direction`` (``both`` for the
        arrays, ``boarding`` for the subway), ``interval_min`` (1440), ``count``,
        ``statistic`` (``mean_per_15min`` for the arrays, ``total`` for boardings),
        ``series``. Missing values are kept as NaN.
    """
    parts = []
    for col in daily.columns:
        is_array = col in ARRAYS
        parts.append(
            pd.DataFrame(
                {
                    "time": daily.index,
                    "line_id": f"chikaho-{col}" if is_array else SUBWAY_LINE_IDS[col],
                    "direction": "both" if is_array else "boarding",
                    "interval_min": 1440,
                    "count": daily[col].to_numpy(dtype=np.float64),
                    "statistic": "mean_per_15min" if is_array else "total",
                    "series": CHIKAHO_SERIES if is_array else SUBWAY_SERIES,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
