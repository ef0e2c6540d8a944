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


# --- climate-normalised KPI and the registry with history (issue 12) ---------------------


def _kpi_places(runner, app) -> dict:
    import json

    res = runner.invoke(app, ["kpi", "places", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _row(obj: dict, key: str, year: int, period: str = "year") -> dict:
    return next(r for r in obj[key] if r["year"] == year and r["period"] == period)


def test_kpi_places_json_normalised_rows_equal_without_registry_change(prepared) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    obj = _kpi_places(CliRunner(), app)
    assert {
        "reference_climate",
        "target_ratio",
        "baseline_year",
        "series",
        "actual_weather",
    } <= set(obj)
    assert obj["reference_climate"] == "baseline" and obj["baseline_year"] == 2021
    assert obj["simulated"] is True
    keys = {"year", "period", "places", "comfortable", "comfortable_expected", "comfortable_low",
            "comfortable_high", "ratio"}  # fmt: skip
    assert all(keys <= set(r) for r in obj["series"] + obj["actual_weather"])
    # the registry is the same in both years: weather alone cannot move the normalised count
    for r in obj["series"]:
        base = _row(obj, "series", 2021, r["period"])
        assert {k: v for k, v in r.items() if k != "year"} == {
            **{k: v for k, v in base.items() if k != "year"},
            "ratio": 1.0,
            "progress": 0.0,
        }
        assert r["ratio"] == 1.0
        assert r["comfortable_low"] <= r["comfortable_expected"] <= r["comfortable_high"]
    # the sensitivity table covers thresholds and bands
    shares = {s["share"] for s in obj["sensitivity"]}
    assert shares == {0.5, 0.6, 0.7} and {"textbook", "narrow", "wide"} <= {
        s["band"] for s in obj["sensitivity"]
    }
    # the alias prints the same object
    import json

    res = CliRunner().invoke(app, ["comfort", "kpi", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["series"] == obj["series"]


def test_places_add_and_retire_move_the_later_year_by_one(client, prepared) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from sensors import registry
    from sensors.store import Store

    runner = CliRunner()
    before = _kpi_places(runner, app)
    add = [
        "places", "add", "--id", "test-indoor-hall", "--name-ja", "試験ホール",
        "--name-en", "Test indoor hall", "--kind", "indoor", "--lon", "141.3530",
        "--lat", "43.0610", "--valid-from", "2022-01-01", "--source", "pytest", "--who", "pytest",
    ]  # fmt: skip
    res = runner.invoke(app, add)
    assert res.exit_code == 0, res.output
    after = _kpi_places(runner, app)
    for period in ("year", "winter", "summer"):
        b22, a22 = _row(before, "series", 2022, period), _row(after, "series", 2022, period)
        assert a22["comfortable"] == b22["comfortable"] + 1
        assert a22["places"] == b22["places"] + 1
        assert _row(after, "series", 2021, period) == _row(before, "series", 2021, period)
    assert _row(after, "series", 2022)["ratio"] > 1.0
    # shows on /v1/kpi, /v1/places and the dashboard
    kpi = client.get("/v1/kpi").json()["places"]
    assert _row(kpi, "series", 2022)["comfortable"] == _row(after, "series", 2022)["comfortable"]
    ids = [f["properties"]["place_id"] for f in client.get("/v1/places").json()["features"]]
    assert "test-indoor-hall" in ids
    one = client.get("/v1/places/test-indoor-hall").json()
    assert one["kind"] == "indoor" and one["conditions_source"] == "declared_conditioning"
    page = client.get("/dashboard?lang=en").text
    assert "test-indoor-hall" in page and "Registry changes" in page
    # retired: the count is back, history kept
    res = runner.invoke(app, ["places", "retire", "test-indoor-hall", "--on", "2022-06-01"])
    assert res.exit_code == 0, res.output
    again = _kpi_places(runner, app)
    assert _row(again, "series", 2022) == _row(before, "series", 2022)
    ids = [f["properties"]["place_id"] for f in client.get("/v1/places").json()["features"]]
    assert "test-indoor-hall" not in ids
    with Store(prepared.store, read_only=True) as store:
        log = registry.audit_log(store, "test-indoor-hall")
    assert log["action"].tolist() == ["retire", "add"]
    assert '"valid_to": "2022-06-01"' in log["after_json"].iloc[0]


def test_post_and_patch_places_go_through_the_spool(client, api_key) -> None:
    from comfort.places import valid_on
    from sensors import registry
    from sensors.store import Store

    body = {
        "place_id": "test-api-plaza", "name_ja": "試験広場", "name_en": "Test plaza",
        "kind": "outdoor", "type": "plaza", "lon": 141.3545, "lat": 43.0575,
        "source": "illustrative planned project", "status": "planned", "approximate": True,
    }  # fmt: skip
    assert client.post("/v1/places", json=body).status_code == 401
    r = client.post("/v1/places", json=body, headers={"X-API-Key": api_key})
    assert r.status_code == 202 and r.json()["queued"] is True
    writer = client.app.state.ingest.writer
    assert writer.wait_idle()
    r = client.patch(
        "/v1/places/test-api-plaza", json={"status": "existing", "valid_from": "2023-04-01"},
        headers={"X-API-Key": api_key},
    )  # fmt: skip
    assert r.status_code == 202
    assert writer.wait_idle()
    settings = client.app.state.resources.settings
    with Store(settings.store, read_only=True) as store:
        reg = registry.read_registry(store)
        log = registry.audit_log(store, "test-api-plaza")
    row = reg[reg["place_id"] == "test-api-plaza"]
    assert row["status"].iloc[0] == "existing" and valid_on(row, "2023-04-01").all()
    assert log["action"].tolist() == ["edit", "add"] and log["who"].str.startswith("api key").all()
    # refused before queueing: an unknown kind, a duplicate id, an unknown place
    bad = client.post("/v1/places", json={**body, "place_id": "x2", "kind": "cave"},
                      headers={"X-API-Key": api_key})  # fmt: skip
    assert bad.status_code == 422 and "kind" in bad.json()["message"]
    dup = client.post("/v1/places", json=body, headers={"X-API-Key": api_key})
    assert dup.status_code == 422 and "exists already" in dup.json()["message"]
    gone = client.patch("/v1/places/nowhere", json={"status": "existing"},
                        headers={"X-API-Key": api_key})  # fmt: skip
    assert gone.status_code == 404
    # the planned-then-existing place counts from 2023 only (not in the 2021/2022 series)
    with Store(settings.store, read_only=True) as store:
        reg = registry.read_registry(store)
    assert not valid_on(reg[reg["place_id"] == "test-api-plaza"], "2022-12-31").any()
