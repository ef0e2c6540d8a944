"""``kaiteki store info|copy``: a store copied DuckDB → PostgreSQL → DuckDB keeps every row."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from sensors.errors import StoreError
from sensors.ingest import ingest_file
from sensors.storage.transfer import checksums, copy_store, info
from sensors.store import Store
from tests.sensors.conftest import new_pg_store

REGISTRY = "sensor_id,kind,lat,lon,level,height_m\nS1,fixed,43.06,141.35,0,2.0\n"
READINGS = (
    "time,sensor_id,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c\n"
    "2022-01-31T23:00:00+09:00,S1,-3.5,70,2.0,-2.0\n"
    "2022-02-01T00:00:00+09:00,S1,-3.9,71,,-2.4\n"
    "2022-02-01T01:00:00+09:00,S1,-4.2,72,1.5,-2.9\n"
    "2022-02-01T02:00:00+09:00,S1,not-a-number,72,1.5,-2.9\n"
    "2022-07-01T02:00:00+09:00,S2,25.0,72,1.5,27.0\n"
)


def _fill(store: Store, tmp_path, daily_path) -> None:
    (tmp_path / "reg.csv").write_text(REGISTRY)
    (tmp_path / "r.csv").write_text(READINGS)
    ingest_file(store, "sensors", tmp_path / "reg.csv")
    ingest_file(store, "thermal", tmp_path / "r.csv")
    ingest_file(store, "weather", daily_path)


def test_round_trip_keeps_counts_and_checksums(tmp_path, daily_path, pg_database):
    with Store(tmp_path / "a.duckdb") as a:
        _fill(a, tmp_path, daily_path)
        before = checksums(a)
    pg_url = new_pg_store(pg_database)
    with Store(tmp_path / "a.duckdb", read_only=True) as a, Store(pg_url) as pg:
        report = copy_store(a, pg)
        assert report.verified
        # the same frames from both backends
        pd.testing.assert_frame_equal(a.readings(), pg.readings())
        # partitions were made for the months of the readings; geometry from lon/lat
        parts = pg.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1"
        )["relname"].tolist()
        assert {"readings_p202201", "readings_p202202", "readings_p202207"} <= set(parts)
        assert pg.query("SELECT count(*) AS n FROM readings_default")["n"][0] == 0
        xy = pg.query("SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM sensors")
        assert (xy["x"][0], xy["y"][0]) == (141.35, 43.06)
    with Store(pg_url, read_only=True) as pg, Store(tmp_path / "b.duckdb") as b:
        copy_store(pg, b)
        assert checksums(b) == before
        # a new file after the copy gets a new file_id
        (tmp_path / "r2.csv").write_text(READINGS.replace("S1,", "S3,"))
        assert ingest_file(b, "thermal", tmp_path / "r2.csv").file_id == 4


def test_copy_refuses_a_store_with_rows(tmp_path, daily_path, store_url):
    with Store(tmp_path / "a.duckdb") as a:
        _fill(a, tmp_path, daily_path)
    with Store(tmp_path / "a.duckdb", read_only=True) as a, Store(store_url) as t:
        ingest_file(t, "weather", daily_path)
        with pytest.raises(StoreError, match="not empty"):
            copy_store(a, t)


def test_info_counts_files_rows_and_flags(tmp_path, daily_path, store_url):
    with Store(store_url) as store:
        _fill(store, tmp_path, daily_path)
        data = info(store)
    assert data["tables"]["readings"]["rows"] == 4
    assert data["files_by_kind"]["thermal"] == {
        "files": 1, "rows_read": 5, "accepted": 4, "flagged": data["files_by_kind"]["thermal"][
            "flagged"], "quarantined": 1,
    }  # fmt: skip
    assert data["flags_by_table"]["readings"]["unregistered"] == 1
    assert data["tables"]["weather"]["from"].startswith("2019-04-01")


def test_cli_copy_and_info(tmp_path, daily_path, pg_database, monkeypatch):
    src = tmp_path / "a.duckdb"
    with Store(src) as a:
        _fill(a, tmp_path, daily_path)
    monkeypatch.setenv("KAITEKI_STORE", str(src))
    from api.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    target = new_pg_store(pg_database)
    out = runner.invoke(app, ["store", "copy", "--to", target, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["verified"] and report["tables"]["readings"]["target_rows"] == 4
    out = runner.invoke(app, ["store", "info", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["tables"]["weather"]["rows"] == 1278
    get_settings.cache_clear()
