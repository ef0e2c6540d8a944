"""
Reference daily weather: the weather columns of the Sapporo daily open-data file
(``sapporo_daily_chikaho_subway_weather_2019-2022.csv``; first column the date, Japanese
headers). QC: physical range, a date given twice, a date after today (``future``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sensors import qc
from sensors.ingest.sources import Batch, Source, frame_batch, text_lines
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import date_future_flags, duplicate_flags, values
from sensors.readers import read_dated_csv
from sensors.tables import Col, Spec

#: Canonical weather columns and the headers of the Sapporo file they come from.
WEATHER_ALIASES: dict[str, tuple[str, ...]] = {
    "air_temp_c": ("気温(℃)", "気温", "air_temp"),
    "wind_dir_deg": ("風向(度:0～359)", "風向", "wind_dir"),
    "wind_speed_m_s": ("wind_speed_ms", "風速(m/s)", "風速", "wind_speed"),
    "precip_mm": ("降水量(mm)", "降水量", "precip"),
    "snow_depth_cm": ("積雪深(cm)", "積雪深", "snow_depth"),
}

#: The weather columns, in order.
WEATHER_COLUMNS: tuple[str, ...] = tuple(WEATHER_ALIASES)

#: Physical range of each daily-mean variable used by the QC range test (inclusive).
WEATHER_RANGES: dict[str, tuple[float, float]] = {
    "air_temp_c": (-40.0, 45.0),
    "wind_dir_deg": (0.0, 360.0),
    "wind_speed_m_s": (0.0, 60.0),
    "precip_mm": (0.0, 500.0),
    "snow_depth_cm": (0.0, 500.0),
}

WEATHER = Spec(
    "weather",
    (
        Col("date", "date", True),
        *(Col(c, "double") for c in WEATHER_COLUMNS),
        Col("simulated", "bool", default="false"),
    ),
    ("date",),
)

WEATHER_TABLE = OutputTable(
    "weather",
    (
        ("date", "DATE NOT NULL"),
        ("air_temp_c", "DOUBLE"),
        ("wind_dir_deg", "DOUBLE"),
        ("wind_speed_m_s", "DOUBLE"),
        ("precip_mm", "DOUBLE"),
        ("snow_depth_cm", "DOUBLE"),
    ),
)


def read_weather_source(src: Source) -> Batch:
    """The weather columns of the Sapporo daily file, one row per day."""
    raw, enc = read_dated_csv(src.path, WEATHER_ALIASES, WEATHER_COLUMNS)
    frame = raw[["date_text", *WEATHER_COLUMNS, "line"]].rename(columns={"date_text": "date"})
    frame["date"] = frame["date"].str.replace("/", "-", regex=False)
    return frame_batch(src, frame, src.spec, [], text_lines(src.path), enc)


def qc_weather(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of daily weather (see the module docstring)."""
    t = q.rows
    flags = qc.range_flags({k: values(t, k) for k in q.ranges}, q.ranges)
    d = t.column("date").cast(pa.int32()).to_numpy(zero_copy_only=False)
    flags |= duplicate_flags(np.zeros(len(d), dtype=np.int64), d)
    flags |= date_future_flags(t, "date", q.now_us)
    return flags


ADAPTER = register(
    Adapter(
        kind="weather",
        description="Sapporo daily reference weather (the Chi-Ka-Ho daily file)",
        spec=WEATHER,
        table=WEATHER_TABLE,
        qc=qc_weather,
        ranges=WEATHER_RANGES,
        reader=read_weather_source,
        uses_area=False,
    )
)
