"""
kill -9 mid-ingest leaves no partial batch; a re-run completes without duplicates.

After every kill the store opens and passes the integrity check of :func:`_consistent`: per
file, the stored and quarantined rows match the counts recorded for it and add up to the rows
read; no row without its file; no duplicate (sensor, time); no file recorded twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sensors.ingest import ingest_file
from sensors.store import Store

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from sensors.ingest import ingest_file
from sensors.store import Store
store = Store(sys.argv[1])
for path in sys.argv[2:]:
    print("begin", path, flush=True)
    ingest_file(store, "thermal", path)
store.close()
"""


def _write(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2022-01-05", tz="Asia/Tokyo")
    pd.DataFrame(
        {
            "time": (t0 + pd.to_timedelta(np.arange(n) % 10_000, unit="min")).strftime(
                "%Y-%m-%dT%H:%M:%S+09:00"
            ),
            "sensor_id": [f"K{seed}-{i // 10_000}" for i in range(n)],
            "lat": 43.06,
            "lon": 141.35,
            "air_temp_c": np.round(rng.normal(0, 3, n), 2),
            "rel_humidity_pct": 70.0,
            "wind_speed_m_s": 2.0,
            "globe_temp_c": np.round(rng.normal(1, 3, n), 2),
        }
    ).to_csv(path, index=False)


def _consistent(store: Store, rows_per_file: int = 200_000) -> None:
    """The integrity check after a kill (portable SQL: DuckDB and PostgreSQL stores)."""
    files = store.files()
    for row in files.itertuples():
        stored = store.con.execute(
            "SELECT count(*) FROM readings WHERE file_id = ?", [row.file_id]
        ).fetchall()[0][0]
        quarantined = store.con.execute(
            "SELECT count(*) FROM quarantine WHERE file_id = ?", [row.file_id]
        ).fetchall()[0][0]
        assert stored == row.accepted and quarantined == row.quarantined
        assert row.accepted + row.quarantined == row.rows_read
        assert row.rows_read == rows_per_file  # a file is recorded whole or not at all
        flagged = store.con.execute(
            "SELECT count(*) FROM readings WHERE file_id = ? AND qc_flags <> 0", [row.file_id]
        ).fetchall()[0][0]
        assert flagged == row.flagged
    orphans = store.con.execute(
        "SELECT count(*) FROM readings WHERE file_id NOT IN (SELECT file_id FROM files)"
    ).fetchall()[0][0]
    assert orphans == 0
    dup = store.con.execute(
        "SELECT count(*) FROM (SELECT sensor_id, time FROM readings GROUP BY sensor_id, time "
        "HAVING count(*) > 1) AS d"
    ).fetchall()[0][0]
    assert dup == 0
    assert len(files) == files["sha256"].nunique()  # no file recorded twice


def test_kill_9_mid_ingest(tmp_path):
    files = []
    for seed in range(3):
        p = tmp_path / f"r{seed}.csv"
        _write(p, 200_000, seed)
        files.append(str(p))
    db = tmp_path / "crash.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = 0
    # kill k files into the run, a moment after that file's ingest began (fixed delays
    # would miss when ingest gets fast)
    for k, delay in ((1, 0.05), (1, 0.15), (2, 0.05), (3, 0.1)):
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(db), *files],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for _ in range(k):
            if not proc.stdout.readline():  # the run ended early (files already stored)
                break
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        proc.stdout.close()
        with Store(db) as store:
            _consistent(store)
    assert killed >= 2  # the kills really interrupted ingests
    with Store(db) as store:
        for p in files:
            ingest_file(store, "thermal", p)
        _consistent(store)
        assert len(store.files()) == 3
        assert store.table_counts()["readings"] == 600_000
        dup = store.con.execute(
            "SELECT count(*) FROM (SELECT sensor_id, time FROM readings GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchall()[0][0]
        assert dup == 0
