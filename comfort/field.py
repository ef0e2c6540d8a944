"""
The space–time comfort field: sensor readings turned into conditions on every street and place.

For every hour and every target (a street segment midpoint or a public place) the field gives air
temperature, mean radiant temperature (MRT), wind speed and relative humidity, the UTCI computed
from them, its stress category and a comfort score, the wind chill and the outdoor WBGT, with a
standard error for air temperature, MRT and UTCI. The model, per hour and per variable, is

    value(target, hour) = X(target) · beta(hour) + residual interpolated from the sensors,

where ``X`` holds covariates known everywhere on the network (street orientation as
``sin 2θ``/``cos 2θ``, wide street, next to Odori Park, distance to the Sosei river) and
``beta(hour)`` is a ridge regression fitted across the sensors of that hour. Because
``beta`` is refitted every hour, the orientation terms take whatever sign the sun and the wind
give them at that hour (a sunlit east–west street at noon, a north–south street channelling a
northerly wind). The regression residuals at the sensors are spread to the targets by inverse
distance weighting that fades to zero far from every sensor.

Street-level targets use street-level sensors only; underground and indoor targets use the
underground (indoor) sensors only. All hours are solved at once: one batched
``numpy.linalg.solve`` over ``(hours, p, p)`` systems and one matrix product for the residuals.

Leave-one-sensor-out cross-validation (:func:`loso_cv`) measures the error at a sensor when it
is left out; its squared errors, scaled by distance to the nearest other sensor, give the
standard error of every target and hour (see ``docs/FIELD.md``).

This module is pure: DataFrames in, numpy arrays and an :class:`xarray.Dataset` out. Loading and
saving live in :mod:`sensors.fieldstore`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
import xarray as xr

from comfort import indices
from comfort.errors import FieldInputError

#: Projected CRS (metres) of the area model: JGD2011 / Japan Plane Rectangular CS XII.
DEFAULT_CRS = "EPSG:6680"

#: Time zone of the field's (naive) timestamps.
TIME_ZONE = "Asia/Tokyo"

#: The interpolated variables, in the order they are modelled.
VARIABLES: tuple[str, ...] = ("air_temp_c", "mrt_c", "wind_speed_ms", "rel_humidity_pct")

#: Variables that get a standard error ``<name>_se``.
SE_VARIABLES: tuple[str, ...] = ("air_temp_c", "mrt_c", "utci_c")

#: Street covariates, in design-matrix order (after the intercept).
COVARIATES: tuple[str, ...] = ("orient_sin2", "orient_cos2", "wide", "park", "river_km")

#: Target groups: street-level (outdoor) and underground/indoor.
STREET, UNDERGROUND = "street", "underground"

#: Value of ``utci_category`` where UTCI is undefined (:data:`comfort.indices.MISSING_CODE`).
CATEGORY_FILL = int(indices.MISSING_CODE)

#: QC flags (names of :data:`sensors.qc.FLAGS`) that do not exclude a reading.
DEFAULT_KEEP_FLAGS: tuple[str, ...] = ("estimated", "missing", "unregistered")

#: QC flags that exclude only the globe temperature (hence the MRT) of a reading.
GLOBE_FLAGS: tuple[str, ...] = ("globe_below_air",)

#: Seasons of the year by month (meteorological): winter DJF, spring MAM, summer JJA, autumn SON.
SEASONS: tuple[str, ...] = ("DJF", "MAM", "JJA", "SON")

_META = {
    "air_temp_c": ("degC", "air temperature", "air_temperature"),
    "mrt_c": ("degC", "mean radiant temperature", None),
    "wind_speed_ms": ("m s-1", "wind speed at the reference sensor height", "wind_speed"),
    "rel_humidity_pct": ("percent", "relative humidity", "relative_humidity"),
    "utci_c": ("degC", "Universal Thermal Climate Index", None),
    "utci_category": ("1", "UTCI thermal stress category code (comfort.indices)", None),
    "comfort": ("1", "comfort score 0..1 from UTCI (comfort.indices.comfort_score)", None),
    "wind_chill_c": (
        "degC",
        "wind chill temperature (Environment Canada / US NWS 2001, comfort.indices.wind_chill)",
        None,
    ),
    "wbgt_c": (
        "degC",
        "outdoor wet-bulb globe temperature (ISO 7243, estimated natural wet bulb; "
        "comfort.indices.wbgt_outdoor)",
        None,
    ),
}

#: Diameter (m) of the globe whose temperature WBGT is defined for (the standard 0.15 m globe).
WBGT_GLOBE_DIAMETER_M = 0.15


@dataclass(frozen=True)
class FieldConfig:
    """
    Parameters of the field model.

    Attributes
    ----------
    ridge
        Ridge penalty on the standardised covariate coefficients (the intercept is not
        penalised), in units of "sensors": 1 shrinks as much as one extra sensor reading zero.
    idw_power
        Power of inverse-distance weighting of the residuals.
    idw_smoothing_m
        Distance (m) added in quadrature to every distance, so that a target on a sensor takes
        (almost) its residual without an infinite weight.
    idw_range_m
        Range (m) of the residuals: a virtual sensor with zero residual is placed at this
        distance from every target, so the residual fades beyond it and the regression rules.
    place_radius_m
        A place takes the mean covariates of the street segments within this distance (m) of
        its outline (the nearest segment when none is that close).
    sensor_snap_max_m
        A sensor farther than this (m) from every segment of its level is an input error.
    keep_flags
        QC flags that do not exclude a reading; a reading with any other flag is excluded.
    mobile
        Use mobile sensors (``kind == "mobile"`` in the registry); off by default because their
        position changes and their readings are transects, not fixed series.
    """

    ridge: float = 1.0
    idw_power: float = 2.0
    idw_smoothing_m: float = 15.0
    idw_range_m: float = 300.0
    place_radius_m: float = 60.0
    sensor_snap_max_m: float = 150.0
    keep_flags: tuple[str, ...] = DEFAULT_KEEP_FLAGS
    mobile: bool = False


# --------------------------------------------------------------------------------------------
# Covariates and targets
# --------------------------------------------------------------------------------------------


def _group_of(level: pd.Series, indoor: pd.Series | None) -> npt.NDArray[np.str_]:
    under = level.to_numpy(dtype=float) < 0
    if indoor is not None:
        under = under | indoor.fillna(False).to_numpy(dtype=bool)
    return np.where(under, UNDERGROUND, STREET)


def covariate_frame(segments: pd.DataFrame) -> pd.DataFrame:
    """
    The street covariates of the field model for each segment.

    Parameters
    ----------
    segments
        Segment table with ``bearing_deg`` (degrees, [0, 180)), ``width_class``
        (``"wide"``/``"standard"``), ``park_adjacent`` (bool) and ``river_dist_m`` (m).
        Missing values (underground segments have none) become 0 / False / the median
        river distance; they do not enter the underground model, which has an intercept only.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COVARIATES`, same index as ``segments``: ``orient_sin2`` and
        ``orient_cos2`` (sine and cosine of twice the bearing, so that 0° and 180° agree),
        ``wide`` (0/1), ``park`` (0/1), ``river_km`` (km, capped at 2 km).

    Examples
    --------
    >>> seg = pd.DataFrame({"bearing_deg": [0.0, 90.0], "width_class": ["wide", "standard"],
    ...                     "park_adjacent": [True, False], "river_dist_m": [100.0, 2500.0]})
    >>> covariate_frame(seg).round(3).to_dict("list")["river_km"]
    [0.1, 2.0]
    """
    theta = np.radians(pd.to_numeric(segments.get("bearing_deg"), errors="coerce"))
    theta = pd.Series(theta, index=segments.index).fillna(0.0)
    wide = segments.get("width_class", pd.Series("standard", index=segments.index))
    park = segments.get("park_adjacent", pd.Series(False, index=segments.index))
    river = pd.to_numeric(
        segments.get("river_dist_m", pd.Series(np.nan, index=segments.index)), errors="coerce"
    )
    river = river.fillna(river.median() if river.notna().any() else 0.0)
    out = pd.DataFrame(
        {
            "orient_sin2": np.sin(2 * theta.to_numpy()),
            "orient_cos2": np.cos(2 * theta.to_numpy()),
            "wide": (wide.astype("string").fillna("") == "wide").to_numpy(dtype=float),
            "park": park.astype("boolean").fillna(False).to_numpy(dtype=float),
            "river_km": np.minimum(river.to_numpy(dtype=float) / 1000.0, 2.0),
        },
        index=segments.index,
    )
    return out


def _segment_frame(segments: pd.DataFrame) -> pd.DataFrame:
    """The segment table with ``segment_id`` as a column (segment_table keeps it as the index)."""
    if "segment_id" not in segments.columns and segments.index.name == "segment_id":
        return segments.reset_index()
    return segments


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str, fix: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FieldInputError(
            f"{what} must have columns {list(columns)}; missing {missing} "
            f"(columns present: {list(frame.columns)}). {fix}"
        )


def edge_targets(segments: pd.DataFrame) -> pd.DataFrame:
    """
    Field targets for street and walkway segments: one row per ``segment_id``.

    Parameters
    ----------
    segments
        The segment table (:func:`comfort.network.segment_table`): ``segment_id``, ``level``,
        ``mid_x``, ``mid_y`` (m, projected), optional ``indoor`` and the covariate columns.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``x``, ``y`` (m), ``level``, ``group`` and the :data:`COVARIATES`.

    Raises
    ------
    FieldInputError
        A required column is missing or a ``segment_id`` repeats.
    """
    segments = _segment_frame(segments)
    _require(
        segments,
        ["segment_id", "level", "mid_x", "mid_y"],
        "the segment table",
        "Build it with comfort.network.segment_table(G).",
    )
    dup = segments["segment_id"].duplicated()
    if dup.any():
        raise FieldInputError(
            f"segment_id must be unique in the segment table; {int(dup.sum())} repeat "
            f"(first: {segments.loc[dup, 'segment_id'].iloc[0]}). Pass one row per segment."
        )
    seg = segments.reset_index(drop=True)
    cov = covariate_frame(seg)
    return pd.DataFrame(
        {
            "id": seg["segment_id"].to_numpy(),
            "x": seg["mid_x"].to_numpy(dtype=float),
            "y": seg["mid_y"].to_numpy(dtype=float),
            "level": seg["level"].to_numpy(dtype=int),
            "group": _group_of(seg["level"], seg.get("indoor")),
            **{c: cov[c].to_numpy() for c in COVARIATES},
        }
    )


def _segment_geometries(segments: pd.DataFrame) -> npt.NDArray[np.object_]:
    if "geometry" in segments.columns:
        return np.asarray(segments["geometry"].to_numpy(), dtype=object)
    return np.asarray(
        shapely.points(segments["mid_x"].to_numpy(float), segments["mid_y"].to_numpy(float)),
        dtype=object,
    )


def place_targets(
    places: pd.DataFrame, segments: pd.DataFrame, crs: str = DEFAULT_CRS, radius_m: float = 60.0
) -> pd.DataFrame:
    """
    Field targets for public places, with covariates taken from the streets around them.

    A place's covariates are the mean of those of the segments of its group (street or
    underground) lying within ``radius_m`` of its outline, or of the nearest such segment when
    none is that close; a place that carries the covariate columns itself
    (:data:`COVARIATES`) keeps its own values. Underground places and indoor places take the
    underground (indoor) sensors, the only measured indoor conditions.

    Parameters
    ----------
    places
        A GeoDataFrame with ``place_id``, ``level``, ``indoor`` and a geometry (any CRS; points
        or polygons).
    segments
        The segment table (as for :func:`edge_targets`), with geometries in ``crs``.
    crs
        Projected CRS (metres) of the segments.
    radius_m
        Neighbourhood (m) of a place whose segments give its covariates.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``x``, ``y`` (m, a point inside the place), ``level``, ``group`` and the
        :data:`COVARIATES`.
    """
    _require(
        places,
        ["place_id", "level", "indoor", "geometry"],
        "the places layer",
        "Load it with sensors.places (place_id, level, indoor, geometry).",
    )
    geoms = places.geometry if hasattr(places, "geometry") else places["geometry"]
    src_crs = getattr(places, "crs", None)
    if src_crs is not None and pyproj.CRS.from_user_input(src_crs) != pyproj.CRS(crs):
        geoms = geoms.to_crs(crs)
    geom_arr = np.asarray(geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms, dtype=object)
    pts = shapely.point_on_surface(geom_arr)
    segments = _segment_frame(segments)
    seg_targets = edge_targets(segments)
    seg_geoms = _segment_geometries(segments.reset_index(drop=True))
    group = _group_of(
        places["level"].reset_index(drop=True), places["indoor"].reset_index(drop=True)
    )
    cov = np.zeros((len(places), len(COVARIATES)))
    for i, (geom, grp) in enumerate(zip(geom_arr, group, strict=True)):
        cand = np.flatnonzero(seg_targets["group"].to_numpy() == grp)
        if cand.size == 0:
            cand = np.arange(len(seg_targets))
        dist = shapely.distance(seg_geoms[cand], geom)
        near = cand[dist <= radius_m]
        if near.size == 0:
            near = cand[[int(np.argmin(dist))]]
        cov[i] = seg_targets.loc[near, list(COVARIATES)].to_numpy(float).mean(axis=0)
    out = pd.DataFrame(
        {
            "id": places["place_id"].astype(str).to_numpy(),
            "x": shapely.get_x(pts),
            "y": shapely.get_y(pts),
            "level": places["level"].to_numpy(dtype=int),
            "group": group,
            **{c: cov[:, k] for k, c in enumerate(COVARIATES)},
        }
    )
    for c in COVARIATES:
        if c in places.columns:
            own = pd.to_numeric(places[c], errors="coerce").to_numpy(dtype=float)
            out[c] = np.where(np.isfinite(own), own, out[c].to_numpy())
    return out


def sensor_sites(
    sensors: pd.DataFrame,
    segments: pd.DataFrame,
    crs: str = DEFAULT_CRS,
    snap_max_m: float = 150.0,
) -> pd.DataFrame:
    """
    Sensor positions (m) and covariates: each sensor takes those of the nearest segment of its
    level (street sensors from street segments, underground sensors from walkway segments).

    Parameters
    ----------
    sensors
        Registry with ``sensor_id``, ``lat``, ``lon`` (degrees), ``level``; optional
        ``height_m`` (m, default 1.5) and ``globe_diameter_m`` (m, default 0.15).
    segments
        The segment table (as for :func:`edge_targets`).
    crs
        Projected CRS (metres) of the segments.
    snap_max_m
        Largest allowed distance (m) from a sensor to the nearest segment of its level.

    Returns
    -------
    pandas.DataFrame
        ``sensor_id``, ``x``, ``y`` (m), ``level``, ``group``, ``height_m``,
        ``globe_diameter_m``, ``snap_dist_m``, ``segment_id`` and the :data:`COVARIATES`.

    Raises
    ------
    FieldInputError
        A column is missing, or a sensor lies farther than ``snap_max_m`` from the network.
    """
    _require(
        sensors,
        ["sensor_id", "lat", "lon", "level"],
        "the sensor registry",
        "Read it with sensors.store.Store(path).sensors().",
    )
    segments = _segment_frame(segments)
    reg = sensors.drop_duplicates("sensor_id").reset_index(drop=True)
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_xy.transform(reg["lon"].to_numpy(float), reg["lat"].to_numpy(float))
    seg = segments.reset_index(drop=True)
    seg_t = edge_targets(seg)
    seg_geoms = _segment_geometries(seg)
    group = _group_of(reg["level"], None)
    pts = shapely.points(x, y)
    nearest = np.zeros(len(reg), dtype=int)
    snap = np.zeros(len(reg))
    for grp in (STREET, UNDERGROUND):
        rows = np.flatnonzero(group == grp)
        if rows.size == 0:
            continue
        cand = np.flatnonzero(seg_t["group"].to_numpy() == grp)
        if cand.size == 0:
            raise FieldInputError(
                f"{rows.size} {grp} sensor(s) (e.g. {reg.loc[rows[0], 'sensor_id']}) but the "
                f"segment table has no {grp} segments; pass the full area graph's segments."
            )
        d = shapely.distance(pts[rows][:, None], seg_geoms[cand][None, :])
        nearest[rows] = cand[np.argmin(d, axis=1)]
        snap[rows] = d.min(axis=1)
    far = snap > snap_max_m
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise FieldInputError(
            f"sensors must lie within {snap_max_m:.0f} m of a segment of their level; "
            f"{int(far.sum())} do not (sensor {reg.loc[i, 'sensor_id']} is {snap[i]:.0f} m away "
            f"at lat {reg.loc[i, 'lat']}, lon {reg.loc[i, 'lon']}). Check its coordinates and "
            "level, or that the segments cover the sensor's area."
        )
    height = pd.to_numeric(reg.get("height_m", pd.Series(1.5, index=reg.index)), errors="coerce")
    globe = pd.to_numeric(
        reg.get("globe_diameter_m", pd.Series(0.15, index=reg.index)), errors="coerce"
    )
    return pd.DataFrame(
        {
            "sensor_id": reg["sensor_id"].astype(str).to_numpy(),
            "x": np.asarray(x, dtype=float),
            "y": np.asarray(y, dtype=float),
            "level": reg["level"].to_numpy(dtype=int),
            "group": group,
            "height_m": height.fillna(1.5).to_numpy(dtype=float),
            "globe_diameter_m": globe.fillna(0.15).to_numpy(dtype=float),
            "snap_dist_m": snap,
            "segment_id": seg_t["id"].to_numpy()[nearest],
            **{c: seg_t[c].to_numpy()[nearest] for c in COVARIATES},
        }
    )


# --------------------------------------------------------------------------------------------
# Readings to hour × sensor arrays
# --------------------------------------------------------------------------------------------


def to_local_naive(times: Any) -> pd.DatetimeIndex:
    """
    Timestamps as naive Asia/Tokyo wall-clock times (the field's time axis).

    Timezone-aware input is converted to Asia/Tokyo; naive input is taken as Asia/Tokyo already
    (the project's convention for timestamps without a zone).

    Examples
    --------
    >>> to_local_naive(pd.to_datetime(["2022-01-01T00:00Z"]))[0]
    Timestamp('2022-01-01 09:00:00')
    """
    try:
        idx = pd.DatetimeIndex(times)
    except ValueError:  # timezone-aware values in several zones
        idx = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    if idx.tz is not None:
        idx = idx.tz_convert(TIME_ZONE).tz_localize(None)
    return idx


def _flag_sets(values: pd.Series) -> list[set[str]]:
    out: list[set[str]] = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(set())
        elif isinstance(v, list | tuple | set | np.ndarray):
            out.append({str(f) for f in v if str(f)})
        else:
            text = str(v).replace("|", ",").replace(";", ",").replace(" ", ",")
            out.append({f for f in text.split(",") if f})
    return out


def _reading_flags(readings: pd.DataFrame) -> list[set[str]] | None:
    """Flag names per reading, or None when the table carries only an unnamed bitmask."""
    for col in ("qc", "qc_flags"):
        if col in readings.columns and not pd.api.types.is_numeric_dtype(readings[col]):
            return _flag_sets(readings[col])
    bool_cols = [
        c
        for c in readings.columns
        if c.startswith("qc_")
        and (pd.api.types.is_bool_dtype(readings[c]) or str(readings[c].dtype) == "boolean")
    ]
    if bool_cols:
        arr = readings[bool_cols].astype("boolean").fillna(False).to_numpy(dtype=bool)
        names = [c[3:] for c in bool_cols]
        return [{names[j] for j in np.flatnonzero(row)} for row in arr]
    if "qc_flags" in readings.columns or "qc_ok" in readings.columns:
        return None
    return [set() for _ in range(len(readings))]


def qc_exclusion(
    readings: pd.DataFrame,
    keep_flags: Sequence[str] = DEFAULT_KEEP_FLAGS,
    globe_flags: Sequence[str] = GLOBE_FLAGS,
) -> pd.DataFrame:
    """
    Which readings (or which globe readings) the field excludes because of a QC flag.

    Flag names are read from the store's text column ``qc`` (names separated by commas, as
    :meth:`sensors.store.Store.readings` returns them), from a text/list column ``qc_flags``,
    or from boolean columns ``qc_<flag>``. A reading is excluded when it carries a flag that is
    neither in ``keep_flags`` nor in ``globe_flags``; a flag in ``globe_flags`` excludes only its
    globe temperature, hence its MRT (air, humidity and wind are kept). When the table has only
    an integer bitmask ``qc_flags`` and no names, every non-zero mask excludes the reading (the
    bits cannot be told apart without the names). A boolean column ``qc_ok`` False excludes too.

    Default: kept are ``estimated`` (the source's corrected value is still a measurement),
    ``missing`` (the missing value is NaN and drops out by itself; the others are used) and
    ``unregistered`` (the sensor was not in the registry when the reading was ingested; the
    field places sensors from the registry it is given and leaves out, and counts, readings of
    sensors still missing from it);
    ``globe_below_air`` drops the MRT only; every other flag of :mod:`sensors.qc` (range,
    spike, step, persistence, duplicate, future, before_install, outside_area) drops the whole
    reading. (:func:`sensor_arrays` further drops MRT that fails
    :func:`comfort.indices.mrt_plausible`; that is not a QC flag.)

    Parameters
    ----------
    readings
        The readings table.
    keep_flags
        Flags that do not exclude anything.
    globe_flags
        Flags that exclude the globe temperature (MRT) only.

    Returns
    -------
    pandas.DataFrame
        Boolean columns ``reading`` (whole reading excluded) and ``globe`` (MRT excluded), same
        index as ``readings``.

    Examples
    --------
    >>> r = pd.DataFrame({"qc": ["", "spike", "estimated", None, "globe_below_air"]})
    >>> qc_exclusion(r)["reading"].tolist()
    [False, True, False, False, False]
    >>> qc_exclusion(r)["globe"].tolist()
    [False, True, False, False, True]
    """
    keep, globe = set(keep_flags), set(globe_flags)
    sets = _reading_flags(readings)
    if sets is None:
        whole = pd.Series(False, index=readings.index)
        if "qc_flags" in readings.columns:
            whole |= pd.to_numeric(readings["qc_flags"], errors="coerce").fillna(0).to_numpy() != 0
    else:
        whole = pd.Series([bool(s - keep - globe) for s in sets], index=readings.index)
    if "qc_ok" in readings.columns:
        whole |= ~readings["qc_ok"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    globe_only = (
        pd.Series([bool(s & globe) for s in sets], index=readings.index)
        if sets is not None
        else pd.Series(False, index=readings.index)
    )
    return pd.DataFrame({"reading": whole, "globe": whole | globe_only})


@dataclass
class SensorArrays:
    """
    Readings arranged as ``(hour, sensor)`` arrays, NaN where missing or excluded.

    Attributes
    ----------
    times
        The hours (naive Asia/Tokyo).
    sensors
        The sensor sites (:func:`sensor_sites`), in column order.
    values
        One ``(hour, sensor)`` array per variable of :data:`VARIABLES`; ``wind_speed_ms`` at
        the reference height ``reference_height_m``; ``mrt_c`` from the globe (ISO 7726), NaN
        where :func:`comfort.indices.mrt_plausible` rejects it.
    utci_c
        UTCI at the sensors (°C), from the observed variables.
    reference_height_m
        Height (m) the wind speeds are expressed at.
    excluded
        What was left out, per reason: readings excluded by QC (``"qc"``; ``"qc_globe_only"``
        lost their globe temperature only), of mobile (``"mobile"``) or unknown
        (``"unknown_sensor"``) sensors, or outside the hours (``"outside_time_range"``); and
        sensor-hours whose MRT failed :func:`comfort.indices.mrt_plausible`
        (``"mrt_implausible"``: MRT and observed UTCI set to NaN; air, humidity and wind kept).
    simulated
        True when any reading is simulated.
    averaged_cells
        Number of sensor-hours that averaged more than one reading (e.g. 10-minute data);
        nothing is excluded there.
    """

    times: pd.DatetimeIndex
    sensors: pd.DataFrame
    values: dict[str, npt.NDArray[np.float64]]
    utci_c: npt.NDArray[np.float64]
    reference_height_m: float
    excluded: dict[str, int] = field(default_factory=dict)
    simulated: bool = False
    averaged_cells: int = 0


def _wind_factor_to_10m(height_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Factor from wind at ``height_m`` to wind at 10 m (log profile of comfort.indices)."""
    h = np.asarray(height_m, dtype=float)
    out = np.empty(h.shape)
    for value in np.unique(h):
        out[h == value] = float(indices.wind_speed_at_10m(1.0, float(value)))
    return out


def _mrt(
    globe_c: npt.NDArray[np.float64],
    air_c: npt.NDArray[np.float64],
    wind_ms: npt.NDArray[np.float64],
    diameter_m: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """
    MRT (°C) of ``(hour, sensor)`` arrays, one globe diameter (m) per sensor, and where it is
    plausible (:func:`comfort.indices.mrt_plausible`; False where MRT is NaN).
    """
    out = np.full(globe_c.shape, np.nan)
    plausible = np.zeros(globe_c.shape, dtype=bool)
    for d in np.unique(diameter_m):
        cols = np.flatnonzero(diameter_m == d)
        g, a, w = globe_c[:, cols], air_c[:, cols], wind_ms[:, cols]
        out[:, cols] = indices.mean_radiant_temperature(g, a, w, globe_diameter_m=float(d))
        plausible[:, cols] = indices.mrt_plausible(g, a, w, globe_diameter_m=float(d))
    return out, plausible


def sensor_arrays(
    readings: pd.DataFrame,
    sites: pd.DataFrame,
    times: Any = None,
    keep_flags: Sequence[str] = DEFAULT_KEEP_FLAGS,
    mobile_ids: Sequence[str] = (),
) -> SensorArrays:
    """
    Arrange readings into ``(hour, sensor)`` arrays, after QC exclusion and MRT from the globe.

    Readings are put on the hour they fall in (the mean is taken when a sensor reports more
    than once in an hour; the field is hourly). Each sensor's wind is expressed at the median
    sensor height with the log profile of :func:`comfort.indices.wind_speed_at_10m`; MRT comes
    from globe, air temperature and wind at the globe (hourly means) via
    :func:`comfort.indices.mean_radiant_temperature` with the sensor's globe diameter. An MRT
    that :func:`comfort.indices.mrt_plausible` rejects (cold air and strong wind amplify
    globe errors; an iced globe) is set to NaN, so is the observed UTCI derived from it, and
    the sensor-hour is counted in ``excluded["mrt_implausible"]``.

    Parameters
    ----------
    readings
        ``time``, ``sensor_id``, ``air_temp_c`` (°C), ``rel_humidity_pct`` (%),
        ``wind_speed_ms`` (m/s, at sensor height), ``globe_temp_c`` (°C), QC flag columns
        (see :func:`qc_exclusion`), optional ``simulated``.
    sites
        Sensor sites from :func:`sensor_sites`.
    times
        The hours of the field (default: every hour from the first to the last reading).
    keep_flags
        QC flags that do not exclude a reading.
    mobile_ids
        Sensors whose readings are left out (mobile kits), counted in ``excluded``.

    Raises
    ------
    FieldInputError
        A required column is missing, or no reading is left.
    """
    _require(
        readings,
        ["time", "sensor_id", "air_temp_c", "rel_humidity_pct", "wind_speed_ms", "globe_temp_c"],
        "the readings table",
        "Read it with sensors.store.Store(path).readings(start=..., end=...).",
    )
    excluded: dict[str, int] = {}
    qc = qc_exclusion(readings, keep_flags)
    bad = qc["reading"].to_numpy()
    excluded["qc"] = int(bad.sum())
    excluded["qc_globe_only"] = int((qc["globe"].to_numpy() & ~bad).sum())
    r = readings.loc[~bad]
    globe_bad = qc["globe"].to_numpy()[~bad]
    ids = r["sensor_id"].astype(str)
    mobile = ids.isin(set(map(str, mobile_ids)))
    excluded["mobile"] = int(mobile.sum())
    known = ids.isin(set(sites["sensor_id"]))
    excluded["unknown_sensor"] = int((~known & ~mobile).sum())
    r = r.loc[known & ~mobile]
    globe_bad = globe_bad[(known & ~mobile).to_numpy()]
    if r.empty:
        raise FieldInputError(
            f"no usable readings: {len(readings)} rows arrived, {excluded} were excluded. "
            "Check the QC flags, the time range and that the sensor ids are in the registry."
        )
    local = to_local_naive(r["time"]).floor("h")
    if times is None:
        times = pd.date_range(local.min(), local.max(), freq="h")
    times = to_local_naive(times)
    col = pd.Index(sites["sensor_id"]).get_indexer(r["sensor_id"].astype(str))
    row = times.get_indexer(local)
    inside = row >= 0
    excluded["outside_time_range"] = int((~inside).sum())
    shape = (len(times), len(sites))
    height = sites["height_m"].to_numpy(float)
    ref_h = float(np.median(height))
    factor = _wind_factor_to_10m(height) / _wind_factor_to_10m(np.array([ref_h]))[0]
    raw: dict[str, npt.NDArray[np.float64]] = {}
    flat = row[inside] * shape[1] + col[inside]
    counts = np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape)
    averaged_cells = int((counts > 1).sum())
    for name in ("air_temp_c", "rel_humidity_pct", "wind_speed_ms", "globe_temp_c"):
        v = pd.to_numeric(r[name], errors="coerce").to_numpy(float)
        if name == "globe_temp_c":
            v = np.where(globe_bad, np.nan, v)
        v = v[inside]
        ok = np.isfinite(v)
        sums = np.bincount(flat[ok], weights=v[ok], minlength=counts.size).reshape(shape)
        n = np.bincount(flat[ok], minlength=counts.size).reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw[name] = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
    wind_at_sensor = raw["wind_speed_ms"]
    mrt, plausible = _mrt(
        raw["globe_temp_c"],
        raw["air_temp_c"],
        wind_at_sensor,
        sites["globe_diameter_m"].to_numpy(float),
    )
    implausible = np.isfinite(mrt) & ~plausible
    excluded["mrt_implausible"] = int(implausible.sum())
    mrt[implausible] = np.nan
    values = {
        "air_temp_c": raw["air_temp_c"],
        "mrt_c": mrt,
        "wind_speed_ms": wind_at_sensor * factor[None, :],
        "rel_humidity_pct": raw["rel_humidity_pct"],
    }
    utci_obs = _utci(values, ref_h)
    simulated = bool(
        "simulated" in readings.columns
        and readings["simulated"].astype("boolean").fillna(False).any()
    )
    return SensorArrays(
        times=times,
        sensors=sites,
        values=values,
        utci_c=utci_obs,
        reference_height_m=ref_h,
        excluded=excluded,
        simulated=simulated,
        averaged_cells=averaged_cells,
    )


def _utci(values: dict[str, npt.NDArray[Any]], height_m: float) -> npt.NDArray[np.float64]:
    """UTCI (°C) from field variables, wind given at ``height_m``; NaN where undefined."""
    air = np.asarray(values["air_temp_c"], dtype=float)
    ok = np.isfinite(air)
    for name in ("mrt_c", "wind_speed_ms", "rel_humidity_pct"):
        ok &= np.isfinite(np.asarray(values[name], dtype=float))
    out = np.full(air.shape, np.nan)
    if not ok.any():
        return out
    w10 = (
        np.asarray(values["wind_speed_ms"], dtype=float)[ok]
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


# --------------------------------------------------------------------------------------------
# The batched regression and the residual interpolation
# --------------------------------------------------------------------------------------------


def fit_hourly(
    design: npt.ArrayLike, values: npt.ArrayLike, ridge: float = 1.0
) -> npt.NDArray[np.float64]:
    """
    Ridge regression of every hour at once: one coefficient vector per hour.

    Solves, for each hour ``t``, ``(Xᵀ M_t X + λ P) β_t = Xᵀ M_t y_t`` where ``M_t`` masks the
    sensors without a reading at that hour and ``P`` is the identity except for the intercept
    (first column, not penalised). All hours are solved in one batched
    :func:`numpy.linalg.solve`. Hours without any reading get NaN coefficients.

    Parameters
    ----------
    design
        ``(sensors, p)`` design matrix, first column the intercept (ones), others standardised.
    values
        ``(hours, sensors)`` observations, NaN where missing.
    ridge
        Penalty λ on the non-intercept coefficients.

    Returns
    -------
    numpy.ndarray
        ``(hours, p)`` coefficients.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [-1.0, -1.0, 1.0, 1.0]])
    >>> y = np.array([[1.0, 1.0, 3.0, 3.0], [np.nan] * 4])
    >>> fit_hourly(X, y, ridge=0.0).round(3).tolist()
    [[2.0, 1.0], [nan, nan]]
    """
    X = np.asarray(design, dtype=float)
    return _solve(*_normal_equations(X, np.asarray(values, dtype=float)), ridge)


def _normal_equations(
    X: npt.NDArray[np.float64], Y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``Xᵀ M_t X`` (T, p, p), ``Xᵀ M_t y_t`` (T, p) and readings per hour, as two GEMMs."""
    mask = np.isfinite(Y)
    n_s, p = X.shape
    outer = (X[:, :, None] * X[:, None, :]).reshape(n_s, p * p)
    A = (mask.astype(float) @ outer).reshape(-1, p, p)
    b = np.where(mask, Y, 0.0) @ X
    return A, b, mask.sum(axis=1)


def _solve(
    A: npt.NDArray[np.float64], b: npt.NDArray[np.float64], n: npt.NDArray[np.int64], ridge: float
) -> npt.NDArray[np.float64]:
    p = A.shape[-1]
    pen = np.eye(p) * ridge
    pen[0, 0] = 0.0
    # a tiny penalty everywhere keeps hours with fewer sensors than coefficients solvable
    pen = pen + np.eye(p) * 1e-9
    beta = np.asarray(np.linalg.solve(A + pen[None], b[:, :, None])[:, :, 0], dtype=np.float64)
    beta[n == 0] = np.nan
    return beta


def idw_weights(
    src_xy: npt.ArrayLike,
    dst_xy: npt.ArrayLike,
    power: float = 2.0,
    smoothing_m: float = 15.0,
    range_m: float = 300.0,
) -> tuple[npt.NDArray[np.float64], float]:
    """
    Inverse-distance weights from sources (sensors) to destinations (targets).

    ``w = (d² + s²)^(-power/2)`` with ``s = smoothing_m``; the weight of the virtual
    zero-residual sensor at ``range_m`` is returned separately.

    Returns
    -------
    (numpy.ndarray, float)
        ``(destinations, sources)`` weights and the background weight.

    Examples
    --------
    >>> w, w0 = idw_weights([[0.0, 0.0]], [[0.0, 0.0], [300.0, 0.0]], smoothing_m=0.0)
    >>> bool(np.isinf(w[0, 0])), float(w[1, 0]) == w0
    (True, True)
    """
    src = np.asarray(src_xy, dtype=float).reshape(-1, 2)
    dst = np.asarray(dst_xy, dtype=float).reshape(-1, 2)
    d2 = ((dst[:, None, :] - src[None, :, :]) ** 2).sum(axis=-1) + smoothing_m**2
    with np.errstate(divide="ignore"):
        w = d2 ** (-power / 2)
    w0 = float((range_m**2 + smoothing_m**2) ** (-power / 2))
    return w, w0


def interpolate_residuals(
    residuals: npt.ArrayLike, weights: npt.ArrayLike, background_weight: float
) -> npt.NDArray[np.float64]:
    """
    Residuals at targets: inverse-distance mean of the sensor residuals present at each hour,
    shrunk towards zero by the background weight.

    Parameters
    ----------
    residuals
        ``(hours, sensors)``, NaN where a sensor has no reading.
    weights
        ``(targets, sensors)`` from :func:`idw_weights` (infinite weights are capped).
    background_weight
        Weight of the zero residual.

    Returns
    -------
    numpy.ndarray
        ``(hours, targets)``.
    """
    R = np.asarray(residuals, dtype=float)
    W = np.minimum(np.asarray(weights, dtype=float), 1e12)
    mask = np.isfinite(R)
    num = np.where(mask, R, 0.0) @ W.T
    den = mask.astype(float) @ W.T + background_weight
    return num / den


@dataclass
class _Group:
    name: str
    sensor_idx: npt.NDArray[np.intp]
    target_idx: npt.NDArray[np.intp]
    design_s: npt.NDArray[np.float64]
    design_t: npt.NDArray[np.float64]
    covariates: list[str]
    weights: npt.NDArray[np.float64]
    background: float
    nearest_m: npt.NDArray[np.float64]
    beta: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    resid: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    se_scale: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    se_dist: dict[str, tuple[float, float]] = field(default_factory=dict)


def _design(
    sensor_cov: npt.NDArray[np.float64], target_cov: npt.NDArray[np.float64], names: Sequence[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]:
    """Standardise covariates on the sensors; drop those constant across the sensors."""
    mu = sensor_cov.mean(axis=0) if len(sensor_cov) else np.zeros(len(names))
    sd = sensor_cov.std(axis=0) if len(sensor_cov) else np.zeros(len(names))
    keep = sd > 1e-9
    zs = (sensor_cov[:, keep] - mu[keep]) / sd[keep]
    zt = (target_cov[:, keep] - mu[keep]) / sd[keep]
    Xs = np.column_stack([np.ones(len(zs)), zs])
    Xt = np.column_stack([np.ones(len(zt)), zt])
    return Xs, Xt, [n for n, k in zip(names, keep, strict=True) if k]


def _nearest_other(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1) if len(xy) > 1 else np.full(len(xy), np.nan)


def _predict_group(
    g: _Group, var: str, t0: int, t1: int, clip: tuple[float, float] | None
) -> npt.NDArray[np.float64]:
    trend = g.beta[var][t0:t1] @ g.design_t.T
    res = interpolate_residuals(g.resid[var][t0:t1], g.weights, g.background)
    out = trend + res
    if clip is not None:
        out = np.clip(out, *clip)
    return out


_CLIP: dict[str, tuple[float, float] | None] = {
    "air_temp_c": None,
    "mrt_c": None,
    "wind_speed_ms": (0.0, np.inf),
    "rel_humidity_pct": (0.0, 100.0),
}


# --------------------------------------------------------------------------------------------
# Cross-validation and standard errors
# --------------------------------------------------------------------------------------------


def _loso_errors(
    arrays: SensorArrays, g: _Group, config: FieldConfig
) -> dict[str, npt.NDArray[np.float64]]:
    """Errors (prediction − observation) at each sensor of a group when it is left out."""
    n_t = len(arrays.times)
    ns = len(g.sensor_idx)
    errs = {v: np.full((n_t, ns), np.nan) for v in (*VARIABLES, "utci_c")}
    if ns < 2:
        return errs
    xy = arrays.sensors[["x", "y"]].to_numpy(float)[g.sensor_idx]
    X = g.design_s
    Ys = {var: arrays.values[var][:, g.sensor_idx] for var in VARIABLES}
    normal = {var: _normal_equations(X, Ys[var]) for var in VARIABLES}
    for k in range(ns):
        others = np.delete(np.arange(ns), k)
        w, w0 = idw_weights(
            xy[others], xy[k : k + 1], config.idw_power, config.idw_smoothing_m, config.idw_range_m
        )
        pred: dict[str, npt.NDArray[np.float64]] = {}
        for var in VARIABLES:
            Y = Ys[var]
            A, b, n = normal[var]
            has = np.isfinite(Y[:, k])
            yk = np.where(has, Y[:, k], 0.0)
            # leave sensor k out by downdating the normal equations (no refit from scratch)
            A_k = A - has[:, None, None] * np.outer(X[k], X[k])[None]
            b_k = b - yk[:, None] * X[k][None, :]
            beta = _solve(A_k, b_k, n - has, config.ridge)
            resid = Y[:, others] - beta @ X[others].T
            pk = beta @ X[k] + interpolate_residuals(resid, w, w0)[:, 0]
            clip = _CLIP[var]
            if clip is not None:
                pk = np.clip(pk, *clip)
            pred[var] = pk
            errs[var][:, k] = pk - Y[:, k]
        utci_pred = _utci(pred, arrays.reference_height_m)
        errs["utci_c"][:, k] = utci_pred - arrays.utci_c[:, g.sensor_idx[k]]
    return errs


def _nanmean(a: npt.NDArray[np.float64], axis: int | None = None) -> Any:
    """Mean over finite values; NaN (no warning) where there are none."""
    ok = np.isfinite(a)
    total = np.where(ok, a, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _hourly_mse(err: npt.NDArray[np.float64], window_h: int = 5) -> npt.NDArray[np.float64]:
    """Mean squared LOSO error per hour across sensors, smoothed over ``window_h`` hours."""
    if not err.size:
        return np.full(err.shape[0], np.nan)
    sq = _nanmean(err**2, axis=1)
    return pd.Series(sq).rolling(window_h, center=True, min_periods=1).mean().to_numpy(dtype=float)


def _distance_scaling(
    err: npt.NDArray[np.float64], mse_t: npt.NDArray[np.float64], nearest_m: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Fit ``e² / mse_t ≈ a + b·d`` (d: distance to the nearest other sensor, m), a, b >= 0."""
    ratio = err**2 / np.maximum(mse_t, 1e-12)[:, None]
    per_sensor = _nanmean(ratio, axis=0)
    ok = np.isfinite(per_sensor) & np.isfinite(nearest_m)
    if ok.sum() < 3:
        return 1.0, 0.0
    d = nearest_m[ok]
    A = np.column_stack([np.ones(ok.sum()), d])
    (a, b), *_ = np.linalg.lstsq(A, per_sensor[ok], rcond=None)
    if b < 0:
        return float(per_sensor[ok].mean()), 0.0
    if a < 0:
        b = float(per_sensor[ok] @ d / (d @ d))
        return 0.0, b
    return float(a), float(b)


def cv_table(errors: dict[str, dict[str, npt.NDArray[np.float64]]]) -> pd.DataFrame:
    """
    Summary of leave-one-sensor-out errors: one row per group and variable.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``variable``, ``rmse``, ``bias``, ``mae``, ``n`` (hour–sensor pairs),
        ``sensors``; plus rows with group ``"all"``.
    """
    rows = []
    pooled: dict[str, list[npt.NDArray[np.float64]]] = {}
    for grp, errs in errors.items():
        for var, e in errs.items():
            vals = e[np.isfinite(e)]
            pooled.setdefault(var, []).append(vals)
            rows.append(_cv_row(grp, var, vals, e.shape[1]))
    for var, parts in pooled.items():
        vals = np.concatenate(parts) if parts else np.array([])
        rows.append(_cv_row("all", var, vals, sum(errors[g][var].shape[1] for g in errors)))
    return pd.DataFrame(rows)


def _cv_row(grp: str, var: str, vals: npt.NDArray[np.float64], sensors: int) -> dict[str, Any]:
    n = int(vals.size)
    return {
        "group": grp,
        "variable": var,
        "rmse": float(np.sqrt(np.mean(vals**2))) if n else np.nan,
        "bias": float(np.mean(vals)) if n else np.nan,
        "mae": float(np.mean(np.abs(vals))) if n else np.nan,
        "n": n,
        "sensors": sensors,
    }


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class FieldModel:
    """
    A fitted comfort field: the per-hour regressions, residuals and error model.

    Build it with :func:`fit_field`; get values with :meth:`predict` (arrays for a range of
    hours), :meth:`block` (a Dataset for a range of hours) or :func:`build_field` (the whole
    Dataset).

    Attributes
    ----------
    config
        Model parameters.
    arrays
        The sensor readings as arrays.
    edges, places
        Target tables (:func:`edge_targets`, :func:`place_targets`).
    cv
        Leave-one-sensor-out summary (:func:`cv_table`).
    cv_errors
        Per group and variable, the ``(hours, sensors)`` LOSO errors.
    """

    config: FieldConfig
    arrays: SensorArrays
    edges: pd.DataFrame
    places: pd.DataFrame
    groups: dict[str, _Group]
    cv: pd.DataFrame
    cv_errors: dict[str, dict[str, npt.NDArray[np.float64]]]
    source: str = "kaiteki sensor readings"

    @property
    def times(self) -> pd.DatetimeIndex:
        """The field's hours (naive Asia/Tokyo)."""
        return self.arrays.times

    def predict(self, t0: int = 0, t1: int | None = None) -> dict[str, npt.NDArray[Any]]:
        """
        Field values for hours ``t0:t1`` at every target (edges first, then places).

        Returns
        -------
        dict of numpy.ndarray
            ``(hours, targets)`` arrays: the :data:`VARIABLES`, ``utci_c``, ``utci_category``
            (int8, :data:`CATEGORY_FILL` where UTCI is undefined), ``comfort``,
            ``wind_chill_c`` and ``wbgt_c`` (NaN outside their validity, see
            :func:`_wind_chill` and :func:`_wbgt`) and ``<var>_se`` for :data:`SE_VARIABLES`;
            float32 except the category.
        """
        t1 = len(self.times) if t1 is None else min(t1, len(self.times))
        n_t = t1 - t0
        n_tg = len(self.edges) + len(self.places)
        vals = {v: np.full((n_t, n_tg), np.nan) for v in VARIABLES}
        se = {v: np.full((n_t, n_tg), np.nan) for v in SE_VARIABLES}
        for g in self.groups.values():
            if g.target_idx.size == 0:
                continue
            for var in VARIABLES:
                vals[var][:, g.target_idx] = _predict_group(g, var, t0, t1, _CLIP[var])
            for var in SE_VARIABLES:
                a, b = g.se_dist[var]
                dist = np.minimum(g.nearest_m, 2.0 * self._max_spacing(g))
                scale = np.sqrt(np.maximum(a + b * dist, 0.05))
                se[var][:, g.target_idx] = np.sqrt(g.se_scale[var][t0:t1])[:, None] * scale[None, :]
        utci = _utci(vals, self.arrays.reference_height_m)
        out: dict[str, npt.NDArray[Any]] = {v: vals[v].astype(np.float32) for v in VARIABLES}
        out["utci_c"] = utci.astype(np.float32)
        out["utci_category"] = _categories(utci)
        out["comfort"] = _comfort(utci)
        out["wind_chill_c"] = _wind_chill(vals, self.arrays.reference_height_m)
        out["wbgt_c"] = _wbgt(vals)
        for var in SE_VARIABLES:
            out[f"{var}_se"] = se[var].astype(np.float32)
        return out

    def _max_spacing(self, g: _Group) -> float:
        xy = self.arrays.sensors[["x", "y"]].to_numpy(float)[g.sensor_idx]
        d = _nearest_other(xy)
        return float(np.nanmax(d)) if np.isfinite(d).any() else 0.0

    def block(self, t0: int = 0, t1: int | None = None) -> xr.Dataset:
        """The field for hours ``t0:t1`` as a Dataset (see :func:`build_field`)."""
        t1 = len(self.times) if t1 is None else min(t1, len(self.times))
        return self._dataset(self.predict(t0, t1), self.times[t0:t1])

    def iter_blocks(self, block_hours: int = 744) -> Iterator[xr.Dataset]:
        """The field as consecutive Datasets of ``block_hours`` hours (bounded memory)."""
        for t0 in range(0, len(self.times), block_hours):
            yield self.block(t0, t0 + block_hours)

    def _dataset(self, arrays: dict[str, npt.NDArray[Any]], times: pd.DatetimeIndex) -> xr.Dataset:
        ne = len(self.edges)
        data_vars: dict[str, Any] = {}
        for name, arr in arrays.items():
            data_vars[name] = (("time", "edge"), arr[:, :ne], _var_attrs(name, self))
            data_vars[f"place_{name}"] = (("time", "place"), arr[:, ne:], _var_attrs(name, self))
        coords = {
            "time": ("time", times.to_numpy(), _time_attrs()),
            "edge": (
                "edge",
                self.edges["id"].to_numpy(dtype=np.int64),
                {"long_name": "segment_id"},
            ),
            "place": ("place", self.places["id"].astype(str).to_numpy(dtype=object)),
            "edge_x": ("edge", self.edges["x"].to_numpy(float), _xy_attrs("x")),
            "edge_y": ("edge", self.edges["y"].to_numpy(float), _xy_attrs("y")),
            "edge_level": ("edge", self.edges["level"].to_numpy(np.int8)),
            "place_x": ("place", self.places["x"].to_numpy(float), _xy_attrs("x")),
            "place_y": ("place", self.places["y"].to_numpy(float), _xy_attrs("y")),
            "place_level": ("place", self.places["level"].to_numpy(np.int8)),
        }
        ds = xr.Dataset(data_vars, coords=coords)
        ds.attrs.update(self.attrs())
        return ds

    def attrs(self) -> dict[str, Any]:
        """Global attributes of the field Dataset."""
        used = {g.name: g.covariates for g in self.groups.values()}
        n_sensors = {g.name: len(g.sensor_idx) for g in self.groups.values()}
        cfg = self.config
        all_rows = self.cv[self.cv["group"] == "all"].set_index("variable")
        return {
            "title": "kaiteki comfort field (UTCI on every street segment and place)",
            "Conventions": "CF-1.10",
            "simulated": bool(self.arrays.simulated),
            "source": self.source + (" (simulated)" if self.arrays.simulated else ""),
            "institution": "kaiteki",
            "crs": DEFAULT_CRS,
            "time_zone": TIME_ZONE,
            "method": (
                "per-hour ridge regression on street covariates across sensors + inverse-distance "
                "interpolation of residuals; street targets from street sensors only, "
                "underground/indoor targets from underground sensors only (docs/FIELD.md)"
            ),
            "covariates_street": ",".join(used.get(STREET, [])),
            "covariates_underground": ",".join(used.get(UNDERGROUND, [])),
            "sensors_street": int(n_sensors.get(STREET, 0)),
            "sensors_underground": int(n_sensors.get(UNDERGROUND, 0)),
            "ridge": cfg.ridge,
            "idw_power": cfg.idw_power,
            "idw_smoothing_m": cfg.idw_smoothing_m,
            "idw_range_m": cfg.idw_range_m,
            "qc_kept_flags": ",".join(cfg.keep_flags),
            "readings_excluded": ",".join(f"{k}={v}" for k, v in self.arrays.excluded.items()),
            "averaged_cells": int(self.arrays.averaged_cells),
            "wind_reference_height_m": self.arrays.reference_height_m,
            **{
                f"cv_rmse_{var}": float(all_rows.loc[var, "rmse"])
                for var in ("air_temp_c", "mrt_c", "utci_c")
                if var in all_rows.index
            },
        }


def _time_attrs() -> dict[str, str]:
    return {
        "long_name": "time (start of the hour)",
        "standard_name": "time",
        "time_zone": TIME_ZONE,
        "comment": "naive local time in Asia/Tokyo (JST, UTC+9); subtract 9 h for UTC",
    }


def _xy_attrs(axis: str) -> dict[str, str]:
    return {
        "units": "m",
        "standard_name": f"projection_{axis}_coordinate",
        "long_name": f"{axis} of the target in {DEFAULT_CRS}",
    }


def _var_attrs(name: str, model: FieldModel) -> dict[str, Any]:
    base = name[:-3] if name.endswith("_se") else name
    units, long_name, standard = _META[base]
    attrs: dict[str, Any] = {"units": units, "long_name": long_name}
    if name.endswith("_se"):
        attrs["long_name"] = f"standard error of {long_name} (leave-one-sensor-out calibrated)"
    elif standard:
        attrs["standard_name"] = standard
    if base == "wind_speed_ms":
        attrs["height_m"] = model.arrays.reference_height_m
    if base == "utci_category":
        attrs["_FillValue_meaning"] = f"{CATEGORY_FILL}: UTCI undefined"
    comments = []
    h = model.arrays.reference_height_m
    if base == "wind_chill_c":
        attrs["wind_height_m"] = 10.0
        comments.append(
            "NaN outside the formula's validity (air temperature > 10 degC or 10 m wind "
            "< 4.8 km/h = 1.33 m/s) and where air or wind is undefined; wind: the field's "
            f"wind at the reference sensor height ({h:g} m) converted to 10 m with "
            "comfort.indices.wind_speed_at_10m (log profile, z0 = 0.01 m)"
        )
    if base == "wbgt_c":
        attrs["wind_height_m"] = h
        comments.append(
            "natural wet bulb estimated with Bernard's method from air temperature, humidity, "
            f"globe temperature and the wind at the reference sensor height ({h:g} m, not "
            "10 m); globe temperature of a 0.15 m globe from MRT "
            "(comfort.indices.globe_temperature); NaN outside validity (air temperature "
            "outside -20..50 degC or RH outside 5..99 %) and where MRT is undefined"
        )
    if model.arrays.simulated:
        comments.append("from simulated sensor readings")
    if comments:
        attrs["comment"] = "; ".join(comments)
    return attrs


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
    w10 = np.asarray(values["wind_speed_ms"], dtype=float) * float(
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
    wind = np.asarray(values["wind_speed_ms"], dtype=float)
    rh = np.asarray(values["rel_humidity_pct"], dtype=float)
    out = np.full(air.shape, np.nan, dtype=np.float32)
    ok = np.isfinite(air) & np.isfinite(mrt) & np.isfinite(wind) & np.isfinite(rh)
    if not ok.any():
        return out
    a, v = air[ok], wind[ok]
    globe = indices.globe_temperature(mrt[ok], a, v, WBGT_GLOBE_DIAMETER_M)
    out[ok] = indices.wbgt_outdoor(a, globe, rh[ok], v).astype(np.float32)
    return out


def fit_field(
    readings: pd.DataFrame,
    sensors: pd.DataFrame,
    segments: pd.DataFrame,
    places: pd.DataFrame | None = None,
    times: Any = None,
    config: FieldConfig | None = None,
    crs: str = DEFAULT_CRS,
    source: str = "kaiteki sensor readings",
    progress: Callable[[str], None] | None = None,
) -> FieldModel:
    """
    Fit the comfort field: per-hour regressions, residuals, LOSO cross-validation, error model.

    Parameters
    ----------
    readings
        Thermal readings (see :func:`sensor_arrays`); timezone-aware or naive Asia/Tokyo times.
    sensors
        Sensor registry (see :func:`sensor_sites`).
    segments
        Segment table of the area graph (see :func:`edge_targets`), with geometry in ``crs``.
    places
        Places layer (see :func:`place_targets`), or None for edges only.
    times
        Hours of the field (default: every hour spanned by the readings).
    config
        Model parameters.
    crs
        Projected CRS (metres) of the segments.
    source
        Text for the Dataset's ``source`` attribute.
    progress
        Called with a short message after each stage.

    Returns
    -------
    FieldModel

    Raises
    ------
    FieldInputError
        Missing columns, sensors off the network, no usable readings, or targets of a group
        (street / underground) without any sensor of that group.
    """
    cfg = config or FieldConfig()
    say = progress or (lambda _msg: None)
    reg = sensors
    mobile_ids: list[str] = []
    if not cfg.mobile and "kind" in sensors.columns:
        is_mobile = sensors["kind"].astype("string").fillna("") == "mobile"
        mobile_ids = sensors.loc[is_mobile, "sensor_id"].astype(str).tolist()
        reg = sensors.loc[~is_mobile]
    sites = sensor_sites(reg, segments, crs, cfg.sensor_snap_max_m)
    edges = edge_targets(segments)
    place_t = (
        place_targets(places, segments, crs, cfg.place_radius_m)
        if places is not None and len(places)
        else pd.DataFrame(columns=["id", "x", "y", "level", "group", *COVARIATES])
    )
    arrays = sensor_arrays(readings, sites, times, cfg.keep_flags, mobile_ids)
    say(f"{len(arrays.times)} hours × {len(sites)} sensors arranged")
    targets = pd.concat([edges, place_t], ignore_index=True)
    groups: dict[str, _Group] = {}
    for grp in (STREET, UNDERGROUND):
        s_idx = np.flatnonzero(sites["group"].to_numpy() == grp)
        t_idx = np.flatnonzero(targets["group"].to_numpy() == grp)
        if t_idx.size and not s_idx.size:
            raise FieldInputError(
                f"{t_idx.size} {grp} targets (e.g. {targets.loc[t_idx[0], 'id']}) but no {grp} "
                f"sensor: {grp} targets take {grp} sensors only. Add {grp} sensors to the "
                "registry, or leave those targets out."
            )
        if not s_idx.size:
            continue
        names = list(COVARIATES) if grp == STREET else []
        s_cov = sites.loc[s_idx, names].to_numpy(float).reshape(len(s_idx), len(names))
        t_cov = targets.loc[t_idx, names].to_numpy(float).reshape(len(t_idx), len(names))
        Xs, Xt, used = _design(s_cov, t_cov, names)
        s_xy = sites.loc[s_idx, ["x", "y"]].to_numpy(float)
        t_xy = targets.loc[t_idx, ["x", "y"]].to_numpy(float)
        w, w0 = idw_weights(s_xy, t_xy, cfg.idw_power, cfg.idw_smoothing_m, cfg.idw_range_m)
        nearest = np.sqrt(((t_xy[:, None, :] - s_xy[None, :, :]) ** 2).sum(-1)).min(axis=1)
        g = _Group(grp, s_idx, t_idx, Xs, Xt, used, w, w0, nearest)
        for var in VARIABLES:
            Y = arrays.values[var][:, s_idx]
            g.beta[var] = fit_hourly(Xs, Y, cfg.ridge)
            g.resid[var] = Y - g.beta[var] @ Xs.T
        groups[grp] = g
    say("hourly regressions fitted")
    errors: dict[str, dict[str, npt.NDArray[np.float64]]] = {}
    for grp, g in groups.items():
        errs = _loso_errors(arrays, g, cfg)
        errors[grp] = errs
        s_xy = sites.loc[g.sensor_idx, ["x", "y"]].to_numpy(float)
        nn = _nearest_other(s_xy)
        pooled_mse = {var: float(_nanmean(errs[var] ** 2)) for var in SE_VARIABLES}
        for var in SE_VARIABLES:
            mse_t = _hourly_mse(errs[var])
            fallback = pooled_mse[var]
            if not np.isfinite(fallback) and grp != STREET and STREET in errors:
                fallback = float(_nanmean(errors[STREET][var] ** 2))
            g.se_scale[var] = np.where(np.isfinite(mse_t), mse_t, fallback)
            g.se_dist[var] = _distance_scaling(errs[var], mse_t, nn)
    say("leave-one-sensor-out cross-validation done")
    return FieldModel(
        config=cfg,
        arrays=arrays,
        edges=edges,
        places=place_t.reset_index(drop=True),
        groups=groups,
        cv=cv_table(errors),
        cv_errors=errors,
        source=source,
    )


def build_field(
    readings: pd.DataFrame,
    sensors: pd.DataFrame,
    segments: pd.DataFrame,
    places: pd.DataFrame | None = None,
    times: Any = None,
    config: FieldConfig | None = None,
    crs: str = DEFAULT_CRS,
    source: str = "kaiteki sensor readings",
    block_hours: int = 744,
) -> xr.Dataset:
    """
    The comfort field as one Dataset, dims ``(time, edge)`` and ``(time, place)``.

    Edge variables have plain names (``utci_c``, ``comfort`` …), place variables the prefix
    ``place_`` (``place_utci_c`` …); :func:`place_field` returns the place part with plain
    names. ``time`` is naive Asia/Tokyo (attribute ``time_zone``); ``edge`` is the
    ``segment_id``, ``place`` the ``place_id``. Global attributes: ``simulated`` (bool),
    ``source``, model parameters and the LOSO RMSE (``cv_rmse_*``). The LOSO table is also in
    ``ds.attrs`` only as those summary figures; :func:`fit_field` gives the full table.

    Parameters are those of :func:`fit_field`; ``block_hours`` bounds the working memory.
    """
    model = fit_field(readings, sensors, segments, places, times, config, crs, source)
    return assemble(model, block_hours)


def assemble(model: FieldModel, block_hours: int = 744) -> xr.Dataset:
    """The whole field of a fitted model as one Dataset, computed ``block_hours`` at a time."""
    n_t = len(model.times)
    n_tg = len(model.edges) + len(model.places)
    full: dict[str, npt.NDArray[Any]] = {}
    for t0 in range(0, max(n_t, 1), block_hours):
        part = model.predict(t0, t0 + block_hours)
        for name, arr in part.items():
            if name not in full:
                full[name] = np.empty((n_t, n_tg), dtype=arr.dtype)
            full[name][t0 : t0 + arr.shape[0]] = arr
    return model._dataset(full, model.times)


def place_field(ds: xr.Dataset) -> xr.Dataset:
    """
    The place part of a field Dataset, dims ``(time, place)``, with plain variable names.

    Examples
    --------
    >>> ds = xr.Dataset({"utci_c": (("time", "edge"), [[1.0]]),
    ...                  "place_utci_c": (("time", "place"), [[2.0]])},
    ...                 coords={"place": ["p1"], "edge": [0]})
    >>> float(place_field(ds)["utci_c"].squeeze())
    2.0
    """
    names = [n for n in ds.data_vars if str(n).startswith("place_")]
    out = ds[names].rename({n: str(n)[len("place_") :] for n in names})
    drop = [c for c in out.coords if "edge" in out[c].dims]
    return out.drop_vars(drop)


def edge_field(ds: xr.Dataset) -> xr.Dataset:
    """The edge part of a field Dataset, dims ``(time, edge)``."""
    names = [n for n in ds.data_vars if "edge" in ds[n].dims]
    out = ds[names]
    drop = [c for c in out.coords if "place" in out[c].dims]
    return out.drop_vars(drop)


# --------------------------------------------------------------------------------------------
# Aggregations
# --------------------------------------------------------------------------------------------


def season_of(times: Any) -> npt.NDArray[np.str_]:
    """
    Meteorological season of each time: ``DJF``, ``MAM``, ``JJA`` or ``SON``.

    Examples
    --------
    >>> season_of(pd.to_datetime(["2022-01-15", "2022-07-01", "2022-12-01"])).tolist()
    ['DJF', 'JJA', 'DJF']
    """
    month = pd.DatetimeIndex(times).month.to_numpy()
    return np.asarray(SEASONS, dtype=object)[(month % 12) // 3].astype(str)


def _with_season_hour(ds: xr.Dataset) -> xr.Dataset:
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    return ds.assign_coords(season=("time", season_of(times)), hour=("time", times.hour.to_numpy()))


def daytime(ds: xr.Dataset, hours: tuple[int, int] = (10, 18)) -> xr.Dataset:
    """
    The hours of the day from ``hours[0]`` (inclusive) to ``hours[1]`` (exclusive), local time.

    With the default (10, 18) the hours starting 10:00 … 17:00 are kept, i.e. 10:00–18:00.
    """
    start, end = hours
    if not (0 <= start < end <= 24):
        raise FieldInputError(
            f"daytime hours must satisfy 0 <= start < end <= 24; got {hours}. "
            "Pass e.g. (10, 18) for 10:00–18:00."
        )
    hour = pd.DatetimeIndex(ds["time"].to_numpy()).hour.to_numpy()
    return ds.isel(time=np.flatnonzero((hour >= start) & (hour < end)))


def by_season_hour(ds: xr.Dataset, variables: Sequence[str] | None = None) -> xr.Dataset:
    """
    Mean by season × hour of day: dims ``(season, hour, edge|place)``.

    Works lazily on a dask-backed Dataset (call ``.compute()`` on the result).
    """
    names = list(variables) if variables else _float_vars(ds)
    sub = _with_season_hour(ds[names])
    key = (
        np.array([SEASONS.index(s) for s in sub["season"].to_numpy()]) * 24 + sub["hour"].to_numpy()
    )
    sub = sub.drop_vars(["season", "hour"]).assign_coords(season_hour=("time", key))
    mean = sub.groupby("season_hour").mean("time")
    present = mean["season_hour"].to_numpy()
    mean = mean.reindex(season_hour=np.arange(len(SEASONS) * 24))
    idx = pd.MultiIndex.from_product([list(SEASONS), range(24)], names=["season", "hour"])
    mean = mean.assign_coords(xr.Coordinates.from_pandas_multiindex(idx, "season_hour")).unstack(
        "season_hour"
    )
    mean.attrs.update(ds.attrs)
    mean.attrs["aggregation"] = f"mean by season and hour of day; {len(present)} cells with data"
    return mean


def by_season(
    ds: xr.Dataset,
    variables: Sequence[str] | None = None,
    hours: tuple[int, int] | None = (10, 18),
) -> xr.Dataset:
    """
    Mean by season, over daytime hours only (``hours``; None for all hours): dims
    ``(season, edge|place)``.
    """
    names = list(variables) if variables else _float_vars(ds)
    sub = ds[names] if hours is None else daytime(ds[names], hours)
    sub = _with_season_hour(sub)
    mean = sub.groupby("season").mean("time").reindex(season=list(SEASONS))
    mean.attrs.update(ds.attrs)
    mean.attrs["aggregation"] = "mean by season" + (
        "" if hours is None else f", hours {hours[0]}:00–{hours[1]}:00"
    )
    return mean


def _float_vars(ds: xr.Dataset) -> list[str]:
    return [str(n) for n in ds.data_vars if np.issubdtype(ds[n].dtype, np.floating)]


def segment_blocks(
    segments: pd.DataFrame, blocks: pd.DataFrame, tol_m: float = 3.0, name: str = "name_en"
) -> pd.DataFrame:
    """
    Which census blocks each segment belongs to: those whose outline lies within ``tol_m`` of
    the segment midpoint.

    Street centrelines are the shared edges of blocks, so a street segment's midpoint lies on
    the boundary between two blocks and belongs to both (a segment inside a block belongs to
    that one). Segments farther than ``tol_m`` from every block (outside the area) are not
    listed.

    Parameters
    ----------
    segments
        Segment table with ``segment_id``, ``mid_x``, ``mid_y`` (m) and ``level``.
    blocks
        Census blocks (:func:`sensors.area.load_blocks`) in the same projected CRS.
    tol_m
        Distance (m) from a block outline within which a midpoint belongs to it.
    name
        Column of ``blocks`` naming each block.

    Returns
    -------
    pandas.DataFrame
        ``segment_id``, ``block`` (many-to-many).
    """
    _require(blocks, [name, "geometry"], "the census blocks", "Use sensors.area.load_blocks.")
    segments = _segment_frame(segments)
    mids = shapely.points(segments["mid_x"].to_numpy(float), segments["mid_y"].to_numpy(float))
    geoms = np.asarray(blocks["geometry"].to_numpy(), dtype=object)
    tree = shapely.STRtree(geoms)
    pair = tree.query(mids, predicate="dwithin", distance=tol_m)
    return pd.DataFrame(
        {
            "segment_id": segments["segment_id"].to_numpy()[pair[0]],
            "block": blocks[name].to_numpy()[pair[1]],
        }
    ).drop_duplicates()


def by_block(
    ds: xr.Dataset, membership: pd.DataFrame, variables: Sequence[str] | None = None
) -> xr.Dataset:
    """
    Mean over the segments of each census block: dims ``(..., block)`` instead of ``edge``.

    Works lazily on a dask-backed Dataset; edges with NaN at a time are left out of that
    block's mean.

    Parameters
    ----------
    ds
        Field (or an aggregation of it) with an ``edge`` dimension.
    membership
        ``segment_id``, ``block`` pairs from :func:`segment_blocks`.
    variables
        Variables to aggregate (default: every float variable on ``edge``).
    """
    names = list(variables) if variables else [n for n in _float_vars(ds) if "edge" in ds[n].dims]
    edge_ids = ds["edge"].to_numpy()
    m = membership[membership["segment_id"].isin(edge_ids)]
    blocks = pd.Index(sorted(m["block"].unique()))
    W = np.zeros((len(blocks), len(edge_ids)))
    W[blocks.get_indexer(m["block"]), pd.Index(edge_ids).get_indexer(m["segment_id"])] = 1.0
    Wda = xr.DataArray(W, dims=("block", "edge"), coords={"block": blocks.to_numpy()})
    out = {}
    for n in names:
        da = ds[n]
        present = da.notnull()
        total = xr.dot(da.fillna(0.0), Wda, dim="edge")
        count = xr.dot(present.astype(float), Wda, dim="edge")
        out[n] = (total / count.where(count > 0)).assign_attrs(da.attrs)
    res = xr.Dataset(out)
    res.attrs.update(ds.attrs)
    res.attrs["aggregation"] = "mean over the segments bordering each census block"
    return res
