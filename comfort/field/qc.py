"""
QC exclusion of the comfort field: which readings, or which globe temperatures, the field leaves
out because of the ``qc_flags`` bitmask they carry from ingest (:class:`comfort.qcflags.QCFlag`).
The rules and their reasons: docs/FIELD.md, "Quality-control flags".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.errors import FieldInputError
from comfort.qcflags import QCFlag, has_any

#: QC flags as a :class:`QCFlag`, a bitmask, flag names, or one comma-separated string of names.
FlagsLike: TypeAlias = QCFlag | int | str | Iterable[str]

#: QC flags that do not exclude a reading.
DEFAULT_KEEP_FLAGS = QCFlag.ESTIMATED | QCFlag.MISSING | QCFlag.UNREGISTERED

#: QC flags that exclude only the globe temperature (hence the MRT) of a reading.
GLOBE_FLAGS = QCFlag.GLOBE_BELOW_AIR


def as_flags(flags: FlagsLike) -> QCFlag:
    """
    The :class:`QCFlag` of a flag, a bitmask or flag names (older code passes names).

    Raises
    ------
    ValueError
        A name is not a QC flag (the message lists the known ones).

    Examples
    --------
    >>> as_flags(["estimated", "missing"]) == QCFlag.ESTIMATED | QCFlag.MISSING
    True
    >>> as_flags("spike,step")
    <QCFlag.SPIKE|STEP: 6>
    >>> as_flags(0)
    <QCFlag: 0>
    """
    if isinstance(flags, QCFlag):
        return flags
    if isinstance(flags, int | np.integer):
        return QCFlag(int(flags))
    names = flags.split(",") if isinstance(flags, str) else list(flags)
    return QCFlag.from_names(n for n in names if n.strip())


def reading_masks(readings: pd.DataFrame) -> npt.NDArray[np.int64]:
    """
    The QC bitmask of every reading: the integer column ``qc_flags`` (0 where NULL), or 0 for
    every reading when the table has no ``qc_flags``.

    Raises
    ------
    FieldInputError
        ``qc_flags`` is not an integer column, or the table carries flag names as text
        (column ``qc``) instead of the bitmask.
    """
    if "qc_flags" in readings.columns:
        col = readings["qc_flags"]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            first = col.iloc[0] if len(col) else None
            raise FieldInputError(
                "qc_flags of the readings table must be the integer QC bitmask "
                f"(comfort.qcflags.QCFlag); it has dtype {col.dtype} (first value {first!r}). "
                "Read readings with sensors.store.Store(path).readings(), or convert flag "
                "names with int(QCFlag.from_names(names))."
            )
        return col.fillna(0).to_numpy(dtype=np.int64)
    if "qc" in readings.columns:
        text = readings["qc"].astype("string").fillna("").str.strip()
        named = np.flatnonzero(text.to_numpy(dtype=str) != "")
        if named.size:
            i = int(named[0])
            raise FieldInputError(
                f"the readings table carries QC flags as text (column qc, row {i}: "
                f"{text.iloc[i]!r}) and no qc_flags; the field reads the integer bitmask "
                "qc_flags. Read readings with sensors.store.Store(path).readings(), or add "
                "qc_flags = int(QCFlag.from_names(names)) for each row."
            )
    return np.zeros(len(readings), dtype=np.int64)


def qc_exclusion(
    readings: pd.DataFrame,
    keep_flags: FlagsLike = DEFAULT_KEEP_FLAGS,
    globe_flags: FlagsLike = GLOBE_FLAGS,
) -> pd.DataFrame:
    """
    Which readings (or which globe readings) the field excludes because of a QC flag.

    A reading is excluded when its ``qc_flags`` has a bit in neither ``keep_flags`` nor
    ``globe_flags`` (bits unknown to :class:`QCFlag` included); a bit of ``globe_flags``
    excludes only the globe temperature, hence the MRT (air, humidity and wind are kept).
    :func:`comfort.field.sensor_arrays` further drops MRT that fails
    :func:`comfort.indices.mrt_plausible`; that is not a QC flag.

    Parameters
    ----------
    readings
        The readings table, with the integer bitmask ``qc_flags`` (see :func:`reading_masks`).
    keep_flags
        Flags that do not exclude anything (:class:`QCFlag`, bitmask or names).
    globe_flags
        Flags that exclude the globe temperature (MRT) only.

    Returns
    -------
    pandas.DataFrame
        Boolean columns ``reading`` (whole reading excluded) and ``globe`` (MRT excluded), same
        index as ``readings``.

    Raises
    ------
    FieldInputError
        The flags are not an integer ``qc_flags`` column (see :func:`reading_masks`).

    Examples
    --------
    >>> f = [0, QCFlag.SPIKE, QCFlag.ESTIMATED, QCFlag.GLOBE_BELOW_AIR, QCFlag.MISSING]
    >>> r = pd.DataFrame({"qc_flags": [int(x) for x in f]})
    >>> qc_exclusion(r)["reading"].tolist()
    [False, True, False, False, False]
    >>> qc_exclusion(r)["globe"].tolist()
    [False, True, False, True, False]
    """
    masks = reading_masks(readings)
    keep, globe = as_flags(keep_flags), as_flags(globe_flags)
    whole = has_any(masks, ~int(keep | globe))
    globe_only = has_any(masks, globe)
    return pd.DataFrame({"reading": whole, "globe": whole | globe_only}, index=readings.index)
