"""
Benchmark: a full year of the hourly comfort field on every segment of the embedded area.

Inputs: the embedded Sapporo walking network (built from the real census blocks) and a year of
**simulated** hourly readings (``sensors.simulate.thermal.simulate_thermal``, seed 42, following
the real 2022 Sapporo daily weather; ~46 stations). Measured:

- ``wall_s``: ``comfort.field.fit_field`` (hourly regressions, leave-one-sensor-out CV and the
  error model) plus ``assemble`` (values, UTCI, categories, comfort and standard errors on every
  segment and hour) for the whole year;
- ``wall_s_targets_x3``: the same with three targets per segment (at 1/4, 1/2 and 3/4 of its
  length: about 1,600 targets, the scale the issue quotes), to show how the time grows with
  the number of targets;
- reference, in the same run: a naive per-hour loop (``scipy.linalg.lstsq`` per hour, group
  and variable, inverse-distance residuals and UTCI per hour, no cross-validation) on the first
  ``NAIVE_HOURS`` hours, extrapolated to the year; ``ratio_vs_naive_loop`` is that estimate
  divided by ``batched_core_s``, the same work done batched over the whole year (regressions,
  residuals, values, UTCI; the batched path also computes standard errors, categories and
  comfort). ``wall_s`` additionally contains the cross-validation (one down-dated refit per
  sensor), which the loop does not do.

Run: ``.venv/bin/python -m bench.field``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg

from bench._harness import peak_rss_mb, record

YEAR = 2022
NAIVE_HOURS = 240


def _inputs() -> tuple[Any, pd.DataFrame, pd.DataFrame, pd.DataFrame, Any]:
    from api.settings import get_settings
    from comfort.network import segment_table
    from sensors import area
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    s = get_settings()
    cache = Path(tempfile.mkdtemp(prefix="kaiteki-bench-field-"))
    G = area.sapporo_graph(s.data_file(area.CENSUS_FILE), cache)
    weather = read_daily_weather(s.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv"))
    registry, readings = simulate_thermal(G, weather, YEAR, seed=42)
    from sensors.places import load_places

    return G, segment_table(G), registry, readings, load_places()


def _three_per_segment(segments: pd.DataFrame) -> pd.DataFrame:
    """Three targets per segment, at 1/4, 1/2 and 3/4 of its length (ids ``10·sid + k``)."""
    parts = []
    seg = segments.reset_index()
    for k, frac in enumerate((0.25, 0.5, 0.75)):
        pts = seg.geometry.interpolate(frac, normalized=True)
        parts.append(seg.assign(segment_id=seg["segment_id"] * 10 + k, mid_x=pts.x, mid_y=pts.y))
    out = pd.concat(parts, ignore_index=True)
    return out.set_index("segment_id")


def _naive_loop(model: Any, hours: int) -> float:
    """Per-hour loop with scipy lstsq: the field without batching (reference)."""
    from comfort import field

    arrays, cfg = model.arrays, model.config
    t0 = time.perf_counter()
    for t in range(hours):
        vals: dict[str, np.ndarray] = {}
        n_targets = len(model.edges) + len(model.places)
        for var in field.VARIABLES:
            vals[var] = np.full((1, n_targets), np.nan)
        for g in model.groups.values():
            X = g.design_s
            p = X.shape[1]
            pen = np.sqrt(cfg.ridge) * np.eye(p)[1:]
            for var in field.VARIABLES:
                y = arrays.values[var][t, g.sensor_idx]
                ok = np.isfinite(y)
                A = np.vstack([X[ok], pen])
                b = np.concatenate([y[ok], np.zeros(p - 1)])
                beta, *_ = scipy.linalg.lstsq(A, b)
                resid = y[ok] - X[ok] @ beta
                w = np.minimum(g.weights[:, ok], 1e12)
                est = g.design_t @ beta + (w @ resid) / (w.sum(axis=1) + g.background)
                vals[var][0, g.target_idx] = est
        field._utci(vals, arrays.reference_height_m)
    return time.perf_counter() - t0


def _batched_core(model: Any) -> float:
    """The same work as :func:`_naive_loop`, batched over all hours (plus SE and categories)."""
    from comfort import field

    t0 = time.perf_counter()
    for g in model.groups.values():
        for var in field.VARIABLES:
            Y = model.arrays.values[var][:, g.sensor_idx]
            beta = field.fit_hourly(g.design_s, Y, model.config.ridge)
            _resid = Y - beta @ g.design_s.T
    field.assemble(model)
    return time.perf_counter() - t0


def main() -> dict[str, Any]:
    from comfort import field, indices

    indices.utci(np.array([20.0]), np.array([25.0]), np.array([1.0]), np.array([50.0]))  # JIT
    t0 = time.perf_counter()
    _G, segments, registry, readings, places = _inputs()
    prep_s = time.perf_counter() - t0
    print(
        f"inputs: {len(segments)} segments, {len(registry)} stations, {len(readings):,} "
        f"simulated readings ({prep_s:.1f} s to build the network and simulate)",
        flush=True,
    )
    times = pd.date_range(f"{YEAR}-01-01", f"{YEAR + 1}-01-01", freq="h", inclusive="left")

    t0 = time.perf_counter()
    model = field.fit_field(readings, registry, segments, places, times=times)
    ds = field.assemble(model)
    wall_s = time.perf_counter() - t0
    n_nan = int(np.isnan(ds["utci_c"].to_numpy()).sum())
    print(model.cv.round(3).to_string(index=False), flush=True)
    del ds

    dense = _three_per_segment(segments)
    t0 = time.perf_counter()
    model3 = field.fit_field(readings, registry, dense, places, times=times)
    ds3 = field.assemble(model3)
    wall3_s = time.perf_counter() - t0
    targets3 = ds3.sizes["edge"]
    del ds3, model3

    naive_s = _naive_loop(model, NAIVE_HOURS)
    naive_year_s = naive_s / NAIVE_HOURS * len(times)
    core_s = _batched_core(model)
    cv = model.cv.set_index(["group", "variable"])["rmse"]
    figures = {
        "edges": len(model.edges),
        "places": len(model.places),
        "hours": len(times),
        "sensors": len(model.arrays.sensors),
        "wall_s": round(wall_s, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "targets_x3": int(targets3),
        "wall_s_targets_x3": round(wall3_s, 2),
        "naive_loop_hours": NAIVE_HOURS,
        "naive_loop_s": round(naive_s, 2),
        "naive_loop_year_est_s": round(naive_year_s, 1),
        "batched_core_s": round(core_s, 2),
        "ratio_vs_naive_loop": round(naive_year_s / core_s, 1),
        "utci_nan_cells": n_nan,
        "cv_rmse_air_temp_c": round(float(cv[("all", "air_temp_c")]), 3),
        "cv_rmse_mrt_c": round(float(cv[("all", "mrt_c")]), 3),
        "cv_rmse_utci_c": round(float(cv[("all", "utci_c")]), 3),
        "data": "simulated",
    }
    print(
        f"field {YEAR}: {figures['edges']} edges × {figures['hours']} h in {wall_s:.1f} s "
        f"({targets3} targets: {wall3_s:.1f} s); same work without CV: batched {core_s:.1f} s, "
        f"naive per-hour loop est. {naive_year_s:.1f} s → ×{figures['ratio_vs_naive_loop']}; "
        f"peak RSS {figures['peak_rss_mb']} MB",
        flush=True,
    )
    return figures


if __name__ == "__main__":
    record("field", main())
