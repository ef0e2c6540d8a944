"""
Simulated 15-minute people counts and dwell counts in Chi-Ka-Ho (labelled simulated).

The real file gives, for every day and counter array ``J1``..``J5``, the **daily mean of the
15-minute counts** (people per 15 minutes, both directions). The mean is taken over the
intervals the counters reported: 77 on a normal day (interval starts 05:00 to 24:00; every
value × 77 is a whole number on 1,270 of the 1,278 days), fewer on a few days with an outage
(the smallest count of intervals that makes every array's value × n a whole number).

For each real day and array the simulator draws how the day's total (value × n, a whole
number) spreads over the day's intervals, from a commuter profile on working days (morning
and evening peaks, a lunch bump) or a midday profile on days off, with random variation
(Dirichlet) and integer counts (multinomial), then splits each interval into the two
directions (southbound in the morning, northbound in the evening). The mean over the day's
intervals of the two directions' sum therefore equals the real daily value exactly (up to the
file's rounding). Days not in the real file are never invented.

Dwell counts (people staying, mean number present in a zone during an interval) at the
Chi-Ka-Ho intersection plazas follow Little's law: arrivals of people who stop (a share of the
passers-by on the neighbouring arrays, larger at midday, on days off and in cold or wet
weather) times the mean stay (min) divided by the interval length.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensors.errors import SimulationError
from sensors.simulate._base import TZ, daily_for_year, is_day_off, stream

#: Counter arrays of the real file and their line ids in the store.
ARRAYS: tuple[str, ...] = ("J1", "J2", "J3", "J4", "J5")

#: Series of the counts: the acoustic counter generation of 2011–2023.
FLOW_SERIES = "chikaho-acoustic"

#: Series of the dwell counts.
DWELL_SERIES = "chikaho-dwell"

#: First interval start (minutes after midnight) and the number of intervals of a full day.
FIRST_INTERVAL_MIN = 5 * 60
FULL_DAY_INTERVALS = 77

#: Interval length (min).
INTERVAL_MIN = 15

#: Dwell zones: id, name, the arrays whose passers-by reach it, capacity (people).
#: Arrays are assumed ordered from the Sapporo Station end (J1) to the Odori end (J5).
DWELL_ZONES: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("chikaho-N3-plaza", "北3条交差点広場 / North 3 crossing plaza", ("J1", "J2"), 150),
    ("chikaho-N2-plaza", "北2条交差点広場 / North 2 crossing plaza", ("J2", "J3"), 120),
    ("chikaho-N1-plaza", "北1条交差点広場 / North 1 crossing plaza", ("J3", "J4"), 120),
    ("chikaho-odori-plaza", "大通交差点広場 / Odori crossing plaza", ("J4", "J5"), 150),
)

#: Columns of the simulated counts and dwell tables (DATA_FORMATS.md).
FLOW_COLUMNS: tuple[str, ...] = (
    "time",
    "line_id",
    "direction",
    "interval_min",
    "count",
    "series",
    "estimated",
    "simulated",
)
DWELL_COLUMNS: tuple[str, ...] = (
    "time",
    "zone_id",
    "interval_min",
    "dwell_count",
    "series",
    "estimated",
    "simulated",
)


def intervals_of_day(values: npt.ArrayLike, max_intervals: int = FULL_DAY_INTERVALS) -> int:
    """
    Number of 15-minute intervals a day's daily means were taken over.

    The smallest ``n`` for which every value × ``n`` is a whole number (to 1e-6); if that is
    above ``max_intervals`` the day is taken as a full day.

    Examples
    --------
    >>> intervals_of_day([2242.4545454545455, 1436.5974025974026])
    77
    >>> intervals_of_day([546.5, 635.25])
    4
    """
    n = 1
    for v in np.asarray(values, dtype=np.float64):
        frac = Fraction(float(v)).limit_denominator(max_intervals)
        if abs(float(frac) - v) > 1e-6 * max(1.0, abs(v)):
            return max_intervals
        n = n * frac.denominator // math.gcd(n, frac.denominator)
        if n > max_intervals:
            return max_intervals
    return n


def _gauss(h: npt.NDArray[np.float64], mu: float, sd: float) -> npt.NDArray[np.float64]:
    return np.exp(-0.5 * ((h - mu) / sd) ** 2)


def day_profile(hours: npt.ArrayLike, day_off: bool) -> npt.NDArray[np.float64]:
    """
    Relative walking intensity through the day (weights, not normalised).

    Working days: morning peak 08:30, lunch bump 12:20, evening peak 18:00; days off: a broad
    midday peak around 14:00. Both fade in early morning and late at night (the walkway closes
    at 00:30 and opens at 05:00).

    Examples
    --------
    >>> h = np.arange(5, 24.25, 0.25)
    >>> float(h[np.argmax(day_profile(h, False))]), float(h[np.argmax(day_profile(h, True))])
    (8.5, 14.0)
    """
    h = np.asarray(hours, dtype=np.float64)
    envelope = 1.0 / (1.0 + np.exp(-(h - 6.3) / 0.35)) / (1.0 + np.exp((h - 22.8) / 0.5))
    if day_off:
        w = 0.15 + 1.3 * _gauss(h, 14.0, 2.7) + 0.25 * _gauss(h, 19.0, 1.2)
    else:
        w = (
            0.2
            + 1.9 * _gauss(h, 8.5, 0.55)
            + 0.6 * _gauss(h, 12.33, 0.6)
            + 0.5 * _gauss(h, 15.0, 2.5)
            + 1.5 * _gauss(h, 18.0, 0.9)
        )
    return np.asarray(w * envelope + 0.01, dtype=np.float64)


def _present(n: int, prev_short: bool, next_short: bool, rng: np.random.Generator) -> slice:
    """Which of the 77 interval slots a day with ``n`` reported intervals has (one gap)."""
    if n >= FULL_DAY_INTERVALS:
        return slice(0, FULL_DAY_INTERVALS)
    if prev_short and not next_short:
        return slice(FULL_DAY_INTERVALS - n, FULL_DAY_INTERVALS)
    if next_short and not prev_short:
        return slice(0, n)
    start = int(rng.integers(0, FULL_DAY_INTERVALS - n + 1))
    return slice(start, start + n)


def simulate_flow(
    chikaho_daily: pd.DataFrame,
    year: int,
    seed: int = 42,
    weather_daily: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Simulate Chi-Ka-Ho 15-minute counts and plaza dwell counts for a year (simulated data).

    Parameters
    ----------
    chikaho_daily
        Real daily Chi-Ka-Ho values (:func:`sensors.chikaho.read_chikaho_daily`): columns
        ``J1``..``J5``, daily mean of the 15-minute counts (people per 15 min), one row per date.
    year
        Calendar year; only dates of that year present in the file are simulated.
    seed
        Random seed: the same seed and inputs give identical output.
    weather_daily
        Optional real daily weather (:func:`sensors.weather.read_daily_weather`); cold and wet
        days make more people stop in the plazas. Without it the weather effect is left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The counts (:data:`FLOW_COLUMNS`: lines ``chikaho-J1``..``chikaho-J5``, directions
        ``N``/``S``, series ``chikaho-acoustic``) and the dwell counts (:data:`DWELL_COLUMNS`,
        series ``chikaho-dwell``), both with ``time`` tz-aware Asia/Tokyo (interval start) and
        ``simulated`` true.

    Raises
    ------
    SimulationError
        The year has no dates in the real file, or a value is missing or negative.
    """
    daily = daily_for_year(chikaho_daily, ARRAYS, year, "Chi-Ka-Ho daily counts")
    values = daily.to_numpy(dtype=np.float64)
    if (values < 0).any():
        row = int(np.argwhere(values < 0)[0][0])
        raise SimulationError(
            f"the Chi-Ka-Ho daily counts of {daily.index[row].date()} are negative; counts "
            "must be >= 0. Fix the file."
        )
    days = pd.DatetimeIndex(daily.index)
    n_days = len(days)
    rng = stream(seed, "flow", year)
    off = is_day_off(days)
    slot_hours = (FIRST_INTERVAL_MIN + INTERVAL_MIN * np.arange(FULL_DAY_INTERVALS)) / 60.0
    n_int = np.array([intervals_of_day(v) for v in values])
    short = n_int < FULL_DAY_INTERVALS
    totals = np.rint(values * n_int[:, None]).astype(np.int64)  # (D, 5)

    # slot counts (D, 5, 77), zero in slots the day did not report
    counts = np.zeros((n_days, len(ARRAYS), FULL_DAY_INTERVALS), dtype=np.int64)
    present = np.zeros((n_days, FULL_DAY_INTERVALS), dtype=bool)
    base = {flag: day_profile(slot_hours, flag) for flag in (False, True)}
    for d in range(n_days):
        sl = _present(
            int(n_int[d]),
            bool(d > 0 and short[d - 1]),
            bool(d + 1 < n_days and short[d + 1]),
            rng,
        )
        present[d, sl] = True
        shift = rng.normal(0.0, 0.15)  # the day's peaks a few minutes early or late
        profile = np.interp(slot_hours - shift, slot_hours, base[bool(off[d])])[sl]
        p = rng.gamma(60.0, 1.0, (len(ARRAYS), len(profile))) * profile
        p /= p.sum(axis=1, keepdims=True)
        counts[d, :, sl] = rng.multinomial(totals[d], p)
    # direction split: southbound (station → offices) in the morning, northbound in the evening
    hrs = np.broadcast_to(slot_hours, counts.shape)
    p_south = np.where(
        off[:, None, None],
        0.5 + 0.05 * np.sin(2 * np.pi * (hrs - 12.0) / 24.0),
        0.5 + 0.17 * _gauss(hrs, 8.5, 1.0) - 0.14 * _gauss(hrs, 18.3, 1.3),
    )
    south = rng.binomial(counts, p_south)
    north = counts - south

    day_idx, arr_idx, slot_idx = np.nonzero(np.broadcast_to(present[:, None, :], counts.shape))
    starts = pd.DatetimeIndex(days.tz_localize(None)[day_idx]) + pd.to_timedelta(
        FIRST_INTERVAL_MIN + INTERVAL_MIN * slot_idx, unit="min"
    )
    times = starts.tz_localize(TZ)
    lines = np.array([f"chikaho-{a}" for a in ARRAYS])[arr_idx]
    n = len(times)
    flow = pd.DataFrame(
        {
            "time": np.concatenate([times, times]) if n else pd.DatetimeIndex([], tz=TZ),
            "line_id": np.concatenate([lines, lines]),
            "direction": np.repeat(["N", "S"], n),
            "interval_min": INTERVAL_MIN,
            "count": np.concatenate(
                [north[day_idx, arr_idx, slot_idx], south[day_idx, arr_idx, slot_idx]]
            ),
            "series": FLOW_SERIES,
            "estimated": False,
            "simulated": True,
        },
        columns=list(FLOW_COLUMNS),
    )
    flow["time"] = pd.DatetimeIndex(flow["time"]).tz_convert(TZ)
    flow = flow.sort_values(["line_id", "time", "direction"], kind="stable").reset_index(drop=True)
    dwell = _dwell(counts, present, days, off, slot_hours, weather_daily, seed, year)
    flow.attrs["simulated"] = True
    dwell.attrs["simulated"] = True
    return flow, dwell


def _dwell(
    counts: npt.NDArray[np.int64],
    present: npt.NDArray[np.bool_],
    days: pd.DatetimeIndex,
    off: npt.NDArray[np.bool_],
    slot_hours: npt.NDArray[np.float64],
    weather_daily: pd.DataFrame | None,
    seed: int,
    year: int,
) -> pd.DataFrame:
    """Little's-law dwell counts per plaza and interval (see the module docstring)."""
    rng = stream(seed, "dwell", year)
    n_days = len(days)
    weather_factor = np.ones(n_days)
    if weather_daily is not None:
        w = daily_for_year(
            weather_daily, ("air_temp_c", "precip_mm"), year, "Sapporo daily weather"
        )
        w = w.reindex(days)
        cold = np.clip((5.0 - w["air_temp_c"].to_numpy()) / 15.0, 0.0, 1.0)
        wet = (w["precip_mm"].to_numpy() >= 1.0).astype(np.float64)
        weather_factor = np.nan_to_num(1.0 + 0.4 * cold + 0.3 * wet, nan=1.0)
    h = slot_hours[None, :]
    share = (
        0.02
        * (1.0 + 0.8 * _gauss(h, 12.5, 1.5) + 0.4 * _gauss(h, 19.0, 1.5))
        * np.where(off[:, None], 1.5, 1.0)
        * weather_factor[:, None]
    )
    stay_min = np.where(off[:, None], 18.0, 10.0) * (1.0 + 0.3 * _gauss(h, 13.0, 2.0))
    index = {a: i for i, a in enumerate(ARRAYS)}
    frames = []
    for zone_id, _, arrays, capacity in DWELL_ZONES:
        passers = counts[:, [index[a] for a in arrays], :].mean(axis=1)
        expected = passers * share * stay_min / INTERVAL_MIN
        n = np.minimum(rng.poisson(expected), capacity)
        d_idx, s_idx = np.nonzero(present)
        starts = pd.DatetimeIndex(days.tz_localize(None)[d_idx]) + pd.to_timedelta(
            FIRST_INTERVAL_MIN + INTERVAL_MIN * s_idx, unit="min"
        )
        frames.append(
            pd.DataFrame(
                {
                    "time": starts.tz_localize(TZ),
                    "zone_id": zone_id,
                    "interval_min": INTERVAL_MIN,
                    "dwell_count": n[d_idx, s_idx],
                    "series": DWELL_SERIES,
                    "estimated": False,
                    "simulated": True,
                },
                columns=list(DWELL_COLUMNS),
            )
        )
    return pd.concat(frames, ignore_index=True)


def daily_means(flow: pd.DataFrame) -> pd.DataFrame:
    """
    The daily mean of the 15-minute counts per array, as the real file gives it.

    Sums the directions of each interval, then averages over the day's reported intervals. An
    interval belongs to the operating day it falls in (05:00 to 05:00 the next morning), so the
    interval starting at 24:00 counts for the day before.

    Returns
    -------
    pandas.DataFrame
        Indexed by date (tz-aware midnight, Asia/Tokyo), columns ``J1``..``J5``.
    """
    per_interval = flow.groupby(["line_id", "time"], sort=True)["count"].sum().reset_index()
    per_interval["date"] = (per_interval["time"] - pd.Timedelta(hours=5)).dt.normalize()
    table = per_interval.groupby(["date", "line_id"])["count"].mean().unstack("line_id")
    table.columns = [c.removeprefix("chikaho-") for c in table.columns]
    return table
