"""
The PostgreSQL + PostGIS backend of the store (``KAITEKI_STORE=postgresql://...``).

Same schema versions (:data:`sensors.store.MIGRATIONS`, with their ``postgres_sql`` forms), same
readers and the same ingest guarantees as the DuckDB file, for many writers at once:

- a batch (its ``files`` row, rows, quarantine) is written in **one transaction**, the rows with
  ``COPY`` (psycopg 3); a crash or a lost connection leaves nothing of it;
- ``files`` is unique on (sha256, kind): when two writers store the same batch at once, the
  second gets :class:`sensors.store.DuplicateBatchError` and nothing of it is kept;
- the time series tables are partitioned by month (Asia/Tokyo months); the partitions a batch
  needs are created before its transaction, by :func:`ensure_partitions` (rows of a month
  whose partition cannot be made stay in the default partition);
- migrations run under an advisory lock, so app workers starting together migrate once;
- a server that does not answer (restart, network) raises :class:`sensors.errors.StoreError`,
  which the API answers with 503 and ``Retry-After``.

The ingest pipeline casts and checks batches on DuckDB in process (:attr:`PostgresStore.work`,
an in-memory connection); only the final write goes to PostgreSQL.
"""

from __future__ import annotations

import contextlib
import io
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import errors as pg_errors

from sensors.errors import StoreError
from sensors.storage.postgres_sql import PARTITIONED, postgres_types
from sensors.store import (
    MIGRATIONS,
    SCHEMA_VERSION_SQL,
    TZ,
    DuplicateBatchError,
    Migration,
    Store,
    check_migrations,
    check_not_newer,
    store_url,
)

#: Advisory lock key held while migrating (any constant shared by every kaiteki process).
MIGRATE_LOCK = 7_215_015

#: Most monthly partitions one batch creates; later months stay in the default partition.
MAX_NEW_PARTITIONS = 240

#: Bytes handed to ``COPY`` per write.
COPY_CHUNK_BYTES = 8 << 20

#: PostgreSQL type OIDs → Arrow types of the frames (the types DuckDB returns for the column).
_ARROW_OF_OID: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),
    18: pa.string(),
    19: pa.string(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz=TZ),
}


def translate(sql: str) -> str:
    """
    DuckDB-style ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled); ``?``
    inside quoted text is kept.

    Examples
    --------
    >>> translate("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'")
    "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"
    """
    out, quote = [], ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PgResult:
    """The rows of one statement, read like a DuckDB result (``fetchone``, ``df`` ...)."""

    def __init__(self, store: PostgresStore, cur: psycopg.Cursor[Any]) -> None:
        self._store = store
        self._desc = cur.description
        self._rows: list[tuple[Any, ...]] = cur.fetchall() if cur.description else []
        self._i = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        if self._i >= len(self._rows):
            return None
        self._i += 1
        return self._rows[self._i - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        rows, self._i = self._rows[self._i :], len(self._rows)
        return rows

    def arrow(self) -> pa.Table:
        """The rows as an Arrow table (types as DuckDB gives them; geometry left out)."""
        return self._store._arrow(self._desc or [], self.fetchall())

    def df(self) -> pd.DataFrame:
        """The rows as a pandas frame, the same as DuckDB's ``.df()`` would give."""
        return self._store.work.from_arrow(self.arrow()).df()

    def fetchnumpy(self) -> dict[str, npt.NDArray[Any]]:
        """The rows as numpy arrays per column."""
        t = self.arrow()
        return {n: t.column(n).to_numpy(zero_copy_only=False) for n in t.column_names}


class PgConnection:
    """
    The store's PostgreSQL connection behind the DuckDB-style ``con.execute(sql, params)``
    used by the readers, the web app's key and page-view tables and ``on_write`` callbacks;
    ``?`` placeholders are translated, errors of a lost server become :class:`StoreError`.
    """

    def __init__(self, store: PostgresStore, pg: psycopg.Connection[Any]) -> None:
        self._store = store
        self.pg = pg

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgResult:
        """Run one statement (several without parameters) and keep its rows."""
        with self._store._errors(), self.pg.cursor() as cur:
            if params:
                cur.execute(translate(sql), list(params))  # type: ignore[arg-type]
            else:
                cur.execute(sql.encode("utf-8"))
            return PgResult(self._store, cur)

    def copy_rows(self, table: str, rows: pa.Table, *, skip_stored: bool = False) -> None:
        """
        Append ``rows`` (columns named as in ``table``) with ``COPY``, in the transaction open
        on this connection (an ``on_write`` callback, :meth:`PostgresStore.transaction`).

        Parameters
        ----------
        skip_stored
            Leave out rows whose key is already in ``table`` (``ON CONFLICT DO NOTHING``; the
            rows are copied into a temporary table first, dropped at commit).
        """
        if not rows.num_rows:
            return
        with self._store._errors(), self.pg.cursor() as cur:
            if not skip_stored:
                _copy(cur, table, rows)
                return
            stage = f"_stage_{uuid.uuid4().hex[:12]}"
            cur.execute(f"CREATE TEMP TABLE {stage} (LIKE {table}) ON COMMIT DROP")
            _copy(cur, stage, rows)
            cols = ", ".join(rows.column_names)
            cur.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING"
            )

    def close(self) -> None:
        """Close the connection."""
        self.pg.close()


class PostgresStore(Store):
    """
    A PostgreSQL + PostGIS store (see the module docstring); built by
    ``Store("postgresql://...")``. ``read_only`` opens without migrating; ``wait_s`` is how
    long to keep trying while the server does not answer.
    """

    backend = "postgresql"

    def __init__(self, path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> None:
        super().__init__(store_url(path), read_only, wait_s)
        self._pgc: PgConnection | None = None
        self._work: duckdb.DuckDBPyConnection | None = None
        self._partitions: set[str] | None = None
        self._geometry_oid: int | None = None

    # -- connection -------------------------------------------------------------------------

    @property
    def con(self) -> PgConnection:  # type: ignore[override]
        """The open connection (autocommit; session time zone Asia/Tokyo)."""
        if self._pgc is None:
            pg = self._connect_pg()
            self._pgc = PgConnection(self, pg)
            if not self.read_only and self.schema_version() < len(MIGRATIONS):
                self.migrate()  # under the lock; a store already up to date costs one query
        return self._pgc

    @property
    def pg(self) -> psycopg.Connection[Any]:
        """The psycopg connection itself."""
        return self.con.pg

    @property
    def work(self) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB connection where ingest casts and checks batches."""
        if self._work is None:
            self._work = duckdb.connect(":memory:")
            self._work.execute(f"SET TimeZone = '{TZ}'")
            self._work.execute("SET enable_progress_bar = false")
        return self._work

    def _connect_pg(self) -> psycopg.Connection[Any]:
        deadline = time.monotonic() + self.wait_s
        pause = 0.05
        while True:
            try:
                pg = psycopg.connect(self.path, autocommit=True, connect_timeout=10)
                try:  # a server shutting down can cut the connection during its set-up too
                    pg.execute(f"SET TimeZone = '{TZ}'")
                    if self.read_only:
                        pg.execute("SET default_transaction_read_only = on")
                except psycopg.OperationalError:
                    with contextlib.suppress(psycopg.Error):
                        pg.close()
                    raise
                return pg
            except psycopg.OperationalError as exc:
                if time.monotonic() + pause > deadline:
                    raise StoreError(
                        f"cannot reach the PostgreSQL store {_safe_url(self.path)}: "
                        f"{str(exc).strip().splitlines()[-1]}. Check that the server runs and "
                        "that KAITEKI_STORE names its host, port, user and database; try again "
                        "in a few seconds if it is restarting."
                    ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def close(self) -> None:
        """Close the connections (the store can be reopened by using it again)."""
        if self._pgc is not None:
            try:
                self._pgc.close()
            finally:
                self._pgc = None
        if self._work is not None:
            self._work.close()
            self._work = None

    def __del__(self) -> None:
        # a store dropped without close() closes its connection quietly, as a DuckDB one does
        with contextlib.suppress(Exception):
            self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """
        One transaction on the store's connection: committed when the block ends, rolled back
        when it raises; a lost server raises :class:`StoreError` (nothing of it kept).
        """
        con = self.con
        with self._errors(), con.pg.transaction():
            yield con

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """A lost server connection as :class:`StoreError` (the next use reconnects)."""
        try:
            yield
        except psycopg.OperationalError as exc:
            pgc = self._pgc
            shutdown = isinstance(exc, (pg_errors.AdminShutdown, pg_errors.CannotConnectNow))
            if pgc is not None and (pgc.pg.closed or pgc.pg.broken or shutdown):
                self._pgc = None
                with contextlib.suppress(psycopg.Error):
                    pgc.pg.close()
                raise StoreError(
                    "the PostgreSQL store is unavailable (the connection was lost, e.g. the "
                    "server restarted); nothing of the interrupted write was kept. Try again in "
                    "a few seconds."
                ) from exc
            raise

    # -- schema -----------------------------------------------------------------------------

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` in order (empty when there is no such table)."""
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [str(c) for (c,) in rows]

    def tables(self) -> list[str]:
        """The tables of the store (a partitioned table once, not its partitions)."""
        rows = self.con.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition AND c.relname <> 'spatial_ref_sys' ORDER BY c.relname"
        ).fetchall()
        return [str(t) for (t,) in rows]

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """
        Apply pending migrations (their ``postgres_sql`` form where given), each in one
        transaction, under an advisory lock so that concurrent starts migrate once.

        Raises
        ------
        StoreError
            As :meth:`sensors.store.Store.migrate`.
        """
        migs = check_migrations(migrations)
        con = self._pgc if self._pgc is not None else self.con
        pg = con.pg
        applied = []
        with self._errors():
            pg.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK])
            try:
                pg.execute(SCHEMA_VERSION_SQL)
                current = self.schema_version()
                check_not_newer(_safe_url(self.path), current, migs)
                for m in migs[current:]:
                    try:
                        with pg.transaction():
                            pg.execute(m.sql_for(self.backend).encode("utf-8"))
                            pg.execute(
                                "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                                [m.version, m.name],
                            )
                    except psycopg.Error as exc:
                        if isinstance(exc, psycopg.OperationalError) and pg.broken:
                            raise
                        raise StoreError(
                            f"migration {m.version} ({m.name}) failed on "
                            f"{_safe_url(self.path)}: {exc}"
                        ) from exc
                    applied.append(m.version)
            finally:
                if not pg.broken:
                    pg.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK])
        return applied

    # -- reading ----------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run any SQL and return the frame DuckDB would (timestamps in Asia/Tokyo)."""
        return self.con.execute(sql, params).df()

    def _arrow(self, desc: Sequence[Any], rows: list[tuple[Any, ...]]) -> pa.Table:
        if self._geometry_oid is None:
            row = self.con.execute("SELECT coalesce(to_regtype('geometry')::oid, 0)").fetchone()
            self._geometry_oid = int(row[0]) if row else 0
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in desc]
        arrays, names = [], []
        for d, values in zip(desc, columns, strict=True):
            if d.type_code == self._geometry_oid:
                continue  # geometry is derived from lon/lat, which the frame has
            typ = _ARROW_OF_OID.get(d.type_code)
            if d.name == "qc_flags" and typ is not None and pa.types.is_integer(typ):
                typ = pa.uint32()
            if typ is None:
                values = [None if v is None else str(v) for v in values]
                typ = pa.string()
            elif typ == pa.float64() and d.type_code == 1700:
                values = [None if v is None else float(v) for v in values]
            arrays.append(pa.array(values, type=typ))
            names.append(d.name)
        return pa.table(arrays, names=names) if names else pa.table({})

    # -- writing ----------------------------------------------------------------------------

    def ensure_table(self, ddl: str) -> None:
        """Run a kind's ``CREATE TABLE IF NOT EXISTS`` with PostgreSQL column types."""
        self.con.execute(postgres_types(ddl))

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
        Write one batch in one transaction (rows and quarantine with ``COPY``); see
        :meth:`sensors.store.Store.write_batch`.

        Raises
        ------
        DuplicateBatchError
            Another writer stored the same batch meanwhile; nothing of this one is kept.
        StoreError
            The server was lost mid-write; nothing of the batch is kept.
        """
        con = self.con
        pg = con.pg
        if table in PARTITIONED and "time" in rows.column_names and rows.num_rows:
            ensure_partitions(self, table, rows.column("time"))
        names = list(files_row)
        try:
            with self._errors(), pg.transaction(), pg.cursor() as cur:
                cur.execute(
                    f"INSERT INTO files ({', '.join(names)}) VALUES "
                    f"({', '.join('%s' for _ in names)}) RETURNING file_id",
                    list(files_row.values()),
                )
                row = cur.fetchone()
                assert row is not None
                file_id = int(row[0])
                if replace_key is not None and rows.num_rows:
                    keys = pc.unique(rows.column(replace_key)).to_pylist()
                    cur.execute(f"DELETE FROM {table} WHERE {replace_key} = ANY(%s)", [keys])
                n = rows.num_rows
                _copy(cur, table, rows.append_column("file_id", pa.array(np.full(n, file_id))))
                if quarantine.num_rows:
                    nq = quarantine.num_rows
                    q = pa.table({"file_id": pa.array(np.full(nq, file_id))})
                    for c in ("line", "field", "reason", "raw"):
                        q = q.append_column(c, quarantine.column(c))
                    _copy(cur, "quarantine", q)
                if on_write is not None:
                    on_write(con, file_id)
        except pg_errors.UniqueViolation as exc:
            diag = exc.diag.constraint_name or ""
            if diag.startswith("files_"):
                raise DuplicateBatchError(
                    f"{files_row.get('path')}: the same batch ({files_row.get('kind')}, sha256 "
                    f"{str(files_row.get('sha256'))[:12]}...) was stored meanwhile by another "
                    "writer; nothing added."
                ) from exc
            raise
        return file_id

    def insert_rows(self, table: str, rows: pa.Table) -> None:
        """Append ``rows`` as they are, with ``COPY`` (``kaiteki store copy``)."""
        if table in PARTITIONED and "time" in rows.column_names and rows.num_rows:
            ensure_partitions(self, table, rows.column("time"))
        pg = self.con.pg
        with self._errors(), pg.transaction(), pg.cursor() as cur:
            _copy(cur, table, rows)

    def advance_sequence(self, name: str, value: int) -> None:
        """Make sequence ``name`` hand out numbers above ``value`` (after a copy)."""
        self.con.execute("SELECT setval(?, ?, ?)", [name, max(value, 1), value > 0])

    def existing_keys(self, table: str, keys: pa.Table) -> npt.NDArray[np.int64]:
        """Positions of the rows of ``keys`` already in ``table`` (see the DuckDB store)."""
        if not keys.num_rows:
            return np.zeros(0, dtype=np.int64)
        pg = self.con.pg
        cols = keys.column_names
        on = " AND ".join(f"t.{c} = k.{c}" for c in cols)
        types = ", ".join(f"{c} {_pg_type(keys.schema.field(c).type)}" for c in cols)
        with self._errors(), pg.transaction(), pg.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE _keys ({types}, _i BIGINT) ON COMMIT DROP")
            _copy(cur, "_keys", keys.append_column("_i", pa.array(np.arange(keys.num_rows))))
            cur.execute(f"SELECT k._i FROM _keys k WHERE EXISTS (SELECT 1 FROM {table} t "
                        f"WHERE {on})")  # fmt: skip
            hit = [int(r[0]) for r in cur.fetchall()]
        return np.asarray(sorted(hit), dtype=np.int64)


def ensure_partitions(store: PostgresStore, table: str, times: pa.ChunkedArray) -> list[str]:
    """
    Create the monthly partitions of ``table`` that the timestamps ``times`` need (Asia/Tokyo
    months, ``<table>_pYYYYMM``), each in its own short transaction before the batch's; a month
    whose rows already sit in the default partition keeps them there.

    Returns
    -------
    list of str
        The partitions created now.
    """
    pg = store.pg
    if store._partitions is None:
        rows = pg.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace"
        ).fetchall()
        store._partitions = {str(r[0]) for r in rows}
    us = pc.cast(times, pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    us = us[~np.isnat(us)]
    if not len(us):
        return []
    local = pd.DatetimeIndex(np.unique(us)).tz_localize("UTC").tz_convert(TZ)
    months = sorted(set(zip(local.year.tolist(), local.month.tolist(), strict=True)))
    created: list[str] = []
    for year, month in months:
        name = f"{table}_p{year:04d}{month:02d}"
        if name in store._partitions:
            continue
        if len(created) >= MAX_NEW_PARTITIONS:
            break
        start = f"{year:04d}-{month:02d}-01 00:00:00+09"
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        end = f"{ny:04d}-{nm:02d}-01 00:00:00+09"
        try:
            with store._errors(), pg.transaction():
                pg.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
                pg.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
                    f"FOR VALUES FROM ('{start}') TO ('{end}')"
                )
        except pg_errors.CheckViolation:
            pass  # the default partition holds rows of this month: they stay there
        else:
            created.append(name)
        store._partitions.add(name)
    return created


def _pg_type(typ: pa.DataType) -> str:
    if pa.types.is_timestamp(typ):
        return "TIMESTAMPTZ" if typ.tz else "TIMESTAMP"
    if pa.types.is_integer(typ):
        return "BIGINT"
    if pa.types.is_floating(typ):
        return "DOUBLE PRECISION"
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    if pa.types.is_date(typ):
        return "DATE"
    return "TEXT"


def _copy(cur: psycopg.Cursor[Any], table: str, t: pa.Table) -> None:
    """``COPY table (columns) FROM STDIN`` of an Arrow table, as CSV written by Arrow."""
    if not t.num_rows:
        return
    for i, f in enumerate(t.schema):
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            col = t.column(i)
            # PostgreSQL text cannot hold NUL; it is stored as U+FFFD (docs/STORE.md)
            if pc.any(pc.match_substring(col, "\x00")).as_py():
                t = t.set_column(i, f, pc.replace_substring(col, "\x00", "\ufffd"))
    buf = io.BytesIO()
    pacsv.write_csv(t, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    data = buf.getbuffer()
    cols = ", ".join(t.column_names)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(data), COPY_CHUNK_BYTES):
            copy.write(data[start : start + COPY_CHUNK_BYTES])


def _safe_url(url: str) -> str:
    """The URL without its password (messages may reach a log or a client)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
