"""
Wind speed at 10 m from a reading at sensor height (docs/INDICES.md, "Wind at 10 m").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from comfort.errors import InputRangeError


def wind_speed_at_10m(
    wind_speed_m_s: npt.ArrayLike, height_m: float, roughness_m: float = 0.01
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
    wind_speed_m_s
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
    v = np.asarray(wind_speed_m_s, dtype=np.float64)
    factor = np.log(10.0 / roughness_m) / np.log(height_m / roughness_m)
    return np.asarray(v * factor, dtype=np.float64)
