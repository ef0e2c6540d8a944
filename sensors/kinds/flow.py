"""
People counts per counting line, interval and direction (CSV; docs/DATA_FORMATS.md "People
flow and dwell"). QC: count range, interval > 0, ``estimated`` (補正), future times, duplicate
(line, direction, series, time) in the file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from comfort.qcflags import QCFlag
from sensors import qc
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import codes, duplicate_flags, estimated_flags, values
from sensors.tables import Col, Spec

FLOW = Spec(
    "flow",
    (
        Col("time", "time", True, ("interval_start", "日時")),
        Col("line_id", "text", True, ("line", "counter_id")),
        Col("direction", "text", default="both"),
        Col("interval_min", "int", True),
        Col("count", "double", aliases=("people", "人数")),
        Col("statistic", "text", default="total"),
        Col("series", "text", True, ("generation",)),
        Col("estimated", "bool", default="false", aliases=("補正",)),
        Col("simulated", "bool", default="false"),
    ),
    ("time", "line_id", "interval_min", "count", "series"),
)

#: Plausible range of a count (people per interval).
COUNT_RANGES: dict[str, tuple[float, float]] = {"count": (0.0, 1e9)}

COUNTS_TABLE = OutputTable(
    "counts",
    (
        ("time", "TIMESTAMPTZ NOT NULL"),
        ("line_id", "TEXT NOT NULL"),
        ("direction", "TEXT NOT NULL"),
        ("interval_min", "INTEGER NOT NULL"),
        ("count", "DOUBLE"),
        ("statistic", "TEXT NOT NULL DEFAULT 'total'"),
        ("series", "TEXT NOT NULL"),
    ),
)


def count_flags(q: QCInput, keys: Sequence[str]) -> npt.NDArray[np.uint32]:
    """QC of counts (flow, dwell, Chi-Ka-Ho): range, interval, estimated, future, duplicate."""
    t = q.rows
    flags = qc.range_flags({k: values(t, k) for k in q.ranges}, q.ranges)
    interval = values(t, "interval_min")
    with np.errstate(invalid="ignore"):
        flags[~(interval > 0)] |= np.uint32(QCFlag.RANGE)
    flags |= estimated_flags(t)
    time_us = values(t, "time")
    flags |= qc.time_flags(time_us, q.now_us)
    flags |= duplicate_flags(codes(t, keys), time_us)
    return flags


def qc_flow(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of people counts (see :func:`count_flags`)."""
    return count_flags(q, ["line_id", "direction", "series"])


ADAPTER = register(
    Adapter(
        kind="flow",
        description="people counts per line, interval and direction (CSV)",
        spec=FLOW,
        table=COUNTS_TABLE,
        qc=qc_flow,
        ranges=COUNT_RANGES,
        record_names=("counts", "flow"),
        uses_area=True,
    )
)
