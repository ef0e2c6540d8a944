"""The comfort field exported to NetCDF, week by week, with its metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sensors.export.chunks import chunks
from sensors.export.kinds import ExportResult, Progress
from sensors.export.metadata import META_KEY, TZ, unit_of

if TYPE_CHECKING:
    import xarray as xr


def write_field(
    ds: xr.Dataset,
    path: str | Path,
    *,
    sources: list[str] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """
    Write the comfort field (or a time slice of it) to NetCDF, week by week, with metadata.

    The file is written to a temporary file and renamed over ``path`` when complete
    (:class:`sensors.fieldstore.FieldWriter`): a failed export leaves ``path`` untouched.

    Parameters
    ----------
    ds
        The field (:func:`sensors.fieldstore.load_field`, lazily with ``chunks={}``).
    path
        Output ``.nc`` file.
    sources
        Source descriptions (the field's own ``source`` attribute is kept).
    progress
        Called with (time steps written, total time steps).

    Returns
    -------
    ExportResult
        ``rows`` is the number of time steps.
    """
    from sensors.fieldstore import FieldWriter, week_of_steps

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(ds.sizes["time"])
    simulated = bool(ds.attrs.get("simulated", False))
    meta = {
        "kind": "field",
        "format": "netcdf",
        "rows": n,
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "variables": {
            str(k): {"dtype": str(v.dtype), "unit": v.attrs.get("units") or unit_of(str(k))}
            for k, v in ds.data_vars.items()
        },
        "sources": sources or [],
        "simulated": simulated,
        "time_zone": TZ + " (naive local time)",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "producer": "kaiteki export",
        "note": (
            "Built from SIMULATED sensor readings: not measurements."
            if simulated
            else "Built from measured sensor readings."
        ),
    }
    step = week_of_steps(ds["time"].to_numpy()) if n > 1 else 1
    with FieldWriter(path, time_chunk=step) as writer:
        for a, b in chunks(n, step):
            block = ds.isel(time=slice(a, b)).load()
            for name, var in block.data_vars.items():
                unit = unit_of(str(name).removeprefix("place_"))
                if "units" not in var.attrs and unit:
                    var.attrs["units"] = unit
            if a == 0:
                block.attrs = {
                    **block.attrs,
                    "simulated": simulated,
                    "note": meta["note"],
                    "export_sources": "; ".join(sources or []),
                    META_KEY + "_metadata": json.dumps(meta, ensure_ascii=False),
                }
            writer.append(block)
            if progress:
                progress(b, n)
    return ExportResult(path, "field", "netcdf", n, meta)


#: Standard-error columns of the long field table, from the field's ``<var>_se`` variables.
SE_COLUMNS: dict[str, str] = {
    "air_temp_c_se": "air_temp_se_c",
    "mrt_c_se": "mrt_se_c",
    "utci_c_se": "utci_se_c",
}


def field_table_columns(ds: xr.Dataset) -> list[str]:
    """The value columns of the long field table, in order (``utci_c`` and its SE first)."""
    names = [str(n) for n in ds.data_vars if "edge" in ds[n].dims and "time" in ds[n].dims]
    first = [n for n in ("utci_c", "utci_c_se") if n in names]
    return first + [n for n in names if n not in first]


def write_field_table(
    ds: xr.Dataset,
    path: str | Path,
    *,
    sources: list[str] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """
    Write the comfort field on street segments as a long GeoParquet table, week by week.

    One row per (segment, hour): ``segment_id``, ``time`` (timezone-aware Asia/Tokyo),
    ``utci_c``, ``utci_se_c`` and the other variables (standard errors as ``<name>_se_c``),
    ``nearest_sensor_m`` and ``geometry`` (the segment's field target, its midpoint, as a
    point in lon/lat, EPSG:4326). The metadata (units from :mod:`comfort.units`, the
    ``simulated`` flag, sources) is under the key ``kaiteki``. Staged and renamed when
    complete (:mod:`sensors.export.staging`): a failed export leaves ``path`` untouched.

    Parameters
    ----------
    ds
        The field (:func:`sensors.fieldstore.load_field`, lazily with ``chunks={}``).
    path
        Output ``.parquet`` file.
    sources
        Source descriptions.
    progress
        Called with (rows written, total rows).

    Returns
    -------
    ExportResult
        ``rows`` is the number of (segment, hour) rows.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq
    import pyproj
    from geopandas.io.arrow import _geopandas_to_arrow

    from sensors.export.staging import staged
    from sensors.fieldstore import week_of_steps

    path = Path(path)
    n_t, n_e = int(ds.sizes["time"]), int(ds.sizes["edge"])
    simulated = bool(ds.attrs.get("simulated", False))
    crs = str(ds.attrs.get("crs", "EPSG:6680"))
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        ds["edge_x"].to_numpy().astype(float), ds["edge_y"].to_numpy().astype(float)
    )
    points = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
    ids = ds["edge"].to_numpy().astype(np.int64)
    nearest = (
        ds["nearest_sensor_m"].to_numpy().astype(float)
        if "nearest_sensor_m" in ds.coords or "nearest_sensor_m" in ds.data_vars
        else np.full(n_e, np.nan)
    )
    names = field_table_columns(ds)
    out_names = [SE_COLUMNS.get(n, n) for n in names]
    rows = n_t * n_e
    meta = {
        "kind": "field",
        "format": "geoparquet",
        "rows": rows,
        "layout": "long: one row per (segment_id, time); geometry = the segment's field target "
        "(midpoint) in lon/lat",
        "columns": {
            c: {
                "unit": unit_of(c.removesuffix("_se_c") + "_c")
                if c.endswith("_se_c")
                else unit_of(c)
            }
            for c in ["segment_id", "time", *out_names, "nearest_sensor_m"]
        },
        "field_attrs": {
            k: v for k, v in ds.attrs.items() if k.startswith(("cv_rmse", "loso_coverage"))
        },
        "sources": sources or [],
        "simulated": simulated,
        "time_zone": TZ,
        "crs": "EPSG:4326",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "producer": "kaiteki export",
        "note": (
            "Built from SIMULATED sensor readings: not measurements."
            if simulated
            else "Built from measured sensor readings."
        ),
    }
    step = week_of_steps(ds["time"].to_numpy()) if n_t > 1 else 1
    written = 0
    with staged(path) as (tmp,):
        writer = None
        try:
            for a, b in chunks(n_t, step):
                block = ds[names].isel(time=slice(a, b)).load()
                k = b - a
                times = pd.DatetimeIndex(block["time"].to_numpy()).tz_localize(TZ)
                frame = gpd.GeoDataFrame(
                    {
                        "segment_id": np.tile(ids, k),
                        "time": times.repeat(n_e),
                        **{
                            o: block[n].to_numpy().reshape(-1)
                            for n, o in zip(names, out_names, strict=True)
                        },
                        "nearest_sensor_m": np.tile(nearest, k),
                        "simulated": simulated,
                    },
                    geometry=np.tile(np.asarray(points, dtype=object), k),
                    crs="EPSG:4326",
                )
                table = _geopandas_to_arrow(frame, index=False)
                if writer is None:
                    schema = table.schema.with_metadata(
                        {
                            **(table.schema.metadata or {}),
                            META_KEY.encode(): json.dumps(meta, ensure_ascii=False).encode(),
                        }
                    )
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table.cast(schema))
                written += len(frame)
                if progress:
                    progress(written, rows)
        finally:
            if writer is not None:
                writer.close()
    return ExportResult(path, "field", "geoparquet", written, meta)
