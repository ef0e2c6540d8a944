"""Errors of the MQTT collector."""

from __future__ import annotations

from sensors.errors import SensorsError


class MessageError(SensorsError, ValueError):
    """A message that cannot become readings (bad JSON, unknown device ...): it is quarantined."""


class MappingError(SensorsError, ValueError):
    """A TTN or SensorThings mapping file that is missing or malformed."""


class BrokerError(SensorsError, ConnectionError):
    """The broker URL is malformed, or the broker refused the connection for good."""
