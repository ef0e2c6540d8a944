"""
Helpers of the collector tests: the broker and publisher of :mod:`sensors.collect.broker`, and
plausible readings.
"""

from __future__ import annotations

import json
from typing import Any

from sensors.collect.broker import Broker, broker, free_port, publish

__all__ = ["Broker", "broker", "free_port", "publish", "reading"]


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


def collect_cli(*args: str) -> None:
    """``kaiteki ARGS`` in a CLI holding only the ``collect`` group (a fork server ``call``)."""
    import sys

    import typer

    from api.cli import collect
    from api.cli._errors import run_with_clear_errors

    sys.argv = ["kaiteki", *args]
    app = typer.Typer()
    collect.register(app)
    run_with_clear_errors(app)
