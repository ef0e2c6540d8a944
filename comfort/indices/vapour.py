"""
Saturation vapour pressure over water, Hardy's ITS-90 formulation (the one the UTCI reference
program uses), as a numpy function and as the numba kernel :mod:`.utci_approx` calls.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

#: 0 °C in kelvin.
_KELVIN = 273.15

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


@numba.njit(nogil=True, fastmath={"contract"}, cache=True)
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
