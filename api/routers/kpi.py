"""``GET /v1/kpi``: the three Project 5 KPIs with the series behind them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter

from api import data, pageviews
from api.deps import SettingsDep

router = APIRouter(prefix="/v1", tags=["kpi"])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            if isinstance(v, pd.Timestamp):
                v = v.isoformat()
            clean[k] = v
        out.append(clean)
    return out


def places_section(settings: Any) -> dict[str, Any]:
    """Comfortable places vs the baseline year (target 2×)."""
    result = data.places_kpi(settings.baseline_year, settings.demo_year)
    base = {"target_ratio": 2.0, "baseline_year": settings.baseline_year}
    if result is None:
        return {
            **base,
            "available": False,
            "message": (
                f"needs the comfort fields (with places) of the baseline year "
                f"{settings.baseline_year} and of {settings.demo_year}; run "
                "`make prepare`"
            ),
            "series": [],
        }
    status, table = result
    years = sorted(int(y) for y in status["year"].unique())
    simulated = data.any_simulated(years)
    return {
        **base,
        "available": True,
        "simulated": simulated,
        "years": years,
        "series": _records(table),
    }


def steps_section(settings: Any) -> dict[str, Any]:
    """Participants' mean daily steps vs their start year (targets 1.1×, 1.3×), k-anonymous."""
    from comfort.kpi import steps_kpi
    from sensors.store import Store

    with Store(settings.store) as store:
        steps = store.steps()
    base = {"targets": [1.1, 1.3], "k": settings.k_anonymity}
    if steps.empty:
        return {**base, "available": False, "message": "no steps ingested yet", "series": []}
    t = pd.DatetimeIndex(steps["time"])
    daily = (
        steps.assign(
            date=t.tz_localize(None).normalize()
            if t.tz is None
            else t.tz_convert("Asia/Tokyo").tz_localize(None).normalize()
        )
        .groupby(["participant", "date"], as_index=False)["steps"]
        .sum()
        .rename(columns={"participant": "participant_id"})
    )
    years = sorted(daily["date"].dt.year.unique().tolist())
    monthly = daily.groupby(daily["date"].dt.to_period("M")).agg(
        participants=("participant_id", "nunique"), mean_daily_steps=("steps", "mean")
    )
    monthly = monthly[monthly["participants"] >= settings.k_anonymity]
    series = [
        {
            "month": str(m),
            "participants": int(r.participants),
            "mean_daily_steps": round(float(r.mean_daily_steps), 1),
        }
        for m, r in monthly.iterrows()
    ]
    simulated = bool(steps["simulated"].any()) if "simulated" in steps else False
    if len(years) < 2:
        return {
            **base,
            "available": False,
            "simulated": simulated,
            "years": years,
            "message": (
                f"steps cover only {years[0]}: the KPI compares a later year with "
                "the start year (same months or season-adjusted)"
            ),
            "series": series,
        }
    kpi = steps_kpi(
        daily,
        (f"{years[0]}-01-01", f"{years[0]}-12-31"),
        (f"{years[-1]}-01-01", f"{years[-1]}-12-31"),
        k=settings.k_anonymity,
    )
    return {
        **base,
        "available": True,
        "simulated": simulated,
        "start_year": years[0],
        "current_year": years[-1],
        **_records(pd.DataFrame([kpi]))[0],
        "series": series,
    }


def views_section(settings: Any) -> dict[str, Any]:
    """Views of the walking content (course and map pages) vs the start year (targets 2×, 4×)."""
    from comfort.kpi import views_kpi

    views = pageviews.daily_views(settings.store)
    base = {"targets": [2.0, 4.0]}
    if views.empty:
        return {
            **base,
            "available": False,
            "message": "no page views counted yet",
            "series": [],
            "by_page": [],
        }
    daily = views.groupby("day", as_index=False)["views"].sum().rename(columns={"day": "date"})
    daily["date"] = pd.to_datetime(daily["date"])
    start = int(daily["date"].dt.year.min())
    table = views_kpi(daily, start)
    by_page = (
        views.groupby("page", as_index=False)["views"].sum().sort_values("views", ascending=False)
    )
    return {
        **base,
        "available": True,
        "start_year": start,
        "simulated": bool(views["simulated"].any()),
        "series": _records(table.reset_index() if "year" not in table else table),
        "by_page": _records(by_page),
    }


@router.get("/kpi")
def kpi(settings: SettingsDep) -> dict[str, Any]:
    """
    The KPIs of Project 5: comfortable places vs the baseline year (target 2×), participants'
    mean daily steps vs their start year (1.1×, 1.3×; raw beside same-months and
    season-adjusted ratios, groups under k suppressed) and content views vs the start year
    (2×, 4×), each with the series behind it. Sections without data say so.
    """
    return {
        "places": places_section(settings),
        "steps": steps_section(settings),
        "content_views": views_section(settings),
    }
