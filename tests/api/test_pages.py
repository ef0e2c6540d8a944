"""HTML pages: both languages without mojibake, offline assets, simulated labels."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from maps.offline import external_urls

PAGES = [
    "/",
    "/map/comfort",
    "/map/walkability",
    "/map/flow",
    "/map/places",
    "/courses/station-odori-chikaho",
    "/dashboard",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_offline_in_both_languages(client: TestClient, path: str) -> None:
    en = client.get(path, params={"lang": "en"})
    ja = client.get(path, params={"lang": "ja"})
    assert en.status_code == ja.status_code == 200, en.text[:500]
    assert "charset=utf-8" in ja.headers["content-type"]
    assert '<html lang="ja">' in ja.text and '<html lang="en">' in en.text
    assert "札幌" in ja.text or "快適" in ja.text
    assert "\ufffd" not in ja.text and "ã" not in ja.text  # no mojibake
    assert external_urls(ja.text) == []
    assert external_urls(en.text) == []
    assert "e-Stat" in en.text  # attribution footer


def test_accept_language(client: TestClient) -> None:
    r = client.get("/dashboard", headers={"Accept-Language": "ja,en;q=0.5"})
    assert '<html lang="ja">' in r.text


def test_simulated_labelled(client: TestClient) -> None:
    assert "simulated" in client.get("/map/comfort").text
    assert "simulated" in client.get("/courses/station-susukino-underground").text


def test_comfort_page_controls(client: TestClient) -> None:
    r = client.get("/map/comfort?season=DJF&hour=8&lang=ja")
    assert "冬（12〜2月）" in r.text
    assert client.get("/map/comfort?season=ABC").status_code == 422


def test_unknown_course_page(client: TestClient) -> None:
    assert client.get("/courses/nowhere").status_code == 404
