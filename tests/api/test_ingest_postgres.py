"""POST ingest on a PostgreSQL store: batches are committed in the request, many at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import auth
from sensors.store import Store
from tests.sensors.conftest import new_pg_store, pg_database  # noqa: F401 (fixture)


def _batch(i: int, n: int = 20) -> list[dict]:
    return [
        {
            "time": f"2022-07-{10 + i % 10:02d}T{h % 24:02d}:{h // 24:02d}:00+09:00",
            "sensor_id": f"pg-kit-{i}",
            "lat": 43.0605,
            "lon": 141.3521,
            "air_temp_c": 20 + (h % 7) * 0.5,
            "rel_humidity_pct": 61,
            "wind_speed_m_s": 1.8,
            "globe_temp_c": 25.0,
        }
        for h in range(n)
    ]


@pytest.fixture(scope="module")
def pg_client(prepared, pg_database):  # type: ignore[no-untyped-def]  # noqa: F811
    from api.app import create_app

    url = new_pg_store(pg_database)
    s = prepared.model_copy(update={"store": Path(url), "key_refresh_s": 0.0, "key_recheck_s": 0.0})
    key = auth.create_key(s.store, "pytest-pg").secret
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c, key, url


def test_batch_is_stored_in_the_request(pg_client) -> None:  # type: ignore[no-untyped-def]
    client, key, url = pg_client
    r = client.post("/v1/readings", json=_batch(0), headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 20 and body["queued"] is False
    with Store(url, read_only=True) as store:
        assert len(store.readings(sensor_ids=["pg-kit-0"])) == 20
    again = client.post("/v1/readings", json=_batch(0), headers={"X-API-Key": key})
    assert again.status_code == 200 and again.json()["duplicate_batch"] is True


def test_concurrent_writers_lose_and_duplicate_nothing(pg_client) -> None:  # type: ignore[no-untyped-def]
    client, key, url = pg_client
    # 8 clients: 24 distinct batches, each sent twice
    jobs = [i for i in range(1, 25)] * 2

    def post(i: int) -> tuple[int, bool]:
        r = client.post("/v1/readings", json=_batch(i), headers={"X-API-Key": key})
        return r.status_code, bool(r.status_code == 200 and r.json()["duplicate_batch"])

    with ThreadPoolExecutor(8) as pool:
        out = list(pool.map(post, jobs))
    assert [code for code, _ in out] == [200] * len(jobs)
    assert sum(dup for _, dup in out) == 24
    with Store(url, read_only=True) as store:
        got = store.query(
            "SELECT sensor_id, count(*) AS n FROM readings WHERE sensor_id <> 'pg-kit-0' "
            "GROUP BY sensor_id"
        )
        assert len(got) == 24 and set(got["n"]) == {20}
        files = store.files()
        assert files["sha256"].is_unique
