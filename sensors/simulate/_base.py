"""
Pieces shared by the simulators: the real daily series for a year, seeded generators, the
Japanese calendar (weekday or holiday) and the time grid of a day.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensors.errors import SimulationError

#: Time zone of every simulated timestamp.
TZ = "Asia/Tokyo"

#: Value of the ``simulated`` column and the word shown wherever simulated data is used.
SIMULATED = True


def stream(seed: int, *keys: int | str) -> np.random.Generator:
    """
    A random generator for one independent stream of a simulation.

    The stream is fixed by the seed and the keys (integers, or strings hashed with CRC-32), so
    that, e.g., the siting bias of a station is the same in every simulated year while the
    weather noise differs between years.

    Examples
    --------
    >>> float(stream(42, "thermal", 2022).random()) == float(stream(42, "thermal", 2022).random())
    True
    """
    words = [int(seed) & 0xFFFFFFFF]
    for k in keys:
        words.append(zlib.crc32(k.encode()) if isinstance(k, str) else int(k) & 0xFFFFFFFF)
    return np.random.default_rng(words)


def daily_for_year(
    frame: pd.DataFrame, columns: Sequence[str], year: int, what: str
) -> pd.DataFrame:
    """
    The rows of a real daily series that fall in ``year``, checked to be complete.

    Parameters
    ----------
    frame
        Daily series indexed by date (a ``DatetimeIndex``, tz-aware or naive, or a ``date``
        column), as returned by :func:`sensors.weather.read_daily_weather` and
        :func:`sensors.chikaho.read_chikaho_daily`.
    columns
        Columns the simulator needs.
    year
        Calendar year.
    what
        Name of the series for messages (e.g. ``"Sapporo daily weather"``).

    Returns
    -------
    pandas.DataFrame
        The year's rows of ``columns``, indexed by a tz-aware (Asia/Tokyo) midnight
        ``DatetimeIndex`` named ``date``, sorted.

    Raises
    ------
    SimulationError
        A column is missing, the year has no dates in the series, or a needed value is missing.
    """
    data = frame
    if "date" in data.columns:
        data = data.set_index("date")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SimulationError(
            f"the {what} has no column(s) {missing}; expected {list(columns)}. Read the file "
            "with sensors.weather.read_daily_weather or sensors.chikaho.read_chikaho_daily."
        )
    index = pd.DatetimeIndex(pd.to_datetime(data.index))
    index = index.tz_localize(TZ) if index.tz is None else index.tz_convert(TZ)
    index = index.normalize().rename("date")
    data = pd.DataFrame(
        data[list(columns)].to_numpy(dtype=np.float64), index=index, columns=columns
    )
    data = data[~data.index.duplicated()].sort_index()
    if len(data) == 0:
        raise SimulationError(f"the {what} is empty; nothing to simulate from.")
    in_year = data[data.index.year == year]
    if len(in_year) == 0:
        first, last = data.index[0].date(), data.index[-1].date()
        raise SimulationError(
            f"no real {what} for {year}: the data covers {first}..{last}. Only dates present "
            f"in the real file can be simulated; choose a year from {first.year} to {last.year}."
        )
    bad = in_year.isna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise SimulationError(
            f"the {what} has no value of {columns[col]} on {in_year.index[row].date()}; the "
            "simulator follows the real value of every day. Fill or remove that day in the file."
        )
    return in_year


def day_grid(interval_min: int) -> npt.NDArray[np.float64]:
    """
    Local clock hours of the readings of one day, e.g. ``[0, 1, ..., 23]`` for 60 minutes.

    Raises
    ------
    SimulationError
        ``interval_min`` does not divide a day into whole intervals.

    Examples
    --------
    >>> day_grid(360).tolist()
    [0.0, 6.0, 12.0, 18.0]
    """
    if interval_min <= 0 or 1440 % interval_min:
        raise SimulationError(
            f"interval_min must divide a day (1440 min) into whole intervals, e.g. 10, 15, 30 "
            f"or 60; got {interval_min}."
        )
    return np.arange(0, 1440, interval_min, dtype=np.float64) / 60.0


def times_for(dates: pd.DatetimeIndex, interval_min: int) -> pd.DatetimeIndex:
    """Reading times (tz-aware, Asia/Tokyo) of every ``interval_min`` of the given dates."""
    steps = pd.to_timedelta(np.arange(0, 1440, interval_min), unit="min")
    days = np.repeat(dates.tz_localize(None).to_numpy(), len(steps))
    return pd.DatetimeIndex(days + np.tile(steps.to_numpy(), len(dates))).tz_localize(TZ)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


#: Holidays moved or added by law in particular years (the 2019 enthronement, the Tokyo
#: Olympics of 2020 and 2021); the usual day of a moved holiday is in ``_NOT_HOLIDAY``.
_EXTRA_HOLIDAYS = {
    2019: ("04-30", "05-01", "05-02", "10-22"),
    2020: ("07-23", "07-24", "08-10"),
    2021: ("07-22", "07-23", "08-08"),
}
_NOT_HOLIDAY = {
    2020: ("07-20", "08-11", "10-12"),
    2021: ("07-19", "08-11", "10-11"),
}


def national_holidays(year: int) -> set[dt.date]:
    """
    Japanese national holidays of a year (the law as of 2019–2024), with substitute holidays.

    Includes the fixed and "happy Monday" holidays, the equinoxes (the usual astronomical
    approximation), the special days of 2019–2021, substitute holidays (a holiday on a Sunday
    moves to the next working day) and citizens' holidays (a day between two holidays).

    Examples
    --------
    >>> dt.date(2022, 3, 21) in national_holidays(2022)
    True
    >>> dt.date(2021, 7, 19) in national_holidays(2021)
    False
    """
    y = year
    days = {
        dt.date(y, 1, 1),
        _nth_weekday(y, 1, 0, 2),
        dt.date(y, 2, 11),
        dt.date(y, 4, 29),
        dt.date(y, 5, 3),
        dt.date(y, 5, 4),
        dt.date(y, 5, 5),
        _nth_weekday(y, 7, 0, 3),
        dt.date(y, 8, 11),
        _nth_weekday(y, 9, 0, 3),
        _nth_weekday(y, 10, 0, 2),
        dt.date(y, 11, 3),
        dt.date(y, 11, 23),
    }
    # the Emperor's Birthday: 23 December up to 2018 (Heisei), none in 2019, 23 February since 2020
    if y >= 2020:
        days.add(dt.date(y, 2, 23))
    elif y <= 2018:
        days.add(dt.date(y, 12, 23))
    k = y - 1980
    days.add(dt.date(y, 3, int(20.8431 + 0.242194 * k - k // 4)))
    days.add(dt.date(y, 9, int(23.2488 + 0.242194 * k - k // 4)))
    days -= {dt.date.fromisoformat(f"{y}-{md}") for md in _NOT_HOLIDAY.get(y, ())}
    days |= {dt.date.fromisoformat(f"{y}-{md}") for md in _EXTRA_HOLIDAYS.get(y, ())}
    for d in sorted(days):
        if d.weekday() == 6:
            sub = d + dt.timedelta(days=1)
            while sub in days:
                sub += dt.timedelta(days=1)
            days.add(sub)
    for d in sorted(days):
        between = d + dt.timedelta(days=1)
        if between not in days and between.weekday() != 6 and (d + dt.timedelta(days=2)) in days:
            days.add(between)
    return days


def is_day_off(dates: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
    """
    Whether each date is a day off: Saturday, Sunday, national holiday or year-end break.

    The year-end break (29 December to 3 January) is not a national holiday but offices close,
    so people move about as on holidays.
    """
    holidays: set[dt.date] = set()
    for y in set(dates.year):
        holidays |= national_holidays(int(y))
    plain = [d.date() for d in dates]
    out = np.array(
        [
            d.weekday() >= 5
            or d in holidays
            or (d.month == 12 and d.day >= 29)
            or (d.month == 1 and d.day <= 3)
            for d in plain
        ],
        dtype=bool,
    )
    return out
