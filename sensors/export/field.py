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
