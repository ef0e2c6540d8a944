"""
Constants shared by every layer: the time zone, the coordinate reference systems, the seasons
and the names of the real data files. Import them from here; never repeat the literal.

Examples
--------
>>> TIME_ZONE, PROJECTED_CRS, SEASONS
('Asia/Tokyo', 'EPSG:6680', ('DJF', 'MAM', 'JJA', 'SON'))
>>> season_of_month(1), season_of_month(7)
('DJF', 'JJA')
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: Time zone of every kaiteki timestamp without one (Sapporo local time, JST, UTC+9).
TIME_ZONE = "Asia/Tokyo"
#: The same as a :class:`zoneinfo.ZoneInfo`.
TZ = ZoneInfo(TIME_ZONE)

#: Projected CRS of the walking network and every distance: JGD2011 / Japan Plane Rectangular
#: CS XII (metres), the zone of Sapporo.
PROJECTED_CRS = "EPSG:6680"
#: Geographic CRS of every lon/lat in files, the API and the pages.
GEOGRAPHIC_CRS = "EPSG:4326"

#: Meteorological seasons, coldest first: Dec–Feb, Mar–May, Jun–Aug, Sep–Nov.
SEASONS: tuple[str, ...] = ("DJF", "MAM", "JJA", "SON")

#: Readable names of :data:`SEASONS` (ja/en) for tables and pages.
SEASON_NAMES: dict[str, dict[str, str]] = {
    "DJF": {"en": "Winter (Dec–Feb)", "ja": "冬（12〜2月）"},
    "MAM": {"en": "Spring (Mar–May)", "ja": "春（3〜5月）"},
    "JJA": {"en": "Summer (Jun–Aug)", "ja": "夏（6〜8月）"},
    "SON": {"en": "Autumn (Sep–Nov)", "ja": "秋（9〜11月）"},
}


def season_of_month(month: int) -> str:
    """The season code of a calendar month (1–12)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12; got {month}")
    return SEASONS[(month % 12) // 3]


#: The real data files kaiteki reads from the data folder (``KAITEKI_DATA_DIR``); provenance in
#: the data folder's PROVENANCE.md.
CENSUS_FILE = "sapporo_downtown_chome_2015.geojson"
DAILY_WEATHER_FILE = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"
MESH_FILE = "mlit_peopleflow_1km_sapporo_downtown.geojson"
FITBIT_FILE = "fitbit_hourlySteps_merged.csv"
