"""
The landmarks of the citizens' map: stations, Odori Park blocks, towers, the Susukino crossing,
the walkways and the Sōsei River, as an offline labelled base layer.

The embedded file ``sensors/data/landmarks.geojson`` places each one on the 2015 census block
grid (``source`` says how; every position is flagged ``approximate``, about ±30 m).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sensors.errors import AreaError

LANDMARKS_FILE = Path(__file__).resolve().parent / "data" / "landmarks.geojson"

#: Properties every landmark must have.
REQUIRED = ("kind", "name_ja", "name_en", "source", "approximate")


@cache
def load_landmarks(path: Path = LANDMARKS_FILE) -> dict[str, Any]:
    """
    The landmarks as a GeoJSON FeatureCollection (lon/lat).

    Raises
    ------
    AreaError
        A feature lacks one of :data:`REQUIRED` properties.
    """
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    for i, f in enumerate(data["features"]):
        missing = [k for k in REQUIRED if k not in f.get("properties", {})]
        if missing:
            raise AreaError(
                f"{path}: feature {i} lacks {', '.join(missing)}; give every landmark "
                f"{', '.join(REQUIRED)}"
            )
    return data
