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


def test_comfort_outside_the_fields_says_where_it_came_from(client: TestClient) -> None:
    b = client.get("/v1/comfort?time=2025-01-20T08:00").json()
    cond = b["properties"]["conditions"]
    assert cond["field_source"] == "same_day_other_year" and cond["field_year"] == 2022
    assert cond["field_time"] == "2022-01-20T08:00"
    assert cond["snow_source"] == "same_day_other_year" and cond["snow_depth_cm"] > 0
    assert b["properties"]["time"] == "2025-01-20T08:00:00"
    assert sum(1 for f in b["features"] if f["properties"]["utci_c"] is not None) > 100
    exact = client.get("/v1/comfort?time=2022-01-20T08:00").json()
    assert exact["properties"]["conditions"]["field_source"] == "exact"
    assert [f["properties"]["utci_c"] for f in exact["features"]] == [
        f["properties"]["utci_c"] for f in b["features"]
    ]


def test_season_comfort_conditions(client: TestClient) -> None:
    cond = client.get("/v1/comfort?season=DJF&hour=2").json()["properties"]["conditions"]
    assert cond["field_year"] == 2022 and cond["field_source"] == "exact"
    assert cond["snow_source"] == "climatology" and cond["snow_depth_cm"] > 10
    assert cond["walkways_open"] is False and "Chi-Ka-Ho" in cond["walkways_closed"]
    assert cond["aggregation"] == {"year": 2022, "season": "DJF", "hour": 2, "statistic": "mean"}


def test_isochrone_carries_conditions(client: TestClient) -> None:
    props = client.get("/v1/isochrone?from=141.35038,43.06738&at=2025-01-20T08:00").json()[
        "properties"
    ]
    assert props["conditions"]["snow_source"] == "same_day_other_year"
    assert props["snow_depth_cm"] == props["conditions"]["snow_depth_cm"]


def test_pages_note_sources_that_are_not_exact(client: TestClient) -> None:
    ja = client.get("/?at=2025-01-20T08:00&lang=ja").text
    assert "2022年の同じ日時のデータを表示しています" in ja
    assert "2022年の同じ日の実測値" in ja
    en = client.get("/?at=2025-01-20T08:00&lang=en").text
    assert "showing the same date and hour of 2022" in en
    exact = client.get("/?at=2022-01-20T08:00&lang=en").text
    assert "data-conditions-notes" not in exact  # every source exact: no note
    season = client.get("/map/comfort?season=DJF&hour=8&lang=en").text
    assert "mean of this season over 2019–2022" in season
