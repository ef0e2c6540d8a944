"""
Content views: per-day append-only logs, folding into the store, and the KPI pages while
another process holds the store for writing.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import pageviews, resources
from api.services import kpi
from api.settings import Settings
from sensors.store import Store

DAY = dt.date(2022, 7, 18)


def _writer_idle(client: TestClient) -> None:
    """Wait until the app's writer has drained the spool: a read during a pass gets 503."""
    assert client.app.state.ingest.writer.wait_idle()


def _views(frame, page: str) -> int:
    return int(frame.loc[frame["page"] == page, "views"].sum())


def test_a_view_is_one_line_with_the_page_only(tmp_path: Path) -> None:
    pageviews.record_view(tmp_path, "/map/flow", DAY)
    pageviews.record_view(tmp_path, "/courses/susukino-loop", DAY)
    log = tmp_path / "pageviews" / "2022-07-18.log"
    assert log.read_text() == "/map/flow\n/courses/susukino-loop\n"  # nothing about visitors
    views = pageviews.logged_views(tmp_path)
    assert list(views.columns) == pageviews.COLUMNS
    assert _views(views, "/map/flow") == 1 and set(views["day"]) == {DAY}


def test_a_counted_page_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one-line path"):
        pageviews.record_view(tmp_path, "/map/flow\n/evil")


def test_unwritable_log_only_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "pageviews").write_text("a file where the folder should be")
    pageviews.record_view(tmp_path, "/map/flow", DAY)
    assert "not counted" in caplog.text


def test_compact_folds_past_days_once(tmp_path: Path) -> None:
    store, cache = tmp_path / "store.duckdb", tmp_path / "cache"
    today = DAY + dt.timedelta(days=2)
    with Store(store) as s:  # views counted in the table before the logs existed
        s.con.execute("INSERT INTO page_views VALUES (?, '/map/flow', 5, false)", [DAY])
    for _ in range(3):
        pageviews.record_view(cache, "/map/flow", DAY)
    pageviews.record_view(cache, "/map/comfort", DAY + dt.timedelta(days=1))
    pageviews.record_view(cache, "/map/comfort", today)
    before = pageviews.daily_views(store, cache)
    assert _views(before, "/map/flow") == 8 and _views(before, "/map/comfort") == 2

    assert pageviews.compact(store, cache, today=today) == 4
    assert sorted(p.name for p in (cache / "pageviews").iterdir()) == [f"{today}.log"]
    after = pageviews.daily_views(store, cache)
    assert after.equals(before)
    with Store(store, read_only=True) as s:
        assert _views(s.query("SELECT * FROM page_views"), "/map/flow") == 8

    assert pageviews.compact(store, cache, today=today) == 0
    assert pageviews.daily_views(store, cache).equals(before)


def test_compact_interrupted_after_commit_counts_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, cache = tmp_path / "store.duckdb", tmp_path / "cache"
    for _ in range(2):
        pageviews.record_view(cache, "/map/places", DAY)
    before = pageviews.daily_views(store, cache)
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: None)  # "crash" here
    assert pageviews.compact(store, cache, today=DAY + dt.timedelta(days=1)) == 2
    monkeypatch.undo()
    assert len(list((cache / "pageviews").glob("*.folding"))) == 1  # left behind
    assert pageviews.compact(store, cache, today=DAY + dt.timedelta(days=1)) == 0
    assert list((cache / "pageviews").iterdir()) == []
    assert pageviews.daily_views(store, cache).equals(before)


_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: no other process can open the file now
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


@contextmanager
def store_held_by_another_process(path: Path) -> Iterator[None]:
    """The store held open read-write by a subprocess while the block runs."""
    with Store(path) as store:
        assert store.schema_version() >= 2  # the store exists and is migrated
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            assert proc.stdout.readline().strip() == "holding"
            yield
        finally:
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(timeout=30)


def test_pages_and_kpi_while_another_process_writes_the_store(
    client: TestClient, prepared: Settings
) -> None:
    kpi.clear()
    _writer_idle(client)
    assert client.get("/v1/kpi").status_code == 200  # kept for a minute from here
    n0 = _views(pageviews.logged_views(prepared.cache_dir), "/map/flow")

    with store_held_by_another_process(prepared.store):
        # a section read before the lock is served from the per-process cache
        assert client.get("/v1/kpi").status_code == 200
        kpi.clear()
        t0 = time.perf_counter()
        for lang in ("en", "ja"):
            r = client.get("/map/flow", params={"lang": lang})
            assert r.status_code == 200
        assert time.perf_counter() - t0 < 10  # nothing waits for the store
        r = client.get("/v1/kpi")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["error"] == "StoreBusyError" and "busy" in body["message"]
        assert "PID" not in r.text and str(prepared.store) not in r.text
        assert prepared.store.name not in r.text
        page = client.get("/dashboard?lang=en")
        assert page.status_code == 200
        assert "reload in a minute" in page.text and "PID" not in page.text
        assert "データの取り込み中" in client.get("/dashboard?lang=ja").text
        # the views were counted all the same
        assert _views(pageviews.logged_views(prepared.cache_dir), "/map/flow") == n0 + 2


def test_views_counted_while_store_held_reach_the_kpi(
    client: TestClient, prepared: Settings
) -> None:
    kpi.clear()
    _writer_idle(client)
    before = client.get("/v1/kpi").json()["content_views"]["by_page"]
    n0 = next((p["views"] for p in before if p["page"] == "/map/places"), 0)
    with store_held_by_another_process(prepared.store):
        assert client.get("/map/places").status_code == 200
    kpi.clear()
    _writer_idle(client)
    after = client.get("/v1/kpi").json()["content_views"]["by_page"]
    assert next(p["views"] for p in after if p["page"] == "/map/places") == n0 + 1


def test_blocks_layer_and_flow_inputs_cached_until_clear(prepared: Settings) -> None:
    res = resources.current()
    layer = res.blocks_layer()
    assert res.blocks_layer() is layer and len(layer) == 285
    chart = res.chikaho_chart("en")
    assert res.chikaho_chart("en") is chart and chart.startswith("<svg")
    stay = res.mesh_stay()
    resources.clear()
    assert res.blocks_layer() is not layer and res.mesh_stay() is not stay


def test_store_without_page_views_table_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as s:
        s.con.execute("DROP TABLE page_views")  # as a store of schema version 1
    with Store(path, read_only=True) as s:
        assert pageviews.stored_views(s).empty
