"""
Every page of the app in Japanese and English, at a phone (390×844) and a desktop (1280×900)
size, in Debian's chromium: each loads (200; the not-found page 404), says its language in
``<html lang>``, has one viewport tag that lets people zoom, fits the width of the screen, logs zero console errors and asks nothing of any
other host. A full-page screenshot of each goes to
``tests/artifacts/screenshots/<page>-<lang>-<w>x<h>.png`` (git-ignored).

One server and one browser serve the whole matrix (pages in a loop, one test per page and
language) to keep the time reasonable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api.pages_browser import (
    LANGS,
    MISSING_PATH,
    SHOTS,
    SIZES,
    chromium,
    pages,
    serve,
    visit,
    with_lang,
)

pytestmark = pytest.mark.browser

PAGES = pages()

#: Page routes that are not pages of their own: fragments and downloads.
NOT_PAGES = {"/conditions-notes", "/docs/oauth2-redirect"}

MAP_ID = re.compile(r"[0-9a-f]{32}")

#: Width the page's content may exceed the screen by (px) before it scrolls sideways.
OVERFLOW_PX = 1


@pytest.fixture(scope="module")
def server(prepared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("matrix") / "uvicorn.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_matrix_covers_every_html_page(prepared: Settings) -> None:
    """A page added to the app without being added here fails this test."""
    from api.app import create_app

    app = create_app(prepared)
    covered = set(PAGES.values()) | NOT_PAGES | {"/docs", "/redoc"}
    templated = {"/courses/{course_id}"}
    missing = []
    for r in app.routes:
        if not isinstance(r, APIRoute) or "GET" not in (r.methods or set()):
            continue
        if r.path.startswith(("/v1", "/sta", "/ngsi-ld")) or r.path in templated:
            continue
        if r.response_class is HTMLResponse or not r.include_in_schema:
            if r.path not in covered and "{" not in r.path:
                missing.append(r.path)
    assert missing == [], f"pages not in tests/api/pages_browser.pages(): {missing}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page(browser: Any, server: str, name: str, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for size in SIZES:
        w, h = size
        v = visit(browser, server, with_lang(PAGES[name], lang), size)
        try:
            expected_status = 404 if PAGES[name] == MISSING_PATH else 200
            where = f"{name} ({lang}, {w}×{h})"
            if v.status != expected_status:
                problems.append(f"{where}: HTTP {v.status}, expected {expected_status}")
            html_lang = v.page.get_attribute("html", "lang")
            if html_lang != lang:
                problems.append(f'{where}: <html lang="{html_lang}">, expected "{lang}"')
            viewports = v.page.eval_on_selector_all(
                "meta[name=viewport]", "els => els.map(e => e.content)"
            )
            if len(viewports) != 1 or re.search(
                r"user-scalable\s*=\s*no|maximum-scale", viewports[0]
            ):
                problems.append(f"{where}: viewport tags {viewports}: one, and zooming allowed")
            scroll_w = v.page.evaluate("document.documentElement.scrollWidth")
            if scroll_w > w + OVERFLOW_PX:
                problems.append(f"{where}: {scroll_w} px wide on a {w} px screen")
            problems += [f"{where}: console error: {e}" for e in v.errors]
            problems += [f"{where}: request outside the server: {u}" for u in v.outside]
            v.page.screenshot(path=str(SHOTS / f"{name}-{lang}-{w}x{h}.png"), full_page=True)
        finally:
            v.page.close()
    assert problems == [], "\n".join(problems)


def test_pages_are_compressed_and_assets_cached(client: TestClient) -> None:
    """Pages are gzip-compressed for browsers; static files carry a cache lifetime."""
    page = client.get("/map/comfort?lang=ja&season=DJF&hour=8", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    plain = client.get(
        "/map/comfort?lang=ja&season=DJF&hour=8", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    # the same page (folium names each map and layer with a random id)
    assert re.sub(MAP_ID, "", plain.text) == re.sub(MAP_ID, "", page.text)
    leaflet = client.get("/static/leaflet/leaflet.js")
    assert leaflet.headers["cache-control"] == f"public, max-age={7 * 86400}"
    site = client.get("/static/kaiteki/site.css")
    assert site.headers["cache-control"] == "public, max-age=3600"
    assert client.get("/static/kaiteki/no-such.css").status_code == 404
