"""
Dwell counts (people staying) per zone and interval (CSV; docs/DATA_FORMATS.md "People flow and
dwell"). QC as for counts: range, interval > 0, ``estimated``, future times, duplicates.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.flow import count_flags
from sensors.tables import Col, Spec

DWELL = Spec(
    "dwell",
    (
        Col("time", "time", True, ("interval_start", "日時")),
        Col("zone_id", "text", True, ("zone",)),
        Col("interval_min", "int", True),
        Col("dwell_count", "double", aliases=("count", "滞留人数")),
        Col("series", "text", True, ("generation",)),
        Col("estimated", "bool", default="false", aliases=("補正",)),
        Col("simulated", "bool", default="false"),
    ),
    ("time", "zone_id", "interval_min", "dwell_count", "series"),
)

DWELL_TABLE = OutputTable(
    "dwell",
    (
        ("time", "TIMESTAMPTZ NOT NULL"),
        ("zone_id", "TEXT NOT NULL"),
        ("interval_min", "INTEGER NOT NULL"),
        ("dwell_count", "DOUBLE"),
        ("series", "TEXT NOT NULL"),
    ),
)


def qc_dwell(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of dwell counts."""
    return count_flags(q, ["zone_id", "series"])


ADAPTER = register(
    Adapter(
        kind="dwell",
        description="dwell counts per zone and interval (CSV)",
        spec=DWELL,
        table=DWELL_TABLE,
        qc=qc_dwell,
        ranges={"dwell_count": (0.0, 1e9)},
        record_names=("dwell",),
    )
)
