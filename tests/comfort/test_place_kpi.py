"""Tests of comfort.place_kpi: the comfortable-place criterion, probabilities and the normalised KPI."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from comfort import place_kpi
from comfort.errors import KPIError, PlacesError
from comfort.place_kpi import (
    Criteria,
    kpi_rows,
    normalised_probabilities,
    place_probabilities,
    poisson_binomial_interval,
    typical_months,
)
from comfort.places import check_registry, parse_months, valid_on


def _registry(**over) -> pd.DataFrame:
    base = {
        "place_id": ["park", "arcade", "mall", "hall"],
        "name_ja": ["公園", "商店街", "地下街", "ホール"],
        "name_en": ["Park", "Arcade", "Mall", "Hall"],
        "type": ["park", "arcade", "underground_mall", "atrium"],
        "indoor": [False, False, True, True],
        "level": [0, 0, -1, 0],
        "open_min": [0, 0, 420, 540],
        "close_min": [1440, 1440, 1380, 1320],
        "source": ["test"] * 4,
        "features": ["trees", "shade", "heating,cooling", "heating,cooling"],
        "valid_from": [None, None, None, "2022-01-01"],
    }
    base.update(over)
    return check_registry(pd.DataFrame(base))


def _conditions(year: int, utci_c: float, se_c: float = 1.0, air_c: float = 20.0) -> xr.Dataset:
    t = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    shape = (len(t), 4)
    full = np.ones(shape)
    return xr.Dataset(
        {
            "utci_c": (("time", "place"), utci_c * full),
            "utci_c_se": (("time", "place"), se_c * full),
            "air_temp_c": (("time", "place"), air_c * full),
            "mrt_c": (("time", "place"), air_c * full),
            "wind_speed_m_s": (("time", "place"), 1.0 * full),
            "rel_humidity_pct": (("time", "place"), 50.0 * full),
            "outdoor_air_c": (("time", "place"), air_c * full),
            "outdoor_rh_pct": (("time", "place"), 60.0 * full),
        },
        coords={
            "time": t,
            "place": ["park", "arcade", "mall", "hall"],
            "measured_indoor": ("place", [False, False, True, False]),
        },
    )


def test_indoor_places_are_never_judged_with_utci():
    # a hot UTCI everywhere: outdoor places fail, indoor ones are judged on 20 °C operative
    p = place_probabilities(_conditions(2021, utci_c=40.0), _registry())
    year = p[p["period"] == "year"].set_index("place_id")["p_comfortable"]
    assert year["park"] == 0.0 and year["mall"] == 1.0 and year["hall"] == 1.0
    # a humid indoor space fails the humidity bound
    humid = _conditions(2021, utci_c=40.0)
    humid["rel_humidity_pct"][:] = 85.0
    p = place_probabilities(humid, _registry())
    assert p[(p["period"] == "year") & (p["place_id"] == "mall")]["p_comfortable"].iloc[0] == 0.0


def test_probability_follows_the_standard_error():
    # central value just inside the band: certain without SE, about half with a wide one
    reg = _registry()
    sharp = place_probabilities(_conditions(2021, utci_c=25.5, se_c=0.0), reg)
    wide = place_probabilities(_conditions(2021, utci_c=25.5, se_c=5.0), reg)
    pick = lambda t: t[(t["period"] == "year") & (t["place_id"] == "park")]  # noqa: E731
    assert pick(sharp)["p_comfortable"].iloc[0] == 1.0
    assert 0.4 < pick(wide)["p_comfortable"].iloc[0] < 0.6
    assert pick(wide)["share_comfortable"].iloc[0] == 1.0


def test_semi_outdoor_utci_is_recomputed_under_the_roof():
    cond = _conditions(2021, utci_c=40.0, air_c=20.0)
    cond["mrt_c"][:] = 60.0  # strong sun: the roof removes most of the radiant excess
    p = place_probabilities(cond, _registry())
    year = p[p["period"] == "year"].set_index("place_id")
    assert year.loc["arcade", "share_comfortable"] == 1.0
    assert year.loc["park", "share_comfortable"] == 0.0


def test_normalised_kpi_ignores_the_weather_and_counts_registry_changes():
    reg = _registry()
    ref = place_probabilities(_conditions(2021, utci_c=20.0), reg)
    rows = kpi_rows(normalised_probabilities(ref, [2021, 2022]), reg, 2021)
    r = rows.set_index(["year", "period"])
    # the hall exists from 2022: exactly one more comfortable place, ratio on the expected count
    assert r.loc[(2022, "year"), "comfortable"] == r.loc[(2021, "year"), "comfortable"] + 1
    assert r.loc[(2022, "year"), "places"] == 4 and r.loc[(2021, "year"), "places"] == 3
    assert r.loc[(2022, "year"), "ratio"] == pytest.approx(4 / 3)
    # different weather in the actual rows; same registry → ratio exactly 1 when normalised
    same = _registry(valid_from=[None] * 4)
    rows = kpi_rows(normalised_probabilities(ref, [2021, 2022]), same, 2021)
    assert (rows["ratio"] == 1.0).all()
    actual = pd.concat(
        [ref, place_probabilities(_conditions(2022, utci_c=35.0), same)], ignore_index=True
    )
    moved = kpi_rows(actual, same, 2021).set_index(["year", "period"])
    assert moved.loc[(2022, "year"), "ratio"] < 1.0
    with pytest.raises(KPIError, match="baseline year 2020 is not in the data"):
        kpi_rows(ref, reg, 2020)


def test_planned_and_retired_places_do_not_count():
    reg = _registry(valid_from=[None] * 4)
    reg.loc[reg["place_id"] == "hall", "status"] = "planned"
    reg.loc[reg["place_id"] == "mall", "valid_to"] = pd.Timestamp("2022-03-01").date()
    assert valid_on(reg, "2021-12-31").tolist() == [True, True, True, False]
    assert valid_on(reg, "2022-12-31").tolist() == [True, True, False, False]
    assert valid_on(reg, "2022-12-31", include_planned=True).tolist() == [True, True, False, True]


def test_poisson_binomial_interval_and_criteria():
    mean, low, high = poisson_binomial_interval(np.full(10, 0.5))
    assert mean == 5.0 and (low, high) == (2, 8)
    with pytest.raises(KPIError, match=r"share must be in \(0, 1\]"):
        Criteria(share=1.5)


def test_typical_months_on_the_real_daily_weather(data_dir):
    from sensors.weather import read_daily_weather

    daily = read_daily_weather(data_dir / "sapporo_daily_chikaho_subway_weather_2019-2022.csv")
    months = typical_months(daily["air_temp_c"], [2021, 2022])
    assert set(months) == set(range(1, 13)) and set(months.values()) <= {2021, 2022}
    with pytest.raises(KPIError, match="no candidate year"):
        typical_months(daily["air_temp_c"], [1999])


def test_registry_schema_errors():
    with pytest.raises(PlacesError, match="kind 'cave'"):
        _registry(kind=["cave", "semi_outdoor", "indoor", "indoor"])
    with pytest.raises(PlacesError, match="indoor is true exactly for kind indoor"):
        _registry(kind=["indoor", "semi_outdoor", "indoor", "indoor"])
    with pytest.raises(PlacesError, match="not after valid_from"):
        _registry(valid_to=[None, None, None, "2021-01-01"])
    with pytest.raises(PlacesError, match="unknown features"):
        _registry(features=["lasers", "", "", ""])
    with pytest.raises(PlacesError, match="is not a month"):
        parse_months("13")


def test_doctests():
    assert doctest.testmod(place_kpi).failed == 0
