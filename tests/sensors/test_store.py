"""The store on both backends (DuckDB file, PostgreSQL + PostGIS): schema, migrations, readers."""

from __future__ import annotations

import pytest

import sensors
from sensors.errors import StoreError
from sensors.ingest import ingest_file
from sensors.store import DATA_TABLES, MIGRATIONS, Migration, Store


def test_new_store_has_every_table(store_url):
    store = Store(store_url)
    assert store.schema_version() == len(MIGRATIONS)
    counts = store.table_counts()
    assert set(DATA_TABLES) | {"files", "quarantine"} == set(counts)
    for t in DATA_TABLES:
        cols = set(store.query(f"SELECT * FROM {t} LIMIT 0").columns)
        assert {"simulated", "file_id", "qc_flags"} <= cols, t
    tz = store.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name='readings' "
        "AND column_name='time' AND table_schema = current_schema()"
    )
    assert tz["data_type"].item().upper() == "TIMESTAMP WITH TIME ZONE"
    store.close()


def test_appended_migration_is_applied_once(store_url):
    Store(store_url).close()
    extra = [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "page views", "CREATE TABLE pv (n INT)")]
    store = Store(store_url)
    assert store.migrate(extra) == [len(MIGRATIONS) + 1]
    assert store.migrate(extra) == []
    assert store.schema_version() == len(MIGRATIONS) + 1
    # this code's list is now older than the store
    with pytest.raises(StoreError, match="newer than this kaiteki"):
        store.migrate()
    store.close()


def test_migration_runs_its_postgres_form_there(store_url):
    step = Migration(
        len(MIGRATIONS) + 1, "backend form", "CREATE TABLE which (b TEXT DEFAULT 'duckdb')",
        postgres_sql="CREATE TABLE which (b TEXT DEFAULT 'postgresql')",
    )  # fmt: skip
    with Store(store_url) as store:
        store.migrate([*MIGRATIONS, step])
        store.con.execute("INSERT INTO which DEFAULT VALUES")
        assert store.query("SELECT b FROM which")["b"].item() == store.backend


def test_failed_migration_leaves_no_trace(store_url):
    bad = Migration(len(MIGRATIONS) + 1, "broken", "CREATE TABLE half (n INT); SELECT nope")
    with Store(store_url) as store:
        with pytest.raises(StoreError, match=r"migration .* failed"):
            store.migrate([*MIGRATIONS, bad])
        assert store.schema_version() == len(MIGRATIONS)
        assert "half" not in store.tables()


def test_migrations_must_be_numbered(store_url):
    with pytest.raises(StoreError, match="numbered 1, 2"):
        Store(store_url).migrate([Migration(2, "x", "SELECT 1")])


def test_cannot_open_a_non_database(tmp_path):
    p = tmp_path / "not.duckdb"
    p.write_text("hello, not a database")
    with pytest.raises(StoreError, match="cannot open the store"):
        _ = Store(p).con


def test_cannot_reach_a_postgres_server():
    # port 9 (discard) on the loopback: nothing listens there
    with pytest.raises(StoreError, match=r"cannot reach the PostgreSQL store .* server runs"):
        _ = Store("postgresql://postgres:secret@127.0.0.1:9/nope").con


def test_password_stays_out_of_messages():
    with pytest.raises(StoreError) as info:
        _ = Store("postgresql://postgres:s3cr3t@127.0.0.1:9/nope").con
    assert "s3cr3t" not in str(info.value)


def test_convenience_loaders(daily_path, store_url):
    with Store(store_url) as store:
        ingest_file(store, "weather", daily_path)
    w = sensors.load_weather(store_url, start="2022-01-01", end="2022-02-01")
    assert len(w) == 31
    f = sensors.load_files(store_url)
    assert f["rows_read"].item() == 1278 and f["kind"].item() == "weather"
    assert len(sensors.load_quarantine(store_url)) == 0


def test_a_file_is_ingested_once(daily_path, store_url):
    with Store(store_url) as store:
        first = ingest_file(store, "weather", daily_path)
        again = ingest_file(store, "weather", daily_path)
        assert not first.duplicate_file and again.duplicate_file
        assert again.file_id == first.file_id
        assert store.table_counts()["weather"] == 1278


def test_unknown_table_is_a_clear_error(store_url):
    with Store(store_url) as store, pytest.raises(StoreError, match="no table 'nope'"):
        store.table("nope")
