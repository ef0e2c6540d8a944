"""
A PostgreSQL restart during API ingest (issue 15): clients get 503 with ``Retry-After``, never
500, and no acknowledged row is lost.

The test starts a private cluster of its own (Debian's binaries under
``/usr/lib/postgresql/<major>/bin``: ``initdb``, ``pg_ctl``; run as the ``postgres`` user when
the tests run as root), installs PostGIS in it, and restarts it while 4 clients post batches.
"""

from __future__ import annotations

import collections
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api import auth
from api.settings import Settings
from sensors.store import Store
from tests.api.test_contention import _free_port, _reading

CLIENTS = 4


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(
            f"no {name} under /usr/lib/postgresql/*/bin; run scripts/test-setup.sh as root "
            "(it installs Debian's postgresql and postgresql-<major>-postgis-3)."
        )
    return found[-1]


class Cluster:
    """A private PostgreSQL cluster in a temporary folder, on a free port."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kaiteki-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def run(self, *cmd: str) -> None:
        out = subprocess.run(
            [*self.as_postgres, *cmd], capture_output=True, text=True, timeout=120, cwd=self.root
        )
        assert out.returncode == 0, f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}"

    def pg_ctl(self, action: str) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self.run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
            "-m", "fast", "-w", action,
        )  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    c.pg_ctl("start")
    try:
        with psycopg.connect(c.url("postgres"), autocommit=True) as con:
            con.execute("CREATE DATABASE kaiteki")
        with psycopg.connect(c.url("kaiteki"), autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
        yield c
    finally:
        c.pg_ctl("stop")
        c.remove()


def test_a_restart_during_ingest_is_a_503_and_loses_no_acknowledged_row(
    cluster: Cluster, prepared: Settings
) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    url = cluster.url("kaiteki")
    s = prepared.model_copy(update={"store": Path(url), "key_refresh_s": 0.0})
    key = auth.create_key(s.store, "pytest-restart").secret
    statuses: collections.Counter[int] = collections.Counter()
    retry_after: list[str | None] = []
    acked: list[tuple[str, str]] = []
    lock = threading.Lock()
    done = threading.Event()
    with TestClient(create_app(s), raise_server_exceptions=False) as client:

        def post(i: int) -> None:
            n = 0
            while not done.is_set():
                rows = [_reading(f"restart-{i}", n * 2 + k) for k in range(2)]
                n += 1
                r = client.post("/v1/readings", json=rows, headers={"X-API-Key": key})
                with lock:
                    statuses[r.status_code] += 1
                    if r.status_code == 503:
                        retry_after.append(r.headers.get("Retry-After"))
                    elif r.status_code == 200 and not r.json()["duplicate_batch"]:
                        acked.extend((row["sensor_id"], row["time"]) for row in rows)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        while sum(statuses.values()) < 20:  # ingest under way
            time.sleep(0.05)
        cluster.pg_ctl("stop")  # fast shutdown: in-flight transactions are cut off
        while statuses[503] < 4:  # clients keep posting while the server is down
            time.sleep(0.05)
        cluster.pg_ctl("start")
        before = statuses[200]
        while statuses[200] < before + 20:  # and succeed again once it is back
            time.sleep(0.05)
        done.set()
        for t in threads:
            t.join()
    print("restart campaign:", dict(statuses), f"acknowledged rows {len(acked)}")
    assert set(statuses) == {200, 503}, statuses
    assert retry_after and all(v is not None and int(v) > 0 for v in retry_after)
    with Store(url, read_only=True) as store:
        stored = store.query(
            "SELECT sensor_id, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:00+00:00') "
            "AS t, count(*) AS n FROM readings WHERE sensor_id LIKE 'restart-%' "
            "GROUP BY sensor_id, t"
        )
    counts = {(sid, t): n for sid, t, n in stored.itertuples(index=False)}
    assert all(counts.get(row) == 1 for row in acked), "an acknowledged row is missing or doubled"
