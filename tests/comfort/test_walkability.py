"""Tests of comfort.walkability and comfort.mesh against reference implementations and real data."""

from __future__ import annotations

import doctest
import json

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely

from comfort import mesh
from comfort import routing as R
from comfort import walkability as W
from comfort.errors import InputRangeError
from sensors.destinations import destinations_from_osm_file, load_destinations
from sensors.errors import FileFormatError, OSMSourceError


@pytest.mark.parametrize("module", [W, W.measures, W.aggregation], ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_public_names_stay_importable_from_the_package():
    # Names the CLI, the API and the tests use as walkability.<name>.
    used = {
        "node_walkability", "comfort_adjusted", "composite_index", "intersection_count",
        "network_reach", "street_counts", "walkway_entrances", "walkability_tables",
        "aggregate_to_polygons", "WEIGHTS", "SUMMARY_COLUMNS",
    }  # fmt: skip
    assert used <= set(W.__all__)
    assert [name for name in W.__all__ if not hasattr(W, name)] == []


@pytest.fixture(scope="module")
def sapporo_cg(sapporo_graph: nx.MultiDiGraph) -> R.CompiledGraph:
    return R.compile_graph(sapporo_graph)


@pytest.fixture(scope="module")
def destinations(sapporo_cg) -> pd.DataFrame:
    d = load_destinations().to_crs(sapporo_cg.crs)
    return d.assign(x=d.geometry.x, y=d.geometry.y)


@pytest.fixture(scope="module")
def nodes(sapporo_cg, destinations) -> pd.DataFrame:
    return W.node_walkability(sapporo_cg, destinations)


def test_intersection_count_matches_osmnx(sapporo_graph, sapporo_cg, helsinki_graph):
    assert (
        W.intersection_count(sapporo_cg)
        == ox.stats.basic_stats(sapporo_graph)["intersection_count"]
    )
    G = helsinki_graph[0]
    assert W.intersection_count(R.compile_graph(G)) == ox.stats.basic_stats(G)["intersection_count"]
    counts = W.street_counts(sapporo_cg)
    ref = dict(sapporo_graph.nodes(data="street_count"))
    assert all(counts[i] == ref[int(n)] for i, n in enumerate(sapporo_cg.node_ids))


def _ego_reference(G: nx.MultiDiGraph, node: int, radius: float) -> tuple[float, int, int]:
    ego = nx.ego_graph(G, node, radius=radius, distance="length")
    seen: dict[int, float] = {}
    for _, _, data in ego.edges(data=True):
        seen[data["segment_id"]] = data["length"]
    return sum(seen.values()), len(seen), ego.number_of_nodes()


def test_reach_matches_networkx_ego_graphs(sapporo_graph, sapporo_cg, nodes):
    rng = np.random.default_rng(21)
    for i in rng.choice(sapporo_cg.n_nodes, 25, replace=False):
        node = int(sapporo_cg.node_ids[i])
        for r in (400, 800):
            length, links, n = _ego_reference(sapporo_graph, node, r)
            assert nodes.loc[i, f"reach_{r}_m"] == pytest.approx(length, rel=1e-9)
            assert nodes.loc[i, f"links_{r}"] == links
            assert nodes.loc[i, f"nodes_{r}"] == n
            assert nodes.loc[i, f"link_node_ratio_{r}"] == pytest.approx(links / n)


def test_reach_matches_ego_graphs_on_helsinki(helsinki_graph):
    G = helsinki_graph[0]
    cg = R.compile_graph(G)
    reach = W.network_reach(cg, radii_m=(400.0,))
    for i in np.random.default_rng(5).choice(cg.n_nodes, 15, replace=False):
        length, links, n = _ego_reference(G, int(cg.node_ids[i]), 400)
        assert reach.loc[i, "reach_400_m"] == pytest.approx(length, rel=1e-9)
        assert reach.loc[i, "links_400"] == links and reach.loc[i, "nodes_400"] == n


def test_access_minutes_match_networkx(sapporo_graph, sapporo_cg, destinations, nodes):
    stations = destinations[destinations["category"] == "subway_station"]
    snapped, snap_m = sapporo_cg.snap_xy(stations["x"], stations["y"], level=0)
    rng = np.random.default_rng(8)
    for i in rng.choice(np.flatnonzero(sapporo_cg.node_level == 0), 20, replace=False):
        ref = min(
            nx.shortest_path_length(
                sapporo_graph, int(sapporo_cg.node_ids[i]), int(sapporo_cg.node_ids[j]),
                weight="length",
            ) / 80.0 + d / 80.0
            for j, d in zip(snapped, snap_m, strict=True)
        )  # fmt: skip
        got = nodes.loc[i, "subway_station_min"]
        if ref <= 15.0:
            assert got == pytest.approx(ref)
        else:
            assert np.isinf(got)
        within = nodes.loc[i, "subway_station_10min"]
        assert (within > 0) == (ref <= 10.0)
    assert "walkway_entrance" in nodes.attrs["categories"]
    entrances = W.walkway_entrances(sapporo_cg)
    assert (nodes.loc[entrances, "walkway_entrance_min"] == 0).all()


def test_composite_index_range_and_formula(nodes):
    assert nodes["walkability"].between(0, 100).all()
    assert nodes["walkability"].std() > 5  # the index discriminates between places
    w = W.composite_index([0.0, 40_000.0], [0.0, 1000.0], [1.0, 3.0], [0.0, 1.0])
    assert w.tolist() == [0.0, 100.0]
    with pytest.raises(InputRangeError, match="weights must be >= 0 and sum to 1"):
        W.composite_index(
            [1.0],
            [1.0],
            [1.0],
            [1.0],
            weights={"reach": 1, "intersections": 1, "link_node": 0, "access": 0},
        )


def test_comfort_adjusted_variant(sapporo_cg, destinations, nodes):
    full = W.comfort_adjusted(sapporo_cg, np.ones(sapporo_cg.n_edges), destinations, base=nodes)
    np.testing.assert_allclose(full["walkability_comfort"], nodes["walkability"])
    half = W.comfort_adjusted(
        sapporo_cg, np.full(sapporo_cg.n_edges, 0.5), destinations, base=nodes
    )
    assert (half["walkability_comfort"] <= nodes["walkability"] + 1e-9).all()
    assert half["walkability_comfort"].mean() < nodes["walkability"].mean() - 5
    with pytest.raises(InputRangeError, match="one value per directed edge"):
        W.comfort_adjusted(sapporo_cg, [0.5], destinations)


def test_tables_and_aggregation_conserve_length(sapporo_cg, destinations, census_path):
    from sensors import area

    blocks = area.load_blocks(census_path).to_crs(sapporo_cg.crs)
    tables = W.walkability_tables(sapporo_cg, destinations, blocks)
    assert set(tables) == {"nodes", "edges", "grid", "blocks"}
    edges, grid = tables["edges"], tables["grid"]
    # Mesh cells tile the plane: the street length inside them adds up to the network's.
    assert grid["street_length_m"].sum() == pytest.approx(edges["length_m"].sum(), rel=1e-6)
    assert grid["mesh_code"].str.fullmatch(r"\d{10}").all()
    assert grid["walkability"].between(0, 100).all()
    # Every node and every segment midpoint is shared out in full among the cells.
    assert tables["blocks"]["walkability"].notna().sum() > 100
    b = tables["blocks"].set_index("name_en")
    assert b.loc["N1 W3", "street_length_m"] > 400  # a 130 m block with its four streets
    assert gpd.GeoDataFrame(tables["nodes"]).crs == sapporo_cg.crs


def test_mesh_codes_match_real_mlit_meshes(data_dir):
    fc = json.loads((data_dir / "mlit_peopleflow_1km_sapporo_downtown.geojson").read_text())
    for f in fc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        code = mesh.mesh_code(g.centroid.x, g.centroid.y, level=3)[0]
        assert code == str(f["properties"]["mesh1kmid"])
        assert shapely.box(*mesh.mesh_bounds(code)).equals_exact(shapely.box(*g.bounds), 1e-9)
        sub = mesh.meshes_covering(*g.buffer(-1e-7).bounds, level=4)
        assert len(sub) == 100 and all(s.startswith(code) for s in sub)


def test_mesh_errors():
    with pytest.raises(InputRangeError, match="lon in \\[100, 180\\)"):
        mesh.mesh_code(43.06, 141.35)  # lat/lon swapped
    with pytest.raises(InputRangeError, match="mesh level must be"):
        mesh.mesh_code(141.35, 43.06, level=5)
    with pytest.raises(InputRangeError, match="4, 6, 8 or 10 digits"):
        mesh.mesh_bounds("64414")


def test_destination_file_and_osm_pois(tmp_path):
    d = load_destinations()
    assert {"subway_station", "park"} <= set(d["category"])
    assert d.geometry.x.between(141.33, 141.37).all() and d.geometry.y.between(43.04, 43.08).all()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [141.35, 43.06]},
         "properties": {"name_en": "x"}}]}))  # fmt: skip
    with pytest.raises(FileFormatError, match="field category is missing"):
        load_destinations(bad)
    poly = tmp_path / "poly.geojson"
    poly.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"category": "park"}, "geometry": {
            "type": "Polygon", "coordinates": [[[141.35, 43.06], [141.36, 43.06],
                                                [141.36, 43.07], [141.35, 43.06]]]}}]}))  # fmt: skip
    with pytest.raises(FileFormatError, match="destinations must be points"):
        load_destinations(poly)
    with pytest.raises(FileFormatError, match="not found"):
        load_destinations(tmp_path / "missing.geojson")
    with pytest.raises(OSMSourceError, match="not found"):
        destinations_from_osm_file(tmp_path / "missing.osm.pbf")


def test_osm_pois_give_access_on_helsinki(helsinki_graph):
    from tests.conftest import HELSINKI_PBF

    pois = destinations_from_osm_file(HELSINKI_PBF)
    assert {"shop", "food"} <= set(pois["category"])
    cg = R.compile_graph(helsinki_graph[0])
    p = pois.to_crs(cg.crs)
    table = W.node_walkability(cg, p.assign(x=p.geometry.x, y=p.geometry.y))
    assert (table["food_10min"] > 0).mean() > 0.3
    assert table["walkability"].between(0, 100).all()


def test_cli_walk_score(tmp_path, sapporo_graph):
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["walk", "score", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for name in ("nodes", "edges", "blocks", "grid"):
        table = gpd.read_parquet(tmp_path / f"{name}.parquet")
        assert len(table) > 0 and "walkability" in table
    assert summary["intersections"] > 0
