"""A toy ingest kind for tests: street noise levels (dB) with a range QC, in one module."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sensors import qc
from sensors.kinds import Adapter, OutputTable, QCInput
from sensors.kinds.columns import values
from sensors.tables import Col, Spec

NOISE = Spec(
    "noise",
    (
        Col("time", "time", True, ("timestamp",)),
        Col("meter_id", "text", True, ("meter",)),
        Col("level_db", "double", aliases=("db",)),
        Col("band", "int"),
        Col("simulated", "bool", default="false"),
    ),
    ("time", "meter_id", "level_db"),
)


def qc_noise(q: QCInput) -> npt.NDArray[np.uint32]:
    """Range and missing flags of the sound level; future times."""
    t = q.rows
    flags = qc.range_flags({"level_db": values(t, "level_db")}, q.ranges)
    flags |= qc.time_flags(values(t, "time"), q.now_us)
    return flags


ADAPTER = Adapter(
    kind="noise",
    description="street noise levels (CSV)",
    spec=NOISE,
    table=OutputTable(
        "noise_levels",
        (
            ("time", "TIMESTAMPTZ NOT NULL"),
            ("meter_id", "TEXT NOT NULL"),
            ("level_db", "DOUBLE"),
            ("band", "SMALLINT"),
        ),
    ),
    qc=qc_noise,
    ranges={"level_db": (20.0, 140.0)},
    record_names=("noise",),
)
