"""
HTML pages: the citizens' start page, the maps and the course pages (the planners' dashboard
is :mod:`api.routers.reports`).

Pages are Jinja2 templates (``api/templates``) with folium maps embedded (Leaflet served from
``/static``). The language comes from ``?lang=`` or ``Accept-Language``. Course and map page
views are counted per day and page (``api.pageviews``; nothing about the visitor is kept).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.clock import parse_at, same_time_in
from api.deps import LangDep, ResourcesDep, SettingsDep
from api.errors import NotPreparedError
from api.i18n import condition_notes, translator
from api.layout import render
from api.params import Season
from api.resources import Resources
from api.services.courses import course_detail
from api.settings import Settings
from api.wayfinding import segment_names
from comfort.advice import comfort_level_of_utci
from comfort.constants import TZ, season_of_month
from comfort.kpi import pleasant_street_share
from maps.comfort import comfort_map
from maps.offline import map_parts

router = APIRouter(tags=["pages"], include_in_schema=False)


def now_jst() -> dt.datetime:
    """Now in Asia/Tokyo (naive), to the hour: the time every page opens on."""
    return dt.datetime.now(TZ).replace(tzinfo=None, minute=0, second=0, microsecond=0)


#: The route card's words, handed to the page's script.
JS_TEXT_KEYS = {
    "result": "route_result_km", "simulated": "simulated", "minutes": "card_minutes",
    "steps": "card_steps", "kcal": "card_kcal", "vs": "card_vs_shortest", "closed": "card_closed",
    "card_cold": "card_cold", "card_heat": "card_heat", "card_no_stress": "card_no_stress",
    "no_walkways": "card_no_walkways", "snow": "card_snow", "working": "route_working",
    "failed": "err_internal_short", "search_none": "search_none", "locate_failed": "locate_failed",
}  # fmt: skip


def _blocks_and_tiles(res: Resources, settings: Settings) -> tuple[Any, str | None]:
    """The census-block base layer (built once per process) and the tile URL."""
    return res.blocks_layer(), settings.tiles


#: How old (h) the newest field hour may be for the home page's "now" to use it.
RECENT_FIELD_H = 3


def _newest_field_hour(res: Resources, hour: dt.datetime) -> dt.datetime | None:
    """The newest hour of this year's field within :data:`RECENT_FIELD_H` hours before
    ``hour`` (a field kept current by ``kaiteki comfort update``), or None."""
    fields = res.stored_fields()
    if hour.year not in fields.years():
        return None
    times = fields.times(hour.year)
    recent = times[(times <= hour) & (times >= hour - dt.timedelta(hours=RECENT_FIELD_H))]
    return None if recent.empty else recent.max().to_pydatetime()


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    at: Annotated[str | None, Query(description="ISO 8601 date-time (JST).")] = None,
) -> HTMLResponse:
    """
    Where is it pleasant to walk now: the comfort map of this date and hour (now in
    Asia/Tokyo; ``?at=`` picks another time; the conditions notes say when the data come from
    another year or a climatology), the route planner with its result card, the courses.
    """
    from sensors.landmarks import load_landmarks

    when = parse_at(at, now_jst())
    at_hour = when.replace(minute=0)
    cond = res.conditions(at_hour)
    data_age_min = None
    if at is None and cond.field_source != "exact":
        # "now" without a field hour yet: the newest live hour when recent, with its age
        recent = _newest_field_hour(res, at_hour)
        if recent is not None:
            at_hour, cond = recent, res.conditions(recent)
            data_age_min = int(
                (dt.datetime.now(TZ).replace(tzinfo=None) - recent).total_seconds() // 60
            )
    blocks, tiles = _blocks_and_tiles(res, settings)
    segs = res.segments_lonlat()
    ids, utci = cond.edge_ids, cond.utci_c
    m = comfort_map(
        segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=cond.simulated,
        names=segment_names(res, lang),
    )  # fmt: skip
    t = translator(lang)
    landmarks = load_landmarks()
    level = None
    if utci is not None:
        median = float(np.nanmedian(np.asarray(utci, dtype=float)))
        level = comfort_level_of_utci(median)
    return render(
        request,
        "home.html",
        lang,
        active="/",
        simulated=cond.simulated,
        map=map_parts(m),
        features=len(segs) + (0 if tiles else len(blocks)) + len(landmarks["features"]),
        year=cond.to_dict()["field_year"] or when.year,
        at=at_hour,
        data_age_min=data_age_min,
        has_field=utci is not None,
        pleasant_pct=None if utci is None else pleasant_street_share(segs, ids, utci),
        level=level,
        notes=condition_notes(cond.to_dict(), lang),
        courses=res.courses(),
        default_at=at_hour.strftime("%Y-%m-%dT%H:00"),
        default_mode="winter" if season_of_month(at_hour.month) == "DJF" else "comfortable",
        landmarks=landmarks,
        js_texts={k: t(v) for k, v in JS_TEXT_KEYS.items()},
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
    season: Annotated[Season | None, Query(description="Season (default: now's).")] = None,
    hour: Annotated[
        int | None, Query(ge=0, le=23, description="Hour of the day (default: now's, JST).")
    ] = None,
) -> HTMLResponse:
    """
    Comfort by street for an hour of the day in a season, UTCI category legend; opens on the
    current season and hour (Asia/Tokyo).
    """
    now = now_jst()
    chosen: str = season or season_of_month(now.month)
    hour = now.hour if hour is None else hour
    year = settings.demo_year
    agg = res.season_hour(year)
    ids = agg["edge"].to_numpy()
    utci = agg["utci_c"].sel(season=chosen, hour=hour).to_numpy()
    cond = res.season_conditions(year, chosen, hour)
    blocks, tiles = _blocks_and_tiles(res, settings)
    segs = res.segments_lonlat()
    m = comfort_map(
        segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=cond.simulated,
        names=segment_names(res, lang),
    )  # fmt: skip
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
        season=chosen,
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
    if level == "edge":
        names = segment_names(res, lang)
        table = table.assign(name=[names.get(int(sid), "") for sid in table["segment_id"]])
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
