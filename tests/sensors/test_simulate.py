"""Tests of the simulators: they follow the real Sapporo daily data and are labelled simulated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sensors.chikaho import read_chikaho_daily
from sensors.errors import SimulationError
from sensors.simulate import (
    MANIFEST,
    daily_means,
    places_from_registry,
    simulate_flow,
    simulate_survey,
    simulate_thermal,
    write_tables,
)
from sensors.simulate._base import day_grid, is_day_off, national_holidays
from sensors.simulate.flow import FULL_DAY_INTERVALS, day_profile, intervals_of_day
from sensors.simulate.solar import solar_position
from sensors.simulate.stations import segments_of
from sensors.simulate.thermal import diurnal_shape
from sensors.weather import read_daily_weather

DAILY = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"


@pytest.fixture(scope="module")
def weather(data_dir: Path) -> pd.DataFrame:
    return read_daily_weather(data_dir / DAILY)


@pytest.fixture(scope="module")
def chikaho(data_dir: Path) -> pd.DataFrame:
    return read_chikaho_daily(data_dir / DAILY)


@pytest.fixture(scope="module")
def weeks(weather: pd.DataFrame) -> pd.DataFrame:
    """Three weeks of January and three of August 2022 of the real weather."""
    return pd.concat(
        [weather.loc["2022-01-05":"2022-01-25"], weather.loc["2022-08-05":"2022-08-25"]]
    )


@pytest.fixture(scope="module")
def thermal(
    sapporo_graph: nx.MultiDiGraph, weeks: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulate_thermal(sapporo_graph, weeks, 2022, seed=7)


def _unfaulted(readings: pd.DataFrame) -> pd.DataFrame:
    """Readings outside every injected fault period."""
    keep = np.ones(len(readings), dtype=bool)
    for f in readings.attrs["faults"].itertuples():
        keep &= ~(
            (readings["sensor_id"] == f.sensor_id)
            & (readings["time"] >= f.start)
            & (readings["time"] <= f.end)
        ).to_numpy()
    return readings[keep]


# --- thermal ---------------------------------------------------------------------------------


def test_thermal_registry_spreads_over_the_covariates(thermal, sapporo_graph) -> None:
    registry, _ = thermal
    assert len(registry) == 46
    assert (registry["level"] == 0).sum() == 40 and (registry["level"] == -1).sum() == 6
    assert registry["sensor_id"].is_unique and registry["simulated"].all()
    seg = segments_of(sapporo_graph).set_index("segment_id")
    street = seg.loc[registry.loc[registry["level"] == 0, "segment_id"]]
    ori = np.where(np.minimum(street["bearing_deg"], 180 - street["bearing_deg"]) < 45, "NS", "EW")
    assert set(ori) == {"NS", "EW"}
    assert set(street["width_class"]) == {"wide", "standard"}
    assert street["park_adjacent"].sum() >= 4
    assert (street["river_dist_m"] < 150).sum() >= 3
    under = seg.loc[registry.loc[registry["level"] == -1, "segment_id"]]
    assert (under["kind"] == "underground").all()
    assert {"Chi-Ka-Ho", "Pole Town", "Aurora Town"} <= set(under["name"])
    assert "simulated" in registry["name"].iloc[0]


def test_thermal_same_seed_same_output(sapporo_graph, weeks, thermal) -> None:
    registry, readings = thermal
    again_reg, again = simulate_thermal(sapporo_graph, weeks, 2022, seed=7)
    pd.testing.assert_frame_equal(registry, again_reg)
    pd.testing.assert_frame_equal(readings, again)
    pd.testing.assert_frame_equal(readings.attrs["faults"], again.attrs["faults"])
    _, other = simulate_thermal(sapporo_graph, weeks, 2022, seed=8)
    assert not np.allclose(
        other["air_temp_c"].to_numpy()[:100], readings["air_temp_c"].to_numpy()[:100]
    )


def test_thermal_daily_means_track_real_temperature(thermal, weeks) -> None:
    _, readings = thermal
    street = _unfaulted(readings[readings["level"] == 0])
    daily = street.groupby(street["time"].dt.normalize())["air_temp_c"].mean()
    real = weeks["air_temp_c"].reindex(daily.index)
    assert len(daily) == 42
    assert np.corrcoef(daily, real)[0, 1] > 0.95
    assert (daily - real).abs().max() < 1.5
    per_station = street.groupby(["sensor_id", street["time"].dt.normalize()])["air_temp_c"].mean()
    for _, series in per_station.groupby(level="sensor_id"):
        r = weeks["air_temp_c"].reindex(series.index.get_level_values(1))
        assert np.corrcoef(series, r)[0, 1] > 0.95
    month = street["time"].dt.month
    assert (
        street.loc[month == 1, "air_temp_c"].mean()
        < street.loc[month == 8, "air_temp_c"].mean() - 15
    )


def test_thermal_values_physically_plausible(thermal) -> None:
    _, readings = thermal
    r = _unfaulted(readings)
    assert r["rel_humidity_pct"].between(10, 100).all()
    street = r[r["level"] == 0]
    under = r[r["level"] == -1]
    # pedestrian-level wind: calm air underground, wind in the streets, no gale in town
    assert under["wind_speed_m_s"].max() < 0.6
    assert street["wind_speed_m_s"].median() > 3 * under["wind_speed_m_s"].median()
    assert street["wind_speed_m_s"].quantile(0.999) < 15
    # humidity falls as the air warms through the day: anomalies from the daily means
    key = [street["sensor_id"], street["time"].dt.normalize()]
    dt_c = street["air_temp_c"] - street.groupby(key)["air_temp_c"].transform("mean")
    drh = street["rel_humidity_pct"] - street.groupby(key)["rel_humidity_pct"].transform("mean")
    assert np.corrcoef(dt_c, drh)[0, 1] < -0.7
    aug_noon = street[(street["time"].dt.month == 8) & (street["time"].dt.hour == 12)]
    sunny = aug_noon[aug_noon["solar_wm2"] > 600]
    assert len(sunny) and (sunny["globe_temp_c"] > sunny["air_temp_c"]).mean() > 0.9


def test_underground_stays_in_the_indoor_band(thermal) -> None:
    _, readings = thermal
    ug = _unfaulted(readings[readings["level"] == -1])
    assert len(ug) > 0
    assert ug["air_temp_c"].between(18.0, 24.0).all()
    assert (ug["globe_temp_c"] - ug["air_temp_c"]).abs().max() < 1.0
    assert (ug["wind_speed_m_s"] <= 0.6).all() and (ug["solar_wm2"] == 0).all()


def test_solar_zero_at_night_and_peaks_near_solar_noon(thermal) -> None:
    _, readings = thermal
    street = readings[readings["level"] == 0]
    cos_z, _ = solar_position(pd.DatetimeIndex(street["time"]))
    assert (street["solar_wm2"].to_numpy()[cos_z <= 0] == 0).all()
    assert street["solar_wm2"].to_numpy()[cos_z > 0.3].mean() > 100
    by_hour = street.groupby(street["time"].dt.hour)["solar_wm2"].mean()
    assert int(by_hour.idxmax()) in (11, 12)  # solar noon in Sapporo is about 11:30 JST


def test_sun_position_at_sapporo() -> None:
    t = pd.DatetimeIndex(["2022-06-21 11:35", "2022-12-21 11:35", "2022-06-21 23:00"])
    cos_z, az = solar_position(t.tz_localize("Asia/Tokyo"))
    elev = 90 - np.degrees(np.arccos(cos_z))
    assert elev[0] == pytest.approx(90 - 43.06 + 23.44, abs=0.7)
    assert elev[1] == pytest.approx(90 - 43.06 - 23.44, abs=0.7)
    assert elev[2] < 0
    assert az[0] == pytest.approx(180, abs=6)


def test_diurnal_shape_keeps_the_daily_mean() -> None:
    for minutes in (10, 60):
        s = diurnal_shape(day_grid(minutes))
        assert abs(s.mean()) < 1e-12
        assert 4 <= day_grid(minutes)[np.argmin(s)] <= 6


def test_faults_are_injected_and_listed(thermal, sapporo_graph, weeks) -> None:
    _, readings = thermal
    faults = readings.attrs["faults"]
    assert faults["simulated"].all()
    assert set(faults["fault"]) <= {"spike", "stuck", "gap"}
    assert (faults["fault"] == "spike").sum() > 0
    for f in faults[faults["fault"] == "stuck"].itertuples():
        rows = readings[
            (readings["sensor_id"] == f.sensor_id) & readings["time"].between(f.start, f.end)
        ]
        assert rows[f.variable].nunique() == 1
    for f in faults[faults["fault"] == "gap"].itertuples():
        rows = readings[
            (readings["sensor_id"] == f.sensor_id) & readings["time"].between(f.start, f.end)
        ]
        assert len(rows) == 0
    _, clean = simulate_thermal(sapporo_graph, weeks, 2022, seed=7, faults=False)
    assert len(clean.attrs["faults"]) == 0
    assert len(clean) == 46 * 42 * 24


def test_ten_minute_interval(sapporo_graph, weather) -> None:
    _, readings = simulate_thermal(
        sapporo_graph, weather.loc["2022-03-01":"2022-03-03"], 2022, 1, 10, faults=False
    )
    assert len(readings) == 46 * 3 * 144
    assert readings["time"].dt.tz is not None and str(readings["time"].dt.tz) == "Asia/Tokyo"


def test_thermal_errors(sapporo_graph, weather) -> None:
    with pytest.raises(
        SimulationError, match=r"no real Sapporo daily weather for 2018.*2019-04-01"
    ):
        simulate_thermal(sapporo_graph, weather, 2018)
    with pytest.raises(SimulationError, match="interval_min must divide a day"):
        simulate_thermal(
            sapporo_graph, weather.loc["2022-01-01":"2022-01-02"], 2022, interval_min=7
        )
    gappy = weather.loc["2022-01-01":"2022-01-03"].copy()
    gappy.iloc[1, 0] = np.nan
    with pytest.raises(SimulationError, match="no value of air_temp_c on 2022-01-02"):
        simulate_thermal(sapporo_graph, gappy, 2022)
    with pytest.raises(SimulationError, match=r"no column\(s\) \['snow_depth_cm'\]"):
        simulate_thermal(sapporo_graph, weather.drop(columns="snow_depth_cm"), 2022)
    with pytest.raises(SimulationError, match="segment table has no column"):
        simulate_thermal(pd.DataFrame({"segment_id": [1]}), weather, 2022)
    with pytest.raises(SimulationError, match="street segments; 5000 stations"):
        simulate_thermal(sapporo_graph, weather.loc["2022-01-01":"2022-01-02"], 2022, n_street=5000)


# --- flow ------------------------------------------------------------------------------------


def test_intervals_of_day_from_the_real_file(chikaho) -> None:
    j = chikaho[["J1", "J2", "J3", "J4", "J5"]]
    n = np.array([intervals_of_day(v) for v in j.to_numpy()])
    assert (n == FULL_DAY_INTERVALS).sum() == 1270
    assert intervals_of_day(j.loc["2021-07-22"]) == 73
    assert intervals_of_day(j.loc["2021-07-21"]) == 4


def test_flow_averages_exactly_to_the_real_daily_values(chikaho, weather) -> None:
    part = chikaho.loc["2021-07-10":"2021-08-05"]  # includes the short days 21 and 22 July
    counts, dwell = simulate_flow(part, 2021, seed=3, weather_daily=weather)
    means = daily_means(counts)
    real = part[["J1", "J2", "J3", "J4", "J5"]].reindex(means.index)
    assert len(means) == len(part)
    assert np.abs(means.to_numpy() - real.to_numpy()).max() < 1e-6
    assert (counts["count"] >= 0).all()
    assert set(counts["direction"]) == {"N", "S"}
    assert set(counts["line_id"]) == {f"chikaho-J{i}" for i in range(1, 6)}
    assert (counts["series"] == "chikaho-acoustic").all() and (counts["interval_min"] == 15).all()
    clock = counts["time"].dt.hour * 60 + counts["time"].dt.minute
    assert not clock.between(15, 299).any()  # closed at night: nothing from 00:15 to 04:59
    per_day = counts.groupby((counts["time"] - pd.Timedelta(hours=5)).dt.normalize())[
        "time"
    ].nunique()
    assert per_day.loc["2021-07-21"] == 4 and per_day.loc["2021-07-22"] == 73
    assert dwell["dwell_count"].ge(0).all() and dwell["simulated"].all()


def test_flow_profiles_commuter_and_holiday(chikaho) -> None:
    counts, _ = simulate_flow(chikaho.loc["2022-05-09":"2022-05-22"], 2022, seed=1)
    total = counts.groupby("time")["count"].sum()
    local = pd.DatetimeIndex(total.index)
    work = total[~is_day_off(local.normalize())]
    off = total[is_day_off(local.normalize())]
    work_hour = work.groupby(pd.DatetimeIndex(work.index).hour).mean()
    off_hour = off.groupby(pd.DatetimeIndex(off.index).hour).mean()
    assert work_hour.idxmax() in (8, 17, 18)
    assert work_hour[8] > 2 * work_hour[10]
    assert 12 <= off_hour.idxmax() <= 16
    assert work_hour[5] < 0.1 * work_hour.max()
    h = np.arange(5, 24.25, 0.25)
    assert h[np.argmax(day_profile(h, False))] == 8.5


def test_flow_same_seed_same_output(chikaho) -> None:
    part = chikaho.loc["2022-02-01":"2022-02-07"]
    a = simulate_flow(part, 2022, seed=5)
    b = simulate_flow(part, 2022, seed=5)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[0]["simulated"].all()


def test_flow_errors(chikaho) -> None:
    with pytest.raises(
        SimulationError, match="Only dates present in the real file can be simulated"
    ):
        simulate_flow(chikaho, 2023)
    bad = chikaho.loc["2022-01-01":"2022-01-03"].copy()
    bad.loc[bad.index[0], "J2"] = -5.0
    with pytest.raises(SimulationError, match="are negative"):
        simulate_flow(bad, 2022)


def test_japanese_calendar() -> None:
    h2021 = national_holidays(2021)
    assert dt.date(2021, 7, 22) in h2021 and dt.date(2021, 7, 19) not in h2021
    assert dt.date(2021, 8, 9) in h2021  # substitute for Mountain Day on Sunday 8 August
    assert dt.date(2022, 9, 23) in national_holidays(2022)
    # the Emperor's Birthday moved from 23 December (to 2018) to 23 February (from 2020)
    assert dt.date(2019, 12, 23) not in national_holidays(2019)
    assert dt.date(2018, 12, 23) in national_holidays(2018)
    assert dt.date(2020, 2, 23) in national_holidays(2020)
    days = pd.DatetimeIndex(["2022-05-04", "2022-05-06", "2022-12-30"])
    assert is_day_off(days).tolist() == [True, False, True]


# --- survey ----------------------------------------------------------------------------------


def test_survey_votes_follow_utci(thermal) -> None:
    registry, readings = thermal
    responses, conditions = simulate_survey(
        readings, places_from_registry(registry), 2022, 11, n=600
    )
    assert len(responses) == 600 and responses["response_id"].is_unique
    assert (responses["response_id"] == conditions["response_id"]).all()
    assert responses["thermal_sensation"].between(-3, 3).all()
    assert responses["comfort_vote"].between(0, 3).all()
    assert set(responses["preference"]) <= {"warmer", "no change", "cooler"}
    assert responses["time"].dt.hour.between(10, 18).all()
    assert np.corrcoef(responses["thermal_sensation"], conditions["utci_c"])[0, 1] > 0.5
    hot = conditions["utci_c"] > 30
    cold = conditions["utci_c"] < 0
    assert responses.loc[hot, "thermal_sensation"].mean() > 1
    assert responses.loc[cold, "thermal_sensation"].mean() < -1
    assert (responses.loc[hot, "preference"] == "cooler").mean() > 0.6
    month = responses["time"].dt.month
    assert (
        responses.loc[month == 1, "clothing_clo"].mean()
        > responses.loc[month == 8, "clothing_clo"].mean() + 0.6
    )
    under = responses["place_id"].str.contains("UG")
    assert 0.15 < under.mean() < 0.6
    assert responses["free_text"].str.len().gt(0).mean() > 0.2
    assert responses["simulated"].all() and conditions["simulated"].all()
    again = simulate_survey(readings, places_from_registry(registry), 2022, 11, n=600)
    pd.testing.assert_frame_equal(responses, again[0])


def test_survey_errors(thermal) -> None:
    registry, readings = thermal
    places = places_from_registry(registry)
    with pytest.raises(SimulationError, match="n must be at least 1"):
        simulate_survey(readings, places, 2022, n=0)
    with pytest.raises(SimulationError, match="no readings in 2021"):
        simulate_survey(readings, places, 2021)
    with pytest.raises(SimulationError, match=r"places table has no column\(s\) \['sensor_id'\]"):
        simulate_survey(readings, places.drop(columns="sensor_id"), 2022)
    with pytest.raises(SimulationError, match=r"check that places\.sensor_id"):
        simulate_survey(readings, places.assign(sensor_id="nope"), 2022)


# --- files and CLI ---------------------------------------------------------------------------


def test_written_files_are_labelled_simulated(thermal, tmp_path) -> None:
    registry, readings = thermal
    written = write_tables(
        {"thermal_sensors_2022.csv": registry, "thermal_readings_2022.csv": readings},
        tmp_path,
        "thermal",
        2022,
        7,
        [DAILY],
    )
    assert written[str(tmp_path / "thermal_readings_2022.csv")] == len(readings)
    back = pd.read_csv(tmp_path / "thermal_readings_2022.csv")
    assert back["simulated"].all() and len(back) == len(readings)
    assert pd.to_datetime(back["time"].iloc[0]).utcoffset() == pd.Timedelta(hours=9)
    assert back["lat"].isna().all()
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["simulated"] is True and "SIMULATED" in manifest["note"]
    assert manifest["files"]["thermal_readings_2022.csv"]["rows"] == len(readings)


def test_cli_simulate_flow(tmp_path) -> None:
    from api.cli import app

    runner = CliRunner()
    for args in (
        ["simulate", "--help"],
        *[["simulate", k, "--help"] for k in ("thermal", "flow", "survey")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "simulat" in result.output.lower()
    result = runner.invoke(
        app, ["simulate", "flow", "--year", "2020", "--out", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["simulated"] is True
    assert any("not in the real file" in n for n in report["notes"])  # March 2020 is missing
    counts = pd.read_csv(tmp_path / "flow_chikaho_15min_2020.csv")
    assert counts["simulated"].all()
    result = runner.invoke(app, ["simulate", "flow", "--year", "2018", "--out", str(tmp_path)])
    assert isinstance(result.exception, SimulationError)
