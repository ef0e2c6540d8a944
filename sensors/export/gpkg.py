"""GeoPackage writer: one layer, appended ``chunk_rows`` at a time, timestamps in UTC."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sensors.export.chunks import chunks
from sensors.export.kinds import Progress

if TYPE_CHECKING:
    import geopandas as gpd


def write_gpkg(
    frame: gpd.GeoDataFrame, path: Path, layer: str, progress: Progress | None, chunk_rows: int
) -> None:
    """
    Write ``frame`` to the GeoPackage ``path`` (replaced) as ``layer``: timestamps in UTC (the
    GeoPackage rule), unsigned integers as int64 (GeoPackage has none).
    """
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC")
        elif pd.api.types.is_unsigned_integer_dtype(out[col].dtype):
            out[col] = out[col].astype("int64")
    n = len(out)
    path.unlink(missing_ok=True)  # the driver writes a new file, not into an empty one
    for a, b in chunks(n, chunk_rows):
        out.iloc[a:b].to_file(
            path, layer=layer, driver="GPKG", mode="w" if a == 0 else "a", promote_to_multi=False
        )
        if progress:
            progress(b, n)
