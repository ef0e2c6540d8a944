"""Units in names: wind speeds are ``wind_speed_m_s``; the old ``wind_speed_ms`` still reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensors.ingest import ingest_file, ingest_records
from sensors.store import MIGRATIONS, Store

ROWS = (
    "time,sensor_id,lat,lon,air_temp_c,rel_humidity_pct,{wind},globe_temp_c\n"
    "2022-07-20T14:00:00+09:00,kit-01,43.0605,141.3521,27.4,61,1.8,35.2\n"
)


@pytest.mark.parametrize("header", ["wind_speed_m_s", "wind_speed_ms"])
def test_old_and_new_wind_header_read_alike(store_url: str, tmp_path: Path, header: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(ROWS.format(wind=header))
    with Store(store_url) as store:
        result = ingest_file(store, "thermal", path)
        assert (result.rows_read, result.accepted, result.quarantined) == (1, 1, 0)
        frame = store.readings()
    assert "wind_speed_ms" not in frame.columns
    assert frame["wind_speed_m_s"].tolist() == [1.8]


def test_api_records_accept_the_old_name() -> None:
    with Store(":memory:") as store:
        result = ingest_records(
            store,
            "readings",
            [
                {
                    "time": "2022-07-20T14:00:00+09:00",
                    "sensor_id": "kit-01",
                    "air_temp_c": 27.4,
                    "rel_humidity_pct": 61,
                    "wind_speed_ms": 2.5,
                    "globe_temp_c": 35.2,
                }
            ],
            source="test",
        )
        assert result.accepted == 1
        assert store.readings()["wind_speed_m_s"].tolist() == [2.5]


def test_a_version_2_store_is_migrated_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sensors.store

    path = tmp_path / "old.duckdb"
    with monkeypatch.context() as m:
        m.setattr(sensors.store, "MIGRATIONS", MIGRATIONS[:2])
        store = Store(path)
        assert store.schema_version() == 2
        store.con.execute(
            "INSERT INTO readings (time, sensor_id, wind_speed_ms, qc_flags, simulated, file_id) "
            "VALUES ('2022-07-20 14:00+09', 'kit-01', 3.5, 0, false, 1)"
        )
        store.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        cols = store.con.execute("SELECT * FROM readings").df()
    assert "wind_speed_ms" not in cols.columns
    assert cols["wind_speed_m_s"].tolist() == [3.5]
