"""
Tests of the comfort field (comfort/field/) and its calibration (comfort/calibration.py).

Two setups on the real embedded Sapporo network: a seeded synthetic one whose covariate effects
are known (the truth to recover), and a slice of the simulator's readings (simulated data that
follow the real 2022 Sapporo weather).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from comfort import field, indices
from comfort.calibration import (
    calibrated_comfort,
    fit_comfort_band,
    season_bands,
    votes_with_utci,
)
from comfort.errors import CalibrationError, FieldInputError
from comfort.network import segment_table
from comfort.qcflags import QCFlag

#: The covariate effects of the synthetic setup (°C).
WIDE_EFFECT_C = 2.0
PARK_EFFECT_C = -1.5
RIVER_EFFECT_C_PER_KM = 1.0


@pytest.fixture(scope="module")
def segments(sapporo_graph):
    return segment_table(sapporo_graph)


def truth_air_c(seg: pd.DataFrame, hour: int) -> np.ndarray:
    sun = max(np.sin((hour - 6) / 12 * np.pi), 0.0)
    return (
        22.0
        + 5.0 * sun
        + WIDE_EFFECT_C * (seg["width_class"] == "wide").to_numpy(float)
        + PARK_EFFECT_C * seg["park_adjacent"].to_numpy(float)
        + RIVER_EFFECT_C_PER_KM * np.minimum(seg["river_dist_m"].to_numpy(float) / 1000, 2.0)
    )


def synthetic(segments: pd.DataFrame, hours: int = 96, seed: int = 7, n_street: int = 30):
    """Sensors on real segments; readings with known covariate effects plus noise (seeded)."""
    seg = segments.reset_index()
    rng = np.random.default_rng(seed)
    street = seg[seg["kind"] == "street"].sample(n_street, random_state=seed)
    under = seg[seg["kind"] == "underground"].sample(5, random_state=seed)
    pick = pd.concat([street, under])
    registry = pd.DataFrame(
        {
            "sensor_id": [f"T{i:02d}" for i in range(len(pick))],
            "kind": "fixed",
            "lat": pick["mid_lat"].to_numpy(),
            "lon": pick["mid_lon"].to_numpy(),
            "level": pick["level"].to_numpy(),
            "height_m": 1.5,
            "globe_diameter_m": np.where(np.arange(len(pick)) % 7 == 0, 0.075, 0.15),
        }
    )
    times = pd.date_range("2022-07-01", periods=hours, freq="h", tz="Asia/Tokyo")
    hod = times.hour.to_numpy()
    sun = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    frames = []
    for k, (_, p) in enumerate(pick.iterrows()):
        if p["level"] < 0:
            air = 21 + 0.5 * np.sin(hod / 24 * 2 * np.pi) + rng.normal(0, 0.1, hours)
            mrt, wind, rh = air + 0.3, np.full(hours, 0.2), np.full(hours, 40.0)
        else:
            air = truth_air_c(pd.DataFrame([p]), 0)[0] + 5 * sun
            air = air + rng.normal(0, 0.1, hours)
            c2 = np.cos(np.radians(2 * p["bearing_deg"]))
            mrt = air + sun * (10 + 6 * c2) + rng.normal(0, 0.1, hours)
            wind = np.clip(
                2.0 + (p["width_class"] == "wide") + rng.normal(0, 0.1, hours), 0.1, None
            )
            rh = 60 - 10 * sun + rng.normal(0, 1, hours)
        globe = indices.globe_temperature(
            mrt, air, wind, float(registry.loc[k, "globe_diameter_m"])
        )
        frames.append(
            pd.DataFrame(
                {
                    "time": times,
                    "sensor_id": registry.loc[k, "sensor_id"],
                    "air_temp_c": air,
                    "rel_humidity_pct": rh,
                    "wind_speed_m_s": wind,
                    "globe_temp_c": globe,
                    "qc_flags": np.zeros(hours, dtype=np.uint32),
                    "simulated": True,
                }
            )
        )
    return registry, pd.concat(frames, ignore_index=True)


def synthetic_places(segments: pd.DataFrame):
    """Two places: an outdoor polygon around a street midpoint and an underground one."""
    import geopandas as gpd
    from shapely.geometry import Point

    seg = segments.reset_index()
    out = seg[seg["kind"] == "street"].iloc[10]
    under = seg[seg["kind"] == "underground"].iloc[0]
    return gpd.GeoDataFrame(
        {
            "place_id": ["plaza", "concourse"],
            "name_en": ["plaza", "concourse"],
            "indoor": [False, True],
            "level": [0, -1],
        },
        geometry=[
            Point(out["mid_x"], out["mid_y"]).buffer(30),
            Point(under["mid_x"], under["mid_y"]),
        ],
        crs="EPSG:6680",
    ).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def synth(segments):
    registry, readings = synthetic(segments)
    places = synthetic_places(segments)
    model = field.fit_field(readings, registry, segments, places)
    return registry, readings, places, model, field.assemble(model)


def test_field_reproduces_known_covariate_effect(segments, synth):
    *_, ds = synth
    seg = segments.reset_index()
    street = seg[seg["kind"] == "street"]
    hour = 12
    pred = ds["air_temp_c"].sel(edge=street["segment_id"].to_numpy()).isel(time=hour).to_numpy()
    truth = truth_air_c(street, hour)
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    assert rmse < 0.3, rmse
    # the wide-street effect, holding the other covariates at their truth
    others = truth - WIDE_EFFECT_C * (street["width_class"] == "wide").to_numpy(float)
    slope = np.polyfit((street["width_class"] == "wide").to_numpy(float), pred - others, 1)[0]
    assert slope == pytest.approx(WIDE_EFFECT_C, abs=0.35)


def test_loso_cv_runs_and_rmse_is_finite(synth, capsys):
    *_, model, ds = synth
    cv = model.cv
    with capsys.disabled():
        print("\nLOSO CV (synthetic, seeded):\n" + cv.round(3).to_string(index=False))
    rows = cv.set_index(["group", "variable"])
    for var in ("air_temp_c", "mrt_c", "utci_c"):
        rmse = rows.loc[("all", var), "rmse"]
        assert np.isfinite(rmse) and 0 < rmse < 2.0, (var, rmse)
    assert rows.loc[("street", "air_temp_c"), "sensors"] == 30
    assert ds.attrs["cv_rmse_utci_c"] == pytest.approx(rows.loc[("all", "utci_c"), "rmse"])
    # the standard errors are calibrated on the LOSO errors: same order of magnitude
    se = float(np.sqrt(np.nanmean(ds["air_temp_c_se"].to_numpy() ** 2)))
    assert 0.2 < se / rows.loc[("all", "air_temp_c"), "rmse"] < 5


def test_underground_targets_ignore_street_sensors(segments, synth):
    registry, readings, places, _model, ds = synth
    street_ids = set(registry.loc[registry["level"] == 0, "sensor_id"])
    changed = readings.copy()
    on_street = changed["sensor_id"].isin(street_ids)
    changed.loc[on_street, ["air_temp_c", "globe_temp_c"]] += 10.0
    ds2 = field.build_field(changed, registry, segments, places)
    under = ds["edge_level"].to_numpy() < 0
    for var in ("air_temp_c", "mrt_c", "utci_c", "air_temp_c_se"):
        np.testing.assert_array_equal(ds[var].to_numpy()[:, under], ds2[var].to_numpy()[:, under])
    np.testing.assert_array_equal(
        ds["place_air_temp_c"].sel(place="concourse"),
        ds2["place_air_temp_c"].sel(place="concourse"),
    )
    # while street targets did move
    assert (
        float((ds2["air_temp_c"] - ds["air_temp_c"]).isel(edge=np.flatnonzero(~under)).mean()) > 9
    )


def test_dataset_dims_coords_and_attrs(synth):
    *_, ds = synth
    assert ds["utci_c"].dims == ("time", "edge")
    assert ds["place_utci_c"].dims == ("time", "place")
    assert list(ds["place"].to_numpy()) == ["plaza", "concourse"]
    for name in ("air_temp_c", "mrt_c", "wind_speed_m_s", "rel_humidity_pct", "utci_c"):
        assert ds[name].attrs["units"] in ("degC", "m s-1", "percent")
        assert ds[name].attrs["long_name"]
    for name in ("air_temp_c_se", "mrt_c_se", "utci_c_se"):
        assert ds[name].attrs["units"] == "degC"
        assert (ds[name].to_numpy() > 0).all()
    assert ds.attrs["simulated"] is True
    assert "simulated" in ds.attrs["source"]
    assert ds["time"].attrs["time_zone"] == "Asia/Tokyo"
    assert pd.Timestamp(ds["time"].to_numpy()[0]) == pd.Timestamp("2022-07-01 00:00")
    cat = ds["utci_category"].to_numpy()
    np.testing.assert_array_equal(cat, indices.utci_category(ds["utci_c"].to_numpy()))
    np.testing.assert_allclose(
        ds["comfort"].to_numpy(), indices.comfort_score(ds["utci_c"].to_numpy()), atol=1e-6
    )
    place = field.place_field(ds)
    assert set(place.data_vars) >= {"utci_c", "comfort", "utci_c_se"}
    assert place["utci_c"].dims == ("time", "place")
    assert "edge" not in field.place_field(ds).dims
    assert "place" not in field.edge_field(ds).dims


def test_place_takes_group_of_its_level(synth):
    *_, model, _ds = synth
    groups = dict(zip(model.places["id"], model.places["group"], strict=True))
    assert groups == {"plaza": field.STREET, "concourse": field.UNDERGROUND}


def test_qc_flags_exclude_readings(segments, synth):
    registry, readings, places, *_ = synth
    flagged = readings.copy()
    first = flagged["sensor_id"] == "T00"
    flagged.loc[first, "air_temp_c"] = 99.0  # a fault the QC caught
    flagged.loc[first, "qc_flags"] = int(QCFlag.RANGE | QCFlag.SPIKE)
    flagged.loc[flagged["sensor_id"] == "T01", "qc_flags"] = int(QCFlag.ESTIMATED)
    flagged.loc[flagged["sensor_id"] == "T02", "qc_flags"] = int(QCFlag.GLOBE_BELOW_AIR)
    m2 = field.fit_field(flagged, registry, segments, places)
    t00 = int(np.flatnonzero(m2.arrays.sensors["sensor_id"] == "T00")[0])
    t01 = int(np.flatnonzero(m2.arrays.sensors["sensor_id"] == "T01")[0])
    t02 = int(np.flatnonzero(m2.arrays.sensors["sensor_id"] == "T02")[0])
    assert np.isnan(m2.arrays.values["air_temp_c"][:, t00]).all()
    assert np.isfinite(m2.arrays.values["air_temp_c"][:, t01]).all()
    assert np.isnan(m2.arrays.values["mrt_c"][:, t02]).all()
    assert np.isfinite(m2.arrays.values["air_temp_c"][:, t02]).all()
    assert m2.arrays.excluded["qc"] == int(first.sum())
    ds2 = field.assemble(m2)
    assert float(ds2["air_temp_c"].max()) < 40


def test_implausible_winter_mrt_is_not_used(segments, synth):
    """Globe -8 °C, air -5 °C, wind 2 m/s gives MRT -24.6 °C, which mrt_plausible rejects."""
    registry, readings, places, model, _ds = synth
    assert model.arrays.excluded["mrt_implausible"] == 0  # the July data are plausible
    assert not indices.mrt_plausible(-8.0, -5.0, 2.0)
    cold = readings.copy()
    hours = cold["time"].isin(cold["time"].drop_duplicates().iloc[20:26])
    cell = (cold["sensor_id"] == "T03") & hours
    cold.loc[cell, ["globe_temp_c", "air_temp_c", "wind_speed_m_s"]] = [-8.0, -5.0, 2.0]
    m_cold = field.fit_field(cold, registry, segments, places)
    t03 = int(np.flatnonzero(m_cold.arrays.sensors["sensor_id"] == "T03")[0])
    rows = np.arange(20, 26)
    assert np.isnan(m_cold.arrays.values["mrt_c"][rows, t03]).all()
    assert np.isnan(m_cold.arrays.utci_c[rows, t03]).all()
    assert (m_cold.arrays.values["air_temp_c"][rows, t03] == -5.0).all()  # air still used
    assert np.isfinite(m_cold.arrays.values["mrt_c"][:20, t03]).all()
    assert m_cold.arrays.excluded["mrt_implausible"] == 6
    ds_cold = field.assemble(m_cold)
    assert "mrt_implausible=6" in ds_cold.attrs["readings_excluded"].split(",")
    # the field is the one built without those globe readings at all
    no_globe = cold.copy()
    no_globe.loc[cell, "globe_temp_c"] = np.nan
    ds_ref = field.build_field(no_globe, registry, segments, places)
    for var in ("mrt_c", "utci_c", "mrt_c_se", "place_mrt_c"):
        np.testing.assert_array_equal(ds_cold[var].to_numpy(), ds_ref[var].to_numpy())


def test_averaged_cells_are_not_exclusions(segments, synth):
    registry, readings, places, *_ = synth
    one = readings[readings["sensor_id"] == "T04"]
    later = one.assign(time=one["time"] + pd.Timedelta(minutes=10))
    both = pd.concat([readings, later], ignore_index=True)
    m = field.fit_field(both, registry, segments, places)
    assert m.arrays.averaged_cells == len(one)
    assert "duplicate" not in m.arrays.excluded
    assert set(m.arrays.excluded.values()) == {0}
    ds = field.assemble(m)
    assert ds.attrs["averaged_cells"] == len(one)
    assert "duplicate" not in ds.attrs["readings_excluded"]


def test_wbgt_and_wind_chill_in_summer(synth):
    *_, ds = synth
    air = ds["air_temp_c"].to_numpy()
    wbgt = ds["wbgt_c"].to_numpy()
    assert np.isfinite(wbgt).all() and np.isfinite(ds["place_wbgt_c"].to_numpy()).all()
    assert (wbgt < air + 3.0).all() and (wbgt > air - 15.0).all()
    # July, air above 10 °C everywhere: wind chill is undefined
    assert (air > 10).all() and ds["wind_chill_c"].isnull().all()
    assert ds["place_wind_chill_c"].isnull().all()
    # the same as comfort.indices on the field's own variables, globe from MRT
    wind, mrt = ds["wind_speed_m_s"].to_numpy(), ds["mrt_c"].to_numpy()
    rh = ds["rel_humidity_pct"].to_numpy()
    globe = indices.globe_temperature(mrt, air, wind, 0.15)
    ref = indices.wbgt_outdoor(air, globe, rh, wind)
    np.testing.assert_allclose(wbgt, ref, atol=1e-3)
    for name in ("wbgt_c", "wind_chill_c", "place_wbgt_c", "place_wind_chill_c"):
        attrs = ds[name].attrs
        assert attrs["units"] == "degC" and attrs["long_name"]
        assert "NaN outside" in attrs["comment"] and "1.5 m" in attrs["comment"]
    assert ds["wind_chill_c"].attrs["wind_height_m"] == 10.0
    assert "10 m" in ds["wind_chill_c"].attrs["comment"]


def test_wind_chill_in_winter(segments, synth):
    """Street sensors made cold and windy: wind chill below air temperature, NaN when calm."""
    registry, readings, places, *_ = synth
    cold = readings.copy()
    street = cold["sensor_id"].isin(registry.loc[registry["level"] == 0, "sensor_id"])
    cold.loc[street, ["air_temp_c", "globe_temp_c"]] -= 30.0
    cold.loc[street, "wind_speed_m_s"] *= 2.0
    ds = field.build_field(cold, registry, segments, places)
    under = ds["edge_level"].to_numpy() < 0
    air = ds["air_temp_c"].to_numpy()
    wc = ds["wind_chill_c"].to_numpy()
    factor = float(indices.wind_speed_at_10m(1.0, ds.attrs["wind_reference_height_m"]))
    w10 = ds["wind_speed_m_s"].to_numpy() * factor
    valid = (air <= 10.0) & (w10 >= 4.8 / 3.6)
    assert valid[:, ~under].all() and (air[:, ~under] < 5).all()
    assert (wc[:, ~under] < air[:, ~under] - 2.0).all()
    np.testing.assert_allclose(wc, indices.wind_chill(air, w10), atol=1e-3)
    # underground: warm and nearly calm, outside the formula's validity
    assert np.isnan(wc[:, under]).all()
    assert np.isnan(ds["place_wind_chill_c"].sel(place="concourse").to_numpy()).all()
    assert (
        ds["place_wind_chill_c"].sel(place="plaza") < ds["place_air_temp_c"].sel(place="plaza")
    ).all()
    # WBGT is defined in the cold too (Stull's range reaches -20 °C) and stays below the air
    wbgt = ds["wbgt_c"].to_numpy()[:, ~under]
    assert np.isfinite(wbgt).all() and (wbgt < air[:, ~under] + 3.0).all()


def test_qc_exclusion_reads_the_bitmask():
    bits = [
        0,
        QCFlag.SPIKE,
        QCFlag.ESTIMATED | QCFlag.MISSING,
        QCFlag.GLOBE_BELOW_AIR,
        QCFlag.GLOBE_BELOW_AIR | QCFlag.STEP,
        1 << 20,  # a bit QCFlag does not know: excluded, not ignored
    ]
    # the last one is NULL: no flag
    r = pd.DataFrame({"qc_flags": pd.array([*map(int, bits), None], dtype="UInt32")})
    out = field.qc_exclusion(r)
    assert out["reading"].tolist() == [False, True, False, False, True, True, False]
    assert out["globe"].tolist() == [False, True, False, True, True, True, False]


def test_qc_flags_by_name_still_accepted():
    r = pd.DataFrame({"qc_flags": [int(QCFlag.SPIKE), int(QCFlag.ESTIMATED)]})
    by_name = field.qc_exclusion(r, keep_flags=["spike"], globe_flags=())
    by_flag = field.qc_exclusion(r, keep_flags=QCFlag.SPIKE, globe_flags=QCFlag(0))
    assert by_name.equals(by_flag)
    assert by_name["reading"].tolist() == [False, True]
    assert field.as_flags("estimated, spike") == QCFlag.ESTIMATED | QCFlag.SPIKE
    with pytest.raises(ValueError, match="unknown QC flag 'spikes'"):
        field.qc_exclusion(r, keep_flags=["spikes"])


def test_qc_flags_as_text_are_refused():
    with pytest.raises(FieldInputError, match="qc_flags of the readings table must be the int"):
        field.qc_exclusion(pd.DataFrame({"qc_flags": ["range", ""]}))
    with pytest.raises(FieldInputError, match=r"QC flags as text \(column qc, row 1: 'spike'\)"):
        field.qc_exclusion(pd.DataFrame({"qc": ["", "spike"]}))
    # an empty text column (no flag anywhere) and no column at all mean no flags
    assert not field.qc_exclusion(pd.DataFrame({"qc": ["", None]}))["reading"].any()
    assert not field.qc_exclusion(pd.DataFrame({"x": [1.0]}))["reading"].any()


def test_kept_flags_in_attrs(synth):
    *_, model, ds = synth
    assert ds.attrs["qc_kept_flags"] == "missing,estimated,unregistered"
    assert model.config.keep_flags == field.DEFAULT_KEEP_FLAGS


def test_doctests():
    attempted = 0
    for info in pkgutil.iter_modules(field.__path__):
        result = doctest.testmod(importlib.import_module(f"comfort.field.{info.name}"))
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted >= 15


def test_mobile_sensors_left_out_and_counted(segments, synth):
    registry, readings, places, *_ = synth
    reg = registry.copy()
    reg.loc[0, "kind"] = "mobile"
    m = field.fit_field(readings, reg, segments, places)
    assert "T00" not in set(m.arrays.sensors["sensor_id"])
    assert m.arrays.excluded["mobile"] == int((readings["sensor_id"] == "T00").sum())


def test_errors_are_clear(segments, synth):
    registry, readings, *_ = synth
    with pytest.raises(FieldInputError, match="readings table must have columns"):
        field.fit_field(readings.drop(columns="globe_temp_c"), registry, segments)
    with pytest.raises(FieldInputError, match="segment_id must be unique"):
        field.edge_targets(pd.concat([segments.reset_index()] * 2))
    far = registry.copy()
    far.loc[0, "lat"] = 43.2
    with pytest.raises(FieldInputError, match="sensors must lie within 150 m"):
        field.fit_field(readings, far, segments)
    no_under = registry[registry["level"] == 0]
    with pytest.raises(FieldInputError, match="underground targets take underground sensors"):
        field.fit_field(readings, no_under, segments)
    with pytest.raises(FieldInputError, match="no usable readings"):
        field.fit_field(readings.assign(qc_flags=int(QCFlag.RANGE)), registry, segments)
    with pytest.raises(FieldInputError, match="daytime hours must satisfy"):
        field.daytime(synth[-1], (18, 10))


def test_fit_hourly_matches_per_hour_lstsq():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(12), rng.normal(size=(12, 3))])
    Y = rng.normal(size=(50, 12))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    beta = field.fit_hourly(X, Y, ridge=0.0)
    for t in range(50):
        ok = np.isfinite(Y[t])
        ref, *_ = np.linalg.lstsq(X[ok], Y[t, ok], rcond=None)
        np.testing.assert_allclose(beta[t], ref, atol=1e-6)


def test_aggregations(segments, synth, census_path):
    from sensors.area import load_blocks

    *_, ds = synth
    sh = field.by_season_hour(ds, ["utci_c", "place_utci_c"])
    assert sh["utci_c"].dims == ("edge", "season", "hour") or set(sh["utci_c"].dims) == {
        "season",
        "hour",
        "edge",
    }
    noon = sh["utci_c"].sel(season="JJA", hour=12)
    expected = ds["utci_c"].isel(time=ds["time"].dt.hour == 12).mean("time")
    np.testing.assert_allclose(noon.to_numpy(), expected.to_numpy(), rtol=1e-5)
    assert bool(sh["utci_c"].sel(season="DJF").isnull().all())
    day = field.by_season(ds, ["utci_c"], hours=(10, 18))
    day_ref = ds["utci_c"].isel(time=(ds["time"].dt.hour >= 10) & (ds["time"].dt.hour < 18))
    np.testing.assert_allclose(
        day["utci_c"].sel(season="JJA").to_numpy(), day_ref.mean("time").to_numpy(), rtol=1e-5
    )
    blocks = load_blocks(census_path)
    member = field.segment_blocks(segments, blocks)
    assert member["segment_id"].nunique() > 0.8 * (segments["kind"] == "street").sum()
    per_block = field.by_block(day, member, ["utci_c"])
    one = member["block"].iloc[0]
    ids = member.loc[member["block"] == one, "segment_id"].to_numpy()
    np.testing.assert_allclose(
        float(per_block["utci_c"].sel(season="JJA", block=one)),
        float(day["utci_c"].sel(season="JJA", edge=ids).mean()),
        rtol=1e-5,
    )


def test_simulated_slice(sapporo_graph, segments, data_dir):
    """A fortnight of the simulator's readings (simulated, following real 2022 weather)."""
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    weather = read_daily_weather(data_dir / "sapporo_daily_chikaho_subway_weather_2019-2022.csv")
    registry, readings = simulate_thermal(sapporo_graph, weather, 2022, seed=42)
    part = readings[(readings["time"] >= "2022-01-10") & (readings["time"] < "2022-01-24")]
    model = field.fit_field(part, registry, segments)
    print("\nLOSO CV (simulated 2022-01-10..23):\n" + model.cv.round(3).to_string(index=False))
    rmse = model.cv.set_index(["group", "variable"])["rmse"]
    for var in ("air_temp_c", "mrt_c", "utci_c"):
        assert np.isfinite(rmse[("all", var)]) and rmse[("all", var)] < 5.0
    ds = field.assemble(model)
    assert ds.sizes["time"] == 14 * 24 and ds.attrs["simulated"] is True
    under = ds["edge_level"].to_numpy() < 0
    # January: indoor walkways warm, streets cold
    assert float(ds["air_temp_c"].isel(edge=np.flatnonzero(under)).mean()) > 15
    assert float(ds["air_temp_c"].isel(edge=np.flatnonzero(~under)).mean()) < 3


# --- calibration ------------------------------------------------------------------------------


def synthetic_votes(n: int = 800, seed: int = 11) -> pd.DataFrame:
    """Votes whose neutral UTCI is 12 °C in winter and 18 °C in summer (seeded)."""
    rng = np.random.default_rng(seed)
    winter = pd.Timestamp("2022-01-15 12:00", tz="Asia/Tokyo")
    summer = pd.Timestamp("2022-07-15 12:00", tz="Asia/Tokyo")
    half = n // 2
    times = [winter] * half + [summer] * (n - half)
    utci = np.concatenate([rng.uniform(-15, 30, half), rng.uniform(0, 40, n - half)])
    neutral = np.where(np.arange(n) < half, 12.0, 18.0)
    vote = np.clip(np.round((utci - neutral) / 6.0 + rng.normal(0, 0.6, n)), -3, 3)
    return pd.DataFrame({"time": times, "thermal_sensation": vote, "utci_c": utci})


def test_calibration_recovers_neutral_utci_by_season():
    table = fit_comfort_band(synthetic_votes())
    assert table.loc["DJF", "neutral_utci_c"] == pytest.approx(12.0, abs=1.5)
    assert table.loc["JJA", "neutral_utci_c"] == pytest.approx(18.0, abs=1.5)
    assert table.loc["DJF", "neutral_low_c"] < 12 < table.loc["DJF", "neutral_high_c"]
    lo, hi = table.loc["DJF", ["acceptable_low_c", "acceptable_high_c"]]
    assert lo < table.loc["DJF", "neutral_low_c"] and hi > table.loc["DJF", "neutral_high_c"]
    assert np.isnan(table.loc["MAM", "neutral_utci_c"])  # no spring votes
    bands = season_bands(table, "neutral")
    assert bands["DJF"][0] < bands["JJA"][0]
    # spring falls back to the all-season fit
    assert bands["MAM"] == (
        pytest.approx(table.loc["all", "neutral_low_c"]),
        pytest.approx(table.loc["all", "neutral_high_c"]),
    )
    t = pd.to_datetime(["2022-01-15 12:00", "2022-07-15 12:00"])
    score = calibrated_comfort(np.array([12.0, 12.0]), t, bands)
    assert score[0] == 1.0 and score[1] < 1.0


def test_calibration_errors():
    votes = synthetic_votes()
    with pytest.raises(CalibrationError, match="missing"):
        fit_comfort_band(votes.drop(columns="utci_c"))
    bad = votes.copy()
    bad.loc[3, "thermal_sensation"] = 5
    with pytest.raises(CalibrationError, match=r"−3..\+3"):
        fit_comfort_band(bad)
    with pytest.raises(CalibrationError, match="no season has at least"):
        fit_comfort_band(votes.head(10))
    with pytest.raises(CalibrationError, match="time steps"):
        calibrated_comfort(
            np.zeros(3), pd.to_datetime(["2022-01-01"]), season_bands(fit_comfort_band(votes))
        )


def test_votes_located_in_the_field(synth, segments):
    *_, ds = synth
    seg = segments.reset_index()
    s0 = seg[seg["kind"] == "street"].iloc[5]
    votes = pd.DataFrame(
        {
            "time": [
                pd.Timestamp("2022-07-02 13:20", tz="Asia/Tokyo"),
                pd.Timestamp("2023-01-01", tz="UTC"),
            ],
            "lat": [s0["mid_lat"], s0["mid_lat"]],
            "lon": [s0["mid_lon"], s0["mid_lon"]],
        }
    )
    out = votes_with_utci(votes, ds)
    expected = float(ds["utci_c"].sel(edge=s0["segment_id"], time="2022-07-02 13:00"))
    assert out.loc[0, "utci_c"] == pytest.approx(expected)
    assert out.loc[0, "target"] == f"edge:{s0['segment_id']}"
    assert np.isnan(out.loc[1, "utci_c"]) and pd.isna(out.loc[1, "target"])
    with pytest.raises(CalibrationError, match="'lat' is"):
        votes_with_utci(votes.drop(columns="lat"), ds)


def test_season_of_and_local_time():
    t = pd.to_datetime(["2022-02-28T20:00Z", "2022-03-31T16:00Z"])
    assert field.season_of(field.to_local_naive(t)).tolist() == ["MAM", "MAM"]
    assert xr.DataArray(field.to_local_naive(t)).dt.hour.to_numpy().tolist() == [5, 1]
