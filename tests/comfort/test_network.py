"""Tests of the pure network builder on small hand-made geometry."""

from __future__ import annotations

import networkx as nx
import pytest
from shapely.geometry import LineString, Point, box

from comfort import network
from comfort.errors import NetworkBuildError


def grid(n: int = 3, size: float = 100.0) -> list:
    return [
        box(i * size, j * size, (i + 1) * size, (j + 1) * size) for i in range(n) for j in range(n)
    ]


def test_coverage_gives_grid_streets_once() -> None:
    lines = network.street_lines_from_coverage(grid(3))
    # a 3x3 grid of 100 m blocks has 4 + 4 lines of 300 m
    assert sum(ln.length for ln in lines) == pytest.approx(2400.0)
    G = network.lines_to_graph(lines, crs="EPSG:6680")
    # the 4 outer corners have degree 2 and are merged through, as OSMnx simplifies
    assert G.number_of_nodes() == 12
    assert G.number_of_edges() == 2 * 20
    assert network.summary(G)["street_km"] == pytest.approx(2.4)


def test_slivers_between_misaligned_blocks_are_removed() -> None:
    # the right-hand block is shifted 1.5 m: its corner junctions lie 1.5 m from the left ones
    polys = [box(0, 0, 100, 100), box(100, 1.5, 200, 101.5)]
    lines = network.street_lines_from_coverage(polys, grid_m=0.5)
    assert min(ln.length for ln in lines) > 50
    G = network.lines_to_graph(lines, crs="EPSG:6680")
    lengths = [d["length"] for _, _, d in G.edges(data=True)]
    assert min(lengths) > 50
    assert nx.number_weakly_connected_components(G) == 1


def test_both_directions_share_segment_and_reverse_geometry() -> None:
    G = network.lines_to_graph([LineString([(0, 0), (0, 50), (30, 80)])], crs="EPSG:6680")
    (u, _v, a), (_, _, b) = sorted(G.edges(data=True), key=lambda e: e[2]["reversed"])
    assert a["segment_id"] == b["segment_id"] == 0
    assert list(a["geometry"].coords) == list(b["geometry"].coords)[::-1]
    assert a["length"] == pytest.approx(a["geometry"].length)
    assert G.nodes[u]["street_count"] == 1


def test_walkway_exits_and_junctions() -> None:
    street = LineString([(0, 0), (0, -300)])
    G = network.lines_to_graph(
        [LineString([(0, 0), (0, -150)]), LineString([(0, -150), (0, -300)])], crs="EPSG:6680"
    )
    w = network.Walkway("W", "W", street, 300, 1440, offset_m=6.0)
    exits = [network.nearest_node(G, 0, y) for y in (0, -150, -300)]
    nodes = network.add_walkway(G, w, exits)
    assert len(nodes) == 3
    s = network.summary(G)
    assert s["underground_km"] == pytest.approx(0.3)
    assert s["exits"] == 3
    assert all(n >= network.UNDERGROUND_NODE_BASE for n in nodes)
    under = [d for _, _, d in G.edges(data=True) if d["kind"] == "underground"]
    assert all(d["level"] == -1 and d["indoor"] and d["open_min"] == 300 for d in under)
    # a second walkway starting at a junction reuses the walkway node there
    branch = network.Walkway("B", "B", LineString([(6, -150), (200, -150)]), 0, 1440, offset_m=0)
    far = network.lines_to_graph([LineString([(200, -150), (200, -50)])], crs="EPSG:6680")
    H = nx.compose(G, nx.relabel_nodes(far, {0: 50, 1: 51}))
    before = H.number_of_nodes()
    added = network.add_walkway(H, branch, [50], junctions=[Point(6, -150)])
    assert added[0] == nodes[1]
    assert H.number_of_nodes() == before + 1


def test_walkway_exit_too_far_is_an_error() -> None:
    G = network.lines_to_graph([LineString([(0, 0), (500, 0)])], crs="EPSG:6680")
    w = network.Walkway("W", "W", LineString([(0, 300), (500, 300)]), 0, 1440, offset_m=0)
    with pytest.raises(NetworkBuildError, match="exits must lie within"):
        network.add_walkway(G, w, [0, 1])


def test_walkway_needs_two_stops() -> None:
    G = network.lines_to_graph([LineString([(0, 0), (500, 0)])], crs="EPSG:6680")
    w = network.Walkway("W", "W", LineString([(0, 0), (500, 0)]), 0, 1440, offset_m=6.0)
    with pytest.raises(NetworkBuildError, match="at least two stops"):
        network.add_walkway(G, w, [0])


def test_empty_coverage_is_an_error() -> None:
    with pytest.raises(NetworkBuildError, match="no polygons"):
        network.street_lines_from_coverage([])


def test_length_mismatch_is_detected() -> None:
    G = network.lines_to_graph([LineString([(0, 0), (100, 0)])], crs="EPSG:6680")
    assert network.length_mismatches(G) == []
    first = next(iter(G.edges(keys=True)))
    G.edges[first]["length"] = 101.0
    assert network.length_mismatches(G) == [first]


def test_segment_table_has_one_row_per_segment() -> None:
    G = network.lines_to_graph(network.street_lines_from_coverage(grid(2)), crs="EPSG:6680")
    table = network.segment_table(G)
    assert len(table) == len({d["segment_id"] for _, _, d in G.edges(data=True)})
    assert table["length_m"].sum() == pytest.approx(1200.0)
    assert set(network.SEGMENT_COLUMNS) <= set(table.columns)
