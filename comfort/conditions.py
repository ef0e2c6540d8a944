"""
The conditions of one moment: comfort field hour, snow depth, weather, walkway opening state,
and where each came from (see docs/CONDITIONS.md).

Pure logic: the field years and hours, the daily weather table and the compiled graph come in
as arguments (loading lives in :mod:`sensors.conditions`). Each input is taken from the first
source that has it, in the order of :data:`SOURCES`: ``exact`` (data for that hour or day),
``same_day_other_year`` (the same calendar day and hour of the nearest year that has it; 29 Feb
becomes 28 Feb in a common year), ``climatology`` (mean of the same calendar days, ±3 days,
over every year of the real series), else ``none``. A value the user gave is ``given``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort import indices, routing
from comfort.constants import SEASONS, season_of_month

Source = Literal["exact", "same_day_other_year", "climatology", "given", "none"]

#: Sources in the order they are tried (``given`` only comes from the user).
SOURCES: tuple[Source, ...] = ("exact", "same_day_other_year", "climatology", "none")

#: Half-width (days) of the calendar window of a climatology.
CLIMATOLOGY_WINDOW_DAYS = 3

#: Daily weather variables reported besides the snow depth, with their units in the names.
WEATHER_VARIABLES: tuple[str, ...] = ("air_temp_c", "wind_speed_m_s", "precip_mm")

#: UTCI category labels in the order of the categories (coldest first).
CATEGORY_KEYS: tuple[str, ...] = tuple(c.name_en for c in indices.UTCI_CATEGORIES)


class FieldAccess(Protocol):
    """What the engine needs from the comfort fields (see :class:`sensors.conditions.StoredFields`)."""

    def years(self) -> Sequence[int]:
        """Years with a built field, ascending."""

    def times(self, year: int) -> pd.DatetimeIndex:
        """The field's hours (naive Asia/Tokyo), ascending."""

    def hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Segment ids and their UTCI (°C) at one position of the time axis."""

    def simulated(self, year: int) -> bool:
        """Whether the field of ``year`` comes from simulated sensor readings."""


def same_day_in(year: int, at: dt.datetime) -> dt.datetime:
    """
    The same calendar day and time as ``at`` in ``year``; 29 Feb becomes 28 Feb in a common year.

    Examples
    --------
    >>> same_day_in(2022, dt.datetime(2024, 2, 29, 14, 35))
    datetime.datetime(2022, 2, 28, 14, 35)
    >>> same_day_in(2020, dt.datetime(2024, 2, 29, 14, 0))
    datetime.datetime(2020, 2, 29, 14, 0)
    """
    day = at.day
    if at.month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return at.replace(year=year, day=day)


def _years_by_distance(years: Sequence[int], year: int) -> list[int]:
    """Other years, nearest first; of two at the same distance the later one first."""
    return sorted((y for y in years if y != year), key=lambda y: (abs(y - year), -y))


# --------------------------------------------------------------------------------------------
# Comfort field hour
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldHour:
    """
    The field hour chosen for a time: year, hour and position on the time axis (None for a
    season mean), source.
    """

    year: int
    time: dt.datetime | None
    position: int | None
    source: Source


def _position(times: pd.DatetimeIndex, hour: dt.datetime) -> int | None:
    pos = int(times.searchsorted(pd.Timestamp(hour)))
    if pos < len(times) and times[pos] == pd.Timestamp(hour):
        return pos
    return None


def choose_field_hour(at: dt.datetime, fields: FieldAccess) -> FieldHour | None:
    """
    The field hour holding ``at`` (naive local time): its own year's field when that covers the
    hour (``exact``), else the same calendar day and hour of the nearest year whose field does
    (``same_day_other_year``), else None.
    """
    hour = at.replace(minute=0, second=0, microsecond=0)
    years = list(fields.years())
    if hour.year in years:
        pos = _position(fields.times(hour.year), hour)
        if pos is not None:
            return FieldHour(hour.year, hour, pos, "exact")
    for year in _years_by_distance(years, hour.year):
        other = same_day_in(year, hour)
        pos = _position(fields.times(year), other)
        if pos is not None:
            return FieldHour(year, other, pos, "same_day_other_year")
    return None


# --------------------------------------------------------------------------------------------
# Daily values (snow depth, weather)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyValue:
    """A daily value, its source and the day it is from (None for a climatology or none)."""

    value: float | None
    source: Source
    date: dt.date | None = None


def daily_value(
    series: pd.Series, day: dt.date, window_days: int = CLIMATOLOGY_WINDOW_DAYS
) -> DailyValue:
    """
    The value of ``day`` in a daily series, or the best stand-in (see the module docstring).

    Parameters
    ----------
    series
        Daily values indexed by naive midnight timestamps (NaN for a missing value).
    day
        The day wanted.
    window_days
        Half-width of the calendar window of the climatology (days).

    Examples
    --------
    >>> s = pd.Series([10.0, 20.0, np.nan], pd.to_datetime(["2021-01-20", "2022-01-20", "2022-01-21"]))
    >>> daily_value(s, dt.date(2022, 1, 20))
    DailyValue(value=20.0, source='exact', date=datetime.date(2022, 1, 20))
    >>> daily_value(s, dt.date(2025, 1, 20)).date
    datetime.date(2022, 1, 20)
    >>> daily_value(s, dt.date(2022, 1, 21))
    DailyValue(value=15.0, source='climatology', date=None)
    """
    ok = series.dropna()
    if ok.empty:
        return DailyValue(None, "none")
    index = pd.DatetimeIndex(ok.index)
    values = ok.to_numpy(dtype=np.float64)
    at = dt.datetime(day.year, day.month, day.day)
    pos = _position(index, at)
    if pos is not None:
        return DailyValue(float(values[pos]), "exact", day)
    for year in _years_by_distance(sorted(set(index.year)), day.year):
        pos = _position(index, same_day_in(year, at))
        if pos is not None:
            return DailyValue(float(values[pos]), "same_day_other_year", index[pos].date())
    near = _calendar_distance_days(index, at) <= window_days
    if near.any():
        return DailyValue(float(values[near].mean()), "climatology")
    return DailyValue(None, "none")


def _calendar_distance_days(index: pd.DatetimeIndex, at: dt.datetime) -> npt.NDArray[np.int64]:
    """Days between each date and the nearest same calendar day as ``at`` (any year)."""
    years = range(int(index.year.min()) - 1, int(index.year.max()) + 2)
    targets = pd.DatetimeIndex([same_day_in(y, at) for y in years])
    pos = np.clip(targets.searchsorted(index), 1, len(targets) - 1)
    after = np.abs((targets[pos] - index).days.to_numpy())
    before = np.abs((index - targets[pos - 1]).days.to_numpy())
    return np.asarray(np.minimum(after, before), dtype=np.int64)


def season_mean(series: pd.Series, season: str) -> DailyValue:
    """The mean of a daily series over the days of a season, every year (``climatology``)."""
    months = [m for m in range(1, 13) if season_of_month(m) == season]
    index = pd.DatetimeIndex(series.index)
    values = series.to_numpy(dtype=np.float64)[index.month.isin(months)]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return DailyValue(None, "none")
    return DailyValue(float(values.mean()), "climatology")


# --------------------------------------------------------------------------------------------
# Walkway opening state
# --------------------------------------------------------------------------------------------


def closed_walkways(
    cg: routing.CompiledGraph, at: dt.datetime | dt.time | None
) -> tuple[bool, tuple[str, ...]]:
    """
    Whether every walkway with opening hours is open at ``at``, and the names of those closed,
    by the routing rule (:func:`comfort.routing.open_mask`). ``at=None``: every walkway open.
    """
    is_open = routing.open_mask(cg.open_min, cg.close_min, routing.minute_of_day(at))
    shut = ~is_open
    names = sorted({str(n) for n in cg.name[shut] if isinstance(n, str) and n})
    return not bool(shut.any()), tuple(names)


# --------------------------------------------------------------------------------------------
# The conditions object
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Conditions:
    """
    Everything a route, a map or a KPI needs about one moment, with where each part came from.

    Attributes
    ----------
    at
        The time (naive Asia/Tokyo), or None for "no particular time".
    field_hour
        The field hour used (for a season mean: the year only), or None.
    edge_ids, utci_c
        Segment ids and their UTCI (°C) at that hour, or None.
    simulated
        Whether the field comes from simulated sensor readings.
    snow
        Snow depth of the day (cm).
    weather
        Daily air temperature (°C), wind speed (m/s) and precipitation (mm).
    walkways_open
        Whether every walkway with opening hours is open.
    walkways_closed
        Names of the walkways closed at that time.
    aggregation
        For a season × hour mean: ``{"season": ..., "hour": ...}``; else None.
    """

    at: dt.datetime | None
    field_hour: FieldHour | None
    edge_ids: npt.NDArray[np.int64] | None = field(default=None, repr=False)
    utci_c: npt.NDArray[np.float64] | None = field(default=None, repr=False)
    simulated: bool = False
    snow: DailyValue = DailyValue(None, "none")
    weather: dict[str, DailyValue] = field(default_factory=dict)
    walkways_open: bool = True
    walkways_closed: tuple[str, ...] = ()
    aggregation: dict[str, Any] | None = None

    @property
    def snow_depth_cm(self) -> float:
        """Snow depth (cm) to route with: 0 when unknown."""
        return 0.0 if self.snow.value is None else float(self.snow.value)

    @property
    def field_source(self) -> Source:
        """Where the comfort field hour came from."""
        return "none" if self.field_hour is None else self.field_hour.source

    def with_snow(self, snow_depth_cm: float) -> Conditions:
        """The same conditions with a snow depth the user gave (cm)."""
        return replace(self, snow=DailyValue(float(snow_depth_cm), "given"))

    def without_field(self) -> Conditions:
        """The same conditions without the comfort field (distance-only routes)."""
        return replace(self, field_hour=None, edge_ids=None, utci_c=None, simulated=False)

    def to_dict(self) -> dict[str, Any]:
        """
        The JSON ``conditions`` object: ``at``, ``field_year``, ``field_time``,
        ``field_source``, ``simulated``, ``snow_depth_cm``, ``snow_source``, ``snow_date``,
        ``weather`` (values and ``source``, ``date``), ``walkways_open``, ``walkways_closed``.
        """
        weather: dict[str, Any] = {
            name: _rounded(self.weather[name].value, 1) if name in self.weather else None
            for name in WEATHER_VARIABLES
        }
        weather["source"] = _least_exact([v.source for v in self.weather.values()])
        dates = {v.date for v in self.weather.values() if v.date is not None}
        weather["date"] = min(dates).isoformat() if len(dates) == 1 else None
        out: dict[str, Any] = {
            "at": None if self.at is None else self.at.isoformat(timespec="minutes"),
            "field_year": None if self.field_hour is None else self.field_hour.year,
            "field_time": (
                None
                if self.field_hour is None or self.field_hour.time is None
                else self.field_hour.time.isoformat(timespec="minutes")
            ),
            "field_source": self.field_source,
            "simulated": self.simulated,
            "snow_depth_cm": self.snow.value,
            "snow_source": self.snow.source,
            "snow_date": None if self.snow.date is None else self.snow.date.isoformat(),
            "weather": weather,
            "walkways_open": self.walkways_open,
            "walkways_closed": list(self.walkways_closed),
        }
        if self.aggregation is not None:
            out["aggregation"] = dict(self.aggregation)
        return out


def _rounded(value: float | None, ndigits: int) -> float | None:
    return None if value is None else round(float(value), ndigits)


def _least_exact(sources: Sequence[Source]) -> Source:
    order: tuple[Source, ...] = ("given", *SOURCES)
    return max(sources, key=order.index) if sources else "none"


def _weather_of(daily_weather: pd.DataFrame, day: dt.date) -> dict[str, DailyValue]:
    return {
        name: daily_value(daily_weather[name], day)
        for name in WEATHER_VARIABLES
        if name in daily_weather.columns
    }


def resolve_conditions(
    at: dt.datetime | None,
    cg: routing.CompiledGraph,
    fields: FieldAccess,
    daily_weather: pd.DataFrame,
) -> Conditions:
    """
    The conditions at ``at`` (naive Asia/Tokyo time; None: no particular time, nothing known).

    Parameters
    ----------
    at
        The time.
    cg
        The compiled walking graph (walkway opening hours; field segments must match it).
    fields
        The comfort fields (:class:`FieldAccess`).
    daily_weather
        Daily weather indexed by naive midnight timestamps: ``snow_depth_cm`` (cm) and any of
        :data:`WEATHER_VARIABLES`.
    """
    if at is None:
        return Conditions(at=None, field_hour=None)
    at = at.replace(second=0, microsecond=0)
    chosen = choose_field_hour(at, fields)
    ids = utci = None
    simulated = False
    if chosen is not None and chosen.position is not None:
        ids, utci = fields.hour(chosen.year, chosen.position)
        simulated = fields.simulated(chosen.year)
    snow = (
        daily_value(daily_weather["snow_depth_cm"], at.date())
        if "snow_depth_cm" in daily_weather.columns
        else DailyValue(None, "none")
    )
    is_open, closed = closed_walkways(cg, at)
    return Conditions(
        at=at,
        field_hour=chosen,
        edge_ids=ids,
        utci_c=utci,
        simulated=simulated,
        snow=snow,
        weather=_weather_of(daily_weather, at.date()),
        walkways_open=is_open,
        walkways_closed=closed,
    )


def season_conditions(
    year: int,
    season: str,
    hour: int,
    cg: routing.CompiledGraph,
    daily_weather: pd.DataFrame,
    *,
    has_field: bool,
    simulated: bool,
) -> Conditions:
    """
    The conditions of a season × hour mean of the field of ``year``: the field is ``exact``
    (that year's mean) when built; snow and weather are the season's means over every year of
    the daily series (``climatology``); walkways as at ``hour``:00.
    """
    if season not in SEASONS:
        raise ValueError(f"season must be one of {', '.join(SEASONS)}; got {season!r}")
    is_open, closed = closed_walkways(cg, dt.time(hour))
    snow = (
        season_mean(daily_weather["snow_depth_cm"], season)
        if "snow_depth_cm" in daily_weather.columns
        else DailyValue(None, "none")
    )
    return Conditions(
        at=None,
        field_hour=FieldHour(year, None, None, "exact") if has_field else None,
        simulated=simulated and has_field,
        snow=snow,
        weather={
            name: season_mean(daily_weather[name], season)
            for name in WEATHER_VARIABLES
            if name in daily_weather.columns
        },
        walkways_open=is_open,
        walkways_closed=closed,
        aggregation={"year": year, "season": season, "hour": hour, "statistic": "mean"},
    )


# --------------------------------------------------------------------------------------------
# Route weights from conditions
# --------------------------------------------------------------------------------------------


def comfort_and_labels(
    utci_c: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.object_]]:
    """
    Comfort score (0..1) and UTCI category label per value; NaN UTCI (no estimate) counts as
    comfortable (no discomfort cost) and is labelled ``"no data"``.

    Examples
    --------
    >>> comfort, labels = comfort_and_labels(np.array([20.0, np.nan]))
    >>> comfort.tolist(), labels.tolist()
    ([1.0, 1.0], ['no thermal stress', 'no data'])
    """
    ok = np.isfinite(utci_c)
    comfort = np.ones(utci_c.shape, dtype=np.float64)
    labels = np.full(utci_c.shape, "no data", dtype=object)
    if ok.any():
        comfort[ok] = np.asarray(indices.comfort_score(utci_c[ok]), dtype=np.float64)
        codes = np.asarray(indices.utci_category(utci_c[ok])).astype(int)
        labels[ok] = np.asarray(CATEGORY_KEYS, dtype=object)[codes]
    return comfort, labels


def route_weights(
    cg: routing.CompiledGraph,
    conditions: Conditions,
    mode: str,
    alpha: float = routing.DEFAULT_ALPHA,
    surface: routing.Surface = "kept",
) -> routing.EdgeWeights:
    """
    Routing weights of a mode under ``conditions``: walkway hours at its time, its snow depth,
    and the discomfort of its comfort field hour (distance only without one).

    Raises
    ------
    RoutingError
        Unknown mode or surface, bad α, or a field whose segments are not the graph's.
    """
    discomfort = categories = None
    if conditions.edge_ids is not None and conditions.utci_c is not None:
        comfort, labels = comfort_and_labels(np.asarray(conditions.utci_c, dtype=np.float64))
        discomfort = cg.per_edge(1.0 - comfort, conditions.edge_ids)
        categories = cg.per_edge(labels, conditions.edge_ids)
    return routing.edge_weights(
        cg,
        mode,
        at=conditions.at,
        discomfort=discomfort,
        utci_category=categories,
        alpha=alpha,
        snow_depth_cm=conditions.snow_depth_cm,
        surface=surface,
    )
