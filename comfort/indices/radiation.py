"""
Mean radiant temperature from a globe thermometer and back (ISO 7726:1998, forced convection),
and when a globe-derived MRT can be trusted (docs/INDICES.md, "Mean radiant temperature from a
globe").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from comfort.errors import InputRangeError

#: 0 °C in kelvin.
_KELVIN = 273.15

#: ISO 7726 forced-convection constant: h_cg = 6.3 v^0.6 / D^0.4, divided by sigma = 5.67e-8.
_ISO7726_FORCED = 1.1e8


def _globe_coefficient(
    wind_speed_m_s: npt.NDArray[np.float64], globe_diameter_m: float, globe_emissivity: float
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
    wind = np.where(wind_speed_m_s >= 0, wind_speed_m_s, np.nan)
    return _ISO7726_FORCED * wind**0.6 / (globe_emissivity * globe_diameter_m**0.4)


def mean_radiant_temperature(
    globe_temp_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_m_s: npt.ArrayLike,
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
    wind_speed_m_s
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
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
    k = _globe_coefficient(v, globe_diameter_m, globe_emissivity)
    bracket = (tg + _KELVIN) ** 4 + k * (tg - ta)
    with np.errstate(invalid="ignore"):
        out = np.where(bracket > 0, np.abs(bracket) ** 0.25, np.nan) - _KELVIN
    return np.asarray(out, dtype=np.float64)


def globe_temperature(
    mrt_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_m_s: npt.ArrayLike,
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
    wind_speed_m_s
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
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
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
    wind_speed_m_s: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
    sensor_error_c: float = 0.3,
    max_mrt_error_c: float = 5.0,
    max_below_air_c: float = 15.0,
) -> npt.NDArray[np.bool_]:
    """
    Flag globe-derived MRT that cannot be trusted (the winter pitfall of globe thermometers).

    Implausible: a globe–air error of ``sensor_error_c`` would move MRT by more than
    ``max_mrt_error_c`` (cold air and strong wind amplify it), MRT lies more than
    ``max_below_air_c`` below air temperature, or MRT is NaN. Why: docs/INDICES.md, "Mean
    radiant temperature from a globe" (winter plausibility).

    Parameters
    ----------
    globe_temp_c
        Black-globe temperature (°C).
    air_temp_c
        Air temperature (°C).
    wind_speed_m_s
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
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
    mrt = mean_radiant_temperature(tg, ta, v, globe_diameter_m, globe_emissivity)
    k = _globe_coefficient(v, globe_diameter_m, globe_emissivity)
    with np.errstate(invalid="ignore"):
        sensitivity = k / (4.0 * (mrt + _KELVIN) ** 3)
        ok = (sensitivity * sensor_error_c <= max_mrt_error_c) & (mrt >= ta - max_below_air_c)
    return np.asarray(ok & np.isfinite(mrt), dtype=np.bool_)
