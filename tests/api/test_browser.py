"""
The pages in a real browser: Debian's chromium driven headless by Playwright.

A uvicorn server on a free loopback port serves the app on the prepared inputs. Each page must
load with zero JavaScript console errors and no request leaving the machine, its map must hold
the expected number of features, and the route planner must return a route after two clicks.
A screenshot of each page goes to ``tests/artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.pages_browser import chromium, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
REPO = Path(__file__).resolve().parents[2]

PAGES = {
    "home": "/?at=2022-07-19T14:00",
    "home_ja": "/?at=2022-01-19T12:00&lang=ja",
    "map_comfort": "/map/comfort?season=JJA&hour=14",
    "map_walkability": "/map/walkability",
    "map_flow": "/map/flow",
    "map_places": "/map/places",
    "course": "/courses/station-susukino-underground",
    "course_ja": "/courses/odori-park-west-east?lang=ja",
    "dashboard": "/dashboard",
}

COUNT_JS = """() => {
  let n = 0;
  window.kaitekiMap.eachLayer(l => {
    if (l.feature || (l instanceof L.CircleMarker)) n++;
  });
  return n;
}"""


@pytest.fixture(scope="module")
def server(prepared, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("server") / "uvicorn.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as b:
        yield b


def _open(browser, base: str, path: str, width: int = 1100, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route) -> None:
        if route.request.url.startswith(base) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(base + path, wait_until="networkidle")
    return page, errors, outside


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_browser(browser, server: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    mobile = name.endswith("_ja")
    page, errors, outside = _open(
        browser, server, PAGES[name], *((390, 844) if mobile else (1100, 900))
    )
    try:
        expected = (
            int(page.get_attribute("#mapbox", "data-features") or -1)
            if page.query_selector("#mapbox")
            else None
        )
        if expected is not None:
            assert expected > 0
            assert page.evaluate(COUNT_JS) == expected
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert errors == [], errors
        assert outside == [], outside
    finally:
        page.close()


def test_route_planner_after_two_clicks(browser, server: str) -> None:
    page, errors, outside = _open(browser, server, "/?at=2022-01-19T12:00")
    try:
        page.locator("#mapbox").scroll_into_view_if_needed()
        box = page.locator("#mapbox").bounding_box()
        assert box is not None
        for lat, lon in ((43.0674, 141.3504), (43.0561, 141.3532)):
            pt = page.evaluate(
                "([lat, lon]) => { const p = window.kaitekiMap.latLngToContainerPoint([lat, lon]);"
                " return [p.x, p.y]; }",
                [lat, lon],
            )
            page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
        page.select_option("#route-mode", "winter")
        page.wait_for_selector("#route-result.ok, #route-result.error", timeout=15000)
        text = page.inner_text("#route-result")
        assert page.get_attribute("#route-result", "class") == "ok", (text, errors)
        length = float(page.get_attribute("#route-result", "data-length-m") or 0)
        assert 1000 < length < 1800, text
        assert page.evaluate("document.querySelectorAll('path.leaflet-interactive').length") > 0
        page.screenshot(path=str(SHOTS / "route_planner.png"), full_page=False)
        # a date outside the data: the route's conditions come from another year, and say so
        page.fill("#route-at", "2025-01-20T08:00")
        page.dispatch_event("#route-at", "change")
        page.wait_for_selector("#route-notes li", timeout=15000)
        notes = page.inner_text("#route-notes")
        assert "2022" in notes or "2021" in notes, notes
        assert errors == [] and outside == []
    finally:
        page.close()


def _tap_route_ja(browser, base: str, at: str):
    """Open the ja start page on a 390×844 touch screen at ``at`` and tap Station → Susukino."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, locale="ja-JP"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/?lang=ja&at={at}", wait_until="networkidle")
    assert page.input_value("#route-mode") == "winter"  # January opens on the winter mode
    page.locator("#mapbox").scroll_into_view_if_needed()
    box = page.locator("#mapbox").bounding_box()
    assert box is not None
    for lat, lon in ((43.0674, 141.3504), (43.0561, 141.3532)):
        pt = page.evaluate(
            "([lat, lon]) => { const p = window.kaitekiMap.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [lat, lon],
        )
        page.touchscreen.tap(box["x"] + pt[0], box["y"] + pt[1])
        page.wait_for_timeout(400)  # let Leaflet tell a tap from a double tap
    page.wait_for_selector("#route-card:not([hidden])", timeout=20000)
    page.wait_for_selector("#route-notes li", timeout=15000)
    return context, page, errors


def _route_in_view(page) -> bool:
    return bool(
        page.evaluate(
            "() => { const m = window.kaitekiMap;"
            " const paths = []; m.eachLayer(l => { if (l.options && l.options.color === '#7048e8'"
            " && l.getBounds) paths.push(l.getBounds()); });"
            " return paths.length > 0 && paths.every(p => m.getBounds().contains(p)); }"
        )
    )


def test_route_card_on_a_phone_in_japanese(browser, server: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page, errors = _tap_route_ja(browser, server, "2025-01-20T08:00")
    try:
        card = page.inner_text("#route-card")
        # cold-stress minutes of the route against those of the shortest route
        assert re.search(r"寒さのストレス：\d+ 分（最短ルート：\d+ 分）", card), card
        walkways = page.inner_text("#card-walkways")
        assert "チ・カ・ホ" in walkways and "ポールタウン" in walkways, walkways
        turns = page.locator("#card-turns li").all_inner_texts()
        assert len(turns) >= 3 and any(re.search(r"(条通|丁目線|駅前通|大通)", t) for t in turns)
        assert page.is_hidden("#card-closed")
        assert page.get_attribute("#mapbox", "data-zoomed") == "route"
        assert _route_in_view(page)
        assert page.evaluate("window.kaitekiMap.getZoom()") >= 15
        notes = page.inner_text("#route-notes")
        assert "2022年" in notes, notes  # the conditions come from another year, and it says so
        page.screenshot(path=str(SHOTS / "route_card_ja_0800.png"), full_page=True)
        # the same route at 01:00: one time control reloads the map at that hour, route kept
        page.fill("#route-at", "2025-01-20T01:00")
        page.dispatch_event("#route-at", "change")
        page.wait_for_url("**at=2025-01-20T01%3A00**", timeout=15000)
        page.wait_for_selector("#card-closed:not([hidden])", timeout=20000)
        closed = page.inner_text("#card-closed")
        assert "閉鎖中" in closed and "チ・カ・ホ" in closed, closed
        assert page.inner_text("#card-walkways") == "地下歩行空間は通りません。"
        page.screenshot(path=str(SHOTS / "route_card_ja_0100.png"), full_page=True)
        assert errors == [], errors
    finally:
        context.close()


def test_unknown_page_is_an_html_page_in_its_language(browser, server: str) -> None:
    page, _errors, outside = _open(browser, server, "/no-such-page?lang=ja", 390, 844)
    try:
        assert page.inner_text("h1") == "このページはありません。"
        page.screenshot(path=str(SHOTS / "not_found_ja.png"), full_page=True)
        assert outside == []
    finally:
        page.close()


def test_numbers_are_written_one_way_in_python_and_javascript(browser, server: str) -> None:
    from api.i18n import format_datetime, format_int, format_km

    page, errors, outside = _open(browser, server, "/?lang=ja&at=2022-01-19T12:00", 390, 844)
    try:
        js = page.evaluate(
            "() => [kaitekiFormat.int(2123), kaitekiFormat.int(1234567.4), kaitekiFormat.km(1986),"
            " kaitekiFormat.km(480.4), kaitekiFormat.datetime('2026-11-27T21:00', 'ja'),"
            " kaitekiFormat.datetime('2026-11-27T21:00', 'en')]"
        )
        when = dt.datetime(2026, 11, 27, 21)
        py = [
            format_int(2123), format_int(1234567.4), format_km(1986), format_km(480.4),
            format_datetime(when, "ja"), format_datetime(when, "en"),
        ]  # fmt: skip
        assert (
            js == py == ["2,123", "1,234,567", "1.99 km", "480 m", "11月27日 21時", "11/27 21:00"]
        )
        assert errors == [] and outside == []
    finally:
        page.close()
