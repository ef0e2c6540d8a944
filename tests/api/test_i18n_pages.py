"""
No Latin-script words on Japanese pages, except the proper names and unit symbols of the
allow-list in docs/I18N.md: every page in ``?lang=ja``, its text and the attributes users see
(title, aria-label, alt, placeholder, the map tooltips' labels), not script or style bodies nor
URLs.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

DOC = Path(__file__).resolve().parents[2] / "docs" / "I18N.md"

#: Every page a citizen or planner opens (lang=ja is added).
PAGES = (
    "/",
    "/?at=2022-01-20T08:00",
    "/map/comfort",
    "/map/comfort?season=DJF&hour=8",
    "/map/walkability",
    "/map/walkability?level=edge",
    "/map/flow",
    "/map/places",
    "/courses/station-susukino-underground",
    "/courses/odori-park-west-east",
    "/dashboard",
    "/dashboard/report",
    "/dashboard/scenarios?place=odori-w1&place=aurora-town&intervention=shade&intervention=mist",
    "/no-such-page",
)

#: Attributes a user sees or hears.
SEEN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "data-tooltip")

WORD = re.compile(r"[A-Za-z][A-Za-z'’.\-]*[A-Za-z]|[A-Za-z]")


def allow_list() -> set[str]:
    """The words of docs/I18N.md's allow-list (one per bullet: ``- `word` — why``)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Allow-list", 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for m in re.finditer(r"^- `([^`]+)`", section, re.M)}


class SeenText(HTMLParser):
    """The text and seen attributes of a page, outside script and style."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in SEEN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def latin_words(html: str, allowed: set[str]) -> list[str]:
    """Latin-script words seen on a page that the allow-list does not hold."""
    parser = SeenText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"https?://\S+|10\.\d{4,}/\S+", " ", text)  # URLs and DOIs
    text = text.replace("°C", " ")
    return sorted({w for w in WORD.findall(text) if w not in allowed})


def tooltip_labels(html: str) -> list[str]:
    """The map tooltips' field labels and the street names the comfort maps show."""
    labels = re.findall(r'"aliases": \[([^\]]*)\]', html)
    names = re.findall(r'"name": "([^"]*)", "utci_c"', html)
    names += re.findall(r'"name": "([^"]*)", "(?:walkability|segment_id|reach_800_m)"', html)
    # the map data are JSON with \\u escapes: decode them before looking
    return [json.loads(f'"{x}"') for x in names] + [" ".join(json.loads(f"[{x}]")) for x in labels]


def test_allow_list_is_documented() -> None:
    allowed = allow_list()
    assert {"kaiteki", "UTCI", "km", "CC"} <= allowed
    assert "Chi-Ka-Ho" not in allowed  # walkway names have Japanese names: use them


def test_latin_word_check_catches_english() -> None:
    allowed = allow_list()
    assert latin_words("<p>地下がおすすめ <b>UTCI</b> 3 km</p>", allowed) == []
    assert latin_words('<p title="Shortest route">最短</p>', allowed) == ["Shortest", "route"]
    assert latin_words("<script>var a = 'English';</script><p>日本語</p>", allowed) == []


def test_tooltip_names_are_read(client: TestClient) -> None:
    # the same map in English carries the English street names: the check sees tooltips
    html = client.get("/map/comfort?lang=en").text
    words = latin_words("<p>" + " ".join(tooltip_labels(html)) + "</p>", allow_list())
    assert "Ekimae-dori" in words and "Chi-Ka-Ho" in words
    ja = " ".join(tooltip_labels(client.get("/map/comfort?lang=ja").text))
    assert "駅前通" in ja and "チ・カ・ホ" in ja


@pytest.mark.parametrize("path", PAGES)
def test_japanese_page_has_no_latin_words(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}lang=ja", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html"), (path, r.status_code)
    allowed = allow_list()
    found = latin_words(r.text, allowed)
    tips = latin_words("<p>" + " ".join(tooltip_labels(r.text)) + "</p>", allowed)
    assert found == [] and tips == [], f"{path}: {found} (tooltips: {tips})"
