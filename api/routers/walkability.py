"""``GET /v1/walkability``: walkability scores per edge, census block or 100 m grid cell."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import ResourcesDep

router = APIRouter(prefix="/v1", tags=["walkability"])


@router.get("/walkability")
def walkability(
    res: ResourcesDep,
    level: Annotated[
        Literal["edge", "block", "grid"],
        Query(description="edge (street segments), block (census blocks) or grid (100 m mesh)."),
    ] = "block",
) -> dict[str, Any]:
    """
    Walkability as a GeoJSON FeatureCollection (lon/lat): reach within 400/800 m (m of street),
    link–node ratio, access to destinations within 5/10/15 min, and the composite index 0–100
    (see docs/WALKABILITY.md).
    """
    table = res.walkability()[{"edge": "edges", "block": "blocks", "grid": "grid"}[level]]
    doc = json.loads(table.to_json(na="null", drop_id=True))
    doc["properties"] = {"level": level, "count": len(table), "index": "walkability (0–100)"}
    return doc
