"""``GET /v1/comfort``: thermal comfort of every street segment for a time, as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any

import geopandas as gpd
import numpy as np
from fastapi import APIRouter, Query

from api.clock import parse_at, same_time_in
from api.deps import ResourcesDep, SettingsDep
from api.errors import BadRequestError, NotFoundError, NotPreparedError
from api.params import HourQuery, Season, YearQuery
from comfort import indices
from comfort.conditions import comfort_and_labels

router = APIRouter(prefix="/v1", tags=["comfort"])


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """
    ``"min_lon,min_lat,max_lon,max_lat"`` as floats (or None).

    Examples
    --------
    >>> parse_bbox("141.34,43.05,141.36,43.07")
    (141.34, 43.05, 141.36, 43.07)
    """
    if text is None:
        return None
    try:
        a, b, c, d = (float(p) for p in text.split(","))
    except ValueError:
        raise BadRequestError(
            f"bbox must be min_lon,min_lat,max_lon,max_lat in degrees; got {text!r}"
        ) from None
    if not (a < c and b < d):
        raise BadRequestError(f"bbox {text!r} is empty: min must be below max for lon and lat")
    return a, b, c, d


def comfort_features(
    seg: gpd.GeoDataFrame,
    utci_c: np.ndarray,
    edge_ids: np.ndarray,
    bbox: tuple[float, float, float, float] | None,
) -> list[dict[str, Any]]:
    """
    GeoJSON features of the segments (lon/lat table) with their UTCI, category and comfort
    score.
    """
    pos = {int(e): i for i, e in enumerate(edge_ids)}
    if bbox is not None:
        seg = seg.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
    comfort, labels = comfort_and_labels(np.asarray(utci_c, dtype=np.float64))
    codes = np.full(len(utci_c), indices.MISSING_CODE)
    ok = np.isfinite(utci_c)
    codes[ok] = indices.utci_category(np.asarray(utci_c)[ok])
    feats = []
    for sid, row in zip(seg.index, seg.itertuples(), strict=True):
        i = pos.get(int(sid))
        u = None if i is None or not np.isfinite(utci_c[i]) else round(float(utci_c[i]), 1)
        feats.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(c) for c in row.geometry.coords],
                },
                "properties": {
                    "segment_id": int(sid),
                    "kind": row.kind,
                    "name": row.name if isinstance(row.name, str) else "",
                    "utci_c": u,
                    "utci_category": None if i is None else int(codes[i]),
                    "category": "no data" if i is None else str(labels[i]),
                    "comfort": None if i is None or u is None else round(float(comfort[i]), 3),
                },
            }
        )
    return feats


@router.get("/comfort")
def comfort(
    res: ResourcesDep,
    settings: SettingsDep,
    time: Annotated[
        str | None,
        Query(
            description="ISO 8601 date-time (JST when no zone); default now's date and hour "
            "in the demo year."
        ),
    ] = None,
    bbox: Annotated[
        str | None, Query(description="min_lon,min_lat,max_lon,max_lat (degrees).")
    ] = None,
    season: Annotated[
        Season | None,
        Query(description="Mean of that season (with hour) instead of time."),
    ] = None,
    hour: HourQuery | None = None,
    year: YearQuery | None = None,
) -> dict[str, Any]:
    """
    UTCI (°C), UTCI stress category and comfort score (0..1) of every street segment, as a
    GeoJSON FeatureCollection, for one hour of the comfort field or a season × hour mean.

    ``properties.conditions`` says where the field hour, snow depth and weather came from
    (for a time outside the built fields: the same date and hour of the nearest built year;
    docs/CONDITIONS.md).
    """
    box = parse_bbox(bbox)
    if season is not None or hour is not None:
        if season is None or hour is None:
            raise BadRequestError(
                f"season (DJF, MAM, JJA or SON) and hour (0..23) go together; "
                f"got season={season!r}, hour={hour!r}"
            )
        if year is not None and not res.has_field(year):
            built = ", ".join(str(y) for y in res.stored_fields().years()) or "none"
            raise NotFoundError(
                f"no comfort field for {year} (built: {built}); pick a built year or build it "
                f"with `kaiteki comfort build --year {year}`"
            )
        y = year or settings.demo_year
        agg = res.season_hour(y)
        utci = np.asarray(agg["utci_c"].sel(season=season, hour=hour).to_numpy(), dtype=float)
        ids = np.asarray(agg["edge"].to_numpy())
        when: dict[str, Any] = {"year": y, "season": season, "hour": hour, "aggregation": "mean"}
        cond = res.season_conditions(y, season, hour)
    else:
        local = parse_at(time, same_time_in(settings.demo_year))
        cond = res.conditions(local)
        if cond.edge_ids is None or cond.utci_c is None:
            res.edge_utci(local.year, local)  # raises why: field not built, or hour outside it
            raise NotPreparedError(f"no comfort field for {local:%Y-%m-%d %H:%M} JST")
        ids, utci = cond.edge_ids, cond.utci_c
        when = {"time": local.isoformat(), "time_zone": "Asia/Tokyo"}
    feats = comfort_features(res.segments_lonlat(), utci, ids, box)
    return {
        "type": "FeatureCollection",
        "features": feats,
        "properties": {
            **when,
            "simulated": cond.simulated,
            "conditions": cond.to_dict(),
            "count": len(feats),
            "categories": [
                {
                    "code": c.code,
                    "name_en": c.name_en,
                    "name_ja": c.name_ja,
                    "lower_c": None if not np.isfinite(c.lower_c) else c.lower_c,
                    "upper_c": None if not np.isfinite(c.upper_c) else c.upper_c,
                    "colour": c.colour,
                }
                for c in indices.UTCI_CATEGORIES
            ],
        },
    }


@router.get("/comfort/index")
def comfort_index(
    ta: Annotated[float, Query(ge=-100, le=150, description="Air temperature (°C).")],
    rh: Annotated[float, Query(ge=0, le=100, description="Relative humidity (%).")],
    wind: Annotated[float, Query(ge=0, le=100, description="Wind speed (m/s) at wind_height.")],
    mrt: Annotated[
        float | None, Query(ge=-100, le=150, description="Mean radiant temperature (°C).")
    ] = None,
    globe: Annotated[
        float | None,
        Query(ge=-100, le=150, description="Globe temperature (°C), 0.15 m globe; not with mrt."),
    ] = None,
    wind_height: Annotated[
        float, Query(ge=0.1, le=500, description="Height (m) of the wind reading.")
    ] = 10.0,
) -> dict[str, Any]:
    """
    UTCI (°C) and its category (ja/en), outdoor WBGT, globe temperature, MRT and wind chill
    of one point, with validity flags: the same function as ``kaiteki comfort index --json``
    (docs/INDICES.md, "Calculator"). Give exactly one of ``mrt`` and ``globe``.
    """
    if (mrt is None) == (globe is None):
        raise BadRequestError(
            f"give exactly one of mrt and globe (°C); got mrt={mrt}, globe={globe}"
        )
    result = indices.thermal_indices(
        ta, rh, wind, mrt_c=mrt, globe_temp_c=globe, wind_height_m=wind_height
    )
    return result.to_dict()
