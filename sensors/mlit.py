"""
Adapter for the MLIT people-flow open data: mean daily stay population per JIS 1 km mesh.

Each GeoJSON feature is one 3rd-order (1 km) mesh with ``mesh1kmid``, ``citycode`` and one field
per month, day type and time band named ``YYYYMMdXtY``: ``d0`` holidays, ``d1`` weekdays, ``d2``
all days; ``t0`` daytime 11–14 h, ``t1`` night 1–4 h, ``t2`` all day.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from shapely.geometry import Polygon, box

from sensors.errors import FileFormatError

#: Day-type and time-band codes of the field names.
DAY_TYPES: dict[str, str] = {"0": "holiday", "1": "weekday", "2": "all"}
TIME_BANDS: dict[str, str] = {"0": "day", "1": "night", "2": "all"}

FIELD_RE = re.compile(r"^(\d{4})(\d{2})d([0-2])t([0-2])$")


def mesh_polygon(mesh_id: str) -> Polygon:
    """
    The square (lon/lat, WGS 84) of a JIS X 0410 3rd-order (1 km) mesh code.

    Examples
    --------
    >>> [round(v, 4) for v in mesh_polygon("64414245").bounds]
    [141.3125, 43.0333, 141.325, 43.0417]
    """
    code = str(mesh_id)
    if not re.fullmatch(r"\d{8}", code):
        raise FileFormatError(
            f"mesh code {mesh_id!r} is not a JIS 3rd-order (1 km) mesh code of 8 digits."
        )
    p, r, t, u, v, w = (
        int(code[0:2]),
        int(code[2:4]),
        int(code[4]),
        int(code[5]),
        *map(int, code[6:8]),
    )
    lat0 = p / 1.5 + t / 12 + v / 120
    lon0 = r + 100 + u / 8 + w / 80
    return box(lon0, lat0, lon0 + 1 / 80, lat0 + 1 / 120)


def read_mesh_stay(path: str | Path) -> tuple[pd.DataFrame, list[dict]]:
    """
    Read the MLIT mesh GeoJSON in long form.

    Parameters
    ----------
    path
        ``mlit_peopleflow_1km_sapporo_downtown.geojson`` or a file of the same layout.

    Returns
    -------
    pandas.DataFrame, list of dict
        One row per mesh, month, day type and time band: ``mesh_id``, ``city_code``,
        ``month`` (first day of the month, text ``YYYY-MM-01``), ``day_type``, ``time_band``,
        ``stay_population`` (text as found), ``line`` (1-based feature number); and the
        problems that stop a value being stored (``line``, ``field``, ``reason``, ``raw``).

    Raises
    ------
    FileFormatError
        Not a GeoJSON FeatureCollection.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(
            f"{path.name}: not valid GeoJSON ({exc}); expected the MLIT FeatureCollection."
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise FileFormatError(
            f"{path.name}: expected a GeoJSON FeatureCollection with 'features'; got "
            f"{type(doc).__name__}."
        )
    rows: list[dict] = []
    problems: list[dict] = []
    for i, feat in enumerate(doc["features"], start=1):
        props = (feat or {}).get("properties") or {}
        mesh = props.get("mesh1kmid")
        fields = {k: v for k, v in props.items() if FIELD_RE.match(str(k))}
        if mesh is None or not re.fullmatch(r"\d{8}", str(mesh)):
            for k, v in fields.items() or {"mesh1kmid": None}.items():
                problems.append(
                    {
                        "line": i,
                        "field": "mesh1kmid",
                        "reason": f"feature {i}: mesh1kmid {mesh!r} is not an 8-digit JIS mesh "
                        "code; the value cannot be placed",
                        "raw": json.dumps({"mesh1kmid": mesh, k: v}, ensure_ascii=False),
                    }
                )
            continue
        for k, v in fields.items():
            m = FIELD_RE.match(k)
            assert m is not None
            yyyy, mm, d, t = m.groups()
            rows.append(
                {
                    "mesh_id": str(mesh),
                    "city_code": None if props.get("citycode") is None else str(props["citycode"]),
                    "month": f"{yyyy}-{mm}-01",
                    "day_type": DAY_TYPES[d],
                    "time_band": TIME_BANDS[t],
                    "stay_population": None if v is None else str(v),
                    "line": i,
                }
            )
    cols = ["mesh_id", "city_code", "month", "day_type", "time_band", "stay_population", "line"]
    return pd.DataFrame(rows, columns=cols), problems
