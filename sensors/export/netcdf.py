"""
NetCDF writer of tables: one variable per column on a ``row`` dimension, units as variable
attributes, timestamps as integer microseconds since 1970 in UTC (no calendar guessing, no
dense time axis), text as fixed strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sensors.export.kinds import Progress
from sensors.export.metadata import META_KEY, unit_of

if TYPE_CHECKING:
    import xarray as xr

#: How table timestamps are encoded (CF): integers, so any stored instant is written exactly.
TIME_ENCODING: dict[str, Any] = {
    "units": "microseconds since 1970-01-01 00:00:00",
    "calendar": "proleptic_gregorian",
    "dtype": "int64",
}


def table_to_dataset(frame: pd.DataFrame, meta: dict[str, Any]) -> xr.Dataset:
    """``frame`` as a Dataset on dimension ``row``, with units and the metadata as attributes."""
    import xarray as xr

    data_vars = {}
    for col in frame.columns:
        s = frame[col]
        attrs: dict[str, Any] = {}
        unit = unit_of(str(col))
        if unit:
            attrs["units" if col not in ("time", "date", "month") else "long_name"] = unit
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            values = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            attrs["time_zone"] = "UTC (convert to " + str(s.dt.tz) + ")"
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            missing = s.isna().to_numpy()
            text = s.astype(object).where(~missing, "")
            if missing.any() and not (s == "").any():
                attrs["empty_is_missing"] = 1
            values = np.asarray(text.astype(str).to_numpy(), dtype=str)
        else:
            values = s.to_numpy()
        data_vars[str(col)] = ("row", values, attrs)
    ds = xr.Dataset(data_vars, coords={"row": np.arange(len(frame), dtype=np.int64)})
    ds.attrs = {
        "title": f"kaiteki {meta['kind']} export",
        "source": "; ".join(meta["sources"]) or "kaiteki",
        "simulated": "true" if meta["simulated"] else "false",
        "note": meta["note"],
        "Conventions": "CF-1.8",
        META_KEY + "_metadata": json.dumps(meta, ensure_ascii=False),
    }
    return ds


def write_netcdf(
    frame: pd.DataFrame, path: Path, meta: dict[str, Any], progress: Progress | None
) -> None:
    """Write ``frame`` to ``path`` as NetCDF-4 (see :func:`table_to_dataset`)."""
    ds = table_to_dataset(frame, meta)
    encoding = {
        str(name): dict(TIME_ENCODING)
        for name, var in ds.data_vars.items()
        if np.issubdtype(var.dtype, np.datetime64)
    }
    ds.to_netcdf(path, engine="netcdf4", format="NETCDF4", encoding=encoding)
    if progress:
        progress(len(frame), len(frame))
