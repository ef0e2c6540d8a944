"""
kill -9 during a Dask field build (sensors/fieldzarr.py): the previous Zarr field stays
readable and unchanged, nothing half-written is taken for a field, and a re-run completes.

A small generated grid (sensors/synthetic.py, 12 × 12 crossings) with simulated readings (seeded)
over three weeks of hours; each build is a process forked from one that imported it once
(tests/forkserver.py), leads a process group of its own and runs a local cluster of one
worker (a thread of the build process, to keep the test short; test_field_dask.py covers worker
processes), and the whole group is killed with SIGKILL at seeded moments of the Zarr write (as
when the machine or the service's cgroup dies): counted from the moment the build's cluster is
up, as fractions of the write's duration in a complete build, so no kill is spent on the fit.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import pytest

from sensors.fieldstore import available_years, load_year
from sensors.fieldzarr import zarr_path
from tests.forkserver import ForkedRun, ForkServer

REPO = Path(__file__).resolve().parents[2]
YEAR = 2022
KILLS = 10

#: What a build imports, once, in the fork server.
BUILD_IMPORTS = ["comfort.field", "comfort.network", "sensors.dask_", "sensors.fieldzarr",
                 "sensors.synthetic", "distributed", "tests.sensors.test_crash_dask"]  # fmt: skip


def build(cache: str, offset: str) -> None:
    """Fit a field of simulated readings around ``offset`` °C and write it with Dask (forked)."""
    import pandas as pd

    from comfort import field
    from comfort.network import segment_table
    from sensors.dask_ import dask_client
    from sensors.fieldzarr import write_field_zarr, zarr_path
    from sensors.synthetic import generated_city

    seg = segment_table(generated_city(side=12, seed=5))
    rng = np.random.default_rng(3)
    pick = seg.sample(8, random_state=3)
    registry = pd.DataFrame({"sensor_id": [f"S{i}" for i in range(8)], "lat": pick["mid_lat"],
                             "lon": pick["mid_lon"], "level": 0})  # fmt: skip
    times = pd.date_range("2022-01-10", periods=21 * 24, freq="h", tz="Asia/Tokyo")
    hod = times.hour.to_numpy()
    rows = []
    for sid in registry["sensor_id"]:
        air = float(offset) + 3 * np.sin(hod / 24 * 2 * np.pi) + rng.normal(0, 0.3, len(times))
        rows.append(pd.DataFrame({"time": times, "sensor_id": sid, "air_temp_c": air,
                                  "rel_humidity_pct": 70.0, "wind_speed_m_s": 2.0,
                                  "globe_temp_c": air + 1.0, "qc_flags": 0, "simulated": True}))  # fmt: skip
    model = field.fit_field(pd.concat(rows), registry, seg, None, times=times)
    with dask_client(workers=1, memory_limit="1GB", processes=False) as client:
        print("cluster up", flush=True)
        write_field_zarr(model, zarr_path(Path(cache), 2022), client, time_chunk=72, edge_chunk=32)
    print("done", flush=True)


def _build(fs: ForkServer, cache: Path, offset: float, err: Path) -> ForkedRun:
    # a session of its own: the whole process group is killed, as when its cgroup dies
    return fs.run(
        "tests.sensors.test_crash_dask:build", str(cache), str(offset), stderr=err,
        new_session=True,
    )  # fmt: skip


def _cluster_up(run: ForkedRun) -> float:
    """Wait for the build's "cluster up" line (the write starts); the time it came."""
    line = run.readline(300)
    assert line == "cluster up" or run.poll() is not None, line
    return time.perf_counter()


def _mean_air(cache: Path) -> float:
    with load_year(cache, YEAR, chunks={}) as ds:
        assert ds.sizes["time"] == 21 * 24 and ds.attrs["simulated"] is True
        air = ds["air_temp_c"].compute().to_numpy()
    assert np.isfinite(air).all()  # every chunk written: no half field
    return float(air.mean())


@pytest.mark.slow
def test_kill_9_during_dask_field_build(tmp_path: Path) -> None:
    with ForkServer(BUILD_IMPORTS) as fs:
        _campaign(fs, tmp_path / "cache", tmp_path / "build.err")


def _campaign(fs: ForkServer, cache: Path, err: Path) -> None:
    target = zarr_path(cache, YEAR)
    run = _build(fs, cache, 5.0, err)
    t0 = _cluster_up(run)
    assert run.wait(300) == 0, err.read_text()
    write_s = time.perf_counter() - t0
    before = _mean_air(cache)
    assert abs(before - 5.0) < 0.5
    rng = np.random.default_rng(2025)
    killed = 0
    for fraction in rng.uniform(0.3, 0.9, KILLS):
        run = _build(fs, cache, 15.0, err)
        _cluster_up(run)
        time.sleep(fraction * write_s)
        run.kill(group=True)
        killed += run.wait() == -signal.SIGKILL
        # the previous field is there, readable and unchanged, or the new one, complete (the
        # kill came after it was published, while the cluster was shutting down)
        assert available_years(cache) == [YEAR]
        now = _mean_air(cache)
        assert abs(now - before) < 1e-9 or abs(now - 15.0) < 0.5
        before = now
    assert killed >= KILLS // 2  # the kills really interrupted builds
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert all(name.startswith(f".{target.name}.") for name in leftovers), leftovers
    # a re-run completes, replaces the field and removes what the killed builds left
    run = _build(fs, cache, 25.0, err)
    assert run.wait(300) == 0, err.read_text()
    assert abs(_mean_air(cache) - 25.0) < 0.5
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        [target.name, target.resolve().name]
    )
