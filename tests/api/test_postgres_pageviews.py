"""Page views on a PostgreSQL store: written to ``page_views`` directly, the log as fallback."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api import pageviews
from sensors.store import Store
from tests.sensors.conftest import new_pg_store, pg_database  # noqa: F401 (fixture)

DAY = dt.date(2024, 7, 1)


def test_views_are_upserted_into_the_store(tmp_path: Path, pg_database: str) -> None:  # noqa: F811
    url = new_pg_store(pg_database)
    for page in ("/map/flow", "/map/flow", "/courses/susukino-loop"):
        pageviews.record_view(tmp_path, page, DAY, store=url)
    assert not pageviews.log_dir(tmp_path).exists()  # nothing went to the log
    with Store(url, read_only=True) as store:
        got = pageviews.stored_views(store).sort_values("page", ignore_index=True)
    assert got["page"].tolist() == ["/courses/susukino-loop", "/map/flow"]
    assert got["views"].tolist() == [1, 2]
    assert not got["simulated"].any()
    both = pageviews.daily_views(url, tmp_path)
    assert both["views"].sum() == 3


def test_concurrent_views_are_all_counted(tmp_path: Path, pg_database: str) -> None:  # noqa: F811
    url = new_pg_store(pg_database)

    def view(i: int) -> None:
        pageviews.record_view(tmp_path, f"/map/{'flow' if i % 2 else 'comfort'}", DAY, store=url)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(view, range(200)))
    got = pageviews.daily_views(url, tmp_path).set_index("page")["views"]
    assert got.to_dict() == {"/map/comfort": 100, "/map/flow": 100}


def test_a_server_that_does_not_answer_keeps_the_view_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = "postgresql://postgres@127.0.0.1:1/kaiteki"  # nothing listens on port 1
    pageviews.record_view(tmp_path, "/map/flow", DAY, store=down)
    assert (pageviews.log_dir(tmp_path) / f"{DAY.isoformat()}.log").read_text() == "/map/flow\n"
    assert "kept in the log" in caplog.text
    logged = pageviews.logged_views(tmp_path)
    assert logged["views"].tolist() == [1]


def test_logged_views_fold_into_the_postgresql_store_once(tmp_path: Path, pg_database: str) -> None:  # noqa: F811
    url = new_pg_store(pg_database)
    pageviews.record_view(tmp_path, "/map/flow", DAY)  # logged (e.g. while the server restarted)
    pageviews.record_view(tmp_path, "/map/flow", DAY, store=url)  # direct
    assert pageviews.compact(url, tmp_path, today=DAY + dt.timedelta(days=1)) == 1
    assert pageviews.compact(url, tmp_path, today=DAY + dt.timedelta(days=1)) == 0
    got = pageviews.daily_views(url, tmp_path)
    assert got["views"].tolist() == [2]
