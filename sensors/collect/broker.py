"""
A local Mosquitto broker (``mosquitto -c conf``) and a QoS 1 publisher, for ``make live``, the
collector tests and ``bench/collect.py``.

The broker listens on loopback only, with persistence on and no limit on the messages it queues
for a persistent session (``max_queued_messages 0``), so a collector that is down loses nothing;
a production broker needs the same two settings (docs/LIVE.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
    raise TimeoutError(
        f"the broker on 127.0.0.1:{port} did not come {'up' if up else 'down'} in "
        f"{timeout_s:g} s; is Debian's mosquitto installed (scripts/test-setup.sh)?"
    )


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
            "log_dest none\n" + ("user root\n" if os.geteuid() == 0 else "")
            # run as root, Mosquitto drops to the user 'mosquitto', who cannot write the
            # persistence file into a root-owned folder: the sessions would not survive a restart
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
    port: int,
    topic: str,
    payloads: Iterable[bytes | str],
    *,
    host: str = "127.0.0.1",
    client_id: str = "",
    inflight: int = 1000,
    window: int = 20_000,
    stall_s: float = 60.0,
) -> int:
    """
    Publish every payload with QoS 1 and return once the broker acknowledged all of them;
    reconnects (and resends what is unacknowledged) while the broker restarts.

    At most ``window`` messages wait for their acknowledgement at once (packet ids are 16-bit);
    :class:`TimeoutError` when no acknowledgement comes for ``stall_s`` seconds.
    """
    import collections

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
    c.connect(host, port)
    c.loop_start()
    pending: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
    sent = 0

    def acknowledged(info: mqtt.MQTTMessageInfo) -> bool:
        # a message published while the broker is away keeps rc NO_CONN, and is_published()
        # raises for it, although paho keeps it queued and sends it on reconnect: its
        # acknowledgement is what counts
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            info.rc = mqtt.MQTT_ERR_SUCCESS
        return info.is_published()

    def settle(limit: int) -> None:
        last = time.monotonic()
        while len(pending) > limit:
            if acknowledged(pending[0]):
                pending.popleft()
                last = time.monotonic()
            elif time.monotonic() - last > stall_s:
                raise TimeoutError(
                    f"no acknowledgement from the broker on port {port} for {stall_s:g} s"
                )
            else:
                time.sleep(0.002)

    try:
        for p in payloads:
            settle(window - 1)
            pending.append(c.publish(topic, p, qos=1))
            sent += 1
        settle(0)
        return sent
    finally:
        c.disconnect()
        c.loop_stop()
