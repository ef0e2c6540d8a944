"""
What can be exported and how: the kinds, the formats, which format applies to which kind, and
what an export returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensors.errors import ExportError

#: What can be exported.
KINDS: tuple[str, ...] = ("readings", "counts", "steps", "survey", "field", "walkability", "places")
#: Output formats.
FORMATS: tuple[str, ...] = ("parquet", "geoparquet", "gpkg", "netcdf", "csv", "ngsi-ld")
#: The formats that apply to each kind.
FORMATS_BY_KIND: dict[str, tuple[str, ...]] = {
    "readings": ("parquet", "geoparquet", "gpkg", "netcdf", "csv"),
    "counts": ("parquet", "netcdf", "csv"),
    "steps": ("parquet", "netcdf", "csv"),
    "survey": ("parquet", "geoparquet", "gpkg", "csv"),
    "field": ("netcdf", "geoparquet"),
    "walkability": ("parquet", "geoparquet", "gpkg", "csv"),
    "places": ("parquet", "geoparquet", "gpkg", "csv"),
}
#: Formats that write entities rather than a table (read back by ``kaiteki ingest``, not by
#: :func:`sensors.export.read_export`): FIWARE NGSI-LD (:mod:`sensors.export.ngsi_ld`).
ENTITY_FORMATS: dict[str, tuple[str, ...]] = {"readings": ("ngsi-ld",), "counts": ("ngsi-ld",)}
#: File suffix of each format.
SUFFIX: dict[str, str] = {
    "parquet": ".parquet",
    "geoparquet": ".parquet",
    "gpkg": ".gpkg",
    "netcdf": ".nc",
    "csv": ".csv",
    "ngsi-ld": ".jsonld",
}
#: The formats whose metadata goes into a sidecar JSON file beside the export.
SIDECAR_FORMATS: tuple[str, ...] = ("csv", "gpkg")
#: The walkability layers saved by ``kaiteki walk score``.
WALKABILITY_LAYERS: tuple[str, ...] = ("nodes", "edges", "blocks", "grid")

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
    allowed = FORMATS_BY_KIND[kind] + ENTITY_FORMATS.get(kind, ())
    if fmt not in allowed:
        why = {
            "geoparquet": "it has no geometry",
            "gpkg": "it has no geometry",
            "netcdf": "it is a table of geometries, not an array",
            "parquet": "it is an array on (time, edge, place), not a table",
            "csv": "it is an array on (time, edge, place), not a table",
        }.get(fmt, "")
        raise ExportError(
            f"cannot export {kind} as {fmt}: {kind} exports as {', '.join(FORMATS_BY_KIND[kind])}"
            f"{f' ({fmt} does not apply: ' + why + ')' if why else ''}"
            f"{' or as NGSI-LD entities (ngsi-ld)' if kind in ENTITY_FORMATS else ''}. "
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
