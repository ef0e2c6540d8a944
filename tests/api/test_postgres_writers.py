"""
Many writers at once on a PostgreSQL store (issue 15): a real ``kaiteki serve --workers 2`` on
a free port with ``KAITEKI_STORE=postgresql://...``; 8 clients POST batches while a CLI ingest
and a ``kaiteki comfort build`` run: no 5xx (no 503 either: PostgreSQL takes concurrent writers),
every acknowledged row stored exactly once, and every page of the app answers 200 meanwhile,
with its views counted in the store's ``page_views``.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from api import auth, resources
from api.settings import Settings
from sensors.ingest import ingest_file
from sensors.store import Store
from tests.api.test_contention import Server, _free_port, _post, _reading, _thermal_csv
from tests.api.test_pages import PAGES
from tests.sensors.conftest import new_pg_store, pg_database  # noqa: F401 (fixture)

CLIENTS = 8
SEED_YEAR = 2020  # the comfort build's year: not one of the prepared fields the pages show


class PgServer(Server):
    """``kaiteki serve --workers 2`` on a PostgreSQL store and a copy of the prepared cache."""

    def __init__(self, root: Path, url: str, prepared: Settings) -> None:
        self.url = url
        self.cache = root / "cache"
        shutil.copytree(prepared.cache_dir, self.cache)
        self.env = {
            **os.environ,
            "KAITEKI_STORE": url,
            "KAITEKI_CACHE_DIR": str(self.cache),
            "KAITEKI_DEMO_YEAR": "2022",
            "KAITEKI_PSEUDONYM_KEY": "pg-writers-test-key-0123456789abcdef",
        }
        self.key = auth.create_key(url, "pg-writers").secret
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "uvicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None


def _seed_thermal(url: str, folder: Path) -> None:
    """Simulated sensors and three July days of readings of :data:`SEED_YEAR` (for the build)."""
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    weather = read_daily_weather(
        Settings().data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv")
    )
    day = pd.DatetimeIndex(weather.index)
    period = (day >= f"{SEED_YEAR}-07-18") & (day < f"{SEED_YEAR}-07-21")
    registry, readings = simulate_thermal(resources.graph(), weather[period], SEED_YEAR, seed=3)
    readings.attrs = {}
    registry.to_csv(folder / "sensors.csv", index=False)
    readings.to_csv(folder / "thermal.csv", index=False)
    with Store(url) as store:
        ingest_file(store, "sensors", folder / "sensors.csv")
        ingest_file(store, "thermal", folder / "thermal.csv")


@pytest.fixture(scope="module")
def pg_server(prepared, pg_database, tmp_path_factory) -> Iterator[PgServer]:  # type: ignore[no-untyped-def]  # noqa: F811
    root = tmp_path_factory.mktemp("pg_writers")
    url = new_pg_store(pg_database)
    _seed_thermal(url, root)
    srv = PgServer(root, url, prepared)
    srv.start()
    yield srv
    srv.stop()


def test_every_page_answers_on_a_postgresql_store(pg_server: PgServer) -> None:
    with httpx.Client(timeout=120) as c:
        for path in [*PAGES, "/v1/kpi", "/v1/places", "/v1/courses"]:
            r = c.get(f"{pg_server.base}{path}")
            assert r.status_code == 200, (path, r.status_code, r.text[:500])
    with Store(pg_server.url, read_only=True) as store:
        views = store.query("SELECT page, views FROM page_views")
    counted = dict(zip(views["page"], views["views"], strict=True))
    assert counted.get("/map/flow", 0) >= 1 and counted.get("/map/comfort", 0) >= 1


@pytest.mark.slow
def test_clients_a_cli_ingest_and_a_rebuild_at_once(pg_server: PgServer, tmp_path: Path) -> None:
    statuses: collections.Counter[int | str] = collections.Counter()
    acked: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = time.monotonic() + 20

    def client(i: int) -> None:
        n = 0
        with httpx.Client(timeout=120) as c:
            while time.monotonic() < stop:
                rows = [_reading(f"pgload-{i}", n * 3 + k) for k in range(3)]
                n += 1
                r = _post(c, pg_server.base, pg_server.key, rows)
                with lock:
                    statuses["dropped" if r is None else r.status_code] += 1
                    if r is not None and r.status_code == 200 and not r.json()["duplicate_batch"]:
                        for row, out in zip(rows, r.json()["rows"], strict=True):
                            if out["status"] != "quarantined":
                                acked.append((row["sensor_id"], row["time"]))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    build: dict[str, subprocess.CompletedProcess[str]] = {}
    builder = threading.Thread(
        target=lambda: build.update(
            run=pg_server.kaiteki("comfort", "build", "--year", str(SEED_YEAR), "--json")
        )
    )
    builder.start()
    cli_runs: list[subprocess.CompletedProcess[str]] = []
    k = 0
    while time.monotonic() < stop - 3 or not cli_runs:
        path = _thermal_csv(tmp_path / f"cli-{k}.csv", f"pgcli-{k}", 200)
        cli_runs.append(pg_server.kaiteki("ingest", "thermal", str(path), "--json"))
        k += 1
    for t in threads:
        t.join()
    builder.join()
    report = {"requests": sum(statuses.values()), **{str(s): n for s, n in statuses.items()}}
    print("PostgreSQL writers:", json.dumps(report), f"cli runs {len(cli_runs)}")
    assert set(statuses) == {200}, report
    for run in cli_runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads(run.stdout.splitlines()[-1])["accepted"] == 200
    assert build["run"].returncode == 0, build["run"].stderr[-3000:]
    with Store(pg_server.url, read_only=True) as store:
        stored = store.query(
            "SELECT sensor_id, time, count(*) AS n FROM readings WHERE sensor_id LIKE 'pgload-%' "
            "GROUP BY sensor_id, time"
        )
        cli_rows = store.query("SELECT count(*) AS n FROM readings WHERE sensor_id LIKE 'pgcli-%'")
    counts = {
        (s, pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:00+00:00")): n
        for s, t, n in stored.itertuples(index=False)
    }
    assert len(acked) == len(set(acked)) > 0
    assert all(counts.get(key) == 1 for key in acked), "an acknowledged row is missing or doubled"
    assert len(counts) == len(acked)
    assert int(cli_rows["n"].iloc[0]) == 200 * len(cli_runs)
