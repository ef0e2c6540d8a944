"""
Cached access to the area model for the CLI and the app: the graph in use, its segment table
and the planning area, built from the settings.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import networkx as nx

from api.settings import get_settings
from comfort.network import segment_table
from sensors import area


@lru_cache(maxsize=1)
def graph() -> nx.MultiDiGraph:
    """The walking graph in use (built on first use, then read from the cache)."""
    s = get_settings()
    return area.current_graph(s.data_file(area.CENSUS_FILE), s.cache_dir, s.area)


@lru_cache(maxsize=1)
def segments() -> gpd.GeoDataFrame:
    """One row per undirected segment of :func:`graph` (EPSG:6680 for the embedded default)."""
    return segment_table(graph())


@lru_cache(maxsize=1)
def planning_area() -> gpd.GeoDataFrame:
    """
    The planning area: KAITEKI_AREA when set; else the embedded default for the embedded graph,
    or the convex hull of the nodes for a graph built from OSM.
    """
    s = get_settings()
    G = graph()
    if s.area is None and not str(G.graph.get("source", "")).startswith("census"):
        import shapely

        hull = shapely.MultiPoint([(d["x"], d["y"]) for _, d in G.nodes(data=True)]).convex_hull
        hull_gdf = gpd.GeoDataFrame(
            {
                "name": [f"extent of {G.graph.get('source')}"],
                "blocks": [None],
                "population": [None],
                "area_ha": [round(hull.area / 1e4, 1)],
            },
            geometry=[hull],
            crs=G.graph["crs"],
        )
        return hull_gdf
    return area.planning_area(s.data_file(area.CENSUS_FILE), s.area)


@lru_cache(maxsize=1)
def blocks() -> gpd.GeoDataFrame:
    """The census blocks, EPSG:6680."""
    return area.load_blocks(get_settings().data_file(area.CENSUS_FILE))


def clear() -> None:
    """Forget every cached resource (after a rebuild, or when tests change the settings)."""
    for fn in (graph, segments, planning_area, blocks):
        fn.cache_clear()
