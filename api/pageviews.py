"""
Content views: each course and map page view adds one to a daily count per page.

Nothing about the visitor is stored (no IP address, no cookie, no user agent): only
``(day, page, views)`` in the ``page_views`` table of the store. The counts feed the
content-views KPI (``GET /v1/kpi``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from sensors.errors import StoreError
from sensors.store import Store

log = logging.getLogger("kaiteki.api")

TZ = ZoneInfo("Asia/Tokyo")


def record_view(store_path: Path | str, page: str, day: dt.date | None = None) -> None:
    """
    Count one view of ``page`` on ``day`` (default: today in Asia/Tokyo).

    Another process may hold the store for a moment (an ingest, a second worker); the write is
    retried for up to about a second and, if it still cannot be made, a warning is logged (the
    page itself is still served).
    """
    day = day or dt.datetime.now(TZ).date()
    for attempt in range(6):
        try:
            with Store(store_path) as store:
                store.con.execute(
                    "INSERT INTO page_views (day, page, views, simulated) VALUES (?, ?, 1, false) "
                    "ON CONFLICT (day, page, simulated) DO UPDATE SET views = views + 1",
                    [day, page],
                )
            return
        except StoreError as exc:
            if attempt == 5:
                log.warning("page view of %s on %s not counted: %s", page, day, exc)
                return
            time.sleep(0.05 * 2**attempt)


def daily_views(store_path: Path | str) -> pd.DataFrame:
    """Daily views per page: ``day``, ``page``, ``views``, ``simulated``."""
    with Store(store_path) as store:
        return store.query("SELECT day, page, views, simulated FROM page_views ORDER BY day, page")
