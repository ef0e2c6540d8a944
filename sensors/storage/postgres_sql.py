"""
PostgreSQL forms of the store's migrations, where the portable SQL does not fit.

Migration 1 differs: PostgreSQL has no ``DOUBLE``/``UINTEGER``; the time series tables
(``readings``, ``counts``, ``dwell``, ``steps``) are partitioned by month of ``time``
(declarative partitioning, a default partition, monthly partitions created on demand by the
writer, :func:`sensors.storage.postgres.ensure_partitions`); locations get a PostGIS
``geometry(Point, 4326)`` column generated from ``lon``/``lat`` with a GiST index; and the
indexes serve the field's reads (``sensor_id, time``), time windows over every sensor (the
SensorThings ``Observations`` queries) and the per-file bookkeeping. ``epoch_us`` mirrors
DuckDB's function of that name so that the same QC SQL runs on both backends.

Later migrations are written in portable SQL (``TEXT``, ``BIGINT``, ``DOUBLE PRECISION``,
``TIMESTAMPTZ`` ...) and need no PostgreSQL form unless they use something DuckDB-only.
"""

from __future__ import annotations

import re

#: Time series tables partitioned by month of ``time`` on PostgreSQL.
PARTITIONED: tuple[str, ...] = ("readings", "counts", "dwell", "steps")

_POINT = (
    "geom geometry(Point, 4326) GENERATED ALWAYS AS (CASE WHEN lon IS NOT NULL AND lat IS NOT "
    "NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED"
)

V1 = f"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE OR REPLACE FUNCTION epoch_us(ts TIMESTAMPTZ) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (extract(epoch FROM ts) * 1000000)::BIGINT';
CREATE SEQUENCE files_seq START 1;
CREATE TABLE files (
    file_id      BIGINT PRIMARY KEY DEFAULT nextval('files_seq'),
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    rows_read    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    flagged      BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    encoding     TEXT,
    simulated    BOOLEAN NOT NULL DEFAULT false,
    ingested_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    UNIQUE (sha256, kind),
    CHECK (accepted + quarantined = rows_read),
    CHECK (flagged <= accepted)
);
CREATE TABLE sensors (
    sensor_id        TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    lat              DOUBLE PRECISION,
    lon              DOUBLE PRECISION,
    level            SMALLINT NOT NULL DEFAULT 0,
    height_m         DOUBLE PRECISION,
    globe_diameter_m DOUBLE PRECISION,
    installed        TIMESTAMPTZ,
    name             TEXT,
    qc_flags         BIGINT NOT NULL DEFAULT 0 CHECK (qc_flags >= 0),
    simulated        BOOLEAN NOT NULL DEFAULT false,
    file_id          BIGINT,
    {_POINT}
);
CREATE INDEX sensors_geom_gist ON sensors USING gist (geom);
CREATE TABLE readings (
    time             TIMESTAMPTZ NOT NULL,
    sensor_id        TEXT NOT NULL,
    lat              DOUBLE PRECISION,
    lon              DOUBLE PRECISION,
    level            SMALLINT,
    air_temp_c       DOUBLE PRECISION,
    rel_humidity_pct DOUBLE PRECISION,
    wind_speed_ms    DOUBLE PRECISION,
    globe_temp_c     DOUBLE PRECISION,
    solar_wm2        DOUBLE PRECISION,
    qc_flags         BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated        BOOLEAN NOT NULL,
    file_id          BIGINT NOT NULL,
    line             BIGINT,
    {_POINT}
) PARTITION BY RANGE (time);
CREATE INDEX readings_sensor_time ON readings (sensor_id, time);
CREATE INDEX readings_time ON readings (time);
CREATE INDEX readings_file ON readings (file_id);
CREATE INDEX readings_geom_gist ON readings USING gist (geom);
CREATE TABLE counts (
    time         TIMESTAMPTZ NOT NULL,
    line_id      TEXT NOT NULL,
    direction    TEXT NOT NULL,
    interval_min INTEGER NOT NULL,
    count        DOUBLE PRECISION,
    statistic    TEXT NOT NULL DEFAULT 'total',
    series       TEXT NOT NULL,
    qc_flags     BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
) PARTITION BY RANGE (time);
CREATE INDEX counts_line_time ON counts (line_id, time);
CREATE INDEX counts_file ON counts (file_id);
CREATE TABLE dwell (
    time         TIMESTAMPTZ NOT NULL,
    zone_id      TEXT NOT NULL,
    interval_min INTEGER NOT NULL,
    dwell_count  DOUBLE PRECISION,
    series       TEXT NOT NULL,
    qc_flags     BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
) PARTITION BY RANGE (time);
CREATE INDEX dwell_zone_time ON dwell (zone_id, time);
CREATE INDEX dwell_file ON dwell (file_id);
CREATE TABLE mesh_stay (
    mesh_id         TEXT NOT NULL,
    city_code       TEXT,
    month           DATE NOT NULL,
    day_type        TEXT NOT NULL,
    time_band       TEXT NOT NULL,
    stay_population DOUBLE PRECISION,
    qc_flags        BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated       BOOLEAN NOT NULL,
    file_id         BIGINT NOT NULL,
    line            BIGINT
);
CREATE INDEX mesh_stay_mesh ON mesh_stay (mesh_id, month);
CREATE TABLE steps (
    participant  TEXT NOT NULL,
    time         TIMESTAMPTZ NOT NULL,
    interval     TEXT NOT NULL,
    steps        BIGINT,
    qc_flags     BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
) PARTITION BY RANGE (time);
CREATE INDEX steps_participant_time ON steps (participant, time);
CREATE INDEX steps_file ON steps (file_id);
CREATE TABLE survey (
    response_id       TEXT NOT NULL,
    time              TIMESTAMPTZ NOT NULL,
    lat               DOUBLE PRECISION,
    lon               DOUBLE PRECISION,
    block             TEXT,
    thermal_sensation SMALLINT,
    comfort_vote      SMALLINT,
    preference        TEXT,
    activity          TEXT,
    clothing_clo      DOUBLE PRECISION,
    age_group         TEXT,
    free_text         TEXT,
    qc_flags          BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated         BOOLEAN NOT NULL,
    file_id           BIGINT NOT NULL,
    line              BIGINT,
    {_POINT}
);
CREATE INDEX survey_time ON survey (time);
CREATE INDEX survey_geom_gist ON survey USING gist (geom);
CREATE TABLE weather (
    date          DATE NOT NULL,
    air_temp_c    DOUBLE PRECISION,
    wind_dir_deg  DOUBLE PRECISION,
    wind_speed_ms DOUBLE PRECISION,
    precip_mm     DOUBLE PRECISION,
    snow_depth_cm DOUBLE PRECISION,
    qc_flags      BIGINT NOT NULL CHECK (qc_flags >= 0),
    simulated     BOOLEAN NOT NULL,
    file_id       BIGINT NOT NULL,
    line          BIGINT
);
CREATE INDEX weather_date ON weather (date);
CREATE TABLE quarantine (
    file_id BIGINT NOT NULL,
    line    BIGINT,
    field   TEXT,
    reason  TEXT NOT NULL,
    raw     TEXT
);
CREATE INDEX quarantine_file ON quarantine (file_id, line);
""" + "\n".join(f"CREATE TABLE {t}_default PARTITION OF {t} DEFAULT;" for t in PARTITIONED)

_TYPES = (
    (re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bUINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\b(?:UTINYINT|USMALLINT)\b", re.I), "INTEGER"),
    (re.compile(r"\bTINYINT\b", re.I), "SMALLINT"),
    (re.compile(r"\b(?:UBIGINT|HUGEINT|UHUGEINT)\b", re.I), "NUMERIC"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bFLOAT\b", re.I), "REAL"),
)


def postgres_types(sql: str) -> str:
    """
    DuckDB column types in ``sql`` replaced by their PostgreSQL equivalents (for the tables of
    registered kinds, whose DDL is written for DuckDB).

    Examples
    --------
    >>> postgres_types("CREATE TABLE t (x DOUBLE, f UINTEGER NOT NULL, y DOUBLE PRECISION)")
    'CREATE TABLE t (x DOUBLE PRECISION, f BIGINT NOT NULL, y DOUBLE PRECISION)'
    """
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql
