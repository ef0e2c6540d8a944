"""
Shared fixtures of the sensors tests: the real data files, resolved from settings, and the
store of each backend (``store_url``: a DuckDB file, and a fresh PostgreSQL schema).

PostgreSQL: the server on 127.0.0.1:5432 (``KAITEKI_TEST_PG``, user postgres; installed and
started by ``scripts/test-setup.sh`` when missing). One database is created per test session
with PostGIS and dropped at the end; each test gets a schema of its own in it. The tests never
skip when the server is missing: they fail, saying how to start it.
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


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store lives: a DuckDB file, or a PostgreSQL schema of its own."""
    if request.param == "duckdb":
        return str(tmp_path / "s.duckdb")
    return new_pg_store(request.getfixturevalue("pg_database"))
