"""
Accessibility of every page with axe-core (tests/node_modules, pinned in tests/package.json),
in Debian's chromium: zero serious or critical violations on every page in Japanese and in
English, at the phone size (390×844: phone first; the desktop size was checked clean as well
when the test was written, and takes as long again).

axe-core is injected from the local file into each page (``page.add_script_tag(path=...)``;
the page's Content-Security-Policy is bypassed for that one inline script only in this test)
and run over the whole document with the WCAG 2.x A/AA rules and axe's best practices. A
failure lists each violation with its rule, impact, help text and the first elements it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from tests.api.pages_browser import (
    LANGS,
    NODE_MODULES,
    SIZES,
    chromium,
    pages,
    serve,
    visit,
    with_lang,
)

pytestmark = pytest.mark.browser

AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"

#: Impacts that fail the test (axe's scale: minor, moderate, serious, critical).
FAILING = ("serious", "critical")

RUN_AXE = """async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                    'best-practice']},
    resultTypes: ['violations'],
  });
  return r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + (n.failureSummary ?
      ' — ' + n.failureSummary.split('\\n').slice(1).join(' ') : '')),
  }));
}"""

PAGES = pages()

#: The screen the pages are checked at (the phone of tests/api/pages_browser.SIZES).
SIZE = SIZES[0]


@pytest.fixture(scope="module")
def server(prepared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `bash scripts/test-setup.sh` (it runs npm ci)")
    with serve(tmp_path_factory.mktemp("a11y") / "uvicorn.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as b:
        yield b


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (rule id, impact, help, the elements it found)."""
    page.add_script_tag(path=str(AXE_JS))
    return list(page.evaluate(RUN_AXE))


def describe(where: str, violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation (its first three elements), for the failure message."""
    return [
        f"{where}: {v['impact']} {v['id']} ({v['help']}) on {len(v['nodes'])} element(s): "
        + "; ".join(v["nodes"][:3])
        for v in violations
    ]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violations(browser: Any, server: str, name: str, lang: str) -> None:
    w, h = SIZE
    v = visit(browser, server, with_lang(PAGES[name], lang), SIZE, bypass_csp=True)
    try:
        found = [x for x in axe_violations(v.page) if x["impact"] in FAILING]
    finally:
        v.page.close()
    problems = describe(f"{name} ({lang}, {w}×{h})", found)
    assert problems == [], "\n".join(problems)


def test_axe_finds_a_planted_violation(browser: Any, server: str) -> None:
    """The check can fail: an image without alt text and an unlabelled input are found."""
    v = visit(browser, server, with_lang("/map/comfort", "en"), SIZE, bypass_csp=True)
    try:
        v.page.evaluate(
            """() => {
              const img = document.createElement('img');
              img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
              document.body.appendChild(img);
              document.body.appendChild(document.createElement('input'));
            }"""
        )
        ids = {x["id"] for x in axe_violations(v.page) if x["impact"] in FAILING}
        assert {"image-alt", "label"} <= ids, ids
    finally:
        v.page.close()
