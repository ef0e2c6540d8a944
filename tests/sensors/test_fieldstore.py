"""Tests of saving and loading the comfort field (sensors/fieldstore.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import LineString

from comfort import field, indices
from comfort.network import lines_to_graph, segment_table
from sensors import fieldstore
from sensors.errors import FieldFormatError, FieldNotFoundError

# Origin of the small test grid in EPSG:6680 (downtown Sapporo, metres).
X0, Y0 = -74_000.0, -103_800.0


def small_inputs(hours: int = 72, seed: int = 5):
    """A 3 × 3 street grid plus one underground walkway, 6 street + 2 underground sensors."""
    lines, attrs = [], []
    for i in range(3):
        lines.append(LineString([(X0 + 130 * i, Y0), (X0 + 130 * i, Y0 + 260)]))
        attrs.append({"width_class": "wide" if i == 1 else "standard", "river_dist_m": 130.0 * i})
        lines.append(LineString([(X0, Y0 + 130 * i), (X0 + 260, Y0 + 130 * i)]))
        attrs.append({"width_class": "standard", "park_adjacent": i == 1, "river_dist_m": 200.0})
    lines.append(LineString([(X0 + 136, Y0), (X0 + 136, Y0 + 260)]))
    attrs.append({"kind": "underground", "level": -1, "indoor": True})
    G = lines_to_graph(lines, crs="EPSG:6680", edge_attrs=attrs)
    seg = segment_table(G)
    seg["width_class"] = seg["width_class"].where(seg["kind"] == "street", "")
    rng = np.random.default_rng(seed)
    chosen = [0, 1, 2, 3, 4, 5, 6]
    registry = pd.DataFrame(
        {
            "sensor_id": [f"F{i}" for i in chosen],
            "kind": "fixed",
            "lat": seg.loc[chosen, "mid_lat"].to_numpy(),
            "lon": seg.loc[chosen, "mid_lon"].to_numpy(),
            "level": seg.loc[chosen, "level"].to_numpy(),
            "height_m": 1.5,
            "globe_diameter_m": 0.15,
        }
    )
    registry = pd.concat(
        [registry, registry.iloc[[-1]].assign(sensor_id="F7", lat=registry["lat"].iloc[-1] + 1e-3)],
        ignore_index=True,
    )
    times = pd.date_range("2022-01-01", periods=hours, freq="h", tz="Asia/Tokyo")
    frames = []
    for sid, level in zip(registry["sensor_id"], registry["level"], strict=True):
        air = (20.0 if level < 0 else -3.0) + rng.normal(0, 0.5, hours)
        wind = np.full(hours, 0.2) if level < 0 else rng.uniform(1, 4, hours)
        mrt = air + rng.uniform(0, 5, hours)
        frames.append(
            pd.DataFrame(
                {
                    "time": times,
                    "sensor_id": sid,
                    "air_temp_c": air,
                    "rel_humidity_pct": rng.uniform(40, 90, hours),
                    "wind_speed_m_s": wind,
                    "globe_temp_c": indices.globe_temperature(mrt, air, wind),
                    "qc": "",
                    "simulated": True,
                }
            )
        )
    return registry, pd.concat(frames, ignore_index=True), seg


@pytest.fixture(scope="module")
def small_field() -> xr.Dataset:
    registry, readings, seg = small_inputs()
    return field.build_field(readings, registry, seg)


def test_field_path_and_years(tmp_path):
    assert fieldstore.field_path(tmp_path, 2022) == tmp_path / "field" / "2022.nc"
    assert fieldstore.available_years(tmp_path) == []
    (tmp_path / "field").mkdir()
    (tmp_path / "field" / "2021.nc").write_bytes(b"")
    (tmp_path / "field" / "notes.nc").write_bytes(b"")
    assert fieldstore.available_years(tmp_path) == [2021]


def test_netcdf_round_trip_keeps_values_and_attributes(small_field, tmp_path):
    path = fieldstore.save_field(small_field, fieldstore.field_path(tmp_path, 2022))
    back = fieldstore.load_field(path)
    xr.testing.assert_identical(back, small_field)
    assert back.attrs["simulated"] is True
    assert back["utci_c"].attrs["units"] == "degC"
    assert back["time"].attrs["time_zone"] == "Asia/Tokyo"
    assert back["utci_category"].dtype == np.int8
    assert back["edge"].dtype == np.int64


def test_dask_chunked_open_is_lazy(small_field, tmp_path):
    path = fieldstore.save_field(small_field, tmp_path / "f.nc", time_chunk=24)
    lazy = fieldstore.load_field(path, chunks={})
    assert lazy["utci_c"].chunks is not None
    assert lazy["utci_c"].chunks[0] == (24, 24, 24)
    mean = field.by_season_hour(lazy, ["utci_c"])
    assert hasattr(mean["utci_c"].data, "dask")
    np.testing.assert_allclose(
        mean["utci_c"].compute().to_numpy(),
        field.by_season_hour(small_field, ["utci_c"])["utci_c"].to_numpy(),
        rtol=1e-6,
    )
    lazy.close()


def test_ten_minute_year_is_chunked_by_week(tmp_path):
    times = pd.date_range("2022-01-01", "2023-01-01", freq="10min", inclusive="left")
    n_edge = 3
    ds = xr.Dataset(
        {
            name: (("time", "edge"), np.full((len(times), n_edge), 1.5, np.float32))
            for name in fieldstore.REQUIRED_VARS
        },
        coords={"time": times, "edge": np.arange(n_edge), "place": np.array([], dtype=object)},
    )
    path = fieldstore.save_field(ds, tmp_path / "ten.nc")
    lazy = fieldstore.load_field(path, chunks={})
    assert lazy.sizes["time"] == 52_560
    assert lazy["utci_c"].chunks[0][0] == 1008  # one week of 10-minute steps
    assert float(lazy["utci_c"].mean().compute()) == pytest.approx(1.5)
    lazy.close()


def test_writer_blocks_equal_one_shot_save(small_field, tmp_path):
    registry, readings, seg = small_inputs()
    model = field.fit_field(readings, registry, seg)
    out = fieldstore.write_blocks(model.iter_blocks(block_hours=30), tmp_path / "blocks.nc")
    xr.testing.assert_identical(fieldstore.load_field(out), small_field)


def test_write_is_atomic(small_field, tmp_path):
    path = fieldstore.save_field(small_field, tmp_path / "f.nc")
    before = path.read_bytes()

    def failing_blocks():
        yield small_field.isel(time=slice(0, 10))
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        fieldstore.write_blocks(failing_blocks(), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.nc"]


def test_load_errors(tmp_path):
    with pytest.raises(FieldNotFoundError, match="kaiteki comfort build --year 2030"):
        fieldstore.load_year(tmp_path, 2030)
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("t", [1.0])}).to_netcdf(other)
    with pytest.raises(FieldFormatError, match="not a kaiteki comfort field"):
        fieldstore.load_field(other)
    junk = tmp_path / "junk.nc"
    junk.write_text("not netcdf")
    with pytest.raises(FieldFormatError, match="cannot be opened as NetCDF"):
        fieldstore.load_field(junk)


def test_stale_temp_files_of_killed_builds_are_removed(small_field, tmp_path):
    import os
    import time

    target = fieldstore.field_path(tmp_path, 2022)
    target.parent.mkdir(parents=True)
    stale = target.parent / f".{target.name}.dead.tmp"
    live = target.parent / f".{target.name}.live.tmp"
    stale.write_bytes(b"partial")
    live.write_bytes(b"being written")
    old = time.time() - fieldstore.STALE_TMP_S - 60
    os.utime(stale, (old, old))
    fieldstore.save_field(small_field, target)
    assert not stale.exists(), "a temp file of a killed build was left behind"
    assert live.exists(), "a recent temp file (a build in progress) must not be removed"
    assert fieldstore.load_field(target) is not None
