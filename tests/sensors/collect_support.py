"""
Helpers of the collector tests and bench: a Mosquitto broker of their own on a free loopback
port (persistence on, unlimited queues for the persistent session), and a QoS 1 publisher.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Debian's broker (scripts/test-setup.sh installs it).
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, up: bool, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                ok = True
        except OSError:
            ok = False
        if ok == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"broker on port {port} did not come {'up' if up else 'down'}")


class Broker:
    """A Mosquitto process started with ``mosquitto -c conf`` (persistence in ``folder``)."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_queued_bytes 0\n"
            "max_inflight_messages 0\n"
            "log_dest none\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)])
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        """A clean stop (SIGTERM: the broker saves its persistence file)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
            self.proc = None
            _wait_port(self.port, up=False)


@contextmanager
def broker(folder: Path) -> Iterator[Broker]:
    """A running broker of one's own, stopped at the end."""
    b = Broker(folder)
    b.start()
    try:
        yield b
    finally:
        if b.proc is not None:
            b.proc.kill()
            b.proc.wait()


def publish(
    url_port: int, topic: str, payloads: Iterable[bytes | str], *, client_id: str = "",
    inflight: int = 1000, retry_s: float = 60.0,
) -> int:  # fmt: skip
    """
    Publish every payload with QoS 1 and wait until the broker acknowledged all of them;
    reconnects (and resends the unacknowledged) while the broker restarts.
    """
    import paho.mqtt.client as mqtt

    c = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=not client_id,
    )
    c.max_inflight_messages_set(inflight)
    c.max_queued_messages_set(0)
    c.reconnect_delay_set(1, 2)
    c.connect("127.0.0.1", url_port)
    c.loop_start()
    try:
        infos = [c.publish(topic, p, qos=1) for p in payloads]
        deadline = time.monotonic() + retry_s
        for info in infos:
            while not info.is_published():
                if time.monotonic() > deadline:
                    raise TimeoutError("the broker did not acknowledge every message")
                time.sleep(0.01)
        return len(infos)
    finally:
        c.disconnect()
        c.loop_stop()


def reading(i: int, sensor: str = "S01", *, base: str = "2026-06-01T00:00:00+09:00") -> bytes:
    """The ``i``-th plausible reading of ``sensor``, one per minute from ``base``: a smooth
    daily cycle with a small deterministic jitter (so the QC series tests pass)."""
    import math

    import pandas as pd

    t = pd.Timestamp(base) + pd.Timedelta(minutes=i)
    day = math.sin(2 * math.pi * (i % 1440) / 1440)

    def jitter(k: int) -> float:
        return math.sin(i * 12.9898 + k * 78.233) * 0.2

    air = 18 + 4 * day + jitter(1)
    rec: dict[str, Any] = {
        "time": t.isoformat(), "sensor_id": sensor, "lat": 43.0621, "lon": 141.3544,
        "air_temp_c": round(air, 2), "rel_humidity_pct": round(60 - 10 * day + 5 * jitter(2), 1),
        "wind_speed_m_s": round(1.5 + jitter(3) * 3, 2), "globe_temp_c": round(air + 3 + jitter(4), 2),
    }  # fmt: skip
    return json.dumps(rec).encode()
