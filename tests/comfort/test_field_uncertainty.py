"""
The field's standard errors: they grow with distance from the sensors, hold about 90 % of
held-out sensor values in their 90 % interval, and travel to places and to the long export.
Built on simulated readings (both simulator patterns) that follow the real 2022 Sapporo weather.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from comfort import field
from comfort.network import segment_table
from comfort.units import VARIABLE_UNITS
from sensors.errors import ExportError, SimulationError
from sensors.export import check_combination, read_metadata
from sensors.export.field import write_field_table
from sensors.places import load_places
from sensors.simulate import simulate_thermal
from sensors.simulate.canyon import canyon_geometry
from sensors.weather import read_daily_weather

DAILY = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"
MONTHS = (1, 7)  # a winter and a summer month keep the test short


@pytest.fixture(scope="module")
def weather(data_dir: Path) -> pd.DataFrame:
    return read_daily_weather(data_dir / DAILY)


def _field(graph, weather: pd.DataFrame, pattern: str) -> tuple[field.FieldModel, object]:
    months = weather.index.month if isinstance(weather.index, pd.DatetimeIndex) else None
    sub = weather[np.isin(months, MONTHS)] if months is not None else weather
    registry, readings = simulate_thermal(graph, sub, 2022, seed=42, pattern=pattern)
    model = field.fit_field(readings, registry, segment_table(graph), load_places())
    return model, field.assemble(model)


@pytest.fixture(scope="module")
def built(sapporo_graph, weather):
    return {p: _field(sapporo_graph, weather, p) for p in ("covariates", "canyon")}


@pytest.mark.parametrize("pattern", ["covariates", "canyon"])
def test_utci_se_rises_with_distance_to_sensors(built, pattern: str) -> None:
    _, ds = built[pattern]
    street = ds["edge_level"].to_numpy() == 0
    near = ds["nearest_sensor_m"].to_numpy()[street]
    assert near.min() < 5.0 and near.max() > 200.0
    hours = pd.DatetimeIndex(ds["time"].to_numpy()).hour
    se = ds["utci_c_se"].to_numpy()[:, street]
    rhos = [
        spearmanr(se[t], near).statistic
        for t in np.flatnonzero((hours >= 10) & (hours < 16))
        if np.isfinite(se[t]).all()
    ]
    assert len(rhos) > 100
    assert min(rhos) >= 0.5, f"Spearman(SE, nearest_sensor_m) fell to {min(rhos):.2f}"


@pytest.mark.parametrize("pattern", ["covariates", "canyon"])
def test_loso_coverage_of_the_90_percent_interval(built, pattern: str) -> None:
    model, ds = built[pattern]
    cov = ds.attrs["loso_coverage_90_utci_c"]
    assert 0.8 <= cov <= 0.97
    row = model.cv[(model.cv["group"] == "street") & (model.cv["variable"] == "utci_c")]
    assert 0.8 <= float(row["coverage_90"].iloc[0]) <= 0.97


def test_places_get_standard_errors_and_distances(built) -> None:
    _, ds = built["covariates"]
    place = field.place_field(ds)
    se = place["utci_c_se"].to_numpy()
    assert np.isfinite(se).all() and (se > 0).all()
    assert np.isfinite(ds["place_nearest_sensor_m"].to_numpy()).all()


def test_se_grows_where_covariates_leave_the_sensors_range(built) -> None:
    model, _ = built["covariates"]
    g = model.groups[field.STREET]
    em = g.error_model["utci_c"]
    share = g.share["utci_c"]
    inside = g.offsets
    outside = inside.copy()
    outside[:, 1:] = inside[:, 1:] + 5.0  # five sensor standard deviations beyond
    v_in = em.variance(0, 24, share, inside)
    v_out = em.variance(0, 24, share, outside)
    assert np.all(v_out >= v_in) and float(np.mean(v_out / v_in)) > 1.05


def test_canyon_pattern_differs_from_the_covariate_pattern(built) -> None:
    cov_model, _ = built["covariates"]
    can_model, _ = built["canyon"]
    a = cov_model.arrays.values["mrt_c"]
    b = can_model.arrays.values["mrt_c"]
    assert not np.allclose(np.nan_to_num(a), np.nan_to_num(b))
    geo = canyon_geometry(
        pd.DataFrame({"lat": [43.0604, 43.0750, 43.0555], "lon": [141.3520, 141.3300, 141.3533]}),
        42,
    )
    assert geo.height_m[0] > geo.height_m[1]  # the core is taller than the edge of the area
    assert np.all((geo.width_m >= 8.0) & (geo.width_m <= 30.0))


def test_unknown_pattern_is_refused(sapporo_graph, weather) -> None:
    with pytest.raises(SimulationError, match="unknown thermal pattern 'grid'"):
        simulate_thermal(sapporo_graph, weather, 2022, pattern="grid")


def test_field_exports_as_a_long_geoparquet_table(built, tmp_path: Path) -> None:
    import geopandas as gpd

    check_combination("field", "geoparquet")
    with pytest.raises(ExportError, match="cannot export field as csv"):
        check_combination("field", "csv")
    _, ds = built["canyon"]
    part = ds.isel(time=slice(0, 30))
    out = tmp_path / "field.parquet"
    result = write_field_table(part, out)
    table = gpd.read_parquet(out)
    n_e = part.sizes["edge"]
    assert result.rows == len(table) == 30 * n_e
    assert list(table.columns[:4]) == ["segment_id", "time", "utci_c", "utci_se_c"]
    assert {"air_temp_se_c", "mrt_se_c", "nearest_sensor_m", "air_temp_c"} <= set(table.columns)
    assert table.crs.to_epsg() == 4326
    assert table.geometry.x.between(141.2, 141.5).all()
    assert str(table["time"].dt.tz) == "Asia/Tokyo"
    first = table[table["time"] == table["time"].iloc[0]]
    np.testing.assert_allclose(
        first["utci_se_c"].to_numpy(), part["utci_c_se"].isel(time=0).to_numpy(), rtol=1e-6
    )
    meta = read_metadata(out)
    assert meta["simulated"] is True
    assert meta["columns"]["utci_se_c"]["unit"] == VARIABLE_UNITS["utci_c"]
    assert not list(tmp_path.glob(".*tmp*"))
