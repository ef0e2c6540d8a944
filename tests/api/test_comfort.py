"""``/v1/comfort`` and ``/v1/walkability``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api import resources


def test_comfort_for_an_hour(client: TestClient) -> None:
    b = client.get("/v1/comfort?time=2022-07-19T14:00").json()
    assert b["type"] == "FeatureCollection"
    assert len(b["features"]) == len(resources.segments())
    assert b["properties"]["simulated"] is True
    values = [f["properties"]["utci_c"] for f in b["features"] if f["properties"]["utci_c"]]
    assert len(values) > 0.9 * len(b["features"])
    assert 10 < sum(values) / len(values) < 40  # a July afternoon
    assert len(b["properties"]["categories"]) == 10


def test_comfort_winter_is_colder(client: TestClient) -> None:
    def mean(q: str) -> float:
        feats = client.get(f"/v1/comfort?{q}").json()["features"]
        street = [f["properties"]["utci_c"] for f in feats if f["properties"]["kind"] == "street"]
        return sum(street) / len(street)

    assert mean("season=DJF&hour=12") < mean("season=JJA&hour=12") - 10


def test_comfort_bbox_filters(client: TestClient) -> None:
    full = client.get("/v1/comfort?time=2022-07-19T14:00").json()["features"]
    part = client.get(
        "/v1/comfort?time=2022-07-19T14:00&bbox=141.345,43.055,141.355,43.062"
    ).json()["features"]
    assert 0 < len(part) < len(full)


def test_comfort_errors(client: TestClient) -> None:
    r = client.get("/v1/comfort?time=2022-03-01T10:00")
    assert r.status_code == 422 and "outside the comfort field" in r.json()["message"]
    r = client.get("/v1/comfort?time=2019-07-01T10:00")
    assert r.status_code == 503 and "kaiteki comfort build" in r.json()["message"]
    r = client.get("/v1/comfort?bbox=1,2,0,3")
    assert r.status_code == 422 and "bbox" in r.json()["message"]
    r = client.get("/v1/comfort?season=XYZ&hour=3")
    assert r.status_code == 422


def test_walkability_levels(client: TestClient) -> None:
    for level, minimum in (("edge", 100), ("block", 100), ("grid", 100)):
        b = client.get(f"/v1/walkability?level={level}").json()
        assert b["properties"]["level"] == level
        assert len(b["features"]) >= minimum
        scores = [
            f["properties"]["walkability"]
            for f in b["features"]
            if f["properties"]["walkability"] is not None
        ]
        assert scores and all(0 <= s <= 100 for s in scores)
    assert client.get("/v1/walkability?level=city").status_code == 422
