"""
Sun position and solar irradiance for the thermal simulator (downtown Sapporo, 43.06° N).

Sun position: the NOAA general solar position equations (Spencer's Fourier series for the
declination and the equation of time), good to about 0.5° for this purpose. Clear-sky global
horizontal irradiance: Haurwitz (1945), ``1098 cos z exp(-0.057 / cos z)`` W/m². Clouds:
Kasten and Czeplak (1980), ``GHI = GHI_clear (1 - 0.75 C^3.4)`` with cloud fraction ``C``.
Split into direct and diffuse: Erbs et al. (1982) diffuse fraction from the clearness index.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Latitude and longitude of downtown Sapporo (Odori, degrees).
SAPPORO_LAT_DEG = 43.06
SAPPORO_LON_DEG = 141.35

#: Solar constant (W/m²).
SOLAR_CONSTANT_WM2 = 1367.0


def solar_position(
    times: pd.DatetimeIndex,
    lat_deg: float = SAPPORO_LAT_DEG,
    lon_deg: float = SAPPORO_LON_DEG,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """
    Cosine of the solar zenith angle and solar azimuth at the given instants.

    Parameters
    ----------
    times
        Timezone-aware instants.
    lat_deg, lon_deg
        Site latitude and longitude (degrees, north and east positive).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``cos_zenith`` (negative when the sun is below the horizon) and ``azimuth_deg``
        (degrees clockwise from true north, 180 = south).

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2022-06-21 11:35"]).tz_localize("Asia/Tokyo")
    >>> cz, az = solar_position(t)
    >>> round(90 - float(np.degrees(np.arccos(cz[0])))), round(float(az[0]) / 10) * 10
    (70, 180)
    """
    utc = times.tz_convert("UTC")
    doy = utc.day_of_year.to_numpy(dtype=np.float64)
    hour = (
        utc.hour.to_numpy(dtype=np.float64)
        + utc.minute.to_numpy(dtype=np.float64) / 60.0
        + utc.second.to_numpy(dtype=np.float64) / 3600.0
    )
    g = 2.0 * np.pi / 365.0 * (doy - 1.0 + (hour - 12.0) / 24.0)
    eqtime_min = 229.18 * (
        0.000075
        + 0.001868 * np.cos(g)
        - 0.032077 * np.sin(g)
        - 0.014615 * np.cos(2 * g)
        - 0.040849 * np.sin(2 * g)
    )
    decl = (
        0.006918
        - 0.399912 * np.cos(g)
        + 0.070257 * np.sin(g)
        - 0.006758 * np.cos(2 * g)
        + 0.000907 * np.sin(2 * g)
        - 0.002697 * np.cos(3 * g)
        + 0.00148 * np.sin(3 * g)
    )
    true_solar_min = hour * 60.0 + eqtime_min + 4.0 * lon_deg
    hour_angle = np.radians(true_solar_min / 4.0 - 180.0)
    lat = np.radians(lat_deg)
    cos_z = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    az_from_south = np.arctan2(
        np.sin(hour_angle), np.cos(hour_angle) * np.sin(lat) - np.tan(decl) * np.cos(lat)
    )
    azimuth = (np.degrees(az_from_south) + 180.0) % 360.0
    return np.asarray(cos_z, dtype=np.float64), np.asarray(azimuth, dtype=np.float64)


def extraterrestrial_wm2(times: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    """Extraterrestrial irradiance on a plane normal to the sun (W/m²), by day of year."""
    doy = times.day_of_year.to_numpy(dtype=np.float64)
    return SOLAR_CONSTANT_WM2 * (1.0 + 0.033 * np.cos(2.0 * np.pi * doy / 365.0))


def clear_sky_ghi_wm2(cos_zenith: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Clear-sky global horizontal irradiance (W/m²), Haurwitz model; 0 with the sun down.

    Examples
    --------
    >>> clear_sky_ghi_wm2([1.0, 0.0, -0.2]).round(0).tolist()
    [1037.0, 0.0, 0.0]
    """
    cz = np.asarray(cos_zenith, dtype=np.float64)
    safe = np.where(cz > 0.01, cz, 1.0)
    return np.where(cz > 0.01, 1098.0 * safe * np.exp(-0.057 / safe), 0.0)


def cloud_transmittance(cloud_fraction: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Share of clear-sky GHI reaching the ground under a cloud fraction (Kasten–Czeplak).

    Examples
    --------
    >>> cloud_transmittance([0.0, 1.0]).tolist()
    [1.0, 0.25]
    """
    c = np.clip(np.asarray(cloud_fraction, dtype=np.float64), 0.0, 1.0)
    return 1.0 - 0.75 * c**3.4


def diffuse_fraction(clearness_index: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Diffuse share of global horizontal irradiance from the clearness index (Erbs et al. 1982).

    Examples
    --------
    >>> diffuse_fraction([0.1, 0.9]).round(3).tolist()
    [0.991, 0.165]
    """
    kt = np.clip(np.asarray(clearness_index, dtype=np.float64), 0.0, 1.0)
    mid = 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4
    return np.where(kt <= 0.22, 1.0 - 0.09 * kt, np.where(kt <= 0.8, mid, 0.165))
