"""Tests of comfort.scenarios: interventions change conditions and UTCI as documented."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

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


# --- scenarios on several places, and plans ------------------------------------------------


def planning_fixture() -> tuple[xr.Dataset, pd.DataFrame]:
    """A week of January and one of July at six places (one indoor, one planned), fixed."""
    t = pd.DatetimeIndex(
        [*pd.date_range("2021-01-18", periods=7 * 24, freq="h"),
         *pd.date_range("2021-07-19", periods=7 * 24, freq="h")]
    )  # fmt: skip
    hour = t.hour.to_numpy()
    summer = t.month.to_numpy() == 7
    ta = np.where(summer, 24.0, 1.0) + 3.0 * np.sin(2 * np.pi * (hour - 9) / 24)
    sun = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * np.where(summer, 1.0, 0.3)
    ids = ["park", "plaza", "windy", "arcade", "mall", "new-park"]
    radiant = np.array([25.0, 30.0, 10.0, 8.0, 0.0, 25.0])
    wind = np.array([1.5, 2.0, 5.0, 2.0, 0.5, 1.5])
    a = ta[:, None] + np.zeros(len(ids))
    m = a + sun[:, None] * radiant
    w = np.broadcast_to(wind, a.shape).copy()
    rh = np.full(a.shape, 65.0)
    dims = ("time", "place")
    ds = xr.Dataset(
        {
            "utci_c": (dims, utci(a, m, wind_speed_at_10m(w, 1.5), rh)),
            "utci_c_se": (dims, np.ones(a.shape)),
            "air_temp_c": (dims, a), "mrt_c": (dims, m), "wind_speed_m_s": (dims, w),
            "rel_humidity_pct": (dims, rh), "outdoor_air_c": (dims, a),
            "outdoor_rh_pct": (dims, rh),
        },
        coords={"time": t, "place": ids, "measured_indoor": ("place", np.zeros(6, bool))},
    )  # fmt: skip
    registry = pd.DataFrame(
        {
            "place_id": ids,
            "kind": ["outdoor", "outdoor", "outdoor", "semi_outdoor", "indoor", "outdoor"],
            "features": ["", "", "", "", "heating,cooling", ""],
            "open_min": 0, "close_min": 1440, "months": "1-12", "public_access": True,
            "status": ["existing"] * 5 + ["planned"], "valid_from": None, "valid_to": None,
        }
    )  # fmt: skip
    return ds, registry


@pytest.fixture(scope="module")
def planning() -> dict[str, Any]:
    return planning_setup()


def planning_setup() -> dict[str, Any]:
    """The fixture's conditions, registry, evaluator, counted places and baseline."""
    ds, registry = planning_fixture()
    evaluate = scenarios.reference_evaluator()
    counted = registry.loc[registry["status"] == "existing", "place_id"].tolist()
    p = dict(zip(counted, evaluate(ds.sel(place=counted), registry.iloc[:5]), strict=True))
    return {"conditions": ds, "registry": registry, "evaluate": evaluate, "counted": counted,
            "probabilities": p, "baseline_expected": sum(p.values())}  # fmt: skip


def _run(planning: dict[str, Any], actions: list[scenarios.Action]) -> scenarios.ScenarioResult:
    return scenarios.run_scenario(
        planning["conditions"], planning["registry"], actions, planning["evaluate"],
        counted=planning["counted"], baseline_expected=planning["baseline_expected"],
        probabilities=planning["probabilities"],
    )  # fmt: skip


def test_scenario_contributions_add_up(planning: dict[str, Any]) -> None:
    A = scenarios.Action
    acts = [A("plaza", "warm_shelter"), A("new-park", "open"), A("new-park", "enclose"),
            A("windy", "enclose"), A("park", "shade")]  # fmt: skip
    r = _run(planning, acts)
    assert r.before_expected == pytest.approx(planning["baseline_expected"])
    steps = {(s["place_id"], s["action"]): s for s in r.steps}
    assert r.after_expected == pytest.approx(
        r.before_expected + sum(s["in_sequence"] for s in r.steps), abs=1e-3
    )
    assert r.steps[-1]["expected_after"] == pytest.approx(r.after_expected, abs=1e-3)
    # different places are independent: alone = marginal = in sequence
    s = steps[("windy", "enclose")]
    assert s["alone"] == s["marginal"] == s["in_sequence"] > 0.5
    # enclosing a planned place counts only once it is opened
    assert steps[("new-park", "enclose")]["alone"] == 0.0
    assert steps[("new-park", "enclose")]["in_sequence"] > 0.5
    assert r.ratio_after > r.ratio_before
    assert r.as_dict()["after"]["comfortable"] == r.after_comfortable


def test_scenario_errors(planning: dict[str, Any]) -> None:
    A = scenarios.Action
    with pytest.raises(
        ScenarioError, match="shade applies to outdoor places; this place is indoor"
    ):
        _run(planning, [A("mall", "shade")])
    with pytest.raises(ScenarioError, match="open it in the same scenario with new-park:open"):
        _run(planning, [A("new-park", "shade")])
    with pytest.raises(ScenarioError, match="'zz' is not in the registry"):
        _run(planning, [A("zz", "shade")])
    with pytest.raises(ScenarioError, match="given twice"):
        _run(planning, [A("park", "shade"), A("park", "shade")])
    with pytest.raises(ScenarioError, match="open applies to planned places"):
        _run(planning, [A("park", "open")])
    with pytest.raises(ScenarioError, match="one --add after each --place"):
        scenarios.parse_actions(["a", "b"], ["shade"])
    with pytest.raises(ScenarioError, match="PLACE_ID:KEY"):
        scenarios.parse_actions(pairs=["shade"])
