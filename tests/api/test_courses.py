"""Walking courses: the data file, ``/v1/courses`` in both languages, figures."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from sensors.courses import COURSES_FILE, energy_kcal, load_courses, parse_courses, steps_for
from sensors.errors import CourseError


def test_embedded_courses() -> None:
    courses = load_courses()
    assert len(courses) >= 6
    assert len({c.course_id for c in courses}) == len(courses)
    for c in courses:
        assert c.name_ja != c.name_en and c.description_ja and c.description_en


def test_course_errors(tmp_path) -> None:
    doc = json.loads(COURSES_FILE.read_text(encoding="utf-8"))
    bad = json.loads(json.dumps(doc))
    bad["courses"][0]["waypoints"][0]["lon"], bad["courses"][0]["waypoints"][0]["lat"] = (
        43.06,
        141.35,
    )
    with pytest.raises(CourseError, match="lon and lat swapped"):
        parse_courses(bad)
    bad = json.loads(json.dumps(doc))
    bad["courses"][1]["id"] = bad["courses"][0]["id"]
    with pytest.raises(CourseError, match="used twice"):
        parse_courses(bad)
    bad = json.loads(json.dumps(doc))
    del bad["courses"][0]["name"]["ja"]
    with pytest.raises(CourseError, match="'en' and 'ja'"):
        parse_courses(bad)
    bad = json.loads(json.dumps(doc))
    bad["courses"][0]["waypoints"] = bad["courses"][0]["waypoints"][:1]
    with pytest.raises(CourseError, match="at least two waypoints"):
        parse_courses(bad)
    bad = json.loads(json.dumps(doc))
    bad["courses"][0]["mode"] = "bike"
    with pytest.raises(CourseError, match="mode must be one of"):
        parse_courses(bad)
    with pytest.raises(CourseError, match="not found"):
        load_courses(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(CourseError, match="not valid JSON"):
        load_courses(tmp_path / "x.json")


def test_formulas() -> None:
    assert steps_for(700.0) == 1000
    assert energy_kcal(60.0) == 210.0  # 3.5 MET × 60 kg × 1 h


def test_list_in_both_languages(client: TestClient) -> None:
    en = client.get("/v1/courses?lang=en").json()
    ja = client.get("/v1/courses", headers={"Accept-Language": "ja-JP,ja;q=0.9"}).json()
    assert len(en) == len(ja) >= 6
    assert en[0]["lang"] == "en" and ja[0]["lang"] == "ja"
    assert "チ・カ・ホ" in ja[0]["name"]
    assert "Chi-Ka-Ho" in en[0]["name"]


def test_course_detail(client: TestClient) -> None:
    b = client.get("/v1/courses/station-susukino-underground").json()
    assert 1100 < b["length_m"] < 1700
    assert b["steps"] == steps_for(b["length_m"])
    assert abs(b["energy_kcal"] - energy_kcal(b["minutes"])) <= 0.2  # minutes are rounded
    assert b["underground_share"] > 0.7
    assert [r["season"] for r in b["comfort_by_season"]] == ["DJF", "MAM", "JJA", "SON"]
    assert b["simulated"] is True
    odori = client.get("/v1/courses/odori-park-west-east").json()
    assert odori["underground_share"] == 0.0
    assert odori["winter_alternative"] is not None
    assert odori["winter_alternative"]["underground_share"] > 0.05


def test_every_course_routes(client: TestClient) -> None:
    for c in client.get("/v1/courses").json():
        b = client.get(f"/v1/courses/{c['id']}").json()
        assert b["length_m"] > 500, c["id"]
        assert len(b["geometry"]["coordinates"]) > 2


def test_course_comfort_uses_the_segments_walked(client: TestClient, prepared) -> None:
    from api import resources
    from api.services.courses import comfort_by_season, course_segments

    res = resources.current()
    seg = res.segments_lonlat()
    street_only = 0
    winter_at = dt.datetime(prepared.demo_year, 1, 20, 12)
    for c in res.courses():
        # each course by distance, and in its own mode (winter courses go underground)
        for mode, at in {("shortest", None), (c.mode, winter_at if c.mode == "winter" else None)}:
            weights, _ = res.route_weights(mode, at)
            route = res.course_route(c, weights)
            sids, lengths = course_segments(route)
            assert abs(lengths.sum() - route["length_m"]) < 0.1, c.course_id
            kinds = seg.loc[sids, "kind"]
            if route["underground_share"] == 0.0:
                street_only += 1
                # matching by nearest segment midpoint put 13 % of the street route of
                # station-susukino-underground on underground walkways beside or below it
                assert (kinds != "underground").all(), (c.course_id, mode)
                assert (kinds == "street").any()
            else:
                assert (kinds == "underground").any()
            rows, _ = comfort_by_season(res, route, prepared.demo_year)
            assert [r["season"] for r in rows] == ["DJF", "MAM", "JJA", "SON"]
            assert rows[0]["mean_utci_c"] is not None and rows[2]["mean_utci_c"] is not None
    assert street_only >= len(res.courses())
