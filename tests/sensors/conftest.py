"""
Shared fixtures of the sensors tests: the real data files, resolved from settings, and the
store of each backend (``store_url``: a DuckDB file, and a fresh PostgreSQL schema).

PostgreSQL: the server on 127.0.0.1:5432 (``KAITEKI_TEST_PG``, user postgres; installed and
started by ``scripts/test-setup.sh`` when missing). One database is created per test session
with PostGIS and dropped at the end. Migrating a schema takes about a second, so ``store_url``
migrates one schema per session (:class:`PgStores`) and empties it before each test
(``TRUNCATE`` of the tables it used, sequences restarted, tables a test added dropped); a test that changed the schema
itself, or left a lock on it, makes the next one start on a freshly migrated schema. Tests that
need an unmigrated store call :func:`new_pg_store`. The tests never skip when the server is
missing: they fail, saying how to start it.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from api.settings import get_settings

DAILY = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"
FITBIT = "fitbit_hourlySteps_merged.csv"
MLIT = "mlit_peopleflow_1km_sapporo_downtown.geojson"

#: The PostgreSQL server of the tests (its ``postgres`` database is used to create ours).
PG_SERVER = os.environ.get("KAITEKI_TEST_PG", "postgresql://postgres@127.0.0.1:5432")

BACKENDS = ("duckdb", "postgresql")
_schemas = itertools.count()


@pytest.fixture(scope="session")
def daily_path():
    return get_settings().data_file(DAILY)


@pytest.fixture(scope="session")
def fitbit_path():
    return get_settings().data_file(FITBIT)


@pytest.fixture(scope="session")
def mlit_path():
    return get_settings().data_file(MLIT)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database with PostGIS for this test session (dropped at the end)."""
    import psycopg

    name = f"kaiteki_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"no PostgreSQL answers at {PG_SERVER} ({exc}); run scripts/test-setup.sh as root "
            "(it installs and starts Debian's postgresql with PostGIS), or set KAITEKI_TEST_PG."
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_SERVER}/{name}"
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
        try:
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_pg_store(database_url: str) -> str:
    """The URL of a fresh, empty schema in the session's database (one store per test)."""
    import psycopg

    schema = f"t{next(_schemas)}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database_url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    return f"{database_url}?options={quote(f'-csearch_path={schema},public')}"


#: The layout of a migrated schema: (table, column, type) rows, and its sequences.
_LAYOUT_SQL = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = current_schema() ORDER BY 1, 2"
)
_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
)
_SEQUENCES_SQL = (
    "SELECT sequence_name FROM information_schema.sequences "
    "WHERE sequence_schema = current_schema()"
)


class PgStores:
    """A migrated PostgreSQL schema handed to one test after another, emptied in between."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.url = ""
        self.tables: frozenset[str] = frozenset()
        self.layout: list[tuple[str, ...]] = []
        self.versions: list[tuple[int]] = []

    def _fresh(self) -> str:
        import psycopg

        from sensors.store import Store

        self.url = new_pg_store(self.database_url)
        with Store(self.url) as store:
            store.migrate()
        with psycopg.connect(self.url, autocommit=True) as con:
            self.tables = frozenset(t for (t,) in con.execute(_TABLES_SQL).fetchall())
            self.layout = con.execute(_LAYOUT_SQL).fetchall()
            self.versions = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        return self.url

    def get(self) -> str:
        """The URL of an empty, migrated store (the session's schema, emptied)."""
        import psycopg

        if not self.url:
            return self._fresh()
        try:
            with psycopg.connect(self.url, autocommit=True) as con:
                con.execute("SET lock_timeout = '3s'")
                present = {t for (t,) in con.execute(_TABLES_SQL).fetchall()}
                for table in sorted(present - self.tables):  # made by the last test
                    con.execute(f"DROP TABLE {table} CASCADE")
                versions = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
                if con.execute(_LAYOUT_SQL).fetchall() != self.layout or versions != self.versions:
                    return self._fresh()  # the last test altered the schema itself
                # TRUNCATE costs about 20 ms a table (partitions included): only the used ones
                probe = " UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})"
                    for t in sorted(self.tables - {"schema_version"})
                )
                used = [t for (t,) in con.execute(probe).fetchall()]
                if used:
                    con.execute(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE")
                for (seq,) in con.execute(_SEQUENCES_SQL).fetchall():
                    con.execute(f"ALTER SEQUENCE {seq} RESTART")
        except psycopg.errors.LockNotAvailable:
            return self._fresh()  # the last test left a transaction open on it
        return self.url


@pytest.fixture(scope="session")
def pg_stores(pg_database: str) -> PgStores:
    """The session's reusable PostgreSQL store (see :class:`PgStores`)."""
    return PgStores(pg_database)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an empty store lives: a DuckDB file, or a migrated, emptied PostgreSQL schema."""
    if request.param == "duckdb":
        return str(tmp_path / "s.duckdb")
    stores: PgStores = request.getfixturevalue("pg_stores")
    return stores.get()


#: The year of :func:`field_build_env`'s simulated readings.
FIELD_BUILD_YEAR = 2022


@pytest.fixture(scope="module")
def field_build_env(sapporo_graph, isolated_var: Path, tmp_path_factory: pytest.TempPathFactory):
    """
    Environment of a ``kaiteki comfort build`` run (``KAITEKI_STORE``, ``KAITEKI_CACHE_DIR``,
    ``KAITEKI_DEMO_YEAR``): a store with ten January days of simulated readings (seed 11) and
    a cache holding the graph only; and that cache folder.
    """
    import shutil

    import pandas as pd

    from api import resources
    from api.settings import get_settings
    from sensors.ingest import ingest_file
    from sensors.simulate.files import write_tables
    from sensors.simulate.thermal import simulate_thermal
    from sensors.store import Store
    from sensors.weather import read_daily_weather

    root = tmp_path_factory.mktemp("field_build")
    s = get_settings()
    cache = root / "cache"
    shutil.copytree(s.cache_dir, cache, ignore=shutil.ignore_patterns("field", "*.nc"))
    weather = read_daily_weather(s.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv"))
    day = pd.DatetimeIndex(weather.index)
    registry, readings = simulate_thermal(
        resources.graph(),
        weather[(day >= "2022-01-17") & (day < "2022-01-27")],
        FIELD_BUILD_YEAR,
        seed=11,
    )
    write_tables(
        {"sensors.csv": registry, "thermal.csv": readings.drop(columns=[], errors="ignore")},
        root / "sim",
        "thermal",
        FIELD_BUILD_YEAR,
        11,
        ["sapporo_daily_chikaho_subway_weather_2019-2022.csv"],
    )
    store = root / "store.duckdb"
    with Store(store) as st:
        ingest_file(st, "sensors", root / "sim" / "sensors.csv")
        ingest_file(st, "thermal", root / "sim" / "thermal.csv", area=resources.planning_area())
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "KAITEKI_STORE": str(store),
        "KAITEKI_CACHE_DIR": str(cache),
        "KAITEKI_DEMO_YEAR": str(FIELD_BUILD_YEAR),
    }
    return env, cache
