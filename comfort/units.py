"""
One unit registry: the unit of every variable kaiteki stores, computes or exports, and of every
benchmark figure. Exports write these units into their metadata; ``make bench`` prints them.

Units live in names (docs/STORE.md): ``_c`` °C, ``_pct`` %, ``_m_s`` m/s, ``_wm2`` W/m², ``_m``
metres ... A speed is ``_m_s`` and a duration ``_ms`` (milliseconds) — never the other way.
Unit strings follow UDUNITS (CF conventions) where one exists.

Examples
--------
>>> unit_of("air_temp_c"), unit_of("wind_speed_m_s"), unit_of("reach_400_m"), unit_of("name")
('degC', 'm s-1', 'm', None)
>>> bench_unit("p99_ms"), bench_unit("rows_per_s"), bench_unit("peak_rss_mb"), bench_unit("ratio")
('ms', '1/s', 'MB', 'x')
"""

from __future__ import annotations

#: Units of known variables and columns.
VARIABLE_UNITS: dict[str, str] = {
    "time": "ISO 8601 timestamp (interval start)",
    "date": "calendar date",
    "month": "first day of the month",
    "lat": "degrees_north",
    "lon": "degrees_east",
    "level": "1 (0 street, -1 underground)",
    "height_m": "m",
    "globe_diameter_m": "m",
    "air_temp_c": "degC",
    "mrt_c": "degC",
    "rel_humidity_pct": "%",
    "wind_speed_m_s": "m s-1",
    "wind_dir_deg": "degree (from north)",
    "globe_temp_c": "degC",
    "solar_wm2": "W m-2",
    "utci_c": "degC",
    "wbgt_c": "degC",
    "wind_chill_c": "degC",
    "precip_mm": "mm",
    "snow_depth_cm": "cm",
    "interval_min": "min",
    "count": "people per interval (statistic column: total, or mean_per_15min)",
    "dwell_count": "people",
    "stay_population": "people per day (mean)",
    "steps": "steps per interval",
    "thermal_sensation": "ASHRAE 7-point scale (-3 cold .. +3 hot)",
    "comfort_vote": "0 uncomfortable .. 3 comfortable",
    "clothing_clo": "clo",
    "qc_flags": "bitmask (docs/STORE.md, QC flags)",
    "qc_flag_names": "QC flag names, comma-separated",
    "simulated": "true for rows written by a kaiteki simulator",
    "length_m": "m",
    "area_m2": "m2",
    "open_min": "minutes after midnight",
    "close_min": "minutes after midnight",
    "walkability": "index 0-100",
    "walkability_comfort": "index 0-100",
    "comfort": "score 0-1",
}

#: Units implied by a name's suffix, longest first (variables and columns).
SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_m_s", "m s-1"),
    ("_wm2", "W m-2"),
    ("_pct", "%"),
    ("_deg", "degree"),
    ("_min", "min"),
    ("_m2", "m2"),
    ("_cm", "cm"),
    ("_mm", "mm"),
    ("_km", "km"),
    ("_ha", "ha"),
    ("_m", "m"),
    ("_c", "degC"),
)

#: Units of benchmark figures by suffix, longest first (``bench/results/<name>.json`` keys).
BENCH_SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_per_s", "1/s"),
    ("_ms_1conn", "ms"),
    ("_ms", "ms"),
    ("_mb", "MB"),
    ("_kb", "KB"),
    ("_pct", "%"),
    ("_c", "degC"),
    ("_s", "s"),
    ("_x", "x"),
)

#: Benchmark keys whose unit the suffix does not say.
BENCH_UNITS: dict[str, str] = {
    "rps": "1/s",
    "evals_per_s": "1/s",
    "messages_per_s": "1/s",
    "ratio": "x",
}


def unit_of(name: str) -> str | None:
    """The unit of a variable or column: from :data:`VARIABLE_UNITS`, else from its suffix."""
    if name in VARIABLE_UNITS:
        return VARIABLE_UNITS[name]
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return None


def bench_unit(key: str) -> str | None:
    """The unit of a benchmark figure (``None`` for counts and labels)."""
    if key in BENCH_UNITS:
        return BENCH_UNITS[key]
    if key.startswith("ratio") or key.startswith("speedup"):
        return "x"
    for suffix, unit in BENCH_SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return None
