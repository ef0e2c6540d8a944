"""The app factory: area endpoint, error handling, body limit, OpenAPI, static assets."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.errors import status_for


def test_area_summary(client: TestClient) -> None:
    body = client.get("/v1/area").json()
    assert body["planning_area"]["blocks"] == 154
    assert 270 < body["planning_area"]["area_ha"] < 300
    assert body["network"]["underground_km"] > 1.0
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/area",
        "/v1/route",
        "/v1/isochrone",
        "/v1/comfort",
        "/v1/walkability",
        "/v1/courses",
        "/v1/courses/{course_id}",
        "/v1/readings",
        "/v1/steps",
    ):
        assert p in paths


def test_domain_error_is_json_without_traceback(client: TestClient) -> None:
    r = client.get("/v1/courses/no-such-course")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "NotFoundError"
    assert "station-odori-chikaho" in body["message"]
    assert "Traceback" not in r.text


def test_validation_error_is_json(client: TestClient) -> None:
    r = client.get("/v1/isochrone?from=141.35,43.06&minutes=-3")
    assert r.status_code == 422
    assert r.json()["error"] == "ValidationError"
    assert "minutes" in r.json()["message"]


def test_body_limit_413(client: TestClient, api_key: str, prepared) -> None:
    big = b"[" + b" " * (prepared.max_body_bytes + 10) + b"]"
    r = client.post(
        "/v1/readings",
        content=big,
        headers={"X-API-Key": api_key, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "limit" in r.json()["message"]


def test_status_mapping() -> None:
    from api.errors import NotPreparedError
    from sensors.errors import DataDirError

    assert status_for(NotPreparedError("x")) == 503
    assert status_for(DataDirError("x")) == 503
    assert status_for(KeyError("x")) == 404
    assert status_for(RuntimeError("x")) == 500


def test_static_leaflet_served(client: TestClient) -> None:
    r = client.get("/static/leaflet/leaflet.js")
    assert r.status_code == 200
    assert "Leaflet" in r.text[:2000] or "leaflet" in r.text[:2000]
    assert client.get("/static/leaflet/LICENSE").status_code == 200
