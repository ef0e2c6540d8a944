"""
The batched hourly ridge regression and the inverse-distance interpolation of its residuals
(docs/FIELD.md, "Model"): every hour solved at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt


def fit_hourly(
    design: npt.ArrayLike, values: npt.ArrayLike, ridge: float = 1.0
) -> npt.NDArray[np.float64]:
    """
    Ridge regression of every hour at once: one coefficient vector per hour.

    Solves, for each hour ``t``, ``(Xᵀ M_t X + λ P) β_t = Xᵀ M_t y_t`` where ``M_t`` masks the
    sensors without a reading at that hour and ``P`` is the identity except for the intercept
    (first column, not penalised). All hours are solved in one batched
    :func:`numpy.linalg.solve`. Hours without any reading get NaN coefficients.

    Parameters
    ----------
    design
        ``(sensors, p)`` design matrix, first column the intercept (ones), others standardised.
    values
        ``(hours, sensors)`` observations, NaN where missing.
    ridge
        Penalty λ on the non-intercept coefficients.

    Returns
    -------
    numpy.ndarray
        ``(hours, p)`` coefficients.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [-1.0, -1.0, 1.0, 1.0]])
    >>> y = np.array([[1.0, 1.0, 3.0, 3.0], [np.nan] * 4])
    >>> fit_hourly(X, y, ridge=0.0).round(3).tolist()
    [[2.0, 1.0], [nan, nan]]
    """
    X = np.asarray(design, dtype=float)
    return _solve(*_normal_equations(X, np.asarray(values, dtype=float)), ridge)


def _normal_equations(
    X: npt.NDArray[np.float64], Y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``Xᵀ M_t X`` (T, p, p), ``Xᵀ M_t y_t`` (T, p) and readings per hour, as two GEMMs."""
    mask = np.isfinite(Y)
    n_s, p = X.shape
    outer = (X[:, :, None] * X[:, None, :]).reshape(n_s, p * p)
    A = (mask.astype(float) @ outer).reshape(-1, p, p)
    b = np.where(mask, Y, 0.0) @ X
    return A, b, mask.sum(axis=1)


def _solve(
    A: npt.NDArray[np.float64], b: npt.NDArray[np.float64], n: npt.NDArray[np.int64], ridge: float
) -> npt.NDArray[np.float64]:
    p = A.shape[-1]
    pen = np.eye(p) * ridge
    pen[0, 0] = 0.0
    # a tiny penalty everywhere keeps hours with fewer sensors than coefficients solvable
    pen = pen + np.eye(p) * 1e-9
    # only hours with readings are solved (a year's field may have data in a few of them);
    # each hour's system is solved on its own, so the numbers are those of the whole batch
    beta = np.full(b.shape, np.nan)
    hours = np.flatnonzero(n != 0)
    beta[hours] = np.linalg.solve(A[hours] + pen[None], b[hours][:, :, None])[:, :, 0]
    return beta


def idw_weights(
    src_xy: npt.ArrayLike,
    dst_xy: npt.ArrayLike,
    power: float = 2.0,
    smoothing_m: float = 15.0,
    range_m: float = 300.0,
) -> tuple[npt.NDArray[np.float64], float]:
    """
    Inverse-distance weights from sources (sensors) to destinations (targets).

    ``w = (d² + s²)^(-power/2)`` with ``s = smoothing_m``; the weight of the virtual
    zero-residual sensor at ``range_m`` is returned separately.

    Returns
    -------
    (numpy.ndarray, float)
        ``(destinations, sources)`` weights and the background weight.

    Examples
    --------
    >>> w, w0 = idw_weights([[0.0, 0.0]], [[0.0, 0.0], [300.0, 0.0]], smoothing_m=0.0)
    >>> bool(np.isinf(w[0, 0])), float(w[1, 0]) == w0
    (True, True)
    """
    src = np.asarray(src_xy, dtype=float).reshape(-1, 2)
    dst = np.asarray(dst_xy, dtype=float).reshape(-1, 2)
    d2 = ((dst[:, None, :] - src[None, :, :]) ** 2).sum(axis=-1) + smoothing_m**2
    with np.errstate(divide="ignore"):
        w = d2 ** (-power / 2)
    w0 = float((range_m**2 + smoothing_m**2) ** (-power / 2))
    return w, w0


def interpolate_residuals(
    residuals: npt.ArrayLike, weights: npt.ArrayLike, background_weight: float
) -> npt.NDArray[np.float64]:
    """
    Residuals at targets: inverse-distance mean of the sensor residuals present at each hour,
    shrunk towards zero by the background weight.

    Parameters
    ----------
    residuals
        ``(hours, sensors)``, NaN where a sensor has no reading.
    weights
        ``(targets, sensors)`` from :func:`idw_weights` (infinite weights are capped).
    background_weight
        Weight of the zero residual.

    Returns
    -------
    numpy.ndarray
        ``(hours, targets)``.
    """
    R = np.asarray(residuals, dtype=float)
    W = np.minimum(np.asarray(weights, dtype=float), 1e12)
    mask = np.isfinite(R)
    num = np.where(mask, R, 0.0) @ W.T
    den = mask.astype(float) @ W.T + background_weight
    return num / den


@dataclass
class _Group:
    name: str
    sensor_idx: npt.NDArray[np.intp]
    target_idx: npt.NDArray[np.intp]
    design_s: npt.NDArray[np.float64]
    design_t: npt.NDArray[np.float64]
    covariates: list[str]
    weights: npt.NDArray[np.float64]
    background: float
    nearest_m: npt.NDArray[np.float64]
    beta: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    resid: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    #: per SE variable: the error model (comfort.field.uncertainty.ErrorModel)
    error_model: dict[str, Any] = field(default_factory=dict)
    #: per SE variable: (hour groups, targets) unexplained share at each group's range
    share: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    #: (targets, p) trend offsets u = x0 − Σ λ_i x_i of the targets
    offsets: npt.NDArray[np.float64] | None = None


def _design(
    sensor_cov: npt.NDArray[np.float64], target_cov: npt.NDArray[np.float64], names: Sequence[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]:
    """Standardise covariates on the sensors; drop those constant across the sensors."""
    mu = sensor_cov.mean(axis=0) if len(sensor_cov) else np.zeros(len(names))
    sd = sensor_cov.std(axis=0) if len(sensor_cov) else np.zeros(len(names))
    keep = sd > 1e-9
    zs = (sensor_cov[:, keep] - mu[keep]) / sd[keep]
    zt = (target_cov[:, keep] - mu[keep]) / sd[keep]
    Xs = np.column_stack([np.ones(len(zs)), zs])
    Xt = np.column_stack([np.ones(len(zt)), zt])
    return Xs, Xt, [n for n, k in zip(names, keep, strict=True) if k]


def _nearest_other(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1) if len(xy) > 1 else np.full(len(xy), np.nan)


def _predict_group(
    g: _Group,
    var: str,
    t0: int,
    t1: int,
    clip: tuple[float, float] | None,
    cache: dict[str, Any] | None = None,
) -> npt.NDArray[np.float64]:
    """
    The field of one variable at the group's targets for hours ``t0:t1``.

    ``cache`` (one dict per group and block of hours, shared by the variables) keeps the capped
    weights and the weight sums of a missing-reading pattern already seen: variables read
    together share them (same numbers as :func:`interpolate_residuals`, computed once).
    """
    trend = g.beta[var][t0:t1] @ g.design_t.T
    if cache is None:
        res = interpolate_residuals(g.resid[var][t0:t1], g.weights, g.background)
    else:
        if "W" not in cache:
            cache["W"] = np.minimum(np.asarray(g.weights, dtype=float), 1e12)
            cache["dens"] = []
        R = g.resid[var][t0:t1]
        W = cache["W"]
        mask = np.isfinite(R)
        num = np.where(mask, R, 0.0) @ W.T
        den = next((d for m, d in cache["dens"] if np.array_equal(m, mask)), None)
        if den is None:
            den = mask.astype(float) @ W.T + g.background
            cache["dens"].append((mask, den))
        res = num
        res /= den
    out = trend
    out += res
    if clip is not None:  # np.clip's numbers (NaN kept), without its temporaries
        lo, hi = clip
        np.maximum(out, lo, out=out)
        if hi != np.inf:
            np.minimum(out, hi, out=out)
    return out


_CLIP: dict[str, tuple[float, float] | None] = {
    "air_temp_c": None,
    "mrt_c": None,
    "wind_speed_m_s": (0.0, np.inf),
    "rel_humidity_pct": (0.0, 100.0),
}
