"""
Simulated thermal-environment readings of a fixed station network (labelled simulated).

Street stations read air temperature, relative humidity, wind at sensor height, black-globe
temperature and global horizontal irradiance; underground stations read heated indoor
conditions. The daily mean temperature, wind and snow depth of each date follow the **real
Sapporo daily series**; everything finer is modelled (see ``docs/SIMULATORS.md``):

- sun: solar geometry at 43.06° N, clear-sky irradiance reduced by a daily cloud fraction drawn
  from the real precipitation of the day (wet days are overcast);
- air temperature: the day's real mean plus a zero-mean diurnal cycle whose range grows with
  clear skies and snow cover, plus local offsets (sunlit pavement, Odori Park, the Sosei
  river, street-canyon heat at night);
- humidity: a daily vapour pressure from Sapporo's seasonal humidity (wetter on rainy days),
  so relative humidity falls as the air warms during the day;
- wind: the day's real mean wind, a diurnal cycle, channelling along streets parallel to the
  wind and shelter across them, and gusts;
- mean radiant temperature: a standing person's radiation budget (direct sun on the sunlit
  part of the street, diffuse sky through the sky-view factor, reflected sunlight with snow
  albedo, long-wave from sky, walls and ground); globe temperature from it by inverting ISO 7726;
- faults at a small documented rate (:data:`FAULT_RATES`), listed in a separate fault table so
  that QC can be scored against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.signal import lfilter

from comfort.indices import globe_temperature, saturation_vapour_pressure_hpa
from sensors.errors import SimulationError
from sensors.simulate import solar
from sensors.simulate._base import daily_for_year, day_grid, stream, times_for
from sensors.simulate.canyon import PATTERNS, canyon_geometry
from sensors.simulate.stations import station_registry

#: Columns of the simulated readings (DATA_FORMATS.md, thermal readings).
READING_COLUMNS: tuple[str, ...] = (
    "time",
    "sensor_id",
    "lat",
    "lon",
    "air_temp_c",
    "rel_humidity_pct",
    "wind_speed_m_s",
    "globe_temp_c",
    "solar_wm2",
    "level",
    "simulated",
)

#: Columns of the fault table written beside the readings.
FAULT_COLUMNS: tuple[str, ...] = (
    "sensor_id",
    "fault",
    "variable",
    "start",
    "end",
    "n_readings",
    "magnitude",
    "simulated",
)

#: Weather columns the simulator follows (from :func:`sensors.weather.read_daily_weather`).
WEATHER_COLUMNS: tuple[str, ...] = (
    "air_temp_c",
    "wind_dir_deg",
    "wind_speed_m_s",
    "precip_mm",
    "snow_depth_cm",
)


@dataclass(frozen=True)
class FaultRates:
    """
    How often the simulator injects sensor faults (documented in ``docs/SIMULATORS.md``).

    Attributes
    ----------
    spike_per_reading
        Chance that a reading of a station carries a spike (air, globe or humidity).
    stuck_station_share
        Share of stations with one stuck period (a variable repeats its last value).
    stuck_hours
        Range of the stuck period's length (h).
    gap_station_share
        Share of stations with one gap (readings missing).
    gap_hours
        Range of the gap's length (h).
    """

    spike_per_reading: float = 4e-4
    stuck_station_share: float = 0.15
    stuck_hours: tuple[float, float] = (12.0, 72.0)
    gap_station_share: float = 0.2
    gap_hours: tuple[float, float] = (3.0, 48.0)


#: The fault rates used by :func:`simulate_thermal`.
FAULT_RATES = FaultRates()

#: Sapporo monthly mean relative humidity (%), JMA normals 1991–2020, January first.
SAPPORO_RH_PCT = (69.0, 68.0, 64.0, 60.0, 65.0, 72.0, 76.0, 75.0, 71.0, 67.0, 67.0, 68.0)

_SIGMA = 5.670374e-8
_KELVIN = 273.15


@dataclass(frozen=True)
class ThermalModel:
    """
    Parameters of the thermal simulator (defaults documented in ``docs/SIMULATORS.md``).

    Attributes
    ----------
    aspect_standard, aspect_wide, aspect_park
        Street-canyon height-to-width ratio H/W of standard streets, wide streets and streets
        along Odori Park (one side open).
    dtr_overcast_c, dtr_clear_c
        Diurnal temperature range (°C) of an overcast day, and what a clear sky adds.
    pavement_heating_c_per_kwm2
        Air warming near sunlit pavement (°C per kW/m² of direct sun on the street).
    park_cooling_c, river_cooling_c
        Daytime cooling (°C at 1 kW/m² global irradiance, vegetation active) next to Odori Park
        and at the Sosei river.
    canyon_night_c
        Night-time warming of a fully enclosed canyon on a clear night (°C), scaled by 1 - SVF.
    wind_ref_factor
        Street wind at sensor height per unit of the reference daily mean wind.
    indoor_base_c, indoor_slope
        Underground air temperature at 11 °C outdoors (°C) and its change per °C outdoors.
    """

    aspect_standard: float = 1.4
    aspect_wide: float = 0.6
    aspect_park: float = 0.3
    dtr_overcast_c: float = 2.5
    dtr_clear_c: float = 8.0
    pavement_heating_c_per_kwm2: float = 1.5
    park_cooling_c: float = 0.8
    river_cooling_c: float = 0.6
    canyon_night_c: float = 1.2
    wind_ref_factor: float = 1.0
    indoor_base_c: float = 20.7
    indoor_slope: float = 0.1


def _ar1(
    rng: np.random.Generator, shape: tuple[int, ...], phi: float, sd: float
) -> npt.NDArray[np.float64]:
    """Stationary AR(1) noise along axis 0 with lag-one correlation ``phi`` and s.d. ``sd``."""
    white = rng.standard_normal(shape) * sd * np.sqrt(1.0 - phi**2)
    white[0] = rng.standard_normal(shape[1:]) * sd
    return np.asarray(lfilter([1.0], [1.0, -phi], white, axis=0), dtype=np.float64)


def diurnal_shape(hours: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Zero-mean daily temperature cycle on a day's reading grid, minimum at 05:00, maximum 14:30.

    A half cosine rising from 05:00 to 14:30 and another falling to 05:00 the next day, minus
    its mean over the grid, so the daily mean of every simulated day equals the real one.

    Examples
    --------
    >>> s = diurnal_shape(np.arange(24.0))
    >>> round(float(s.mean()), 12), int(np.argmin(s)), int(np.argmax(s))
    (0.0, 5, 15)
    """
    h = np.asarray(hours, dtype=np.float64) % 24.0
    rise = -np.cos(np.pi * (h - 5.0) / 9.5)
    fall = np.cos(np.pi * ((h - 14.5) % 24.0) / 14.5)
    s = np.where((h >= 5.0) & (h < 14.5), rise, fall)
    return np.asarray(s - s.mean(), dtype=np.float64)


def _smooth_daily(daily: npt.NDArray[np.float64], per_day: int) -> npt.NDArray[np.float64]:
    """Daily means interpolated through the day (no midnight jumps), keeping each day's mean."""
    n = len(daily)
    t = (np.arange(n * per_day) + 0.5) / per_day
    centres = np.arange(n) + 0.5
    line = np.interp(t, centres, daily)
    correction = daily - line.reshape(n, per_day).mean(axis=1)
    return np.asarray(line + np.repeat(correction, per_day), dtype=np.float64)


def _saturating_rh(
    rh_pct: npt.NDArray[np.float64], rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """
    Relative humidity as a capacitive sensor reports it near saturation (%).

    Above 95 % the reading approaches 99.5 % smoothly, with 0.3 % noise, instead of sitting at
    exactly 100 % (which a persistence test would rightly flag as a stuck sensor).
    """
    high = 95.0 + 4.5 * (1.0 - np.exp(-(rh_pct - 95.0) / 4.5))
    out = np.where(rh_pct > 95.0, high + rng.normal(0.0, 0.3, rh_pct.shape), rh_pct)
    return np.asarray(np.clip(out, 10.0, 100.0), dtype=np.float64)


def _rh_normal(doy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    mid = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349], dtype=np.float64)
    vals = np.array(SAPPORO_RH_PCT)
    return np.interp(doy, np.r_[mid - 365, mid, mid + 365], np.tile(vals, 3))


def simulate_thermal(
    graph_or_segments: nx.MultiDiGraph | pd.DataFrame,
    weather_daily: pd.DataFrame,
    year: int,
    seed: int = 42,
    interval_min: int = 60,
    n_street: int = 40,
    n_underground: int = 6,
    faults: bool = True,
    model: ThermalModel | None = None,
    within: shapely.Geometry | None = None,
    pattern: str = "covariates",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Simulate a year of thermal readings at a fixed station network (simulated data).

    Parameters
    ----------
    graph_or_segments
        The area graph (``sensors.area.sapporo_graph``) or its segment table.
    weather_daily
        Real Sapporo daily weather (:func:`sensors.weather.read_daily_weather`): ``air_temp_c``
        (°C), ``wind_dir_deg`` (degrees), ``wind_speed_m_s`` (m/s), ``precip_mm`` (mm),
        ``snow_depth_cm`` (cm), one row per date.
    year
        Calendar year; every date of that year present in ``weather_daily`` is simulated.
    seed
        Random seed: the same seed and inputs give identical output.
    interval_min
        Reading interval (min), dividing a day (60 gives hourly readings).
    n_street, n_underground
        Number of street and underground stations.
    faults
        Inject sensor faults at the documented rates (:data:`FAULT_RATES`).
    model
        Model parameters; default :class:`ThermalModel`.
    within
        Optional polygon in the network's CRS (e.g. the planning area): street stations are
        placed only on segments whose midpoint lies inside it.
    pattern
        Where the spatial pattern comes from: ``"covariates"`` (street orientation, width
        class, Odori Park edge, Sosei river: the comfort field's own covariates) or
        ``"canyon"`` (building height and street width fields, exact street bearing against
        the sun, street trees: nothing the field regresses on; :mod:`sensors.simulate.canyon`)
        for an honest validation of the field.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The station registry (``sensor_id, kind, lat, lon, level, height_m, globe_diameter_m,
        installed, name, segment_id, simulated``) and the readings (:data:`READING_COLUMNS`,
        ``time`` tz-aware Asia/Tokyo, sorted by sensor then time, ``sensor_id`` categorical,
        ``simulated`` true). The
        injected faults are in ``readings.attrs["faults"]`` (a DataFrame,
        :data:`FAULT_COLUMNS`).

    Raises
    ------
    SimulationError
        No real weather for ``year``, a missing value, a bad interval, too small a network,
        or an unknown ``pattern``.
    """
    if pattern not in PATTERNS:
        raise SimulationError(
            f"unknown thermal pattern {pattern!r}; expected one of {', '.join(PATTERNS)}."
        )
    m = model or ThermalModel()
    weather = daily_for_year(weather_daily, WEATHER_COLUMNS, year, "Sapporo daily weather")
    hours = day_grid(interval_min)
    days = pd.DatetimeIndex(weather.index)
    installed = (days[0] - pd.Timedelta(days=30)).date().isoformat()
    registry, cov = station_registry(
        graph_or_segments, installed, n_street, n_underground, within=within
    )
    k, n_days = len(hours), len(days)
    times = times_for(days, interval_min)
    rng = stream(seed, "thermal-weather", year)

    # --- sky: sun, clouds, irradiance (T,)
    cos_z, azimuth = solar.solar_position(times)
    precip = weather["precip_mm"].to_numpy()
    cloud_d = np.where(
        precip >= 1.0,
        rng.beta(6.0, 1.2, n_days),
        np.where(precip > 0.0, rng.beta(3.0, 2.0, n_days), rng.beta(1.5, 2.2, n_days)),
    )
    cloud = np.clip(np.repeat(cloud_d, k) + _ar1(rng, (len(times),), 0.85, 0.1), 0.0, 1.0)
    ghi = solar.clear_sky_ghi_wm2(cos_z) * solar.cloud_transmittance(cloud)
    up = cos_z > 0.05
    cz_safe = np.where(up, cos_z, 1.0)
    kt = np.where(up, ghi / (solar.extraterrestrial_wm2(times) * cz_safe), 0.0)
    dhi = np.where(up, solar.diffuse_fraction(kt) * ghi, ghi)
    dni = np.where(up, np.minimum((ghi - dhi) / cz_safe, 1000.0), 0.0)
    night = cos_z <= 0.0
    clear_night = night * (1.0 - cloud)

    # --- city air temperature and vapour pressure (T,)
    mean_d = weather["air_temp_c"].to_numpy()
    snow_d = weather["snow_depth_cm"].to_numpy()
    insolation = solar.clear_sky_ghi_wm2(cos_z).reshape(n_days, k).mean(axis=1) / 360.0
    dtr_d = m.dtr_overcast_c + m.dtr_clear_c * (1.0 - cloud_d) * (
        0.55 + 0.45 * np.clip(insolation, 0.0, 1.0)
    )
    dtr_d += 2.0 * (snow_d > 5.0) * (1.0 - cloud_d)
    shape = np.tile(diurnal_shape(hours), n_days)
    t_city = (
        _smooth_daily(mean_d, k)
        + 0.5 * np.repeat(dtr_d, k) * shape
        + _ar1(rng, (len(times),), 0.9, 0.3)
    )
    doy = days.day_of_year.to_numpy(dtype=np.float64)
    rh_d = np.clip(
        _rh_normal(doy) + 8.0 * (precip >= 1.0) + 3.0 * (precip > 0.0) + rng.normal(0, 5, n_days),
        35.0,
        97.0,
    )
    vap_d = rh_d / 100.0 * saturation_vapour_pressure_hpa(mean_d)
    # the mean-preserving interpolation can undershoot where two simulated days are not
    # consecutive (e.g. a January and a July period in one call): keep vapour pressure physical
    vap = np.maximum(_smooth_daily(vap_d, k), 0.1) * np.exp(_ar1(rng, (len(times),), 0.9, 0.04))
    wind_d = weather["wind_speed_m_s"].to_numpy() * m.wind_ref_factor
    wdir_d = weather["wind_dir_deg"].to_numpy()
    diurnal_wind = 1.0 + 0.35 * np.cos(2 * np.pi * (hours - 14.0) / 24.0)
    diurnal_wind = np.tile(diurnal_wind / diurnal_wind.mean(), n_days)
    veg = np.repeat((doy >= 130) & (doy <= 290) & (snow_d < 1.0), k)

    street = cov["level"].to_numpy() == 0
    out = {
        name: np.empty((len(times), len(cov)), dtype=np.float64)
        for name in (
            "air_temp_c",
            "rel_humidity_pct",
            "wind_speed_m_s",
            "globe_temp_c",
            "solar_wm2",
        )
    }
    site = stream(seed, "thermal-sites")  # siting bias: the same in every year

    # --- street stations (T, S)
    st = cov[street]
    if len(st):
        s_rng = stream(seed, "thermal-street", year)
        width = st["width_class"].to_numpy()
        park = st["park_adjacent"].to_numpy(dtype=bool)
        hw = np.where(
            park, m.aspect_park, np.where(width == "wide", m.aspect_wide, m.aspect_standard)
        )
        bearing = st["bearing_deg"].to_numpy(dtype=np.float64)
        river = np.exp(
            -np.nan_to_num(st["river_dist_m"].to_numpy(dtype=np.float64), nan=1e6) / 120.0
        )
        if pattern == "canyon":
            geo = canyon_geometry(st, seed)
            hw = geo.aspect
            width = np.where(geo.width_m >= 22.0, "wide", "standard")
            park = np.zeros(len(st), dtype=bool)
            river = geo.canopy  # street trees: the cooling and moisture the river gave
        svf = np.sqrt(1.0 + hw**2) - hw
        tan_z = np.sqrt(np.clip(1.0 - cos_z**2, 0.0, 1.0)) / cz_safe
        across = np.abs(np.sin(np.radians(azimuth[:, None] - bearing[None, :])))
        f_sun = np.where(up[:, None], np.clip(1.0 - hw * tan_z[:, None] * across, 0.0, 1.0), 0.0)
        if pattern == "canyon":  # tree crowns shade part of the street
            f_sun = f_sun * (1.0 - 0.6 * river[None, :])
        direct_street = dni[:, None] * cos_z[:, None] * f_sun
        ghi_s = np.maximum(dhi[:, None] * svf + direct_street, 0.0)
        heat = m.pavement_heating_c_per_kwm2 * np.where(width == "wide", 0.8, 1.0)
        delta = (
            heat * direct_street / 1000.0
            - park * (m.park_cooling_c * (veg * ghi / 1000.0) + 0.8 * clear_night)[:, None]
            - river * (m.river_cooling_c * (veg * ghi / 1000.0) + 0.3 * clear_night)[:, None]
            + m.canyon_night_c * (1.0 - svf) * clear_night[:, None]
            + site.normal(0.0, 0.2, len(st))
        )
        ta = t_city[:, None] + delta + _ar1(s_rng, (len(times), len(st)), 0.7, 0.15)
        es = saturation_vapour_pressure_hpa(ta)
        moist = 1.0 + 0.03 * park + 0.03 * river
        rh = _saturating_rh(100.0 * vap[:, None] * moist / es, s_rng)
        align = np.abs(np.cos(np.radians(wdir_d[:, None] - bearing[None, :])))
        channel = (
            (0.25 + 0.9 * align / (1.0 + 0.4 * hw[None, :]))
            if pattern == "canyon"
            else np.where(
                park[None, :],
                0.85 + 0.35 * align,
                np.where(width[None, :] == "wide", 0.55 + 0.65 * align, 0.35 + 0.85 * align),
            )
        )
        gust = np.exp(_ar1(s_rng, (len(times), len(st)), 0.6, 0.3) - 0.5 * 0.3**2)
        wind = np.maximum(
            0.05, (wind_d[:, None] * channel).repeat(k, axis=0) * diurnal_wind[:, None] * gust
        )
        # radiation budget of a standing person (Thorsson et al. 2007, simplified)
        snow_street = np.where(park, 1.0, np.where(width == "wide", 0.5, 0.7))
        f_snow = np.repeat(np.clip(snow_d / 10.0, 0.0, 1.0), k)[:, None] * snow_street
        albedo = 0.15 * (1.0 - f_snow) + 0.65 * f_snow
        t_ground = ta + 0.025 * (1.0 - albedo) * ghi_s - 2.0 * clear_night[:, None]
        t_ground = (1.0 - f_snow) * t_ground + f_snow * np.minimum(t_ground, 0.0)
        t_wall = ta + 0.3 * (t_ground - ta)
        ta_k = ta + _KELVIN
        eps_sky = np.minimum(
            1.0, 1.24 * (vap[:, None] / ta_k) ** (1.0 / 7.0) * (1.0 + 0.22 * cloud[:, None] ** 2)
        )
        l_in = (
            0.5
            * (svf * eps_sky * _SIGMA * ta_k**4 + (1.0 - svf) * _SIGMA * (t_wall + _KELVIN) ** 4)
            + 0.5 * _SIGMA * (t_ground + _KELVIN) ** 4
        )
        elev = np.degrees(np.arcsin(np.clip(cos_z, 0.0, 1.0)))
        f_p = 0.308 * np.cos(np.radians(elev * (1.0 - elev**2 / 48402.0)))
        k_abs = 0.7 * (
            f_p[:, None] * dni[:, None] * f_sun + 0.5 * svf * dhi[:, None] + 0.5 * albedo * ghi_s
        )
        mrt = ((k_abs + 0.97 * l_in) / (0.97 * _SIGMA)) ** 0.25 - _KELVIN
        idx = np.flatnonzero(street)
        out["air_temp_c"][:, idx] = ta
        out["rel_humidity_pct"][:, idx] = rh
        out["wind_speed_m_s"][:, idx] = wind
        out["globe_temp_c"][:, idx] = globe_temperature(mrt, ta, np.maximum(wind, 0.1))
        out["solar_wm2"][:, idx] = ghi_s

    # --- underground stations: heated indoor walkways (T, S)
    ug = cov[~street]
    if len(ug):
        u_rng = stream(seed, "thermal-underground", year)
        busy = np.tile(
            1.0 / (1.0 + np.exp(-(hours - 7.5) / 0.6)) / (1.0 + np.exp((hours - 21.0) / 0.8)),
            n_days,
        )
        t_out = _smooth_daily(mean_d, k)
        ti = (
            m.indoor_base_c
            + m.indoor_slope * (t_out - 11.0)[:, None]
            + 0.7 * busy[:, None]
            + site.normal(0.0, 0.4, len(ug))
            + _ar1(u_rng, (len(times), len(ug)), 0.8, 0.15)
        )
        ti = 18.0 + 6.0 / (1.0 + np.exp(-(ti - 21.0) / 1.6))  # soft limits of the HVAC band
        vap_in = np.minimum(vap + 3.5, 17.5)
        rh_in = np.clip(100.0 * vap_in[:, None] / saturation_vapour_pressure_hpa(ti), 15.0, 70.0)
        v_in = (0.08 + 0.1 * busy)[:, None] * np.exp(
            _ar1(u_rng, (len(times), len(ug)), 0.5, 0.3) - 0.045
        )
        v_in = np.minimum(v_in, 0.6)
        idx = np.flatnonzero(~street)
        out["air_temp_c"][:, idx] = ti
        out["rel_humidity_pct"][:, idx] = rh_in
        out["wind_speed_m_s"][:, idx] = v_in
        out["globe_temp_c"][:, idx] = globe_temperature(ti + 0.3, ti, np.maximum(v_in, 0.1))
        out["solar_wm2"][:, idx] = 0.0

    keep = np.ones((len(times), len(cov)), dtype=bool)
    fault_rows: list[dict[str, object]] = []
    if faults:
        keep, fault_rows = _inject_faults(out, times, registry, interval_min, seed, year)
    readings = _assemble(out, keep, times, registry)
    readings.attrs["faults"] = pd.DataFrame(fault_rows, columns=list(FAULT_COLUMNS))
    readings.attrs["simulated"] = True
    readings.attrs["pattern"] = pattern
    return registry, readings


def _inject_faults(
    out: dict[str, npt.NDArray[np.float64]],
    times: pd.DatetimeIndex,
    registry: pd.DataFrame,
    interval_min: int,
    seed: int,
    year: int,
) -> tuple[npt.NDArray[np.bool_], list[dict[str, object]]]:
    """Spikes, stuck periods and gaps at :data:`FAULT_RATES`; returns the kept mask and a log."""
    rng = stream(seed, "thermal-faults", year)
    n_t, n_s = out["air_temp_c"].shape
    keep = np.ones((n_t, n_s), dtype=bool)
    per_hour = 60.0 / interval_min
    log: list[dict[str, object]] = []

    def entry(s: int, fault: str, var: str, i0: int, i1: int, mag: float) -> None:
        log.append(
            {
                "sensor_id": registry["sensor_id"].iloc[s],
                "fault": fault,
                "variable": var,
                "start": i0,
                "end": i1,
                "n_readings": i1 - i0 + 1,
                "magnitude": round(mag, 2),
                "simulated": True,
            }
        )

    for s in range(n_s):
        for i in np.sort(rng.choice(n_t, rng.poisson(n_t * FAULT_RATES.spike_per_reading))):
            var = str(
                rng.choice(["air_temp_c", "globe_temp_c", "rel_humidity_pct"], p=[0.5, 0.3, 0.2])
            )
            size = rng.uniform(25.0, 40.0) if var == "rel_humidity_pct" else rng.uniform(8.0, 15.0)
            mag = size * rng.choice([-1.0, 1.0])
            before = out[var][i, s]
            new = np.clip(before + mag, 0.0, 100.0) if var == "rel_humidity_pct" else before + mag
            out[var][i, s] = new
            entry(s, "spike", var, int(i), int(i), float(new - before))
        if rng.random() < FAULT_RATES.stuck_station_share:
            lo, hi = FAULT_RATES.stuck_hours
            n = max(2, int(rng.uniform(lo, hi) * per_hour))
            i0 = int(rng.integers(0, max(1, n_t - n)))
            i1 = min(n_t - 1, i0 + n - 1)
            var = str(rng.choice(["rel_humidity_pct", "air_temp_c"], p=[0.6, 0.4]))
            out[var][i0 : i1 + 1, s] = out[var][i0, s]
            entry(s, "stuck", var, i0, i1, 0.0)
        if rng.random() < FAULT_RATES.gap_station_share:
            lo, hi = FAULT_RATES.gap_hours
            n = max(1, int(rng.uniform(lo, hi) * per_hour))
            i0 = int(rng.integers(0, max(1, n_t - n)))
            i1 = min(n_t - 1, i0 + n - 1)
            keep[i0 : i1 + 1, s] = False
            entry(s, "gap", "all", i0, i1, 0.0)
    if log:  # interval positions to times, in one go
        start = times[np.array([e["start"] for e in log])]
        end = times[np.array([e["end"] for e in log])]
        for e, t0, t1 in zip(log, start, end, strict=True):
            e["start"], e["end"] = t0, t1
    return keep, log


def _assemble(
    out: dict[str, npt.NDArray[np.float64]],
    keep: npt.NDArray[np.bool_],
    times: pd.DatetimeIndex,
    registry: pd.DataFrame,
) -> pd.DataFrame:
    """Long table, sensor by sensor, dropping the gap readings."""
    n_t, n_s = keep.shape
    mask = keep.T.ravel()
    t_idx = np.tile(np.arange(n_t), n_s)[mask]
    s_idx = np.repeat(np.arange(n_s), n_t)[mask]
    decimals = {
        "air_temp_c": 2,
        "rel_humidity_pct": 1,
        "wind_speed_m_s": 2,
        "globe_temp_c": 2,
        "solar_wm2": 1,
    }
    frame = pd.DataFrame(
        {
            "time": times[t_idx],
            "sensor_id": pd.Categorical.from_codes(
                s_idx, categories=registry["sensor_id"].astype(str).to_numpy()
            ),
            "lat": np.nan,
            "lon": np.nan,
            **{
                name: np.round(out[name].T.ravel()[mask], decimals[name]) + 0.0 for name in decimals
            },
            "level": registry["level"].to_numpy(dtype=np.int64)[s_idx],
            "simulated": True,
        },
        columns=list(READING_COLUMNS),
    )
    return frame
