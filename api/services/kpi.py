"""
The Project 5 KPI sections shared by ``GET /v1/kpi`` and the dashboard page.

The steps and content-views sections read the store **read-only** (several processes may read
it at once; DuckDB lets no process open it while another writes it, e.g. ``kaiteki ingest``):
the open is retried for under a second, and a store that stays locked is a 503
(:class:`StoreBusyError`, without the lock holder's details). Each section is kept for
:data:`TTL_S` seconds per process (``cachetools.TTLCache``), so a busy dashboard reads the store
about once a minute per worker; :func:`clear` forgets them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import cachetools
import numpy as np
import pandas as pd

from api import pageviews
from api.errors import StoreBusyError
from api.resources import Resources
from api.settings import Settings
from sensors.errors import StoreError
from sensors.store import Store, store_exists

#: How long (s) a process keeps a store-backed KPI section before reading the store again.
TTL_S = 60.0

#: Pauses (s) between read-only attempts on a store another process holds for writing.
RETRY_PAUSES_S = (0.05, 0.1, 0.2, 0.4)

_T = TypeVar("_T")


def _is_lock_conflict(exc: StoreError) -> bool:
    return "lock" in str(exc.__cause__ or exc).lower()


def read_store(store_path: Path | str, read: Callable[[Store], _T], empty: _T) -> _T:
    """
    ``read(store)`` on the store opened read-only, retried while another process holds it for
    writing; ``empty`` when the store does not exist yet or has no tables.

    Raises
    ------
    StoreBusyError
        The store stayed locked by another process for about a second.
    """
    if not store_exists(store_path):
        return empty
    for pause in (*RETRY_PAUSES_S, None):
        try:
            with Store(store_path, read_only=True) as store:
                return empty if store.schema_version() == 0 else read(store)
        except StoreError as exc:
            if not _is_lock_conflict(exc):
                raise
            if pause is None:
                raise StoreBusyError(
                    "the store is busy: another process (an ingest or key management) is "
                    "writing it. Try again in a minute; KPIs read before stay available for "
                    f"{TTL_S:.0f} s."
                ) from None
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


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


def places_section(res: Resources, settings: Settings) -> dict[str, Any]:
    """
    Comfortable places, climate-normalised, vs the baseline year (target 2×): the object of
    ``kaiteki kpi places --json`` (:func:`api.services.places_kpi.places_kpi`), or
    ``available: false`` with the reason when a field is missing.

    Raises
    ------
    StoreBusyError
        The store stayed locked by another process while reading the registry.
    """
    from api.services.places_kpi import places_kpi
    from comfort.errors import KPIError

    del res  # the fields and the registry are read by the service itself
    try:
        return places_kpi(settings)
    except KPIError as exc:
        return {
            "available": False,
            "reference_climate": "baseline",
            "target_ratio": 2.0,
            "baseline_year": settings.baseline_year,
            "message": f"{exc} (needs the comfort fields of the baseline year "
            f"{settings.baseline_year} and of {settings.demo_year}; run `make prepare`)",
            "series": [],
            "actual_weather": [],
        }


def steps_section(settings: Settings) -> dict[str, Any]:
    """
    Participants' mean daily steps vs their start year (targets 1.1×, 1.3×), k-anonymous; kept
    :data:`TTL_S` seconds per process.

    Raises
    ------
    StoreBusyError
        The store stayed locked by another process.
    """
    return _steps_section(Path(settings.store), int(settings.k_anonymity))


@cachetools.cached(cachetools.TTLCache(maxsize=16, ttl=TTL_S), lock=threading.Lock())
def _steps_section(store_path: Path, k_anonymity: int) -> dict[str, Any]:
    steps = read_store(store_path, lambda store: store.steps(), pd.DataFrame())
    return _steps_from(steps, k_anonymity)


def _steps_from(steps: pd.DataFrame, k_anonymity: int) -> dict[str, Any]:
    from comfort.kpi import steps_kpi

    base = {"targets": [1.1, 1.3], "k": k_anonymity}
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
    monthly = monthly[monthly["participants"] >= k_anonymity]
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
        k=k_anonymity,
    )
    return {
        **base,
        "available": True,
        "simulated": simulated,
        "start_year": years[0],
        "current_year": years[-1],
        **_records(pd.DataFrame([kpi]))[0],
        "comparison": _steps_comparison(steps, years[0], years[-1], k_anonymity),
        "series": series,
    }


def _steps_comparison(steps: pd.DataFrame, start: int, later: int, k: int) -> dict[str, Any]:
    """
    ``kaiteki kpi steps --baseline START --later LATER --json`` on the store's steps
    (:func:`comfort.steps.steps_ratio`: same months, bootstrap interval, attrition, k-anonymous).
    """
    from comfort.errors import StepsPeriodError
    from comfort.steps import daily_steps, parse_period, steps_ratio

    clean = (
        steps[steps["qc_flags"].fillna(0).astype("int64") == 0] if "qc_flags" in steps else steps
    )
    try:
        result = steps_ratio(
            daily_steps(clean), parse_period(str(start)), parse_period(str(later)), k=k
        )
    except StepsPeriodError as exc:
        return {"available": False, "message": str(exc)}
    return {"available": True, **result}


def views_section(settings: Settings) -> dict[str, Any]:
    """
    Views of the walking content (course and map pages) vs the start year (targets 2×, 4×):
    the store's ``page_views`` plus the page-view logs (``api.pageviews``); kept :data:`TTL_S`
    seconds per process.

    Raises
    ------
    StoreBusyError
        The store stayed locked by another process.
    """
    return _views_section(Path(settings.store), Path(settings.cache_dir))


@cachetools.cached(cachetools.TTLCache(maxsize=16, ttl=TTL_S), lock=threading.Lock())
def _views_section(store_path: Path, cache_dir: Path) -> dict[str, Any]:
    from comfort.kpi import views_kpi

    stored = read_store(store_path, pageviews.stored_views, pd.DataFrame(columns=pageviews.COLUMNS))
    views = pageviews.combine(stored, pageviews.logged_views(cache_dir))
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


def store_sections(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """
    The steps and content-views sections for a page: while the store stays locked by another
    process, each is unavailable with ``busy: true`` and the reason, instead of an error.
    """
    out = []
    for section in (steps_section, views_section):
        try:
            out.append(section(settings))
        except StoreBusyError as exc:
            out.append(
                {
                    "available": False,
                    "busy": True,
                    "message": str(exc),
                    "series": [],
                    "k": settings.k_anonymity,
                }
            )
    return out[0], out[1]


def clear() -> None:
    """Forget the kept steps and views sections (the next call reads the store)."""
    from api.services import places_kpi

    for fn in (_steps_section, _views_section):
        fn.cache_clear()  # type: ignore[attr-defined]
    places_kpi.clear()
