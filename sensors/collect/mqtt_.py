"""
The MQTT collector: subscribe, micro-batch, commit, then acknowledge (paho-mqtt 2.x).

- MQTT 5, QoS 1, a **persistent session**: a fixed client id, ``clean_start=False`` and a
  session expiry, so the broker keeps the subscription and queues messages while the collector
  is down (the broker must keep them: Mosquitto ``persistence true`` and
  ``max_queued_messages`` large enough, docs/LIVE.md);
- **manual acknowledgements**: a message is acknowledged (PUBACK) only after the micro-batch
  holding it is committed to the store (:func:`sensors.collect.batch.commit_batch`), so a crash
  at any moment loses nothing that was acknowledged; what was committed but not acknowledged
  comes again and adds nothing (idempotency keys);
- micro-batches by count (``batch_size``) and by time (``batch_seconds``); the store is opened
  when a batch is due and kept open only while batches follow each other (at most ``hold_s``
  seconds), so other writers and readers of the DuckDB file get turns;
- reconnects with exponential backoff (paho's network thread); messages received on an earlier
  connection are stored but never acknowledged on the new one (their packet ids may be reused:
  the broker sends them again, and they add nothing);
- a graceful stop (:meth:`Collector.stop`, SIGTERM in the CLI): the pending batch is committed
  and acknowledged, then the client disconnects.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sensors.collect.batch import BatchReport, Received, commit_batch, now_utc
from sensors.collect.errors import BrokerError

log = logging.getLogger("kaiteki.collect")

#: Session kept by the broker while the collector is away (s): one week.
SESSION_EXPIRY_S = 7 * 24 * 3600

#: Unacknowledged QoS 1 messages the broker may send at once (MQTT 5 Receive Maximum).
RECEIVE_MAXIMUM = 65_535


def parse_broker_url(url: str) -> tuple[str, int, str | None, str | None, bool]:
    """
    Host, port, user, password and TLS of ``mqtt://[user:pass@]HOST[:PORT]`` (``mqtts://``
    for TLS; default ports 1883 and 8883).

    Examples
    --------
    >>> parse_broker_url("mqtt://127.0.0.1:1884")
    ('127.0.0.1', 1884, None, None, False)
    >>> parse_broker_url("mqtts://u:p%40ss@broker.example")
    ('broker.example', 8883, 'u', 'p@ss', True)
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise BrokerError(
            f"broker URL {url!r} is not mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; set "
            "--broker or KAITEKI_MQTT_URL."
        )
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise BrokerError(f"broker URL {url!r}: the port is not a number.") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, port, user, password, tls


@dataclass
class CollectorConfig:
    """What to subscribe to, how to batch, and where to store."""

    broker_url: str
    topic: str
    store_path: Path | str
    kind: str = "thermal"
    fmt: str = "kaiteki"
    mapping: Mapping[str, Any] | None = None
    client_id: str = "kaiteki-collector"
    batch_size: int = 2_000
    batch_seconds: float = 1.0
    once: bool = False
    idle_seconds: float = 2.0
    max_messages: int | None = None
    store_wait_s: float = 10.0
    hold_s: float = 5.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    area: Any = None
    pseudonym_key: str | bytes | None = None


@dataclass
class CollectStats:
    """Totals of one collector run."""

    messages: int = 0
    batches: int = 0
    stored: int = 0
    flagged: int = 0
    quarantined: int = 0
    rejected: int = 0
    duplicates: int = 0
    connects: int = 0
    seconds: float = 0.0
    #: from the first message received to the last batch committed (s)
    busy_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, r: BatchReport) -> None:
        """Add one batch's counts."""
        self.messages += r.messages
        self.batches += 1
        self.stored += r.stored
        self.flagged += r.flagged
        self.quarantined += r.quarantined
        self.rejected += r.rejected
        self.duplicates += r.duplicates
        self.notes = (self.notes + r.notes)[-20:]


@dataclass(frozen=True)
class _Pending:
    generation: int
    mid: int
    qos: int
    msg: Received


class Collector:
    """
    One collector process's client and loop (see the module docstring).

    Parameters
    ----------
    config
        Broker, topic, batching and store.
    on_event
        Called with a short text at connects, disconnects and batches (the CLI prints it).
    after_batch
        Called with the store path after each committed batch that stored rows (the field
        update of ``--update-field``).
    """

    def __init__(
        self,
        config: CollectorConfig,
        on_event: Callable[[str], None] | None = None,
        after_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self.config = config
        self.stats = CollectStats()
        self._say = on_event or (lambda _text: None)
        self._after = after_batch
        self._queue: collections.deque[_Pending] = collections.deque()
        self._arrived = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self._subscribed = threading.Event()
        self._last_message = time.monotonic()
        self._first_message: float | None = None
        self._store: Any = None
        self._store_opened = 0.0
        self._client = self._make_client()

    # -- client -----------------------------------------------------------------------------

    def _make_client(self) -> Any:
        import paho.mqtt.client as mqtt

        cfg = self.config
        host, port, user, password, tls = parse_broker_url(cfg.broker_url)
        self._host, self._port = host, port
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if user is not None:
            client.username_pw_set(user, password)
        if tls:
            client.tls_set()
        client.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)  # type: ignore[arg-type]
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._say(f"broker {self._host}:{self._port} refused the connection: {reason}")
            return
        self._generation += 1
        self.stats.connects += 1
        self._say(
            f"connected to {self._host}:{self._port} (session "
            f"{'resumed' if flags.session_present else 'new'}); subscribing to "
            f"{self.config.topic!r} (QoS 1)"
        )
        client.subscribe(self.config.topic, qos=1)

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            self._say(f"the broker refused the subscription to {self.config.topic!r}: {reasons}")
            return
        self._last_message = time.monotonic()
        self._subscribed.set()
        self._say(f"subscribed to {self.config.topic!r}")

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._subscribed.clear()
        if not self._stop.is_set():
            self._say(f"disconnected ({reason}); reconnecting with backoff")

    def _on_message(self, _c: Any, _u: Any, message: Any) -> None:
        received = Received(message.topic, bytes(message.payload), now_utc())
        self._queue.append(_Pending(self._generation, message.mid, message.qos, received))
        self._last_message = time.monotonic()
        if self._first_message is None:
            self._first_message = self._last_message
        if len(self._queue) >= self.config.batch_size:
            self._arrived.set()

    # -- loop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to commit what it holds, acknowledge it and return (thread-safe)."""
        self._stop.set()
        self._arrived.set()

    def run(self) -> CollectStats:
        """
        Collect until :meth:`stop`, ``max_messages`` handled, or (``once``) no message for
        ``idle_seconds``.

        Returns
        -------
        CollectStats
        """
        cfg = self.config
        t0 = time.monotonic()
        import sensors.ingest  # noqa: F401  (the data stack loads before messages arrive)

        self._client.connect_async(
            self._host, self._port, keepalive=30, clean_start=False,
            properties=self._connect_properties(),
        )  # fmt: skip
        self._client.loop_start()
        try:
            first_at: float | None = None
            while True:
                self._arrived.wait(timeout=min(0.05, cfg.batch_seconds))
                self._arrived.clear()
                now = time.monotonic()
                if self._queue and first_at is None:
                    first_at = now
                due = len(self._queue) >= cfg.batch_size or (
                    first_at is not None and now - first_at >= cfg.batch_seconds
                )
                if self._stop.is_set() or self._limit_reached() or self._idle(now):
                    self._flush()
                    break
                if due:
                    self._flush()
                    first_at = now if self._queue else None
                if self._limit_reached():
                    break
        finally:
            self._stop.set()
            self._client.disconnect()
            self._client.loop_stop()
            self.stats.seconds = time.monotonic() - t0
        return self.stats

    def _connect_properties(self) -> Any:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        return props

    def _limit_reached(self) -> bool:
        m = self.config.max_messages
        return m is not None and self.stats.messages >= m

    def _idle(self, now: float) -> bool:
        return (
            self.config.once
            and self._subscribed.is_set()
            and not self._queue
            and now - self._last_message >= self.config.idle_seconds
        )

    def _take(self) -> list[_Pending]:
        n = self.config.batch_size
        if self.config.max_messages is not None:
            n = min(n, self.config.max_messages - self.stats.messages)
        out: list[_Pending] = []
        while self._queue and len(out) < n:
            out.append(self._queue.popleft())
        return out

    def _flush(self) -> None:
        """Commit the pending messages in batches, then acknowledge them. The store stays open
        while batches follow each other, for at most ``hold_s`` seconds, and is closed as soon
        as the queue is empty, so other processes get their turn."""
        from sensors.store import Store

        try:
            while self._queue and not self._limit_reached():
                batch = self._take()
                if not batch:
                    return
                if self._store is None:
                    self._store = Store(self.config.store_path, wait_s=self.config.store_wait_s)
                    self._store_opened = time.monotonic()
                report = commit_batch(
                    self._store, [p.msg for p in batch], kind=self.config.kind,
                    fmt=self.config.fmt, mapping=self.config.mapping,
                    source=f"mqtt:{self.config.topic}", area=self.config.area,
                    pseudonym_key=self.config.pseudonym_key,
                )  # fmt: skip
                if not self._queue or time.monotonic() - self._store_opened >= self.config.hold_s:
                    self._release()
                self._acknowledge(batch, report)
        finally:
            self._release()

    def _release(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _acknowledge(self, batch: list[_Pending], report: BatchReport) -> None:
        """Acknowledge a committed batch (in arrival order, on this connection) and count it."""
        current = self._generation
        for p in batch:
            if p.qos > 0 and p.generation == current:
                self._client.ack(p.mid, p.qos)
        self.stats.add(report)
        if self._first_message is not None:
            self.stats.busy_seconds = time.monotonic() - self._first_message
        self._say(
            f"batch {self.stats.batches}: {report.messages} messages, {report.stored} rows "
            f"stored ({report.flagged} flagged), {report.quarantined} rows quarantined, "
            f"{report.rejected} messages refused, {report.duplicates} duplicates skipped"
        )
        if self._after is not None and report.stored:
            self._release()  # the field update opens the store itself
            self._after(report)
