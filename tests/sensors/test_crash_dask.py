"""
kill -9 during a Dask field build (sensors/fieldzarr.py): the previous Zarr field stays
readable and unchanged, nothing half-written is taken for a field, and a re-run completes.

A small generated grid (sensors/synthetic.py, 12 × 12 crossings) with simulated readings (seeded)
over three weeks of hours; each build runs in its own process group with a local cluster of one
worker (a thread of the build process, to keep the test short; test_field_dask.py covers worker
processes), and the whole group is killed with SIGKILL at seeded moments of the Zarr write (as
when the machine or the service's cgroup dies): counted from the moment the build's cluster is
up, as fractions of the write's duration in a complete build, so no kill is spent on the fit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from sensors.fieldstore import available_years, load_year
from sensors.fieldzarr import zarr_path

REPO = Path(__file__).resolve().parents[2]
YEAR = 2022
KILLS = 10

BUILD = textwrap.dedent(
    """
    import sys

    import numpy as np
    import pandas as pd

    from comfort import field
    from comfort.network import segment_table
    from sensors.dask_ import dask_client
    from sensors.fieldzarr import write_field_zarr, zarr_path
    from sensors.synthetic import generated_city

    cache, offset = sys.argv[1], float(sys.argv[2])
    seg = segment_table(generated_city(side=12, seed=5))
    rng = np.random.default_rng(3)
    pick = seg.sample(8, random_state=3)
    registry = pd.DataFrame({"sensor_id": [f"S{i}" for i in range(8)], "lat": pick["mid_lat"],
                             "lon": pick["mid_lon"], "level": 0})
    times = pd.date_range("2022-01-10", periods=21 * 24, freq="h", tz="Asia/Tokyo")
    hod = times.hour.to_numpy()
    rows = []
    for sid in registry["sensor_id"]:
        air = offset + 3 * np.sin(hod / 24 * 2 * np.pi) + rng.normal(0, 0.3, len(times))
        rows.append(pd.DataFrame({"time": times, "sensor_id": sid, "air_temp_c": air,
                                  "rel_humidity_pct": 70.0, "wind_speed_m_s": 2.0,
                                  "globe_temp_c": air + 1.0, "qc_flags": 0, "simulated": True}))
    model = field.fit_field(pd.concat(rows), registry, seg, None, times=times)
    with dask_client(workers=1, memory_limit="1GB", processes=False) as client:
        print("cluster up", flush=True)
        write_field_zarr(model, zarr_path(cache, 2022), client, time_chunk=72, edge_chunk=32)
    print("done", flush=True)
    """
)


def _build(cache: Path, offset: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, str(cache), str(offset)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the cluster's workers die with it
    )


def _cluster_up(proc: subprocess.Popen) -> float:
    """Wait for the build's "cluster up" line (the write starts); the time it came."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == b"cluster up\n" or proc.poll() is not None, line
    return time.perf_counter()


def _mean_air(cache: Path) -> float:
    with load_year(cache, YEAR, chunks={}) as ds:
        assert ds.sizes["time"] == 21 * 24 and ds.attrs["simulated"] is True
        air = ds["air_temp_c"].compute().to_numpy()
    assert np.isfinite(air).all()  # every chunk written: no half field
    return float(air.mean())


@pytest.mark.slow
def test_kill_9_during_dask_field_build(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    target = zarr_path(cache, YEAR)
    proc = _build(cache, 5.0)
    t0 = _cluster_up(proc)
    _, err = proc.communicate(timeout=300)
    write_s = time.perf_counter() - t0
    assert proc.returncode == 0, err.decode()
    before = _mean_air(cache)
    assert abs(before - 5.0) < 0.5
    rng = np.random.default_rng(2025)
    killed = 0
    for fraction in rng.uniform(0.3, 0.9, KILLS):
        proc = _build(cache, 15.0)
        _cluster_up(proc)
        time.sleep(fraction * write_s)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        killed += proc.returncode == -signal.SIGKILL
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
    proc = _build(cache, 25.0)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert abs(_mean_air(cache) - 25.0) < 0.5
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        [target.name, target.resolve().name]
    )
