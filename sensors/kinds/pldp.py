"""
Stationary activity counts in Gehl's Public Life Data Protocol layout (kind ``dwell-pldp``;
``kaiteki ingest dwell --format pldp``; docs/DATA_FORMATS.md "Dwell: Public Life Data
Protocol").

Each row is a count of people staying in a zone during a survey period, with its posture and
activity categories; it becomes one dwell row whose series is ``pldp:<posture>:<activity>``
(``all`` where a category is blank), so the categories are kept apart and sum to the zone's
total. The dwell QC applies (:mod:`sensors.kinds.dwell`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from sensors.kinds import Adapter, register
from sensors.kinds.dwell import DWELL, DWELL_TABLE, qc_dwell
from sensors.kinds.survey_formats import RowError, _cell, _float, read_mapped_csv

if TYPE_CHECKING:
    from sensors.ingest.sources import Batch, Source

#: PLDP postures (the protocol's stationary-activity mapping).
POSTURES = ("standing", "sitting_formal", "sitting_informal", "lying", "multiple", "other")


def _category(value: str | None, name: str, allowed: tuple[str, ...] | None) -> str:
    if value is None:
        return "all"
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if allowed is not None and key not in allowed:
        raise RowError(name, f"{name} {value!r} is not a PLDP {name}; expected one of {allowed}")
    return key


def pldp_record(row: Mapping[str, str], line: int, stem: str) -> dict[str, Any]:
    """One PLDP stationary-activity row as a dwell record."""
    date = _cell(row, "date")
    start = _cell(row, "time_start", "start_time", "time")
    if date is None or start is None:
        raise RowError("date", "a PLDP row needs date and time_start (the survey period)")
    stop = _cell(row, "time_stop", "time_end", "end_time")
    interval = _float(row, "interval_min", "duration_min")
    if interval is None and stop is not None:
        try:
            span = pd.Timestamp(f"{date} {stop}") - pd.Timestamp(f"{date} {start}")
        except ValueError:
            raise RowError("time_stop", f"time_stop {stop!r} is not a time of day") from None
        interval = span.total_seconds() / 60
    if interval is None:
        raise RowError("time_stop", "no time_stop and no interval_min: how long was the count?")
    count = _float(row, "count", "total", "people")
    posture = _category(_cell(row, "posture"), "posture", POSTURES)
    activity = _category(_cell(row, "activity", "activities"), "activity", None)
    zone = _cell(row, "zone_id", "location_id", "zone", "location")
    return {
        "time": f"{date}T{start}",
        "zone_id": zone,
        "interval_min": None if interval is None else round(interval),
        # a PLDP file without a count column lists one person per row
        "dwell_count": 1.0 if not {"count", "total", "people"} & set(row) else count,
        "series": f"pldp:{posture}:{activity}",
        "estimated": False,
        "simulated": False,
    }


def read_pldp(src: Source) -> Batch:
    """A PLDP stationary activity CSV as a dwell batch."""
    return read_mapped_csv(
        src, DWELL, ("date", "posture"), pldp_record, "Public Life Data Protocol"
    )


ADAPTER = register(
    Adapter(
        kind="dwell-pldp",
        description="stationary activity counts in the Public Life Data Protocol layout (CSV)",
        spec=DWELL,
        table=DWELL_TABLE,
        qc=qc_dwell,
        ranges={"dwell_count": (0.0, 1e9)},
        reader=read_pldp,
    )
)
