"""
Indices derived from the field variables (UTCI, its category and comfort score, wind chill,
outdoor WBGT), with the field's conventions: wind at a reference sensor height, NaN where an
input is missing (docs/FIELD.md, "Output").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from comfort import indices

#: Value of ``utci_category`` where UTCI is undefined (:data:`comfort.indices.MISSING_CODE`).
CATEGORY_FILL = int(indices.MISSING_CODE)

#: Diameter (m) of the globe whose temperature WBGT is defined for (the standard 0.15 m globe).
WBGT_GLOBE_DIAMETER_M = 0.15


def _wind_factor_to_10m(height_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Factor from wind at ``height_m`` to wind at 10 m (log profile of comfort.indices)."""
    h = np.asarray(height_m, dtype=float)
    out = np.empty(h.shape)
    for value in np.unique(h):
        out[h == value] = float(indices.wind_speed_at_10m(1.0, float(value)))
    return out


def _utci(values: dict[str, npt.NDArray[Any]], height_m: float) -> npt.NDArray[np.float64]:
    """UTCI (°C) from field variables, wind given at ``height_m``; NaN where undefined."""
    air = np.asarray(values["air_temp_c"], dtype=float)
    ok = np.isfinite(air)
    for name in ("mrt_c", "wind_speed_m_s", "rel_humidity_pct"):
        ok &= np.isfinite(np.asarray(values[name], dtype=float))
    out = np.full(air.shape, np.nan)
    if not ok.any():
        return out
    w10 = (
        np.asarray(values["wind_speed_m_s"], dtype=float)[ok]
        * _wind_factor_to_10m(np.array([height_m]))[0]
    )
    res = indices.utci(
        air[ok],
        np.asarray(values["mrt_c"], dtype=float)[ok],
        w10,
        np.asarray(values["rel_humidity_pct"], dtype=float)[ok],
    )
    out[ok] = np.asarray(res, dtype=float)
    return out


def _categories(utci: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    out = np.full(utci.shape, CATEGORY_FILL, dtype=np.int8)
    ok = np.isfinite(utci)
    if ok.any():
        out[ok] = np.asarray(indices.utci_category(utci[ok])).astype(np.int8)
    return out


def _comfort(utci: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    out = np.full(utci.shape, np.nan, dtype=np.float32)
    ok = np.isfinite(utci)
    if ok.any():
        out[ok] = np.asarray(indices.comfort_score(utci[ok]), dtype=np.float32)
    return out


def _wind_chill(values: dict[str, npt.NDArray[Any]], height_m: float) -> npt.NDArray[np.float32]:
    """
    Wind chill (°C) of field variables, wind given at ``height_m`` (m) and taken to 10 m.

    :func:`comfort.indices.wind_chill` expects the 10 m wind of the NWS / Environment Canada
    formula; NaN where air temperature > 10 °C, 10 m wind < 4.8 km/h or an input is NaN.
    """
    air = np.asarray(values["air_temp_c"], dtype=float)
    w10 = np.asarray(values["wind_speed_m_s"], dtype=float) * float(
        indices.wind_speed_at_10m(1.0, height_m)
    )
    return indices.wind_chill(air, w10).astype(np.float32)


def _wbgt(values: dict[str, npt.NDArray[Any]]) -> npt.NDArray[np.float32]:
    """
    Outdoor WBGT (°C) of field variables, the globe temperature obtained from MRT.

    The globe is the standard 0.15 m one (:data:`WBGT_GLOBE_DIAMETER_M`), in the field's wind
    at the reference sensor height (the air speed a globe and a natural wet bulb see); NaN
    outside :func:`comfort.indices.wbgt_outdoor`'s validity or where an input is NaN.
    """
    air = np.asarray(values["air_temp_c"], dtype=float)
    mrt = np.asarray(values["mrt_c"], dtype=float)
    wind = np.asarray(values["wind_speed_m_s"], dtype=float)
    rh = np.asarray(values["rel_humidity_pct"], dtype=float)
    out = np.full(air.shape, np.nan, dtype=np.float32)
    ok = np.isfinite(air) & np.isfinite(mrt) & np.isfinite(wind) & np.isfinite(rh)
    if not ok.any():
        return out
    a, v = air[ok], wind[ok]
    globe = indices.globe_temperature(mrt[ok], a, v, WBGT_GLOBE_DIAMETER_M)
    out[ok] = indices.wbgt_outdoor(a, globe, rh[ok], v).astype(np.float32)
    return out
