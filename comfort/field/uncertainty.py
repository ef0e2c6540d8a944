"""
Leave-one-sensor-out cross-validation and the standard-error model of the field
(docs/FIELD.md, "Cross-validation and standard errors").
"""

from __future__ import annotations

from dataclasses import dataclass
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
            # leave sensor k out by downdating the normal equations (no refit from scratch),
            # in the hours where other sensors have readings (the others get NaN coefficients)
            n_k = n - has
            hours = np.flatnonzero(n_k != 0)
            A_k = A[hours] - has[hours, None, None] * np.outer(X[k], X[k])[None]
            b_k = b[hours] - yk[hours, None] * X[k][None, :]
            beta = np.full((n_t, X.shape[1]), np.nan)
            beta[hours] = _solve(A_k, b_k, n_k[hours], config.ridge)
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


def _site_errors(
    arrays: SensorArrays, g: _Group, config: FieldConfig
) -> dict[str, npt.NDArray[np.float64]]:
    """In-sample errors (field − observation) at each sensor's own site, all sensors used."""
    xy = arrays.sensors[["x", "y"]].to_numpy(float)[g.sensor_idx]
    w, w0 = idw_weights(xy, xy, config.idw_power, config.idw_smoothing_m, config.idw_range_m)
    pred: dict[str, npt.NDArray[np.float64]] = {}
    errs: dict[str, npt.NDArray[np.float64]] = {}
    for var in VARIABLES:
        p = g.beta[var] @ g.design_s.T + interpolate_residuals(g.resid[var], w, w0)
        clip = _CLIP[var]
        pred[var] = np.clip(p, *clip) if clip is not None else p
        errs[var] = pred[var] - arrays.values[var][:, g.sensor_idx]
    errs["utci_c"] = _utci(pred, arrays.reference_height_m) - arrays.utci_c[:, g.sensor_idx]
    return errs


def _nanmean(a: npt.NDArray[np.float64], axis: int | None = None) -> Any:
    """Mean over finite values; NaN (no warning) where there are none."""
    ok = np.isfinite(a)
    total = np.where(ok, a, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _rolling_mean(
    sums: npt.NDArray[np.float64], counts: npt.NDArray[np.float64], window_h: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centred rolling sums over ``window_h`` hours of per-hour sums and counts (axis 0)."""
    kernel = np.ones(window_h)
    s = np.apply_along_axis(np.convolve, 0, sums, kernel, "same")
    n = np.apply_along_axis(np.convolve, 0, counts, kernel, "same")
    return s, n


#: The 90 % two-sided normal quantile: a 90 % interval is the value ± 1.645 standard errors.
Z90 = 1.6448536269514722

#: Hours (local, start inclusive, end exclusive) of the "day" hour group of the error model.
DAY_HOURS = (6, 18)


def hour_groups(times: pd.DatetimeIndex) -> npt.NDArray[np.intp]:
    """
    Hour group of each hour for the error model: season (DJF, MAM, JJA, SON) × day/night.

    Examples
    --------
    >>> hour_groups(pd.to_datetime(["2022-01-01 03:00", "2022-01-01 12:00", "2022-07-01 12:00"]))
    array([0, 1, 5])
    """
    idx = pd.DatetimeIndex(times)
    season = (idx.month.to_numpy() % 12) // 3
    day = (idx.hour.to_numpy() >= DAY_HOURS[0]) & (idx.hour.to_numpy() < DAY_HOURS[1])
    return np.asarray(season * 2 + day, dtype=np.intp)


N_HOUR_GROUPS = 8


def unexplained_share(
    weights: npt.NDArray[np.float64],
    background: float | npt.NDArray[np.float64],
    dist_m: npt.NDArray[np.float64],
    range_m: float,
) -> npt.NDArray[np.float64]:
    """
    Share of the residual variance the inverse-distance correction leaves unexplained at targets.

    ``1 − Σ λ_i exp(−d_i / range)`` with ``λ_i = w_i / (Σ w + w_0)`` the normalised IDW weights
    (the background weight ``w_0`` of a zero residual included): 0 at a sensor, rising towards
    1 where the background (the regression alone) rules.

    Examples
    --------
    >>> w = np.array([[1.0], [0.01]]); d = np.array([[0.0], [300.0]])
    >>> unexplained_share(w, 0.01, d, 100.0).round(3).tolist()
    [0.01, 0.975]
    """
    W = np.minimum(np.asarray(weights, dtype=float), 1e12)
    lam = W / (W.sum(axis=1, keepdims=True) + np.asarray(background, dtype=float).reshape(-1, 1))
    return np.asarray(1.0 - (lam * np.exp(-dist_m / range_m)).sum(axis=1), dtype=np.float64)


def _nnls_line(
    f: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[float, float, float]:
    """Least squares ``y ≈ a + b f`` with a, b >= 0; returns (a, b, sum of squared residuals)."""
    from scipy.optimize import nnls  # here: scipy.optimize costs a server 12 MB it rarely needs

    A = np.column_stack([np.ones_like(f), f])
    coef, rnorm = nnls(A, y)
    return float(coef[0]), float(coef[1]), float(rnorm**2)


def fit_error_variogram(
    share_loso: dict[float, npt.NDArray[np.float64]],
    share_site: dict[float, npt.NDArray[np.float64]],
    mse_loso: npt.NDArray[np.float64],
    mse_site: npt.NDArray[np.float64],
) -> tuple[float, float, float]:
    """
    Nugget, partial sill and range of the field's squared error, from the sensors.

    The model is ``E[e²] = nugget + psill · u(range)``, with ``u`` the unexplained share
    (:func:`unexplained_share`): exponential covariance with a nugget, seen through the IDW
    weights the field actually uses. Points: each sensor's mean squared leave-one-sensor-out
    error (its ``u`` from the other sensors) and its mean squared in-sample error (the field
    at its own site, ``u`` ≈ 0). For each candidate range (keys of the share dicts) nugget and
    partial sill come from non-negative least squares; the range with the least squared
    misfit wins.

    Returns
    -------
    (float, float, float)
        ``nugget``, ``psill`` (units of the variable, squared) and ``range_m`` (m); NaN when
        there are no finite points.
    """
    best = (np.nan, np.nan, np.nan, np.inf)
    ok_l, ok_s = np.isfinite(mse_loso), np.isfinite(mse_site)
    if ok_l.sum() + ok_s.sum() < 2 or not ok_l.any():
        return np.nan, np.nan, np.nan
    y = np.concatenate([mse_loso[ok_l], mse_site[ok_s]])
    for range_m in share_loso:
        f = np.concatenate([share_loso[range_m][ok_l], share_site[range_m][ok_s]])
        a, b, sse = _nnls_line(f, y)
        if sse < best[3]:
            best = (a, b, range_m, sse)
    return best[0], best[1], best[2]


def leverage_matrices(
    X: npt.NDArray[np.float64], Y: npt.NDArray[np.float64], ridge: float
) -> npt.NDArray[np.float64]:
    """
    ``(XᵀM_tX+λP)⁻¹ XᵀM_tX (XᵀM_tX+λP)⁻¹`` of every hour: the ridge coefficients' covariance
    per unit residual variance, ``(hours, p, p)`` (zero at hours without readings).
    """
    A, _, n = _normal_equations(X, Y)
    p = X.shape[1]
    pen = np.eye(p) * ridge
    pen[0, 0] = 0.0
    inv = np.linalg.inv(A + (pen + np.eye(p) * 1e-9)[None])
    H = inv @ A @ inv
    H[n == 0] = 0.0
    return np.asarray(H, dtype=np.float64)


def leverage(H: npt.NDArray[np.float64], U: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``uᵀ H_t u`` for every hour and row of ``U`` (targets × p), as one matrix product."""
    p = U.shape[1]
    UU = (U[:, :, None] * U[:, None, :]).reshape(len(U), p * p)
    return np.asarray(H.reshape(len(H), p * p) @ UU.T, dtype=np.float64)


def trend_offsets(
    X_targets: npt.NDArray[np.float64],
    X_sensors: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    background: float | npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """
    ``u = x₀ − Σ λ_i x_i``: how a coefficient error reaches each target once the IDW correction
    of the residuals has taken back what the sensors nearby see (0 at a sensor, ``x₀`` far away).
    """
    W = np.minimum(np.asarray(weights, dtype=float), 1e12)
    lam = W / (W.sum(axis=1, keepdims=True) + np.asarray(background, dtype=float).reshape(-1, 1))
    return np.asarray(X_targets - lam @ X_sensors, dtype=np.float64)


@dataclass
class ErrorModel:
    """
    The standard-error model of one variable in one target group (docs/FIELD.md, "Standard
    errors"): ``SE² = c_t · (nugget_g + psill_g · u_j(range_g) + sill_g · u_jᵀ H_t u_j)``.

    Attributes
    ----------
    hour_group
        ``(hours,)`` hour group of each hour (:func:`hour_groups`).
    nugget, psill, range_m
        ``(groups,)`` variogram of the field's error per hour group.
    calibration
        ``(hours,)`` ``c_t``: the ratio of the leave-one-sensor-out squared errors to the model
        variance, averaged over sensors and a few hours (1 on average).
    leverage_H
        ``(hours, p, p)`` ridge coefficient covariance per unit variance.
    coverage_90
        Share of held-out sensor-hours inside their 90 % interval (the calibration of each
        sensor computed without it), NaN with fewer than 3 sensors.
    """

    hour_group: npt.NDArray[np.intp]
    nugget: npt.NDArray[np.float64]
    psill: npt.NDArray[np.float64]
    range_m: npt.NDArray[np.float64]
    calibration: npt.NDArray[np.float64]
    leverage_H: npt.NDArray[np.float64]
    coverage_90: float
    held_out: int

    def variance(
        self,
        t0: int,
        t1: int,
        share: npt.NDArray[np.float64],
        offsets: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        """
        ``(hours, targets)`` error variance for hours ``t0:t1``; ``share`` is ``(groups,
        targets)`` (:func:`unexplained_share` at each group's range), ``offsets`` the
        :func:`trend_offsets` of the targets.
        """
        hg = self.hour_group[t0:t1]
        base = self.nugget[hg][:, None] + self.psill[hg][:, None] * share[hg]
        sill = (self.nugget + self.psill)[hg][:, None]
        lev = sill * leverage(self.leverage_H[t0:t1], offsets)
        return np.asarray(self.calibration[t0:t1][:, None] * (base + lev), dtype=np.float64)


def fit_error_model(
    errors: npt.NDArray[np.float64],
    site_errors: npt.NDArray[np.float64],
    times: pd.DatetimeIndex,
    xy: npt.NDArray[np.float64],
    design: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    config: FieldConfig,
    window_h: int = 5,
) -> ErrorModel:
    """
    Fit the standard-error model of one variable of one group from its sensors.

    Parameters
    ----------
    errors
        ``(hours, sensors)`` leave-one-sensor-out errors (prediction − observation).
    site_errors
        ``(hours, sensors)`` in-sample errors of the field at each sensor's own site.
    times
        The hours.
    xy
        ``(sensors, 2)`` sensor positions (m).
    design
        ``(sensors, p)`` design matrix of the group.
    values
        ``(hours, sensors)`` observations (their missing pattern sets the leverage per hour).
    config
        Field parameters (IDW power, smoothing, range; ridge).
    window_h
        Hours of the centred window the calibration ``c_t`` is averaged over.
    """
    ns = errors.shape[1]
    hg = hour_groups(times)
    H = leverage_matrices(design, values, config.ridge)
    # IDW weights of each sensor from the others (LOSO) and from all (its own site)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    w_all, w0 = idw_weights(xy, xy, config.idw_power, config.idw_smoothing_m, config.idw_range_m)
    w_loso = w_all.copy()
    np.fill_diagonal(w_loso, 0.0)
    spacing = _spacing(d)
    ranges = np.geomspace(max(spacing, config.idw_smoothing_m), 8.0 * max(spacing, 50.0), 10)
    share_l = {float(r): unexplained_share(w_loso, w0, d, float(r)) for r in ranges}
    share_s = {float(r): unexplained_share(w_all, w0, d, float(r)) for r in ranges}
    u_l = trend_offsets(design, design, w_loso, w0)
    lev_l = leverage(H, u_l)  # (hours, sensors), per unit variance
    sq, sq_site = errors**2, site_errors**2
    nugget = np.full(N_HOUR_GROUPS, np.nan)
    psill, rng = nugget.copy(), nugget.copy()
    pooled = fit_error_variogram(share_l, share_s, _nanmean(sq, 0), _nanmean(sq_site, 0))
    for k in range(N_HOUR_GROUPS):
        rows = hg == k
        if rows.sum() >= 3:
            nugget[k], psill[k], rng[k] = fit_error_variogram(
                share_l, share_s, _nanmean(sq[rows], 0), _nanmean(sq_site[rows], 0)
            )
        if not np.isfinite(nugget[k]):
            nugget[k], psill[k], rng[k] = pooled
    if not np.all(np.isfinite(nugget)):  # no held-out errors at all (one sensor)
        var = float(_nanmean(np.concatenate([sq.ravel(), sq_site.ravel()])))
        var = var if np.isfinite(var) else 1.0
        nugget[:] = np.where(np.isfinite(nugget), nugget, var)
        psill[:] = np.where(np.isfinite(psill), psill, 0.0)
        rng[:] = np.where(np.isfinite(rng), rng, max(spacing, 1.0))
    share_at = np.stack(
        [
            share_l[float(r)] if float(r) in share_l else unexplained_share(w_loso, w0, d, float(r))
            for r in rng
        ]
    )
    model_var = (
        nugget[hg][:, None]
        + psill[hg][:, None] * share_at[hg]
        + (nugget + psill)[hg][:, None] * lev_l
    )
    ratio = sq / np.maximum(model_var, 1e-12)
    ok = np.isfinite(ratio)
    r0 = np.where(ok, ratio, 0.0)
    s_k, n_k = _rolling_mean(r0, ok.astype(float), window_h)
    s_t, n_t_all = s_k.sum(axis=1), n_k.sum(axis=1)
    pooled_c = float(r0.sum() / max(ok.sum(), 1)) if ok.any() else 1.0
    calib = np.where(n_t_all > 0, s_t / np.maximum(n_t_all, 1), pooled_c)
    # honest coverage: each sensor judged with a calibration computed without it
    covered, held = 0, 0
    if ns >= 3:
        c_wo = (s_t[:, None] - s_k) / np.maximum(n_t_all[:, None] - n_k, 1)
        c_wo = np.where(n_t_all[:, None] - n_k > 0, c_wo, pooled_c)
        z = np.abs(errors) / np.sqrt(np.maximum(c_wo * model_var, 1e-12))
        covered, held = int((z[ok] <= Z90).sum()), int(ok.sum())
    return ErrorModel(
        hour_group=hg,
        nugget=nugget,
        psill=psill,
        range_m=rng,
        calibration=np.asarray(calib, dtype=np.float64),
        leverage_H=H,
        coverage_90=covered / held if held else np.nan,
        held_out=held,
    )


def _spacing(d: npt.NDArray[np.float64]) -> float:
    """Median distance (m) from each sensor to its nearest other sensor (0 with one sensor)."""
    if len(d) < 2:
        return 0.0
    dd = d.copy()
    np.fill_diagonal(dd, np.inf)
    return float(np.median(dd.min(axis=1)))


def cv_table(
    errors: dict[str, dict[str, npt.NDArray[np.float64]]],
    coverage: dict[str, dict[str, tuple[float, int]]] | None = None,
) -> pd.DataFrame:
    """
    Summary of leave-one-sensor-out errors: one row per group and variable.

    Parameters
    ----------
    errors
        Per group and variable, the ``(hours, sensors)`` held-out errors.
    coverage
        Per group and variable with a standard error, the share of held-out values inside
        their 90 % interval and the number of held-out values (:class:`ErrorModel`).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``variable``, ``rmse``, ``bias``, ``mae``, ``n`` (hour–sensor pairs),
        ``sensors``, ``coverage_90`` (NaN for variables without a standard error); plus rows
        with group ``"all"`` (coverage pooled over the groups, weighted by held-out values).
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
    table = pd.DataFrame(rows)
    cov = coverage or {}
    shares = []
    for row in table.itertuples():
        if row.group == "all":
            parts_c = [cov[g][row.variable] for g in cov if row.variable in cov[g]]
            held = sum(n for _, n in parts_c)
            covered = sum(c * n for c, n in parts_c if n)
            shares.append(covered / held if held else np.nan)
        else:
            shares.append(cov.get(str(row.group), {}).get(str(row.variable), (np.nan, 0))[0])
    table["coverage_90"] = np.asarray(shares, dtype=float)
    return table


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
