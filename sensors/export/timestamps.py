"""
Timestamps every export format can hold: refuse rows whose time lies outside
[:data:`EARLIEST`, :data:`LATEST`) before anything is written.

The store may hold such times from older ingests (``infinity``, ``-infinity``, year 1 or 9999):
NetCDF cannot decode them back to datetimes, pandas cannot convert the infinities to Sapporo
time, and GeoPackage stores them as text it cannot read back. Refusing them with the rows named
is better than a file nobody can read, or a crash half-way.

Examples
--------
>>> times = pd.Series(pd.to_datetime(["2022-01-10 08:00", "9999-12-31"], utc=True, format="ISO8601"))
>>> out_of_range_rows(pd.DataFrame({"time": times}))
{'time': [1]}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensors.errors import ExportError

#: First instant an export holds (UTC).
EARLIEST = pd.Timestamp("1900-01-01T00:00:00Z")
#: First instant after the last one an export holds (UTC).
LATEST = pd.Timestamp("2100-01-01T00:00:00Z")
#: How many offending rows an error message lists.
SHOWN_ROWS = 5


def _utc_values(series: pd.Series) -> np.ndarray:
    """The values as naive UTC ``datetime64``, read as integers (no conversion can overflow)."""
    dtype = series.dtype
    unit = dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else np.datetime_data(dtype)[0]
    return pd.DatetimeIndex(series).asi8.view(f"datetime64[{unit}]")


def out_of_range_rows(frame: pd.DataFrame) -> dict[str, list[int]]:
    """
    Positions of the rows whose timestamps lie outside [:data:`EARLIEST`, :data:`LATEST`),
    per datetime column (missing values are not out of range).
    """
    low, high = EARLIEST.to_datetime64(), LATEST.to_datetime64()
    found: dict[str, list[int]] = {}
    for col in frame.columns:
        series = frame[col]
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        values = _utc_values(series)
        bad = ~np.isnat(values) & ((values < low) | (values >= high))
        if bad.any():
            found[str(col)] = np.flatnonzero(bad).tolist()
    return found


def check_time_range(frame: pd.DataFrame, kind: str) -> None:
    """
    Refuse a table with timestamps outside [:data:`EARLIEST`, :data:`LATEST`).

    Raises
    ------
    ExportError
        Naming the column, the number of rows, the first rows (with their ``file_id`` and
        ``line`` in the store when the table has them) and how to leave them out.
    """
    found = out_of_range_rows(frame)
    if not found:
        return
    col, rows = next(iter(found.items()))
    values = _utc_values(frame[col])
    shown = []
    for pos in rows[:SHOWN_ROWS]:
        where = f"row {pos + 1:,}"
        if {"file_id", "line"} <= set(frame.columns):
            where += f" (file_id {frame['file_id'].iloc[pos]}, line {frame['line'].iloc[pos]})"
        shown.append(f"{where}: {np.datetime_as_string(values[pos], unit='s')}Z")
    more = f" and {len(rows) - SHOWN_ROWS:,} more" if len(rows) > SHOWN_ROWS else ""
    raise ExportError(
        f"{kind} export refused: {len(rows):,} row(s) have a {col} outside "
        f"{EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d} (UTC), which the export formats cannot hold: "
        f"{'; '.join(shown)}{more}. Leave them out with --start/--end (e.g. --start "
        f"{EARLIEST:%Y-%m-%d} --end {LATEST:%Y-%m-%d}), or delete those rows from the store and "
        "re-ingest their files (ingest now quarantines such times)."
    )
