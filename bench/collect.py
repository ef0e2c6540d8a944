"""
Collector benchmark: thermal readings over MQTT through ``kaiteki collect mqtt`` (QC, store,
idempotency keys, acknowledgements) against a local Mosquitto broker of its own.

Two phases in one run, on 100 sensors of synthetic 1-minute readings (fixed formula, no RNG):

1. **sustained**: 50,000 messages queued for the collector's persistent session, then one
   collector process drains them; ``messages_per_s`` is messages / (last commit − first
   message received);
2. **live**: 20,000 messages published at 2,000 messages/s while the collector runs; the
   end-to-end latency of each reading is its commit time (``files.ingested_at``: the moment
   every reader of the store, ``/sta/v1.1`` included, can see it) minus its publish time;
   ``latency_p50_ms`` / ``latency_p99_ms``.

Reference measured in the same run: the same 50,000 rows as one JSON Lines file through
``kaiteki ingest`` (:func:`sensors.ingest.ingest_file`); ``ratio_vs_file_ingest`` is the
collector's rows/s divided by file ingest's rows/s. ``peak_rss_mb`` is the collector process's
peak resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._harness import record

N_SUSTAINED = 50_000
N_LIVE = 20_000
#: Publish rate of the live phase (messages/s): a steady network below the collector's capacity,
#: so the latency is the collector's, not a growing backlog's.
LIVE_RATE = 2_000
N_SENSORS = 100
TOPIC = "kaiteki/thermal/bench"


def payload(i: int, base_min: int = 0) -> bytes:
    """Reading ``i``: sensor ``i % 100``, minute ``i // 100`` after 2026-06-01 00:00 JST."""
    minute = base_min + i // N_SENSORS
    day = np.sin(2 * np.pi * (minute % 1440) / 1440)
    jitter = np.sin(i * 12.9898) * 0.2
    air = 18 + 4 * day + jitter
    hh, mm = divmod(minute % 1440, 60)
    dd = 1 + minute // 1440
    rec = {
        "time": f"2026-06-{dd:02d}T{hh:02d}:{mm:02d}:00+09:00",
        "sensor_id": f"B{i % N_SENSORS:03d}",
        "lat": 43.06 + (i % N_SENSORS) * 1e-4,
        "lon": 141.35,
        "air_temp_c": round(float(air), 2),
        "rel_humidity_pct": round(float(60 - 10 * day + jitter), 1),
        "wind_speed_m_s": round(float(1.5 + jitter * 3), 2),
        "globe_temp_c": round(float(air + 3 + jitter), 2),
    }
    return json.dumps(rec).encode()


def _collector(env: dict[str, str], url: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [str(Path(sys.executable).parent / "kaiteki"), "collect", "mqtt", "--broker", url,
           "--topic", "kaiteki/thermal/#", "--no-area", "--json", "--client-id", "bench", *extra]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _peak_rss_mb(proc: subprocess.Popen[str], stop: threading.Event, out: list[float]) -> None:
    import psutil

    p = psutil.Process(proc.pid)
    peak = 0.0
    while not stop.is_set():
        try:
            peak = max(peak, p.memory_info().rss / 2**20)
        except psutil.Error:
            break
        time.sleep(0.05)
    out.append(peak)


def _file_ingest_rows_per_s(tmp: Path) -> float:
    from sensors.ingest import ingest_file
    from sensors.store import Store

    path = tmp / "same_rows.jsonl"
    path.write_bytes(b"\n".join(payload(i) for i in range(N_SUSTAINED)) + b"\n")
    with Store(tmp / "file.duckdb") as store:
        t0 = time.perf_counter()
        res = ingest_file(store, "thermal", path)
        dt = time.perf_counter() - t0
    assert res.accepted == N_SUSTAINED, res.messages
    return N_SUSTAINED / dt


def main() -> dict[str, Any]:
    from sensors.collect.broker import broker, publish
    from sensors.store import Store

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = {**os.environ, "KAITEKI_STORE": str(tmp / "store.duckdb"),
               "KAITEKI_CACHE_DIR": str(tmp / "cache")}  # fmt: skip
        with broker(tmp / "broker") as b:
            # the session exists first, then the backlog is queued for it
            first = _collector(env, b.url, "--once", "--idle-seconds", "0.3")
            first.communicate(timeout=120)
            publish(b.port, TOPIC, (payload(i) for i in range(N_SUSTAINED)))
            proc = _collector(env, b.url, "--once", "--idle-seconds", "1")
            stop, rss = threading.Event(), []
            watch = threading.Thread(target=_peak_rss_mb, args=(proc, stop, rss))
            watch.start()
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            # live phase: publish while the collector runs; publish times per message
            proc = _collector(env, b.url, "--max-messages", str(N_LIVE), "--batch-seconds", "0.5")
            time.sleep(2.0)
            base = N_SUSTAINED // N_SENSORS + 10
            sent_at: list[float] = []

            def stamped() -> Any:
                start = time.monotonic()
                for i in range(N_LIVE):
                    ahead = i / LIVE_RATE - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
                    sent_at.append(time.time())
                    yield payload(i, base_min=base)

            publish(b.port, TOPIC, stamped())
            out2, err2 = proc.communicate(timeout=600)
            stop.set()
            watch.join()
            assert proc.returncode == 0, err2
        with Store(tmp / "store.duckdb", read_only=True) as s:
            n = s.con.execute("SELECT count(*) FROM readings").fetchone()
            live = s.query(
                "SELECT epoch(f.ingested_at) AS committed, r.time, r.sensor_id "
                "FROM readings r JOIN files f USING (file_id) WHERE r.time >= ?",
                [f"2026-06-{1 + base // 1440:02d}T00:00:00+09:00"],
            )
        sustained = json.loads(out)
        live_totals = json.loads(out2)
    assert n is not None and int(n[0]) == N_SUSTAINED + N_LIVE, n
    messages_per_s = sustained["messages"] / sustained["seconds_busy"]
    start = pd.Timestamp("2026-06-01", tz="Asia/Tokyo")
    minutes = (live["time"] - start) // pd.Timedelta(minutes=1)
    idx = (minutes - base) * N_SENSORS + live["sensor_id"].str[1:].astype(int)
    ok = (idx >= 0) & (idx < N_LIVE)
    lat_ms = (live["committed"][ok].to_numpy() - np.asarray(sent_at)[idx[ok].to_numpy()]) * 1e3
    file_rate = _file_ingest_rows_per_s(Path(tempfile.mkdtemp()))
    return record(
        "collect",
        {
            "messages": sustained["messages"] + live_totals["messages"],
            "messages_per_s": round(messages_per_s),
            "latency_p50_ms": round(float(np.percentile(lat_ms, 50)), 1),
            "latency_p99_ms": round(float(np.percentile(lat_ms, 99)), 1),
            "ratio_vs_file_ingest": round(messages_per_s / file_rate, 3),
            "file_ingest_rows_per_s": round(file_rate),
            "peak_rss_mb": round(max(rss) if rss else 0.0, 1),
        },
    )


if __name__ == "__main__":
    main()
