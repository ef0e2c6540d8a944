"""Street comfort on an offline folium map: each segment coloured by its UTCI stress category."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt

from comfort import indices
from comfort.advice import LEVEL_OF_CATEGORY
from maps.area import add_blocks
from maps.offline import offline_map

#: Colour of segments without an estimate.
NO_DATA_COLOUR = "#adb5bd"


def category_legend(lang: str = "en") -> list[dict[str, str]]:
    """The UTCI categories with label (in ``lang``), range text and colour, coldest first."""
    out = []
    for c in indices.UTCI_CATEGORIES:
        lo = "" if not np.isfinite(c.lower_c) else f"{c.lower_c:g}"
        hi = "" if not np.isfinite(c.upper_c) else f"{c.upper_c:g}"
        rng = f"> {lo}" if not hi else (f"≤ {hi}" if not lo else f"{lo}…{hi}")
        out.append(
            {
                "label": c.name_ja if lang == "ja" else c.name_en,
                "level": LEVEL_OF_CATEGORY[c.key],
                "range": f"{rng} °C",
                "colour": c.colour,
            }
        )
    return out


def segment_properties(
    segments: gpd.GeoDataFrame,
    edge_ids: npt.ArrayLike | None,
    utci_c: npt.ArrayLike | None,
    lang: str = "en",
    names: Mapping[int, str] | None = None,
) -> gpd.GeoDataFrame:
    """
    The segments (lon/lat) with ``utci_c``, ``category`` (label in ``lang``) and ``colour``;
    ``name`` from ``names`` (segment id → name in ``lang``) when given, else the table's.

    Segments missing from ``edge_ids`` or with NaN UTCI get "no data" and a grey colour.
    """
    seg = segments.to_crs("EPSG:4326")
    u = np.full(len(seg), np.nan)
    if edge_ids is not None and utci_c is not None:
        lookup = dict(
            zip(
                np.asarray(edge_ids).astype(int).tolist(),
                np.asarray(utci_c, float).tolist(),
                strict=True,
            )
        )
        u = np.array([lookup.get(int(s), np.nan) for s in seg.index], dtype=float)
    ok = np.isfinite(u)
    codes = np.full(len(seg), -1)
    if ok.any():
        codes[ok] = indices.utci_category(u[ok])
    cats = indices.UTCI_CATEGORIES
    no_data = "データなし" if lang == "ja" else "no data"
    label = [
        (cats[c].name_ja if lang == "ja" else cats[c].name_en) if c >= 0 else no_data for c in codes
    ]
    colour = [cats[c].colour if c >= 0 else NO_DATA_COLOUR for c in codes]
    if names is not None:
        name = [names.get(int(sid), "") for sid in seg.index]
    else:
        name = list(seg["name"].fillna("")) if "name" in seg else [""] * len(seg)
    return gpd.GeoDataFrame(
        {
            "segment_id": seg.index.to_numpy(),
            "kind": seg["kind"].to_numpy(),
            "name": list(name),
            "utci_c": np.round(u, 1),
            "category": label,
            "colour": colour,
        },
        geometry=seg.geometry.to_numpy(),
        crs="EPSG:4326",
    )


def comfort_map(
    segments: gpd.GeoDataFrame,
    edge_ids: npt.ArrayLike | None,
    utci_c: npt.ArrayLike | None,
    blocks: gpd.GeoDataFrame | None = None,
    *,
    lang: str = "en",
    tiles: str | None = None,
    simulated: bool = False,
    names: Mapping[int, str] | None = None,
) -> folium.Map:
    """
    A map of street comfort: every segment coloured by its UTCI stress category.

    Parameters
    ----------
    segments
        The segment table (index ``segment_id``), any CRS.
    edge_ids, utci_c
        Segment ids and their UTCI (°C) for one hour or a mean; None draws the network grey.
    blocks
        Census blocks drawn as the base layer when no tiles are configured.
    lang
        ``en`` or ``ja`` for the tooltips.
    tiles
        Optional tile URL template.
    simulated
        Mark the layer as computed from simulated readings (in its name and tooltip).
    names
        Street and walkway names in ``lang`` by segment id, for the tooltips.

    Returns
    -------
    folium.Map
        Layers: blocks (base), underground walkways and streets by category.
    """
    props = segment_properties(segments, edge_ids, utci_c, lang, names)
    centre = props.union_all().centroid
    m = offline_map((centre.y, centre.x), zoom_start=15, tiles=tiles)
    if blocks is not None and tiles is None:
        add_blocks(m, blocks, lang)
    sim = (" — simulated" if lang == "en" else "（シミュレーション）") if simulated else ""
    layer = ("UTCI" if lang == "en" else "UTCI（体感温度）") + sim
    data: Any = props.__geo_interface__
    folium.GeoJson(
        data,
        name=layer,
        style_function=_style,
        highlight_function=lambda _: {"weight": 7},
        tooltip=folium.GeoJsonTooltip(
            ["name", "utci_c", "category"],
            aliases=["", "UTCI °C", ""],
        ),
    ).add_to(m)
    return m


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    under = p["kind"] != "street"
    return {
        "color": p["colour"],
        "weight": 4 if under else 5,
        "opacity": 0.95,
        "dashArray": "6 4" if under else None,
    }
