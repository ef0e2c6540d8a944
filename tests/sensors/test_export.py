"""Exports: round trips per format (same rows, same units), metadata, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from comfort.qcflags import QCFlag
from sensors import export as ex
from sensors.errors import ExportError, FieldNotFoundError
from sensors.ingest import ingest_file, ingest_records
from sensors.store import Store

KEY = "test-export-key"


@pytest.fixture(scope="module")
def store(daily_path: Path, fitbit_path: Path) -> Store:
    """An in-memory store with real Chi-Ka-Ho counts and Fitbit steps, and a few readings and
    survey answers (synthetic, fixed seed, marked simulated)."""
    st = Store(":memory:")
    ingest_file(st, "chikaho", daily_path)
    ingest_file(st, "steps", fitbit_path, pseudonym_key=KEY)
    rng = np.random.default_rng(7)
    ingest_records(
        st,
        "sensors",
        [
            {"sensor_id": "S1", "kind": "fixed", "lat": 43.0605, "lon": 141.3545, "level": 0,
             "height_m": 1.5, "globe_diameter_m": 0.15, "installed": "2022-01-01",
             "name": "Odori W3", "simulated": True},
        ],
        "test:sensors",
    )  # fmt: skip
    times = pd.date_range("2022-01-10 08:00", periods=48, freq="10min", tz="Asia/Tokyo")
    ingest_records(
        st,
        "readings",
        [
            {
                "time": t.isoformat(), "sensor_id": "S1",
                "air_temp_c": float(-3 + 0.1 * i + rng.normal(0, 0.2)),
                "rel_humidity_pct": float(70 + rng.normal(0, 2)),
                "wind_speed_m_s": float(abs(rng.normal(2, 0.5))),
                "globe_temp_c": float(-1 + 0.1 * i), "solar_wm2": None if i == 3 else 120.0,
                "simulated": True,
            }
            for i, t in enumerate(times)
        ],
        "test:readings",
    )  # fmt: skip
    ingest_records(
        st,
        "survey",
        [
            {"response_id": f"R{i}", "time": t.isoformat(), "lat": 43.0605 + 0.001 * i,
             "lon": 141.3545, "thermal_sensation": int(rng.integers(-3, 4)), "comfort_vote": 2,
             "preference": "warmer", "activity": "walking", "clothing_clo": 1.4,
             "age_group": "20-39", "free_text": None if i % 2 else "寒い", "simulated": True}
            for i, t in enumerate(times[:6])
        ],
        "test:survey",
        pseudonym_key="test-key",
    )  # fmt: skip
    return st


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    if isinstance(a, gpd.GeoDataFrame):
        assert isinstance(b, gpd.GeoDataFrame)
        ga, gb = a.geometry.reset_index(drop=True), b.geometry.reset_index(drop=True)
        assert (ga.geom_equals_exact(gb, tolerance=1e-9) | (ga.is_empty & gb.isna())).all()
        a, b = a.drop(columns=a.geometry.name), b.drop(columns=b.geometry.name)
    a = pd.DataFrame(a).reset_index(drop=True)
    b = pd.DataFrame(b).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x.dtype):
            np.testing.assert_allclose(x.to_numpy(), y.to_numpy(float), rtol=1e-12, equal_nan=True)
        else:
            xs = x.astype(object).where(x.notna(), None).tolist()
            ys = y.astype(object).where(y.notna(), None).tolist()
            assert xs == ys, col
        assert str(x.dtype) == str(y.dtype), (col, x.dtype, y.dtype)


CASES = [(k, f) for k in ("readings", "counts", "steps", "survey") for f in ex.FORMATS_BY_KIND[k]]


@pytest.mark.parametrize(("kind", "fmt"), CASES, ids=[f"{k}-{f}" for k, f in CASES])
def test_store_round_trip(store: Store, tmp_path: Path, kind: str, fmt: str) -> None:
    start, end = ("2019-04-01", "2019-06-01") if kind == "counts" else (None, None)
    out = tmp_path / f"{kind}{ex.SUFFIX[fmt]}"
    seen: list[tuple[int, int]] = []
    result = ex.export_store(
        store, kind, fmt, out, start=start, end=end, chunk_rows=500,
        progress=lambda d, t: seen.append((d, t)),
    )  # fmt: skip
    original, _ = ex.store_table(store, kind, start, end)
    back, meta = ex.read_export(out)
    assert result.rows == len(original) == len(back) > 0
    assert seen[-1] == (len(original), len(original))
    if fmt in ("geoparquet", "gpkg"):
        assert back.crs.to_epsg() == 4326
        original = ex.as_geo(original, kind)
    _same(original, back)
    # QC flags: the integer mask, and readable names derived from it (no `qc` text column)
    assert "qc" not in back.columns
    names = [",".join(QCFlag(int(m)).names()) for m in back["qc_flags"]]
    assert back["qc_flag_names"].tolist() == names
    # units and the simulated flag travel with the file
    assert meta["columns"]["time"]["unit"].startswith("ISO 8601")
    unit_col = {"readings": "air_temp_c", "counts": "count", "steps": "steps",
                "survey": "clothing_clo"}[kind]  # fmt: skip
    assert meta["columns"][unit_col]["unit"] == ex.UNITS[unit_col]
    assert meta["simulated"] is (kind in ("readings", "survey"))
    if kind == "counts":
        assert any("CC BY 4.0" in s and "札幌市" in s for s in meta["sources"])
    if fmt in ("csv", "gpkg"):
        assert result.sidecar is not None and result.sidecar.is_file()
        assert json.loads(result.sidecar.read_text())["rows"] == len(original)


def test_netcdf_units_are_variable_attributes(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "r.nc"
    ex.export_store(store, "readings", "netcdf", out)
    with xr.open_dataset(out) as ds:
        assert ds["air_temp_c"].attrs["units"] == "degC"
        assert ds["wind_speed_m_s"].attrs["units"] == "m s-1"
        assert ds.attrs["simulated"] == "true"


def test_parquet_metadata_readable_without_kaiteki(store: Store, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "s.parquet"
    ex.export_store(store, "steps", "parquet", out)
    meta = json.loads(pq.read_schema(out).metadata[b"kaiteki"])
    assert meta["simulated"] is False and meta["columns"]["steps"]["unit"] == "steps per interval"
    assert any("zenodo.53894" in s for s in meta["sources"])


def test_steps_export_has_only_pseudonyms(store: Store, tmp_path: Path, fitbit_path: Path) -> None:
    out = tmp_path / "steps.csv"
    ex.export_store(store, "steps", "csv", out)
    text = out.read_text()
    raw_ids = pd.read_csv(fitbit_path, usecols=["Id"])["Id"].astype(str).unique()
    assert not any(i in text for i in raw_ids)
    back, _ = ex.read_export(out)
    assert back["participant"].str.fullmatch(r"p-[0-9a-f]{16}").all()


def test_steps_export_refuses_raw_ids(tmp_path: Path) -> None:
    st = Store(":memory:")
    st.con.execute(
        "INSERT INTO files (path, sha256, kind, rows_read, accepted, flagged, quarantined) "
        "VALUES ('x.csv', 'abc', 'steps', 1, 1, 0, 0)"
    )
    st.con.execute(
        "INSERT INTO steps VALUES ('1503960366', TIMESTAMPTZ '2016-04-12 00:00:00+09', 'hour', "
        "10, 0, false, 1, 2)"
    )
    with pytest.raises(ExportError, match="not a kaiteki pseudonym"):
        ex.export_store(st, "steps", "csv", tmp_path / "s.csv")


@pytest.mark.parametrize(
    ("kind", "fmt", "match"),
    [
        ("field", "csv", "field exports as netcdf"),
        ("counts", "gpkg", "counts exports as parquet, netcdf, csv .*no geometry"),
        ("places", "netcdf", "places exports as"),
        ("weather", "csv", "unknown export kind 'weather'"),
        ("readings", "xlsx", "unknown export format 'xlsx'"),
    ],
)
def test_invalid_combinations(kind: str, fmt: str, match: str) -> None:
    with pytest.raises(ExportError, match=match):
        ex.check_combination(kind, fmt)


def test_places_round_trip_every_format(tmp_path: Path) -> None:
    from sensors.places import load_places

    places = load_places()
    for fmt in ex.FORMATS_BY_KIND["places"]:
        out = tmp_path / f"places{ex.SUFFIX[fmt]}"
        ex.write_table(places, out, fmt, "places", simulated=False)
        back, meta = ex.read_export(out)
        assert meta["simulated"] is False and meta["crs"] in (None, "EPSG:4326")
        assert back.crs.to_epsg() == 4326
        _same(places, back)


def test_walkability_layer_missing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="kaiteki walk score"):
        ex.walkability_layer(tmp_path, "edges")
    with pytest.raises(ExportError, match="unknown walkability layer 'roads'"):
        ex.walkability_layer(tmp_path, "roads")


def test_field_round_trip(tmp_path: Path) -> None:
    from sensors.fieldstore import save_field

    rng = np.random.default_rng(3)
    times = pd.date_range("2022-01-01", periods=400, freq="h")
    shape_e, shape_p = (400, 5), (400, 3)
    ds = xr.Dataset(
        {
            "air_temp_c": (("time", "edge"), rng.normal(-3, 2, shape_e).astype("float32")),
            "mrt_c": (("time", "edge"), rng.normal(-1, 3, shape_e).astype("float32")),
            "wind_speed_m_s": (("time", "edge"), rng.uniform(0, 5, shape_e).astype("float32")),
            "rel_humidity_pct": (("time", "edge"), rng.uniform(50, 90, shape_e).astype("float32")),
            "utci_c": (("time", "edge"), rng.normal(-8, 4, shape_e).astype("float32")),
            "comfort": (("time", "edge"), rng.uniform(0, 1, shape_e).astype("float32")),
            "place_utci_c": (("time", "place"), rng.normal(-8, 4, shape_p).astype("float32")),
        },
        coords={"time": times, "edge": np.arange(5), "place": ["a", "b", "c"]},
        attrs={"simulated": True, "source": "test field"},
    )
    src = save_field(ds, tmp_path / "2022.nc")
    from sensors.fieldstore import load_field

    lazy = load_field(src, chunks={})
    steps: list[int] = []
    result = ex.write_field(lazy, tmp_path / "out.nc", progress=lambda d, t: steps.append(d))
    lazy.close()
    back, meta = ex.read_export(result.path)
    assert steps[-1] == 400 and len(steps) == 3  # weekly blocks of 168 h
    assert meta["simulated"] is True and back.attrs["simulated"] is True
    assert back["utci_c"].attrs["units"] == "degC"
    xr.testing.assert_allclose(back[list(ds.data_vars)], ds[list(ds.data_vars)])


def test_cli_export_and_errors(
    tmp_path: Path, fitbit_path: Path, own_store: Path, own_cache: Path
) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings

    with Store(get_settings().store) as st:
        ingest_file(st, "steps", fitbit_path, pseudonym_key=get_settings().pseudonym_key)
    runner = CliRunner()
    out = tmp_path / "steps.parquet"
    res = runner.invoke(app, ["export", "steps", "--format", "parquet", "--out", str(out),
                              "--json", "--researcher"])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 22099 and summary["simulated"] is False
    assert len(pd.read_parquet(out)) == 22099
    res = runner.invoke(app, ["export", "steps", "--format", "gpkg", "--out", str(out)])
    assert isinstance(res.exception, ExportError)
    assert "steps exports as parquet, netcdf, csv" in str(res.exception)
    res = runner.invoke(app, ["export", "field", "--format", "netcdf", "--out", str(out)])
    assert isinstance(res.exception, FieldNotFoundError)
    assert "kaiteki comfort build" in str(res.exception)


def test_flag_names_come_from_the_mask() -> None:
    flags = np.array([0, QCFlag.RANGE | QCFlag.DUPLICATE, QCFlag.ESTIMATED], dtype="uint32")
    frame = pd.DataFrame({"time": [1, 2, 3], "qc_flags": flags, "qc": ["stale", "", ""], "x": 1})
    out = ex.with_flag_names(frame)
    assert list(out.columns) == ["time", "qc_flags", "qc_flag_names", "x"]
    assert out["qc_flag_names"].tolist() == ["", "range,duplicate", "estimated"]
    assert out["qc_flags"].dtype == np.uint32 and out["qc_flags"].tolist() == [0, 17, 1024]
