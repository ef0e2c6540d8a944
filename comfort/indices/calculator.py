"""
One point, every index: the calculator behind ``kaiteki comfort index`` and
``GET /v1/comfort/index`` (docs/INDICES.md, "Calculator").

From air temperature, humidity, wind at a given height and either the MRT or a globe
temperature, :func:`thermal_indices` gives UTCI and its category, outdoor WBGT, the globe
temperature (or MRT), wind chill and the validity flags of each, with the conventions of the
comfort field: UTCI and wind chill take the 10 m wind, the globe and the natural wet bulb the
air speed at 1.1 m (both from the logarithmic profile of :func:`wind_speed_at_10m`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from comfort.errors import InputRangeError
from comfort.indices.categories import MISSING_CODE, UTCI_CATEGORIES, utci_category
from comfort.indices.cold import LOW_WIND_KMH, WIND_CHILL_MAX_AIR_C, wind_chill
from comfort.indices.heat import wbgt_outdoor
from comfort.indices.radiation import (
    globe_convection_coefficient,
    globe_temperature,
    mean_radiant_temperature,
    mrt_plausible,
)
from comfort.indices.utci_approx import UTCIFlag, utci
from comfort.indices.wind import wind_speed_at_10m

#: Height (m) of the globe and of the body's centre in UTCI's convention.
GLOBE_HEIGHT_M = 1.1

#: Every validity flag :func:`thermal_indices` may raise, with what it means.
FLAGS: dict[str, str] = {
    "utci_wind_clamped": "10 m wind below 0.5 m/s raised to 0.5 m/s (UTCI's floor); value kept",
    "utci_air_temp_out_of_range": "air temperature outside -50..50 °C: UTCI is undefined",
    "utci_mrt_delta_out_of_range": "MRT minus air temperature outside -30..70 K: UTCI undefined",
    "utci_wind_out_of_range": "10 m wind above 17 m/s: UTCI is undefined",
    "utci_humidity_out_of_range": "vapour pressure above 50 hPa: UTCI is undefined",
    "wind_chill_undefined_above_10c": "air above 10 °C: wind chill is not defined",
    "wind_chill_low_wind": "10 m wind below 5 km/h: Environment Canada's low-wind formula",
    "wbgt_out_of_range": "air outside -20..50 °C or RH outside 5..99 %: WBGT is undefined",
    "globe_natural_convection": "calm air: the globe's natural convection governs (ISO 7726)",
    "mrt_from_globe_implausible": "MRT from this globe reading is not trustworthy (winter pitfall)",
}

_UTCI_FLAG_NAMES = {
    UTCIFlag.WIND_CLAMPED: "utci_wind_clamped",
    UTCIFlag.AIR_TEMP_OUT: "utci_air_temp_out_of_range",
    UTCIFlag.MRT_DELTA_OUT: "utci_mrt_delta_out_of_range",
    UTCIFlag.WIND_OUT: "utci_wind_out_of_range",
    UTCIFlag.HUMIDITY_OUT: "utci_humidity_out_of_range",
}


@dataclass(frozen=True)
class ThermalIndices:
    """The indices of one point (°C, NaN where undefined) and the validity flags."""

    utci_c: float
    utci_category: int
    utci_category_en: str
    utci_category_ja: str
    wbgt_c: float
    globe_temperature_c: float
    mrt_c: float
    wind_chill_c: float
    air_temp_c: float
    rel_humidity_pct: float
    wind_speed_10m_m_s: float
    wind_speed_globe_m_s: float
    flags: tuple[str, ...]

    def to_dict(self, decimals: int = 2) -> dict[str, Any]:
        """
        A JSON-ready dict: floats rounded to ``decimals``, NaN as None, flags as a list.

        Examples
        --------
        >>> r = thermal_indices(20.0, 50.0, 2.0, mrt_c=25.0)
        >>> d = r.to_dict()
        >>> d["utci_category_en"], d["flags"]
        ('no thermal stress', ['wind_chill_undefined_above_10c'])
        """
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, float):
                out[key] = None if math.isnan(value) else round(value, decimals)
            elif isinstance(value, tuple):
                out[key] = list(value)
            else:
                out[key] = value
        return out


def _check(name: str, value: float, low: float, high: float, hint: str) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise InputRangeError(f"{name} must be a number in {low}..{high}; got {value}. {hint}")


def thermal_indices(
    air_temp_c: float,
    rel_humidity_pct: float,
    wind_speed_m_s: float,
    mrt_c: float | None = None,
    globe_temp_c: float | None = None,
    wind_height_m: float = 10.0,
    globe_diameter_m: float = 0.15,
    globe_emissivity: float = 0.95,
) -> ThermalIndices:
    """
    UTCI, outdoor WBGT, globe temperature, MRT and wind chill of one point, with flags.

    Parameters
    ----------
    air_temp_c
        Air temperature (°C).
    rel_humidity_pct
        Relative humidity (%), 0..100.
    wind_speed_m_s
        Wind speed (m/s) measured at ``wind_height_m``, non-negative.
    mrt_c
        Mean radiant temperature (°C); give it or ``globe_temp_c``, not both.
    globe_temp_c
        Black-globe temperature (°C) of a ``globe_diameter_m`` globe at 1.1 m; the MRT is
        then derived from it (ISO 7726 with natural convection).
    wind_height_m
        Height (m) of the wind reading; 10 m for a weather station.
    globe_diameter_m
        Globe diameter (m); 0.15 for the standard globe WBGT is defined for.
    globe_emissivity
        Emissivity of the globe.

    Returns
    -------
    ThermalIndices
        The indices (°C; NaN where a model is undefined there, with a flag saying why).

    Raises
    ------
    InputRangeError
        Neither or both of ``mrt_c`` and ``globe_temp_c``; a physically impossible input
        (negative wind, humidity outside 0..100 %, a temperature outside −100..150 °C).

    Examples
    --------
    >>> r = thermal_indices(30.0, 60.0, 0.0, mrt_c=65.0)
    >>> round(r.globe_temperature_c, 1), round(r.wbgt_c, 1), r.utci_category_en
    (51.6, 34.7, 'very strong heat stress')
    >>> round(thermal_indices(-10.0, 70.0, 3 / 3.6, mrt_c=-10.0).wind_chill_c, 1)
    -11.8
    """
    if (mrt_c is None) == (globe_temp_c is None):
        raise InputRangeError(
            "give exactly one of mrt_c and globe_temp_c; got "
            f"mrt_c={mrt_c}, globe_temp_c={globe_temp_c}. Pass the MRT (°C) or the globe "
            "temperature (°C) of a standard 0.15 m globe, not both."
        )
    hint = "Check the unit (°C, %, m/s, m)."
    _check("air_temp_c", air_temp_c, -100.0, 150.0, hint)
    _check("rel_humidity_pct", rel_humidity_pct, 0.0, 100.0, hint)
    _check("wind_speed_m_s", wind_speed_m_s, 0.0, 100.0, hint)
    _check("wind_height_m", wind_height_m, 0.1, 500.0, "Give the sensor height in metres.")
    if mrt_c is not None:
        _check("mrt_c", mrt_c, -100.0, 150.0, hint)
    if globe_temp_c is not None:
        _check("globe_temp_c", globe_temp_c, -100.0, 150.0, hint)
    v10 = float(wind_speed_at_10m(wind_speed_m_s, wind_height_m))
    v_globe = v10 / float(wind_speed_at_10m(1.0, GLOBE_HEIGHT_M))
    flags: list[str] = []
    if globe_temp_c is not None:
        tg = float(globe_temp_c)
        tr = float(
            mean_radiant_temperature(tg, air_temp_c, v_globe, globe_diameter_m, globe_emissivity)
        )
        if not mrt_plausible(tg, air_temp_c, v_globe, globe_diameter_m, globe_emissivity):
            flags.append("mrt_from_globe_implausible")
    else:
        tr = float(mrt_c)  # type: ignore[arg-type]  # exactly one of the two is given
        tg = float(globe_temperature(tr, air_temp_c, v_globe, globe_diameter_m, globe_emissivity))
    h = float(globe_convection_coefficient(v_globe, tg - air_temp_c, globe_diameter_m))
    h_forced = float(globe_convection_coefficient(v_globe, 0.0, globe_diameter_m))
    if h > h_forced:
        flags.append("globe_natural_convection")
    u_arr, u_flags = utci(air_temp_c, tr, v10, rel_humidity_pct, return_flags=True)
    u = float(u_arr)
    flags += [name for bit, name in _UTCI_FLAG_NAMES.items() if int(u_flags) & bit]
    wbgt = float(wbgt_outdoor(air_temp_c, tg, rel_humidity_pct, v_globe))
    if np.isnan(wbgt):
        flags.append("wbgt_out_of_range")
    wct = float(wind_chill(air_temp_c, v10))
    if air_temp_c > WIND_CHILL_MAX_AIR_C:
        flags.append("wind_chill_undefined_above_10c")
    elif v10 * 3.6 < LOW_WIND_KMH:
        flags.append("wind_chill_low_wind")
    code = int(utci_category(u)) if np.isfinite(u) else int(MISSING_CODE)
    category = UTCI_CATEGORIES[code] if code >= 0 else None
    return ThermalIndices(
        utci_c=u,
        utci_category=code,
        utci_category_en=category.name_en if category else "undefined",
        utci_category_ja=category.name_ja if category else "算出不可",
        wbgt_c=wbgt,
        globe_temperature_c=tg,
        mrt_c=tr,
        wind_chill_c=wct,
        air_temp_c=float(air_temp_c),
        rel_humidity_pct=float(rel_humidity_pct),
        wind_speed_10m_m_s=v10,
        wind_speed_globe_m_s=v_globe,
        flags=tuple(flags),
    )
