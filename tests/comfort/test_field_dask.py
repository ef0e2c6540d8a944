"""
The comfort field on Dask + Zarr (comfort/field/chunked.py, sensors/fieldzarr.py,
sensors/dask_.py): the same numbers as the in-memory field on the real downtown graph, a Zarr
store that readers open lazily, and the cluster settings.

Readings are the seeded synthetic setup of test_field.py (known covariate effects, 96 hours of
simulated readings on real downtown segments).
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
import xarray as xr

from comfort import field
from comfort.field import chunked
from comfort.network import segment_table
from sensors import fieldstore, fieldzarr
from sensors.dask_ import dask_client, worker_peak_rss_mb
from sensors.errors import DaskClusterError
from tests.comfort.test_field import synthetic, synthetic_places

TOL_C = 1e-6


@pytest.fixture(scope="module")
def fitted(sapporo_graph):
    segments = segment_table(sapporo_graph)
    registry, readings = synthetic(segments)
    model = field.fit_field(readings, registry, segments, synthetic_places(segments))
    return model, field.assemble(model)


def _max_abs_diff(a: xr.Dataset, b: xr.Dataset) -> float:
    worst = 0.0
    for name in a.data_vars:
        x = a[name].to_numpy().astype(float)
        y = b[name].to_numpy().astype(float)
        assert x.shape == y.shape, name
        assert np.array_equal(np.isnan(x), np.isnan(y)), f"{name}: NaN where the other has values"
        ok = np.isfinite(x)
        if ok.any():
            worst = max(worst, float(np.abs(x[ok] - y[ok]).max()))
    return worst


def test_blocks_reassemble_the_in_memory_field(fitted) -> None:
    model, memory = fitted
    side = chunked.sensor_side(model)
    assert all(g.weights.shape[0] == 0 for g in side.groups.values())
    n_e, n_p = len(model.edges), len(model.places)
    parts = [
        chunked.block_dataset(side, chunked.target_part(model, e0, e1), t0, t0 + 40)
        for e0, e1 in chunked.edge_ranges(n_e, 97)
        for t0 in range(0, len(model.times), 40)
    ]
    edges = xr.combine_by_coords([p.drop_dims("place") for p in parts], combine_attrs="override")
    edge_vars = [v for v in memory.data_vars if "edge" in memory[v].dims]
    assert _max_abs_diff(memory[edge_vars], edges[edge_vars]) <= TOL_C
    places = chunked.block_values(side, chunked.target_part(model, n_e, n_e + n_p), 0, 96)
    np.testing.assert_allclose(places["utci_c"].T, memory["place_utci_c"].to_numpy().T, atol=TOL_C)


def test_dask_zarr_field_equals_memory_field_on_downtown(fitted, tmp_path) -> None:
    model, memory = fitted
    path = fieldzarr.zarr_path(tmp_path, 2022)
    with dask_client(workers=2, memory_limit="2GB") as client:
        fieldzarr.write_field_zarr(model, path, client, time_chunk=24, edge_chunk=128)
        peaks = worker_peak_rss_mb(client)
    assert len(peaks) == 2 and all(0 < mb < 2048 for mb in peaks.values())
    lazy = fieldstore.load_field(path, chunks={})
    assert lazy["utci_c"].chunks == ((24,) * 4, (128,) * (len(model.edges) // 128) + (
        (len(model.edges) % 128,) if len(model.edges) % 128 else ()))  # fmt: skip
    assert _max_abs_diff(memory, lazy.compute()) <= TOL_C
    assert lazy["utci_category"].dtype == np.int8
    assert list(lazy["place"].to_numpy()) == list(memory["place"].to_numpy())
    assert lazy.attrs["simulated"] is True and lazy.attrs["cv_rmse_utci_c"] > 0
    xr.testing.assert_identical(lazy["edge_x"], memory["edge_x"])
    # consolidated metadata, compressed chunks
    meta = json.loads((path / ".zmetadata").read_text())["metadata"]
    assert meta["utci_c/.zarray"]["compressor"]["cname"] == "zstd"
    assert meta["utci_c/.zarray"]["chunks"] == [24, 128]


def test_readers_take_zarr_and_the_latest_build(fitted, tmp_path) -> None:
    from sensors.conditions import StoredFields

    model, memory = fitted
    nc = fieldstore.save_field(memory, fieldstore.field_path(tmp_path, 2022))
    zarr_store = fieldzarr.write_field_zarr(model, fieldzarr.zarr_path(tmp_path, 2022))
    assert fieldstore.available_years(tmp_path) == [2022]
    assert fieldstore.built_path(tmp_path, 2022) == zarr_store  # written last
    with fieldstore.load_year(tmp_path, 2022, chunks={}) as ds:
        assert ds["utci_c"].chunks is not None  # lazy
    fields = StoredFields(tmp_path)
    assert fields.years() == [2022]
    edges, utci = fields.hour(2022, 30)
    np.testing.assert_array_equal(edges, memory["edge"].to_numpy())
    np.testing.assert_allclose(utci, memory["utci_c"].isel(time=30).to_numpy(), atol=TOL_C)
    nc.touch()
    assert fieldstore.built_path(tmp_path, 2022) == nc
    nc.unlink()
    assert fieldstore.built_path(tmp_path, 2022) == zarr_store
    eager = fieldstore.load_year(tmp_path, 2022)
    assert _max_abs_diff(memory, eager) <= TOL_C


def test_rebuild_replaces_the_version_and_cleans_up(fitted, tmp_path) -> None:
    model, _ = fitted
    path = fieldzarr.zarr_path(tmp_path, 2022)
    fieldzarr.write_field_zarr(model, path)
    first = path.resolve()
    dead = path.parent / f".{path.name}.1.{fieldzarr.socket.gethostname()}.999999999.tmp"
    dead.mkdir()
    fieldzarr.write_field_zarr(model, path)
    assert path.is_symlink() and path.resolve() != first
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.resolve().name])


def test_scheduler_address_and_errors(fitted, tmp_path) -> None:
    from distributed import LocalCluster

    model, memory = fitted
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:  # fmt: skip
        with dask_client(cluster.scheduler_address) as client:
            assert client.scheduler.address == cluster.scheduler_address
            path = fieldzarr.write_field_zarr(model, tmp_path / "x.zarr", client, edge_chunk=300)
    assert _max_abs_diff(memory, fieldstore.load_field(path)) <= TOL_C
    with pytest.raises(
        DaskClusterError, match=r"no Dask scheduler answers at 'tcp://127\.0\.0\.1:9'"
    ):
        with dask_client("tcp://127.0.0.1:9"):
            pass
    with pytest.raises(DaskClusterError, match="KAITEKI_DASK_WORKERS must be >= 1; got 0"):
        with dask_client(workers=0):
            pass
    with pytest.raises(ValueError, match="edge_chunk must be >= 1; got 0"):
        chunked.edge_ranges(10, 0)


def test_keepbits_rounds_floats_within_their_bound_and_keeps_categories(fitted, tmp_path):
    model, memory = fitted
    path = fieldzarr.write_field_zarr(model, tmp_path / "k.zarr", keepbits=12, edge_chunk=200)
    stored = fieldstore.load_field(path)
    assert stored.attrs["keepbits"] == 12
    meta = json.loads((path / ".zmetadata").read_text())["metadata"]
    assert meta["utci_c/.zarray"]["filters"] == [{"id": "bitround", "keepbits": 12}]
    assert meta["utci_category/.zarray"]["filters"] is None
    for name in memory.data_vars:
        x = memory[name].to_numpy().astype(float)
        y = stored[name].to_numpy().astype(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        ok = np.isfinite(x)
        if memory[name].dtype.kind == "i":
            np.testing.assert_array_equal(x, y)
        else:  # relative error at most 2^-13 (half the last kept bit)
            assert np.all(np.abs(x[ok] - y[ok]) <= 2.0**-13 * np.abs(x[ok])), name
    assert not np.array_equal(memory["utci_c"].to_numpy(), stored["utci_c"].to_numpy())
    lossless = fieldzarr.write_field_zarr(model, tmp_path / "l.zarr", edge_chunk=200)
    assert "keepbits" not in fieldstore.load_field(lossless, chunks={}).attrs
    with pytest.raises(ValueError, match="keepbits must be between 1 and 23"):
        fieldzarr.write_field_zarr(model, tmp_path / "bad.zarr", keepbits=30)


def test_worker_peak_is_the_workers_own_memory() -> None:
    from sensors.dask_ import _peak_rss_mb

    big = np.ones(50 * 2**20 // 8)  # 50 MB touched in this process
    assert _peak_rss_mb() >= 50
    del big


def test_doctests() -> None:
    import sensors.synthetic

    for module in (chunked, fieldzarr, sensors.synthetic):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__
