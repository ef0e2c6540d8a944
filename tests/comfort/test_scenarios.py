"""Tests of comfort.scenarios: interventions change conditions and UTCI as documented."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from comfort import scenarios
from comfort.errors import ScenarioError
from comfort.indices import utci, wind_speed_at_10m
from comfort.scenarios import INTERVENTIONS, apply_scenario, scenario_utci


def _conditions(month: int, air: float, mrt: float, wind: float, rh: float) -> pd.DataFrame:
    t = pd.date_range(f"2022-{month:02d}-01 10:00", periods=8, freq="h")
    return pd.DataFrame(
        {"air_temp_c": air, "mrt_c": mrt, "wind_speed_m_s": wind, "rel_humidity_pct": rh}, index=t
    )


def test_shade_lowers_utci_of_a_hot_summer_place():
    hot = _conditions(8, 31.0, 58.0, 1.2, 55.0)
    before = utci(hot.air_temp_c, hot.mrt_c, wind_speed_at_10m(hot.wind_speed_m_s, 1.5),
                  hot.rel_humidity_pct)  # fmt: skip
    after = apply_scenario(hot, "shade")
    assert after["active"].all()
    assert (after["utci_c"].to_numpy() < before - 5.0).all()
    assert (after["mrt_c"] < hot["mrt_c"]).all()


def test_shade_does_nothing_in_winter_and_in_the_shade():
    cold = apply_scenario(_conditions(1, -3.0, 5.0, 3.0, 70.0), "shade")
    assert not cold["active"].any()
    night = _conditions(7, 22.0, 18.0, 1.0, 60.0)  # MRT below air: no sun to remove
    out = apply_scenario(night, "shade")
    np.testing.assert_allclose(out["mrt_c"] - out["air_temp_c"], -4.0)


def test_wind_screen_and_warm_shelter_help_in_winter():
    cold = _conditions(1, -5.0, -3.0, 6.0, 70.0)
    base = utci(cold.air_temp_c, cold.mrt_c, wind_speed_at_10m(cold.wind_speed_m_s, 1.5),
                cold.rel_humidity_pct)  # fmt: skip
    screen = apply_scenario(cold, "wind_screen")
    shelter = apply_scenario(cold, "warm_shelter")
    assert (screen["wind_speed_m_s"] == 3.0).all()
    assert (screen["utci_c"].to_numpy() > base).all()
    assert (shelter["utci_c"] > screen["utci_c"]).all()
    # the heater is off in summer
    assert not apply_scenario(_conditions(7, 25.0, 40.0, 1.0, 60.0), "warm_shelter")["active"].any()


def test_mist_only_in_dry_heat():
    dry = apply_scenario(_conditions(8, 32.0, 50.0, 1.0, 45.0), "mist")
    humid = apply_scenario(_conditions(8, 32.0, 50.0, 1.0, 85.0), "mist")
    assert dry["active"].all() and not humid["active"].any()
    assert (dry["air_temp_c"] == 30.0).all() and (dry["rel_humidity_pct"] == 55.0).all()


def test_every_intervention_documents_its_source():
    assert set(INTERVENTIONS) == {"shade", "wind_screen", "warm_shelter", "mist"}
    assert all(len(i.source) > 40 and i.name_ja for i in INTERVENTIONS.values())


def test_scenario_utci_replaces_one_column_and_errors():
    hot = _conditions(8, 31.0, 58.0, 1.2, 55.0)
    table = pd.DataFrame({"a": 40.0, "b": 40.0}, index=hot.index)
    out = scenario_utci({"a": hot}, table, "a", "shade")
    assert (out["a"] < 40.0).all() and (out["b"] == 40.0).all()
    with pytest.raises(ScenarioError, match="unknown intervention 'lasers'"):
        apply_scenario(hot, "lasers")
    with pytest.raises(ScenarioError, match="place 'zz' is not in the comfort field"):
        scenario_utci({"a": hot}, table, "zz", "shade")
    with pytest.raises(ScenarioError, match="lack the columns"):
        apply_scenario(hot.drop(columns="mrt_c"), "shade")


def test_doctests():
    assert doctest.testmod(scenarios).failed == 0
