"""FIWARE NGSI-LD: ingest of entity files, export, round trip, and GET /ngsi-ld/v1/entities."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.routers import ngsi_ld
from api.services.ngsi_ld import NgsiQueryError, compile_q
from api.settings import Settings, get_settings
from comfort.qcflags import QCFlag
from sensors.errors import FileFormatError
from sensors.export import export_store
from sensors.kinds.ngsi_ld import CONTEXT_FILE, KAITEKI_NS, ingest_ngsi_ld, parse_entity_id
from sensors.store import Store
from tests.api.test_sta import make_store

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
ENTITIES = FORMATS / "ngsi_ld_entities.jsonld"
API = "/ngsi-ld/v1/entities"

#: Smart Data Models: the required attributes of each type, and the JSON type of the
#: attributes kaiteki writes (keyValues form), from the WeatherObserved and CrowdFlowObserved
#: schemas (dataModel.Weather, dataModel.Transportation).
SDM_REQUIRED = {
    "WeatherObserved": ("id", "type", "dateObserved", "location"),
    "CrowdFlowObserved": ("id", "type", "dateObserved"),
}
SDM_TYPES: dict[str, Any] = {
    "dateObserved": str, "dateObservedFrom": str, "dateObservedTo": str, "refDevice": str,
    "refRoadSegment": str, "temperature": (int, float), "relativeHumidity": (int, float),
    "windSpeed": (int, float), "solarRadiation": (int, float), "peopleCount": (int, float),
    "direction": str,
}  # fmt: skip


def check_sdm(entity: dict[str, Any]) -> None:
    """Assert that a keyValues entity has the Smart Data Models required fields and types."""
    etype = entity["type"]
    missing = [a for a in SDM_REQUIRED[etype] if a not in entity]
    assert not missing, (entity["id"], missing)
    assert entity["id"].startswith(f"urn:ngsi-ld:{etype}:")
    for name, kind in SDM_TYPES.items():
        if name in entity:
            assert isinstance(entity[name], kind), (name, entity[name])
    if "location" in entity:
        loc = entity["location"]
        assert loc["type"] == "Point" and len(loc["coordinates"]) == 2
        lon, lat = loc["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    if "relativeHumidity" in entity:
        assert 0 <= entity["relativeHumidity"] <= 1
    if "direction" in entity:
        assert entity["direction"] in ("inbound", "outbound")
    stamp = pd.Timestamp(entity["dateObserved"].split("/")[0])
    assert stamp.tzinfo is not None


def frames(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = lambda f: f.drop(columns=["file_id", "line"])  # noqa: E731
    counts = keep(store.counts()).sort_values(["line_id", "direction", "series", "time"])
    return keep(store.readings()), counts.reset_index(drop=True)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("ngsi") / "kaiteki.duckdb")


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    app = FastAPI()
    ngsi_ld.install(app)
    app.dependency_overrides[get_settings] = lambda: Settings(store=store_path)
    with TestClient(app) as c:
        yield c


def test_ingest_reads_both_forms_decides_the_table_by_type_and_quarantines(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        weather, flow = ingest_ngsi_ld(store, ENTITIES)
        readings = store.readings()
        counts = store.counts().sort_values("time").reset_index(drop=True)
        quarantine = store.quarantine()
    assert (weather.kind, weather.accepted, weather.quarantined) == ("ngsi-ld-weather", 3, 4)
    assert (flow.kind, flow.accepted, flow.quarantined) == ("ngsi-ld-crowdflow", 3, 1)
    assert readings["sensor_id"].unique().tolist() == ["odori-w3"]
    first = readings.iloc[0]
    assert first["time"] == pd.Timestamp("2022-08-01 10:00", tz="Asia/Tokyo")
    assert (first["lat"], first["lon"]) == (43.0605, 141.354)
    assert first["rel_humidity_pct"] == pytest.approx(62.0)  # 0.62 → %
    assert first["wind_speed_m_s"] == pytest.approx(1.5)  # 5.4 km/h
    assert first["solar_wm2"] == 640
    # keyValues with expanded names, and a Fahrenheit temperature
    assert readings["globe_temp_c"].iloc[1] == 34.9
    assert readings["air_temp_c"].iloc[2] == pytest.approx(27.5)
    assert readings["qc_flags"].iloc[1] & QCFlag.RANGE  # 81.5 °C with no unit: out of range
    assert counts["count"].tolist() == [412, 388, -3]
    assert counts["interval_min"].tolist() == [15, 15, 15]
    assert counts["direction"].tolist()[:2] == ["inbound", "outbound"]
    assert counts["line_id"].unique().tolist() == ["odori-line-1"]
    assert counts["qc_flags"].iloc[2] & QCFlag.RANGE
    reasons = " | ".join(quarantine["reason"].astype(str))
    for expected in ("GeoJSON Point", "temperature must be a number", "'AirQualityObserved'",
                     "not a JSON object", "dateObservedFrom and dateObservedTo"):  # fmt: skip
        assert expected in reasons


def test_the_same_file_twice_adds_nothing(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        ingest_ngsi_ld(store, ENTITIES)
        again = ingest_ngsi_ld(store, ENTITIES)
        assert all(r.duplicate_file for r in again)
        assert len(store.readings()) == 3


def test_a_file_that_is_not_json_is_rejected_whole(tmp_path):
    bad = tmp_path / "bad.jsonld"
    bad.write_text("{ not json", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(FileFormatError, match="not JSON"):
        ingest_ngsi_ld(store, bad)


def test_json_lines_of_entities(tmp_path):
    path = tmp_path / "e.jsonl"
    lines = [
        {"id": "urn:ngsi-ld:WeatherObserved:x", "type": "WeatherObserved",
         "dateObserved": f"2022-08-01T10:{m:02d}:00+09:00", "refDevice": "urn:ngsi-ld:Device:x",
         "location": {"type": "Point", "coordinates": [141.35, 43.06]}, "temperature": 25.0,
         "relativeHumidity": 0.5, "windSpeed": 1.0, "globeTemperature": 30.0}
        for m in (0, 10)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(e) for e in lines) + "\n{oops\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_ngsi_ld(store, path)
        assert (res.accepted, res.quarantined) == (2, 1)
        assert "line 3" in " ".join(res.messages)


def test_export_ingest_round_trip_gives_equal_rows(store_path, tmp_path):
    with Store(store_path, read_only=True) as src:
        r = export_store(src, "readings", "ngsi-ld", tmp_path / "readings.jsonld")
        c = export_store(src, "counts", "ngsi-ld", tmp_path / "counts.jsonld")
        before = frames(src)
    assert (r.rows, c.rows) == (len(before[0]), len(before[1]))
    assert r.sidecar is not None and json.loads(r.sidecar.read_text())["simulated"] is True
    doc = json.loads((tmp_path / "readings.jsonld").read_text())
    assert isinstance(doc, list) and doc[0]["@context"][-1].startswith("https://uri.etsi.org/")
    assert doc[0]["temperature"]["type"] == "Property"  # normalized form
    assert doc[0]["refDevice"]["type"] == "Relationship"
    with Store(tmp_path / "second.duckdb") as dst:
        for f in ("readings.jsonld", "counts.jsonld"):
            ingest_ngsi_ld(dst, tmp_path / f)
        after = frames(dst)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_cli_ingest_and_export(tmp_path, monkeypatch):
    from api.cli import app

    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "cli.duckdb"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        res = runner.invoke(app, ["ingest", "ngsi-ld", str(ENTITIES), "--no-area", "--json"])
        assert res.exit_code == 0, res.output
        assert "ngsi-ld-crowdflow" in res.output
        out = tmp_path / "counts.jsonld"
        res = runner.invoke(app, ["export", "counts", "--format", "ngsi-ld", "--out", str(out)])
        assert res.exit_code == 0, res.output
    finally:
        get_settings.cache_clear()
    assert [e["type"] for e in json.loads(out.read_text())] == ["CrowdFlowObserved"] * 3


def test_export_refuses_kinds_without_an_entity_type(store_path, tmp_path):
    from sensors.errors import ExportError

    with Store(store_path, read_only=True) as src, pytest.raises(ExportError, match="ngsi-ld"):
        export_store(src, "steps", "ngsi-ld", tmp_path / "s.jsonld")


def test_context_file_defines_the_extension_terms_under_kaiteki_namespace():
    ctx = json.loads(CONTEXT_FILE.read_text())["@context"]
    assert ctx["kaiteki"] == KAITEKI_NS
    for term in ("globeTemperature", "meanRadiantTemperature", "utci", "wbgt"):
        assert ctx[term]["@id"] == f"kaiteki:{term}"


def test_api_entities_validate_against_smart_data_models(client):
    for etype in ("WeatherObserved", "CrowdFlowObserved"):
        res = client.get(API, params={"type": etype, "limit": 1000, "options": "keyValues"})
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("application/ld+json")
        body = res.json()
        assert body
        for e in body:
            check_sdm(e)
    weather = client.get(API, params={"type": "WeatherObserved", "limit": 1}).json()[0]
    for name in ("globeTemperature", "meanRadiantTemperature", "utci", "wbgt"):
        assert weather[name]["unitCode"] == "CEL"
    assert KAITEKI_NS in json.dumps(weather["@context"])


def test_api_paging_visits_every_entity_once(client):
    total = int(client.get(API, params={"type": "WeatherObserved", "count": "true",
                                        "limit": 0}).headers["NGSILD-Results-Count"])  # fmt: skip
    assert total == 96
    seen: list[str] = []
    for offset in range(0, total, 25):
        page = client.get(API, params={"type": "WeatherObserved", "limit": 25, "offset": offset})
        seen += [e["id"] for e in page.json()]
    assert len(seen) == len(set(seen)) == total
    assert all(parse_entity_id(i) is not None for i in seen)


def test_api_q_id_and_simulated_marking(client):
    res = client.get(API, params={
        "type": "WeatherObserved", "options": "keyValues", "limit": 1000,
        "q": 'temperature>=26;refDevice=="urn:ngsi-ld:Device:kaiteki:ODORI-01"'})  # fmt: skip
    body = res.json()
    assert body and all(e["temperature"] >= 26 and e["simulated"] is True for e in body)
    flows = client.get(
        API,
        params={
            "type": "CrowdFlowObserved",
            "options": "keyValues",
            "limit": 1000,
            "q": "(countingDirection==in|countingDirection==out);peopleCount==100..300",
        },
    ).json()
    assert flows and all(100 <= e["peopleCount"] <= 300 for e in flows)
    one = body[0]["id"]
    by_id = client.get(API, params={"id": one, "options": "keyValues"}).json()
    assert [e["id"] for e in by_id] == [one]
    assert client.get(f"{API}/{one}").json()["id"] == one
    assert client.get(f"{API}/urn:ngsi-ld:WeatherObserved:nope").status_code == 404


def test_api_never_serves_personal_kinds(client):
    for etype in ("Steps", "Survey", "Questionnaire"):
        assert client.get(API, params={"type": etype}).json() == []


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "give type"),
        ({"type": "WeatherObserved", "limit": "1001"}, "between 0 and 1000"),
        ({"type": "WeatherObserved", "offset": "-1"}, "offset"),
        ({"type": "WeatherObserved", "q": "utci>30"}, "cannot be queried"),
        ({"type": "WeatherObserved", "q": "temperature>hot"}, "number"),
        ({"type": "WeatherObserved", "q": "(temperature>1"}, "not closed"),
        ({"type": "WeatherObserved", "options": "sysAttrs"}, "not supported"),
    ],
)
def test_api_bad_queries_are_problem_details(client, params, match):
    res = client.get(API, params=params)
    assert res.status_code == 400
    body = res.json()
    assert body["type"].endswith("/BadRequestData") and match in body["detail"]


def test_q_values_are_parameters_not_sql():
    sql, params = compile_q('refDevice=="x\'); DROP TABLE readings; --"', "WeatherObserved")
    assert "DROP" not in sql and params == ["x'); DROP TABLE readings; --"]
    with pytest.raises(NgsiQueryError, match="expected a value"):
        compile_q("temperature>;", "WeatherObserved")
