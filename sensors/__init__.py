"""
Data in for kaiteki: one adapter per source format, quality control, the DuckDB store,
simulators, and loading of the planning area and walking network.

Convenience loaders for notebooks (imports are lazy, so ``import sensors`` stays light)::

    import sensors
    df = sensors.load_readings("var/kaiteki.duckdb", start="2022-01-01", end="2022-02-01")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "load_counts",
    "load_dwell",
    "load_files",
    "load_mesh_stay",
    "load_quarantine",
    "load_readings",
    "load_sensors",
    "load_steps",
    "load_survey",
    "load_weather",
]


def _call(store_path: str | Path, method: str, *args: Any, **kwargs: Any) -> Any:
    from sensors.store import Store

    with Store(store_path, read_only=True) as store:
        return getattr(store, method)(*args, **kwargs)


def load_readings(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Thermal readings from the store file; see :meth:`sensors.store.Store.readings`."""
    return _call(store_path, "readings", *args, **kwargs)


def load_sensors(store_path: str | Path) -> Any:
    """The sensor registry (GeoDataFrame); see :meth:`sensors.store.Store.sensors`."""
    return _call(store_path, "sensors")


def load_counts(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """People counts; see :meth:`sensors.store.Store.counts`."""
    return _call(store_path, "counts", *args, **kwargs)


def load_dwell(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Dwell counts; see :meth:`sensors.store.Store.dwell`."""
    return _call(store_path, "dwell", *args, **kwargs)


def load_mesh_stay(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """MLIT mesh stay population (GeoDataFrame); see :meth:`sensors.store.Store.mesh_stay`."""
    return _call(store_path, "mesh_stay", *args, **kwargs)


def load_steps(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Step counts (pseudonymised); see :meth:`sensors.store.Store.steps`."""
    return _call(store_path, "steps", *args, **kwargs)


def load_survey(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Questionnaire responses (GeoDataFrame); see :meth:`sensors.store.Store.survey`."""
    return _call(store_path, "survey", *args, **kwargs)


def load_weather(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Reference daily weather; see :meth:`sensors.store.Store.weather`."""
    return _call(store_path, "weather", *args, **kwargs)


def load_files(store_path: str | Path) -> Any:
    """Every ingested file with its counts; see :meth:`sensors.store.Store.files`."""
    return _call(store_path, "files")


def load_quarantine(store_path: str | Path, *args: Any, **kwargs: Any) -> Any:
    """Quarantined rows; see :meth:`sensors.store.Store.quarantine`."""
    return _call(store_path, "quarantine", *args, **kwargs)
