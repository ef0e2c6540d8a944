"""
Quality control of readings, counts, steps and survey rows, as per-row flags.

Flags follow common meteorological QC practice (physical range, spike/step, persistence, duplicate,
time and location plausibility) and are stored per row in the integer column ``qc_flags``: a
bitmask of :class:`comfort.qcflags.QCFlag` (:data:`FLAGS` maps the names to the bits).
``qc_flags = 0`` means the row passed every test. The mask travels as an integer to the store's
frames, the comfort field and the exports; :func:`flag_names` gives readable names where a
person reads them. A flagged row is kept: flags describe doubts, they never drop data. Rows that
cannot be stored at all (unparseable key fields, text in a numeric field) go to the quarantine
table instead.

The plausible ranges of each kind's variables live with the kind's adapter
(:mod:`sensors.kinds`). All tests are vectorised with numpy: arrays in, a ``uint32`` flag array
out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from comfort.qcflags import FLAG_BITS, QCFlag

#: Flag names → bits, in the order they are documented (docs/STORE.md); an alias of
#: :data:`comfort.qcflags.FLAG_BITS`.
FLAGS: dict[str, int] = FLAG_BITS

_ALL = sum(FLAG_BITS.values())  # every known bit

#: Largest plausible change between consecutive readings of one sensor (step/spike limits).
STEP_LIMITS: dict[str, float] = {
    "air_temp_c": 4.0,
    "rel_humidity_pct": 25.0,
    "globe_temp_c": 12.0,
}

#: Variables tested for persistence, and the shortest stuck duration that is flagged (minutes).
PERSISTENCE_VARIABLES: tuple[str, ...] = ("air_temp_c", "rel_humidity_pct", "globe_temp_c")
PERSISTENCE_MIN = 180.0

#: Consecutive readings further apart than this are not compared by the step/spike tests (min).
MAX_GAP_MIN = 60.0

#: Globe temperature may be below air temperature at night (radiative cooling), but not by more
#: than this (K).
GLOBE_BELOW_AIR_K = 5.0

#: Timestamps up to this far in the future are tolerated (clock skew), in minutes.
FUTURE_TOLERANCE_MIN = 10.0


def flag_names(mask: int) -> list[str]:
    """
    Names of the flags set in ``mask``, in bit order.

    Examples
    --------
    >>> flag_names(QCFlag.RANGE | QCFlag.DUPLICATE)
    ['range', 'duplicate']
    >>> flag_names(0)
    []
    """
    return QCFlag(int(mask) & _ALL).names()


def range_flags(
    values: Mapping[str, npt.ArrayLike], ranges: Mapping[str, tuple[float, float]]
) -> npt.NDArray[np.uint32]:
    """
    Range and missing-value flags.

    Parameters
    ----------
    values
        Variable name → values (NaN where missing).
    ranges
        Variable name → (low, high), inclusive, in the variable's unit.

    Returns
    -------
    numpy.ndarray
        ``uint32`` flags (``range``, ``missing``).
    """
    out: npt.NDArray[np.uint32] | None = None
    for name, vals in values.items():
        v = np.asarray(vals, dtype=np.float64)
        if out is None:
            out = np.zeros(v.shape, dtype=np.uint32)
        lo, hi = ranges[name]
        nan = np.isnan(v)
        with np.errstate(invalid="ignore"):
            out[~nan & ((v < lo) | (v > hi))] |= np.uint32(QCFlag.RANGE)
        out[nan] |= np.uint32(QCFlag.MISSING)
    assert out is not None
    return out


def series_flags(
    group: npt.NDArray[np.int64],
    time_us: npt.NDArray[np.int64],
    values: Mapping[str, npt.NDArray[np.float64]],
    level: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.uint32]:
    """
    Duplicate, step, spike and persistence flags along each sensor's time series.

    The arrays must be sorted by (``group``, ``time_us``, file order). Consecutive readings of
    one group are compared when they are at most :data:`MAX_GAP_MIN` apart and on the same
    level (a mobile kit going underground changes conditions legitimately).

    Parameters
    ----------
    group
        Integer code of the sensor (series key).
    time_us
        Reading time (microseconds since the epoch).
    values
        Variable name → values (NaN where missing); variables without a step limit or
        persistence test are ignored.
    level
        Level of each reading (0 street, −1 underground), optional.

    Returns
    -------
    numpy.ndarray
        ``uint32`` flags in the same (sorted) order.
    """
    n = group.size
    out = np.zeros(n, dtype=np.uint32)
    if n < 2:
        return out
    same = group[1:] == group[:-1]
    dt_min = (time_us[1:] - time_us[:-1]) / 60e6
    dup = same & (dt_min == 0)
    out[1:][dup] |= np.uint32(QCFlag.DUPLICATE)
    near = same & (dt_min > 0) & (dt_min <= MAX_GAP_MIN)
    if level is not None:
        near &= level[1:] == level[:-1]
    for name, limit in STEP_LIMITS.items():
        if name not in values:
            continue
        v = values[name]
        d = v[1:] - v[:-1]  # d[i] = v[i+1] - v[i]
        with np.errstate(invalid="ignore"):
            big = near & (np.abs(d) > limit)
        # spike at i: jump in from i-1 and back out to i+1 with opposite sign (the signs are
        # compared only where both jumps are big, which is rare)
        spike = np.zeros(n, dtype=bool)
        both = np.flatnonzero(big[:-1] & big[1:])
        spike[both + 1] = np.sign(d[both]) != np.sign(d[both + 1])
        step = np.zeros(n, dtype=bool)
        step[1:] = big
        step &= ~spike
        step[1:] &= ~spike[:-1]  # the return from a spike is not a step
        out[spike] |= np.uint32(QCFlag.SPIKE)
        out[step] |= np.uint32(QCFlag.STEP)
    for name in PERSISTENCE_VARIABLES:
        if name not in values:
            continue
        v = values[name]
        changed = np.ones(n, dtype=bool)
        changed[1:] = ~(same & (dt_min <= MAX_GAP_MIN) & (v[1:] == v[:-1]))
        # runs of unchanged values: the duration of a run decides for all its readings; a run
        # of one reading lasts 0 min, so only longer runs are looked at
        starts = np.flatnonzero(changed)
        ends = np.append(starts[1:], n) - 1
        multi = np.flatnonzero(ends > starts)
        s_m, e_m = starts[multi], ends[multi]
        stuck_run = (time_us[e_m] - time_us[s_m]) / 60e6 >= PERSISTENCE_MIN
        if not stuck_run.any():
            continue
        edge = np.zeros(n + 1, dtype=np.int8)  # +1 where a stuck run starts, -1 after it ends
        edge[s_m[stuck_run]] += 1
        edge[e_m[stuck_run] + 1] -= 1
        stuck = np.cumsum(edge[:n], dtype=np.int8) > 0
        stuck &= ~np.isnan(v)
        out[stuck] |= np.uint32(QCFlag.PERSISTENCE)
    return out


def globe_flags(
    globe_temp_c: npt.ArrayLike, air_temp_c: npt.ArrayLike, limit_k: float = GLOBE_BELOW_AIR_K
) -> npt.NDArray[np.uint32]:
    """
    Flag globe temperature far below air temperature.

    A globe a little below air temperature is normal at night (long-wave loss to a clear sky);
    more than ``limit_k`` below means a wet, shaded-badly or faulty globe.

    Parameters
    ----------
    globe_temp_c
        Globe temperature (°C).
    air_temp_c
        Air temperature (°C).
    limit_k
        Largest plausible deficit (K).

    Examples
    --------
    >>> globe_flags([10.0, 2.0], [11.0, 9.0]).tolist()
    [0, 256]
    """
    g = np.asarray(globe_temp_c, dtype=np.float64)
    a = np.asarray(air_temp_c, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = (a - g) > limit_k
    return np.where(bad, QCFlag.GLOBE_BELOW_AIR, 0).astype(np.uint32)


def time_flags(
    time_us: npt.ArrayLike,
    now_us: int,
    installed_us: npt.ArrayLike | None = None,
    tolerance_min: float = FUTURE_TOLERANCE_MIN,
) -> npt.NDArray[np.uint32]:
    """
    Flag timestamps in the future or before the sensor was installed.

    Parameters
    ----------
    time_us
        Reading times (µs since the epoch).
    now_us
        The ingest time (µs since the epoch).
    installed_us
        Installation time of each row's sensor (µs; a very small number when unknown).
    tolerance_min
        Clock-skew tolerance for the future test (min).
    """
    t = np.asarray(time_us, dtype=np.int64)
    out = np.where(t > now_us + int(tolerance_min * 60e6), QCFlag.FUTURE, 0).astype(np.uint32)
    if installed_us is not None:
        out[t < np.asarray(installed_us, dtype=np.int64)] |= np.uint32(QCFlag.BEFORE_INSTALL)
    return out


def area_flags(
    lon: npt.ArrayLike, lat: npt.ArrayLike, area_wgs84: Any, *, unknown_ok: bool = True
) -> npt.NDArray[np.uint32]:
    """
    Flag locations outside the (already buffered) planning area.

    Distinct locations are tested once, so a million readings of a hundred fixed sensors cost
    a hundred point-in-polygon tests.

    Parameters
    ----------
    lon, lat
        Longitude and latitude (degrees, WGS 84); NaN when unknown.
    area_wgs84
        Shapely polygon of the planning area plus its buffer, in WGS 84 (lon, lat), or ``None``
        to skip the test.
    unknown_ok
        Rows without a location are not flagged.
    """
    import pandas as pd
    import shapely

    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    out = np.zeros(x.shape, dtype=np.uint32)
    if area_wgs84 is None or x.size == 0:
        return out
    known = ~(np.isnan(x) | np.isnan(y))
    xi = np.round(np.where(known, x, 0.0) * 1e7).astype(np.int64)
    yi = np.round(np.where(known, y, 0.0) * 1e7).astype(np.int64)
    codes, uniq = pd.factorize(yi * 4_000_000_000 + xi)
    ux = (uniq % 4_000_000_000) / 1e7
    uy = (uniq // 4_000_000_000) / 1e7
    shapely.prepare(area_wgs84)
    inside = shapely.contains_xy(area_wgs84, ux, uy)
    outside = ~inside[codes] & known
    out[outside] = QCFlag.OUTSIDE_AREA
    if not unknown_ok:
        out[~known] = QCFlag.OUTSIDE_AREA
    return out


def area_in_wgs84(area: Any, crs: str = "EPSG:6680", buffer_m: float = 100.0) -> Any:
    """
    The planning area buffered by ``buffer_m`` metres and transformed to WGS 84 (lon, lat).

    Parameters
    ----------
    area
        A GeoDataFrame/GeoSeries (any projected CRS) or a shapely geometry in ``crs``.
    crs
        CRS of a bare shapely geometry (metres).
    buffer_m
        Tolerance around the area (m): GPS error and readings on the boundary streets.
    """
    import geopandas as gpd

    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        geom_crs = series.crs or crs
        geom = series.union_all()
    else:
        geom, geom_crs = area, crs
    gs = gpd.GeoSeries([geom], crs=geom_crs)
    if gs.crs is not None and gs.crs.is_geographic:
        gs = gs.to_crs("EPSG:6680")
    return gs.buffer(buffer_m).to_crs("EPSG:4326").iloc[0]
