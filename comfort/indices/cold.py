"""
Cold stress: the wind chill temperature (docs/INDICES.md, "Wind chill").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def wind_chill(air_temp_c: npt.ArrayLike, wind_speed_m_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Wind chill temperature (°C), Environment Canada / US NWS (2001) formula.

    ``WCT = 13.12 + 0.6215 T − 11.37 V^0.16 + 0.3965 T V^0.16`` with V the wind speed at
    10 m **in km/h**; this function takes m/s and converts (× 3.6). Defined for
    T <= 10 °C and V >= 4.8 km/h (1.33 m/s); elsewhere NaN.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    wind_speed_m_s
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
    v_kmh = np.asarray(wind_speed_m_s, dtype=np.float64) * 3.6
    with np.errstate(invalid="ignore"):
        v16 = np.where(v_kmh >= 0, v_kmh, np.nan) ** 0.16
        wct = 13.12 + 0.6215 * t - 11.37 * v16 + 0.3965 * t * v16
        ok = (t <= 10.0) & (v_kmh >= 4.8)
    return np.asarray(np.where(ok, wct, np.nan), dtype=np.float64)
