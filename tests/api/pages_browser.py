"""
What the page-quality tests share: the list of pages, a uvicorn server and Debian's chromium.

``tests/api/test_pages_matrix.py`` (every page in ja and en at a phone and a desktop size,
screenshots, zero console errors) and ``tests/api/test_a11y.py`` (axe-core on every page) open
the same pages the same way: one server and one browser per test module, every request that
leaves the server aborted and recorded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.http_protocol import uvicorn_argv
from sensors.courses import load_courses

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
NODE_MODULES = REPO / "tests" / "node_modules"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

LANGS = ("ja", "en")
SIZES = ((390, 844), (1280, 900))

#: A path no page has: the app's HTML 404 page, in the page's language.
MISSING_PATH = "/no-such-page"


def pages() -> dict[str, str]:
    """Every HTML page of the app: name → path (without ``lang``), one per embedded course."""
    out = {
        "home": "/",
        "map-comfort": "/map/comfort",
        "map-walkability": "/map/walkability",
        "map-flow": "/map/flow",
        "map-places": "/map/places",
        "dashboard": "/dashboard",
        "dashboard-report": "/dashboard/report",
        "dashboard-scenarios": "/dashboard/scenarios",
        "not-found": MISSING_PATH,
    }
    for course in load_courses():
        out[f"course-{course.course_id}"] = f"/courses/{course.course_id}"
    return out


def with_lang(path: str, lang: str) -> str:
    """``path`` with ``lang=`` added to its query."""
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    log_path: Path,
    timeout_s: float = 60,
    env: dict[str, str] | None = None,
    ready_path: str = "/v1/area",
) -> Iterator[str]:
    """
    Run ``kaiteki serve``'s uvicorn on a free loopback port with this process's environment
    (or ``env``).

    Yields the base URL once ``ready_path`` answers; the server is stopped on exit.

    Raises
    ------
    RuntimeError
        When the server exits early or does not answer within ``timeout_s`` (its log quoted).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            uvicorn_argv("127.0.0.1", port),
            cwd=REPO,
            env=dict(os.environ) if env is None else env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited early:\n{_tail(log_path)}")
                try:
                    if httpx.get(f"{base}{ready_path}", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the server did not answer within {timeout_s:.0f} s:\n{_tail(log_path)}"
                    )
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-chars:]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (which never downloads a browser)."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: run `bash scripts/test-setup.sh` as root (it installs "
            "Debian's chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One page opened in the browser: the page, its console errors and blocked requests."""

    page: Any
    status: int
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def visit(
    browser: Any, base: str, path: str, size: tuple[int, int], *, bypass_csp: bool = False
) -> Visit:
    """
    Open ``base + path`` in a new page of ``size`` (width, height) px and wait for the network
    to go idle.

    Console errors and uncaught exceptions are collected; every request to anything but the
    server (or a ``data:``/``blob:`` URL) is aborted and recorded. The browser's own report of
    the 404 status of the not-found page is not an error of that page.
    """
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
    v = Visit(page=page, status=0)
    expect_404 = path.startswith(MISSING_PATH)

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        if expect_404 and "status of 404" in msg.text:
            return
        v.errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda e: v.errors.append(f"uncaught: {e}"))

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith((base, "data:", "blob:")):
            route.continue_()
        else:
            v.outside.append(url)
            route.abort()

    page.route("**/*", guard)
    response = page.goto(base + path, wait_until="networkidle")
    v.status = response.status if response is not None else 0
    return v
