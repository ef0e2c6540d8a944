"""
Mean radiant temperature from a globe thermometer and back (ISO 7726:1998, Annex B: the larger of
the forced and natural convection coefficients), and when a globe-derived MRT can be trusted
(docs/INDICES.md, "Mean radiant temperature from a globe").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from comfort.errors import InputRangeError

#: 0 °C in kelvin.
_KELVIN = 273.15

#: Stefan–Boltzmann constant (W/m²/K⁴), the value ISO 7726 and pythermalcomfort use.
STEFAN_BOLTZMANN = 5.67e-8

#: ISO 7726 forced convection of the globe: h = 6.3 v^0.6 / D^0.4 (W/m²/K, v in m/s, D in m).
_FORCED = 6.3
#: ISO 7726 natural convection of the globe: h = 1.4 (|Tg − Ta| / D)^0.25 (W/m²/K).
_NATURAL = 1.4


def _check_globe(globe_diameter_m: float, globe_emissivity: float) -> None:
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


def globe_convection_coefficient(
    wind_speed_m_s: npt.ArrayLike,
    globe_minus_air_c: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
) -> npt.NDArray[np.float64]:
    """
    Convective heat-transfer coefficient of a globe (W/m²/K), ISO 7726 Annex B.

    The larger of forced ``6.3 v^0.6 / D^0.4`` and natural ``1.4 (|Tg − Ta| / D)^0.25``
    convection, so still air (v = 0) still carries heat away from a sunlit globe.

    Parameters
    ----------
    wind_speed_m_s
        Air speed at the globe (m/s), non-negative; negative values give NaN.
    globe_minus_air_c
        Globe minus air temperature (K).
    globe_diameter_m
        Globe diameter (m).

    Returns
    -------
    numpy.ndarray
        Heat-transfer coefficient (W/m²/K).

    Examples
    --------
    >>> globe_convection_coefficient([0.0, 1.0], 10.0).round(2).tolist()
    [4.0, 13.46]
    """
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
    dt = np.asarray(globe_minus_air_c, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        forced = _FORCED * np.where(v >= 0, v, np.nan) ** 0.6 / globe_diameter_m**0.4
        natural = _NATURAL * (np.abs(dt) / globe_diameter_m) ** 0.25
    return np.asarray(np.maximum(forced, natural), dtype=np.float64)


def mean_radiant_temperature(
    globe_temp_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_m_s: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> npt.NDArray[np.float64]:
    """
    Mean radiant temperature from a globe thermometer (ISO 7726, forced or natural convection).

    ``Tmrt = [(Tg + 273.15)^4 + h (Tg − Ta) / (eps sigma)]^(1/4) − 273.15`` with ``h`` the
    larger of the forced and natural coefficients (:func:`globe_convection_coefficient`;
    ISO 7726:1998, Annex B). Forced convection governs outdoors and in ventilated walkways;
    natural convection governs in calm air (a sunlit globe in still air), where a forced-only
    formula would give MRT = globe temperature.

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
    40.64
    >>> float(mean_radiant_temperature(40.0, 30.0, 0.0).round(2))
    45.88
    >>> float(mean_radiant_temperature(20.0, 20.0, 3.0)[()])
    20.0
    """
    _check_globe(globe_diameter_m, globe_emissivity)
    tg = np.asarray(globe_temp_c, dtype=np.float64)
    ta = np.asarray(air_temp_c, dtype=np.float64)
    h = globe_convection_coefficient(wind_speed_m_s, tg - ta, globe_diameter_m)
    bracket = (tg + _KELVIN) ** 4 + h * (tg - ta) / (globe_emissivity * STEFAN_BOLTZMANN)
    with np.errstate(invalid="ignore"):
        out = np.where(bracket > 0, np.abs(bracket) ** 0.25, np.nan) - _KELVIN
    return np.asarray(out, dtype=np.float64)


def _globe_balance(
    tg_k: npt.NDArray[np.float64],
    ta_k: npt.NDArray[np.float64],
    forced: npt.NDArray[np.float64],
    target: npt.NDArray[np.float64],
    d: float,
    eps_sigma: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """
    Residual of the globe heat balance at ``tg_k`` (K⁴) and its derivative in ``tg_k``.

    ``forced`` is the forced-convection coefficient (it does not depend on ``tg_k``); powers
    are products and square roots, several times quicker than ``**`` on arrays.
    """
    dt = tg_k - ta_k
    natural = _NATURAL * np.sqrt(np.sqrt(np.abs(dt) / d))
    use_natural = natural > forced
    h = np.where(use_natural, natural, forced)
    # d/dTg [h dT] = h for forced, 1.25 h for natural (h ∝ |dT|^0.25)
    dh = np.where(use_natural, 1.25 * h, h)
    tg2 = tg_k * tg_k
    f = tg2 * tg2 + h * dt / eps_sigma - target
    return f, 4.0 * tg2 * tg_k + dh / eps_sigma


def globe_temperature(
    mrt_c: npt.ArrayLike,
    air_temp_c: npt.ArrayLike,
    wind_speed_m_s: npt.ArrayLike,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> npt.NDArray[np.float64]:
    """
    Globe temperature that a globe thermometer would read for a given MRT (inverse of ISO 7726).

    Solves the globe heat balance ``eps sigma [(Tg + 273.15)^4 − (Tmrt + 273.15)^4] +
    h (Tg − Ta) = 0`` for ``Tg`` with ``h`` the larger of the forced and natural
    coefficients, vectorised over numpy arrays: safeguarded Newton iterations inside the
    bracket ``[min(Ta, Tmrt), max(Ta, Tmrt)]`` (the residual rises monotonically with ``Tg``
    and changes sign across it); a Newton step leaving the bracket is replaced by bisection.
    Converges to 1e-9 K in a handful of iterations.

    Parameters
    ----------
    mrt_c
        Mean radiant temperature (°C).
    air_temp_c
        Air temperature (°C).
    wind_speed_m_s
        Air speed at the globe (m/s), non-negative (negative gives NaN).
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
    >>> float(globe_temperature(40.64, 25.0, 1.0).round(1))
    30.0
    >>> float(globe_temperature(65.0, 30.0, 0.0).round(1))  # calm air: well below the MRT
    51.6
    """
    _check_globe(globe_diameter_m, globe_emissivity)
    tr = np.asarray(mrt_c, dtype=np.float64)
    ta = np.asarray(air_temp_c, dtype=np.float64)
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
    tr, ta, v = np.broadcast_arrays(tr, ta, v)
    bad = ~(np.isfinite(tr) & np.isfinite(ta) & np.isfinite(v) & (v >= 0))
    ta_k = np.where(bad, 20.0, ta) + _KELVIN
    tr_k = np.where(bad, 20.0, tr) + _KELVIN
    v = np.where(bad, 1.0, v)
    target = (tr_k * tr_k) ** 2
    eps_sigma = globe_emissivity * STEFAN_BOLTZMANN
    lo, hi = np.minimum(ta_k, tr_k), np.maximum(ta_k, tr_k)
    x = 0.5 * (lo + hi)
    forced = _FORCED * v**0.6 / globe_diameter_m**0.4
    for _ in range(100):
        f, df = _globe_balance(x, ta_k, forced, target, globe_diameter_m, eps_sigma)
        lo = np.where(f < 0, x, lo)
        hi = np.where(f > 0, x, hi)
        step = f / df
        newton = x - step
        x_new = np.where((newton >= lo) & (newton <= hi), newton, 0.5 * (lo + hi))
        converged = np.abs(step) <= 1e-9
        x = np.where(converged, newton, x_new)
        if converged.all():
            break
    return np.asarray(np.where(bad, np.nan, x - _KELVIN), dtype=np.float64)


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
    dt = tg - ta
    h = globe_convection_coefficient(v, dt, globe_diameter_m)
    with np.errstate(invalid="ignore"):
        natural = _NATURAL * (np.abs(dt) / globe_diameter_m) ** 0.25
        # d(h dT)/d(dT): h when forced convection governs, 1.25 h when natural does
        slope = np.where(natural >= h, 1.25 * h, h) / (globe_emissivity * STEFAN_BOLTZMANN)
        sensitivity = slope / (4.0 * (mrt + _KELVIN) ** 3)
        ok = (sensitivity * sensor_error_c <= max_mrt_error_c) & (mrt >= ta - max_below_air_c)
    return np.asarray(ok & np.isfinite(mrt), dtype=np.bool_)
