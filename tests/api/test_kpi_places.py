"""``/v1/kpi`` and ``/v1/places``."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_kpi_sections(client: TestClient) -> None:
    from api.services import kpi

    client.get("/courses/sosei-river-walk")  # one counted view
    kpi.clear()  # the sections are kept a minute per process
    b = client.get("/v1/kpi").json()
    assert set(b) == {"places", "steps", "content_views"}
    assert b["places"]["target_ratio"] == 2.0
    v = b["content_views"]
    assert v["available"] is True and v["targets"] == [2.0, 4.0]
    assert any(p["page"] == "/courses/sosei-river-walk" for p in v["by_page"])
    assert b["steps"]["targets"] == [1.1, 1.3]


def test_page_views_count_per_day_and_page(client: TestClient, prepared) -> None:
    from api.pageviews import daily_views

    before = daily_views(prepared.store, prepared.cache_dir)
    n0 = int(before.loc[before["page"] == "/map/comfort", "views"].sum())
    client.get("/map/comfort?season=JJA&hour=12")
    client.get("/map/comfort?season=DJF&hour=12")
    after = daily_views(prepared.store, prepared.cache_dir)
    assert int(after.loc[after["page"] == "/map/comfort", "views"].sum()) == n0 + 2
    assert set(after.columns) == {"day", "page", "views", "simulated"}  # nothing per visitor


def test_places(client: TestClient) -> None:
    b = client.get("/v1/places?lang=ja").json()
    assert b["properties"]["count"] == len(b["features"]) >= 10
    first = b["features"][0]["properties"]
    assert first["name"] == first["name_ja"]
    one = client.get(f"/v1/places/{first['place_id']}").json()
    assert one["place_id"] == first["place_id"]
    assert set(one["comfortable"]) == {"2021", "2022"}
    r = client.get("/v1/places/nowhere")
    assert r.status_code == 404 and "GET /v1/places" in r.json()["message"]
