"""Typed query parameters (422 with FastAPI's error body) and the app's resources object."""

from __future__ import annotations

from typing import get_args

from fastapi.testclient import TestClient

from api import resources
from api.params import Mode, Season
from api.settings import Settings
from comfort import routing
from comfort.constants import SEASONS


def test_literals_match_the_domain_constants() -> None:
    assert get_args(Mode) == routing.MODES
    assert get_args(Season) == SEASONS


def _loc(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "ValidationError"
    return body["detail"][0]["loc"]


def test_bad_values_are_422_naming_the_parameter(client: TestClient) -> None:
    assert _loc(client.get("/v1/courses?lang=fr")) == ["query", "lang"]
    assert _loc(client.get("/map/comfort?hour=24")) == ["query", "hour"]
    assert _loc(client.get("/map/comfort?season=winter")) == ["query", "season"]
    assert _loc(client.get("/map/flow?daytype=sunday")) == ["query", "daytype"]
    assert _loc(client.get("/map/walkability?level=city")) == ["query", "level"]
    assert _loc(client.get("/v1/comfort?season=JJA&hour=14&year=20220")) == ["query", "year"]
    assert _loc(client.get("/v1/isochrone?from=141.35,95")) == ["query", "from"]


def test_unknown_month_and_unbuilt_year_say_what_exists(client: TestClient) -> None:
    r = client.get("/map/flow?month=1999-01")
    assert r.status_code == 422 and "month must be one of 2019-" in r.json()["message"]
    r = client.get("/v1/comfort?season=JJA&hour=14&year=2030")
    assert r.status_code == 404, r.text
    assert "built: 2021, 2022" in r.json()["message"]


def test_conditions_notes_of_the_route_planner(client: TestClient) -> None:
    outside = client.get("/conditions-notes?at=2025-01-20T08:00&lang=en").json()["notes"]
    assert any("2022" in n for n in outside), outside
    ja = client.get("/conditions-notes?at=2025-01-20T08:00&lang=ja").json()["notes"]
    assert len(ja) == len(outside) and ja != outside


def test_one_resources_object_per_inputs(prepared: Settings) -> None:
    res = resources.current()
    other_store = prepared.model_copy(update={"store": prepared.cache_dir / "other.duckdb"})
    assert resources.for_settings(other_store) is res  # same data, cache and area
    other_cache = prepared.model_copy(update={"cache_dir": prepared.cache_dir / "elsewhere"})
    assert resources.for_settings(other_cache) is not res
    courses = res.courses()
    assert res.courses() is courses
    resources.clear()
    assert res.courses() is not courses and res.courses() == courses
