"""
SensorThings API v1.1 read endpoints (/sta/v1.1) and the $filter parser, on both store backends
(a DuckDB file and a PostgreSQL schema holding the same rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routers import sta
from api.services import sta as sta_service
from api.settings import Settings, get_settings
from sensors.ingest import ingest_records
from sensors.sta.errors import StaQueryError
from sensors.sta.filter import Prop, compile_sql, parse, tokenize
from sensors.store import Store
from tests.sensors.conftest import BACKENDS, new_pg_store, pg_database  # noqa: F401 (fixture)

BASE = "/sta/v1.1"
HOURS = 48


def make_store(path: Path | str, seed: int = 14) -> Path:
    """A small store: two thermal sensors (one simulated), counts, steps and survey rows."""
    rng = np.random.default_rng(seed)
    with Store(path) as store:
        ingest_records(store, "sensors", [
            {"sensor_id": "ODORI-01", "lat": 43.0597, "lon": 141.3508, "name": "Odori West 3",
             "simulated": True},
            {"sensor_id": "EKIMAE-02", "lat": 43.0646, "lon": 141.3533, "name": "Ekimae-dori"},
        ], "test:sensors")  # fmt: skip
        times = pd.date_range("2022-08-01", periods=HOURS, freq="h", tz="Asia/Tokyo")
        for sid, sim in (("ODORI-01", True), ("EKIMAE-02", False)):
            air = 24 + 4 * np.sin(np.arange(HOURS) / 24 * 2 * np.pi) + rng.normal(0, 0.3, HOURS)
            recs = [
                {"time": t.isoformat(), "sensor_id": sid, "air_temp_c": round(float(a), 2),
                 "rel_humidity_pct": round(float(rng.uniform(50, 80)), 1),
                 "wind_speed_m_s": round(float(rng.uniform(0, 4)), 2),
                 "globe_temp_c": round(float(a + rng.uniform(0, 8)), 2),
                 "solar_wm2": None if sid == "EKIMAE-02" else round(float(rng.uniform(0, 800))),
                 "simulated": sim}
                for t, a in zip(times, air, strict=True)
            ]  # fmt: skip
            ingest_records(store, "readings", recs, f"test:{sid}")
        ingest_records(store, "counts", [
            {"time": t.isoformat(), "line_id": "L-SOUTH1", "direction": d, "interval_min": 60,
             "count": int(rng.integers(0, 500)), "series": "2022"}
            for t in times[:12] for d in ("in", "out")
        ], "test:counts")  # fmt: skip
        ingest_records(store, "steps", [
            {"participant": "P-SECRET-1", "time": "2022-08-01T00:00:00+09:00", "interval": "day",
             "steps": 9000},
        ], "test:steps", pseudonym_key="k" * 32)  # fmt: skip
    return Path(path)


def sta_client(store_path: Path) -> TestClient:
    """A TestClient of an app with the SensorThings router on ``store_path``."""
    app = FastAPI()
    sta.install(app)
    app.dependency_overrides[get_settings] = lambda: Settings(store=store_path)
    return TestClient(app)


@pytest.fixture(scope="module", params=BACKENDS)
def store_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small store, as a DuckDB file or a PostgreSQL schema (its URL as a Path, as the
    settings hold ``KAITEKI_STORE``)."""
    if request.param == "duckdb":
        return make_store(tmp_path_factory.mktemp("sta") / "kaiteki.duckdb")
    return make_store(new_pg_store(request.getfixturevalue("pg_database")))


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    sta_service.clear()
    with sta_client(store_path) as c:
        yield c


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    resp = client.get(f"{BASE}/{path}", params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def datastream(client: TestClient, name: str) -> dict[str, Any]:
    values = get(client, "Datastreams", **{"$filter": f"name eq '{name}'"})["value"]
    assert len(values) == 1, values
    return values[0]


def test_service_root_lists_every_entity_set(client: TestClient) -> None:
    body = client.get(BASE).json()
    assert {v["name"] for v in body["value"]} == {
        "Things", "Locations", "Datastreams", "Sensors", "ObservedProperties", "Observations",
        "FeaturesOfInterest",
    }  # fmt: skip


def test_things_locations_and_datastreams(client: TestClient) -> None:
    things = get(client, "Things", **{"$expand": "Locations", "$count": "true"})
    assert things["@iot.count"] == 3  # two sensors and one counting line
    by_name = {t["name"]: t for t in things["value"]}
    odori = by_name["Odori West 3"]
    assert odori["properties"]["simulated"] is True
    assert by_name["Ekimae-dori"]["properties"]["simulated"] is False
    assert odori["Locations"][0]["location"] == {
        "type": "Point",
        "coordinates": [141.3508, 43.0597],
    }
    ds = get(client, f"Things({odori['@iot.id']})/Datastreams")["value"]
    assert sorted(d["properties"]["variable"] for d in ds) == sorted(
        ["air_temp_c", "rel_humidity_pct", "wind_speed_m_s", "globe_temp_c", "solar_wm2"]
    )
    ekimae = get(client, f"Things({by_name['Ekimae-dori']['@iot.id']})/Datastreams")["value"]
    assert "solar_wm2" not in {d["properties"]["variable"] for d in ekimae}  # no values: none
    counts = get(
        client,
        "Datastreams",
        **{
            "$filter": "observationType eq "
            "'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation'"
        },
    )
    assert sorted(d["name"] for d in counts["value"]) == [
        "L-SOUTH1 count in 2022 total",
        "L-SOUTH1 count out 2022 total",
    ]


def test_ids_are_stable_and_entities_resolve(client: TestClient, store_path: Path) -> None:
    ds = datastream(client, "ODORI-01 air_temp_c")
    assert get(client, f"Datastreams({ds['@iot.id']})")["name"] == "ODORI-01 air_temp_c"
    sta_service.clear()
    with sta_client(store_path) as other:
        assert datastream(other, "ODORI-01 air_temp_c")["@iot.id"] == ds["@iot.id"]
    thing = get(client, f"Datastreams({ds['@iot.id']})/Thing")
    assert thing["name"] == "Odori West 3"
    op = get(client, f"Datastreams({ds['@iot.id']})/ObservedProperty")
    assert op["name"] == "air_temp_c"
    assert op["definition"] == "http://vocab.nerc.ac.uk/standard_name/air_temperature/"
    assert get(client, f"Datastreams({ds['@iot.id']})/Sensor")["name"] == "kaiteki thermal station"
    obs = get(client, f"Datastreams({ds['@iot.id']})/Observations", **{"$top": "1"})["value"][0]
    assert get(client, f"Observations({obs['@iot.id']})")["result"] == obs["result"]
    assert get(client, f"Observations({obs['@iot.id']})/Datastream")["@iot.id"] == ds["@iot.id"]
    foi = get(client, f"Observations({obs['@iot.id']})/FeatureOfInterest")
    assert foi["feature"]["coordinates"] == [141.3508, 43.0597]


def test_observations_match_the_store_with_simulated_marked(
    client: TestClient, store_path: Path
) -> None:
    ds = datastream(client, "ODORI-01 air_temp_c")
    body = get(client, f"Datastreams({ds['@iot.id']})/Observations",
               **{"$orderby": "phenomenonTime desc", "$top": "10"})  # fmt: skip
    with Store(store_path, read_only=True) as store:
        want = store.readings(sensor_ids=["ODORI-01"]).sort_values("time", ascending=False)
    got = [(pd.Timestamp(o["phenomenonTime"]), o["result"]) for o in body["value"]]
    assert got == [(t, a) for t, a in zip(want["time"][:10], want["air_temp_c"][:10], strict=True)]
    assert all(o["parameters"]["simulated"] is True for o in body["value"])
    assert body["@iot.nextLink"]


def test_paging_returns_every_observation_exactly_once(
    client: TestClient, store_path: Path
) -> None:
    ids: list[int] = []
    params: dict[str, Any] | None = {"$top": "37", "$count": "true"}
    url = f"{BASE}/Observations"
    pages = 0
    while url:
        body = client.get(url, params=params).json()
        ids += [o["@iot.id"] for o in body["value"]]
        nxt = body.get("@iot.nextLink")
        url, params = (urlsplit(nxt).path + "?" + urlsplit(nxt).query, None) if nxt else ("", None)
        pages += 1
    with Store(store_path, read_only=True) as store:
        n = (
            store.query(
                "SELECT count(air_temp_c) + count(rel_humidity_pct) + count(wind_speed_m_s) + "
                "count(globe_temp_c) + count(solar_wm2) AS n FROM readings"
            )["n"][0]
            + store.query("SELECT count(count) AS n FROM counts")["n"][0]
        )
    assert len(ids) == len(set(ids)) == n
    assert pages == -(-n // 37)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("result gt 25", lambda f: f["air_temp_c"] > 25),
        ("result ge 24 and result le 26", lambda f: f["air_temp_c"].between(24, 26)),
        ("not (result lt 22 or result gt 27)", lambda f: f["air_temp_c"].between(22, 27)),
        ("phenomenonTime ge 2022-08-01T12:00:00+09:00 and phenomenonTime lt "
         "2022-08-02T00:00:00Z", lambda f: (f["time"] >= pd.Timestamp("2022-08-01T12:00+09:00"))
         & (f["time"] < pd.Timestamp("2022-08-02T09:00+09:00"))),
        ("(phenomenonTime lt 2022-08-01T03:00:00+09:00) or result eq 24.0",
         lambda f: (f["time"] < pd.Timestamp("2022-08-01T03:00+09:00")) | (f["air_temp_c"] == 24)),
    ],
)  # fmt: skip
def test_filter_matches_pandas(
    client: TestClient, store_path: Path, flt: str, expected: Any
) -> None:
    ds = datastream(client, "EKIMAE-02 air_temp_c")
    body = get(client, f"Datastreams({ds['@iot.id']})/Observations",
               **{"$filter": flt, "$top": "1000", "$count": "true"})  # fmt: skip
    with Store(store_path, read_only=True) as store:
        frame = store.readings(sensor_ids=["EKIMAE-02"])
    want = frame[expected(frame)]
    assert body["@iot.count"] == len(want) == len(body["value"])
    assert sorted(o["result"] for o in body["value"]) == sorted(want["air_temp_c"])


def test_select_expand_orderby_and_skip(client: TestClient) -> None:
    body = get(client, "Datastreams", **{"$select": "id,name", "$orderby": "name desc",
                                         "$top": "3", "$skip": "1"})  # fmt: skip
    assert [set(d) for d in body["value"]] == [{"@iot.id", "name"}] * 3
    names = [d["name"] for d in get(client, "Datastreams", **{"$orderby": "name desc"})["value"]]
    assert [d["name"] for d in body["value"]] == names[1:4]
    obs = get(client, "Observations", **{"$expand": "Datastream", "$top": "2"})["value"]
    assert all(o["Datastream"]["@iot.id"] for o in obs)


def test_personal_kinds_are_never_exposed(client: TestClient) -> None:
    text = "".join(
        client.get(f"{BASE}/{s}", params={"$top": "1000"}).text
        for s in ("Things", "Datastreams", "ObservedProperties", "Sensors", "FeaturesOfInterest")
    )
    assert "steps" not in text and "survey" not in text and "P-SECRET" not in text


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"$filter": "result gt"}, "ends too early"),
        ({"$filter": "colour eq 'red'"}, "unknown property 'colour'"),
        ({"$filter": "result eq 'warm'"}, "cannot be compared"),
        ({"$filter": "name eq 'x'; DROP TABLE readings"}, "cannot read"),
        ({"$filter": "result add 2 gt 3"}, "expected an operator"),
        ({"$top": "5000"}, "at most 1000"),
        ({"$top": "-1"}, "whole number"),
        ({"$orderby": "colour"}, "orderby"),
        ({"$expand": "Datastream($top=2)"}, "expand"),
        ({"$search": "x"}, "unknown query option"),
    ],
)
def test_bad_requests_are_sensorthings_400s(
    client: TestClient, store_path: Path, params: dict[str, str], match: str
) -> None:
    resp = client.get(f"{BASE}/Observations", params=params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == 400 and body["type"] == "error" and match in body["message"]
    with Store(store_path, read_only=True) as store:
        assert store.table_counts()["readings"] == 2 * HOURS


def test_unknown_entities_are_404(client: TestClient) -> None:
    assert client.get(f"{BASE}/Things(1)").json()["code"] == 404
    assert client.get(f"{BASE}/Steps").status_code == 404
    assert client.get(f"{BASE}/Observations(8)").status_code == 404


def test_kaiteki_app_serves_sensorthings(tmp_path: Path) -> None:
    from api.app import create_app

    path = make_store(tmp_path / "app.duckdb")
    settings = Settings(store=path, cache_dir=tmp_path / "cache")
    with TestClient(create_app(settings)) as c:
        body = c.get(f"{BASE}/Things", params={"$count": "true"}).json()
    assert body["@iot.count"] == 3


def test_filter_parser() -> None:
    props = {"result": Prop("o.result", "num"), "phenomenonTime": Prop("o.t0", "time")}
    sql, params = compile_sql(parse("5 lt result and phenomenonTime ge 2022-08-01T00:00:00Z",
                                    props), props)  # fmt: skip
    assert sql == "((o.result > ?) AND (o.t0 >= ?))"
    assert params[0] == 5 and params[1].isoformat() == "2022-08-01T00:00:00+00:00"
    # an unescaped "+" in a URL arrives as a space
    _, p2 = compile_sql(parse("phenomenonTime lt 2022-08-01T09:00:00 09:00", props), props)
    assert p2[0] == pd.Timestamp("2022-08-01T00:00:00Z")
    with pytest.raises(StaQueryError, match="nests deeper"):
        parse("(" * 40 + "result eq 1" + ")" * 40, props)
    with pytest.raises(StaQueryError, match="at most 2000"):
        tokenize("x" * 3000)
    with pytest.raises(StaQueryError, match="null can only"):
        compile_sql(parse("result gt null", props), props)
    with pytest.raises(StaQueryError, match="no UTC offset"):
        compile_sql(parse("phenomenonTime gt '2022-08-01T00:00:00'", props), props)
    with pytest.raises(StaQueryError, match="unexpected"):
        parse("result eq 1 result eq 2", props)
