"""
Thermal indices: mean radiant temperature, UTCI and its stress categories, comfort score,
wind chill and outdoor WBGT.

Every function is vectorised over numpy arrays (inputs broadcast against each other) and
returns float64 arrays. Inputs outside a model's validity give NaN plus a flag, never a silently
extrapolated value; see ``docs/INDICES.md`` for the rules and the references.

UTCI uses the official 6th-order polynomial approximation (UTCI_approx, version a 0.002,
October 2009; Bröde et al. 2012, Int J Biometeorol 56:481–494). The 210 regression
coefficients below are that published data, evaluated here with a nested Horner scheme
compiled by numba.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

import numba
import numpy as np
import numpy.typing as npt

from comfort.errors import InputRangeError

__all__ = [
    "UTCI_CATEGORIES",
    "UTCICategory",
    "UTCIFlag",
    "comfort_score",
    "discomfort_score",
    "globe_temperature",
    "in_neutral_band",
    "mean_radiant_temperature",
    "mrt_plausible",
    "natural_wet_bulb",
    "saturation_vapour_pressure_hpa",
    "utci",
    "utci_category",
    "utci_valid",
    "wbgt_outdoor",
    "wet_bulb_stull",
    "wind_chill",
    "wind_speed_at_10m",
]

_KELVIN = 273.15

# --------------------------------------------------------------------------------------------
# Mean radiant temperature from a globe thermometer (ISO 7726:1998, forced convection)
# --------------------------------------------------------------------------------------------

#: ISO 7726 forced-convection constant: h_cg = 6.3 v^0.6 / D^0.4, divided by sigma = 5.67e-8.
_ISO7726_FORCED = 1.1e8


def _globe_coefficient(
    wind_speed_ms: npt.NDArray[np.float64], globe_diameter_m: float, globe_emissivity: float
) -> npt.NDArray[np.float64]:
    if not globe_diameter_m > 0:
        raise InputRangeError(
            f"globe_diameter_m must be > 0 m; got {globe_diameter_m}. "
            "Pass the globe diameter in metres (0.15 for the standard globe)."
        )
    if not 0 < globe_emissivity <= 1:
        raise InputRangeError(
            f"globe_emissivity must be in (0, 1]; got {globe_emissivity}. "
            "Use the emissivity of the globe paint (0.95 for a matt black globe)."
        )
    wind = np.where(wind_speed_ms >= 0, wind_speed_ms, np.nan)
    return _ISO7726_FORCED * wind**0.6 / (globe_emissivity * globe_diameter_m**0.4)


def mean_radiant_temperature(
    globe_temp_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_ms: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> npt.NDArray[np.float64]:
    """
    Mean radiant temperature from a globe thermometer (ISO 7726, forced convection).

    ``Tmrt = [(Tg + 273.15)^4 + 1.1e8 v^0.6 / (eps D^0.4) (Tg - Ta)]^(1/4) - 273.15``
    (ISO 7726:1998, Annex B, eq. B.4). Forced convection is the right regime outdoors and in
    ventilated walkways (air speed above about 0.15 m/s at the globe).

    Parameters
    ----------
    globe_temp_c
        Black-globe temperature (°C).
    air_temp_c
        Air temperature (°C).
    wind_speed_ms
        Air speed at the globe (m/s), non-negative; negative values give NaN.
    globe_diameter_m
        Globe diameter (m); 0.15 for the standard globe.
    globe_emissivity
        Emissivity of the globe surface.

    Returns
    -------
    numpy.ndarray
        Mean radiant temperature (°C). NaN where the bracket is negative (a globe far colder
        than the air in strong wind: physically impossible, a sensor fault) or an input is NaN.

    Raises
    ------
    InputRangeError
        ``globe_diameter_m`` is not positive or ``globe_emissivity`` is not in (0, 1].

    Examples
    --------
    >>> float(mean_radiant_temperature(30.0, 25.0, 1.0).round(2))
    40.53
    >>> float(mean_radiant_temperature(20.0, 20.0, 3.0)[()])
    20.0
    """
    tg = np.asarray(globe_temp_c, dtype=np.float64)
    ta = np.asarray(air_temp_c, dtype=np.float64)
    v = np.asarray(wind_speed_ms, dtype=np.float64)
    k = _globe_coefficient(v, globe_diameter_m, globe_emissivity)
    bracket = (tg + _KELVIN) ** 4 + k * (tg - ta)
    with np.errstate(invalid="ignore"):
        out = np.where(bracket > 0, np.abs(bracket) ** 0.25, np.nan) - _KELVIN
    return np.asarray(out, dtype=np.float64)


def globe_temperature(
    mrt_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_ms: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> npt.NDArray[np.float64]:
    """
    Globe temperature that a globe thermometer would read for a given MRT (inverse of ISO 7726).

    Solves ``(Tg + 273.15)^4 + K (Tg - Ta) = (Tmrt + 273.15)^4`` for ``Tg`` by Newton's
    method, vectorised. The left side is increasing and convex in ``Tg``, and the iteration
    starts at ``max(Tmrt, Ta)``, right of the root, so it converges monotonically.

    Parameters
    ----------
    mrt_c
        Mean radiant temperature (°C).
    air_temp_c
        Air temperature (°C).
    wind_speed_ms
        Air speed at the globe (m/s), non-negative.
    globe_diameter_m
        Globe diameter (m).
    globe_emissivity
        Emissivity of the globe surface.

    Returns
    -------
    numpy.ndarray
        Globe temperature (°C), between air temperature and MRT; NaN where an input is NaN.

    Raises
    ------
    InputRangeError
        Bad globe diameter or emissivity.

    Examples
    --------
    >>> float(globe_temperature(40.53, 25.0, 1.0).round(1))
    30.0
    """
    tr = np.asarray(mrt_c, dtype=np.float64)
    ta = np.asarray(air_temp_c, dtype=np.float64)
    v = np.asarray(wind_speed_ms, dtype=np.float64)
    k = _globe_coefficient(v, globe_diameter_m, globe_emissivity)
    tr, ta, k = np.broadcast_arrays(tr, ta, k)
    target = (tr + _KELVIN) ** 4
    x = np.maximum(tr, ta) + _KELVIN  # globe temperature in K
    ta_k = ta + _KELVIN
    for _ in range(60):
        f = x**4 + k * (x - ta_k) - target
        step = f / (4.0 * x**3 + k)
        x = x - step
        if not np.any(np.abs(step) > 1e-10):
            break
    return np.asarray(x - _KELVIN, dtype=np.float64)


def mrt_plausible(
    globe_temp_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_ms: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
    sensor_error_c: float = 0.3,
    max_mrt_error_c: float = 5.0,
    max_below_air_c: float = 15.0,
) -> npt.NDArray[np.bool_]:
    """
    Flag globe-derived MRT that cannot be trusted (the winter pitfall of globe thermometers).

    In cold air and strong wind the convective term of ISO 7726 dominates: MRT amplifies any
    error in the globe–air difference by ``K / (4 Tmrt^3)`` (K as in
    :func:`mean_radiant_temperature`, Tmrt in kelvin), which grows as the air gets colder and
    the wind stronger. A reading is **implausible** when any of these holds:

    1. the MRT error caused by a globe–air difference error of ``sensor_error_c`` exceeds
       ``max_mrt_error_c`` (sensitivity rule);
    2. MRT lies more than ``max_below_air_c`` below the air temperature (a clear night sky
       lowers MRT by at most about 10 °C below air temperature; lower values come from a wet
       or iced globe, or a globe that has not reached equilibrium);
    3. MRT cannot be computed (NaN).

    Parameters
    ----------
    globe_temp_c
        Black-globe temperature (°C).
    air_temp_c
        Air temperature (°C).
    wind_speed_ms
        Air speed at the globe (m/s).
    globe_diameter_m
        Globe diameter (m).
    globe_emissivity
        Emissivity of the globe surface.
    sensor_error_c
        Uncertainty of the globe–air temperature difference (°C); 0.3 °C is typical of two
        Class A sensors.
    max_mrt_error_c
        Largest acceptable MRT error (°C); ISO 7726 asks ±5 °C for MRT in the
        "required" class of heat-stress measurement.
    max_below_air_c
        Largest plausible depression of MRT below air temperature (°C).

    Returns
    -------
    numpy.ndarray of bool
        True where the MRT is plausible.

    Examples
    --------
    >>> mrt_plausible([-5.0, -5.0], [-4.0, -4.0], [0.5, 12.0]).tolist()
    [True, False]
    """
    tg = np.asarray(globe_temp_c, dtype=np.float64)
    ta = np.asarray(air_temp_c, dtype=np.float64)
    v = np.asarray(wind_speed_ms, dtype=np.float64)
    mrt = mean_radiant_temperature(tg, ta, v, globe_diameter_m, globe_emissivity)
    k = _globe_coefficient(v, globe_diameter_m, globe_emissivity)
    with np.errstate(invalid="ignore"):
        sensitivity = k / (4.0 * (mrt + _KELVIN) ** 3)
        ok = (sensitivity * sensor_error_c <= max_mrt_error_c) & (mrt >= ta - max_below_air_c)
    return np.asarray(ok & np.isfinite(mrt), dtype=np.bool_)


def wind_speed_at_10m(
    wind_speed_ms: npt.ArrayLike, height_m: float, roughness_m: float = 0.01
) -> npt.NDArray[np.float64]:
    """
    Wind speed at 10 m from a reading at ``height_m`` with the neutral logarithmic profile.

    ``v10 = v_h ln(10 / z0) / ln(h / z0)``. The default roughness length ``z0 = 0.01 m`` is
    the one the UTCI reference conditions use to relate 10 m wind to wind at body height
    (Bröde et al. 2012; the factor 10 m / 1.1 m is then about 1.47). Street-canyon sensors
    are exposed to the local wind, so keep z0 = 0.01 m to reproduce the UTCI convention
    rather than the much larger aerodynamic roughness of the city.

    Parameters
    ----------
    wind_speed_ms
        Wind speed at the sensor (m/s).
    height_m
        Sensor height above ground (m), greater than ``roughness_m``.
    roughness_m
        Roughness length z0 (m).

    Returns
    -------
    numpy.ndarray
        Wind speed at 10 m (m/s).

    Raises
    ------
    InputRangeError
        ``height_m`` or ``roughness_m`` is not positive, or ``height_m <= roughness_m``.

    Examples
    --------
    >>> float(wind_speed_at_10m(1.0, 1.1).round(2))
    1.47
    >>> float(wind_speed_at_10m(2.0, 10.0)[()])
    2.0
    """
    if not (roughness_m > 0 and height_m > roughness_m):
        raise InputRangeError(
            f"wind_speed_at_10m needs 0 < roughness_m < height_m; got height_m={height_m} m, "
            f"roughness_m={roughness_m} m. Give the sensor height above ground in metres."
        )
    v = np.asarray(wind_speed_ms, dtype=np.float64)
    factor = np.log(10.0 / roughness_m) / np.log(height_m / roughness_m)
    return np.asarray(v * factor, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# UTCI
# --------------------------------------------------------------------------------------------

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
    "wind_speed_10m_ms": (0.5, 17.0),
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
    # on the first call (about 1 s) and not cached on disk: a numba cache of generated code
    # is tied to the importing module's name and breaks when that differs between runs.
    namespace: dict[str, Any] = {"__name__": __name__, "np": np}
    exec(compile(_KERNEL_SOURCE, f"<utci kernel generated in {__name__}>", "exec"), namespace)
    kernel: Callable[..., None] = numba.njit(nogil=True, fastmath={"contract"})(
        namespace["_utci_kernel"]
    )
    return kernel


_utci_kernel = _compile_kernel()


#: Hardy (1998) ITS-90 coefficients g0..g7 of ln(es / Pa) over water.
_HARDY_G = (
    -2.8365744e3,
    -6.028076559e3,
    1.954263612e1,
    -2.737830188e-2,
    1.6261698e-5,
    7.0229056e-10,
    -1.8680009e-13,
    2.7150305,
)


@numba.njit(nogil=True, fastmath={"contract"})
def _hardy_ln_es(ta: npt.NDArray[np.float64], buf: npt.NDArray[np.float64]) -> None:
    """Turn ``buf = ln(Ta + 273.15)`` into ``ln(es / hPa)`` in place (Hardy ITS-90)."""
    g0, g1, g2, g3, g4, g5, g6, g7 = _HARDY_G
    for i in range(ta.shape[0]):
        tk = ta[i] + 273.15
        buf[i] = (
            (g0 / tk + g1) / tk
            + g2
            + tk * (g3 + tk * (g4 + tk * (g5 + tk * g6)))
            + g7 * buf[i]
            - 4.605170185988091  # ln(100): Pa to hPa
        )


def saturation_vapour_pressure_hpa(air_temp_c: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Saturation vapour pressure over water (hPa), Hardy's ITS-90 formulation.

    The formulation the UTCI reference program uses (Hardy 1998, valid −100..100 °C).

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).

    Returns
    -------
    numpy.ndarray
        Saturation vapour pressure (hPa).

    Examples
    --------
    >>> float(saturation_vapour_pressure_hpa(20.0).round(2))
    23.39
    """
    temp_c = np.asarray(air_temp_c, dtype=np.float64)
    tk = temp_c.reshape(-1) + _KELVIN
    g = _HARDY_G
    # ln es = sum of g_i tk^(i-2) (i = 0..6) + g7 ln tk, with multiplications in place
    # (powers and temporaries would cost more than the UTCI polynomial itself)
    ln_es = tk * g[6]
    for gi in (g[5], g[4], g[3]):
        ln_es += gi
        ln_es *= tk
    low = g[0] / tk
    low += g[1]
    low /= tk
    ln_es += low
    ln_es += g[2]
    log_tk = np.log(tk)
    log_tk *= g[7]
    ln_es += log_tk
    es = np.exp(ln_es, out=ln_es)
    es *= 0.01
    return np.asarray(es.reshape(temp_c.shape), dtype=np.float64)


def _utci_core(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_ms: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    ta, tr, va, rh = np.broadcast_arrays(
        np.asarray(air_temp_c, dtype=np.float64),
        np.asarray(mrt_c, dtype=np.float64),
        np.asarray(wind_speed_10m_ms, dtype=np.float64),
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
    wind_speed_10m_ms: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: Literal[False] = ...,
) -> npt.NDArray[np.float64]: ...


@overload
def utci(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_ms: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: Literal[True],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]: ...


def utci(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_ms: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    return_flags: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    """
    Universal Thermal Climate Index (°C), official 6th-order polynomial, vectorised.

    Validity (inclusive, the reference program's limits): air temperature −50..+50 °C,
    Tmrt − Ta −30..+70 °C, wind at 10 m 0.5..17 m/s, relative humidity 0..100 % with water
    vapour pressure at most 50 hPa. Humidity enters as vapour pressure
    ``e = RH/100 × es(Ta)`` (Hardy ITS-90 saturation pressure over water, also below 0 °C,
    as in the reference program). Wind below 0.5 m/s (indoor and sheltered places) is
    **clamped to 0.5 m/s** and flagged ``WIND_CLAMPED``; any other input outside validity
    gives NaN and a flag, never an extrapolated value.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    mrt_c
        Mean radiant temperature (°C).
    wind_speed_10m_ms
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
    out, flags = _utci_core(air_temp_c, mrt_c, wind_speed_10m_ms, rel_humidity_pct)
    if return_flags:
        return out, flags
    return out


def utci_valid(
    air_temp_c: npt.ArrayLike,
    mrt_c: npt.ArrayLike,
    wind_speed_10m_ms: npt.ArrayLike,
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
    wind_speed_10m_ms
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
    _, flags = _utci_core(air_temp_c, mrt_c, wind_speed_10m_ms, rel_humidity_pct)
    return np.asarray((flags & ~np.uint8(UTCIFlag.WIND_CLAMPED)) == 0, dtype=np.bool_)


# --------------------------------------------------------------------------------------------
# Stress categories and the comfort score
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UTCICategory:
    """One UTCI stress category: code, bounds (°C, ``lower < UTCI <= upper``), labels, colour."""

    code: int
    key: str
    name_en: str
    name_ja: str
    lower_c: float
    upper_c: float
    colour: str


#: The 10 UTCI assessment categories (Bröde et al. 2012), coldest first. A category holds
#: ``lower_c < UTCI <= upper_c``: the upper bound is inclusive, as in pythermalcomfort, so
#: 26.0 is "no thermal stress" and 9.0 is "slight cold stress". Colours follow the usual UTCI
#: chart (blues for cold, green for neutral, yellow-to-dark-red for heat).
UTCI_CATEGORIES: tuple[UTCICategory, ...] = (
    UTCICategory(0, "extreme_cold", "extreme cold stress", "極度の寒冷ストレス",
                 -np.inf, -40.0, "#08306b"),
    UTCICategory(1, "very_strong_cold", "very strong cold stress", "非常に強い寒冷ストレス",
                 -40.0, -27.0, "#08519c"),
    UTCICategory(2, "strong_cold", "strong cold stress", "強い寒冷ストレス",
                 -27.0, -13.0, "#2171b5"),
    UTCICategory(3, "moderate_cold", "moderate cold stress", "中程度の寒冷ストレス",
                 -13.0, 0.0, "#4292c6"),
    UTCICategory(4, "slight_cold", "slight cold stress", "弱い寒冷ストレス",
                 0.0, 9.0, "#9ecae1"),
    UTCICategory(5, "no_stress", "no thermal stress", "熱ストレスなし",
                 9.0, 26.0, "#41ab5d"),
    UTCICategory(6, "moderate_heat", "moderate heat stress", "中程度の暑熱ストレス",
                 26.0, 32.0, "#fed976"),
    UTCICategory(7, "strong_heat", "strong heat stress", "強い暑熱ストレス",
                 32.0, 38.0, "#fd8d3c"),
    UTCICategory(8, "very_strong_heat", "very strong heat stress", "非常に強い暑熱ストレス",
                 38.0, 46.0, "#e31a1c"),
    UTCICategory(9, "extreme_heat", "extreme heat stress", "極度の暑熱ストレス",
                 46.0, np.inf, "#800026"),
)  # fmt: skip

#: Code of "no thermal stress".
NO_STRESS_CODE = 5
#: Category code given to NaN UTCI.
MISSING_CODE = -1
_UPPER_EDGES = np.array([c.upper_c for c in UTCI_CATEGORIES[:-1]])


def utci_category(utci_c: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """
    UTCI stress category code (0 extreme cold … 5 no thermal stress … 9 extreme heat).

    Upper bounds are inclusive (``lower < UTCI <= upper``); see :data:`UTCI_CATEGORIES` for
    labels and colours. NaN gives ``-1``.

    Parameters
    ----------
    utci_c
        UTCI (°C).

    Returns
    -------
    numpy.ndarray of int8
        Category codes.

    Examples
    --------
    >>> utci_category([-45.0, -40.0, 9.0, 9.01, 26.0, 26.01, 50.0, float("nan")]).tolist()
    [0, 0, 4, 5, 5, 6, 9, -1]
    """
    u = np.asarray(utci_c, dtype=np.float64)
    codes = np.searchsorted(_UPPER_EDGES, u, side="left").astype(np.int8)
    return np.asarray(np.where(np.isnan(u), MISSING_CODE, codes), dtype=np.int8)


#: UTCI band of "no thermal stress" (°C), the textbook comfort band (Bröde et al. 2012).
TEXTBOOK_BAND_C: tuple[float, float] = (9.0, 26.0)


def in_neutral_band(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.bool_]:
    """
    Whether UTCI lies in the neutral band ``lower < UTCI <= upper`` ("no thermal stress").

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the band (°C); the textbook 9–26 °C or a locally calibrated band.

    Returns
    -------
    numpy.ndarray of bool
        False for NaN.

    Examples
    --------
    >>> in_neutral_band([9.0, 9.5, 26.0, 26.5]).tolist()
    [False, True, True, False]
    """
    lo, hi = neutral_band_c
    u = np.asarray(utci_c, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray((u > lo) & (u <= hi), dtype=np.bool_)


# Nodes of the comfort mapping relative to the textbook band: (UTCI °C, score).
_COLD_NODES = ((-50.0, 0.0), (-40.0, 0.2), (-27.0, 0.4), (-13.0, 0.6), (0.0, 0.8), (9.0, 1.0))
_HEAT_NODES = ((26.0, 1.0), (32.0, 0.6), (38.0, 0.4), (46.0, 0.2), (56.0, 0.0))


def comfort_score(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.float64]:
    """
    Comfort score in 0..1 from UTCI: 1 in the neutral band, lower with each stress category.

    Piecewise linear between these nodes (UTCI °C → score), which sit on the category bounds:
    cold side −50 → 0, −40 → 0.2 (end of very strong cold), −27 → 0.4, −13 → 0.6,
    0 → 0.8 (end of moderate cold), 9 → 1; heat side 26 → 1, 32 → 0.6 (end of moderate
    heat), 38 → 0.4, 46 → 0.2, 56 → 0. Beyond the end nodes the score is 0. A category of
    a given severity ends at the same score on both sides (moderate → 0.6, strong → 0.4,
    very strong → 0.2); slight cold stress, which has no heat counterpart, spans 1 → 0.8.
    With a locally calibrated ``neutral_band_c`` the cold nodes shift by ``lower − 9`` and the
    heat nodes by ``upper − 26``.

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the neutral band (°C).

    Returns
    -------
    numpy.ndarray
        Score in [0, 1]; NaN where UTCI is NaN.

    Examples
    --------
    >>> comfort_score([-60.0, 0.0, 15.0, 29.0, 60.0]).round(2).tolist()
    [0.0, 0.8, 1.0, 0.8, 0.0]
    """
    lo, hi = neutral_band_c
    if not lo < hi:
        raise InputRangeError(
            f"neutral_band_c must be (lower, upper) with lower < upper; got {neutral_band_c}."
        )
    xs = [x + (lo - 9.0) for x, _ in _COLD_NODES] + [x + (hi - 26.0) for x, _ in _HEAT_NODES]
    ys = [y for _, y in _COLD_NODES] + [y for _, y in _HEAT_NODES]
    u = np.asarray(utci_c, dtype=np.float64)
    score = np.interp(u, xs, ys, left=0.0, right=0.0)
    return np.asarray(np.where(np.isnan(u), np.nan, score), dtype=np.float64)


def discomfort_score(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.float64]:
    """
    Discomfort ``1 − comfort_score`` (0 in the neutral band, 1 in extreme stress).

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the neutral band (°C).

    Returns
    -------
    numpy.ndarray
        Discomfort in [0, 1].

    Examples
    --------
    >>> discomfort_score([15.0, 35.0]).round(2).tolist()
    [0.0, 0.5]
    """
    return 1.0 - comfort_score(utci_c, neutral_band_c)


# --------------------------------------------------------------------------------------------
# Wind chill and WBGT
# --------------------------------------------------------------------------------------------


def wind_chill(air_temp_c: npt.ArrayLike, wind_speed_ms: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Wind chill temperature (°C), Environment Canada / US NWS (2001) formula.

    ``WCT = 13.12 + 0.6215 T − 11.37 V^0.16 + 0.3965 T V^0.16`` with V the wind speed at
    10 m **in km/h**; this function takes m/s and converts (× 3.6). Defined for
    T <= 10 °C and V >= 4.8 km/h (1.33 m/s); elsewhere NaN.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    wind_speed_ms
        Wind speed 10 m above ground (m/s).

    Returns
    -------
    numpy.ndarray
        Wind chill temperature (°C), NaN outside validity.

    Examples
    --------
    >>> wind_chill([-10.0, -10.0, 15.0], [20 / 3.6, 0.5, 5.0]).round(1).tolist()
    [-17.9, nan, nan]
    """
    t = np.asarray(air_temp_c, dtype=np.float64)
    v_kmh = np.asarray(wind_speed_ms, dtype=np.float64) * 3.6
    with np.errstate(invalid="ignore"):
        v16 = np.where(v_kmh >= 0, v_kmh, np.nan) ** 0.16
        wct = 13.12 + 0.6215 * t - 11.37 * v16 + 0.3965 * t * v16
        ok = (t <= 10.0) & (v_kmh >= 4.8)
    return np.asarray(np.where(ok, wct, np.nan), dtype=np.float64)


def wet_bulb_stull(
    air_temp_c: npt.ArrayLike, rel_humidity_pct: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """
    Psychrometric wet-bulb temperature (°C), Stull (2011) empirical formula at sea level.

    Valid for RH 5–99 % and −20..50 °C (error within ±1 °C, mostly ±0.3 °C); NaN elsewhere.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    rel_humidity_pct
        Relative humidity (%).

    Returns
    -------
    numpy.ndarray
        Wet-bulb temperature (°C).

    Examples
    --------
    >>> float(wet_bulb_stull(20.0, 50.0).round(1))
    13.7
    """
    t = np.asarray(air_temp_c, dtype=np.float64)
    rh = np.asarray(rel_humidity_pct, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        tw = (
            t * np.arctan(0.151977 * np.sqrt(np.abs(rh + 8.313659)))
            + np.arctan(t + rh)
            - np.arctan(rh - 1.676331)
            + 0.00391838 * np.abs(rh) ** 1.5 * np.arctan(0.023101 * rh)
            - 4.686035
        )
        ok = (rh >= 5.0) & (rh <= 99.0) & (t >= -20.0) & (t <= 50.0)
    return np.asarray(np.where(ok, tw, np.nan), dtype=np.float64)


def natural_wet_bulb(
    air_temp_c: npt.ArrayLike,
    globe_temp_c: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    wind_speed_ms: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """
    Natural (unventilated) wet-bulb temperature (°C) estimated with Bernard's method.

    Bernard & Pourmoghani (1999), as used for outdoor WBGT estimation (e.g. Kong & Huber
    2022): with ``Tpwb`` the psychrometric wet bulb (:func:`wet_bulb_stull`),

    - if ``Tg − Ta < 4 °C`` (little radiant load): ``Tnwb = Ta − C (Ta − Tpwb)``, with
      ``C = 0.85`` for v < 0.03 m/s, ``0.96 + 0.069 log10(v)`` for 0.03..3 m/s, ``1`` above;
    - otherwise: ``Tnwb = Tpwb + 0.25 (Tg − Ta) + e``, with ``e = 1.1`` for v < 0.1 m/s,
      ``0.1 / v^1.1 − 0.2`` for 0.1..1 m/s, ``−0.1`` above.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    globe_temp_c
        Black-globe temperature (°C).
    rel_humidity_pct
        Relative humidity (%).
    wind_speed_ms
        Air speed at the sensor (m/s), not the 10 m wind.

    Returns
    -------
    numpy.ndarray
        Natural wet-bulb temperature (°C); NaN where the Stull formula is out of range.

    Examples
    --------
    >>> float(natural_wet_bulb(30.0, 45.0, 50.0, 1.5).round(2))
    25.95
    """
    ta = np.asarray(air_temp_c, dtype=np.float64)
    tg = np.asarray(globe_temp_c, dtype=np.float64)
    v = np.asarray(wind_speed_ms, dtype=np.float64)
    tpwb = wet_bulb_stull(ta, rel_humidity_pct)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(v < 0.03, 0.85, np.where(v > 3.0, 1.0, 0.96 + 0.069 * np.log10(v)))
        e = np.where(v < 0.1, 1.1, np.where(v > 1.0, -0.1, 0.1 / v**1.1 - 0.2))
        tnwb = np.where(tg - ta < 4.0, ta - c * (ta - tpwb), tpwb + 0.25 * (tg - ta) + e)
    return np.asarray(np.where(v >= 0, tnwb, np.nan), dtype=np.float64)


def wbgt_outdoor(
    air_temp_c: npt.ArrayLike,
    globe_temp_c: npt.ArrayLike,
    rel_humidity_pct: npt.ArrayLike,
    wind_speed_ms: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """
    Outdoor WBGT with solar load (°C): ISO 7243 ``0.7 Tnwb + 0.2 Tg + 0.1 Ta``.

    The natural wet bulb is not measured by the kaiteki kits; it is estimated from air and
    globe temperature, humidity and wind with :func:`natural_wet_bulb` (Bernard's method on
    Stull's psychrometric wet bulb). Summer index: NaN below −20 °C or outside RH 5–99 %.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    globe_temp_c
        Black-globe temperature (°C), 0.15 m globe.
    rel_humidity_pct
        Relative humidity (%).
    wind_speed_ms
        Air speed at the sensor (m/s).

    Returns
    -------
    numpy.ndarray
        WBGT (°C).

    Examples
    --------
    >>> float(wbgt_outdoor(30.0, 45.0, 50.0, 1.5).round(1))
    30.2
    """
    ta = np.asarray(air_temp_c, dtype=np.float64)
    tg = np.asarray(globe_temp_c, dtype=np.float64)
    tnwb = natural_wet_bulb(ta, tg, rel_humidity_pct, wind_speed_ms)
    return np.asarray(0.7 * tnwb + 0.2 * tg + 0.1 * ta, dtype=np.float64)
