"""
:func:`write_table`: one table in any export format, with its metadata, staged so that the file
(and its sidecar) appear only when complete.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sensors.errors import ExportError
from sensors.export import csv_, gpkg, netcdf, parquet
from sensors.export.formulas import RULE, neutralise_formulas
from sensors.export.kinds import (
    SIDECAR_FORMATS,
    ExportResult,
    Progress,
    check_combination,
    sidecar_path,
)
from sensors.export.metadata import export_metadata, is_geo
from sensors.export.staging import staged
from sensors.export.timestamps import check_time_range

if TYPE_CHECKING:
    import geopandas as gpd


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A GeoDataFrame as a plain frame with the geometry as WKT text in ``geometry_wkt``."""
    if not is_geo(frame):
        return pd.DataFrame(frame)
    geom = frame.geometry
    out = pd.DataFrame(frame.drop(columns=geom.name))
    import shapely

    wkt = shapely.to_wkt(geom.to_numpy(), rounding_precision=-1)  # full precision
    out["geometry_wkt"] = np.where(geom.isna() | geom.is_empty, None, wkt)
    return out


def as_geo(frame: pd.DataFrame, kind: str) -> gpd.GeoDataFrame:
    """
    ``frame`` as a GeoDataFrame: itself, or points (EPSG:4326) from its ``lat``/``lon``.

    Raises
    ------
    ExportError
        Neither geometry nor ``lat``/``lon`` columns.
    """
    import geopandas as gpd

    if is_geo(frame):
        return frame  # type: ignore[return-value]
    if {"lat", "lon"} <= set(frame.columns):
        geom = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
        # a row without a location has no geometry (never POINT (NaN NaN))
        geom[(frame["lat"].isna() | frame["lon"].isna()).to_numpy()] = None
        return gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:4326")
    raise ExportError(
        f"{kind} has no geometry and no lat/lon columns; export it as parquet or csv."
    )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    fmt: str,
    kind: str,
    *,
    sources: list[str] | None = None,
    simulated: bool | None = None,
    layer: str | None = None,
    extra: dict[str, Any] | None = None,
    progress: Progress | None = None,
    chunk_rows: int = 100_000,
) -> ExportResult:
    """
    Write a table in one of the export formats, with its metadata.

    The file is written to a temporary file beside ``path`` and renamed over it only when
    complete (with its sidecar for CSV and GeoPackage); if anything fails, nothing is left at
    ``path`` and a file already there is untouched. In CSV, text cells starting with ``=``,
    ``+``, ``-``, ``@``, tab or CR get a leading ``'`` (:mod:`sensors.export.formulas`).

    Parameters
    ----------
    frame
        The table; a GeoDataFrame for ``geoparquet``/``gpkg`` unless it has ``lat``/``lon``.
    path
        Output file (its folder is created).
    fmt
        ``parquet``, ``geoparquet``, ``gpkg``, ``netcdf`` or ``csv``.
    kind
        Export kind (checked against ``fmt``).
    sources, simulated, extra
        See :func:`sensors.export.export_metadata`.
    layer
        GeoPackage layer name (default ``kind``).
    progress
        Called with (rows written, total rows) after each chunk.
    chunk_rows
        Rows per chunk (Parquet row group, CSV block, GeoPackage append).

    Returns
    -------
    ExportResult

    Raises
    ------
    ExportError
        The format does not apply to the kind, the table has no geometry for a geometry
        format, or timestamps lie outside what the formats hold
        (:func:`sensors.export.timestamps.check_time_range`).
    """
    check_combination(kind, fmt)
    check_time_range(frame, kind)
    path = Path(path)
    if fmt in ("geoparquet", "gpkg"):
        frame = as_geo(frame, kind)
    elif is_geo(frame):
        crs = frame.crs.to_string() if frame.crs is not None else None
        extra = {**(extra or {}), "geometry_wkt_crs": crs}
        frame = plain(frame)
    meta = export_metadata(frame, kind, fmt, sources=sources, simulated=simulated, extra=extra)
    if fmt == "csv":
        frame, quoted = neutralise_formulas(frame)
        meta["formula_cells_quoted"] = {"rule": RULE, "cells": quoted}
    if fmt == "gpkg":
        meta["layer"] = layer or kind
    sidecar = sidecar_path(path) if fmt in SIDECAR_FORMATS else None
    with staged(path, *([sidecar] if sidecar else [])) as temps:
        tmp = temps[0]
        if fmt in ("parquet", "geoparquet"):
            parquet.write_parquet(
                frame, tmp, meta, geo=fmt == "geoparquet", progress=progress,
                chunk_rows=chunk_rows,
            )  # fmt: skip
        elif fmt == "csv":
            csv_.write_csv(frame, tmp, progress, chunk_rows)
        elif fmt == "gpkg":
            gpkg.write_gpkg(frame, tmp, meta["layer"], progress, chunk_rows)  # type: ignore[arg-type]
        else:
            netcdf.write_netcdf(frame, tmp, meta, progress)
        if sidecar:
            meta["file_sha256"] = file_sha256(tmp)
            text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
            temps[1].write_text(text, encoding="utf-8")
    return ExportResult(path, kind, fmt, len(frame), meta, sidecar)
