"""Errors of the SensorThings server engine and client (``sensors.sta``)."""

from __future__ import annotations

from sensors.errors import SensorsError


class StaQueryError(SensorsError, ValueError):
    """A SensorThings request has an unusable path or query option (HTTP 400)."""


class StaNotFoundError(SensorsError, LookupError):
    """A SensorThings entity or navigation target does not exist (HTTP 404)."""


class StaClientError(SensorsError, RuntimeError):
    """A SensorThings server could not be read (refused, failing, looping or malformed)."""
