"""
Step counts: the Fitbit/Fitabase hourly export and kaiteki's own CSV (docs/DATA_FORMATS.md
"Steps"). Fitbit times have no zone and are taken as Asia/Tokyo. Participant ids are personal:
only their keyed pseudonyms are stored. QC: range (0..100,000 per day, 20,000 per hour),
interval hour|day, future times, duplicate (participant, time).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from comfort.qcflags import QCFlag
from sensors import qc
from sensors.ingest.sources import Batch, Source, read_table
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import codes, duplicate_flags, values
from sensors.readers import normalise_name
from sensors.tables import Col, Spec

STEPS = Spec(
    "steps",
    (
        Col("participant_id", "text", True, ("participant", "user_id")),
        Col("time", "time", True, ("date", "datetime")),
        Col("interval", "text", default="hour"),
        Col("steps", "double", aliases=("step_count",)),
        Col("simulated", "bool", default="false"),
    ),
    ("participant_id", "time", "steps"),
)

FITBIT = Spec(
    "steps",
    (
        Col("participant_id", "text", True, ("id",)),
        Col("time", "fitbit_time", True, ("activityhour",)),
        Col("interval", "text", default="hour"),
        Col("steps", "double", aliases=("steptotal",)),
        Col("simulated", "bool", default="false"),
    ),
    ("participant_id", "time", "steps"),
)

#: Plausible steps per day; an hour holds at most :data:`MAX_STEPS_PER_HOUR`.
STEP_RANGES: dict[str, tuple[float, float]] = {"steps": (0.0, 100_000.0)}
MAX_STEPS_PER_HOUR = 20_000

STEPS_TABLE = OutputTable(
    "steps",
    (
        ("participant", "TEXT NOT NULL"),
        ("time", "TIMESTAMPTZ NOT NULL"),
        ("interval", "TEXT NOT NULL"),
        ("steps", "BIGINT"),
    ),
)


def is_fitbit(header_text: str) -> bool:
    """Whether a header line is the Fitbit export's (``Id, ActivityHour, StepTotal``)."""
    names = {normalise_name(h).lower() for h in header_text.replace(";", ",").split(",")}
    return "activityhour" in names or "steptotal" in names


def read_steps_source(src: Source) -> Batch:
    """The Fitbit export or a kaiteki steps CSV/JSON Lines file."""
    first = src.data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    is_csv = src.path.suffix.lower() not in (".jsonl", ".ndjson")
    if is_csv and first and is_fitbit(first[0]):
        src.spec = FITBIT
    return read_table(src)


def qc_steps(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of step counts (see the module docstring)."""
    t = q.rows
    steps = values(t, "steps")
    interval = np.asarray(t.column("interval").to_pylist(), dtype=object)
    flags = qc.range_flags({"steps": steps}, q.ranges)
    with np.errstate(invalid="ignore"):
        flags[(interval == "hour") & (steps > MAX_STEPS_PER_HOUR)] |= np.uint32(QCFlag.RANGE)
    flags[~np.isin(interval, ["hour", "day"])] |= np.uint32(QCFlag.RANGE)
    time_us = values(t, "time")
    flags |= qc.time_flags(time_us, q.now_us)
    flags |= duplicate_flags(codes(t, ["participant_id"]), time_us)
    return flags


ADAPTER = register(
    Adapter(
        kind="steps",
        description="step counts (Fitbit export or kaiteki CSV); ids pseudonymised",
        spec=STEPS,
        table=STEPS_TABLE,
        qc=qc_steps,
        ranges=STEP_RANGES,
        sources={"participant": "participant_id"},
        personal=("participant",),
        reader=read_steps_source,
        record_names=("steps",),
        uses_area=False,
    )
)
