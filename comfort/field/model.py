"""
The fitted comfort field: :func:`fit_field` builds a :class:`FieldModel` from readings, sensors,
segments and places; :func:`build_field` and :func:`assemble` give it as one Dataset
(docs/FIELD.md, "Model" and "Output").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from comfort.errors import FieldInputError
from comfort.field.config import (
    COVARIATES,
    DEFAULT_CRS,
    SE_VARIABLES,
    STREET,
    TIME_ZONE,
    UNDERGROUND,
    VARIABLES,
    FieldConfig,
)
from comfort.field.derived import CATEGORY_FILL, INDEX_DTYPES, indices_into
from comfort.field.observations import SensorArrays, sensor_arrays
from comfort.field.qc import as_flags
from comfort.field.regression import (
    _CLIP,
    _design,
    _Group,
    _predict_group,
    fit_hourly,
    idw_weights,
)
from comfort.field.targets import edge_targets, place_targets, sensor_sites
from comfort.field.uncertainty import (
    N_HOUR_GROUPS,
    _loso_errors,
    _site_errors,
    cv_table,
    fit_error_model,
    trend_offsets,
    unexplained_share,
)

#: CF attributes of each variable: units, long name, standard name (None: there is none).
_META = {
    "air_temp_c": ("degC", "air temperature", "air_temperature"),
    "mrt_c": ("degC", "mean radiant temperature", None),
    "wind_speed_m_s": ("m s-1", "wind speed at the reference sensor height", "wind_speed"),
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

    def predict(
        self, t0: int = 0, t1: int | None = None, out: dict[str, npt.NDArray[Any]] | None = None
    ) -> dict[str, npt.NDArray[Any]]:
        """
        Field values for hours ``t0:t1`` at every target (edges first, then places).

        Parameters
        ----------
        t0, t1
            The hours (positions in :attr:`times`).
        out
            Arrays to fill in place (``(hours, targets)``, the dtypes of
            :func:`output_dtypes`), e.g. rows of a whole-year array; missing ones are created.

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
        n_t = max(t1 - t0, 0)
        n_tg = len(self.edges) + len(self.places)
        # one group covering every target in order (a city of streets): no scatter needed
        whole = [
            g
            for g in self.groups.values()
            if g.target_idx.size == n_tg and np.array_equal(g.target_idx, np.arange(n_tg))
        ]
        vals: dict[str, npt.NDArray[np.float64]] = {}
        out = {} if out is None else out
        for name, dtype in output_dtypes().items():
            if name not in out:
                out[name] = np.empty((n_t, n_tg), dtype=dtype)
            elif out[name].shape != (n_t, n_tg) or out[name].dtype != dtype:
                raise ValueError(
                    f"out[{name!r}] is {out[name].dtype}{out[name].shape}; predict({t0}, {t1}) "
                    f"fills {np.dtype(dtype)}{(n_t, n_tg)}. Pass arrays of that shape and dtype."
                )
        caches: dict[str, dict[str, Any]] = {name: {} for name in self.groups}
        for var in VARIABLES:
            if whole:
                g = whole[0]
                pred = _predict_group(g, var, t0, t1, _CLIP[var], caches[g.name])
                vals[var] = np.ascontiguousarray(pred, dtype=np.float64)
            else:
                vals[var] = np.full((n_t, n_tg), np.nan)
                for g in self.groups.values():
                    if g.target_idx.size:
                        vals[var][:, g.target_idx] = _predict_group(
                            g, var, t0, t1, _CLIP[var], caches[g.name]
                        )
            out[var][...] = vals[var]
        del caches
        indices_into(vals, self.arrays.reference_height_m, out)
        del vals
        for var in SE_VARIABLES:
            se = out[f"{var}_se"]
            if not whole:
                se.fill(np.nan)
            for g in self.groups.values():
                if g.target_idx.size == 0:
                    continue
                offsets = g.offsets if g.offsets is not None else g.design_t
                v = g.error_model[var].variance(t0, t1, g.share[var], offsets)
                np.maximum(v, 0.0, out=v)
                np.sqrt(v, out=v)
                if whole:
                    se[...] = v
                else:
                    se[:, g.target_idx] = v
        return out

    @property
    def nearest_sensor_m(self) -> npt.NDArray[np.float64]:
        """Distance (m) from every target (edges, then places) to the nearest sensor of its group."""
        out = np.full(len(self.edges) + len(self.places), np.nan)
        for g in self.groups.values():
            out[g.target_idx] = g.nearest_m
        return out

    @property
    def coverage(self) -> dict[str, dict[str, tuple[float, int]]]:
        """Per group and SE variable: LOSO 90 % interval coverage and held-out values."""
        return {
            g.name: {v: (m.coverage_90, m.held_out) for v, m in g.error_model.items()}
            for g in self.groups.values()
        }

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
            "nearest_sensor_m": ("edge", self.nearest_sensor_m[:ne], _nearest_attrs()),
            "place_nearest_sensor_m": ("place", self.nearest_sensor_m[ne:], _nearest_attrs()),
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
            "qc_kept_flags": ",".join(as_flags(cfg.keep_flags).names()),
            "readings_excluded": ",".join(f"{k}={v}" for k, v in self.arrays.excluded.items()),
            "averaged_cells": int(self.arrays.averaged_cells),
            "wind_reference_height_m": self.arrays.reference_height_m,
            **{
                f"cv_rmse_{var}": float(all_rows.loc[var, "rmse"])
                for var in ("air_temp_c", "mrt_c", "utci_c")
                if var in all_rows.index
            },
            **{
                f"loso_coverage_90_{var}": float(all_rows.loc[var, "coverage_90"])
                for var in SE_VARIABLES
                if var in all_rows.index and "coverage_90" in all_rows.columns
            },
            "standard_error_model": (
                "SE² = c_t·(nugget + psill·(1 − Σλ_i·exp(−d_i/range)) + sill·uᵀHu): "
                "exponential error variogram with nugget per season × day/night seen through "
                "the IDW weights λ, plus the ridge coefficients' variance H at the trend offset "
                "u = x0 − Σλ_i·x_i; c_t calibrated on leave-one-sensor-out errors "
                "(docs/FIELD.md)"
            ),
        }


def _nearest_attrs() -> dict[str, str]:
    return {
        "units": "m",
        "long_name": "distance to the nearest sensor of the target's group (street/underground)",
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
    if base == "wind_speed_m_s":
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
        site = _site_errors(arrays, g, cfg)
        s_xy = sites.loc[g.sensor_idx, ["x", "y"]].to_numpy(float)
        t_xy = targets.loc[g.target_idx, ["x", "y"]].to_numpy(float)
        d_ts = np.sqrt(((t_xy[:, None, :] - s_xy[None, :, :]) ** 2).sum(-1))
        g.offsets = trend_offsets(g.design_t, g.design_s, g.weights, g.background)
        for var in SE_VARIABLES:
            base = "mrt_c" if var == "utci_c" else var
            em = fit_error_model(
                errs[var], site[var], arrays.times, s_xy, g.design_s,
                arrays.values[base][:, g.sensor_idx], cfg,
            )  # fmt: skip
            g.error_model[var] = em
            by_range = {
                r: unexplained_share(g.weights, g.background, d_ts, r)
                for r in np.unique(em.range_m)
            }
            g.share[var] = np.stack([by_range[em.range_m[k]] for k in range(N_HOUR_GROUPS)])
    say("leave-one-sensor-out cross-validation done")
    return FieldModel(
        config=cfg,
        arrays=arrays,
        edges=edges,
        places=place_t.reset_index(drop=True),
        groups=groups,
        cv=cv_table(
            errors,
            {
                g.name: {v: (m.coverage_90, m.held_out) for v, m in g.error_model.items()}
                for g in groups.values()
            },
        ),
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


def output_dtypes() -> dict[str, type]:
    """
    Names and dtypes of what :meth:`FieldModel.predict` returns, in order.

    Examples
    --------
    >>> list(output_dtypes())[:5]
    ['air_temp_c', 'mrt_c', 'wind_speed_m_s', 'rel_humidity_pct', 'utci_c']
    """
    return {
        **{v: np.float32 for v in VARIABLES},
        **INDEX_DTYPES,
        **{f"{v}_se": np.float32 for v in SE_VARIABLES},
    }


def assemble(model: FieldModel, block_hours: int = 744) -> xr.Dataset:
    """The whole field of a fitted model as one Dataset, computed ``block_hours`` at a time."""
    n_t = len(model.times)
    n_tg = len(model.edges) + len(model.places)
    full: dict[str, npt.NDArray[Any]] = {
        name: np.empty((n_t, n_tg), dtype=d) for name, d in output_dtypes().items()
    }
    for t0 in range(0, n_t, block_hours):
        t1 = min(t0 + block_hours, n_t)
        model.predict(t0, t1, out={name: arr[t0:t1] for name, arr in full.items()})
    return model._dataset(full, model.times)
