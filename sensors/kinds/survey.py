"""
Questionnaire responses (CSV; docs/DATA_FORMATS.md "Questionnaire"). Response ids are personal:
only their keyed pseudonyms are stored. QC: votes off their scale (``range``), a missing
thermal sensation (``missing``), outside area, future times, a response id given twice.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from comfort.qcflags import QCFlag
from sensors import qc
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import codes, duplicate_flags, values
from sensors.tables import Col, Spec

SURVEY = Spec(
    "survey",
    (
        Col("response_id", "text", True, ("id", "回答id")),
        Col("time", "time", True, ("回答日時",)),
        Col("lat", "double", aliases=("latitude", "緯度")),
        Col("lon", "double", aliases=("lng", "longitude", "経度")),
        Col("block", "text", aliases=("町丁目", "block_name")),
        Col("thermal_sensation", "int", aliases=("tsv", "温冷感")),
        Col("comfort_vote", "int", aliases=("快適感",)),
        Col("preference", "text", aliases=("希望",)),
        Col("activity", "text", aliases=("活動",)),
        Col("clothing_clo", "double", aliases=("clo", "着衣量")),
        Col("age_group", "text", aliases=("年代",)),
        Col("free_text", "text", aliases=("自由記述", "comment")),
        Col("simulated", "bool", default="false"),
    ),
    ("response_id", "time"),
)

#: Scales of the votes: ASHRAE thermal sensation −3..+3, comfort 0..3, clothing (clo).
VOTE_RANGES: dict[str, tuple[float, float]] = {
    "thermal_sensation": (-3.0, 3.0),
    "comfort_vote": (0.0, 3.0),
    "clothing_clo": (0.0, 4.0),
}

SURVEY_TABLE = OutputTable(
    "survey",
    (
        ("response_id", "TEXT NOT NULL"),
        ("time", "TIMESTAMPTZ NOT NULL"),
        ("lat", "DOUBLE"),
        ("lon", "DOUBLE"),
        ("block", "TEXT"),
        ("thermal_sensation", "SMALLINT"),
        ("comfort_vote", "SMALLINT"),
        ("preference", "TEXT"),
        ("activity", "TEXT"),
        ("clothing_clo", "DOUBLE"),
        ("age_group", "TEXT"),
        ("free_text", "TEXT"),
    ),
)


def qc_survey(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of questionnaire responses (see the module docstring)."""
    t = q.rows
    flags = np.zeros(t.num_rows, dtype=np.uint32)
    for k, (lo, hi) in q.ranges.items():
        v = values(t, k)
        with np.errstate(invalid="ignore"):
            flags[(v < lo) | (v > hi)] |= np.uint32(QCFlag.RANGE)
    flags[np.isnan(values(t, "thermal_sensation"))] |= np.uint32(QCFlag.MISSING)
    flags |= qc.area_flags(values(t, "lon"), values(t, "lat"), q.area_wgs84)
    flags |= qc.time_flags(values(t, "time"), q.now_us)
    flags |= duplicate_flags(codes(t, ["response_id"]), None)
    return flags


ADAPTER = register(
    Adapter(
        kind="survey",
        description="questionnaire responses (CSV)",
        spec=SURVEY,
        table=SURVEY_TABLE,
        qc=qc_survey,
        ranges=VOTE_RANGES,
        personal=("response_id",),
        record_names=("survey",),
    )
)
