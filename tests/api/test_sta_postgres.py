"""
The whole SensorThings API on a PostgreSQL store: the same rows ingested into a DuckDB file and
into a PostgreSQL schema, the kaiteki app created on each through ``KAITEKI_STORE``, and every
collection, navigation and a ``$filter``/``$expand``/``$orderby`` query answering 200 with the
same JSON from both.

The rows: the small store of ``test_sta`` (two thermal stations, one simulated; a counting
line; personal steps that must stay hidden), dwell counts of two zones, and the real daily
Chikaho counts (``sapporo_daily_chikaho_subway_weather_2019-2022.csv``: one source line is
eleven rows of ``counts``, so observations share an id and the order must still agree).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.services import sta as sta_service
from api.settings import get_settings
from sensors.ingest import ingest_file, ingest_records
from sensors.store import Store
from tests.api.test_sta import BASE, make_store
from tests.sensors.conftest import DAILY, new_pg_store, pg_database  # noqa: F401 (fixture)

#: Requests compared between the backends (path, query options).
REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("Things", {"$count": "true", "$expand": "Locations,Datastreams", "$top": "1000"}),
    ("Locations", {"$count": "true", "$expand": "Things"}),
    ("FeaturesOfInterest", {"$count": "true", "$top": "1000"}),
    ("Sensors", {"$expand": "Datastreams"}),
    ("ObservedProperties", {"$count": "true"}),
    ("Datastreams", {"$count": "true", "$top": "1000", "$orderby": "name desc"}),
    ("Datastreams", {"$filter": "properties/simulated eq false and not (Thing/id eq 1)",
                     "$expand": "Thing,Sensor,ObservedProperty", "$select": "id,name"}),
    ("Observations", {"$count": "true", "$top": "1000"}),
    ("Observations", {"$count": "true", "$top": "200", "$skip": "400",
                      "$orderby": "phenomenonTime desc,result asc"}),
    ("Observations", {
        "$filter": "(result gt 20 and result le 30) or (phenomenonTime ge "
                   "2022-08-01T12:00:00+09:00 and parameters/simulated eq true)",
        "$expand": "Datastream,FeatureOfInterest", "$orderby": "result desc", "$top": "100",
        "$count": "true"}),
]  # fmt: skip


def _fill(url: str | Path, daily: Path) -> None:
    """The same rows, in the same order (so the same file ids), on either backend."""
    make_store(url)
    times = pd.date_range("2022-08-01", periods=12, freq="h", tz="Asia/Tokyo")
    with Store(url) as store:
        ingest_records(store, "dwell", [
            {"time": t.isoformat(), "zone_id": zone, "interval_min": 60,
             "dwell_count": 10 * i + len(zone), "series": "2022", "simulated": zone == "Z-B"}
            for i, t in enumerate(times) for zone in ("Z-A", "Z-B")
        ], "test:dwell")  # fmt: skip
        ingest_file(store, "chikaho", daily)


@pytest.fixture(scope="module")
def daily() -> Path:
    return get_settings().data_file(DAILY)


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory,
    pg_database: str,  # noqa: F811
    daily: Path,
) -> Iterator[dict[str, TestClient]]:
    """A TestClient of the kaiteki app on each backend, created from ``KAITEKI_STORE``."""
    from api.app import create_app

    root = tmp_path_factory.mktemp("sta_pg")
    stores = {"duckdb": str(root / "kaiteki.duckdb"), "postgresql": new_pg_store(pg_database)}
    out: dict[str, TestClient] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAITEKI_CACHE_DIR", str(root / "cache"))
        for backend, url in stores.items():
            _fill(url, daily)
            mp.setenv("KAITEKI_STORE", url)
            get_settings.cache_clear()
            # the settings read from the environment, kept by the app for every route
            app = create_app(get_settings())
            out[backend] = TestClient(app, raise_server_exceptions=False).__enter__()
        get_settings.cache_clear()
    sta_service.clear()
    try:
        yield out
    finally:
        for c in out.values():
            c.__exit__(None, None, None)
        sta_service.clear()


def _get(client: TestClient, path: str, params: dict[str, str]) -> dict[str, Any]:
    resp = client.get(f"{BASE}/{path}", params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


@pytest.mark.parametrize(("path", "params"), REQUESTS, ids=[f"{p}-{i}" for i, (p, _) in
                                                           enumerate(REQUESTS)])  # fmt: skip
def test_postgresql_answers_as_duckdb(
    clients: dict[str, TestClient], path: str, params: dict[str, str]
) -> None:
    duck = _get(clients["duckdb"], path, params)
    pg = _get(clients["postgresql"], path, params)
    assert duck["value"], "the request should find entities"
    assert pg == duck


def test_every_entity_and_navigation_answers_as_duckdb(clients: dict[str, TestClient]) -> None:
    """An entity of each set by id, and the Observations of a datastream of each source table
    (thermal, counts, dwell: one SQL branch each) with one of them by id and its navigation."""
    duck, pg = clients["duckdb"], clients["postgresql"]
    streams = _get(duck, "Datastreams", {"$top": "1000"})["value"]
    tables = sorted({d["properties"]["table"] for d in streams})
    assert tables == ["counts", "dwell", "readings"]
    latest = {"$top": "5", "$count": "true", "$orderby": "phenomenonTime desc"}
    paths = []
    for table in tables:
        ds = next(d for d in streams if d["properties"]["table"] == table)
        obs = _get(duck, f"Datastreams({ds['@iot.id']})/Observations", latest)
        assert obs == _get(pg, f"Datastreams({ds['@iot.id']})/Observations", latest), table
        paths.append(f"Observations({obs['value'][0]['@iot.id']})")
    paths += [f"{paths[-1]}/Datastream", f"{paths[-1]}/FeatureOfInterest"]
    for entity_set in ("Things", "Locations", "Sensors", "ObservedProperties",
                       "FeaturesOfInterest", "Datastreams"):  # fmt: skip
        first = _get(duck, entity_set, {"$top": "1"})["value"][0]
        paths.append(f"{entity_set}({first['@iot.id']})")
    for path in paths:
        assert _get(pg, path, {}) == _get(duck, path, {}), path


def test_paging_walks_the_same_pages(clients: dict[str, TestClient]) -> None:
    """Observations sharing an id (one Chikaho line, eleven counts rows) page alike."""
    pages: dict[str, list[Any]] = {}
    for backend, client in clients.items():
        got: list[Any] = []
        params: dict[str, str] = {
            "$top": "250",
            "$filter": "phenomenonTime lt 2019-05-01T00:00:00Z",
        }
        for _ in range(10):
            body = _get(client, "Observations", params)
            got += [(o["@iot.id"], o["result"]) for o in body["value"]]
            if "@iot.nextLink" not in body:
                break
            params = {**params, "$skip": str(int(params.get("$skip", "0")) + 250)}
        pages[backend] = got
    assert pages["postgresql"] == pages["duckdb"]
    ids = [i for i, _ in pages["duckdb"]]
    assert len(ids) > len(set(ids))  # ids shared by the rows of one source line


def test_a_new_zone_appears_without_a_restart(clients: dict[str, TestClient]) -> None:
    """The cached catalog follows the store on both backends (PostgreSQL: its files table)."""
    counts: dict[str, tuple[int, int]] = {}
    for backend, client in clients.items():
        before = _get(client, "Things", {"$count": "true", "$top": "1"})["@iot.count"]
        app_settings = client.app.dependency_overrides[get_settings]()  # create_app's settings
        with Store(app_settings.store) as store:
            ingest_records(store, "dwell", [
                {"time": "2022-08-02T10:00:00+09:00", "zone_id": "Z-NEW", "interval_min": 60,
                 "dwell_count": 7, "series": "2022", "simulated": False}
            ], "test:new zone")  # fmt: skip
        after = _get(client, "Things", {"$count": "true", "$top": "1"})["@iot.count"]
        counts[backend] = (before, after)
    assert counts["postgresql"] == counts["duckdb"]
    assert counts["duckdb"][1] > counts["duckdb"][0], counts
