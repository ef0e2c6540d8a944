"""
Spreadsheet formulas in CSV exports (CSV injection): OWASP's rule, applied to text columns.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and a leading tab or carriage return can
hide such a start. Every text cell starting with one of those characters is written with a single
quote ``'`` in front, so spreadsheets show it as text. Numbers stay numbers: only text columns
are touched, so ``-3.2`` in a float column is written as ``-3.2``.

The rule is one-way: the quote stays in the file and in :func:`sensors.export.read_export`
(a reader cannot tell an added quote from one a respondent typed). The export's metadata counts
the quoted cells per column (``formula_cells_quoted``).

Examples
--------
>>> frame = pd.DataFrame({"note": ["=1+2", "-ok", "fine", None], "x": [-3.2, 1.0, 2.0, 3.0]})
>>> safe, quoted = neutralise_formulas(frame)
>>> safe["note"].tolist(), safe["x"].tolist(), quoted
(["'=1+2", "'-ok", 'fine', nan], [-3.2, 1.0, 2.0, 3.0], {'note': 2})
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: What is put in front of such a cell.
QUOTE = "'"
#: The rule, as written into the export metadata.
RULE = (
    "OWASP CSV injection: a text cell starting with =, +, -, @, tab or carriage return is "
    "written with a leading single quote ('); the quote stays when the file is read back"
)


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def formula_like(series: pd.Series) -> npt.NDArray[np.bool_]:
    """Which cells of a text column are strings starting with a :data:`FORMULA_STARTS` character."""
    values = series.to_numpy(dtype=object)
    return np.fromiter(
        (isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values),
        dtype=bool,
        count=len(values),
    )


def neutralise_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """
    ``frame`` with every formula-like text cell prefixed by :data:`QUOTE`.

    Returns
    -------
    (pandas.DataFrame, dict)
        The frame (a copy where a cell changed, else ``frame`` itself) and the number of cells
        quoted per column (columns without any left out).
    """
    quoted: dict[str, int] = {}
    out = frame
    for col in frame.columns:
        series = frame[col]
        if not _is_text(series):
            continue
        hit = formula_like(series)
        n = int(hit.sum())
        if n == 0:
            continue
        if out is frame:
            out = frame.copy()
        values = series.to_numpy(dtype=object).copy()
        values[hit] = [QUOTE + v for v in values[hit]]
        out[col] = pd.Series(values, index=series.index, dtype=series.dtype)
        quoted[str(col)] = n
    return out, quoted
