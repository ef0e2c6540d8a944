"""
The route result card's parts in ``GET /v1/route`` (Sapporo Station → Susukino, 20 January),
the grid street names of the embedded graph, and errors in the request's language.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api import resources

STATION, SUSUKINO = "141.3504,43.0674", "141.3532,43.0561"
STREET_NAME = re.compile(
    r"^(北\d+条通|南\d+条通|西\d+丁目線|東\d+丁目線|駅前通|創成川通|北大通|南大通)$"
)


def _route(client: TestClient, at: str, mode: str = "winter", lang: str = "ja") -> dict:
    r = client.get(
        "/v1/route", params={"from": STATION, "to": SUSUKINO, "at": at, "mode": mode, "lang": lang}
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_every_street_segment_has_a_grid_name(client: TestClient) -> None:
    seen = set()
    for _, _, d in resources.graph().edges(data=True):
        if d.get("kind", "street") != "street":
            continue
        assert STREET_NAME.match(d["name_ja"]), d
        assert d["name_en"] and d["name_en"].isascii(), d
        seen.add(d["name_ja"])
    # the named avenues and both sides of the grid are there
    assert {"駅前通", "創成川通", "北大通", "南大通", "北1条通", "南4条通", "西7丁目線"} <= seen


def test_card_at_eight_shows_stress_against_shortest_walkways_and_turns(client: TestClient) -> None:
    b = _route(client, "2022-01-20T08:00")
    s = b["stress_minutes"]
    assert s["route"] is not None and s["shortest"] is not None
    # the walkway route spends less time in cold stress than the shortest route
    assert s["route"]["cold"] < s["shortest"]["cold"]
    assert s["shortest"]["cold"] > 0
    total = s["route"]["cold"] + s["route"]["heat"] + s["route"]["no_stress"]
    assert total == pytest.approx(b["minutes"], abs=0.5)
    names = [w["name_en"] for w in b["walkways_used"]]
    assert "Chi-Ka-Ho" in names and "Pole Town" in names
    assert all(w["name_ja"] and not w["name_ja"].isascii() for w in b["walkways_used"])
    actions = [t["action"] for t in b["turns"]]
    assert actions[0] == "depart" and actions[-1] == "arrive"
    assert "enter_walkway" in actions
    street_turns = [t for t in b["turns"] if not t["indoor"] and t["action"] != "arrive"]
    assert street_turns and all(STREET_NAME.match(t["name_ja"]) for t in street_turns)
    assert sum(t["length_m"] for t in b["turns"]) == pytest.approx(b["length_m"], abs=1.0)
    assert b["energy_kcal"] == pytest.approx(3.5 * 60 * b["minutes"] / 60, rel=0.01)
    assert b["walkways_closed"] == []
    assert b["reason"]["code"] in ("less_stress", "underground") and b["reason"]["text"]
    assert "チ・カ・ホ" in "".join(t["text"] for t in b["turns"])
    # the five-level scale: the level the route spends most minutes in, with plain advice
    assert b["advice"]["level"] in ("very_cold", "cold", "comfortable")
    assert "：" in b["advice"]["text"]


def test_card_at_one_says_the_walkways_are_closed(client: TestClient) -> None:
    b = _route(client, "2022-01-20T01:00")
    closed = {w["name_en"] for w in b["walkways_closed"]}
    assert {"Chi-Ka-Ho", "Pole Town"} <= closed
    assert b["walkways_used"] == [] and b["underground_share"] == 0
    assert b["reason"]["code"] == "closed"
    assert "閉鎖" in b["reason"]["text"]
    en = _route(client, "2022-01-20T01:00", lang="en")
    assert "closed" in en["reason"]["text"]


def test_turn_sentences_follow_the_language(client: TestClient) -> None:
    ja = _route(client, "2022-01-20T08:00", mode="shortest")
    en = _route(client, "2022-01-20T08:00", mode="shortest", lang="en")
    assert ja["turns"][0]["text"].endswith("を出発")
    assert en["turns"][0]["text"].startswith("Start on ")
    assert ja["reason"]["code"] == "shortest"


def test_api_errors_in_the_request_language(client: TestClient) -> None:
    r = client.get("/v1/route", params={"from": "x", "to": SUSUKINO, "lang": "ja"})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "入力値が正しくありません。確認してもう一度お試しください。"
    assert "from" in body["developer_message"]
    r = client.get("/v1/courses/nope", headers={"Accept-Language": "ja"})
    assert r.status_code == 404 and r.json()["message"].startswith("見つかりません")
    r = client.get("/v1/courses/nope", headers={"Accept-Language": "en"})
    assert "nope" in r.json()["message"] and "developer_message" not in r.json()


def test_unknown_page_html_for_browsers_json_for_api_clients(client: TestClient) -> None:
    r = client.get("/no-such-page?lang=ja", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "このページはありません" in r.text and '<html lang="ja">' in r.text
    r = client.get("/no-such-page", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert r.status_code == 404 and "This page does not exist" in r.text
    r = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["status"] == 404
    r = client.get("/v1/no-such", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("application/json")


def test_pages_open_on_now(client: TestClient) -> None:
    import datetime as dt

    from comfort.constants import TZ, season_of_month

    before = dt.datetime.now(TZ)
    html = client.get("/map/comfort?lang=ja").text
    home = client.get("/?lang=ja").text
    after = dt.datetime.now(TZ)
    seasons = {season_of_month(before.month), season_of_month(after.month)}
    hours = {before.hour, after.hour}
    chosen = re.search(r'<option value="(\w+)" selected>', html)
    assert chosen and chosen.group(1) in seasons
    hour = re.search(r'<option value="(\d+)" selected>\d\d:00', html)
    assert hour and int(hour.group(1)) in hours
    at = re.search(r'id="route-at" type="datetime-local" step="3600" value="([^"]+)"', home)
    assert at and at.group(1) in {f"{t:%Y-%m-%dT%H}:00" for t in (before, after)}
