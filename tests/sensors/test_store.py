"""The DuckDB store: schema, migrations, research API."""

from __future__ import annotations

import pytest

import sensors
from sensors.errors import StoreError
from sensors.ingest import ingest_file
from sensors.store import DATA_TABLES, MIGRATIONS, Migration, Store


def test_new_store_has_every_table(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    assert store.schema_version() == len(MIGRATIONS)
    counts = store.table_counts()
    assert set(DATA_TABLES) | {"files", "quarantine"} == set(counts)
    for t in DATA_TABLES:
        cols = set(store.query(f"SELECT * FROM {t} LIMIT 0").columns)
        assert {"simulated", "file_id", "qc_flags"} <= cols, t
    tz = store.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name='readings' "
        "AND column_name='time'"
    )
    assert tz["data_type"].item() == "TIMESTAMP WITH TIME ZONE"


def test_appended_migration_is_applied_once(tmp_path):
    path = tmp_path / "s.duckdb"
    Store(path).close()
    extra = [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "page views", "CREATE TABLE pv (n INT)")]
    store = Store(path)
    assert store.migrate(extra) == [len(MIGRATIONS) + 1]
    assert store.migrate(extra) == []
    assert store.schema_version() == len(MIGRATIONS) + 1
    # this code's list is now older than the file
    with pytest.raises(StoreError, match="newer than this kaiteki"):
        store.migrate()


def test_migrations_must_be_numbered(tmp_path):
    with pytest.raises(StoreError, match="numbered 1, 2"):
        Store(tmp_path / "s.duckdb").migrate([Migration(2, "x", "SELECT 1")])


def test_cannot_open_a_non_database(tmp_path):
    p = tmp_path / "not.duckdb"
    p.write_text("hello, not a database")
    with pytest.raises(StoreError, match="cannot open the store"):
        _ = Store(p).con


def test_convenience_loaders(daily_path, tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        ingest_file(store, "weather", daily_path)
    w = sensors.load_weather(path, start="2022-01-01", end="2022-02-01")
    assert len(w) == 31
    f = sensors.load_files(path)
    assert f["rows_read"].item() == 1278 and f["kind"].item() == "weather"
    assert len(sensors.load_quarantine(path)) == 0
