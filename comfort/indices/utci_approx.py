"""
UTCI from the official 6th-order polynomial approximation (UTCI_approx, version a 0.002,
October 2009; Bröde et al. 2012, Int J Biometeorol 56:481–494): the 210 published regression
coefficients, evaluated with a nested Horner scheme compiled by numba. Validity rules:
docs/INDICES.md, "UTCI".
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Literal, overload

import numba
import numpy as np
import numpy.typing as npt

from comfort.indices.vapour import _KELVIN, _hardy_ln_es

# Coefficients of UTCI_approx (a 0.002, Bröde 2009), in the published order: for Pa power p
# (0..6), D_Tmrt power d (0..6-p), va power v (0..6-p-d), Ta power t (0..6-p-d-v). The
# polynomial is UTCI = Ta + sum(c * Ta^t va^v D^d Pa^p), with Pa in kPa and D = Tmrt - Ta.
_UTCI_COEFFICIENTS = (
    # p=0 d=0
    6.07562052e-01, -2.27712343e-02, 8.06470249e-04, -1.54271372e-04,
    -3.24651735e-06, 7.32602852e-08, 1.35959073e-09,
    -2.25836520e00, 8.80326035e-02, 2.16844454e-03, -1.53347087e-05,
    -5.72983704e-07, -2.55090145e-09,
    -7.51269505e-01, -4.08350271e-03, -5.21670675e-05, 1.94544667e-06, 1.14099531e-08,
    1.58137256e-01, -6.57263143e-05, 2.22697524e-07, -4.16117031e-08,
    -1.27762753e-02, 9.66891875e-06, 2.52785852e-09,
    4.56306672e-04, -1.74202546e-07,
    -5.91491269e-06,
    # p=0 d=1
    3.98374029e-01, 1.83945314e-04, -1.73754510e-04, -7.60781159e-07,
    3.77830287e-08, 5.43079673e-10,
    -2.00518269e-02, 8.92859837e-04, 3.45433048e-06, -3.77925774e-07, -1.69699377e-09,
    1.69992415e-04, -4.99204314e-05, 2.47417178e-07, 1.07596466e-08,
    8.49242932e-05, 1.35191328e-06, -6.21531254e-09,
    -4.99410301e-06, -1.89489258e-08,
    8.15300114e-08,
    # p=0 d=2
    7.55043090e-04, -5.65095215e-05, -4.52166564e-07, 2.46688878e-08, 2.42674348e-10,
    1.54547250e-04, 5.24110970e-06, -8.75874982e-08, -1.50743064e-09,
    -1.56236307e-05, -1.33895614e-07, 2.49709824e-09,
    6.51711721e-07, 1.94960053e-09,
    -1.00361113e-08,
    # p=0 d=3
    -1.21206673e-05, -2.18203660e-07, 7.51269482e-09, 9.79063848e-11,
    1.25006734e-06, -1.81584736e-09, -3.52197671e-10,
    -3.36514630e-08, 1.35908359e-10,
    4.17032620e-10,
    # p=0 d=4
    -1.30369025e-09, 4.13908461e-10, 9.22652254e-12,
    -5.08220384e-09, -2.24730961e-11,
    1.17139133e-10,
    # p=0 d=5
    6.62154879e-10, 4.03863260e-13,
    1.95087203e-12,
    # p=0 d=6
    -4.73602469e-12,
    # p=1 d=0
    5.12733497e00, -3.12788561e-01, -1.96701861e-02, 9.99690870e-04,
    9.51738512e-06, -4.66426341e-07,
    5.48050612e-01, -3.30552823e-03, -1.64119440e-03, -5.16670694e-06, 9.52692432e-07,
    -4.29223622e-02, 5.00845667e-03, 1.00601257e-06, -1.81748644e-06,
    -1.25813502e-03, -1.79330391e-04, 2.34994441e-06,
    1.29735808e-04, 1.29064870e-06,
    -2.28558686e-06,
    # p=1 d=1
    -3.69476348e-02, 1.62325322e-03, -3.14279680e-05, 2.59835559e-06, -4.77136523e-08,
    8.64203390e-03, -6.87405181e-04, -9.13863872e-06, 5.15916806e-07,
    -3.59217476e-05, 3.28696511e-05, -7.10542454e-07,
    -1.24382300e-05, -7.38584400e-09,
    2.20609296e-07,
    # p=1 d=2
    -7.32469180e-04, -1.87381964e-05, 4.80925239e-06, -8.75492040e-08,
    2.77862930e-05, -5.06004592e-06, 1.14325367e-07,
    2.53016723e-06, -1.72857035e-08,
    -3.95079398e-08,
    # p=1 d=3
    -3.59413173e-07, 7.04388046e-07, -1.89309167e-08,
    -4.79768731e-07, 7.96079978e-09,
    1.62897058e-09,
    # p=1 d=4
    3.94367674e-08, -1.18566247e-09,
    3.34678041e-10,
    # p=1 d=5
    -1.15606447e-10,
    # p=2 d=0
    -2.80626406e00, 5.48712484e-01, -3.99428410e-03, -9.54009191e-04, 1.93090978e-05,
    -3.08806365e-01, 1.16952364e-02, 4.95271903e-04, -1.90710882e-05,
    2.10787756e-03, -6.98445738e-04, 2.30109073e-05,
    4.17856590e-04, -1.27043871e-05,
    -3.04620472e-06,
    # p=2 d=1
    5.14507424e-02, -4.32510997e-03, 8.99281156e-05, -7.14663943e-07,
    -2.66016305e-04, 2.63789586e-04, -7.01199003e-06,
    -1.06823306e-04, 3.61341136e-06,
    2.29748967e-07,
    # p=2 d=2
    3.04788893e-04, -6.42070836e-05, 1.16257971e-06,
    7.68023384e-06, -5.47446896e-07,
    -3.59937910e-08,
    # p=2 d=3
    -4.36497725e-06, 1.68737969e-07,
    2.67489271e-08,
    # p=2 d=4
    3.23926897e-09,
    # p=3 d=0
    -3.53874123e-02, -2.21201190e-01, 1.55126038e-02, -2.63917279e-04,
    4.53433455e-02, -4.32943862e-03, 1.45389826e-04,
    2.17508610e-04, -6.66724702e-05,
    3.33217140e-05,
    # p=3 d=1
    -2.26921615e-03, 3.80261982e-04, -5.45314314e-09,
    -7.96355448e-04, 2.53458034e-05,
    -6.31223658e-06,
    # p=3 d=2
    3.02122035e-04, -4.77403547e-06,
    1.73825715e-06,
    # p=3 d=3
    -4.09087898e-07,
    # p=4 d=0
    6.14155345e-01, -6.16755931e-02, 1.33374846e-03,
    3.55375387e-03, -5.13027851e-04,
    1.02449757e-04,
    # p=4 d=1
    -1.48526421e-03, -4.11469183e-05,
    -6.80434415e-06,
    # p=4 d=2
    -9.77675906e-06,
    # p=5 d=0
    8.82773108e-02, -3.01859306e-03,
    1.04452989e-03,
    # p=5 d=1
    2.47090539e-04,
    # p=6
    1.48348065e-03,
)  # fmt: skip


def _coefficient_array() -> npt.NDArray[np.float64]:
    """The coefficients as a dense (pa, d_tmrt, va, ta) array of shape (7, 7, 7, 7)."""
    c = np.zeros((7, 7, 7, 7), dtype=np.float64)
    it = iter(_UTCI_COEFFICIENTS)
    for p in range(7):
        for d in range(7 - p):
            for v in range(7 - p - d):
                for t in range(7 - p - d - v):
                    c[p, d, v, t] = next(it)
    if next(it, None) is not None:  # pragma: no cover - guards the table above
        raise AssertionError("UTCI coefficient table has more than 210 entries")
    return c


_UTCI_C = _coefficient_array()


class UTCIFlag(enum.IntFlag):
    """
    Bit flags returned by :func:`utci` with ``return_flags=True``.

    ``WIND_CLAMPED`` is informational (a value was still computed); every other flag means
    the returned UTCI is NaN. Limits are those of the reference program, inclusive.
    """

    OK = 0
    #: Wind below 0.5 m/s (indoor, sheltered) was raised to 0.5 m/s, the polynomial's floor.
    WIND_CLAMPED = 1
    #: Air temperature outside −50..+50 °C.
    AIR_TEMP_OUT = 2
    #: Tmrt − Ta outside −30..+70 °C.
    MRT_DELTA_OUT = 4
    #: Wind at 10 m above 17 m/s, or negative.
    WIND_OUT = 8
    #: Relative humidity outside 0..100 %, or water vapour pressure above 50 hPa.
    HUMIDITY_OUT = 16
    #: An input is NaN.
    MISSING = 32


#: Validity limits of the UTCI polynomial (inclusive), from the reference program.
UTCI_LIMITS = {
    "air_temp_c": (-50.0, 50.0),
    "mrt_minus_air_c": (-30.0, 70.0),
    "wind_speed_10m_m_s": (0.5, 17.0),
    "rel_humidity_pct": (0.0, 100.0),
    "vapour_pressure_hpa": (0.0, 50.0),
}


def _horner_expression() -> str:
    """
    The UTCI polynomial as one nested Horner expression in ``t``, ``v``, ``d``, ``q``.

    ``t`` air temperature (°C), ``v`` wind at 10 m (m/s), ``d`` Tmrt − Ta (°C), ``q`` water
    vapour pressure (kPa). Generated from :data:`_UTCI_COEFFICIENTS`, so the compiled kernel
    cannot drift from the published table; 209 multiply-adds per evaluation.
    """

    def in_t(p: int, k: int, j: int) -> str:
        n = 6 - p - k - j
        expr = repr(float(_UTCI_C[p, k, j, n]))
        for m in range(n - 1, -1, -1):
            expr = f"({expr}) * t + {float(_UTCI_C[p, k, j, m])!r}"
        return expr

    def in_v(p: int, k: int) -> str:
        n = 6 - p - k
        expr = in_t(p, k, n)
        for j in range(n - 1, -1, -1):
            expr = f"({expr}) * v + ({in_t(p, k, j)})"
        return expr

    def in_d(p: int) -> str:
        n = 6 - p
        expr = in_v(p, n)
        for k in range(n - 1, -1, -1):
            expr = f"({expr}) * d + ({in_v(p, k)})"
        return expr

    expr = in_d(6)
    for p in range(5, -1, -1):
        expr = f"({expr}) * q + ({in_d(p)})"
    return expr


_KERNEL_SOURCE = f"""
def _utci_kernel(ta, tr, va, rh, es_hpa, out, flags):
    for i in range(ta.shape[0]):
        t = ta[i]
        r = tr[i]
        v = va[i]
        h = rh[i]
        d = r - t
        q = es_hpa[i] * h * 0.001
        missing = (t != t) | (r != r) | (v != v) | (h != h)
        clamp = (v >= 0.0) & (v < 0.5)
        f = (
            missing * {int(UTCIFlag.MISSING)}
            + ((t < -50.0) | (t > 50.0)) * {int(UTCIFlag.AIR_TEMP_OUT)}
            + ((d < -30.0) | (d > 70.0)) * {int(UTCIFlag.MRT_DELTA_OUT)}
            + ((v < 0.0) | (v > 17.0)) * {int(UTCIFlag.WIND_OUT)}
            + clamp * {int(UTCIFlag.WIND_CLAMPED)}
            + ((h < 0.0) | (h > 100.0) | (q > 5.0)) * {int(UTCIFlag.HUMIDITY_OUT)}
        )
        v = 0.5 if clamp else v
        value = t + {_horner_expression()}
        out[i] = value if (f & {~int(UTCIFlag.WIND_CLAMPED) & 0xFF}) == 0 else np.nan
        flags[i] = f
"""


def _compile_kernel() -> Callable[..., None]:
    # The kernel is straight-line code (no loops over coefficients), so LLVM vectorises the
    # loop over elements (SIMD); "contract" allows fused multiply-adds. It is compiled lazily
    # on the first call (about 1 s) and cached on disk like the other kernels: the generated
    # code is compiled under this file's name, whose every change (coefficients, flags,
    # generator) invalidates numba's cache index (kept in this folder's __pycache__ or
    # NUMBA_CACHE_DIR), so each process loads the machine code instead of compiling it again.
    namespace: dict[str, Any] = {"__name__": __name__, "np": np}
    exec(compile(_KERNEL_SOURCE, __file__, "exec"), namespace)
    kernel: Callable[..., None] = numba.njit(nogil=True, fastmath={"contract"}, cache=True)(
        namespace["_utci_kernel"]
    )
    return kernel


_utci_kernel = _compile_kernel()


def _utci_core(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_m_s: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    ta, tr, va, rh = np.broadcast_arrays(
        np.asarray(air_temp_c, dtype=np.float64),
        np.asarray(mrt_c, dtype=np.float64),
        np.asarray(wind_speed_10m_m_s, dtype=np.float64),
        np.asarray(rel_humidity_pct, dtype=np.float64),
    )
    shape = ta.shape
    ta, tr, va, rh = (np.ascontiguousarray(x).reshape(-1) for x in (ta, tr, va, rh))
    # es(Ta) in three passes over one buffer: log (numpy SIMD), Hardy's polynomial (numba),
    # exp (numpy SIMD): about three times faster than plain numpy expressions.
    es_hpa = np.add(ta, _KELVIN)
    np.log(es_hpa, out=es_hpa)
    _hardy_ln_es(ta, es_hpa)
    np.exp(es_hpa, out=es_hpa)
    out = np.empty(ta.shape, dtype=np.float64)
    flags = np.empty(ta.shape, dtype=np.uint8)
    _utci_kernel(ta, tr, va, rh, es_hpa, out, flags)
    return out.reshape(shape), flags.reshape(shape)


@overload
def utci(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_m_s: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: Literal[False] = ...,
) -> npt.NDArray[np.float64]: ...


@overload
def utci(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_m_s: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: Literal[True],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]: ...


def utci(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_m_s: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    """
    Universal Thermal Climate Index (°C), official 6th-order polynomial, vectorised.

    Validity limits are :data:`UTCI_LIMITS`. Wind below 0.5 m/s (indoor and sheltered places) is
    **clamped to 0.5 m/s** and flagged ``WIND_CLAMPED``; any other input outside validity gives
    NaN and a :class:`UTCIFlag`, never an extrapolated value (docs/INDICES.md, "UTCI").

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    mrt_c
        Mean radiant temperature (°C).
    wind_speed_10m_m_s
        Wind speed 10 m above ground (m/s); see :func:`wind_speed_at_10m`.
    rel_humidity_pct
        Relative humidity (%).
    return_flags
        Also return the :class:`UTCIFlag` bit mask of every element.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        UTCI (°C), NaN where invalid; with ``return_flags`` also a ``uint8`` array of flags.

    Examples
    --------
    >>> float(utci(25.0, 25.0, 1.0, 50.0).round(1))
    24.6
    >>> u, f = utci([20.0, 60.0], 20.0, 0.1, 50.0, return_flags=True)
    >>> [round(float(x), 1) for x in u], [UTCIFlag(int(x)).name for x in f]
    ([19.8, nan], ['WIND_CLAMPED', 'WIND_CLAMPED|AIR_TEMP_OUT|MRT_DELTA_OUT|HUMIDITY_OUT'])
    """
    out, flags = _utci_core(air_temp_c, mrt_c, wind_speed_10m_m_s, rel_humidity_pct)
    if return_flags:
        return out, flags
    return out


def utci_valid(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_m_s: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
) -> npt.NDArray[np.bool_]:
    """
    Whether each input combination lies inside UTCI validity (wind clamping allowed).

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    mrt_c
        Mean radiant temperature (°C).
    wind_speed_10m_m_s
        Wind speed 10 m above ground (m/s).
    rel_humidity_pct
        Relative humidity (%).

    Returns
    -------
    numpy.ndarray of bool
        True where :func:`utci` returns a number.

    Examples
    --------
    >>> utci_valid([0.0, 0.0], [10.0, 80.0], 2.0, 50.0).tolist()
    [True, False]
    """
    _, flags = _utci_core(air_temp_c, mrt_c, wind_speed_10m_m_s, rel_humidity_pct)
    return np.asarray((flags & ~np.uint8(UTCIFlag.WIND_CLAMPED)) == 0, dtype=np.bool_)
