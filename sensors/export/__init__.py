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

Safety: every export is staged in a temporary file and renamed over its target when complete
(:mod:`~sensors.export.staging`); times outside 1900..2100 are refused with the rows named
(:mod:`~sensors.export.timestamps`); CSV text cells that a spreadsheet would run as a formula
get a leading ``'`` (:mod:`~sensors.export.formulas`).

Modules: :mod:`~sensors.export.kinds` (kinds, formats, results), :mod:`~sensors.export.metadata`,
:mod:`~sensors.export.tables` (what is exported), :mod:`~sensors.export.writer` (a table in any
format) with one writer per format (:mod:`~sensors.export.parquet`, :mod:`~sensors.export.csv_`,
:mod:`~sensors.export.gpkg`, :mod:`~sensors.export.netcdf`), :mod:`~sensors.export.field` (the
comfort field) and :mod:`~sensors.export.reader` (reading back).
"""

from __future__ import annotations

from sensors.errors import ExportError
from sensors.export.field import write_field
from sensors.export.kinds import (
    FORMATS,
    FORMATS_BY_KIND,
    KINDS,
    SUFFIX,
    WALKABILITY_LAYERS,
    ExportResult,
    Progress,
    check_combination,
    sidecar_path,
)
from sensors.export.metadata import (
    KNOWN_SOURCES,
    META_KEY,
    SIMULATED_SOURCE,
    SUFFIX_UNITS,
    TZ,
    UNITS,
    describe_sources,
    export_metadata,
    unit_of,
)
from sensors.export.reader import read_export, read_metadata
from sensors.export.tables import export_store, store_table, walkability_layer, with_flag_names
from sensors.export.writer import as_geo, plain, write_table

__all__ = [
    "FORMATS",
    "FORMATS_BY_KIND",
    "KINDS",
    "KNOWN_SOURCES",
    "META_KEY",
    "SIMULATED_SOURCE",
    "SUFFIX",
    "SUFFIX_UNITS",
    "TZ",
    "UNITS",
    "WALKABILITY_LAYERS",
    "ExportError",
    "ExportResult",
    "Progress",
    "as_geo",
    "check_combination",
    "describe_sources",
    "export_metadata",
    "export_store",
    "plain",
    "read_export",
    "read_metadata",
    "sidecar_path",
    "store_table",
    "unit_of",
    "walkability_layer",
    "with_flag_names",
    "write_field",
    "write_table",
]
