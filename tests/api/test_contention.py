"""
The probe's contention campaigns (issue 16, F1–F3) against ``kaiteki serve --workers 2``:
many clients writing while a CLI ingest runs, a flood of made-up keys while an operator manages
keys, and the same batch posted by eight clients at once. No response may be a 5xx, the CLI
must succeed, and the store must hold every acknowledged row exactly once.

The server runs in its own processes on a free port with a temporary store and cache, started
with the same command as ``kaiteki serve`` (:func:`api.http_protocol.uvicorn_argv`).
"""

from __future__ import annotations

import collections
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from api import auth
from api.http_protocol import uvicorn_argv
from api.settings import Settings
from api.spool import Spool
from sensors.store import Store

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``kaiteki serve --workers 2`` of a temporary store, and how to reach it."""

    def __init__(self, root: Path) -> None:
        self.store = root / "store.duckdb"
        self.cache = root / "cache"
        self.env = {
            **os.environ,
            "KAITEKI_STORE": str(self.store),
            "KAITEKI_CACHE_DIR": str(self.cache),
            "KAITEKI_PSEUDONYM_KEY": "contention-test-key-0123456789abcdef",
        }
        self.settings = Settings(store=self.store, cache_dir=self.cache)
        self.key = auth.create_key(self.store, "contention").secret
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "uvicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                uvicorn_argv("127.0.0.1", self.port, workers=2),
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited early:\n{self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail("server did not answer within 90 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
            self.proc = None

    def kaiteki(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        """Run the ``kaiteki`` CLI in its own process, as an operator would."""
        cmd = [sys.executable, "-c", "from api.cli import main; main()", *args]
        return subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=timeout_s, cwd=REPO
        )

    def wait_spool_empty(self, timeout_s: float = 120.0) -> None:
        spool = Spool(self.settings.spool_dir)
        deadline = time.monotonic() + timeout_s
        while spool.pending():
            assert time.monotonic() < deadline, f"spool not drained: {spool.pending()[:3]}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def started_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("contention"))
    yield srv
    srv.stop()


@pytest.fixture
def server(started_server: Server) -> Server:
    """The module's server, running (a campaign that stopped it to read the store left it so:
    it starts again only when another campaign needs it)."""
    if started_server.proc is None:
        started_server.start()
    return started_server


def _reading(sensor: str, minute: int) -> dict[str, Any]:
    t = np.datetime64("2022-07-20T05:00") + np.timedelta64(minute, "m")  # 14:00 JST onwards
    return {
        "time": f"{t}:00+00:00",
        "sensor_id": sensor,
        "lat": 43.0605,
        "lon": 141.3521,
        "air_temp_c": 27.0 + (minute % 7) / 10,
        "rel_humidity_pct": 60,
        "wind_speed_m_s": 1.5,
        "globe_temp_c": 33.0,
    }


def _post(client: httpx.Client, base: str, key: str, rows: list[dict]) -> httpx.Response | None:
    try:
        return client.post(f"{base}/v1/readings", json=rows, headers={"X-API-Key": key})
    except httpx.HTTPError:
        return None


def _thermal_csv(path: Path, sensor: str, n: int) -> Path:
    rows = ["time,sensor_id,lat,lon,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c"]
    for i in range(n):
        r = _reading(sensor, i)
        rows.append(f"{r['time']},{sensor},43.0605,141.3521,{r['air_temp_c']},60,1.5,33.0")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_writers_and_a_cli_ingest_never_fight(server: Server, tmp_path: Path) -> None:
    """F1: 8 clients POST distinct batches for 30 s while CLI ingests run: no 5xx, no loss."""
    statuses: collections.Counter[int | str] = collections.Counter()
    acked: list[tuple[str, str]] = []  # (sensor_id, time) of every acknowledged stored row
    lock = threading.Lock()
    stop = time.monotonic() + 30

    def client(i: int) -> None:
        n = 0
        with httpx.Client(timeout=60) as c:
            while time.monotonic() < stop:
                rows = [_reading(f"load-{i}", n * 3 + k) for k in range(3)]
                n += 1
                r = _post(c, server.base, server.key, rows)
                with lock:
                    statuses["dropped" if r is None else r.status_code] += 1
                    if r is not None and r.status_code == 200 and r.json()["queued"]:
                        for row, out in zip(rows, r.json()["rows"], strict=True):
                            if out["status"] != "quarantined":
                                acked.append((row["sensor_id"], row["time"]))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    cli_runs = []
    k = 0
    while time.monotonic() < stop - 5:
        path = _thermal_csv(tmp_path / f"cli-{k}.csv", f"cli-{k}", 200)
        cli_runs.append(server.kaiteki("ingest", "thermal", str(path), "--json"))
        k += 1
    for t in threads:
        t.join()
    server.wait_spool_empty()
    report = {"requests": sum(statuses.values()), **{str(s): n for s, n in statuses.items()}}
    print("F1 campaign:", json.dumps(report), f"cli runs {len(cli_runs)}")
    assert not [s for s in statuses if s == "dropped" or int(s) >= 500], report
    assert statuses[200] > 0
    for run in cli_runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads(run.stdout.splitlines()[-1])["accepted"] == 200
    server.stop()  # the last writer pass runs at shutdown; the store is ours to read
    with Store(server.store, read_only=True) as store:
        stored = store.query(
            "SELECT sensor_id, strftime(time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:00+00:00') "
            "AS t, count(*) AS n FROM readings WHERE sensor_id LIKE 'load-%' GROUP BY ALL"
        )
        cli_rows = store.query("SELECT count(*) AS n FROM readings WHERE sensor_id LIKE 'cli-%'")
    counts = {(s, t): n for s, t, n in stored.itertuples(index=False)}
    assert len(acked) == len(set(acked))
    assert all(counts.get(key) == 1 for key in acked), "an acknowledged row is missing or doubled"
    assert len(counts) == len(acked)
    assert int(cli_rows["n"].iloc[0]) == 200 * len(cli_runs)


@pytest.mark.slow
def test_made_up_keys_never_lock_out_the_operator(server: Server) -> None:
    """F2: 8 clients flood a made-up key for 25 s; keys list, create and revoke all succeed."""
    statuses: collections.Counter[int | str] = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + 25

    def flood(i: int) -> None:
        with httpx.Client(timeout=30) as c:
            n = 0
            while time.monotonic() < stop:
                n += 1
                try:
                    r = c.post(
                        f"{server.base}/v1/readings",
                        json=[_reading("x", 0)],
                        headers={"X-API-Key": f"kt_{i:02x}{n:06x}_madeup"},
                    )
                    code: int | str = r.status_code
                except httpx.HTTPError:
                    code = "dropped"
                with lock:
                    statuses[code] += 1

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    runs = []
    while time.monotonic() < stop - 3:
        made = server.kaiteki("keys", "create", "during-flood", "--json")
        runs.append(made)
        listed = server.kaiteki("keys", "list", "--json")
        runs.append(listed)
        if made.returncode == 0:
            key_id = json.loads(made.stdout.splitlines()[-1])["key_id"]
            runs.append(server.kaiteki("keys", "revoke", key_id))
    for t in threads:
        t.join()
    report = {"requests": sum(statuses.values()), **{str(s): n for s, n in statuses.items()}}
    print("F2 campaign:", json.dumps(report), f"key commands {len(runs)}")
    assert set(statuses) == {401}, report
    assert len(runs) >= 3
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]


def test_same_batch_from_eight_clients_is_stored_once(server: Server) -> None:
    """F3: the same batch posted by 8 clients at once, 20 times: one queued, 7 duplicates."""
    statuses: collections.Counter[str] = collections.Counter()
    for round_ in range(20):
        rows = [_reading(f"dup-{round_}", k) for k in range(4)]
        barrier = threading.Barrier(CLIENTS)
        results: list[httpx.Response | None] = [None] * CLIENTS

        def client(
            i: int,
            rows: list[dict] = rows,
            barrier: threading.Barrier = barrier,
            results: list[httpx.Response | None] = results,
        ) -> None:
            with httpx.Client(timeout=60) as c:
                barrier.wait()
                results[i] = _post(c, server.base, server.key, rows)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r is not None for r in results), "a connection was dropped"
        codes = [r.status_code for r in results if r is not None]
        assert codes == [200] * CLIENTS, [r.text for r in results if r is not None]
        bodies = [r.json() for r in results if r is not None]
        queued = [b for b in bodies if b["queued"]]
        dups = [b for b in bodies if b["duplicate_batch"]]
        statuses["queued"] += len(queued)
        statuses["duplicate_batch"] += len(dups)
        assert len(queued) == 1 and len(dups) == CLIENTS - 1
    print("F3 campaign:", json.dumps({"requests": 20 * CLIENTS, "200": 20 * CLIENTS, **statuses}))
    server.wait_spool_empty()
    server.stop()
    with Store(server.store, read_only=True) as store:
        per_sensor = store.query(
            "SELECT sensor_id, count(*) AS n FROM readings WHERE sensor_id LIKE 'dup-%' "
            "GROUP BY ALL"
        )
    assert len(per_sensor) == 20 and set(per_sensor["n"]) == {4}
