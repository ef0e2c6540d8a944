"""``GET /v1/area``: the planning area and a summary of the walking network."""

from __future__ import annotations

from typing import Any

import shapely
from fastapi import APIRouter

from api.deps import ResourcesDep
from comfort import network

router = APIRouter(prefix="/v1", tags=["area"])


@router.get("/area")
def area(res: ResourcesDep) -> dict[str, Any]:
    """The planning area (GeoJSON geometry, lon/lat), its figures and the network summary."""
    G = res.graph()
    pa = res.planning_area()
    props = {
        k: (None if v is None or v != v else v)
        for k, v in pa.drop(columns="geometry").iloc[0].to_dict().items()
    }
    geom = pa.to_crs("EPSG:4326").geometry.iloc[0]
    return {
        "planning_area": props,
        "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-6)),
        "network": network.summary(G, float(pa.geometry.iloc[0].area)),
        "source": G.graph.get("source"),
        "crs": G.graph.get("crs"),
    }
