"""
Exports of kaiteki data for researchers: tables and the comfort field, with their metadata.

Kinds and the formats that apply (:data:`FORMATS_BY_KIND`):

=============  ==========================================================
kind           formats
=============  ==========================================================
readings       parquet, geoparquet, gpkg, netcdf, csv
counts         parquet, netcdf, csv
steps          parquet, netcdf, csv (pseudonymised ids only)
survey         parquet, geoparquet, gpkg, csv
field          netcdf
walkability    parquet, geoparquet, gpkg, csv (one layer: nodes, edges, blocks, grid)
places         parquet, geoparquet, gpkg, csv
=============  ==========================================================

Every file carries its metadata (:func:`export_metadata`): per column the unit and dtype, the
sources and their licences, the time zone, the CRS and whether rows are **simulated**. Where it
goes: Parquet/GeoParquet key-value metadata under the key ``kaiteki``; NetCDF global and
variable attributes (``units`` per variable, ``kaiteki_metadata`` JSON); a sidecar JSON file
beside CSV and GeoPackage files (``<file>.json``). :func:`read_export` reads any of them back
with the original column types.

Conventions of the plain formats: timestamps are ISO 8601 with their UTC offset in CSV, UTC in
GeoPackage (the GeoPackage rule) and NetCDF (attribute ``time_zone`` names the zone to convert
back to); geometry is WKT text (column ``geometry_wkt``) in Parquet, CSV and NetCDF.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sensors.errors import ExportError

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

    from sensors.store import Store

#: What can be exported.
KINDS: tuple[str, ...] = ("readings", "counts", "steps", "survey", "field", "walkability", "places")
#: Output formats.
FORMATS: tuple[str, ...] = ("parquet", "geoparquet", "gpkg", "netcdf", "csv")
#: The formats that apply to each kind.
FORMATS_BY_KIND: dict[str, tuple[str, ...]] = {
    "readings": ("parquet", "geoparquet", "gpkg", "netcdf", "csv"),
    "counts": ("parquet", "netcdf", "csv"),
    "steps": ("parquet", "netcdf", "csv"),
    "survey": ("parquet", "geoparquet", "gpkg", "csv"),
    "field": ("netcdf",),
    "walkability": ("parquet", "geoparquet", "gpkg", "csv"),
    "places": ("parquet", "geoparquet", "gpkg", "csv"),
}
#: File suffix of each format.
SUFFIX: dict[str, str] = {
    "parquet": ".parquet",
    "geoparquet": ".parquet",
    "gpkg": ".gpkg",
    "netcdf": ".nc",
    "csv": ".csv",
}
#: The walkability layers saved by ``kaiteki walk score``.
WALKABILITY_LAYERS: tuple[str, ...] = ("nodes", "edges", "blocks", "grid")

#: Key of the kaiteki metadata in Parquet key-value metadata and NetCDF attributes.
META_KEY = "kaiteki"
#: Time zone of kaiteki timestamps.
TZ = "Asia/Tokyo"

#: Units of known columns (UDUNITS-style where one exists).
UNITS: dict[str, str] = {
    "time": "ISO 8601 timestamp (interval start)",
    "date": "calendar date",
    "month": "first day of the month",
    "lat": "degrees_north",
    "lon": "degrees_east",
    "level": "1 (0 street, -1 underground)",
    "height_m": "m",
    "globe_diameter_m": "m",
    "air_temp_c": "degC",
    "mrt_c": "degC",
    "rel_humidity_pct": "%",
    "wind_speed_ms": "m s-1",
    "wind_dir_deg": "degree (from north)",
    "globe_temp_c": "degC",
    "solar_wm2": "W m-2",
    "utci_c": "degC",
    "precip_mm": "mm",
    "snow_depth_cm": "cm",
    "interval_min": "min",
    "count": "people per interval (statistic column: total, or mean_per_15min)",
    "dwell_count": "people",
    "stay_population": "people per day (mean)",
    "steps": "steps per interval",
    "thermal_sensation": "ASHRAE 7-point scale (-3 cold .. +3 hot)",
    "comfort_vote": "0 uncomfortable .. 3 comfortable",
    "clothing_clo": "clo",
    "qc_flags": "bitmask (docs/STORE.md)",
    "qc": "QC flag names",
    "simulated": "true for rows written by a kaiteki simulator",
    "length_m": "m",
    "area_m2": "m2",
    "open_min": "minutes after midnight",
    "close_min": "minutes after midnight",
    "walkability": "index 0-100",
    "walkability_comfort": "index 0-100",
    "comfort": "score 0-1",
}

#: Units implied by a column-name suffix (kaiteki puts units in names), longest first.
SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_wm2", "W m-2"),
    ("_pct", "%"),
    ("_deg", "degree"),
    ("_min", "min"),
    ("_m2", "m2"),
    ("_ms", "m s-1"),
    ("_cm", "cm"),
    ("_mm", "mm"),
    ("_km", "km"),
    ("_ha", "ha"),
    ("_m", "m"),
    ("_c", "degC"),
)


def unit_of(column: str) -> str | None:
    """
    The unit of a column: from :data:`UNITS`, else from its name's unit suffix.

    Examples
    --------
    >>> unit_of("air_temp_c"), unit_of("reach_400_m"), unit_of("name")
    ('degC', 'm', None)
    """
    if column in UNITS:
        return UNITS[column]
    for suffix, unit in SUFFIX_UNITS:
        if column.endswith(suffix):
            return unit
    return None


#: Licence and attribution of the real source files kaiteki knows.
KNOWN_SOURCES: dict[str, str] = {
    "sapporo_daily_chikaho_subway_weather_2019-2022.csv": (
        "Sapporo City open data (DATA-SMART CITY SAPPORO), CC BY 4.0: 札幌市"
    ),
    "mlit_peopleflow_1km_sapporo_downtown.geojson": (
        "MLIT people-flow open data, CC BY 4.0: 国土交通省 全国の人流オープンデータ"
    ),
    "fitbit_hourlySteps_merged.csv": (
        "Furberg et al., Crowd-sourced Fitbit datasets 03.12.2016-05.12.2016, "
        "Zenodo 10.5281/zenodo.53894, CC BY 4.0"
    ),
    "sapporo_downtown_chome_2015.geojson": (
        "e-Stat / CODH census boundary data 2015, CC BY 4.0: 国勢調査町丁・字等別境界データ"
    ),
}
SIMULATED_SOURCE = "kaiteki simulator output (simulated data, not measurements)"

_PSEUDONYM = re.compile(r"^p-[0-9a-f]{16}$")

#: Called with (rows written so far, total rows) as an export proceeds.
Progress = Callable[[int, int], None]


@dataclass
class ExportResult:
    """What an export wrote: the file, its sidecar (CSV/GPKG), row count and metadata."""

    path: Path
    kind: str
    format: str
    rows: int
    metadata: dict[str, Any]
    sidecar: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_combination(kind: str, fmt: str) -> None:
    """
    Check that ``fmt`` applies to ``kind``.

    Raises
    ------
    ExportError
        Unknown kind or format, or a format that does not apply to the kind.

    Examples
    --------
    >>> check_combination("readings", "gpkg")
    >>> try:
    ...     check_combination("field", "csv")
    ... except ExportError as exc:
    ...     print(str(exc)[:51])
    cannot export field as csv: field exports as netcdf
    """
    if kind not in KINDS:
        raise ExportError(f"unknown export kind {kind!r}; expected one of {', '.join(KINDS)}.")
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    allowed = FORMATS_BY_KIND[kind]
    if fmt not in allowed:
        why = {
            "geoparquet": "it has no geometry",
            "gpkg": "it has no geometry",
            "netcdf": "it is a table of geometries, not an array",
            "parquet": "it is an array on (time, edge, place), not a table",
            "csv": "it is an array on (time, edge, place), not a table",
        }.get(fmt, "")
        raise ExportError(
            f"cannot export {kind} as {fmt}: {kind} exports as {', '.join(allowed)}"
            f"{f' ({fmt} does not apply: ' + why + ')' if why else ''}. "
            f"Choose one of those with --format."
        )


def sidecar_path(path: str | Path) -> Path:
    """
    The metadata sidecar of a CSV or GeoPackage export: the file name plus ``.json``.

    Examples
    --------
    >>> sidecar_path("out/readings.csv").as_posix()
    'out/readings.csv.json'
    """
    p = Path(path)
    return p.with_name(p.name + ".json")


# ----------------------------------------------------------------------------------------------
# metadata
# ----------------------------------------------------------------------------------------------


def _is_geo(frame: pd.DataFrame) -> bool:
    import geopandas as gpd

    return isinstance(frame, gpd.GeoDataFrame)


def _simulated_flag(frame: pd.DataFrame, simulated: bool | None) -> tuple[bool, int | None]:
    if "simulated" in frame.columns:
        n = int(frame["simulated"].astype(bool).sum())
        return n > 0, n
    return bool(simulated), None


def export_metadata(
    frame: pd.DataFrame,
    kind: str,
    fmt: str,
    *,
    sources: list[str] | None = None,
    simulated: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """
    The metadata written with a table export.

    Parameters
    ----------
    frame
        The table (a GeoDataFrame keeps its CRS in the metadata).
    kind, fmt
        Export kind and format.
    sources
        Source descriptions with licence (see :func:`describe_sources`).
    simulated
        Whether the table is simulated, for tables without a ``simulated`` column.
    extra
        More facts (filters used, the layer, ...).

    Returns
    -------
    dict
        ``kind``, ``format``, ``rows``, ``columns`` (name → ``dtype``, ``unit``), ``sources``,
        ``simulated`` (any simulated row), ``simulated_rows``, ``time_zone``, ``crs``,
        ``exported_at``, ``note`` and the ``extra`` facts.
    """
    is_sim, n_sim = _simulated_flag(frame, simulated)
    columns: dict[str, dict[str, Any]] = {}
    for col in frame.columns:
        if _is_geo(frame) and col == frame.geometry.name:
            columns[str(col)] = {"dtype": "geometry", "unit": None}
            continue
        columns[str(col)] = {
            "dtype": str(frame[col].dtype),
            "unit": unit_of(str(col)),
            "missing": int(frame[col].isna().sum()),
        }
    meta: dict[str, Any] = {
        "kind": kind,
        "format": fmt,
        "rows": len(frame),
        "columns": columns,
        "sources": sources or [],
        "simulated": is_sim,
        "simulated_rows": n_sim,
        "time_zone": TZ,
        "crs": frame.crs.to_string() if _is_geo(frame) and frame.crs is not None else None,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "producer": "kaiteki export",
        "note": (
            "Contains SIMULATED rows (column simulated = true): not measurements."
            if is_sim
            else "Real data; cite the sources."
        ),
    }
    meta.update(extra or {})
    return meta


def describe_sources(paths: list[str], simulated: list[bool] | None = None) -> list[str]:
    """
    Source descriptions with licence for ingested file paths.

    Examples
    --------
    >>> describe_sources(["/d/fitbit_hourlySteps_merged.csv"])[0].startswith("fitbit_hourly")
    True
    """
    out = []
    sims = simulated or [False] * len(paths)
    for p, sim in zip(paths, sims, strict=True):
        name = Path(p).name
        if sim:
            out.append(f"{name}: {SIMULATED_SOURCE}")
        elif name in KNOWN_SOURCES:
            out.append(f"{name}: {KNOWN_SOURCES[name]}")
        else:
            out.append(f"{name}: ingested file; its licence is not recorded in kaiteki")
    return sorted(set(out))


# ----------------------------------------------------------------------------------------------
# writers
# ----------------------------------------------------------------------------------------------


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, max(n, 1), size):
        yield start, min(n, start + size)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A GeoDataFrame as a plain frame with the geometry as WKT text in ``geometry_wkt``."""
    if not _is_geo(frame):
        return pd.DataFrame(frame)
    geom = frame.geometry
    out = pd.DataFrame(frame.drop(columns=geom.name))
    import shapely

    wkt = shapely.to_wkt(geom.to_numpy(), rounding_precision=-1)  # full precision
    out["geometry_wkt"] = np.where(geom.isna() | geom.is_empty, None, wkt)
    return out


def _as_geo(frame: pd.DataFrame, kind: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if _is_geo(frame):
        return frame  # type: ignore[return-value]
    if {"lat", "lon"} <= set(frame.columns):
        geom = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
        return gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:4326")
    raise ExportError(
        f"{kind} has no geometry and no lat/lon columns; export it as parquet or csv."
    )


def _write_parquet(
    frame: pd.DataFrame, path: Path, meta: dict[str, Any], geo: bool, progress: Progress | None,
    chunk_rows: int,
) -> None:  # fmt: skip
    import pyarrow as pa
    import pyarrow.parquet as pq

    def to_table(part: pd.DataFrame) -> pa.Table:
        if geo:
            from geopandas.io.arrow import _geopandas_to_arrow

            return _geopandas_to_arrow(part, index=False)
        return pa.Table.from_pandas(part, preserve_index=False)

    n = len(frame)
    first = to_table(frame.iloc[:0] if n else frame)
    schema = first.schema.with_metadata(
        {**(first.schema.metadata or {}), META_KEY.encode(): json.dumps(meta).encode()}
    )
    with pq.ParquetWriter(path, schema) as writer:
        for a, b in _chunks(n, chunk_rows):
            table = to_table(frame.iloc[a:b])
            writer.write_table(table.cast(schema) if table.schema != schema else table)
            if progress:
                progress(b, n)


def _write_csv(frame: pd.DataFrame, path: Path, progress: Progress | None, chunk_rows: int) -> None:
    n = len(frame)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for a, b in _chunks(n, chunk_rows):
            frame.iloc[a:b].to_csv(fh, index=False, header=(a == 0), date_format=None)
            if progress:
                progress(b, n)


def _write_gpkg(
    frame: gpd.GeoDataFrame, path: Path, layer: str, progress: Progress | None, chunk_rows: int
) -> None:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC")  # GeoPackage stores UTC
        elif pd.api.types.is_unsigned_integer_dtype(out[col].dtype):
            out[col] = out[col].astype("int64")  # no unsigned integers in GeoPackage
    n = len(out)
    path.unlink(missing_ok=True)
    for a, b in _chunks(n, chunk_rows):
        out.iloc[a:b].to_file(
            path, layer=layer, driver="GPKG", mode="w" if a == 0 else "a", promote_to_multi=False
        )
        if progress:
            progress(b, n)


def _table_to_dataset(frame: pd.DataFrame, meta: dict[str, Any]) -> xr.Dataset:
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
        See :func:`export_metadata`.
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
        The format does not apply to the kind, or the table has no geometry for a
        geometry format.
    """
    check_combination(kind, fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("geoparquet", "gpkg"):
        frame = _as_geo(frame, kind)
    elif _is_geo(frame):
        crs = frame.crs.to_string() if frame.crs is not None else None
        extra = {**(extra or {}), "geometry_wkt_crs": crs}
        frame = _plain(frame)
    meta = export_metadata(frame, kind, fmt, sources=sources, simulated=simulated, extra=extra)
    sidecar = None
    if fmt in ("parquet", "geoparquet"):
        _write_parquet(frame, path, meta, fmt == "geoparquet", progress, chunk_rows)
    elif fmt == "csv":
        _write_csv(frame, path, progress, chunk_rows)
    elif fmt == "gpkg":
        _write_gpkg(frame, path, layer or kind, progress, chunk_rows)  # type: ignore[arg-type]
        meta["layer"] = layer or kind
    else:
        _table_to_dataset(frame, meta).to_netcdf(path, engine="netcdf4", format="NETCDF4")
        if progress:
            progress(len(frame), len(frame))
    if fmt in ("csv", "gpkg"):
        sidecar = sidecar_path(path)
        sidecar.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return ExportResult(path, kind, fmt, len(frame), meta, sidecar)


def write_field(
    ds: xr.Dataset,
    path: str | Path,
    *,
    sources: list[str] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """
    Write the comfort field (or a time slice of it) to NetCDF, week by week, with metadata.

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
        for a, b in _chunks(n, step):
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


# ----------------------------------------------------------------------------------------------
# from the store and the cache
# ----------------------------------------------------------------------------------------------


def store_table(
    store: Store,
    kind: str,
    start: Any = None,
    end: Any = None,
    pseudonym_key: str | bytes | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """
    A store table for export and the descriptions of the files its rows came from.

    Steps are checked to carry pseudonyms only (``p-`` + 16 hex digits). With
    ``pseudonym_key``, the survey's ``response_id`` (an identifier from the survey tool, which
    may embed a participant's id) is replaced by its keyed pseudonym
    (:func:`sensors.ingest.pseudonymise`), so that no raw identifier leaves the store.

    Raises
    ------
    ExportError
        ``kind`` is not a store table, or a participant id is not a pseudonym.
    """
    readers: dict[str, Callable[..., pd.DataFrame]] = {
        "readings": store.readings,
        "counts": store.counts,
        "steps": store.steps,
        "survey": store.survey,
    }
    if kind not in readers:
        raise ExportError(f"{kind} is not a store table; expected one of {', '.join(readers)}.")
    frame = readers[kind](start, end)
    if kind == "steps":
        ids = frame["participant"].astype(str)
        bad = ~ids.str.fullmatch(_PSEUDONYM.pattern)
        if bad.any():
            raise ExportError(
                f"steps export refused: participant {ids[bad].iloc[0]!r} is not a kaiteki "
                "pseudonym (p- and 16 hex digits). Re-ingest the steps with `kaiteki ingest "
                "steps` so ids are pseudonymised."
            )
    if kind == "survey" and pseudonym_key is not None and "response_id" in frame:
        from sensors.ingest import pseudonymise

        ids = frame["response_id"]
        # ingest stores pseudonyms already; hash only ids that are not (rows stored before
        # response ids were pseudonymised at ingest), so exports join back to the store
        keep = ids.notna() & ~ids.astype(str).str.fullmatch(_PSEUDONYM.pattern)
        frame = frame.copy()
        frame.loc[keep, "response_id"] = pseudonymise(ids[keep].astype(str).tolist(), pseudonym_key)
    files = store.files()
    used = files[files["file_id"].isin(frame["file_id"].unique())] if len(frame) else files.iloc[:0]
    sources = describe_sources(
        used["path"].astype(str).tolist(), used["simulated"].astype(bool).tolist()
    )
    return frame, sources


def export_store(
    store: Store,
    kind: str,
    fmt: str,
    path: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    progress: Progress | None = None,
    chunk_rows: int = 100_000,
    pseudonym_key: str | bytes | None = None,
) -> ExportResult:
    """
    Export ``readings``, ``counts``, ``steps`` or ``survey`` from the store.

    Parameters
    ----------
    store
        The open store.
    kind, fmt, path
        What, how and where.
    start, end
        Time window ``[start, end)``; naive values are Asia/Tokyo.
    progress, chunk_rows
        See :func:`write_table`.
    pseudonym_key
        Secret key (``KAITEKI_PSEUDONYM_KEY``) to pseudonymise survey ``response_id``s with;
        see :func:`store_table`.

    Raises
    ------
    ExportError
        Invalid kind/format combination, or steps without pseudonyms.
    """
    check_combination(kind, fmt)
    frame, sources = store_table(store, kind, start, end, pseudonym_key)
    extra = {"filter": {"start": None if start is None else str(start),
                        "end": None if end is None else str(end)}}  # fmt: skip
    return write_table(
        frame, path, fmt, kind, sources=sources, extra=extra, progress=progress,
        chunk_rows=chunk_rows,
    )  # fmt: skip


def walkability_layer(folder: str | Path, layer: str) -> gpd.GeoDataFrame:
    """
    One walkability table saved by ``kaiteki walk score`` (``<folder>/<layer>.parquet``).

    Raises
    ------
    ExportError
        Unknown layer, or the table has not been computed.
    """
    import geopandas as gpd

    if layer not in WALKABILITY_LAYERS:
        raise ExportError(
            f"unknown walkability layer {layer!r}; expected one of {', '.join(WALKABILITY_LAYERS)}."
        )
    path = Path(folder) / f"{layer}.parquet"
    if not path.is_file():
        raise ExportError(
            f"no walkability table at {path}; compute it first with `kaiteki walk score`."
        )
    return gpd.read_parquet(path)


# ----------------------------------------------------------------------------------------------
# reading back
# ----------------------------------------------------------------------------------------------


def read_metadata(path: str | Path) -> dict[str, Any]:
    """
    The kaiteki metadata of an exported file (Parquet key-value, NetCDF attribute or sidecar).

    Raises
    ------
    ExportError
        The file carries no kaiteki metadata.
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
