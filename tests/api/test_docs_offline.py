"""
``/docs`` and ``/redoc`` render the API's operations in a real browser with no network.

A uvicorn server on a free loopback port serves the app; Debian's chromium (Playwright) opens
the two pages with every request that leaves the server aborted. The Swagger UI and ReDoc
scripts are the vendored copies in ``maps/static/vendor/`` (``scripts/vendor-docs-assets.sh``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.pages_browser import chromium, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
VENDOR = REPO / "maps" / "static" / "vendor"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("docs")
    env = dict(os.environ)
    env.update(KAITEKI_STORE=str(root / "store.duckdb"), KAITEKI_CACHE_DIR=str(root / "cache"))
    with serve(root / "uvicorn.log", env=env, ready_path="/openapi.json") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as b:
        yield b


def _operations(base: str) -> set[tuple[str, str]]:
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


def _open(browser, base: str, path: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    page.goto(base + path, wait_until="networkidle")
    return page, errors, outside


def test_docs_assets_are_vendored_not_from_a_cdn(server: str) -> None:
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = httpx.get(server + page, timeout=10).text
        assert "/static/vendor/" in html and asset in html, html
        assert "cdn.jsdelivr" not in html and "fonts.googleapis" not in html, html
    versions = (VENDOR / "VERSIONS").read_text().split()
    assert versions[:1] == ["swagger-ui-dist"] and "redoc" in versions
    js = httpx.get(server + "/static/vendor/swagger-ui/swagger-ui-bundle.js", timeout=10)
    assert js.status_code == 200 and len(js.content) > 100_000


def test_swagger_ui_renders_every_operation_offline(browser, server: str) -> None:
    ops = _operations(server)
    page, errors, outside = _open(browser, server, "/docs")
    try:
        page.wait_for_selector(".opblock", timeout=30000)
        shown = set()
        for block in page.query_selector_all(".opblock"):
            method = block.query_selector(".opblock-summary-method").inner_text().strip()
            path = block.query_selector(".opblock-summary-path").get_attribute("data-path")
            shown.add((method.upper(), path))
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "docs_offline.png"), full_page=False)
        assert shown == ops
        assert ("GET", "/v1/kpi") in shown
        assert outside == [], outside
        assert errors == [], errors
    finally:
        page.close()


def test_redoc_renders_the_operations_offline(browser, server: str) -> None:
    ops = _operations(server)
    page, errors, outside = _open(browser, server, "/redoc")
    try:
        page.wait_for_selector("[data-section-id^='operation/']", state="attached", timeout=30000)
        sections = page.query_selector_all("[data-section-id^='operation/']")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "redoc_offline.png"), full_page=False)
        assert len(sections) == len(ops)
        assert "/v1/kpi" in page.inner_text("body")
        assert outside == [], outside
        assert errors == [], errors
    finally:
        page.close()
