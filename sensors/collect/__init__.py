"""
Live collection: readings published over MQTT, stored exactly once with the ingest QC.

- :mod:`sensors.collect.formats`: message bodies (kaiteki JSON, The Things Stack uplinks,
  SensorThings observations) → reading parts with idempotency keys;
- :mod:`sensors.collect.batch`: one micro-batch → the store in one transaction (rows, keys,
  refused messages);
- :mod:`sensors.collect.mqtt_`: the paho-mqtt client loop (persistent session, QoS 1, manual
  acknowledgements after commit, reconnect with backoff, graceful stop).

``kaiteki collect mqtt`` (api/cli/collect.py) runs it; docs/LIVE.md explains the deployment.
"""

from __future__ import annotations

from sensors.collect.batch import BatchReport, Received, collector_quarantine, commit_batch
from sensors.collect.errors import BrokerError, MappingError, MessageError
from sensors.collect.formats import FORMATS, TTN_MAPPING, decode, load_mapping

__all__ = [
    "FORMATS",
    "TTN_MAPPING",
    "BatchReport",
    "BrokerError",
    "MappingError",
    "MessageError",
    "Received",
    "collector_quarantine",
    "commit_batch",
    "decode",
    "load_mapping",
]
