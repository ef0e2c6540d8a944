"""
HTML pages: the citizens' start page, the maps, the course pages and the planners' dashboard.

Pages are Jinja2 templates (``api/templates``) with folium maps embedded (Leaflet served from
``/static``). The language comes from ``?lang=`` or ``Accept-Language``. Course and map page
views are counted per day and page (``api.pageviews``; nothing about the visitor is kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import pageviews
from api.clock import parse_at, same_time_in
from api.deps import LangDep, ResourcesDep, SettingsDep
from api.errors import NotPreparedError
from api.i18n import condition_notes, translator
from api.params import HourQuery, Season
from api.resources import Resources
from api.services.courses import course_detail
from api.services.kpi import places_section, store_sections
from api.settings import Settings
from comfort.kpi import pleasant_street_share
from maps.comfort import category_legend, comfort_map
from maps.offline import map_parts

router = APIRouter(tags=["pages"], include_in_schema=False)

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

NAV = (
    ("nav_home", "/"),
    ("nav_comfort", "/map/comfort"),
    ("nav_walkability", "/map/walkability"),
    ("nav_flow", "/map/flow"),
    ("nav_places", "/map/places"),
    ("nav_dashboard", "/dashboard"),
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
            "sources": SOURCES,
            "simulated": simulated,
            "legend": category_legend(lang),
            **context,
        },
    )


def _blocks_and_tiles(res: Resources, settings: Settings) -> tuple[Any, str | None]:
    """The census-block base layer (built once per process) and the tile URL."""
    return res.blocks_layer(), settings.tiles


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    at: Annotated[str | None, Query(description="ISO 8601 date-time (JST).")] = None,
) -> HTMLResponse:
    """
    Where is it pleasant to walk now: the comfort map of this date and hour in the demo year
    (``?at=`` picks another time), the route planner, the courses.
    """
    when = parse_at(at, same_time_in(settings.demo_year))
    at_hour = when.replace(minute=0)
    cond = res.conditions(at_hour)
    blocks, tiles = _blocks_and_tiles(res, settings)
    segs = res.segments_lonlat()
    ids, utci = cond.edge_ids, cond.utci_c
    m = comfort_map(segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=cond.simulated)
    return render(
        request,
        "home.html",
        lang,
        active="/",
        simulated=cond.simulated,
        map=map_parts(m),
        features=len(segs) + (0 if tiles else len(blocks)),
        year=when.year,
        at=at_hour,
        has_field=utci is not None,
        pleasant_pct=None if utci is None else pleasant_street_share(segs, ids, utci),
        notes=condition_notes(cond.to_dict(), lang),
        courses=res.courses(),
        default_at=at_hour.strftime("%Y-%m-%dT%H:00"),
    )


@router.get("/conditions-notes")
async def conditions_notes(
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    at: Annotated[str | None, Query(description="ISO 8601 date-time (JST).")] = None,
) -> dict[str, list[str]]:
    """
    The notes of the conditions at ``at`` (:func:`api.i18n.condition_notes`) in ``lang``: what
    the home page's route planner shows under a route.
    """
    when = parse_at(at, same_time_in(settings.demo_year))
    return {"notes": condition_notes(res.conditions(when).to_dict(), lang)}


@router.get("/map/comfort", response_class=HTMLResponse)
def map_comfort(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    season: Annotated[Season, Query(description="Season.")] = "JJA",
    hour: HourQuery = 14,
) -> HTMLResponse:
    """Comfort by street for an hour of the day in a season, UTCI category legend."""
    year = settings.demo_year
    agg = res.season_hour(year)
    ids = agg["edge"].to_numpy()
    utci = agg["utci_c"].sel(season=season, hour=hour).to_numpy()
    cond = res.season_conditions(year, season, hour)
    blocks, tiles = _blocks_and_tiles(res, settings)
    segs = res.segments_lonlat()
    m = comfort_map(segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=cond.simulated)
    return render(
        request,
        "map_comfort.html",
        lang,
        active="/map/comfort",
        simulated=cond.simulated,
        count_view="/map/comfort",
        settings=settings,
        map=map_parts(m),
        features=len(segs) + (0 if tiles else len(blocks)),
        year=year,
        season=season,
        hour=hour,
        pleasant_pct=pleasant_street_share(segs, ids, utci),
        notes=condition_notes(cond.to_dict(), lang),
    )


@router.get("/courses/{course_id}", response_class=HTMLResponse)
def course_page(
    course_id: str, request: Request, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """A walking course: map, length, minutes, steps, energy, comfort by season, winter option."""
    from maps.course import course_map

    detail = course_detail(res, res.course(course_id), lang, settings.demo_year)
    blocks, tiles = _blocks_and_tiles(res, settings)
    m = course_map(detail, blocks, lang=lang, tiles=tiles)
    return render(
        request,
        "course.html",
        lang,
        active="/",
        simulated=detail["simulated"],
        count_view=f"/courses/{course_id}",
        settings=settings,
        map=map_parts(m),
        features=(0 if tiles else len(blocks))
        + 1
        + (1 if detail["winter_alternative"] else 0)
        + len(detail["waypoints"]),
        c=detail,
        year=settings.demo_year,
    )


#: The walkability table of each map level.
WALK_TABLES = {"block": "blocks", "grid": "grid", "edge": "edges"}


@router.get("/map/walkability", response_class=HTMLResponse)
def map_walkability(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    level: Annotated[Literal["block", "grid", "edge"], Query(description="Map level.")] = "block",
) -> HTMLResponse:
    """Walkability index (0–100) per census block, 100 m grid cell or street segment."""
    from maps.layers import choropleth_map, ramp_legend

    table = res.walkability()[WALK_TABLES[level]]
    if level == "block":
        area = res.planning_area().to_crs(table.crs).geometry.iloc[0]
        table = table[table.intersects(area.buffer(-1e-5))]
    label = "name_ja" if lang == "ja" else "name_en"
    name = {"block": label, "grid": "mesh_code", "edge": "name"}[level]
    blocks, tiles = _blocks_and_tiles(res, settings)
    m = choropleth_map(
        table,
        "walkability",
        [name, "walkability", "reach_800_m", "access_score"],
        blocks=None if level == "block" else blocks,
        lang=lang,
        tiles=tiles,
        name="walkability",
        lo=0,
        hi=100,
        line=level == "edge",
    )
    extra = 0 if (level == "block" or tiles) else len(blocks)
    t = translator(lang)
    return render(
        request,
        "map_simple.html",
        lang,
        active="/map/walkability",
        count_view="/map/walkability",
        settings=settings,
        map=map_parts(m),
        features=len(table) + extra,
        heading=t("walk_heading"),
        intro=t("walk_intro"),
        ramp=ramp_legend(0, 100),
        levels=tuple(WALK_TABLES),
        level=level,
    )


@router.get("/map/flow", response_class=HTMLResponse)
def map_flow(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")] = "2019-10",
    daytype: Annotated[
        Literal["weekday", "holiday", "all"], Query(description="Day type.")
    ] = "weekday",
) -> HTMLResponse:
    """Chi-Ka-Ho counters J1–J5 (real daily data) and the MLIT 1 km mesh stay population."""
    from maps.flow import chikaho_counters, flow_map
    from maps.layers import ramp_legend

    mesh = res.mesh_cells(month, daytype)
    counters = chikaho_counters(res.segments_lonlat(), res.chikaho_daily())
    if counters is None:
        raise NotPreparedError("the walking graph has no Chi-Ka-Ho walkway to place J1–J5 on")
    blocks, tiles = _blocks_and_tiles(res, settings)
    m = flow_map(mesh, counters, blocks, lang=lang, tiles=tiles)
    lo, hi = float(mesh["stay_population"].min()), float(mesh["stay_population"].max())
    return render(
        request,
        "map_flow.html",
        lang,
        active="/map/flow",
        count_view="/map/flow",
        settings=settings,
        map=map_parts(m),
        features=len(mesh) + len(counters) + (0 if tiles else len(blocks)),
        months=list(res.mesh_months()),
        month=month,
        daytype=daytype,
        chart=res.chikaho_chart(lang),
        ramp=ramp_legend(lo, hi, "{:,.0f}"),
    )


def _year_status(res: Resources, settings: Settings) -> tuple[Any, dict[tuple[int, str], bool]]:
    """The per-place KPI status rows of whole years, and comfortable by (year, place id)."""
    result = res.places_kpi(settings.baseline_year, settings.demo_year)
    if result is None:
        return None, {}
    st = result[0]
    st = st[st["period"] == "year"]
    return st, {(int(r.year), str(r.place_id)): bool(r.comfortable) for r in st.itertuples()}


@router.get("/map/places", response_class=HTMLResponse)
def map_places(
    request: Request, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """Comfortable places in the current year, highlighted against the baseline year."""
    from maps.places import STATE_COLOURS, place_state, places_map

    t = translator(lang)
    p = res.places()
    year_rows, status = _year_status(res, settings)
    base, cur = settings.baseline_year, settings.demo_year
    states = {
        str(pid): place_state(status.get((base, pid)), status.get((cur, pid)))
        for pid in p["place_id"]
    }
    labels = {s: t(s) for s in STATE_COLOURS}
    blocks, tiles = _blocks_and_tiles(res, settings)
    m = places_map(p, states, labels, blocks, lang=lang, tiles=tiles)
    rows = [
        {
            "name": r["name_ja" if lang == "ja" else "name_en"],
            "indoor": bool(r["indoor"]),
            "state": labels[states[str(r["place_id"])]],
            "base": status.get((base, r["place_id"])),
            "cur": status.get((cur, r["place_id"])),
        }
        for _, r in p.iterrows()
    ]
    return render(
        request,
        "map_places.html",
        lang,
        active="/map/places",
        count_view="/map/places",
        settings=settings,
        simulated=year_rows is not None and res.any_simulated([base, cur]),
        map=map_parts(m),
        features=len(p) + (0 if tiles else len(blocks)),
        rows=rows,
        base=base,
        cur=cur,
        place_legend=[
            {"colour": c, "label": labels[s], "range": ""} for s, c in STATE_COLOURS.items()
        ],
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """Planners' dashboard: KPI cards and charts (server-side SVG), places table, scenarios."""
    from maps.charts import kpi_charts

    t = translator(lang)
    places = places_section(res, settings)
    steps, views = store_sections(settings)
    labels = {k: t(k) for k in ("kpi_places", "kpi_steps", "kpi_views", "steps", "simulated")}
    charts = kpi_charts(places, steps, views, labels=labels, baseline_year=settings.baseline_year)
    table = []
    year_rows, _ = _year_status(res, settings)
    if year_rows is not None:
        p = res.places().set_index("place_id")
        for r in year_rows.itertuples():
            table.append(
                {
                    "year": int(r.year),
                    "name": p.loc[r.place_id, "name_ja" if lang == "ja" else "name_en"],
                    "share": float(r.share_neutral),
                    "comfortable": bool(r.comfortable),
                }
            )
    return render(
        request,
        "dashboard.html",
        lang,
        active="/dashboard",
        simulated=bool(places.get("simulated") or steps.get("simulated")),
        places=places,
        steps=steps,
        views=views,
        charts=charts,
        table=table,
        scenarios=res.scenario_results(settings.demo_year, settings.baseline_year),
        year=settings.demo_year,
    )
