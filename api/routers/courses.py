"""``GET /v1/courses`` and ``GET /v1/courses/{id}``: walking courses in Japanese and English."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import LangDep, ResourcesDep, SettingsDep
from api.schemas import CourseOut, CourseSummaryOut
from api.services.courses import course_detail, summary

router = APIRouter(prefix="/v1", tags=["courses"])


@router.get("/courses", response_model=list[CourseSummaryOut])
def list_courses(res: ResourcesDep, lang: LangDep) -> list[dict[str, Any]]:
    """Every walking course (names and descriptions in ``lang``: ``?lang=`` or Accept-Language)."""
    return [summary(c, lang) for c in res.courses()]


@router.get("/courses/{course_id}", response_model=CourseOut)
def get_course(
    course_id: str, res: ResourcesDep, lang: LangDep, settings: SettingsDep
) -> dict[str, Any]:
    """
    One course routed on the walking graph through its waypoints: length, minutes, steps,
    energy (kcal), underground share, comfort by season (demo year, daytime) and the underground
    alternative in winter when there is one.
    """
    return course_detail(res, res.course(course_id), lang, settings.demo_year)
