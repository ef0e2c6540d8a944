"""
Tests of comfort.indices: MRT and globe temperature (ISO 7726 with natural convection, against
pythermalcomfort), UTCI (against pythermalcomfort), categories, wind chill (with Environment
Canada's low-wind formula), WBGT and the one-point calculator.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math
import pkgutil
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythermalcomfort.environment import mean_radiant_tmp as reference_mrt
from pythermalcomfort.models import utci as reference_utci
from pythermalcomfort.models import wind_chill_temperature
from pythermalcomfort.psychrometrics import wet_bulb_tmp
from scipy.optimize import brentq

from comfort import indices
from comfort.errors import InputRangeError
from comfort.indices import (
    UTCI_CATEGORIES,
    UTCIFlag,
    comfort_score,
    discomfort_score,
    globe_temperature,
    in_neutral_band,
    mean_radiant_temperature,
    mrt_plausible,
    utci,
    utci_category,
    utci_valid,
    wbgt_outdoor,
    wet_bulb_stull,
    wind_chill,
    wind_speed_at_10m,
)

SIGMA = 5.67e-8


def _iso7726_by_hand(tg: float, ta: float, v: float, d: float, eps: float) -> float:
    """ISO 7726 Annex B written out with math: the larger of forced and natural convection."""
    h = max(6.3 * v**0.6 / d**0.4, 1.4 * (abs(tg - ta) / d) ** 0.25)
    return ((tg + 273.15) ** 4 + h * (tg - ta) / (eps * SIGMA)) ** 0.25 - 273.15


def _globe_by_heat_balance(mrt: float, ta: float, v: float, d: float = 0.15, eps: float = 0.95):
    """
    Globe temperature from the globe's heat balance, solved independently with scipy's brentq:
    radiation gained from the surroundings = convection lost to the air (ISO 7726 coefficients).
    """

    def balance(tg: float) -> float:
        h = max(6.3 * v**0.6 / d**0.4, 1.4 * (abs(tg - ta) / d) ** 0.25)
        radiation = eps * SIGMA * ((mrt + 273.15) ** 4 - (tg + 273.15) ** 4)
        return radiation - h * (tg - ta)

    lo, hi = min(ta, mrt) - 1e-9, max(ta, mrt) + 1e-9
    return brentq(balance, lo, hi, xtol=1e-12)


# --- MRT ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tg", "ta", "v", "d", "eps", "expected"),
    [
        # hand-computed: h = 6.3 * 1**0.6 / 0.15**0.4 = 13.46 W/m2/K (forced > natural 3.4);
        # (303.15^4 + 13.46 * 5 / (0.95 * 5.67e-8))^0.25 - 273.15
        (30.0, 25.0, 1.0, 0.15, 0.95, 40.64),
        (10.0, 5.0, 0.5, 0.15, 0.95, 18.67),
        (-3.0, -5.0, 4.0, 0.05, 0.90, 18.21),
        (25.0, 25.0, 2.0, 0.15, 0.95, 25.00),
        # calm air: natural convection 1.4 * (10 / 0.15)**0.25 = 4.0 W/m2/K governs
        (40.0, 30.0, 0.0, 0.15, 0.95, 45.88),
        (35.0, 30.0, 0.1, 0.15, 0.95, 37.65),
    ],
)
def test_mrt_matches_hand_computed_iso7726(tg, ta, v, d, eps, expected):
    got = float(mean_radiant_temperature(tg, ta, v, d, eps))
    assert got == pytest.approx(expected, abs=0.01)
    assert got == pytest.approx(_iso7726_by_hand(tg, ta, v, d, eps), abs=1e-9)


def test_mrt_matches_pythermalcomfort_iso_with_calm_air():
    rng = np.random.default_rng(11)
    ta = rng.uniform(-20, 35, 3000)
    tg = ta + rng.uniform(-3, 25, 3000)
    v = rng.uniform(0, 6, 3000)
    v[::4] = 0.0  # calm: natural convection only
    d = 0.15
    ours = mean_radiant_temperature(tg, ta, v, d, 0.95)
    ref = reference_mrt(tg, ta, v, d=d, emissivity=0.95, standard="ISO")
    ok = np.isfinite(ref)
    assert ok.mean() > 0.99
    np.testing.assert_allclose(ours[ok], ref[ok], atol=1e-9)
    # forced-only ISO would give MRT = globe temperature in calm air; natural convection does not
    calm = (v == 0) & (tg - ta > 1)
    assert np.all(ours[calm] > tg[calm] + 0.1)


def test_calm_sunny_globe_below_mrt_matches_independent_heat_balance():
    # Ta 30 °C, RH 60 %, MRT 65 °C, still air: the forced-only inverse gave globe = MRT = 65 °C
    tg = float(globe_temperature(65.0, 30.0, 0.0))
    expected = _globe_by_heat_balance(65.0, 30.0, 0.0)
    assert tg < 65.0 - 5.0
    assert tg == pytest.approx(expected, abs=0.5)
    assert tg == pytest.approx(expected, abs=1e-6)  # same physics: only the solver differs
    # WBGT no longer 5 °C too high: 39.7 °C with the globe at the MRT
    wbgt_forced_only = float(wbgt_outdoor(30.0, 65.0, 60.0, 0.0))
    wbgt = float(wbgt_outdoor(30.0, tg, 60.0, 0.0))
    assert wbgt_forced_only == pytest.approx(39.7, abs=0.05)
    assert wbgt_forced_only - wbgt > 4.0
    assert wbgt == pytest.approx(0.7 * float(indices.natural_wet_bulb(30.0, tg, 60.0, 0.0))
                                 + 0.2 * expected + 0.1 * 30.0, abs=0.1)  # fmt: skip


@pytest.mark.parametrize(
    ("mrt", "ta", "v"),
    [(65.0, 30.0, 0.0), (65.0, 30.0, 0.05), (45.0, 30.0, 0.3), (10.0, -5.0, 0.0),
     (-20.0, -5.0, 0.0), (20.0, 25.0, 1.5), (30.0, 30.0, 0.0), (60.0, 5.0, 8.0)],
)  # fmt: skip
def test_globe_inverse_matches_independent_solver(mrt, ta, v):
    assert float(globe_temperature(mrt, ta, v)) == pytest.approx(
        _globe_by_heat_balance(mrt, ta, v), abs=1e-6
    )


def test_mrt_vectorised_and_globe_inverse_roundtrip():
    rng = np.random.default_rng(7)
    ta = rng.uniform(-20, 35, 2000)
    mrt = ta + rng.uniform(-10, 40, 2000)
    v = rng.uniform(0, 8, 2000)
    v[::5] = 0.0
    tg = globe_temperature(mrt, ta, v)
    assert np.all((tg >= np.minimum(ta, mrt) - 1e-9) & (tg <= np.maximum(ta, mrt) + 1e-9))
    np.testing.assert_allclose(mean_radiant_temperature(tg, ta, v), mrt, atol=1e-6)
    grid = globe_temperature(mrt.reshape(40, 50), ta.reshape(40, 50), 0.0)
    assert grid.shape == (40, 50)
    nan = globe_temperature([np.nan, 30.0, 30.0], [20.0, np.nan, 20.0], [1.0, 1.0, -1.0])
    assert np.isnan(nan).all()


def test_mrt_bad_globe_parameters_raise():
    with pytest.raises(InputRangeError, match="globe_diameter_m must be > 0"):
        mean_radiant_temperature(20.0, 20.0, 1.0, globe_diameter_m=0.0)
    with pytest.raises(InputRangeError, match="globe_emissivity must be in"):
        globe_temperature(20.0, 20.0, 1.0, globe_emissivity=1.5)


def test_mrt_negative_wind_is_nan():
    assert np.isnan(mean_radiant_temperature(20.0, 18.0, -1.0))


def test_mrt_plausibility_flags_cold_windy_and_frosted_globes():
    # calm winter day: fine; strong wind amplifies a 0.3 °C error beyond 5 °C; a globe far
    # below the air in moderate wind gives MRT far below air temperature.
    ok = mrt_plausible([-5.0, -5.0, -15.0], [-4.0, -4.0, -5.0], [0.5, 12.0, 1.0])
    assert ok.tolist() == [True, False, False]
    assert mrt_plausible(30.0, 28.0, 1.0).item() is True


# --- wind profile -----------------------------------------------------------------------


def test_wind_speed_at_10m_log_profile():
    assert float(wind_speed_at_10m(1.0, 1.1)) == pytest.approx(
        math.log(10 / 0.01) / math.log(1.1 / 0.01)
    )
    assert float(wind_speed_at_10m(3.0, 10.0)) == pytest.approx(3.0)
    with pytest.raises(InputRangeError, match="0 < roughness_m < height_m"):
        wind_speed_at_10m(1.0, 0.005)


# --- UTCI against the reference -----------------------------------------------------------


def _reference(ta, tr, v, rh):
    return reference_utci(ta, tr, v, rh, round_output=False).utci


def test_utci_matches_pythermalcomfort_on_grid():
    ta = np.linspace(-50, 50, 41)
    dt = np.linspace(-30, 70, 26)
    v = np.linspace(0.5, 17, 12)
    rh = np.linspace(0, 100, 9)
    grid = np.meshgrid(ta, dt, v, rh, indexing="ij")
    ta_g, dt_g, v_g, rh_g = (g.ravel() for g in grid)
    assert ta_g.size >= 100_000
    tr_g = ta_g + dt_g
    ok = utci_valid(ta_g, tr_g, v_g, rh_g)
    assert ok.sum() >= 100_000
    ours = utci(ta_g[ok], tr_g[ok], v_g[ok], rh_g[ok])
    ref = _reference(ta_g[ok], tr_g[ok], v_g[ok], rh_g[ok])
    assert not np.isnan(ref).any()
    assert np.max(np.abs(ours - ref)) <= 0.1
    assert np.max(np.abs(ours - ref)) < 1e-8  # same polynomial: only rounding differences
    # invalid combinations (vapour pressure > 50 hPa in hot humid air) are NaN, as in the reference
    bad = ~ok
    assert np.isnan(utci(ta_g[bad], tr_g[bad], v_g[bad], rh_g[bad])).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert np.isnan(_reference(ta_g[bad], tr_g[bad], v_g[bad], rh_g[bad])).all()


def test_utci_kernels_are_cached_against_their_source_file():
    # Every process that evaluates UTCI (CLI, servers, field builds) loads the compiled kernels
    # from numba's on-disk cache; the generated kernel's cache is keyed to utci_approx.py, so
    # any change of the coefficients, the flags or the generator recompiles it.
    from comfort.indices import utci_approx, vapour

    for kernel in (utci_approx._utci_kernel, vapour._hardy_ln_es):
        assert type(kernel._cache).__name__ == "FunctionCache", kernel
    locator = utci_approx._utci_kernel._cache._impl.locator
    assert locator._py_file == utci_approx.__file__


@settings(max_examples=300, deadline=None)
@given(
    ta=st.floats(-50, 50),
    dt=st.floats(-30, 70),
    v=st.floats(0.5, 17),
    rh=st.floats(0, 100),
)
def test_utci_matches_pythermalcomfort_random(ta, dt, v, rh):
    tr = ta + dt
    if not utci_valid(ta, tr, v, rh):
        assert np.isnan(utci(ta, tr, v, rh))
        return
    assert abs(float(utci(ta, tr, v, rh)) - float(_reference(ta, tr, v, rh))) <= 0.1


def test_utci_clamps_low_wind_and_flags_it():
    u, flags = utci([20.0, 20.0, 20.0], 22.0, [0.0, 0.3, 0.5], 50.0, return_flags=True)
    assert u[0] == u[1] == u[2]
    assert flags.tolist() == [UTCIFlag.WIND_CLAMPED, UTCIFlag.WIND_CLAMPED, UTCIFlag.OK]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ((51.0, 51.0, 1.0, 10.0), UTCIFlag.AIR_TEMP_OUT),
        ((-51.0, -51.0, 1.0, 50.0), UTCIFlag.AIR_TEMP_OUT),
        ((10.0, 85.0, 1.0, 50.0), UTCIFlag.MRT_DELTA_OUT),
        ((10.0, -25.0, 1.0, 50.0), UTCIFlag.MRT_DELTA_OUT),
        ((10.0, 10.0, 17.5, 50.0), UTCIFlag.WIND_OUT),
        ((10.0, 10.0, -1.0, 50.0), UTCIFlag.WIND_OUT),
        ((10.0, 10.0, 1.0, 101.0), UTCIFlag.HUMIDITY_OUT),
        ((45.0, 45.0, 1.0, 80.0), UTCIFlag.HUMIDITY_OUT),  # 76 hPa > 50 hPa
        ((float("nan"), 10.0, 1.0, 50.0), UTCIFlag.MISSING),
    ],
)
def test_utci_out_of_range_is_nan_with_flag(args, flag):
    u, flags = utci(*args, return_flags=True)
    assert np.isnan(u)
    assert int(flags) & flag
    assert not utci_valid(*args)


def test_utci_limits_are_inclusive_and_shapes_broadcast():
    u = utci(np.array([[-50.0], [50.0]]), np.array([[-50.0], [50.0]]), [0.5, 17.0], 0.0)
    assert u.shape == (2, 2)
    assert not np.isnan(u).any()


# --- categories and comfort ---------------------------------------------------------------


def test_ten_categories_with_labels_and_colours():
    assert len(UTCI_CATEGORIES) == 10
    assert [c.code for c in UTCI_CATEGORIES] == list(range(10))
    assert UTCI_CATEGORIES[5].name_en == "no thermal stress"
    assert UTCI_CATEGORIES[5].name_ja == "熱ストレスなし"
    assert all(c.colour.startswith("#") and len(c.colour) == 7 for c in UTCI_CATEGORIES)
    for a, b in itertools.pairwise(UTCI_CATEGORIES):
        assert a.upper_c == b.lower_c


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-40.0, 0), (-39.99, 1), (-27.0, 1), (-26.99, 2), (-13.0, 2), (-12.99, 3),
        (0.0, 3), (0.01, 4), (9.0, 4), (9.01, 5), (26.0, 5), (26.01, 6), (32.0, 6),
        (32.01, 7), (38.0, 7), (38.01, 8), (46.0, 8), (46.01, 9),
    ],
)  # fmt: skip
def test_category_boundaries_upper_inclusive(value, code):
    assert int(utci_category(value)) == code


def test_categories_agree_with_pythermalcomfort_labels():
    rng = np.random.default_rng(3)
    ta = rng.uniform(-45, 45, 3000)
    tr = ta + rng.uniform(-20, 50, 3000)
    v = rng.uniform(0.5, 12, 3000)
    rh = rng.uniform(5, 60, 3000)
    ok = utci_valid(ta, tr, v, rh)
    ref = reference_utci(ta[ok], tr[ok], v[ok], rh[ok])
    ours = utci_category(np.round(utci(ta[ok], tr[ok], v[ok], rh[ok]), 1))
    names = [UTCI_CATEGORIES[c].name_en for c in ours]
    assert names == list(ref.stress_category)


def test_category_of_nan_is_missing():
    assert int(utci_category(float("nan"))) == -1


def test_comfort_score_mapping():
    assert comfort_score([9.0, 15.0, 26.0]).tolist() == [1.0, 1.0, 1.0]
    assert float(comfort_score(32.0)) == pytest.approx(0.6)
    assert float(comfort_score(-13.0)) == pytest.approx(0.6)
    assert float(comfort_score(-70.0)) == 0.0
    assert np.isnan(comfort_score(float("nan")))
    u = np.linspace(-60, 60, 1201)
    s = comfort_score(u)
    assert np.all(np.diff(s[u <= 9]) >= 0) and np.all(np.diff(s[u >= 26]) <= 0)
    np.testing.assert_allclose(discomfort_score(u), 1 - s)
    # a locally calibrated band shifts the plateau
    assert float(comfort_score(5.0, neutral_band_c=(4.0, 22.0))) == 1.0
    assert float(comfort_score(24.0, neutral_band_c=(4.0, 22.0))) < 1.0
    with pytest.raises(InputRangeError, match="lower < upper"):
        comfort_score(10.0, neutral_band_c=(20.0, 10.0))


def test_neutral_band_matches_category_five():
    u = np.array([8.99, 9.0, 9.01, 25.99, 26.0, 26.01])
    np.testing.assert_array_equal(in_neutral_band(u), utci_category(u) == 5)


# --- wind chill and WBGT ------------------------------------------------------------------


def test_wind_chill_converts_ms_to_kmh():
    # Environment Canada table: -10 °C and 20 km/h -> -17.9 °C
    assert float(wind_chill(-10.0, 20.0 / 3.6)) == pytest.approx(-17.87, abs=0.01)
    ref = wind_chill_temperature(-10.0, 20.0, round_output=False).wct
    assert float(wind_chill(-10.0, 20.0 / 3.6)) == pytest.approx(float(ref), abs=1e-9)
    # 20 m/s is 72 km/h, not 20 km/h
    assert float(wind_chill(-10.0, 20.0)) < float(wind_chill(-10.0, 20.0 / 3.6))


def test_wind_chill_nan_outside_validity():
    out = wind_chill([11.0, -5.0, -5.0, -5.0], [5.0, 1.0, 4.8 / 3.6, -0.1])
    assert np.isnan(out[0]) and np.isnan(out[3])
    assert np.isfinite(out[1]) and np.isfinite(out[2])


def test_wind_chill_low_wind_is_environment_canada_formula():
    # -10 °C and 3 km/h: T + ((-1.59 + 0.1345 T) / 5) V = -10 - 2.935 / 5 * 3 = -11.761 °C
    t, v_kmh = -10.0, 3.0
    expected = t + ((-1.59 + 0.1345 * t) / 5.0) * v_kmh
    got = float(wind_chill(t, v_kmh / 3.6))
    assert np.isfinite(got)
    assert got == pytest.approx(expected, abs=1e-9)
    assert got == pytest.approx(-11.761, abs=1e-3)
    assert float(wind_chill(-10.0, 0.0)) == -10.0  # still air: the air temperature


@pytest.mark.parametrize("t", [-40.0, -25.0, -10.0, -1.0, 0.0, 5.0, 10.0])
def test_wind_chill_continuous_at_5_kmh(t):
    below = float(wind_chill(t, (5.0 - 1e-9) / 3.6))
    at = float(wind_chill(t, 5.0 / 3.6))
    assert abs(at - below) < 0.01
    # above 5 km/h it is the NWS / Environment Canada formula (pythermalcomfort's)
    ref = wind_chill_temperature(t, 5.0, round_output=False).wct
    assert at == pytest.approx(float(ref), abs=1e-9)


def test_wet_bulb_matches_reference_stull():
    t = np.linspace(-10, 45, 12)
    rh = np.linspace(10, 95, 12)
    np.testing.assert_allclose(wet_bulb_stull(t, rh), wet_bulb_tmp(t, rh), atol=1e-9)
    assert np.isnan(wet_bulb_stull(20.0, 2.0))


def test_wbgt_outdoor_uses_iso7243_weights():
    ta, tg, rh, v = 32.0, 50.0, 55.0, 1.5
    tnwb = indices.natural_wet_bulb(ta, tg, rh, v)
    assert float(wbgt_outdoor(ta, tg, rh, v)) == pytest.approx(
        0.7 * float(tnwb) + 0.2 * tg + 0.1 * ta
    )
    # sun (higher globe) raises WBGT; hot humid shade is above hot dry shade
    assert wbgt_outdoor(32.0, 50.0, 55.0, 1.0) > wbgt_outdoor(32.0, 34.0, 55.0, 1.0)
    assert wbgt_outdoor(32.0, 34.0, 80.0, 1.0) > wbgt_outdoor(32.0, 34.0, 30.0, 1.0)
    # natural wet bulb lies between psychrometric wet bulb and air temperature in shade
    tn = float(indices.natural_wet_bulb(30.0, 31.0, 50.0, 0.5))
    assert float(wet_bulb_stull(30.0, 50.0)) < tn < 30.0


def test_doctests():
    attempted = 0
    for info in pkgutil.iter_modules(indices.__path__):
        result = doctest.testmod(importlib.import_module(f"comfort.indices.{info.name}"))
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted > 15


# --- calculator ---------------------------------------------------------------------------


def test_calculator_calm_case_and_flags():
    r = indices.thermal_indices(30.0, 60.0, 0.0, mrt_c=65.0)
    assert r.globe_temperature_c == pytest.approx(_globe_by_heat_balance(65.0, 30.0, 0.0), abs=1e-6)
    assert r.wbgt_c == pytest.approx(float(wbgt_outdoor(30.0, r.globe_temperature_c, 60.0, 0.0)))
    assert r.utci_c == pytest.approx(float(utci(30.0, 65.0, 0.0, 60.0)))
    assert {
        "globe_natural_convection",
        "utci_wind_clamped",
        "wind_chill_undefined_above_10c",
    } <= set(r.flags)
    d = r.to_dict()
    assert d["wind_chill_c"] is None and d["utci_category_ja"] == UTCI_CATEGORIES[8].name_ja


def test_calculator_globe_input_and_wind_height():
    # a globe reading gives back the MRT the inverse was built from; wind at 1.1 m is the globe's
    r = indices.thermal_indices(20.0, 50.0, 1.5, globe_temp_c=28.0, wind_height_m=1.1)
    assert r.wind_speed_globe_m_s == pytest.approx(1.5)
    assert r.wind_speed_10m_m_s == pytest.approx(float(wind_speed_at_10m(1.5, 1.1)))
    assert r.mrt_c == pytest.approx(float(mean_radiant_temperature(28.0, 20.0, 1.5)))
    back = indices.thermal_indices(20.0, 50.0, 1.5, mrt_c=r.mrt_c, wind_height_m=1.1)
    assert back.globe_temperature_c == pytest.approx(28.0, abs=1e-6)
    cold = indices.thermal_indices(-10.0, 70.0, 3.0 / 3.6, mrt_c=-10.0)
    assert cold.wind_chill_c == pytest.approx(-10.0 + (-1.59 - 1.345) / 5 * 3, abs=1e-9)
    assert "wind_chill_low_wind" in cold.flags
    hot = indices.thermal_indices(55.0, 10.0, 2.0, mrt_c=60.0)
    assert np.isnan(hot.utci_c) and hot.utci_category == -1
    assert "utci_air_temp_out_of_range" in hot.flags and "wbgt_out_of_range" in hot.flags
    assert set(hot.flags) <= set(indices.calculator.FLAGS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mrt_c": None}, "exactly one of mrt_c and globe_temp_c"),
        ({"mrt_c": 20.0, "globe_temp_c": 20.0}, "exactly one of mrt_c and globe_temp_c"),
        ({"mrt_c": 20.0, "rel_humidity_pct": 120.0}, "rel_humidity_pct must be a number in"),
        ({"mrt_c": 20.0, "wind_speed_m_s": -1.0}, "wind_speed_m_s must be a number in"),
        ({"mrt_c": float("nan")}, "mrt_c must be a number in"),
    ],
)
def test_calculator_refuses_impossible_inputs(kwargs, match):
    args = {"air_temp_c": 20.0, "rel_humidity_pct": 50.0, "wind_speed_m_s": 1.0} | kwargs
    with pytest.raises(InputRangeError, match=match):
        indices.thermal_indices(**args)
