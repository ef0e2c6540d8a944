"""
Cold stress: the wind chill temperature of Environment Canada, with its low-wind formula
(docs/INDICES.md, "Wind chill").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Wind speed (km/h) below which Environment Canada's low-wind formula applies.
LOW_WIND_KMH = 5.0

#: Highest air temperature (°C) for which wind chill is defined.
WIND_CHILL_MAX_AIR_C = 10.0


def wind_chill(air_temp_c: npt.ArrayLike, wind_speed_m_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Wind chill temperature (°C), Environment Canada / US NWS (2001), with the low-wind formula.

    With V the wind speed at 10 m **in km/h** (this function takes m/s and converts, × 3.6):

    - V >= 5 km/h: ``WCT = 13.12 + 0.6215 T − 11.37 V^0.16 + 0.3965 T V^0.16``;
    - 0 <= V < 5 km/h: ``WCT = T + ((−1.59 + 0.1345 T) / 5) V`` (Environment Canada's
      low-wind formula, equal to T in still air and continuous with the first at 5 km/h
      to within 0.001 T + 0.001 °C).

    Defined for T <= 10 °C and V >= 0; NaN elsewhere (warm air, negative or NaN wind).

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
    >>> wind_chill([-10.0, -10.0, -10.0, 15.0], [20 / 3.6, 3 / 3.6, 0.0, 5.0]).round(1).tolist()
    [-17.9, -11.8, -10.0, nan]
    """
    t = np.asarray(air_temp_c, dtype=np.float64)
    v_kmh = np.asarray(wind_speed_m_s, dtype=np.float64) * 3.6
    with np.errstate(invalid="ignore"):
        v16 = np.where(v_kmh >= 0, v_kmh, np.nan) ** 0.16
        strong = 13.12 + 0.6215 * t - 11.37 * v16 + 0.3965 * t * v16
        low = t + (-1.59 + 0.1345 * t) / LOW_WIND_KMH * v_kmh
        wct = np.where(v_kmh < LOW_WIND_KMH, low, strong)
        ok = (t <= WIND_CHILL_MAX_AIR_C) & (v_kmh >= 0)
    return np.asarray(np.where(ok, wct, np.nan), dtype=np.float64)
