"""
Heat stress: outdoor WBGT with the natural wet bulb estimated from air and globe temperature,
humidity and wind (docs/INDICES.md, "Outdoor WBGT").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


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
    wind_speed_m_s: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """
    Natural (unventilated) wet-bulb temperature (°C) estimated with Bernard's method.

    Bernard & Pourmoghani (1999) on the psychrometric wet bulb of :func:`wet_bulb_stull`; the
    two regimes (radiant load ``Tg − Ta`` below or above 4 °C) and their wind terms are written
    out in docs/INDICES.md, "Outdoor WBGT".

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    globe_temp_c
        Black-globe temperature (°C).
    rel_humidity_pct
        Relative humidity (%).
    wind_speed_m_s
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
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
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
    wind_speed_m_s: npt.ArrayLike,
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
    wind_speed_m_s
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
    tnwb = natural_wet_bulb(ta, tg, rel_humidity_pct, wind_speed_m_s)
    return np.asarray(0.7 * tnwb + 0.2 * tg + 0.1 * ta, dtype=np.float64)
