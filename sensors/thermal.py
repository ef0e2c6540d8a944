"""
Adapter for thermal-environment readings (CSV or JSON Lines) and the sensor registry.

Formats: docs/DATA_FORMATS.md ("Thermal readings"). The kinds are the adapters
:mod:`sensors.kinds.thermal` (spec :data:`THERMAL`) and :mod:`sensors.kinds.sensors` (spec
:data:`SENSORS`); parsing, QC and storage run in :mod:`sensors.ingest`. The readers here parse a file into a throwaway in-memory
store and return the frames a notebook would get from the real store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sensors.kinds.sensors import SENSORS
from sensors.kinds.thermal import THERMAL

__all__ = ["SENSORS", "THERMAL", "read_readings", "read_sensor_registry"]


def read_readings(
    path: str | Path, registry: str | Path | None = None, area: Any = None
) -> pd.DataFrame:
    """
    Parse and QC a readings file without a persistent store.

    Parameters
    ----------
    path
        Readings CSV or ``.jsonl``.
    registry
        Optional sensor registry CSV (locations, installation dates).
    area
        Optional planning area (EPSG:6680) for the outside-area test.

    Returns
    -------
    pandas.DataFrame
        As :meth:`sensors.store.Store.readings` (``qc_flags`` bitmask per row).
    """
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with Store(":memory:") as store:
        if registry is not None:
            ingest_file(store, "sensors", registry)
        ingest_file(store, "thermal", path, area=area)
        return store.readings()


def read_sensor_registry(path: str | Path) -> pd.DataFrame:
    """Parse a sensor registry CSV (see docs/DATA_FORMATS.md) into a GeoDataFrame."""
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with Store(":memory:") as store:
        ingest_file(store, "sensors", path)
        return store.sensors()
