"""
Column access for QC functions: numpy views of Arrow columns, key codes, duplicate and time
flags shared by several kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from comfort.qcflags import QCFlag


def values(table: pa.Table, name: str, dtype: Any = np.float64) -> npt.NDArray[Any]:
    """
    A column as numpy: timestamps as µs since the epoch (int64), numbers as float64 with NaN
    where missing, anything else as it comes.
    """
    col = table.column(name)
    if pa.types.is_timestamp(col.type):
        return np.asarray(col.cast(pa.int64()).to_numpy(), dtype=np.int64)
    if dtype is np.float64:
        return col.cast(pa.float64()).to_numpy()
    return col.to_numpy()


def codes(table: pa.Table, names: Sequence[str]) -> npt.NDArray[np.int64]:
    """Integer code of the composite key ``names`` (for grouping)."""
    if len(names) == 1:
        enc = table.column(names[0]).combine_chunks().dictionary_encode()
        return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    frame = table.select(list(names)).to_pandas()
    return pd.MultiIndex.from_frame(frame).factorize()[0].astype(np.int64)


def duplicate_flags(
    key: npt.NDArray[np.int64], time_us: npt.NDArray[np.int64] | None
) -> npt.NDArray[np.uint32]:
    """``duplicate`` on the 2nd and later occurrences (file order) of (key, time)."""
    frame = pd.DataFrame({"k": key, "t": time_us if time_us is not None else 0})
    return np.where(frame.duplicated(), int(QCFlag.DUPLICATE), 0).astype(np.uint32)


def estimated_flags(table: pa.Table, name: str = "estimated") -> npt.NDArray[np.uint32]:
    """``estimated`` where the boolean column ``name`` is true."""
    est = table.column(name).to_numpy(zero_copy_only=False)
    return np.where(np.asarray(est == True), int(QCFlag.ESTIMATED), 0).astype(np.uint32)  # noqa: E712


def date_future_flags(table: pa.Table, name: str, now_us: int) -> npt.NDArray[np.uint32]:
    """``future`` where the date column ``name`` is later than today in Asia/Tokyo."""
    days = table.column(name).cast(pa.int32()).to_numpy(zero_copy_only=False)
    today = pd.Timestamp(now_us, unit="us", tz="UTC").tz_convert("Asia/Tokyo").date()
    today_days = (pd.Timestamp(today) - pd.Timestamp("1970-01-01")).days
    return np.where(days > today_days, int(QCFlag.FUTURE), 0).astype(np.uint32)
