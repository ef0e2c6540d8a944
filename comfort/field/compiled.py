"""
Compiled twins of the outdoor WBGT formulas of :mod:`comfort.indices`, for every field cell.

The field evaluates WBGT on every target and hour (a city: 10⁹ cells). The numpy functions
:func:`comfort.indices.globe_temperature` (a vectorised safeguarded Newton inverse of the globe
heat balance) and :func:`comfort.indices.wbgt_outdoor` (Stull's wet bulb, Bernard's natural wet
bulb) spend most of their time on temporaries; :func:`wbgt_from_mrt` does the same arithmetic in
one compiled loop, operation for operation, and gives the same numbers bit for bit
(tests/comfort/test_field_compiled.py checks it against the numpy functions). Change the
formulas in :mod:`comfort.indices` and here together.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from comfort.indices import radiation

_KELVIN = radiation._KELVIN
_FORCED = radiation._FORCED
_NATURAL = radiation._NATURAL

#: Newton iterations of the globe inverse at most (as comfort.indices.globe_temperature).
_MAX_ITER = 100


@numba.njit(nogil=True, cache=True)
def _globe_k(
    tr: npt.NDArray[np.float64],
    ta: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    d: float,
    eps_sigma: float,
    out_k: npt.NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    """Globe temperature (K) of every element, the iteration of globe_temperature exactly."""
    n = tr.shape[0]
    lo = np.empty(n)
    hi = np.empty(n)
    ta_k = np.empty(n)
    target = np.empty(n)
    forced = np.empty(n)
    active = np.ones(n, dtype=np.bool_)
    bad = np.zeros(n, dtype=np.bool_)
    d04 = d**0.4
    for i in range(n):
        bad[i] = not (
            math.isfinite(tr[i]) and math.isfinite(ta[i]) and math.isfinite(v[i]) and v[i] >= 0
        )
        a = (20.0 if bad[i] else ta[i]) + _KELVIN
        r = (20.0 if bad[i] else tr[i]) + _KELVIN
        vi = 1.0 if bad[i] else v[i]
        ta_k[i] = a
        target[i] = r**4.0
        forced[i] = _FORCED * vi**0.6 / d04
        lo[i] = min(a, r)
        hi[i] = max(a, r)
        out_k[i] = 0.5 * (lo[i] + hi[i])
    # every element takes the same number of iterations as in the vectorised loop (it stops
    # when all have converged at once); an element at a converged fixed point stays there
    for _ in range(_MAX_ITER):
        all_converged = True
        for i in range(n):
            if not active[i]:
                continue
            x = out_k[i]
            dt = x - ta_k[i]
            natural = _NATURAL * (abs(dt) / d) ** 0.25
            if natural > forced[i]:
                h = natural
                dh = 1.25 * h
            else:
                h = forced[i]
                dh = h
            f = x**4.0 + h * dt / eps_sigma - target[i]
            df = 4.0 * x**3.0 + dh / eps_sigma
            if f < 0:
                lo[i] = x
            if f > 0:
                hi[i] = x
            step = f / df
            newton = x - step
            converged = abs(step) <= 1e-9
            if converged:
                if newton == x:
                    active[i] = False
                out_k[i] = newton
            else:
                all_converged = False
                if newton >= lo[i] and newton <= hi[i]:
                    out_k[i] = newton
                else:
                    out_k[i] = 0.5 * (lo[i] + hi[i])
        if all_converged:
            break
    for i in range(n):
        if bad[i]:
            out_k[i] = math.nan


@numba.njit(nogil=True, cache=True)
def _wbgt_k(
    ta: npt.NDArray[np.float64],
    tg_k: npt.NDArray[np.float64],
    rh: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    out: npt.NDArray[np.float32],
) -> None:  # pragma: no cover - compiled
    """Outdoor WBGT (°C) from air, globe (K), humidity and wind, as wbgt_outdoor."""
    for i in range(ta.shape[0]):
        t = ta[i]
        r = rh[i]
        tg = tg_k[i] - _KELVIN
        vi = v[i]
        tw = (
            t * math.atan(0.151977 * math.sqrt(abs(r + 8.313659)))
            + math.atan(t + r)
            - math.atan(r - 1.676331)
            + 0.00391838 * abs(r) ** 1.5 * math.atan(0.023101 * r)
            - 4.686035
        )
        if not ((r >= 5.0) and (r <= 99.0) and (t >= -20.0) and (t <= 50.0)):
            tw = math.nan
        if vi < 0.03:
            c = 0.85
        elif vi > 3.0:
            c = 1.0
        else:
            c = 0.96 + 0.069 * math.log10(vi)
        if vi < 0.1:
            e = 1.1
        elif vi > 1.0:
            e = -0.1
        else:
            e = 0.1 / vi**1.1 - 0.2
        if tg - t < 4.0:
            tnwb = t - c * (t - tw)
        else:
            tnwb = tw + 0.25 * (tg - t) + e
        if not vi >= 0:
            tnwb = math.nan
        out[i] = 0.7 * tnwb + 0.2 * tg + 0.1 * t


def wbgt_from_mrt(
    air_temp_c: npt.NDArray[np.float64],
    mrt_c: npt.NDArray[np.float64],
    rel_humidity_pct: npt.NDArray[np.float64],
    wind_speed_m_s: npt.NDArray[np.float64],
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> npt.NDArray[np.float32]:
    """
    Outdoor WBGT (°C, float32) with the globe temperature obtained from MRT, all inputs finite.

    The same numbers as ``wbgt_outdoor(a, globe_temperature(mrt, a, v, d), rh, v)`` of
    :mod:`comfort.indices` on the same 1-D arrays, cast to float32.

    Parameters
    ----------
    air_temp_c, mrt_c
        Air and mean radiant temperature (°C), 1-D.
    rel_humidity_pct
        Relative humidity (%).
    wind_speed_m_s
        Air speed at the globe and wet bulb (m/s).
    globe_diameter_m, globe_emissivity
        The globe (m; emissivity 0..1).

    Returns
    -------
    numpy.ndarray
        WBGT (°C); NaN outside the validity of Stull's wet bulb.

    Examples
    --------
    >>> wbgt = wbgt_from_mrt(np.array([30.0]), np.array([65.0]), np.array([50.0]), np.array([0.0]))
    >>> round(float(wbgt[0]), 2)  # calm air, 50 % RH: globe 51.6 °C
    33.49
    """
    radiation._check_globe(globe_diameter_m, globe_emissivity)
    ta = np.ascontiguousarray(air_temp_c, dtype=np.float64).ravel()
    tr = np.ascontiguousarray(mrt_c, dtype=np.float64).ravel()
    rh = np.ascontiguousarray(rel_humidity_pct, dtype=np.float64).ravel()
    v = np.ascontiguousarray(wind_speed_m_s, dtype=np.float64).ravel()
    tg_k = np.empty(ta.shape[0])
    _globe_k(tr, ta, v, float(globe_diameter_m), globe_emissivity * radiation.STEFAN_BOLTZMANN,
             tg_k)  # fmt: skip
    out = np.empty(ta.shape[0], dtype=np.float32)
    _wbgt_k(ta, tg_k, rh, v, out)
    return out
