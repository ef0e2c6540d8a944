"""
Leave-one-sensor-out cross-validation and the standard-error model of the field
(docs/FIELD.md, "Cross-validation and standard errors").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.field.config import VARIABLES, FieldConfig
from comfort.field.derived import _utci
from comfort.field.observations import SensorArrays
from comfort.field.regression import (
    _CLIP,
    _Group,
    _normal_equations,
    _solve,
    idw_weights,
    interpolate_residuals,
)


def _loso_errors(
    arrays: SensorArrays, g: _Group, config: FieldConfig
) -> dict[str, npt.NDArray[np.float64]]:
    """Errors (prediction − observation) at each sensor of a group when it is left out."""
    n_t = len(arrays.times)
    ns = len(g.sensor_idx)
    errs = {v: np.full((n_t, ns), np.nan) for v in (*VARIABLES, "utci_c")}
    if ns < 2:
        return errs
    xy = arrays.sensors[["x", "y"]].to_numpy(float)[g.sensor_idx]
    X = g.design_s
    Ys = {var: arrays.values[var][:, g.sensor_idx] for var in VARIABLES}
    normal = {var: _normal_equations(X, Ys[var]) for var in VARIABLES}
    for k in range(ns):
        others = np.delete(np.arange(ns), k)
        w, w0 = idw_weights(
            xy[others], xy[k : k + 1], config.idw_power, config.idw_smoothing_m, config.idw_range_m
        )
        pred: dict[str, npt.NDArray[np.float64]] = {}
        for var in VARIABLES:
            Y = Ys[var]
            A, b, n = normal[var]
            has = np.isfinite(Y[:, k])
            yk = np.where(has, Y[:, k], 0.0)
            # leave sensor k out by downdating the normal equations (no refit from scratch)
            A_k = A - has[:, None, None] * np.outer(X[k], X[k])[None]
            b_k = b - yk[:, None] * X[k][None, :]
            beta = _solve(A_k, b_k, n - has, config.ridge)
            resid = Y[:, others] - beta @ X[others].T
            pk = beta @ X[k] + interpolate_residuals(resid, w, w0)[:, 0]
            clip = _CLIP[var]
            if clip is not None:
                pk = np.clip(pk, *clip)
            pred[var] = pk
            errs[var][:, k] = pk - Y[:, k]
        utci_pred = _utci(pred, arrays.reference_height_m)
        errs["utci_c"][:, k] = utci_pred - arrays.utci_c[:, g.sensor_idx[k]]
    return errs


def _nanmean(a: npt.NDArray[np.float64], axis: int | None = None) -> Any:
    """Mean over finite values; NaN (no warning) where there are none."""
    ok = np.isfinite(a)
    total = np.where(ok, a, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _hourly_mse(err: npt.NDArray[np.float64], window_h: int = 5) -> npt.NDArray[np.float64]:
    """Mean squared LOSO error per hour across sensors, smoothed over ``window_h`` hours."""
    if not err.size:
        return np.full(err.shape[0], np.nan)
    sq = _nanmean(err**2, axis=1)
    return pd.Series(sq).rolling(window_h, center=True, min_periods=1).mean().to_numpy(dtype=float)


def _distance_scaling(
    err: npt.NDArray[np.float64], mse_t: npt.NDArray[np.float64], nearest_m: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Fit ``e² / mse_t ≈ a + b·d`` (d: distance to the nearest other sensor, m), a, b >= 0."""
    ratio = err**2 / np.maximum(mse_t, 1e-12)[:, None]
    per_sensor = _nanmean(ratio, axis=0)
    ok = np.isfinite(per_sensor) & np.isfinite(nearest_m)
    if ok.sum() < 3:
        return 1.0, 0.0
    d = nearest_m[ok]
    A = np.column_stack([np.ones(ok.sum()), d])
    (a, b), *_ = np.linalg.lstsq(A, per_sensor[ok], rcond=None)
    if b < 0:
        return float(per_sensor[ok].mean()), 0.0
    if a < 0:
        b = float(per_sensor[ok] @ d / (d @ d))
        return 0.0, b
    return float(a), float(b)


def cv_table(errors: dict[str, dict[str, npt.NDArray[np.float64]]]) -> pd.DataFrame:
    """
    Summary of leave-one-sensor-out errors: one row per group and variable.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``variable``, ``rmse``, ``bias``, ``mae``, ``n`` (hour–sensor pairs),
        ``sensors``; plus rows with group ``"all"``.
    """
    rows = []
    pooled: dict[str, list[npt.NDArray[np.float64]]] = {}
    for grp, errs in errors.items():
        for var, e in errs.items():
            vals = e[np.isfinite(e)]
            pooled.setdefault(var, []).append(vals)
            rows.append(_cv_row(grp, var, vals, e.shape[1]))
    for var, parts in pooled.items():
        vals = np.concatenate(parts) if parts else np.array([])
        rows.append(_cv_row("all", var, vals, sum(errors[g][var].shape[1] for g in errors)))
    return pd.DataFrame(rows)


def _cv_row(grp: str, var: str, vals: npt.NDArray[np.float64], sensors: int) -> dict[str, Any]:
    n = int(vals.size)
    return {
        "group": grp,
        "variable": var,
        "rmse": float(np.sqrt(np.mean(vals**2))) if n else np.nan,
        "bias": float(np.mean(vals)) if n else np.nan,
        "mae": float(np.mean(np.abs(vals))) if n else np.nan,
        "n": n,
        "sensors": sensors,
    }
