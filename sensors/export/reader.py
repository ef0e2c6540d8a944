"""
Reading exports back: the metadata (Parquet key-value, NetCDF attribute or sidecar) and the data
with its original column types.

Formula-like CSV cells keep the ``'`` the export put in front of them
(:mod:`sensors.export.formulas`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sensors.errors import ExportError
from sensors.export.kinds import sidecar_path
from sensors.export.metadata import META_KEY
from sensors.export.writer import file_sha256


def read_metadata(path: str | Path) -> dict[str, Any]:
    """
    The kaiteki metadata of an exported file (Parquet key-value, NetCDF attribute or sidecar).

    Raises
    ------
    ExportError
        The file carries no kaiteki metadata, or its sidecar belongs to another version of it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        kv = pq.read_schema(p).metadata or {}
        raw = kv.get(META_KEY.encode())
        if raw is None:
            raise ExportError(f"{p} has no '{META_KEY}' Parquet metadata; not a kaiteki export.")
        meta: dict[str, Any] = json.loads(raw)
        return meta
    if suffix == ".nc":
        import netCDF4

        with netCDF4.Dataset(p) as nc:
            key = META_KEY + "_metadata"
            if key not in nc.ncattrs():
                raise ExportError(f"{p} has no '{key}' attribute; not a kaiteki export.")
            meta = json.loads(nc.getncattr(key))
            return meta
    side = sidecar_path(p)
    if not side.is_file():
        raise ExportError(f"{p}: metadata sidecar {side.name} is missing; keep it beside the file.")
    meta = json.loads(side.read_text(encoding="utf-8"))
    expected = meta.get("file_sha256")
    if expected is not None and file_sha256(p) != expected:
        raise ExportError(
            f"{p}: its metadata sidecar {side.name} describes another file (SHA-256 differs; "
            "an export was interrupted between writing the two, or one was edited). Run the "
            "export again."
        )
    return meta


def _restore(frame: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    """Give the columns back the dtypes recorded in the metadata."""
    out = frame.copy()
    for col, info in meta["columns"].items():
        if col not in out.columns or info["dtype"] == "geometry":
            continue
        dtype = info["dtype"]
        if dtype in ("object", "str", "string") and info.get("missing") == 0:
            # CSV and NetCDF write a missing text as ""; a column without missing values
            # had real empty strings there
            out[col] = out[col].astype(object).where(out[col].notna(), "")
        try:
            if dtype.startswith("datetime64"):
                values = pd.to_datetime(out[col], utc=True, format="ISO8601")
                tz = pd.DatetimeTZDtype.construct_from_string(dtype).tz if "," in dtype else None
                values = values.dt.tz_convert(tz) if tz is not None else values.dt.tz_localize(None)
                out[col] = values.astype(dtype)
            elif dtype == "bool":
                out[col] = (
                    out[col]
                    .map(
                        lambda v: v if isinstance(v, bool | np.bool_) else str(v).lower() == "true"
                    )
                    .astype(bool)
                )
            elif dtype == "object":
                out[col] = out[col].astype(object).where(out[col].notna(), None)
            elif dtype in ("str", "string"):
                out[col] = out[col].astype(dtype)
            else:
                out[col] = out[col].astype(dtype)
        except (TypeError, ValueError):
            continue  # e.g. integers with missing values stay float
    return out


def _from_wkt(frame: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    if "geometry_wkt" not in frame.columns:
        return frame
    import geopandas as gpd
    import shapely

    wkt = frame["geometry_wkt"]
    geom = shapely.from_wkt(wkt.where(wkt.notna(), None).to_numpy())
    return gpd.GeoDataFrame(
        frame.drop(columns="geometry_wkt"), geometry=geom, crs=meta.get("geometry_wkt_crs")
    )


def read_export(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """
    Read an exported file back: the table (or Dataset for NetCDF field exports) and metadata.

    Column types are restored from the metadata; geometry comes back as a GeoDataFrame
    (from GeoParquet, GeoPackage, or the WKT column of the plain formats).

    Parameters
    ----------
    path
        A file written by :func:`write_table`, :func:`write_field` or ``kaiteki export``.

    Returns
    -------
    (pandas.DataFrame | geopandas.GeoDataFrame | xarray.Dataset, dict)

    Raises
    ------
    ExportError
        The file carries no kaiteki metadata.
    """
    p = Path(path)
    meta = read_metadata(p)
    fmt = meta["format"]
    if meta["kind"] == "field":
        from sensors.fieldstore import load_field

        return load_field(p), meta
    if fmt == "parquet":
        frame = pd.read_parquet(p)
    elif fmt == "geoparquet":
        import geopandas as gpd

        frame = gpd.read_parquet(p)
    elif fmt == "gpkg":
        import geopandas as gpd

        frame = gpd.read_file(p, layer=meta.get("layer", meta["kind"]))
    elif fmt == "csv":
        frame = pd.read_csv(p, keep_default_na=False, na_values=[""], dtype=str)
        for col, info in meta["columns"].items():
            if col in frame.columns and info["dtype"] not in ("object", "str", "string", "bool"):
                if not info["dtype"].startswith("datetime64"):
                    frame[col] = pd.to_numeric(frame[col])
    else:
        import xarray as xr

        with xr.open_dataset(p, engine="netcdf4") as ds:
            ds = ds.load()
        data = {}
        for name, var in ds.data_vars.items():
            values = var.to_numpy()
            if var.attrs.get("empty_is_missing"):
                text = values.astype(object)
                text[text == ""] = None
                values = text
            elif values.dtype.kind == "U":
                values = values.astype(object)
            data[str(name)] = values
        frame = pd.DataFrame(data)
        for col, info in meta["columns"].items():
            if info["dtype"].startswith("datetime64") and col in frame.columns:
                frame[col] = pd.to_datetime(frame[col]).dt.tz_localize("UTC")
    frame = _restore(frame, meta)
    frame = _from_wkt(frame, meta)
    return frame, meta
