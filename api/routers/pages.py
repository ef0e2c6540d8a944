"""
HTML pages: the citizens' start page, the maps, the course pages and the planners' dashboard.

Pages are Jinja2 templates (``api/templates``) with folium maps embedded (Leaflet served from
``/static``). The language comes from ``?lang=`` or ``Accept-Language``. Course and map page
views are counted per day and page (``api.pageviews``; nothing about the visitor is kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import data, pageviews, resources
from api.deps import LangDep, SettingsDep
from api.i18n import condition_notes, translator
from comfort.indices import in_neutral_band
from maps.comfort import category_legend

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
        pageviews.record_view(settings.cache_dir, count_view)
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


def _blocks_and_tiles(settings: Any) -> tuple[Any, str | None]:
    """The census-block base layer (built once per process) and the tile URL."""
    return data.blocks_layer(), settings.tiles


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, lang: LangDep, settings: SettingsDep, at: str | None = None
) -> HTMLResponse:
    """
    Where is it pleasant to walk now: the comfort map of this date and hour in the demo year
    (``?at=`` picks another time), the route planner, the courses.
    """
    from api.wayfinding import parse_at
    from maps.comfort import comfort_map
    from maps.offline import map_parts

    when = parse_at(at, data.same_time_in(settings.demo_year))
    year = when.year
    at_hour = when.replace(minute=0)
    cond = data.conditions(at_hour)
    blocks, tiles = _blocks_and_tiles(settings)
    segs = data.segments_lonlat()
    ids, utci = cond.edge_ids, cond.utci_c
    simulated = cond.simulated
    pleasant_pct = None if utci is None else _pleasant_share(segs, ids, utci)
    m = comfort_map(segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=simulated)
    return render(
        request,
        "home.html",
        lang,
        active="/",
        simulated=simulated,
        map=map_parts(m),
        features=len(segs) + (0 if tiles else len(blocks)),
        year=year,
        at=at_hour,
        has_field=utci is not None,
        pleasant_pct=pleasant_pct,
        notes=condition_notes(cond.to_dict(), lang),
        courses=data.courses(),
        default_at=at_hour.strftime("%Y-%m-%dT%H:00"),
    )


def _pleasant_share(segs: Any, ids: Any, utci: Any) -> float:
    import numpy as np

    lookup = dict(zip(np.asarray(ids).tolist(), np.asarray(utci).tolist(), strict=True))
    street = segs[segs["kind"] == "street"]
    u = np.array([lookup.get(int(s), np.nan) for s in street.index])
    ok = np.isfinite(u)
    if not ok.any():
        return 0.0
    length = street["length_m"].to_numpy()
    good = ok & in_neutral_band(u)
    return round(100.0 * float(length[good].sum() / length[ok].sum()), 1)


@router.get("/map/comfort", response_class=HTMLResponse)
def map_comfort(
    request: Request,
    lang: LangDep,
    settings: SettingsDep,
    season: str = "JJA",
    hour: int = 14,
) -> HTMLResponse:
    """Comfort by street for an hour of the day in a season, UTCI category legend."""
    from api.errors import BadRequestError
    from maps.comfort import comfort_map
    from maps.offline import map_parts

    if season not in ("DJF", "MAM", "JJA", "SON") or not 0 <= hour <= 23:
        raise BadRequestError(
            f"season must be DJF, MAM, JJA or SON and hour 0..23; got {season!r}, {hour}"
        )
    year = settings.demo_year
    agg = data.season_hour(year)
    ids = agg["edge"].to_numpy()
    utci = agg["utci_c"].sel(season=season, hour=hour).to_numpy()
    cond = data.season_conditions(year, season, hour)
    simulated = cond.simulated
    blocks, tiles = _blocks_and_tiles(settings)
    segs = data.segments_lonlat()
    m = comfort_map(segs, ids, utci, blocks, lang=lang, tiles=tiles, simulated=simulated)
    return render(
        request,
        "map_comfort.html",
        lang,
        active="/map/comfort",
        simulated=simulated,
        count_view="/map/comfort",
        settings=settings,
        map=map_parts(m),
        features=len(segs) + (0 if tiles else len(blocks)),
        year=year,
        season=season,
        hour=hour,
        pleasant_pct=_pleasant_share(segs, ids, utci),
        notes=condition_notes(cond.to_dict(), lang),
    )


@router.get("/courses/{course_id}", response_class=HTMLResponse)
def course_page(
    course_id: str, request: Request, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """A walking course: map, length, minutes, steps, energy, comfort by season, winter option."""
    from api.routers.courses import course_detail
    from maps.course import course_map
    from maps.offline import map_parts

    c = data.course(course_id)
    detail = course_detail(c, lang, settings.demo_year)
    blocks, tiles = _blocks_and_tiles(settings)
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


@router.get("/map/walkability", response_class=HTMLResponse)
def map_walkability(
    request: Request, lang: LangDep, settings: SettingsDep, level: str = "block"
) -> HTMLResponse:
    """Walkability index (0–100) per census block, 100 m grid cell or street segment."""
    from api.errors import BadRequestError
    from maps.layers import choropleth_map, ramp_legend
    from maps.offline import map_parts

    tables = {"block": "blocks", "grid": "grid", "edge": "edges"}
    if level not in tables:
        raise BadRequestError(f"level must be block, grid or edge; got {level!r}")
    table = data.walkability()[tables[level]]
    if level == "block":
        area = resources.planning_area().to_crs(table.crs).geometry.iloc[0]
        table = table[table.intersects(area.buffer(-1e-5))]
    label = "name_ja" if lang == "ja" else "name_en"
    tip = ([label] if level == "block" else ["mesh_code"] if level == "grid" else ["name"]) + [
        "walkability",
        "reach_800_m",
        "access_score",
    ]
    blocks, tiles = _blocks_and_tiles(settings)
    m = choropleth_map(
        table,
        "walkability",
        tip,
        blocks=None if level == "block" else blocks,
        lang=lang,
        tiles=tiles,
        name="walkability",
        lo=0,
        hi=100,
        line=level == "edge",
    )
    extra = 0 if (level == "block" or tiles) else len(blocks)
    return render(
        request,
        "map_simple.html",
        lang,
        active="/map/walkability",
        count_view="/map/walkability",
        settings=settings,
        map=map_parts(m),
        features=len(table) + extra,
        heading=translator(lang)("walk_heading"),
        intro=translator(lang)("walk_intro"),
        ramp=ramp_legend(0, 100),
        levels=("block", "grid", "edge"),
        level=level,
    )


@router.get("/map/flow", response_class=HTMLResponse)
def map_flow(
    request: Request,
    lang: LangDep,
    settings: SettingsDep,
    month: str = "2019-10",
    daytype: str = "weekday",
) -> HTMLResponse:
    """Chi-Ka-Ho counters J1–J5 (real daily data) and the MLIT 1 km mesh stay population."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from api.errors import BadRequestError
    from maps.layers import add_points, choropleth_map, ramp_legend
    from maps.offline import map_parts
    from sensors.mlit import mesh_polygon

    stay = data.mesh_stay()
    months = list(data.mesh_months())
    if month not in months or daytype not in ("weekday", "holiday", "all"):
        raise BadRequestError(
            f"month must be one of {months[0]}..{months[-1]} and daytype weekday, holiday or "
            f"all; got {month!r}, {daytype!r}"
        )
    sel = stay[
        (stay["month"].astype(str).str[:7] == month)
        & (stay["day_type"] == daytype)
        & (stay["time_band"] == "day")
    ]
    mesh = gpd.GeoDataFrame(
        {
            "mesh_id": sel["mesh_id"].to_numpy(),
            "stay_population": sel["stay_population"].astype(float).to_numpy(),
        },
        geometry=[mesh_polygon(m) for m in sel["mesh_id"]],
        crs="EPSG:4326",
    )
    daily = data.chikaho_daily()
    # Counter arrays placed along the Chi-Ka-Ho axis in order J1 (north) .. J5 (south):
    # approximate positions, the open data give no coordinates.
    seg = data.segments_lonlat()
    chikaho = seg[seg["name"] == "Chi-Ka-Ho"]
    if chikaho.empty:
        from api.errors import NotPreparedError

        raise NotPreparedError("the walking graph has no Chi-Ka-Ho walkway to place J1–J5 on")
    north_to_south = chikaho.sort_values("mid_lat", ascending=False)
    picks = [
        north_to_south.iloc[round(f * (len(north_to_south) - 1))]
        for f in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    last_year = daily.loc[daily.index >= daily.index.max() - pd.Timedelta(days=364)]
    pts = gpd.GeoDataFrame(
        {
            "array": [f"J{i}" for i in range(1, 6)],
            "mean": [float(last_year[f"J{i}"].mean()) for i in range(1, 6)],
        },
        geometry=[Point(r["mid_lon"], r["mid_lat"]) for r in picks],
        crs="EPSG:4326",
    )
    pts["label"] = [
        f"{a}: {v:,.0f} / 15 min (mean {last_year.index.min():%Y-%m}–"
        f"{last_year.index.max():%Y-%m}, real)"
        for a, v in zip(pts["array"], pts["mean"], strict=True)
    ]
    blocks, tiles = _blocks_and_tiles(settings)
    lo, hi = float(mesh["stay_population"].min()), float(mesh["stay_population"].max())
    m = choropleth_map(
        mesh,
        "stay_population",
        ["mesh_id", "stay_population"],
        blocks=blocks,
        lang=lang,
        tiles=tiles,
        name="MLIT stay population",
        zoom=14,
    )
    add_points(m, pts, "mean", "label")
    chart = data.chikaho_chart(lang)
    return render(
        request,
        "map_flow.html",
        lang,
        active="/map/flow",
        count_view="/map/flow",
        settings=settings,
        map=map_parts(m),
        features=len(mesh) + len(pts) + (0 if tiles else len(blocks)),
        months=months,
        month=month,
        daytype=daytype,
        chart=chart,
        ramp=ramp_legend(lo, hi, "{:,.0f}"),
    )


@router.get("/map/places", response_class=HTMLResponse)
def map_places(request: Request, lang: LangDep, settings: SettingsDep) -> HTMLResponse:
    """Comfortable places in the current year, highlighted against the baseline year."""
    import folium

    from maps.area import add_blocks
    from maps.offline import map_parts, offline_map

    t = translator(lang)
    p = data.places().copy()
    result = data.places_kpi(settings.baseline_year, settings.demo_year)
    status: dict[tuple[int, str], bool] = {}
    if result is not None:
        st = result[0]
        st = st[st["period"] == "year"]
        status = {(int(r.year), str(r.place_id)): bool(r.comfortable) for r in st.itertuples()}
    base, cur = settings.baseline_year, settings.demo_year

    def state(pid: str) -> str:
        b, c = status.get((base, pid)), status.get((cur, pid))
        if c is None:
            return t("no_data")
        if c and not b:
            return t("new_comfortable")
        return t("comfortable") if c else t("not_comfortable")

    colours = {
        t("new_comfortable"): "#2b8a3e",
        t("comfortable"): "#74b816",
        t("not_comfortable"): "#e8590c",
        t("no_data"): "#adb5bd",
    }
    p["name"] = p["name_ja" if lang == "ja" else "name_en"]
    p["state"] = [state(pid) for pid in p["place_id"]]
    p["colour"] = [colours[s] for s in p["state"]]
    blocks, tiles = _blocks_and_tiles(settings)
    centre = p.union_all().centroid
    m = offline_map((centre.y, centre.x), 15, tiles)
    if tiles is None:
        add_blocks(m, blocks, lang)
    polys = p[p.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    pts = p[p.geometry.geom_type == "Point"]
    if len(polys):
        folium.GeoJson(
            polys[["name", "state", "colour", "geometry"]].__geo_interface__,
            name="places",
            style_function=lambda f: {
                "color": f["properties"]["colour"],
                "weight": 2,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(["name", "state"], labels=False),
        ).add_to(m)
    for _, r in pts.iterrows():
        folium.CircleMarker(
            (r.geometry.y, r.geometry.x),
            radius=8,
            color="#fff",
            weight=2,
            fill=True,
            fill_color=r["colour"],
            fill_opacity=1,
            tooltip=f"{r['name']} — {r['state']}",
        ).add_to(m)
    rows = [
        {
            "name": r["name"],
            "indoor": bool(r["indoor"]),
            "state": r["state"],
            "base": status.get((base, r["place_id"])),
            "cur": status.get((cur, r["place_id"])),
        }
        for _, r in p.iterrows()
    ]
    simulated = result is not None and data.any_simulated([base, cur])
    return render(
        request,
        "map_places.html",
        lang,
        active="/map/places",
        count_view="/map/places",
        settings=settings,
        simulated=simulated,
        map=map_parts(m),
        features=len(p) + (0 if tiles else len(blocks)),
        rows=rows,
        base=base,
        cur=cur,
        place_legend=[{"colour": c, "label": k, "range": ""} for k, c in colours.items()],
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, lang: LangDep, settings: SettingsDep) -> HTMLResponse:
    """Planners' dashboard: KPI cards and charts (server-side SVG), places table, scenarios."""
    from api.routers.kpi import places_section, store_sections
    from maps.charts import bar_chart, line_chart

    t = translator(lang)
    places = places_section(settings)
    steps, views = store_sections(settings)
    charts: dict[str, str] = {}
    sim = t("simulated")
    if places["available"]:
        year_rows = [r for r in places["series"] if r.get("period") == "year"]
        charts["places"] = bar_chart(
            [str(r["year"]) for r in year_rows],
            [r["comfortable"] for r in year_rows],
            title=t("kpi_places"),
            ylabel="places",
            target=2.0
            * next((r["comfortable"] for r in year_rows if r["year"] == settings.baseline_year), 0)
            or None,
            note=sim if places.get("simulated") else None,
        )
    if steps["series"]:
        charts["steps"] = line_chart(
            [r["month"] for r in steps["series"]],
            {t("steps"): [r["mean_daily_steps"] for r in steps["series"]]},
            title=t("kpi_steps"),
            ylabel="steps / day",
            note=sim if steps.get("simulated") else None,
        )
    if views["available"]:
        charts["views"] = bar_chart(
            [str(r["year"]) for r in views["series"]],
            [r["mean_daily_views"] for r in views["series"]],
            title=t("kpi_views"),
            ylabel="views / day",
        )
    table = []
    kpi_result = data.places_kpi(settings.baseline_year, settings.demo_year)
    if kpi_result is not None:
        st = kpi_result[0]
        st = st[st["period"] == "year"]
        p = data.places().set_index("place_id")
        for r in st.itertuples():
            table.append(
                {
                    "year": int(r.year),
                    "name": p.loc[r.place_id, "name_ja" if lang == "ja" else "name_en"],
                    "share": float(r.share_neutral),
                    "comfortable": bool(r.comfortable),
                }
            )
    scenarios = _scenarios(settings)
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
        scenarios=scenarios,
        year=settings.demo_year,
    )


def _scenarios(settings: Any) -> list[dict[str, Any]]:
    """Comfortable places of the current year with each intervention (comfort.scenarios)."""
    return data.scenario_results(settings.demo_year, settings.baseline_year)
