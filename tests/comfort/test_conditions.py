"""The conditions engine: each source path, 29 February, walkways closed at night, weights."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from comfort import conditions as C
from comfort import routing

WEATHER_FILE = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"


@pytest.fixture(scope="module")
def weather(data_dir) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The real Sapporo daily weather (2019-04 .. 2022-12, with gaps), by naive date."""
    from sensors.conditions import daily_weather_table

    return daily_weather_table(data_dir / WEATHER_FILE)


class Fields:
    """Fields covering given hours, each hour's UTCI = its hour of day on three segments."""

    def __init__(self, hours: dict[int, pd.DatetimeIndex], simulated: bool = True) -> None:
        self._hours = hours
        self._simulated = simulated
        self.read: list[tuple[int, int]] = []

    def years(self) -> list[int]:
        return sorted(self._hours)

    def times(self, year: int) -> pd.DatetimeIndex:
        return self._hours[year]

    def hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        self.read.append((year, position))
        value = float(self._hours[year][position].hour)
        return np.array([10, 11, 12], dtype=np.int64), np.full(3, value)

    def simulated(self, year: int) -> bool:
        return self._simulated


def _days(*spans: tuple[str, str]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(
        np.concatenate([pd.date_range(a, b, freq="h").to_numpy() for a, b in spans])
    )


def _graph() -> routing.CompiledGraph:
    """street 0→1, the Chi-Ka-Ho 1→2 and an exit 2→3, both open 05:00–24:30."""
    return routing.CompiledGraph.from_arrays(
        "EPSG:6680",
        [0, 1, 2, 3],
        [0.0, 100.0, 200.0, 300.0],
        [0.0, 0.0, 0.0, 0.0],
        [0, 1, 2],
        [1, 2, 3],
        [100.0, 100.0, 10.0],
        segment_id=[10, 11, 12],
        kind=["street", "underground", "exit"],
        indoor=[False, True, True],
        open_min=[np.nan, 300.0, 300.0],
        close_min=[np.nan, 1470.0, 1470.0],
        name=["", "Chi-Ka-Ho", ""],
    )


FIELDS = {
    2021: _days(("2021-01-17", "2021-01-21 23:00")),
    2022: _days(("2022-01-17", "2022-01-21 23:00"), ("2022-02-27", "2022-02-28 23:00")),
}


def test_exact(weather: pd.DataFrame) -> None:
    fields = Fields(FIELDS)
    cond = C.resolve_conditions(dt.datetime(2022, 1, 19, 8, 30, 12), _graph(), fields, weather)
    assert cond.at == dt.datetime(2022, 1, 19, 8, 30)
    assert cond.field_hour == C.FieldHour(2022, dt.datetime(2022, 1, 19, 8), 56, "exact")
    assert cond.utci_c is not None and cond.utci_c.tolist() == [8.0, 8.0, 8.0]
    assert cond.snow.source == "exact"
    assert cond.snow_depth_cm == pytest.approx(weather.loc["2022-01-19", "snow_depth_cm"])
    d = cond.to_dict()
    assert d["field_year"] == 2022 and d["field_source"] == "exact" and d["simulated"] is True
    assert d["snow_source"] == "exact" and d["snow_date"] == "2022-01-19"
    assert d["weather"]["source"] == "exact" and d["weather"]["date"] == "2022-01-19"
    assert d["weather"]["air_temp_c"] == round(weather.loc["2022-01-19", "air_temp_c"], 1)
    assert d["walkways_open"] is True and d["walkways_closed"] == []
    assert d["at"] == "2022-01-19T08:30"


def test_same_day_other_year_takes_the_nearest_year(weather: pd.DataFrame) -> None:
    later = C.resolve_conditions(dt.datetime(2025, 1, 20, 8), _graph(), Fields(FIELDS), weather)
    assert later.field_hour is not None
    assert (later.field_hour.year, later.field_source) == (2022, "same_day_other_year")
    assert later.field_hour.time == dt.datetime(2022, 1, 20, 8)
    assert later.snow.source == "same_day_other_year" and later.snow.date == dt.date(2022, 1, 20)
    assert later.snow_depth_cm == pytest.approx(weather.loc["2022-01-20", "snow_depth_cm"])
    assert later.snow_depth_cm > 0
    # before the data: the field of 2021; the weather file starts in April 2019 -> Jan 2020
    early = C.resolve_conditions(dt.datetime(2019, 1, 18, 8), _graph(), Fields(FIELDS), weather)
    assert early.field_hour is not None and early.field_hour.year == 2021
    assert early.snow.date == dt.date(2020, 1, 18)
    assert early.to_dict()["weather"]["source"] == "same_day_other_year"


def test_february_29(weather: pd.DataFrame) -> None:
    assert C.same_day_in(2023, dt.datetime(2024, 2, 29, 12)) == dt.datetime(2023, 2, 28, 12)
    assert C.same_day_in(2020, dt.datetime(2024, 2, 29, 12)) == dt.datetime(2020, 2, 29, 12)
    cond = C.resolve_conditions(dt.datetime(2024, 2, 29, 12), _graph(), Fields(FIELDS), weather)
    assert cond.field_hour is not None
    assert cond.field_hour.time == dt.datetime(2022, 2, 28, 12)
    # 2022 (28 Feb) is nearer than 2020, which has a 29 Feb
    assert cond.snow.date == dt.date(2022, 2, 28)
    exact = C.daily_value(weather["snow_depth_cm"], dt.date(2020, 2, 29))
    assert exact.source == "exact"
    assert exact.value == pytest.approx(weather.loc["2020-02-29", "snow_depth_cm"])


def test_climatology_from_the_real_series(weather: pd.DataFrame) -> None:
    snow = weather["snow_depth_cm"]
    days = pd.DatetimeIndex(snow.index)
    no_jan_20 = snow[~((days.month == 1) & (days.day == 20))]
    got = C.daily_value(no_jan_20, dt.date(2025, 1, 20))
    window = (days.month == 1) & (days.day >= 17) & (days.day <= 23) & (days.day != 20)
    assert got.source == "climatology" and got.date is None
    assert got.value == pytest.approx(float(snow[window].mean()))
    # the window wraps around the new year
    no_jan_1 = snow[~((days.month == 1) & (days.day == 1))]
    wrap = ((days.month == 12) & (days.day >= 29)) | (
        (days.month == 1) & (days.day >= 2) & (days.day <= 4)
    )
    got = C.daily_value(no_jan_1, dt.date(2023, 1, 1))
    assert got.source == "climatology"
    assert got.value == pytest.approx(float(snow[wrap].mean()))


def test_none_when_nothing_is_known(weather: pd.DataFrame) -> None:
    assert C.daily_value(pd.Series([], dtype=float), dt.date(2022, 1, 1)) == C.DailyValue(
        None, "none"
    )
    cond = C.resolve_conditions(
        dt.datetime(2022, 8, 1, 12), _graph(), Fields({}), weather[["air_temp_c"]]
    )
    assert cond.field_hour is None and cond.edge_ids is None
    d = cond.to_dict()
    assert d["field_source"] == "none" and d["field_year"] is None and d["simulated"] is False
    assert d["snow_source"] == "none" and d["snow_depth_cm"] is None
    assert cond.snow_depth_cm == 0.0
    # a field year that does not cover the day in any year: none, nothing read
    fields = Fields(FIELDS)
    assert (
        C.resolve_conditions(dt.datetime(2022, 8, 1, 12), _graph(), fields, weather).field_hour
        is None
    )
    assert fields.read == []
    timeless = C.resolve_conditions(None, _graph(), fields, weather).to_dict()
    assert timeless["at"] is None and timeless["walkways_open"] is True


def test_walkways_closed_at_night(weather: pd.DataFrame) -> None:
    cg = _graph()
    night = C.resolve_conditions(dt.datetime(2022, 1, 20, 1), cg, Fields(FIELDS), weather)
    assert night.walkways_open is False and night.walkways_closed == ("Chi-Ka-Ho",)
    # the same rule as routing: the closed edges cost inf
    w = C.route_weights(cg, night, "winter")
    assert np.isinf(w.cost[1]) and np.isinf(w.cost[2]) and np.isfinite(w.cost[0])
    assert C.closed_walkways(cg, dt.datetime(2022, 1, 20, 0, 10)) == (True, ())  # till 00:30
    assert C.closed_walkways(cg, dt.datetime(2022, 1, 20, 4, 59)) == (False, ("Chi-Ka-Ho",))
    assert C.closed_walkways(cg, dt.time(5)) == (True, ())


def test_route_weights_use_the_field_and_snow(weather: pd.DataFrame) -> None:
    cg = _graph()
    at = dt.datetime(2022, 1, 19, 14)  # UTCI 14 °C from the fake field: no stress
    cond = C.resolve_conditions(at, cg, Fields(FIELDS), weather)
    w = C.route_weights(cg, cond, "comfortable", alpha=2.0)
    assert w.has_comfort and w.snow_depth_cm == pytest.approx(cond.snow_depth_cm)
    assert w.utci_category is not None and w.utci_category[0] == "no thermal stress"
    hot = C.Conditions(
        at=at,
        field_hour=cond.field_hour,
        edge_ids=np.array([10, 11, 12]),
        utci_c=np.array([45.0, np.nan, 45.0]),
    )
    wh = C.route_weights(cg, hot, "comfortable", alpha=2.0)
    assert wh.cost[0] > 100.0 and wh.cost[1] == pytest.approx(100.0)  # NaN: no cost
    plain = C.route_weights(cg, cond.without_field().with_snow(0.0), "comfortable")
    assert not plain.has_comfort and plain.snow_depth_cm == 0.0
    assert cond.with_snow(3.0).to_dict()["snow_source"] == "given"


def test_season_conditions(weather: pd.DataFrame) -> None:
    cond = C.season_conditions(2022, "DJF", 2, _graph(), weather, has_field=True, simulated=True)
    d = cond.to_dict()
    months = pd.DatetimeIndex(weather.index).month
    expected = float(weather["snow_depth_cm"][months.isin([12, 1, 2])].mean())
    assert d["field_year"] == 2022 and d["field_source"] == "exact" and d["field_time"] is None
    assert d["snow_source"] == "climatology" and d["snow_depth_cm"] == pytest.approx(expected)
    assert d["walkways_open"] is False and d["aggregation"]["season"] == "DJF"
    with pytest.raises(ValueError, match="season must be one of DJF"):
        C.season_conditions(2022, "winter", 2, _graph(), weather, has_field=True, simulated=True)
