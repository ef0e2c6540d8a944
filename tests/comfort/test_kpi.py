"""Tests of comfort.kpi: comfortable places, the baseline ratio, steps and views KPIs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from comfort.errors import KPIError
from comfort.kpi import (
    comfortable_places,
    comfortable_places_kpi,
    place_hours,
    place_utci_frame,
    places_kpi,
    steps_kpi,
    views_kpi,
)

PLACES = pd.DataFrame(
    {
        "place_id": ["park", "plaza", "mall"],
        "open_min": [0, 0, 600],  # the mall opens at 10:00 and closes at 14:00
        "close_min": [1440, 1440, 840],
    }
)


def _utci_table(values: dict[str, float], year: int = 2021) -> pd.DataFrame:
    t = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    return pd.DataFrame({k: np.full(len(t), v) for k, v in values.items()}, index=t)


def test_place_hours_counts_daytime_open_hours_only():
    frame = _utci_table({"park": 20.0, "plaza": 5.0, "mall": 20.0})
    frame.loc[frame.index.hour == 12, "plaza"] = 20.0  # 1 of 8 daytime hours neutral
    frame.loc["2021-01-01 11:00", "park"] = np.nan
    h = place_hours(frame, PLACES).set_index(["year", "period", "place_id"])
    assert h.loc[(2021, "year", "park"), "hours_open"] == 365 * 8 - 1
    assert h.loc[(2021, "year", "park"), "hours_missing"] == 1
    assert h.loc[(2021, "year", "mall"), "hours_open"] == 365 * 4
    assert h.loc[(2021, "year", "plaza"), "share_neutral"] == pytest.approx(1 / 8)
    assert h.loc[(2021, "winter", "park"), "hours_open"] == (31 + 28 + 31) * 8 - 1


def test_comfortable_threshold_and_kpi_against_fixed_baseline():
    rng = np.random.default_rng(42)
    base = _utci_table({"park": 20.0, "plaza": 2.0, "mall": 20.0}, 2021)
    cur = _utci_table({"park": 20.0, "plaza": 15.0, "mall": 20.0}, 2022)
    cur["plaza"] += rng.normal(0, 1, len(cur))
    _status, table = comfortable_places_kpi(pd.concat([base, cur]), PLACES, baseline_year=2021)
    row = table.set_index(["year", "period"])
    assert row.loc[(2021, "year"), "comfortable"] == 2
    assert row.loc[(2022, "year"), "comfortable"] == 3
    assert row.loc[(2022, "year"), "ratio"] == pytest.approx(1.5)
    assert row.loc[(2022, "year"), "progress"] == pytest.approx(0.5)
    assert (table["baseline_year"] == 2021).all() and table.attrs["baseline_year"] == 2021
    # the baseline does not move when only the current year is loaded
    with pytest.raises(KPIError, match="baseline year 2021 is not in the data"):
        comfortable_places_kpi(cur, PLACES, baseline_year=2021)


def test_share_boundary_and_validation():
    frame = _utci_table({"park": 5.0})
    frame.loc[frame.index.hour.isin([10, 11, 12, 13, 14]), "park"] = 20.0  # 5/8 = 62.5 %
    hours = place_hours(frame)
    assert comfortable_places(hours, 0.6)["comfortable"].all()
    assert not comfortable_places(hours, 0.65)["comfortable"].any()
    with pytest.raises(KPIError, match=r"share must be in \(0, 1\]"):
        comfortable_places(hours, 0.0)


def test_locally_calibrated_band_per_season():
    frame = _utci_table({"park": 6.0})
    textbook = comfortable_places(place_hours(frame)).set_index("period")
    bands = {s: (4.0, 22.0) for s in ("winter", "spring", "summer", "autumn")}
    local = comfortable_places(place_hours(frame, neutral_band_c=bands)).set_index("period")
    assert not textbook.loc["year", "comfortable"] and local.loc["year", "comfortable"]
    with pytest.raises(KPIError, match="no entry for 'autumn'"):
        place_hours(frame, neutral_band_c={"winter": (4.0, 22.0)})


def test_accepts_field_dataset_and_checks_places():
    t = pd.date_range("2021-06-01", periods=48, freq="h")
    ds = xr.Dataset(
        {"place_utci_c": (("time", "place"), np.full((48, 2), 20.0))},
        coords={"time": t, "place": ["park", "plaza"]},
    )
    frame = place_utci_frame(ds)
    assert list(frame.columns) == ["park", "plaza"] and len(frame) == 48
    with pytest.raises(KPIError, match="no UTCI on"):
        place_utci_frame(xr.Dataset({"x": ("time", np.zeros(3))}))
    with pytest.raises(KPIError, match="not in the places layer"):
        place_hours(frame, PLACES[PLACES.place_id == "park"])


def test_zero_baseline_gives_nan_ratio():
    status = pd.DataFrame(
        {"year": [2021, 2022], "period": ["year", "year"], "place_id": ["a", "a"],
         "comfortable": [False, True]}
    )  # fmt: skip
    t = places_kpi(status, 2021).set_index("year")
    assert np.isnan(t.loc[2022, "ratio"]) and t.loc[2022, "comfortable"] == 1


# --- steps --------------------------------------------------------------------------------


def _steps(n: int, uplift: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n):
        level = rng.uniform(5000, 9000)
        for d in pd.date_range("2021-01-01", "2022-12-31", freq="D"):
            season = 0.75 if d.month in (12, 1, 2) else 1.0
            lift = uplift if d.year == 2022 else 1.0
            rows.append((f"p{p}", d, level * season * lift * rng.uniform(0.9, 1.1)))
    return pd.DataFrame(rows, columns=["participant_id", "date", "steps"])


def test_steps_kpi_like_with_like():
    df = _steps(12, 1.2)
    # start in summer, current period spanning a winter: raw is biased, adjusted is not
    out = steps_kpi(df, ("2021-06-01", "2021-08-31"), ("2022-01-01", "2022-08-31"), k=10)
    assert not out["suppressed"] and out["participants"] == 12
    assert out["ratio_raw"] < 1.15
    assert out["ratio_same_months"] == pytest.approx(1.2, abs=0.02)
    assert out["ratio_season_adjusted"] == pytest.approx(1.2, abs=0.03)
    assert out["target_2023"] == 1.1 and out["target_2030"] == 1.3


def test_steps_kpi_suppresses_small_groups():
    out = steps_kpi(_steps(5, 1.2), ("2021-01-01", "2021-12-31"), ("2022-01-01", "2022-12-31"))
    assert out["suppressed"] and out["ratio_raw"] is None and out["participants"] is None
    with pytest.raises(KPIError, match="need the columns"):
        steps_kpi(
            pd.DataFrame({"a": [1]}), ("2021-01-01", "2021-02-01"), ("2022-01-01", "2022-02-01")
        )


def test_views_kpi():
    d = pd.date_range("2021-01-01", "2023-06-30", freq="D")
    views = pd.Series(np.where(d.year == 2021, 100, np.where(d.year == 2022, 250, 400)), index=d)
    t = views_kpi(views, 2021).set_index("year")
    assert t.loc[2022, "ratio"] == pytest.approx(2.5)
    assert t.loc[2023, "ratio"] == pytest.approx(4.0)  # partial year: mean daily views
    assert t.loc[2023, "progress_2030"] == pytest.approx(1.0)
    with pytest.raises(KPIError, match="no content views in the start year 2020"):
        views_kpi(views, 2020)


# --- CLI ----------------------------------------------------------------------------------


def _write_field(year: int, utci_c: float) -> None:
    from api.settings import get_settings
    from sensors.fieldstore import field_path, save_field
    from sensors.places import load_places

    ids = load_places()["place_id"].tolist()
    t = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    month = t.month.to_numpy()[:, None]
    air = np.where((month >= 5) & (month <= 9), 24.0, -2.0) * np.ones((len(t), len(ids)))
    place = {
        "air_temp_c": air,
        "mrt_c": air + 15.0,
        "wind_speed_m_s": np.full(air.shape, 1.5),
        "rel_humidity_pct": np.full(air.shape, 60.0),
        "utci_c": np.full(air.shape, utci_c),
        "comfort": np.ones(air.shape),
    }
    data = {f"place_{k}": (("time", "place"), v) for k, v in place.items()}
    data.update({k: (("time", "edge"), np.zeros((len(t), 1))) for k in place})
    ds = xr.Dataset(data, coords={"time": t, "place": ids, "edge": [0]})
    ds.attrs.update(simulated=True, wind_reference_height_m=1.5)
    path = field_path(get_settings().cache_dir, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_field(ds, path)


def test_cli_kpi_and_scenario(own_cache):
    from api.cli import app

    runner = CliRunner()
    _write_field(2021, 5.0)
    _write_field(2022, 5.0)
    res = runner.invoke(app, ["comfort", "kpi", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["baseline_year"] == 2021 and out["simulated"] is True
    res = runner.invoke(app, ["comfort", "kpi"])
    assert res.exit_code == 0 and "simulated" in res.output
    res = runner.invoke(
        app, ["comfort", "scenario", "--place", "odori-w5", "--add", "shade", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = {r["period"]: r for r in json.loads(res.stdout)["rows"]}
    assert rows["summer"]["share_neutral_after"] >= rows["summer"]["share_neutral_before"]
    res = runner.invoke(app, ["comfort", "scenario", "--place", "odori-w5", "--add", "lasers"])
    assert res.exit_code != 0
