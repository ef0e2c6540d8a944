"""The embedded Sapporo area model, on the real census blocks."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pytest

from comfort import network
from sensors import area
from sensors.errors import AreaError


@pytest.fixture(scope="module")
def blocks(census_path: Path) -> gpd.GeoDataFrame:
    return area.load_blocks(census_path)


def test_blocks_parse_the_whole_grid(blocks: gpd.GeoDataFrame) -> None:
    assert len(blocks) == 285
    assert blocks["jo"].notna().all() and blocks["chome"].notna().all()
    odori_w3 = blocks[blocks["name_ja"] == "大通西３丁目"].iloc[0]
    assert (odori_w3["jo"], odori_w3["chome"], odori_w3["name_en"]) == (0, -3, "Odori W3")
    assert blocks.crs.to_epsg() == 6680


def test_default_planning_area_matches_context(blocks: gpd.GeoDataFrame) -> None:
    pa = area.default_planning_area(blocks).iloc[0]
    # CONTEXT.md: 154 blocks, about 283 ha, 17,500 residents
    assert pa["blocks"] == 154
    assert 270 <= pa["area_ha"] <= 300
    assert pa["population"] == 17507


def test_graph_is_clean_connected_and_osmnx_compatible(sapporo_graph: nx.MultiDiGraph) -> None:
    G = sapporo_graph
    s = network.summary(G, G.graph["planning_area_m2"])
    assert 270 <= s["planning_area_ha"] <= 300
    assert s["components"] == 1
    assert 1.0 <= s["underground_km"] <= 1.6
    assert network.length_mismatches(G) == []
    street_lengths = [d["length"] for _, _, d in G.edges(data=True) if d["kind"] == "street"]
    assert min(street_lengths) > 5.0, "a sliver segment survived"
    # no duplicate edges: one segment per (u, v) pair and geometry
    pairs = [(u, v, round(d["length"], 1)) for u, v, d in G.edges(data=True)]
    assert len(pairs) == len(set(pairs))
    assert G.graph["crs"] == area.CRS
    stats = ox.stats.basic_stats(G)
    assert stats["n"] == G.number_of_nodes() and stats["intersection_count"] > 200
    nodes = sorted(G.nodes)
    route = ox.routing.shortest_path(G, nodes[0], nodes[-1], weight="length")
    assert route is not None and route[0] == nodes[0] and route[-1] == nodes[-1]


def test_connected_inside_the_planning_area(
    sapporo_graph: nx.MultiDiGraph, census_path: Path
) -> None:
    pa = area.planning_area(census_path).geometry.iloc[0]
    inside = [
        (u, v, k)
        for u, v, k, d in sapporo_graph.edges(keys=True, data=True)
        if d["geometry"].intersects(pa)
    ]
    sub = sapporo_graph.edge_subgraph(inside)
    assert nx.number_weakly_connected_components(sub) == 1


def test_walkways_follow_ekimae_dori_and_odori(sapporo_graph: nx.MultiDiGraph) -> None:
    G = sapporo_graph
    by_name: dict[str, float] = {}
    for _, _, d in G.edges(data=True):
        if d["kind"] == "underground" and not d["reversed"]:
            by_name[d["name"]] = by_name.get(d["name"], 0.0) + d["length"]
    assert set(by_name) == {"Chi-Ka-Ho", "Odori concourse", "Pole Town", "Aurora Town"}
    # Chi-Ka-Ho is about 520 m (four blocks from North 5 to Odori)
    assert 450 <= by_name["Chi-Ka-Ho"] <= 650
    # the walkways form one underground network: connected using level -1 edges only
    under = G.edge_subgraph(
        [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d["kind"] == "underground"]
    )
    assert nx.number_weakly_connected_components(under) == 1
    ekimae = [d for _, _, d in G.edges(data=True) if d.get("name") == "Ekimae-dori"]
    assert ekimae and all(d["width_class"] == "wide" for d in ekimae)
    assert all(0 < d["bearing_deg"] < 30 or d["bearing_deg"] > 150 for d in ekimae)
    park = [d for _, _, d in G.edges(data=True) if d.get("park_adjacent")]
    assert park


def test_cache_is_reused_and_keyed_by_inputs(census_path: Path, tmp_path: Path) -> None:
    G1 = area.sapporo_graph(census_path, tmp_path)
    folders = list((tmp_path / "graphs").iterdir())
    assert len(folders) == 1
    G2 = area.sapporo_graph(census_path, tmp_path)
    assert network.summary(G1) == network.summary(G2)
    assert list((tmp_path / "graphs").iterdir()) == folders
    e1 = {(u, v, k): d["segment_id"] for u, v, k, d in G1.edges(keys=True, data=True)}
    e2 = {(u, v, k): d["segment_id"] for u, v, k, d in G2.edges(keys=True, data=True)}
    assert e1 == e2
    # another planning area is another cache entry
    small = tmp_path / "small.geojson"
    pa = area.planning_area(census_path)
    pa.assign(geometry=pa.geometry.buffer(-250.0)).to_crs("EPSG:4326").to_file(
        small, driver="GeoJSON"
    )
    G3 = area.sapporo_graph(census_path, tmp_path, small)
    assert len(list((tmp_path / "graphs").iterdir())) == 2
    assert G3.number_of_edges() < G1.number_of_edges()


def test_exports_read_back(sapporo_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = area.export_graph(sapporo_graph, "graphml", tmp_path / "g.graphml")
    G = ox.load_graphml(path)
    assert G.number_of_edges() == sapporo_graph.number_of_edges()
    typed = area.read_graphml(path)
    d = next(d for _, _, d in typed.edges(data=True) if d["kind"] == "underground")
    assert d["indoor"] is True and d["level"] == -1 and isinstance(d["segment_id"], int)
    folder = area.export_graph(sapporo_graph, "geoparquet", tmp_path / "gp")
    edges = gpd.read_parquet(folder / "edges.parquet")
    assert len(edges) == sapporo_graph.number_of_edges()
    with pytest.raises(AreaError, match="unknown export format"):
        area.export_graph(sapporo_graph, "shp", tmp_path / "x")


def test_bad_planning_area_files(tmp_path: Path, census_path: Path) -> None:
    with pytest.raises(AreaError, match="not found"):
        area.planning_area(census_path, tmp_path / "missing.geojson")
    points = tmp_path / "points.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [141.35, 43.06]},
                    }
                ],
            }
        )
    )
    with pytest.raises(AreaError, match="holds no polygon"):
        area.planning_area(census_path, points)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_bytes(b"\x00\x01 not json")
    with pytest.raises(AreaError, match="cannot read planning area"):
        area.planning_area(census_path, garbage)


def test_census_file_without_fields(tmp_path: Path) -> None:
    bad = tmp_path / "blocks.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "x"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[0, 0], [0, 1], [1, 1], [0, 0]]],
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(AreaError, match="lacks the census fields"):
        area.load_blocks(bad)
