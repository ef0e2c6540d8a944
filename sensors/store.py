"""
The kaiteki store: one DuckDB database file holding every ingested row, with a schema version.

Open it with :class:`Store` (``Store(path)``); the schema is created or migrated on open. Every
data table has ``simulated`` (true for rows from a kaiteki simulator) and ``file_id`` (the
``files`` row of the batch it came from). Timestamps are ``TIMESTAMPTZ``; a source timestamp
without a zone is taken as Asia/Tokyo, and frames come back in Asia/Tokyo.

Adding a table or column later: append a :class:`Migration` with the next version number to
:data:`MIGRATIONS` (never edit an applied one). ``Store`` applies the pending ones, each in its own
transaction, and records them in ``schema_version``. See docs/STORE.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from sensors.errors import StoreError

if TYPE_CHECKING:
    import geopandas as gpd

#: Time zone used for timestamps without one, and for frames returned by the store.
TZ = "Asia/Tokyo"

#: Longest pause (s) between attempts to open a store another process holds.
MAX_BUSY_PAUSE_S = 0.25


def is_busy_error(exc: BaseException) -> bool:
    """
    Whether a DuckDB (or :class:`StoreError`) error means another connection holds the store:
    another process's lock, or this process holding it open with the other read-only setting.

    Examples
    --------
    >>> is_busy_error(StoreError("the store is busy: another process holds its lock"))
    True
    >>> is_busy_error(ValueError("no such table"))
    False
    """
    text = str(exc.__cause__ or exc).lower()
    return "lock" in text or "different configuration" in text


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` (1, 2, ...), a short ``name`` and the SQL to run."""

    version: int
    name: str
    sql: str


_V1 = """
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
    lat              DOUBLE,
    lon              DOUBLE,
    level            SMALLINT NOT NULL DEFAULT 0,
    height_m         DOUBLE,
    globe_diameter_m DOUBLE,
    installed        TIMESTAMPTZ,
    name             TEXT,
    qc_flags         UINTEGER NOT NULL DEFAULT 0,
    simulated        BOOLEAN NOT NULL DEFAULT false,
    file_id          BIGINT
);
CREATE TABLE readings (
    time             TIMESTAMPTZ NOT NULL,
    sensor_id        TEXT NOT NULL,
    lat              DOUBLE,
    lon              DOUBLE,
    level            SMALLINT,
    air_temp_c       DOUBLE,
    rel_humidity_pct DOUBLE,
    wind_speed_ms    DOUBLE,
    globe_temp_c     DOUBLE,
    solar_wm2        DOUBLE,
    qc_flags         UINTEGER NOT NULL,
    simulated        BOOLEAN NOT NULL,
    file_id          BIGINT NOT NULL,
    line             BIGINT
);
CREATE TABLE counts (
    time         TIMESTAMPTZ NOT NULL,
    line_id      TEXT NOT NULL,
    direction    TEXT NOT NULL,
    interval_min INTEGER NOT NULL,
    count        DOUBLE,
    statistic    TEXT NOT NULL DEFAULT 'total',
    series       TEXT NOT NULL,
    qc_flags     UINTEGER NOT NULL,
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
);
CREATE TABLE dwell (
    time         TIMESTAMPTZ NOT NULL,
    zone_id      TEXT NOT NULL,
    interval_min INTEGER NOT NULL,
    dwell_count  DOUBLE,
    series       TEXT NOT NULL,
    qc_flags     UINTEGER NOT NULL,
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
);
CREATE TABLE mesh_stay (
    mesh_id         TEXT NOT NULL,
    city_code       TEXT,
    month           DATE NOT NULL,
    day_type        TEXT NOT NULL,
    time_band       TEXT NOT NULL,
    stay_population DOUBLE,
    qc_flags        UINTEGER NOT NULL,
    simulated       BOOLEAN NOT NULL,
    file_id         BIGINT NOT NULL,
    line            BIGINT
);
CREATE TABLE steps (
    participant  TEXT NOT NULL,
    time         TIMESTAMPTZ NOT NULL,
    interval     TEXT NOT NULL,
    steps        BIGINT,
    qc_flags     UINTEGER NOT NULL,
    simulated    BOOLEAN NOT NULL,
    file_id      BIGINT NOT NULL,
    line         BIGINT
);
CREATE TABLE survey (
    response_id       TEXT NOT NULL,
    time              TIMESTAMPTZ NOT NULL,
    lat               DOUBLE,
    lon               DOUBLE,
    block             TEXT,
    thermal_sensation SMALLINT,
    comfort_vote      SMALLINT,
    preference        TEXT,
    activity          TEXT,
    clothing_clo      DOUBLE,
    age_group         TEXT,
    free_text         TEXT,
    qc_flags          UINTEGER NOT NULL,
    simulated         BOOLEAN NOT NULL,
    file_id           BIGINT NOT NULL,
    line              BIGINT
);
CREATE TABLE weather (
    date          DATE NOT NULL,
    air_temp_c    DOUBLE,
    wind_dir_deg  DOUBLE,
    wind_speed_ms DOUBLE,
    precip_mm     DOUBLE,
    snow_depth_cm DOUBLE,
    qc_flags      UINTEGER NOT NULL,
    simulated     BOOLEAN NOT NULL,
    file_id       BIGINT NOT NULL,
    line          BIGINT
);
CREATE TABLE quarantine (
    file_id BIGINT NOT NULL,
    line    BIGINT,
    field   TEXT,
    reason  TEXT NOT NULL,
    raw     TEXT
);
"""

#: Web app tables (api/auth.py, api/pageviews.py): API keys are stored as SHA-256 digests only;
#: page views are daily counts per page (no IPs, no cookies, nothing per visitor).
_V2_WEB = """
CREATE TABLE api_keys (
    key_id       TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE TABLE page_views (
    day       DATE NOT NULL,
    page      TEXT NOT NULL,
    views     BIGINT NOT NULL,
    simulated BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (day, page, simulated)
);
"""

_V3_UNIT_NAMES = """
ALTER TABLE readings RENAME COLUMN wind_speed_ms TO wind_speed_m_s;
ALTER TABLE weather RENAME COLUMN wind_speed_ms TO wind_speed_m_s;
"""

_V4_PLACES = """
CREATE TABLE places (
    place_id      TEXT PRIMARY KEY,
    name_ja       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('outdoor', 'semi_outdoor', 'indoor')),
    type          TEXT NOT NULL,
    level         INTEGER NOT NULL DEFAULT 0,
    geometry_wkt  TEXT NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    months        TEXT NOT NULL DEFAULT '1-12',
    open_min      INTEGER NOT NULL DEFAULT 0,
    close_min     INTEGER NOT NULL DEFAULT 1440,
    features      TEXT NOT NULL DEFAULT '',
    public_access BOOLEAN NOT NULL DEFAULT true,
    valid_from    DATE,
    valid_to      DATE,
    status        TEXT NOT NULL CHECK (status IN ('existing', 'planned')),
    source        TEXT NOT NULL,
    approximate   BOOLEAN NOT NULL DEFAULT false,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE SEQUENCE places_audit_seq START 1;
CREATE TABLE places_audit (
    audit_id    BIGINT PRIMARY KEY DEFAULT nextval('places_audit_seq'),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    who         TEXT NOT NULL,
    action      TEXT NOT NULL,
    place_id    TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
"""

#: The ordered schema migrations. Append new ones (next version number); never edit old ones.
MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema: files, sensors, readings, counts, dwell, mesh_stay, "
              "steps, survey, weather, quarantine", _V1),
    Migration(2, "web app: api_keys (hashed API keys), page_views (daily content views)",
              _V2_WEB),
    Migration(3, "units in names: wind speeds in m/s are wind_speed_m_s (_ms is a duration)",
              _V3_UNIT_NAMES),
    Migration(4, "places registry with history: places, places_audit (issue 12)", _V4_PLACES),
]  # fmt: skip

#: Data tables (every one has ``simulated``, ``file_id`` and ``qc_flags``).
DATA_TABLES: tuple[str, ...] = (
    "sensors",
    "readings",
    "counts",
    "dwell",
    "mesh_stay",
    "steps",
    "survey",
    "weather",
)


def _ts(value: Any) -> Any:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(TZ)
    return ts.to_pydatetime()


class Store:
    """
    The DuckDB store file, opened (and migrated) on first use.

    Parameters
    ----------
    path
        The database file; created with its folder if missing. ``":memory:"`` for a throwaway
        in-memory store.
    read_only
        Open without writing (no migration); several readers may share the file.
    wait_s
        How long (s) to keep retrying, with growing pauses, while another process holds the
        store (DuckDB lets one process write a file, or several read it); 0 fails at once.
        The CLI passes ``KAITEKI_STORE_WAIT_S``.

    Examples
    --------
    >>> with Store(":memory:") as store:
    ...     store.schema_version() == len(MIGRATIONS)
    True
    """

    def __init__(self, path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.wait_s = wait_s
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- connection -------------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (session time zone Asia/Tokyo)."""
        if self._con is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            try:
                con = self._connect()
            except duckdb.Error as exc:
                if is_busy_error(exc):
                    # the lock holder's path and PID stay out of the message (it may reach a
                    # web client); the cause is kept for the server log
                    raise StoreError(
                        "the store is busy: another process holds its lock (an ingest, a key "
                        f"command or the server's writer); gave up after {self.wait_s:g} s. "
                        "Try again when it has finished, or raise KAITEKI_STORE_WAIT_S."
                    ) from exc
                raise StoreError(
                    f"cannot open the store {self.path}: {exc}. Check KAITEKI_STORE points at a "
                    "writable DuckDB file and that no other process holds it open for writing."
                ) from exc
            con.execute(f"SET TimeZone = '{TZ}'")
            try:
                con.execute("SET enable_progress_bar = false")
            except duckdb.Error:
                # In Jupyter, DuckDB refuses to touch the progress-bar setting without
                # ipywidgets; its bar is then off anyway.
                pass
            self._con = con
            if not self.read_only:
                self.migrate()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.wait_s
        pause = 0.02
        while True:
            try:
                return duckdb.connect(self.path, read_only=self.read_only)
            except duckdb.Error as exc:
                if not is_busy_error(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, MAX_BUSY_PAUSE_S)

    def close(self) -> None:
        """Close the connection (the store can be reopened by using it again)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest applied migration (0 for an empty file)."""
        con = self.con
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """
        Apply pending migrations in version order, each in one transaction.

        Returns
        -------
        list of int
            The versions applied now.

        Raises
        ------
        StoreError
            The migration list is not numbered 1, 2, ..., or the file's schema is newer than
            this code.
        """
        migs = list(MIGRATIONS if migrations is None else migrations)
        versions = [m.version for m in migs]
        if versions != list(range(1, len(migs) + 1)):
            raise StoreError(
                f"migrations must be numbered 1, 2, ... without gaps; got {versions}. "
                "Append new migrations with the next version number."
            )
        con = self._con if self._con is not None else self.con
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
        )
        current = self.schema_version()
        if current > len(migs):
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this kaiteki "
                f"({len(migs)}). Upgrade kaiteki or use a different KAITEKI_STORE."
            )
        applied = []
        for m in migs[current:]:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(m.sql)
                con.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)", [m.version, m.name]
                )
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                raise StoreError(
                    f"migration {m.version} ({m.name}) failed on {self.path}: {exc}"
                ) from exc
            applied.append(m.version)
        return applied

    # -- research API -----------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run any SQL on the store and return a pandas frame (timestamps in Asia/Tokyo)."""
        return self.con.execute(sql, params or []).df()

    def _select(
        self,
        table: str,
        *,
        time_col: str | None = "time",
        start: Any = None,
        end: Any = None,
        ids: tuple[str, Iterable[str] | None] | None = None,
        simulated: bool | None = None,
        qc_ok: bool = False,
        extra_cols: str = "",
        order: str = "",
    ) -> pd.DataFrame:
        where, params = [], []
        if time_col and start is not None:
            where.append(f"t.{time_col} >= ?")
            params.append(_ts(start) if time_col != "date" else pd.Timestamp(start).date())
        if time_col and end is not None:
            where.append(f"t.{time_col} < ?")
            params.append(_ts(end) if time_col != "date" else pd.Timestamp(end).date())
        if ids is not None and ids[1] is not None:
            values = [str(v) for v in ids[1]]
            where.append(f"t.{ids[0]} IN (SELECT unnest(?::TEXT[]))")
            params.append(values)
        if simulated is not None:
            where.append("t.simulated = ?")
            params.append(simulated)
        if qc_ok:
            where.append("t.qc_flags = 0")
        sql = f"SELECT t.*{extra_cols} FROM {table} t"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += f" ORDER BY {order}"
        return self.query(sql, params)

    def readings(
        self,
        start: Any = None,
        end: Any = None,
        sensor_ids: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
        qc_ok: bool = False,
    ) -> pd.DataFrame:
        """
        Thermal readings, with locations resolved from the sensor registry.

        Parameters
        ----------
        start, end
            Time window ``[start, end)``; naive values are Asia/Tokyo.
        sensor_ids
            Only these sensors.
        simulated
            Only simulated (True) or only real (False) rows; both when None.
        qc_ok
            Only rows that passed every QC test (``qc_flags == 0``).

        Returns
        -------
        pandas.DataFrame
            ``time`` (Asia/Tokyo), ``sensor_id``, ``lat``, ``lon`` (the reading's, else the
            registry's), ``level``, ``air_temp_c`` (°C), ``rel_humidity_pct`` (%),
            ``wind_speed_m_s`` (m/s), ``globe_temp_c`` (°C), ``solar_wm2`` (W/m²),
            ``qc_flags`` (bitmask of :class:`comfort.qcflags.QCFlag`; names with
            :func:`sensors.qc.flag_names`), ``simulated``, ``file_id``, ``line``.
        """
        where, params = [], []
        if start is not None:
            where.append("r.time >= ?")
            params.append(_ts(start))
        if end is not None:
            where.append("r.time < ?")
            params.append(_ts(end))
        if sensor_ids is not None:
            where.append("r.sensor_id IN (SELECT unnest(?::TEXT[]))")
            params.append([str(s) for s in sensor_ids])
        if simulated is not None:
            where.append("r.simulated = ?")
            params.append(simulated)
        if qc_ok:
            where.append("r.qc_flags = 0")
        sql = (
            "SELECT r.time, r.sensor_id, coalesce(r.lat, s.lat) AS lat, "
            "coalesce(r.lon, s.lon) AS lon, coalesce(r.level, s.level, 0) AS level, "
            "r.air_temp_c, r.rel_humidity_pct, r.wind_speed_m_s, r.globe_temp_c, r.solar_wm2, "
            "r.qc_flags, r.simulated, r.file_id, r.line "
            "FROM readings r LEFT JOIN sensors s USING (sensor_id)"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.query(sql + " ORDER BY r.sensor_id, r.time, r.file_id, r.line", params)

    def sensors(self) -> gpd.GeoDataFrame:
        """
        The sensor registry as a GeoDataFrame (EPSG:4326 points; empty geometry when unknown).

        Columns: ``sensor_id``, ``kind`` (fixed|mobile), ``lat``, ``lon``, ``level``,
        ``height_m`` (m), ``globe_diameter_m`` (m), ``installed``, ``name``, ``qc_flags``,
        ``simulated``, ``file_id``, geometry.
        """
        df = self._select("sensors", time_col=None, order="t.sensor_id")
        return _points(df)

    def counts(
        self,
        start: Any = None,
        end: Any = None,
        line_ids: Iterable[str] | None = None,
        *,
        series: str | None = None,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """
        People counts per counting line, interval and direction.

        Columns: ``time`` (interval start, Asia/Tokyo), ``line_id``, ``direction``,
        ``interval_min`` (min), ``count``, ``statistic`` (``total`` people in the interval,
        ``mean_per_15min`` for the Chi-Ka-Ho daily file), ``series``, ``qc_flags``,
        ``simulated``, ``file_id``, ``line``. Series are never merged: filter on ``series``.
        """
        df = self._select(
            "counts",
            start=start,
            end=end,
            ids=("line_id", line_ids),
            simulated=simulated,
            order="t.line_id, t.direction, t.time",
        )
        if series is not None:
            df = df[df["series"] == series].reset_index(drop=True)
        return df

    def dwell(
        self,
        start: Any = None,
        end: Any = None,
        zone_ids: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """Dwell counts (people staying) per zone and interval; see :meth:`counts`."""
        return self._select(
            "dwell",
            start=start,
            end=end,
            ids=("zone_id", zone_ids),
            simulated=simulated,
            order="t.zone_id, t.time",
        )

    def mesh_stay(self, mesh_ids: Iterable[str] | None = None) -> gpd.GeoDataFrame:
        """
        MLIT 1 km mesh stay population as a GeoDataFrame (mesh squares, EPSG:4326).

        Columns: ``mesh_id`` (JIS 3rd-order code), ``city_code``, ``month`` (first day),
        ``day_type`` (holiday|weekday|all), ``time_band`` (day 11–14 h|night 1–4 h|all),
        ``stay_population`` (mean people per day), ``qc_flags``, ``simulated``,
        ``file_id``, geometry.
        """
        import geopandas as gpd

        from sensors.mlit import mesh_polygon

        df = self._select(
            "mesh_stay",
            time_col=None,
            ids=("mesh_id", mesh_ids),
            order="t.mesh_id, t.month, t.day_type, t.time_band",
        )
        geoms = {m: mesh_polygon(m) for m in df["mesh_id"].unique()}
        return gpd.GeoDataFrame(df, geometry=[geoms[m] for m in df["mesh_id"]], crs="EPSG:4326")

    def steps(
        self,
        start: Any = None,
        end: Any = None,
        participants: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """
        Step counts: ``participant`` (pseudonym), ``time`` (Asia/Tokyo), ``interval``
        (hour|day), ``steps``, ``qc_flags``, ``simulated``, ``file_id``, ``line``.
        """
        return self._select(
            "steps",
            start=start,
            end=end,
            ids=("participant", participants),
            simulated=simulated,
            order="t.participant, t.time",
        )

    def survey(
        self, start: Any = None, end: Any = None, *, simulated: bool | None = None
    ) -> gpd.GeoDataFrame:
        """
        Questionnaire responses as a GeoDataFrame (points where ``lat``/``lon`` are given).

        Columns: ``response_id``, ``time``, ``lat``, ``lon``, ``block``,
        ``thermal_sensation`` (ASHRAE −3..+3), ``comfort_vote`` (0..3), ``preference``,
        ``activity``, ``clothing_clo`` (clo), ``age_group``, ``free_text``, ``qc_flags``,
        ``simulated``, ``file_id``, ``line``, geometry.
        """
        df = self._select(
            "survey", start=start, end=end, simulated=simulated, order="t.time, t.response_id"
        )
        return _points(df)

    def weather(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """
        Reference daily weather: ``date``, ``air_temp_c`` (°C), ``wind_dir_deg`` (°),
        ``wind_speed_m_s`` (m/s), ``precip_mm`` (mm), ``snow_depth_cm`` (cm), ``qc_flags``,
        ``simulated``, ``file_id``, ``line``.
        """
        return self._select("weather", time_col="date", start=start, end=end, order="t.date")

    def table(
        self,
        name: str,
        start: Any = None,
        end: Any = None,
        *,
        time_col: str | None = "time",
        simulated: bool | None = None,
        qc_ok: bool = False,
    ) -> pd.DataFrame:
        """
        Every row of data table ``name`` (a kind's output table, built-in or registered), with
        its integer ``qc_flags``, in the order it was stored.

        Parameters
        ----------
        name
            The table, e.g. ``"readings"`` or the table of a kind added with
            :func:`sensors.kinds.register`.
        start, end
            Window ``[start, end)`` on ``time_col`` (None: no time filter).
        time_col
            The table's time column, or None.
        simulated, qc_ok
            As in :meth:`readings`.

        Raises
        ------
        StoreError
            No such table in the store.
        """
        known = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
        ).fetchall()
        columns = {c for (c,) in known}
        if not columns:
            raise StoreError(
                f"the store {self.path} has no table {name!r}; ingest the kind that writes it "
                "first (kaiteki ingest KIND FILE)."
            )
        tcol = time_col if time_col in columns else None
        order = ", ".join(f"t.{c}" for c in ("file_id", "line") if c in columns)
        return self._select(
            name, time_col=tcol, start=start, end=end, simulated=simulated, qc_ok=qc_ok,
            order=order,
        )  # fmt: skip

    def files(self) -> pd.DataFrame:
        """Every ingested file or batch: path, sha256, kind, row counts, time of ingest."""
        return self.query("SELECT * FROM files ORDER BY file_id")

    def quarantine(self, file_id: int | None = None) -> pd.DataFrame:
        """Rows that could not be stored: ``file_id``, ``path``, ``line``, ``field``, ``reason``,
        ``raw``."""
        sql = (
            "SELECT q.file_id, f.path, q.line, q.field, q.reason, q.raw "
            "FROM quarantine q LEFT JOIN files f USING (file_id)"
        )
        params: list[Any] = []
        if file_id is not None:
            sql += " WHERE q.file_id = ?"
            params.append(file_id)
        return self.query(sql + " ORDER BY q.file_id, q.line", params)

    def table_counts(self) -> dict[str, int]:
        """Number of rows in every data table, ``files`` and ``quarantine``."""
        out = {}
        for t in (*DATA_TABLES, "files", "quarantine"):
            row = self.con.execute(f"SELECT count(*) FROM {t}").fetchone()
            out[t] = int(row[0]) if row else 0
        return out


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    geom = gpd.points_from_xy(df["lon"], df["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


def as_date(value: Any) -> date:
    """A :class:`datetime.date` from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()
