"""
Field targets (street segments and places) and sensor sites, with the street covariates of the
field model (docs/FIELD.md, "Model").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from comfort.errors import FieldInputError
from comfort.field.config import COVARIATES, DEFAULT_CRS, STREET, UNDERGROUND, require_columns


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
    require_columns(
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
    require_columns(
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


def _nearest_segments(
    pts: npt.NDArray[np.object_], seg_geoms: npt.NDArray[np.object_], cand: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """
    Nearest candidate segment of each point and its distance (m).

    The lowest candidate position among equally near ones, as an ``argmin`` over every
    candidate would give; a spatial index (STR tree) finds them without measuring every pair
    (a city: 200 sensors × 190,000 segments).
    """
    tree = shapely.STRtree(seg_geoms[cand])
    (pt_i, seg_i), _ = tree.query_nearest(pts, return_distance=True, all_matches=True)
    d = shapely.distance(pts[pt_i], seg_geoms[cand][seg_i])
    best = np.full(len(pts), np.inf)
    np.minimum.at(best, pt_i, d)
    # among the equally near segments (all_matches), the lowest candidate position
    first = np.full(len(pts), np.iinfo(np.intp).max)
    exact = d == best[pt_i]
    np.minimum.at(first, pt_i[exact], seg_i[exact])
    return cand[first], best


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
    require_columns(
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
        nearest[rows], snap[rows] = _nearest_segments(pts[rows], seg_geoms, cand)
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
