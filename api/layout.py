"""
The layout every HTML page shares: the templates, the navigation, the sources footer in the
page's language, the one number formatting, and :func:`render`.

Kept out of the routers so that the error handlers (the HTML 404 page) render with it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import pageviews
from api.i18n import FORMATTERS, translator, walkway_name
from comfort.advice import comfort_level_of_utci
from maps.comfort import category_legend

__all__ = ["NAV", "SOURCES", "SOURCES_JA", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

NAV = (
    ("nav_home", "/"),
    ("nav_comfort", "/map/comfort"),
    ("nav_walkability", "/map/walkability"),
    ("nav_flow", "/map/flow"),
    ("nav_places", "/map/places"),
    ("nav_dashboard", "/dashboard"),
)

#: Attribution of every data source (PROVENANCE.md) and of the map library, in Japanese.
SOURCES_JA = (
    "国勢調査町丁・字等別境界データ（e-Stat、CODH）— 2015年の町丁目、CC BY 4.0",
    "札幌市（DATA-SMART CITY SAPPORO）— チ・カ・ホ歩行者数、地下鉄乗車人員、日別気象、CC BY 4.0",
    "国土交通省 全国の人流オープンデータ — 1 km メッシュ滞在人口、CC BY 4.0",
    "Furberg ほか、Fitbit 歩数データ（Zenodo 10.5281/zenodo.53894）、CC BY 4.0",
    "Leaflet 1.9.3（BSD-2-Clause）、folium（MIT）",
)

#: Attribution of every data source (PROVENANCE.md) and of the map library.
SOURCES = (
    "国勢調査町丁・字等別境界データ (e-Stat), CODH — census blocks 2015, CC BY 4.0",
    "札幌市 (DATA-SMART CITY SAPPORO) — Chi-Ka-Ho counters, subway boardings, daily weather, CC BY 4.0",
    "国土交通省 全国の人流オープンデータ — MLIT 1 km mesh stay population, CC BY 4.0",
    "Furberg et al., Crowd-sourced Fitbit datasets, Zenodo 10.5281/zenodo.53894 — steps, CC BY 4.0",
    "Leaflet 1.9.3 (BSD-2-Clause), folium (MIT)",
)


def render(
    request: Request,
    template: str,
    lang: str,
    *,
    active: str,
    simulated: bool = False,
    count_view: str | None = None,
    settings: Any = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the shared layout context (navigation, language switch, sources)."""
    if count_view is not None and settings is not None:
        pageviews.record_view(settings.cache_dir, count_view, store=settings.store)
    other = "en" if lang == "ja" else "ja"
    params = dict(request.query_params)
    params["lang"] = other
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": translator(lang),
            "nav": NAV,
            "active": active,
            "path": request.url.path,
            "other_lang": other,
            "other_query": urlencode(params),
            "sources": SOURCES_JA if lang == "ja" else SOURCES,
            "fmt": _Formatters(),
            "wname": lambda name: walkway_name(name, lang),
            "sep": "、" if lang == "ja" else ", ",
            "level_of": comfort_level_of_utci,
            "simulated": simulated,
            "legend": category_legend(lang),
            **context,
        },
    )


class _Formatters:
    """The one number and date formatting of the pages (:data:`api.i18n.FORMATTERS`)."""

    def __getattr__(self, name: str) -> Any:
        return FORMATTERS[name]
