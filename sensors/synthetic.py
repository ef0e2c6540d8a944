"""
A **generated** city-scale walking network: a jittered street grid with one-way streets and the
street attributes the comfort field reads (width class, park edge, distance to a river).

No city-scale OSM extract of Sapporo is available offline, so the city-scale benchmarks and the
city chain (field, reach, routing, KPI) run on this grid, labelled *generated* wherever a user
sees it (``G.graph["generated"]`` is True and ``G.graph["source"]`` says so). Everything is drawn
from a fixed seed: the same arguments give the same graph.

The grid is centred on downtown Sapporo in the project's projected CRS (JGD2011 plane XII,
:data:`comfort.constants.PROJECTED_CRS`), so that lon/lat of its segments fall on the city and
the simulators (``sensors.simulate``) can place **simulated** stations on it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj

from comfort.constants import PROJECTED_CRS

#: Seed of the generated city (the routing benchmark's graph).
SEED = 20250120

#: Sapporo station (lon, lat), the centre of the generated grid.
CENTRE_LONLAT = (141.3508, 43.0687)

#: Every WIDE_EVERY-th street of each direction is a wide avenue.
WIDE_EVERY = 5

#: Share of segments that border a park.
PARK_SHARE = 0.08


def _centre_xy() -> tuple[float, float]:
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", PROJECTED_CRS, always_xy=True)
    x, y = to_xy.transform(*CENTRE_LONLAT)
    return float(x), float(y)


def _river_distance_m(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], cx: float, cy: float
) -> npt.NDArray[np.float64]:
    """Distance (m) to a straight river through the centre, running south-east to north-west."""
    # unit normal of the line through (cx, cy) with direction (-1, 1) / sqrt 2
    return np.asarray(np.abs((x - cx) + (y - cy)) / np.sqrt(2.0), dtype=np.float64)


def generated_city(
    side: int = 317,
    spacing_m: float = 100.0,
    seed: int = SEED,
    jitter_m: float = 20.0,
    removed_share: float = 0.05,
    field_attributes: bool = True,
) -> nx.MultiDiGraph:
    """
    A jittered ``side × side`` street grid (generated, fixed seed) with OSMnx conventions.

    Crossings are ``spacing_m`` apart with ±``jitter_m`` uniform jitter; ``removed_share`` of
    the segments are removed; every fourth east–west street is one-way. The default (317 × 317,
    100 m blocks) has 100,489 nodes and about 191,000 segments over 31.6 km × 31.6 km, the size
    of Sapporo's urban area.

    Every edge carries ``length`` (m), ``segment_id``, ``oneway``, ``kind`` (``"street"``),
    ``level`` 0, ``bearing_deg`` (degrees, [0, 180)), ``width_class`` (every
    :data:`WIDE_EVERY`-th street ``"wide"``), ``park_adjacent`` (:data:`PARK_SHARE` of the
    segments, seeded) and ``river_dist_m`` (m, to a straight river through the centre).

    Parameters
    ----------
    side
        Crossings per side (nodes: ``side²``).
    spacing_m
        Block size (m).
    seed
        Random seed of the jitter, the removed segments and the park edges.
    jitter_m
        Largest shift (m) of a crossing from the regular grid.
    removed_share
        Share of the grid's segments left out (dead ends, blocks of two).
    field_attributes
        False: edges carry only ``length``, ``segment_id`` and ``oneway``, what routing reads
        (the same network in about 110 MB less memory at the default size).

    Returns
    -------
    networkx.MultiDiGraph
        In :data:`comfort.constants.PROJECTED_CRS`; ``G.graph["generated"]`` is True.

    Examples
    --------
    >>> G = generated_city(side=4)
    >>> G.number_of_nodes(), G.graph["generated"]
    (16, True)
    >>> sorted(next(iter(generated_city(side=4, field_attributes=False).edges(data=True)))[2])
    ['length', 'oneway', 'segment_id']
    """
    rng = np.random.default_rng(seed)
    cx, cy = _centre_xy()
    half = (side - 1) * spacing_m / 2.0
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj * spacing_m + rng.uniform(-jitter_m, jitter_m, ii.shape)).ravel() + cx - half
    y = (ii * spacing_m + rng.uniform(-jitter_m, jitter_m, ii.shape)).ravel() + cy - half
    G = nx.MultiDiGraph(
        crs=PROJECTED_CRS,
        generated=True,
        source=f"generated {side}x{side} street grid, {spacing_m:g} m blocks (seed {seed})",
    )
    G.add_nodes_from((n, {"x": float(x[n]), "y": float(y[n])}) for n in range(side * side))
    attrs_rng = np.random.default_rng(seed + 1)
    seg = 0
    for di, dj in ((0, 1), (1, 0)):
        a = (ii[: side - di, : side - dj] * side + jj[: side - di, : side - dj]).ravel()
        b = a + di * side + dj
        keep = rng.uniform(size=a.size) >= removed_share
        park = attrs_rng.uniform(size=a.size) < PARK_SHARE
        a, b, park = a[keep], b[keep], park[keep]
        dx, dy = x[b] - x[a], y[b] - y[a]
        length = np.hypot(dx, dy)
        bearing = np.degrees(np.arctan2(dx, dy)) % 180.0
        river = _river_distance_m((x[a] + x[b]) / 2, (y[a] + y[b]) / 2, cx, cy)
        street_index = (a // side) if di == 0 else (a % side)
        wide = street_index % WIDE_EVERY == 0
        one_way = (di == 0) & ((a // side) % 4 == 1)
        for k in range(a.size):
            attrs: dict[str, object] = {"length": float(length[k]), "segment_id": seg}
            if field_attributes:
                attrs |= {
                    "kind": "street",
                    "level": 0,
                    "bearing_deg": float(bearing[k]),
                    "width_class": "wide" if wide[k] else "standard",
                    "park_adjacent": bool(park[k]),
                    "river_dist_m": float(river[k]),
                }
            u, v = int(a[k]), int(b[k])
            G.add_edge(u, v, oneway=bool(one_way[k]), **attrs)
            if not one_way[k]:
                back = {**attrs, "reversed": True} if field_attributes else attrs
                G.add_edge(v, u, oneway=False, **back)
            seg += 1
    return G
