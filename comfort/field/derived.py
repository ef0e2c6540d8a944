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

#: Cells (hours × targets) the indices are computed on at a time: their numpy temporaries
#: stay in the processor's cache (about twice as fast as whole blocks, same numbers).
PIECE_CELLS = 16384

#: Names and dtypes of the indices :func:`indices_into` fills.
INDEX_DTYPES: dict[str, type] = {
    "utci_c": np.float32,
    "utci_category": np.int8,
    "comfort": np.float32,
    "wind_chill_c": np.float32,
    "wbgt_c": np.float32,
}


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
    globe_c = indices.globe_temperature(mrt[ok], a, v, WBGT_GLOBE_DIAMETER_M)
    out[ok] = indices.wbgt_outdoor(a, globe_c, rh[ok], v)
    return out


def indices_into(
    values: dict[str, npt.NDArray[np.float64]],
    height_m: float,
    out: dict[str, npt.NDArray[Any]],
    piece_cells: int = PIECE_CELLS,
) -> None:
    """
    UTCI, its category, comfort, wind chill and WBGT of ``(hours, targets)`` field variables.

    Fills the :data:`INDEX_DTYPES` arrays of ``out`` (same shape as the values) a few rows at a
    time (about ``piece_cells`` cells), so the temporaries of the index formulas stay in the
    processor's cache; every formula is elementwise, so the numbers are those of whole blocks.

    Parameters
    ----------
    values
        The :data:`~comfort.field.VARIABLES` as ``(hours, targets)`` float64 arrays, wind at
        ``height_m``.
    height_m
        Height (m) of the field's wind.
    out
        Preallocated outputs, filled in place: ``utci_c`` (°C), ``utci_category``,
        ``comfort``, ``wind_chill_c`` (°C), ``wbgt_c`` (°C).
    piece_cells
        Cells per piece.
    """
    first = next(iter(values.values()))
    n_t, n_tg = first.shape
    step = max(1, piece_cells // max(n_tg, 1))
    for r0 in range(0, n_t, step):
        rows = slice(r0, min(r0 + step, n_t))
        piece = {name: arr[rows] for name, arr in values.items()}
        utci = _utci(piece, height_m)
        out["utci_c"][rows] = utci
        out["utci_category"][rows] = _categories(utci)
        out["comfort"][rows] = _comfort(utci)
        out["wind_chill_c"][rows] = _wind_chill(piece, height_m)
        out["wbgt_c"][rows] = _wbgt(piece)
