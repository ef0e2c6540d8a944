"""
The planners' pages: the dashboard, its downloads, the printable report and the scenario
builder.

Every table of the dashboard (:mod:`api.services.dashboard`) downloads as CSV
(``/dashboard/download/{table}.csv``, UTF-8 with a byte-order mark) and Excel
(``/dashboard/download/{table}.xlsx``; ``/dashboard/download/dashboard.xlsx`` holds every table,
one sheet each), text cells that look like spreadsheet formulas neutralised as in the exports.
``/dashboard/report`` is the same content as a printable page (one A4 page per section, with
the charts, sources and "simulated" labels); ``/dashboard/scenarios`` combines places and
interventions (:mod:`api.services.scenario_builder`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import LangDep, ResourcesDep, SettingsDep
from api.errors import NotFoundError
from api.i18n import translator
from api.layout import render
from api.services.dashboard import TABLES, Dashboard, build_dashboard, table_csv, tables_xlsx

router = APIRouter(tags=["pages"], include_in_schema=False)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year_label(year: int, dash: Dashboard) -> str:
    if year != dash.baseline_year:
        return str(year)
    return f"{year}（基準年）" if dash.lang == "ja" else f"{year} (baseline)"


def dashboard_charts(dash: Dashboard) -> dict[str, str]:
    """The dashboard's SVG charts: seasons (baseline vs demo year), progress, steps, views."""
    from api.services.dashboard import PERIOD_NAMES, targets
    from maps.charts import kpi_charts, progress_chart, season_chart

    t = translator(dash.lang)
    ja = dash.lang == "ja"
    note = t("simulated") if dash.places.get("simulated") else None
    labels = {
        k: t(k)
        for k in ("kpi_places", "kpi_steps", "kpi_views", "steps", "simulated", "unit_places",
                  "unit_steps_per_day", "unit_views_per_day")
    }  # fmt: skip
    charts = kpi_charts(
        dash.places, dash.steps, dash.views, labels=labels, baseline_year=dash.baseline_year
    )
    charts.pop("places", None)  # replaced by the season and progress charts below
    years = (dash.baseline_year, dash.year)
    rows = [r for r in dash.places.get("series", []) if r["year"] in years]  # climate-normalised
    if rows:
        periods = [p for p in PERIOD_NAMES if any(r["period"] == p for r in rows)]
        by = {(r["year"], r["period"]): r["comfortable"] for r in rows}
        charts["seasons"] = season_chart(
            [PERIOD_NAMES[p][dash.lang].split("（")[0].split(" (")[0] for p in periods],
            {
                _year_label(y, dash): [by.get((y, p), 0) for p in periods]
                for y in sorted(set(years))
            },
            title=dash.tables["seasons"].title
            + (" — 気候補正済み" if ja else " — climate-normalised"),
            ylabel="場所数" if ja else "places",
            note=note,
        )
    series = [r for r in dash.places.get("series", []) if r["period"] == "year"]
    if series:
        t2023, t2030 = targets(dash.baseline_year)["places"]
        charts["progress"] = progress_chart(
            [r["year"] for r in series],
            [r["ratio"] for r in series],
            baseline_year=dash.baseline_year,
            targets={2023: t2023, 2030: t2030},
            title=t("kpi_places") + (" — 2倍への進捗" if ja else " — progress towards 2×"),
            ylabel="基準年比（倍）" if ja else "ratio to baseline (×)",
            labels={
                "measured": "実績（気候補正済み）" if ja else "measured (climate-normalised)",
                "path": "計画の道筋" if ja else "planned path",
                "target": "目標" if ja else "target",
            },
            note=note,
        )
    return charts


def _context(dash: Dashboard) -> dict[str, Any]:
    from api.services.dashboard import reference_label, word

    return {
        "w": lambda value: word(value, dash.lang),
        "reference_label": reference_label(dash.places, dash.lang),
        "dash": dash,
        "tables": dash.tables,
        "places": dash.places,
        "steps": dash.steps,
        "views": dash.views,
        "year": dash.year,
        "baseline_year": dash.baseline_year,
        "threshold_pct": round(100 * float(dash.places["criteria"]["share"]))
        if dash.places.get("available")
        else None,
        "charts": dashboard_charts(dash),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """
    Planners' dashboard for the demo year beside the baseline: comfortable places by season,
    each place against the threshold, progress towards 2× with the 2023 and 2030 targets,
    steps and content views, scenarios; every table downloadable as CSV and Excel.
    """
    dash = build_dashboard(res, settings, lang)
    return render(
        request,
        "dashboard.html",
        lang,
        active="/dashboard",
        simulated=dash.simulated,
        **_context(dash),
    )


@router.get("/dashboard/report", response_class=HTMLResponse)
def report(
    request: Request, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> HTMLResponse:
    """The dashboard as a printable report: one A4 page per section, charts and sources."""
    dash = build_dashboard(res, settings, lang)
    return render(
        request,
        "report.html",
        lang,
        active="/dashboard",
        simulated=dash.simulated,
        **_context(dash),
    )


@router.get("/dashboard/download/dashboard.xlsx")
def download_all(res: ResourcesDep, lang: LangDep, settings: SettingsDep) -> Response:
    """Every dashboard table in one Excel workbook, one sheet per table."""
    dash = build_dashboard(res, settings, lang)
    return Response(
        tables_xlsx([dash.tables[n] for n in TABLES]),
        media_type=XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="kaiteki-dashboard-{dash.year}.xlsx"'
        },
    )


@router.get("/dashboard/download/{name}.{ext}")
def download(
    name: str,
    ext: str,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """One dashboard table as CSV (``ext=csv``) or Excel (``ext=xlsx``)."""
    if name not in TABLES or ext not in ("csv", "xlsx"):
        raise NotFoundError(
            f"no download {name}.{ext}; the tables are {', '.join(TABLES)} as .csv or .xlsx "
            "(or dashboard.xlsx for all of them)."
        )
    dash = build_dashboard(res, settings, lang)
    table = dash.tables[name]
    filename = f"kaiteki-{name}-{dash.year}.{ext}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if ext == "csv":
        return Response(table_csv(table), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(tables_xlsx([table]), media_type=XLSX_TYPE, headers=disposition)


@router.get("/dashboard/scenarios", response_class=HTMLResponse)
def scenario_builder(
    request: Request,
    res: ResourcesDep,
    lang: LangDep,
    settings: SettingsDep,
    place: Annotated[list[str] | None, Query(description="Place ids (several).")] = None,
    intervention: Annotated[
        list[str] | None, Query(description="Intervention keys (several).")
    ] = None,
) -> HTMLResponse:
    """
    Scenario builder: pick places and interventions (several of each), see the comfortable
    places after and what each action contributes, and the ``kaiteki kpi plan`` result.
    """
    from api.services.scenario_builder import build_scenario

    result = build_scenario(res, settings, lang, place or [], intervention or [])
    return render(
        request,
        "scenarios.html",
        lang,
        active="/dashboard",
        simulated=bool(result.get("simulated")),
        year=settings.demo_year,
        baseline_year=settings.baseline_year,
        result=result,
    )
