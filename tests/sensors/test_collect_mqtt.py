"""
The MQTT collector against real Mosquitto brokers: readings stored with QC, malformed messages
quarantined, kill -9 campaign (no loss, no duplicates), broker restart mid-stream.

Each test starts a broker of its own on a free loopback port (``mosquitto -c conf``, persistence
on), or uses the machine's broker on 127.0.0.1:1883 with a topic of its own. The storing and
quarantine tests run on both store backends (``store_url``: a DuckDB file, a PostgreSQL schema).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from sensors.store import Store
from tests.forkserver import REPO, ForkedRun, ForkServer
from tests.sensors.collect_support import Broker, broker, publish, reading

#: ``kaiteki collect ...``: the real command, in a CLI holding only the ``collect`` group (so
#: the campaigns measure the collector, not other command groups' start-up)
KAITEKI_COLLECT = [
    sys.executable, "-c",
    "import sys; from tests.sensors.collect_support import collect_cli; collect_cli(*sys.argv[1:])",
]  # fmt: skip

#: What the forked ``kaiteki collect`` runs import, once, in the fork server.
COLLECT_IMPORTS = ["typer", "api.cli.collect", "api.cli._errors", "sensors.collect.batch",
                   "sensors.collect.formats", "sensors.collect.mqtt_", "sensors.store",
                   "tests.sensors.collect_support"]  # fmt: skip


def _env(tmp: Path, store: str | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "KAITEKI_STORE": store or str(tmp / "store.duckdb"),
        "KAITEKI_CACHE_DIR": str(tmp / "cache"),
        "KAITEKI_STORE_WAIT_S": "20",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def _collector(
    tmp: Path, url: str, topic: str, *extra: str, client_id: str = "c1", log: str = "log",
    store: str | None = None,
) -> tuple[subprocess.Popen[str], Path]:  # fmt: skip
    err = tmp / f"{log}.err"
    with err.open("w") as err_file:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [*KAITEKI_COLLECT, "collect", "mqtt", "--broker", url, "--topic", topic, "--no-area",
             "--client-id", client_id, "--json", *extra],
            env=_env(tmp, store), stdout=subprocess.PIPE, stderr=err_file, text=True,
        )  # fmt: skip
    return proc, err


def _wait_text(
    path: Path, text: str, proc: subprocess.Popen[str] | ForkedRun, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"collector exited ({proc.returncode}): {path.read_text()}")
        time.sleep(0.02)
    raise AssertionError(f"no {text!r} from the collector in {timeout_s} s: {path.read_text()}")


def _publisher(
    port: int, topic: str, n: int, prefix: str, sensors: int, client_id: str = ""
) -> subprocess.Popen[bytes]:
    """A process publishing ``n`` readings with QoS 1 (its own interpreter: the test's main
    thread keeps its time for killing and counting)."""
    code = (
        "import sys; from sensors.collect.broker import publish; "
        "from tests.sensors.collect_support import reading; "
        f"publish({port}, {topic!r}, (reading(i, f'{prefix}{{i % {sensors}:02d}}') "
        f"for i in range({n})), client_id={client_id!r}, inflight=200)"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[2])


def _kill(proc: subprocess.Popen[str]) -> None:
    """kill -9, then close our end of its stdout pipe."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _count(tmp: Path, sql: str) -> int:
    with Store(tmp / "store.duckdb", read_only=True, wait_s=30) as s:
        row = s.con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _system_broker_port() -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=0.5):
            return 1883
    except OSError:
        return None


def test_thousand_readings_stored_with_qc(tmp_path: Path, store_url: str) -> None:
    """1,000 readings published to the broker are stored once each, with their QC flags."""
    topic = f"kaiteki-test/{uuid.uuid4().hex[:8]}/thermal"
    port = _system_broker_port()
    ctx: Any = broker(tmp_path / "broker") if port is None else None
    b = ctx.__enter__() if ctx is not None else None
    port = b.port if b is not None else port
    assert port is not None
    try:
        proc, err = _collector(
            tmp_path, f"mqtt://127.0.0.1:{port}", f"{topic}/#", "--max-messages", "1000",
            client_id=f"kaiteki-test-{uuid.uuid4().hex[:8]}", store=store_url,
        )  # fmt: skip
        _wait_text(err, "subscribed", proc)
        # 995 plausible readings of 5 sensors, and 5 with a value out of range (flagged)
        payloads = [reading(i, f"T{i % 5}") for i in range(995)]
        for i in range(995, 1000):
            rec = json.loads(reading(i, "T9"))
            rec["air_temp_c"] = 99.0
            payloads.append(json.dumps(rec).encode())
        publish(port, f"{topic}/T", payloads)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.read_text()
        totals = json.loads(out)
        assert totals["messages"] == 1000 and totals["stored"] == 1000
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)
    with Store(store_url, read_only=True) as s:
        rows = s.readings()
        keys = s.query("SELECT count(*) AS n, count(DISTINCT key) AS k FROM collect_keys")
    assert len(rows) == 1000
    assert rows[["sensor_id", "time"]].drop_duplicates().shape[0] == 1000
    flagged = rows[rows["qc_flags"] != 0]
    assert set(flagged["sensor_id"]) == {"T9"} and len(flagged) == 5
    assert int(keys["n"][0]) == int(keys["k"][0]) == 1000
    # and they are served by the SensorThings API, newest first
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.routers import sta
    from api.settings import Settings, get_settings

    app = FastAPI()
    sta.install(app)
    app.dependency_overrides[get_settings] = lambda: Settings(store=Path(store_url))
    with TestClient(app) as client:
        streams = client.get("/sta/v1.1/Datastreams", params={"$top": "100"}).json()["value"]
        air = next(d for d in streams if d["name"] == "T9 air_temp_c")
        obs = client.get(
            f"/sta/v1.1/Datastreams({air['@iot.id']})/Observations",
            params={"$orderby": "phenomenonTime desc", "$top": "10"},
        ).json()["value"]
    assert [o["result"] for o in obs] == [99.0] * 5
    assert all(o["resultQuality"]["qc_flags"] != 0 for o in obs)
    client_times = [o["phenomenonTime"] for o in obs]
    assert client_times == sorted(client_times, reverse=True)
    newest = rows[rows["sensor_id"] == "T9"]["time"].max()
    assert client_times[0] == newest.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _malformed(topic: str) -> list[tuple[str, bytes, str]]:
    """(topic, payload, expected reason fragment) of 60 bad messages."""
    ok = json.loads(reading(0))
    bad: list[tuple[str, bytes, str]] = []

    def rec(**kw: Any) -> bytes:
        return json.dumps({**ok, **kw}).encode()

    for body in (b"{bad", b"", b"[", b"nul", b"{'a': 1}", b"\x00\x01binary",
                 b'{"time": "x",}', b"12 13"):  # fmt: skip
        bad.append((topic, body, "not valid JSON"))
    for body in (b"\xff\xfe\x00", b"\xc3\x28", b'{"a": "\xed\xa0\x80"}'):
        bad.append((topic, body, "not UTF-8"))
    for const in ("NaN", "Infinity", "-Infinity"):
        bad.append((topic, f'{{"time": "{ok["time"]}", "air_temp_c": {const}}}'.encode(), const))
    bad.append((topic, b"[" * 5000 + b"]" * 5000, "nested"))
    bad.append(
        (
            topic,
            json.dumps({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}).encode(),
            "nested",
        )
    )
    bad.append((topic, b"x" * (300 * 1024), "exceeds"))
    bad.append((topic, json.dumps([ok] * 1001).encode(), "at most"))
    bad.append((topic, b"[]", "empty"))
    bad.append((topic, b"42", "expected a JSON object"))
    bad.append((topic, b'"text"', "expected a JSON object"))
    bad.append((topic, b"null", "expected a JSON object"))
    bad.append((topic, b"[1, 2]", "expected a JSON object"))
    for field in ("air_temp_c", "sensor_id", "time", "globe_temp_c"):
        bad.append((topic, rec(**{field: {"v": 1}}), "holds a dict"))
        bad.append((topic, rec(**{field: [1, 2]}), "holds a list"))
    bad.append((topic, rec(sensor="S02"), "twice"))
    # rows the ingest QC quarantines (same checks as file ingest)
    changes: tuple[dict[str, Any], ...] = (
        {"air_temp_c": "warm"}, {"rel_humidity_pct": "high"}, {"wind_speed_m_s": "calm"},
        {"time": "not a time"}, {"time": "yesterday"}, {"time": "1800-01-01T00:00:00+09:00"},
        {"time": "2999-01-01T00:00:00+09:00"}, {"sensor_id": None}, {"time": None},
        {"sensor_id": "\ud800bad"}, {"sensor_id": "x" * 40_000}, {"level": 99999999999},
        {"level": "ground"}, {"time": "2026-06-01T00:00:00+25:00"}, {"lat": "north"},
        {"time": ""}, {"sensor_id": ""},
    )  # fmt: skip
    for i, kw in enumerate(changes):
        body = json.dumps({**ok, "time": f"2026-06-02T00:{i:02d}:00+09:00", **kw}).encode()
        bad.append((topic, body, ""))
    # unknown datastream / device in the other formats: see test_collect_formats
    for minute, value in ((50, True), (51, "1e999")):
        changed = {**ok, "time": f"2026-06-02T00:{minute}:00+09:00", "air_temp_c": value}
        bad.append((topic, json.dumps(changed).encode(), ""))
    bad.append((topic, b'{"time": "\\ud800"}', ""))
    return bad


def test_malformed_messages_quarantined_collector_keeps_running(
    tmp_path: Path, store_url: str
) -> None:
    """≥ 50 malformed messages: each quarantined with topic, payload digest and reason; the
    good messages around them are stored and the collector exits 0."""
    import hashlib

    with broker(tmp_path / "broker") as b:
        topic = "kaiteki/thermal/bad"
        bad = _malformed(topic)
        assert len(bad) >= 50
        good = [reading(i, "G1") for i in range(20)]
        total = len(bad) + len(good)
        proc, err = _collector(
            tmp_path, b.url, "kaiteki/thermal/#", "--max-messages", str(total),
            "--batch-size", "16", store=store_url,
        )  # fmt: skip
        _wait_text(err, "subscribed", proc)
        mixed: list[bytes] = []
        for i, (_, payload, _) in enumerate(bad):
            mixed.append(payload)
            if i < len(good):
                mixed.append(good[i])
        publish(b.port, topic, mixed)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.read_text()
    totals = json.loads(out)
    assert totals["messages"] == total
    from sensors.collect import collector_quarantine

    with Store(store_url, read_only=True) as s:
        stored = s.readings()
        q = collector_quarantine(s)
    assert sorted(stored["sensor_id"].unique()) == ["G1"] and len(stored) == 20
    assert len(q) == len(bad)
    assert (q["topic"] == topic).all()
    assert q["reason"].str.len().min() > 5
    assert set(q["payload_sha256"]) == {hashlib.sha256(p).hexdigest() for _, p, _ in bad}
    reasons = " | ".join(q["reason"])
    for _, _, fragment in bad:
        assert fragment in reasons


def test_publisher_resends_what_it_published_while_the_broker_was_away(tmp_path: Path) -> None:
    """The test publisher (sensors.collect.broker.publish) publishes on while the broker is
    down and returns once the restarted broker acknowledged every message (paho marks a
    message published without a connection as failed although it resends it)."""
    b = Broker(tmp_path / "broker")
    b.start()

    def payloads() -> Any:
        for i in range(60):
            if i == 20:
                b.stop()  # the next 20 are published without a connection
            if i == 40:
                b.start()
            yield reading(i, "P1")

    try:
        assert publish(b.port, "kaiteki/thermal/p", payloads(), client_id="away-publisher") == 60
    finally:
        b.stop()


@pytest.mark.slow
def test_kill9_campaign_no_loss_no_duplicates(tmp_path: Path) -> None:
    """kill -9 the collector ≥ 30 times while 100,000 messages stream in: exactly 100,000
    readings at the end. Each run is killed at a random moment after its first commit (so
    every run both stores and loses work in flight). The first and last runs are the command
    in a process of its own; the killed runs are the same command forked by a :class:`tests.forkserver.ForkServer`
    (same arguments and settings)."""
    n_messages, n_kills = 100_000, 30
    rng = random.Random(14)
    with broker(tmp_path / "broker") as b:
        forker = ForkServer(COLLECT_IMPORTS, _env(tmp_path))
        try:
            # the persistent session exists before the stream starts
            proc, err = _collector(tmp_path, b.url, "kaiteki/thermal/#", log="first")
            _wait_text(err, "subscribed", proc)
            _kill(proc)
            pub = _publisher(b.port, "kaiteki/thermal/k", n_messages, "K", 50)
            kills = 0
            while kills < n_kills:
                err = tmp_path / f"run{kills}.err"
                run = forker.run(
                    "tests.sensors.collect_support:collect_cli", "collect", "mqtt", "--broker", b.url, "--topic", "kaiteki/thermal/#",
                    "--no-area", "--client-id", "c1", "--json", "--batch-size", "1000",
                    "--batch-seconds", "0.2", stdout=os.devnull, stderr=err,
                )  # fmt: skip
                # at a random moment of the stream: while receiving, committing or acknowledging
                _wait_text(err, "batch 1:" if pub.poll() is None else "connected", run)
                time.sleep(rng.uniform(0.0, 0.5))
                run.kill()
                assert run.wait() == -signal.SIGKILL, err.read_text()
                kills += 1
        finally:
            forker.close()
        assert pub.wait(timeout=300) == 0
        proc, err = _collector(
            tmp_path, b.url, "kaiteki/thermal/#", "--once", "--idle-seconds", "3", log="last"
        )
        _out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.read_text()
    assert kills >= 30
    assert _count(tmp_path, "SELECT count(*) FROM readings") == n_messages
    assert _count(tmp_path, "SELECT count(DISTINCT (sensor_id, time)) FROM readings") == n_messages
    assert _count(tmp_path, "SELECT count(*) FROM collect_keys") == n_messages
    print(f"kill -9 campaign: {kills} kills, {n_messages} messages, "
          f"{n_messages} readings stored, 0 duplicates")  # fmt: skip


@pytest.mark.slow
def test_broker_restart_mid_stream_loses_nothing(tmp_path: Path) -> None:
    """The broker stops and starts again mid-stream: the collector reconnects, and every
    message the broker acknowledged to the publisher is stored exactly once."""
    n = 20_000
    b = Broker(tmp_path / "broker")
    b.start()
    try:
        proc, err = _collector(tmp_path, b.url, "kaiteki/thermal/#", "--batch-size", "500")
        _wait_text(err, "subscribed", proc)
        pub = _publisher(b.port, "kaiteki/thermal/r", n, "R", 10, client_id="restart-publisher")
        time.sleep(1.0)
        b.stop()
        time.sleep(0.5)
        b.start()
        assert pub.wait(timeout=300) == 0
        deadline = time.monotonic() + 300
        while (got := _count(tmp_path, "SELECT count(*) FROM readings")) < n:
            assert time.monotonic() < deadline, f"{got} of {n} stored: {err.read_text()[-2000:]}"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.read_text()
    finally:
        if b.proc is not None:
            b.proc.kill()
            b.proc.wait()
    totals = json.loads(out)
    assert totals["connects"] >= 2
    assert _count(tmp_path, "SELECT count(*) FROM readings") == n
    assert _count(tmp_path, "SELECT count(DISTINCT (sensor_id, time)) FROM readings") == n
    print(f"broker restart: {n} messages, {totals['connects']} connects, {n} readings stored")
