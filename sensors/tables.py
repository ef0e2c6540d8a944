"""
Column specifications of each ingest kind: canonical names, types, aliases, required fields.

A spec drives the generic reader (header mapping, casting text to types in DuckDB SQL, and the
quarantine of rows whose key fields are missing or unparseable).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    """
    One input column.

    ``type`` is ``time`` (ISO 8601, zone optional → Asia/Tokyo), ``fitbit_time``
    (``M/D/YY H:MM`` or ``M/D/YYYY h:mm:ss AM/PM``), ``text``, ``double``, ``int``, ``bool`` or
    ``date``. A ``required`` column must be in the header and non-empty in every row (else the
    row is quarantined). ``default`` is used when the column is absent or the cell empty.
    """

    name: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class Spec:
    """The columns of one kind and the store table they go to."""

    kind: str
    table: str
    cols: tuple[Col, ...]
    #: Columns that must appear in the header (a file without them is rejected as a whole).
    header_required: tuple[str, ...] = ()

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cols)


THERMAL = Spec(
    "thermal",
    "readings",
    (
        Col("time", "time", True, ("timestamp", "datetime", "日時", "時刻")),
        Col("sensor_id", "text", True, ("sensor", "station_id", "センサーid")),
        Col("lat", "double", aliases=("latitude", "緯度")),
        Col("lon", "double", aliases=("lng", "longitude", "経度")),
        Col("level", "int"),
        Col("air_temp_c", "double", aliases=("気温(℃)", "気温")),
        Col("rel_humidity_pct", "double", aliases=("rh_pct", "相対湿度(%)", "湿度(%)", "湿度")),
        Col("wind_speed_ms", "double", aliases=("風速(m/s)", "風速")),
        Col("globe_temp_c", "double", aliases=("黒球温度(℃)", "黒球温度")),
        Col("solar_wm2", "double", aliases=("日射量(w/m2)", "日射量")),
        Col("simulated", "bool", default="false"),
    ),
    ("time", "sensor_id", "air_temp_c", "rel_humidity_pct", "wind_speed_ms", "globe_temp_c"),
)

SENSORS = Spec(
    "sensors",
    "sensors",
    (
        Col("sensor_id", "text", True, ("sensor", "station_id")),
        Col("kind", "text", default="fixed"),
        Col("lat", "double", aliases=("latitude", "緯度")),
        Col("lon", "double", aliases=("lng", "longitude", "経度")),
        Col("level", "int", default="0"),
        Col("height_m", "double"),
        Col("globe_diameter_m", "double"),
        Col("installed", "time"),
        Col("name", "text"),
        Col("simulated", "bool", default="false"),
    ),
    ("sensor_id",),
)

FLOW = Spec(
    "flow",
    "counts",
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

DWELL = Spec(
    "dwell",
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

STEPS = Spec(
    "steps",
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

SURVEY = Spec(
    "survey",
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

WEATHER = Spec(
    "weather",
    "weather",
    (
        Col("date", "date", True),
        Col("air_temp_c", "double"),
        Col("wind_dir_deg", "double"),
        Col("wind_speed_ms", "double"),
        Col("precip_mm", "double"),
        Col("snow_depth_cm", "double"),
        Col("simulated", "bool", default="false"),
    ),
    ("date",),
)

COUNTS_LONG = Spec(
    "chikaho",
    "counts",
    FLOW.cols,
    ("time", "line_id"),
)

MESH = Spec(
    "mesh",
    "mesh_stay",
    (
        Col("mesh_id", "text", True),
        Col("city_code", "text"),
        Col("month", "date", True),
        Col("day_type", "text", True),
        Col("time_band", "text", True),
        Col("stay_population", "double"),
        Col("simulated", "bool", default="false"),
    ),
    ("mesh_id",),
)
