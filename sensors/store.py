"""
The kaiteki store: every ingested row, with a schema version, in one DuckDB database file (the
default) or a PostgreSQL + PostGIS database (``KAITEKI_STORE=postgresql://...``, for many
writers; :mod:`sensors.storage.postgres`).

Open it with :class:`Store` (``Store(path)`` or ``Store(url)``); the schema is created or
migrated on open. Every
data table has ``simulated`` (true for rows from a kaiteki simulator) and ``file_id`` (the
``files`` row of the batch it came from). Timestamps are ``TIMESTAMPTZ``; a source timestamp
without a zone is taken as Asia/Tokyo, and frames come back in Asia/Tokyo.

Adding a table or column later: append a :class:`Migration` with the next version number to
:data:`MIGRATIONS` (never edit an applied one). ``Store`` applies the pending ones, each in its own
transaction, and records them in ``schema_version``; give it ``postgres_sql`` only when the
portable SQL does not run on PostgreSQL. See docs/STORE.md.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from sensors.errors import StoreError
from sensors.storage.postgres_sql import V1 as _V1_POSTGRES
from sensors.storage.readers import DATA_TABLES, TZ, Readers

__all__ = [
    "DATA_TABLES",
    "MIGRATIONS",
    "TZ",
    "DuplicateBatchError",
    "Migration",
    "Store",
    "as_date",
    "is_busy_error",
    "is_postgres_url",
    "store_exists",
    "store_url",
]

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
    """
    One schema step: ``version`` (1, 2, ...), a short ``name``, the SQL to run (portable: it
    runs on both backends) and, where PostgreSQL needs different SQL, ``postgres_sql``.

    Examples
    --------
    >>> Migration(9, "demo", "CREATE TABLE t (x INTEGER)").sql_for("postgresql")
    'CREATE TABLE t (x INTEGER)'
    """

    version: int
    name: str
    sql: str
    postgres_sql: str | None = None

    def sql_for(self, backend: str) -> str:
        """The SQL of this step for ``backend`` (``duckdb`` or ``postgresql``)."""
        if backend == "postgresql" and self.postgres_sql is not None:
            return self.postgres_sql
        return self.sql


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

#: MQTT collector (sensors/collect): one idempotency key per stored reading, written in the
#: transaction of its rows, so a redelivered message adds nothing; and the messages refused
#: before ingest (bad JSON, unknown device ...) with topic, payload digest and reason.
#: ``IF NOT EXISTS``: the collector also runs it on a store of an older kaiteki.
COLLECT_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS collect_keys (
    key            TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    topic          TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    file_id        BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS collect_rejects (
    key            TEXT PRIMARY KEY,
    topic          TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload_bytes  BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    raw            TEXT,
    received_at    TIMESTAMPTZ NOT NULL
);
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
              "steps, survey, weather, quarantine", _V1, postgres_sql=_V1_POSTGRES),
    Migration(2, "web app: api_keys (hashed API keys), page_views (daily content views)",
              _V2_WEB),
    Migration(3, "units in names: wind speeds in m/s are wind_speed_m_s (_ms is a duration)",
              _V3_UNIT_NAMES),
    Migration(4, "places registry with history: places, places_audit (issue 12)", _V4_PLACES),
    Migration(5, "MQTT collector: collect_keys (idempotency keys), collect_rejects "
              "(refused messages) (issue 14)", COLLECT_TABLES_SQL),
]  # fmt: skip


class Store(Readers):
    """
    The store: the embedded DuckDB file (default) or a PostgreSQL + PostGIS database, opened
    (and migrated) on first use.

    ``Store(path)`` opens the DuckDB file; ``Store("postgresql://...")`` returns a
    :class:`sensors.storage.postgres.PostgresStore`, with the same readers, migrations and
    ingest guarantees (see docs/STORE.md, "Backends").

    Parameters
    ----------
    path
        The database file, created with its folder if missing; ``":memory:"`` for a throwaway
        in-memory store; or a ``postgresql://user@host:port/database`` URL.
    read_only
        Open without writing (no migration); several readers may share the file.
    wait_s
        How long (s) to keep retrying, with growing pauses, while another process holds the
        store (DuckDB lets one process write a file, or several read it; PostgreSQL: while the
        server does not answer); 0 fails at once. The CLI passes ``KAITEKI_STORE_WAIT_S``.

    Examples
    --------
    >>> with Store(":memory:") as store:
    ...     store.schema_version() == len(MIGRATIONS)
    True
    """

    #: ``duckdb`` or ``postgresql``: which form of a :class:`Migration` this backend runs.
    backend = "duckdb"

    def __new__(cls, path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> Store:
        if cls is Store and is_postgres_url(path):
            from sensors.storage.postgres import PostgresStore

            return super().__new__(PostgresStore)
        return super().__new__(cls)

    def __init__(self, path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.wait_s = wait_s
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- connection -------------------------------------------------------------------------

    @property
    def con(self) -> Any:
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

    @property
    def work(self) -> duckdb.DuckDBPyConnection:
        """
        The DuckDB connection the ingest pipeline casts and checks batches on, in process (the
        store's own connection here; a private in-memory one for PostgreSQL).
        """
        return self.con

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest applied migration (0 for an empty store)."""
        if "version" not in self.columns("schema_version"):
            return 0
        return int(self.query("SELECT coalesce(max(version), 0) AS v FROM schema_version")["v"][0])

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` in order (empty when there is no such table)."""
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [str(c) for (c,) in rows]

    def tables(self) -> list[str]:
        """The base tables of the store (partitions of a PostgreSQL table excluded)."""
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        return [str(t) for (t,) in rows]

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
            The migration list is not numbered 1, 2, ..., or the store's schema is newer than
            this code.
        """
        migs = check_migrations(migrations)
        con = self._con if self._con is not None else self.con
        con.execute(SCHEMA_VERSION_SQL)
        current = self.schema_version()
        check_not_newer(self.path, current, migs)
        applied = []
        for m in migs[current:]:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(m.sql_for(self.backend))
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

    # -- writing (sensors.ingest.write) -----------------------------------------------------

    def ensure_table(self, ddl: str) -> None:
        """Run a kind's ``CREATE TABLE IF NOT EXISTS`` (written for DuckDB; idempotent)."""
        self.con.execute(ddl)

    def write_batch(
        self,
        files_row: Mapping[str, Any],
        table: str,
        rows: pa.Table,
        quarantine: pa.Table,
        *,
        replace_key: str | None = None,
        on_write: Callable[[Any, int], None] | None = None,
    ) -> int:
        """
        Write one batch in one transaction: its ``files`` row, ``rows`` into ``table`` (every
        row gets the new ``file_id``) and its ``quarantine`` entries (``line``, ``field``,
        ``reason``, ``raw``). On any error nothing of the batch is kept.

        Parameters
        ----------
        files_row
            The ``files`` columns (``path``, ``sha256``, ``kind``, counts, ``encoding``,
            ``simulated``).
        replace_key
            Rows of ``table`` with a key in the batch are replaced (the sensor registry).
        on_write
            ``on_write(con, file_id)`` writes more rows in the same transaction.

        Returns
        -------
        int
            The batch's ``file_id``.

        Raises
        ------
        DuplicateBatchError
            The same bytes of the same kind were stored meanwhile by another writer.
        """
        con = self.con
        view = f"batch_{uuid.uuid4().hex[:12]}"
        # DuckDB scans a table whose columns share one chunk layout about twice as fast
        con.register(view, rows.combine_chunks())
        con.execute("BEGIN TRANSACTION")
        try:
            names = list(files_row)
            row = con.execute(
                f"INSERT INTO files ({', '.join(names)}) VALUES "
                f"({', '.join('?' for _ in names)}) RETURNING file_id",
                list(files_row.values()),
            ).fetchone()
            assert row is not None
            file_id = int(row[0])
            cols = ", ".join(rows.column_names)
            if replace_key is not None:
                con.execute(
                    f"DELETE FROM {table} WHERE {replace_key} IN (SELECT {replace_key} FROM {view})"
                )
            con.execute(
                f"INSERT INTO {table} ({cols}, file_id) SELECT {cols}, ? FROM {view}", [file_id]
            )
            if quarantine.num_rows:
                qv = f"q_{uuid.uuid4().hex[:12]}"
                con.register(qv, quarantine)
                try:
                    con.execute(
                        "INSERT INTO quarantine (file_id, line, field, reason, raw) "
                        f"SELECT ?, line, field, reason, raw FROM {qv}",
                        [file_id],
                    )
                finally:
                    con.unregister(qv)
            if on_write is not None:
                on_write(con, file_id)
            con.execute("COMMIT")
        except duckdb.ConstraintException as exc:
            con.execute("ROLLBACK")
            if "sha256" in str(exc) or "files" in str(exc):
                raise DuplicateBatchError(str(exc)) from exc
            raise
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister(view)
        return file_id

    def existing_keys(self, table: str, keys: pa.Table) -> npt.NDArray[np.int64]:
        """
        Positions of the rows of ``keys`` whose values (every column of ``keys``) are already
        in ``table``, e.g. the readings of a batch repeating a stored (sensor_id, time).
        """
        con = self.con
        view = f"keys_{uuid.uuid4().hex[:12]}"
        on = " AND ".join(f"t.{c} = k.{c}" for c in keys.column_names)
        con.register(view, keys.append_column("_i", pa.array(np.arange(keys.num_rows))))
        try:
            hit = con.execute(f"SELECT k._i FROM {view} k SEMI JOIN {table} t ON {on}").fetchnumpy()
        finally:
            con.unregister(view)
        return np.asarray(hit["_i"], dtype=np.int64)

    def insert_rows(self, table: str, rows: pa.Table) -> None:
        """Append ``rows`` (columns named as in ``table``) as they are (``kaiteki store copy``)."""
        view = f"rows_{uuid.uuid4().hex[:12]}"
        cols = ", ".join(rows.column_names)
        self.con.register(view, rows)
        try:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self.con.unregister(view)

    def advance_sequence(self, name: str, value: int) -> None:
        """Make sequence ``name`` hand out numbers above ``value`` (after a copy)."""
        if value > 0:
            self.con.execute(f"SELECT max(nextval('{name}')) FROM range(?)", [value])

    # -- research API -----------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run any SQL on the store and return a pandas frame (timestamps in Asia/Tokyo)."""
        return self.con.execute(sql, params or []).df()


class DuplicateBatchError(StoreError):
    """Another writer stored the same batch (same SHA-256 and kind) while this one ran."""


#: The table of applied migrations (the same on both backends).
SCHEMA_VERSION_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
)


def check_migrations(migrations: Sequence[Migration] | None) -> list[Migration]:
    """
    The migrations to apply (this code's :data:`MIGRATIONS` when None), checked.

    Raises
    ------
    StoreError
        They are not numbered 1, 2, ... without gaps.
    """
    migs = list(MIGRATIONS if migrations is None else migrations)
    versions = [m.version for m in migs]
    if versions != list(range(1, len(migs) + 1)):
        raise StoreError(
            f"migrations must be numbered 1, 2, ... without gaps; got {versions}. "
            "Append new migrations with the next version number."
        )
    return migs


def check_not_newer(where: str, current: int, migs: Sequence[Migration]) -> None:
    """Raise :class:`StoreError` when the store's schema is newer than ``migs``."""
    if current > len(migs):
        raise StoreError(
            f"the store {where} has schema version {current}, newer than this kaiteki "
            f"({len(migs)}). Upgrade kaiteki or use a different KAITEKI_STORE."
        )


_URL = re.compile(r"^(postgres(?:ql)?):/+(.*)$", re.S)


def is_postgres_url(path: str | Path) -> bool:
    """
    Whether ``path`` names a PostgreSQL store (``postgresql://...``; a URL that went through
    :class:`pathlib.Path`, which keeps one slash, counts too).

    Examples
    --------
    >>> is_postgres_url("postgresql://postgres@127.0.0.1:5432/kaiteki")
    True
    >>> is_postgres_url("var/kaiteki.duckdb")
    False
    """
    return bool(_URL.match(str(path)))


def store_exists(path: str | Path) -> bool:
    """
    Whether there is a store to read at ``path``: a PostgreSQL URL always names one (its
    database is the server's business; opening it says when it cannot be reached), an in-memory
    store too, a DuckDB file when the file exists.

    Examples
    --------
    >>> store_exists("postgresql://postgres@127.0.0.1/kaiteki")
    True
    >>> store_exists("/no/such/folder/kaiteki.duckdb")
    False
    """
    return is_postgres_url(path) or str(path) == ":memory:" or Path(path).exists()


def store_url(path: str | Path) -> str:
    """
    The store's location as written by the user: a PostgreSQL URL with its two slashes back
    (``KAITEKI_STORE`` is read as a path), else the path.

    Examples
    --------
    >>> from pathlib import Path
    >>> store_url(Path("postgresql://postgres@127.0.0.1/kaiteki"))
    'postgresql://postgres@127.0.0.1/kaiteki'
    """
    m = _URL.match(str(path))
    return f"postgresql://{m.group(2)}" if m else str(path)


def as_date(value: Any) -> date:
    """A :class:`datetime.date` from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()
