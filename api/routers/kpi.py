"""``GET /v1/kpi``: the three Project 5 KPIs with the series behind them (``api.services.kpi``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ResourcesDep, SettingsDep
from api.errors import error_responses
from api.services.kpi import places_section, steps_section, views_section

router = APIRouter(prefix="/v1", tags=["kpi"])


@router.get("/kpi", responses=error_responses(503))
def kpi(res: ResourcesDep, settings: SettingsDep) -> dict[str, Any]:
    """
    The KPIs of Project 5: comfortable places vs the baseline year (target 2×), participants'
    mean daily steps vs their start year (1.1×, 1.3×; raw beside same-months and
    season-adjusted ratios, groups under k suppressed) and content views vs the start year
    (2×, 4×), each with the series behind it. Sections without data say so. The steps and
    views sections are at most a minute old; 503 while another process keeps the store locked
    for writing (an ingest): try again shortly.
    """
    return {
        "places": places_section(res, settings),
        "steps": steps_section(settings),
        "content_views": views_section(settings),
    }
