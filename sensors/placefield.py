"""
Hourly conditions at every place of the registry from a built comfort field.

A place the field was built with takes its own values (``place_*`` variables). A place added to
the registry later takes, if outdoor or semi-outdoor, the mean of the street segments within
:data:`RADIUS_M` of it (the nearest three when none is that close); if indoor, no value: it is
judged on its declared conditioning against the outdoor street air
(:func:`comfort.place_kpi.indoor_declared`). Every place gets the hourly mean street air
temperature and humidity (``outdoor_air_c``, ``outdoor_rh_pct``) and says where its values come
from (``conditions_source``: ``field``, ``nearby_streets``, ``declared_conditioning``, or
``none`` when a field without segment positions cannot place a new outdoor place: it then has
no value and is never counted).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from comfort.errors import KPIError

#: Street segments within this distance (m) of a place give the conditions of a new place.
RADIUS_M = 60.0

#: Variables read for the places (with their standard errors when the field has them).
VARIABLES = ("air_temp_c", "mrt_c", "wind_speed_m_s", "rel_humidity_pct", "utci_c")


def _se_names(ds: xr.Dataset, prefix: str) -> list[str]:
    names = []
    for var in VARIABLES:
        base = var[:-2] if var.endswith("_c") else var
        for name in (f"{var}_se", f"{base}_se_c"):
            if f"{prefix}{name}" in ds:
                names.append(name)
                break
    return names


def place_conditions(
    ds: xr.Dataset, registry: gpd.GeoDataFrame, radius_m: float = RADIUS_M
) -> xr.Dataset:
    """
    Hourly conditions of every registry place, dims (time, place), in registry order.

    Parameters
    ----------
    ds
        A comfort field (``sensors.fieldstore.load_field``).
    registry
        The places registry (``sensors.registry.read_registry``), EPSG:4326.
    radius_m
        Neighbourhood (m) of a new place whose street segments give its conditions.

    Returns
    -------
    xarray.Dataset
        :data:`VARIABLES`, their standard errors, ``outdoor_air_c``, ``outdoor_rh_pct``;
        per place ``measured_indoor`` (bool) and ``conditions_source``.

    Raises
    ------
    KPIError
        The field has no street segment to take conditions from.
    """
    missing = [v for v in VARIABLES if v not in ds]
    if missing:
        raise KPIError(f"the field lacks {missing}; rebuild it with `kaiteki comfort build`.")
    se_vars = _se_names(ds, "")
    names = [*VARIABLES, *se_vars]
    level = np.asarray(ds["edge_level"].values) if "edge_level" in ds.coords else None
    street = np.flatnonzero(level == 0) if level is not None else np.arange(ds.sizes["edge"])
    if street.size == 0:
        raise KPIError("the field has no street segment (level 0); rebuild it on the area graph.")
    times = ds["time"].values
    edges = ds[["air_temp_c", "rel_humidity_pct"]].isel(edge=street)
    outdoor = edges.mean("edge").compute()
    in_field = (
        [str(p) for p in ds["place"].values] if "place" in ds.dims and ds.sizes["place"] else []
    )
    crs = str(ds.attrs.get("crs", "EPSG:6680"))
    geoms = registry.geometry.to_crs(crs).to_numpy()
    edge_points = None
    n_t, n_p = len(times), len(registry)
    data = {n: np.full((n_t, n_p), np.nan, dtype=np.float64) for n in names}
    source = []
    kinds = registry["kind"].astype(str).to_numpy()
    place_vars = [f"place_{n}" for n in names if f"place_{n}" in ds]
    pf = ds[place_vars].compute() if in_field and place_vars else None
    for i, pid in enumerate(registry["place_id"].astype(str)):
        if pf is not None and pid in in_field:
            one = pf.sel(place=pid)
            for n in names:
                if f"place_{n}" in one:
                    data[n][:, i] = np.asarray(one[f"place_{n}"].values, dtype=np.float64)
            source.append("field")
        elif kinds[i] == "indoor":
            source.append("declared_conditioning")
        elif "edge_x" not in ds.coords or "edge_y" not in ds.coords:
            source.append("none")  # no segment positions: no value, never counted
        else:
            if edge_points is None:
                edge_points = _edge_points(ds, street)
            dist = shapely.distance(edge_points, geoms[i])
            near = np.flatnonzero(dist <= radius_m)
            if near.size == 0:
                near = np.argsort(dist)[:3]
            sub = ds[names].isel(edge=street[near]).mean("edge").compute()
            for n in names:
                data[n][:, i] = np.asarray(sub[n].values, dtype=np.float64)
            source.append("nearby_streets")
    ids = registry["place_id"].astype(str).to_numpy(dtype=object)
    out = xr.Dataset(
        {n: (("time", "place"), a) for n, a in data.items()},
        coords={
            "time": times,
            "place": ids,
            "conditions_source": ("place", np.array(source, dtype=object)),
            "measured_indoor": ("place", (kinds == "indoor") & (np.array(source) == "field")),
        },
    )
    for key, var in (("outdoor_air_c", "air_temp_c"), ("outdoor_rh_pct", "rel_humidity_pct")):
        values = np.asarray(outdoor[var].values, dtype=np.float64)
        out[key] = (("time", "place"), np.repeat(values[:, None], n_p, axis=1))
    out.attrs.update(
        {k: ds.attrs[k] for k in ("simulated", "wind_reference_height_m") if k in ds.attrs}
    )
    return out


def _edge_points(ds: xr.Dataset, street: np.ndarray) -> np.ndarray:
    """Midpoints (projected, m) of the street segments of the field."""
    if "edge_x" not in ds.coords or "edge_y" not in ds.coords:
        raise KPIError(
            "the field has no segment positions (edge_x, edge_y) to place a new place in; "
            "rebuild it with `kaiteki comfort build`."
        )
    ex = np.asarray(ds["edge_x"].values, dtype=float)[street]
    ey = np.asarray(ds["edge_y"].values, dtype=float)[street]
    return np.asarray(shapely.points(ex, ey))


def typical_conditions(by_year: Mapping[int, xr.Dataset], months: Mapping[int, int]) -> xr.Dataset:
    """
    One typical year of place conditions: each month taken from the year ``months`` names
    (:func:`comfort.place_kpi.typical_months`), relabelled to the first year of ``by_year`` so
    the result is one year.

    Raises
    ------
    KPIError
        A month's year has no conditions.
    """
    label = min(by_year)
    parts = []
    for month in range(1, 13):
        year = months[month]
        if year not in by_year:
            raise KPIError(
                f"month {month} of the typical year comes from {year}, which has no field."
            )
        ds = by_year[year]
        t = pd.DatetimeIndex(ds["time"].values)
        sel = ds.isel(time=np.flatnonzero(t.month == month))
        if sel.sizes["time"] == 0:
            continue
        st = pd.DatetimeIndex(sel["time"].values)
        keep = ~((st.month == 2) & (st.day == 29))
        sel = sel.isel(time=np.flatnonzero(keep))
        st = st[keep]
        parts.append(sel.assign_coords(time=st.map(lambda x: x.replace(year=label))))
    out = xr.concat(parts, dim="time")
    out.attrs = dict(next(iter(by_year.values())).attrs)
    out.attrs["typical_year_months"] = ",".join(f"{m}:{months[m]}" for m in range(1, 13))
    return out


def reference_inputs(
    field: xr.Dataset, registry: pd.DataFrame, year: int, baseline_year: int
) -> dict[str, object]:
    """
    What scenarios and plans are evaluated on, under the reference climate ``field`` (the
    baseline year's hourly field): the registry, its place conditions, the evaluator, each
    counted place's probability of being comfortable, the places counted in ``year`` and the
    baseline year's expected count. One function for ``kaiteki kpi scenario|plan`` and the
    scenario builder page.
    """
    from comfort.places import valid_on
    from comfort.scenarios import reference_evaluator

    conditions = place_conditions(field, registry).load()
    wind_height_m = float(field.attrs.get("wind_reference_height_m", 1.5))
    evaluate = reference_evaluator(wind_height_m=wind_height_m)
    p_all = evaluate(conditions, registry)
    probabilities = dict(zip(registry["place_id"], map(float, p_all), strict=True))
    counted = registry.loc[valid_on(registry, f"{year}-12-31"), "place_id"].tolist()
    base_ids = registry.loc[valid_on(registry, f"{baseline_year}-12-31"), "place_id"].tolist()
    return {
        "registry": registry,
        "conditions": conditions,
        "evaluate": evaluate,
        "wind_height_m": wind_height_m,
        "probabilities": {p: probabilities[p] for p in counted},
        "counted": counted,
        "year": year,
        "baseline_year": baseline_year,
        "baseline_expected": float(np.sum([probabilities[p] for p in base_ids])),
        "simulated": bool(field.attrs.get("simulated", False)),
    }
