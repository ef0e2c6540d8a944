"""
The metadata every export carries: per column the unit, dtype and missing count; the sources and
their licences; the time zone, the CRS and whether rows are simulated.

Units come from the one unit registry (:mod:`comfort.units`); :data:`EXPORT_UNITS` adds the
columns only the store and the exports have.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from comfort.constants import CENSUS_FILE, DAILY_WEATHER_FILE, FITBIT_FILE, MESH_FILE, TIME_ZONE
from comfort.units import SUFFIX_UNITS, VARIABLE_UNITS

#: Key of the kaiteki metadata in Parquet key-value metadata and NetCDF attributes.
META_KEY = "kaiteki"
#: Time zone of kaiteki timestamps.
TZ = TIME_ZONE

#: Units of columns the store and the exports have beyond :data:`comfort.units.VARIABLE_UNITS`.
EXPORT_UNITS: dict[str, str] = {
    "wind_speed_m_s": "m s-1",  # the store's name of the wind speed (m/s)
    "qc_flag_names": "QC flag names, comma-separated (from qc_flags)",
}
#: Units of known columns (UDUNITS-style where one exists).
UNITS: dict[str, str] = {**VARIABLE_UNITS, **EXPORT_UNITS}


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
    DAILY_WEATHER_FILE: "Sapporo City open data (DATA-SMART CITY SAPPORO), CC BY 4.0: 札幌市",
    MESH_FILE: "MLIT people-flow open data, CC BY 4.0: 国土交通省 全国の人流オープンデータ",
    FITBIT_FILE: (
        "Furberg et al., Crowd-sourced Fitbit datasets 03.12.2016-05.12.2016, "
        "Zenodo 10.5281/zenodo.53894, CC BY 4.0"
    ),
    CENSUS_FILE: "e-Stat / CODH census boundary data 2015, CC BY 4.0: 国勢調査町丁・字等別境界データ",
}
SIMULATED_SOURCE = "kaiteki simulator output (simulated data, not measurements)"


def is_geo(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a GeoDataFrame."""
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
    geo = is_geo(frame)
    columns: dict[str, dict[str, Any]] = {}
    for col in frame.columns:
        if geo and col == frame.geometry.name:
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
        "crs": frame.crs.to_string() if geo and frame.crs is not None else None,
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
