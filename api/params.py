"""
Typed query parameters shared by the routes, so that FastAPI validates them and the OpenAPI
schema lists their allowed values: a bad value is a 422 with FastAPI's error body.

``lon,lat`` points are plain strings in the schema, parsed by :func:`parse_lonlat` in the route
(a sub-dependency per point costs ``GET /v1/route`` about 3 % of its time).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from fastapi.exceptions import RequestValidationError

from comfort.routing import Mode

__all__ = [
    "FromQuery",
    "HourQuery",
    "Mode",
    "ModeQuery",
    "Season",
    "ToQuery",
    "YearQuery",
    "parse_lonlat",
]

#: Seasons of the comfort field aggregates (December–February is DJF).
Season = Literal["DJF", "MAM", "JJA", "SON"]

#: The routing mode (:data:`comfort.routing.MODES`).
ModeQuery = Annotated[Mode, Query(description="Routing mode.")]

#: An hour of the day (JST).
HourQuery = Annotated[int, Query(ge=0, le=23, description="Hour of day (JST), 0..23.")]

#: The start of a route or isochrone, ``lon,lat`` (:func:`parse_lonlat`).
FromQuery = Annotated[
    str,
    Query(alias="from", description="Start as lon,lat (degrees).", examples=["141.3504,43.0674"]),
]

#: The destination of a route, ``lon,lat`` (:func:`parse_lonlat`).
ToQuery = Annotated[
    str, Query(description="Destination as lon,lat (degrees).", examples=["141.3536,43.0555"])
]

#: A year of the comfort field.
YearQuery = Annotated[int, Query(ge=1900, le=2100, description="Year of the comfort field.")]


def parse_lonlat(text: str, name: str) -> tuple[float, float]:
    """
    ``"lon,lat"`` as two floats in degrees.

    Raises
    ------
    fastapi.exceptions.RequestValidationError
        Not two numbers, or outside -180..180, -90..90 (a 422 naming the parameter).

    Examples
    --------
    >>> parse_lonlat("141.3504,43.0674", "from")
    (141.3504, 43.0674)
    """
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError:
        lon, lat = float("nan"), float("nan")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", name),
                    "msg": f"{name} must be lon,lat in degrees (lon -180..180, lat -90..90), "
                    f"e.g. 141.3504,43.0674; got {text!r}",
                    "input": text,
                }
            ]
        )
    return lon, lat
