"""``/v1/route`` and ``/v1/isochrone`` on the embedded graph and the prepared field."""

from __future__ import annotations

from fastapi.testclient import TestClient

STATION = "141.35038,43.06738"
SUSUKINO = "141.35319,43.05613"


def test_route_figures(client: TestClient) -> None:
    r = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&mode=shortest&at=2022-07-19T14:00")
    assert r.status_code == 200
    b = r.json()
    assert 1000 < b["length_m"] < 1800
    assert b["steps"] == round(b["length_m"] / 0.7)
    assert abs(b["minutes"] - b["length_m"] / 80.0) < 0.5  # 4.8 km/h in summer
    assert b["geometry"]["type"] == "LineString"
    assert b["comfort_field"] is True and b["simulated"] is True and b["field_year"] == 2022
    assert sum(b["utci_minutes"].values()) > 0


def test_winter_route_goes_underground(client: TestClient) -> None:
    b = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&mode=winter&at=2022-01-19T12:00").json()
    assert b["snow_depth_cm"] > 0
    assert b["underground_share"] > 0.7
    assert "Chi-Ka-Ho" in b["walkways"]
    assert b["length_m"] >= b["shortest"]["length_m"] - 1e-6


def test_route_without_field_is_distance_only(client: TestClient) -> None:
    b = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&at=2020-05-01T10:00").json()
    assert b["comfort_field"] is False and b["utci_minutes"] is None


def test_route_bad_inputs(client: TestClient) -> None:
    r = client.get(f"/v1/route?from=141.35&to={SUSUKINO}")
    assert r.status_code == 422 and "from must be lon,lat" in r.json()["message"]
    assert r.json()["detail"][0]["loc"] == ["query", "from"]
    r = client.get(f"/v1/route?from={STATION}&to=200,43")
    assert r.status_code == 422 and "to must be lon,lat" in r.json()["message"]
    r = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&mode=flying")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "mode"]
    assert "'winter'" in r.json()["message"] and "'accessible'" in r.json()["message"]
    r = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&at=yesterday")
    assert r.status_code == 422 and "ISO 8601" in r.json()["message"]
    r = client.get(f"/v1/route?from=139.69,35.68&to={SUSUKINO}")  # Tokyo
    assert r.status_code == 422 and "from the nearest walking" in r.json()["message"]


def test_isochrone(client: TestClient) -> None:
    small = client.get(f"/v1/isochrone?from={STATION}&minutes=3").json()
    big = client.get(f"/v1/isochrone?from={STATION}&minutes=10").json()
    assert small["type"] == "Feature"
    assert small["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert big["properties"]["nodes_reached"] > small["properties"]["nodes_reached"] > 0


def test_route_conditions_at_the_ends_of_the_calendar(client: TestClient) -> None:
    for at, day in (("0001-01-01T00:00", "2020-01-01"), ("9999-12-31T23:59", "2022-12-31")):
        b = client.get(f"/v1/route?from={STATION}&to={SUSUKINO}&at={at}").json()
        cond = b["conditions"]
        assert cond["at"] == at and cond["snow_date"] == day, cond
        assert cond["snow_source"] == "same_day_other_year" and cond["field_source"] == "none"
        assert b["comfort_field"] is False and b["field_year"] is None
