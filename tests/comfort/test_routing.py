"""Tests of comfort.routing: exactness against networkx, modes, opening hours, many-to-many."""

from __future__ import annotations

import doctest
import json

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from comfort import routing as R
from comfort.errors import RoutingError
from comfort.network import lines_to_graph

NOON = 12 * 60

ROUTING_MODULES = (R, R.graph, R.costs, R.search, R.routes, R.reach)


@pytest.mark.parametrize("module", ROUTING_MODULES, ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_public_names_stay_importable_from_the_package():
    # Names the API, the CLI, walkability, benchmarks and docs/ROUTING.md use as routing.<name>.
    used = {
        "CompiledGraph", "EdgeWeights", "Route", "RouteFigures", "Isochrone", "MODES",
        "KIND_CODES", "KIND_NAMES", "DEFAULT_ALPHA", "WALK_SPEED_M_PER_MIN", "STEP_LENGTH_M",
        "compile_graph", "edge_weights", "edge_minutes", "open_mask", "shortest_weights_like",
        "shortest_path_edges", "find_route", "route_lonlat", "round_like_python", "isochrone",
        "od_matrix", "csr_matrix",
    }  # fmt: skip
    assert used <= set(R.__all__)
    assert [name for name in R.__all__ if not hasattr(R, name)] == []


def test_search_kernels_are_cached_numba_functions():
    # The A* kernels compile once per machine: numba writes them to an on-disk cache.
    for kernel in (R.search._astar, R.search._path_edges, R.search._heap_push):
        assert type(kernel._cache).__name__ == "FunctionCache", kernel


@pytest.fixture(scope="module")
def sapporo_cg(sapporo_graph: nx.MultiDiGraph) -> R.CompiledGraph:
    return R.compile_graph(sapporo_graph)


@pytest.fixture(scope="module")
def helsinki_cg(helsinki_graph) -> R.CompiledGraph:
    return R.compile_graph(helsinki_graph[0])


def _random_pairs(n_nodes: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_nodes, size=(n, 2))


def _check_against_networkx(G: nx.MultiDiGraph, cg: R.CompiledGraph, weights, pairs) -> int:
    checked = 0
    for s, t in pairs:
        ref_id_s, ref_id_t = int(cg.node_ids[s]), int(cg.node_ids[t])
        try:
            ref = nx.shortest_path_length(G, ref_id_s, ref_id_t, weight="length")
        except nx.NetworkXNoPath:
            with pytest.raises(RoutingError, match=r"no .* route"):
                R.shortest_path_edges(cg, weights, s, t)
            continue
        cost, edges = R.shortest_path_edges(cg, weights, s, t)
        assert abs(cost - ref) <= 1e-3, (ref_id_s, ref_id_t, cost, ref)
        # The returned edges form a path from s to t whose lengths sum to the cost.
        if edges.size:
            assert cg.src[edges[0]] == s and cg.dst[edges[-1]] == t
            assert np.all(cg.dst[edges[:-1]] == cg.src[edges[1:]])
        assert abs(cg.length_m[edges].sum() - ref) <= 1e-3
        checked += 1
    return checked


def test_alpha_zero_equals_networkx_on_sapporo(sapporo_graph, sapporo_cg):
    # At noon every walkway is open, so the networkx graph and the compiled one agree.
    w = R.edge_weights(sapporo_cg, "comfortable", at=NOON, alpha=0.0, level_change_penalty_m=0.0)
    pairs = _random_pairs(sapporo_cg.n_nodes, 1000, seed=1)
    assert _check_against_networkx(sapporo_graph, sapporo_cg, w, pairs) == 1000
    shortest = R.edge_weights(sapporo_cg, "shortest", at=NOON)
    assert _check_against_networkx(sapporo_graph, sapporo_cg, shortest, pairs[:200]) == 200


def test_alpha_zero_equals_networkx_on_helsinki(helsinki_graph, helsinki_cg):
    G = helsinki_graph[0]
    # A comfort field of random discomfort does not matter at alpha = 0.
    disc = np.random.default_rng(3).uniform(0, 1, helsinki_cg.n_edges)
    w = R.edge_weights(helsinki_cg, "comfortable", discomfort=disc, alpha=0.0)
    pairs = _random_pairs(helsinki_cg.n_nodes, 1000, seed=2)
    assert _check_against_networkx(G, helsinki_cg, w, pairs) >= 990


def test_comfortable_route_is_exact_for_its_cost(helsinki_graph, helsinki_cg):
    G = helsinki_graph[0]
    disc = np.random.default_rng(4).uniform(0, 1, helsinki_cg.n_edges)
    w = R.edge_weights(helsinki_cg, "comfortable", discomfort=disc, alpha=3.0)
    H = nx.DiGraph()
    for e in range(helsinki_cg.n_edges):
        u, v = int(helsinki_cg.src[e]), int(helsinki_cg.dst[e])
        if not H.has_edge(u, v) or H[u][v]["w"] > w.cost[e]:
            H.add_edge(u, v, w=float(w.cost[e]))
    for s, t in _random_pairs(helsinki_cg.n_nodes, 100, seed=5):
        if not nx.has_path(H, s, t):
            continue
        ref = nx.shortest_path_length(H, s, t, weight="w")
        cost, _ = R.shortest_path_edges(helsinki_cg, w, s, t)
        assert abs(cost - ref) <= 1e-6 * max(ref, 1.0)
    assert G.number_of_nodes() == helsinki_cg.n_nodes


def _chikaho_ends(cg: R.CompiledGraph) -> tuple[int, int]:
    """Street nodes at the northern and southern Chi-Ka-Ho exits."""
    exits = np.flatnonzero((cg.kind == R.KIND_CODES["exit"]) & (cg.name == "Chi-Ka-Ho"))
    street = np.unique(np.concatenate([cg.src[exits], cg.dst[exits]]))
    street = street[cg.node_level[street] == 0]
    assert street.size >= 2
    return int(street[np.argmax(cg.y[street])]), int(street[np.argmin(cg.y[street])])


def test_winter_route_takes_chikaho_when_street_is_only_slightly_shorter(sapporo_cg):
    north, south = _chikaho_ends(sapporo_cg)
    w = R.edge_weights(sapporo_cg, "winter", at=8 * 60, snow_depth_cm=40.0)
    route = R.find_route(sapporo_cg, w, north, south)
    assert "Chi-Ka-Ho" in route.route.walkways
    assert route.route.underground_share > 0.8
    # The street route is shorter, but only slightly.
    assert route.shortest.underground_share == 0.0
    assert route.shortest.length_m < route.route.length_m <= 1.05 * route.shortest.length_m
    # Indoors there is no winter slowdown, so the walkway is also quicker in snow.
    assert route.route.minutes < route.shortest.minutes


def test_closed_walkways_are_not_used_at_night(sapporo_cg):
    north, south = _chikaho_ends(sapporo_cg)
    night = R.edge_weights(sapporo_cg, "winter", at=2 * 60, snow_depth_cm=40.0)
    route = R.find_route(sapporo_cg, night, north, south)
    assert route.route.walkways == ()
    assert route.route.underground_share == 0.0
    has_hours = np.isfinite(sapporo_cg.open_min)
    assert has_hours.any()
    for s, t in _random_pairs(sapporo_cg.n_nodes, 200, seed=7):
        if sapporo_cg.node_level[s] or sapporo_cg.node_level[t]:
            continue
        _, edges = R.shortest_path_edges(sapporo_cg, night, s, t)
        assert not has_hours[edges].any()
    # 00:10 is still inside Chi-Ka-Ho's hours (closing after midnight).
    late = R.edge_weights(sapporo_cg, "winter", at=10, snow_depth_cm=40.0)
    assert "Chi-Ka-Ho" in R.find_route(sapporo_cg, late, north, south).route.walkways


def test_open_mask_handles_closing_after_midnight():
    mask = R.open_mask([300, 300, 300, np.nan], [1470, 1470, 1470, np.nan], 0)
    assert mask.tolist() == [True, True, True, True]
    assert R.open_mask([300], [1470], 31).tolist() == [False]
    assert R.open_mask([300], [1470], 299).tolist() == [False]
    assert R.open_mask([300], [1470], 300).tolist() == [True]
    assert R.open_mask([300], [1470], None).tolist() == [True]


def _two_way_graph() -> R.CompiledGraph:
    """A direct sunny street (100 m) and a shaded park detour (about 121 m) from A to B."""
    lines = [
        LineString([(0, 0), (100, 0)]),
        LineString([(0, 0), (50, 30), (100, 0)]),
    ]
    attrs = [{"park_adjacent": False}, {"park_adjacent": True}]
    return R.compile_graph(lines_to_graph(lines, crs="EPSG:6680", edge_attrs=attrs))


def test_summer_route_prefers_shaded_park_edge_when_alpha_is_high():
    cg = _two_way_graph()
    a, b = cg.node_index(0), cg.node_index(1)
    # Summer afternoon: the sunny street is in strong heat stress, the park edge is shaded.
    disc = np.where(cg.park_adjacent, 0.0, 0.8)
    cats = np.where(cg.park_adjacent, "no thermal stress", "strong heat stress")
    low = R.edge_weights(cg, "comfortable", discomfort=disc, utci_category=cats, alpha=0.1)
    high = R.edge_weights(cg, "comfortable", discomfort=disc, utci_category=cats, alpha=2.0)
    r_low = R.find_route(cg, low, a, b)
    r_high = R.find_route(cg, high, a, b)
    assert r_low.route.length_m == pytest.approx(100.0)
    assert r_high.route.length_m == pytest.approx(2 * np.hypot(50, 30))
    assert r_high.route.utci_minutes == {"no thermal stress": pytest.approx(r_high.minutes)}
    assert r_high.shortest.utci_minutes == {"strong heat stress": pytest.approx(100 / 80)}


def test_summer_comfort_on_sapporo_lowers_discomfort(sapporo_cg):
    rng = np.random.default_rng(11)
    seg_ids = np.unique(sapporo_cg.segment_id)
    seg_disc = rng.uniform(0, 1, seg_ids.size)
    disc = sapporo_cg.per_edge(seg_disc, seg_ids)
    w = R.edge_weights(sapporo_cg, "comfortable", at=NOON, discomfort=disc, alpha=4.0)
    short = R.edge_weights(sapporo_cg, "shortest", at=NOON)
    better = 0
    for s, t in _random_pairs(sapporo_cg.n_nodes, 100, seed=12):
        if s == t:
            continue
        _, ce = R.shortest_path_edges(sapporo_cg, w, s, t)
        _, se = R.shortest_path_edges(sapporo_cg, short, s, t)
        exp_c = (sapporo_cg.length_m[ce] * disc[ce]).sum()
        exp_s = (sapporo_cg.length_m[se] * disc[se]).sum()
        assert exp_c <= exp_s + 1e-6
        better += exp_c < exp_s - 1e-6
    assert better > 20


def test_accessible_mode_avoids_stairs(sapporo_cg):
    w = R.edge_weights(sapporo_cg, "accessible", at=NOON)
    assert np.all(np.isinf(w.cost[sapporo_cg.stairs]))
    north, south = _chikaho_ends(sapporo_cg)
    route = R.find_route(sapporo_cg, w, north, south)
    assert not sapporo_cg.stairs[route.route.edges].any()


def test_route_figures_minutes_steps_and_winter_slowdown(sapporo_cg):
    north, south = _chikaho_ends(sapporo_cg)
    dry = R.edge_weights(sapporo_cg, "shortest", at=NOON)
    snow = R.edge_weights(sapporo_cg, "shortest", at=NOON, snow_depth_cm=10.0)
    ice = R.edge_weights(sapporo_cg, "shortest", at=NOON, snow_depth_cm=10.0, surface="ice")
    r_dry = R.find_route(sapporo_cg, dry, north, south).route
    r_snow = R.find_route(sapporo_cg, snow, north, south).route
    r_ice = R.find_route(sapporo_cg, ice, north, south).route
    km = r_dry.length_m / 1000
    assert r_dry.minutes == pytest.approx(r_dry.length_m / 80.0)
    assert r_snow.minutes == pytest.approx(r_dry.minutes + 1.0 * km)
    assert r_ice.minutes == pytest.approx(r_dry.minutes + 2.0 * km)
    assert r_dry.steps == round(r_dry.length_m / 0.7)


def test_route_lonlat_object_is_geojson(sapporo_cg):
    w = R.edge_weights(sapporo_cg, "winter", at=8 * 60, snow_depth_cm=30.0)
    route = R.route_lonlat(sapporo_cg, (141.3507, 43.0686), (141.3530, 43.0556), w)
    obj = json.loads(json.dumps(route.to_dict()))
    for key in ("length_m", "minutes", "steps", "utci_minutes", "underground_share", "geometry"):
        assert key in obj and key in obj["shortest"]
    assert obj["geometry"]["type"] == "LineString"
    lon, lat = np.array(obj["geometry"]["coordinates"]).T
    assert 141.3 < lon.min() and lon.max() < 141.4 and 43.0 < lat.min() and lat.max() < 43.1
    # The line is continuous: its projected length equals length_m.
    x, y = sapporo_cg.project(lon, lat)
    assert np.hypot(np.diff(x), np.diff(y)).sum() == pytest.approx(obj["length_m"], rel=1e-3)


def test_isochrone_matches_networkx(sapporo_graph, sapporo_cg):
    w = R.edge_weights(sapporo_cg, "shortest", at=NOON)
    origin = int(
        np.argmin(np.hypot(sapporo_cg.x - sapporo_cg.x.mean(), sapporo_cg.y - sapporo_cg.y.mean()))
    )
    iso = R.isochrone(sapporo_cg, w, origin, 8.0)
    ref = nx.single_source_dijkstra_path_length(
        sapporo_graph, int(sapporo_cg.node_ids[origin]), cutoff=8.0 * 80.0, weight="length"
    )
    reached = np.flatnonzero(np.isfinite(iso.node_minutes))
    assert {int(sapporo_cg.node_ids[i]) for i in reached} == set(ref)
    for i in reached:
        assert iso.node_minutes[i] == pytest.approx(ref[int(sapporo_cg.node_ids[i])] / 80.0)
    assert iso.polygon_lonlat.is_valid and iso.polygon_lonlat.area > 0
    assert 0 < iso.edge_fraction.max() <= 1


def test_od_matrix_matches_networkx(helsinki_graph, helsinki_cg):
    G = helsinki_graph[0]
    rng = np.random.default_rng(9)
    origins = rng.choice(helsinki_cg.n_nodes, 10, replace=False)
    dests = rng.choice(helsinki_cg.n_nodes, 15, replace=False)
    w = R.edge_weights(helsinki_cg, "shortest")
    od = R.od_matrix(helsinki_cg, w, origins, dests, measure="length_m")
    assert od.shape == (10, 15)
    for i, o in enumerate(origins):
        ref = nx.single_source_dijkstra_path_length(
            G, int(helsinki_cg.node_ids[o]), weight="length"
        )
        for j, d in enumerate(dests):
            expected = ref.get(int(helsinki_cg.node_ids[d]), np.inf)
            assert od[i, j] == pytest.approx(expected, abs=1e-6)
    minutes = R.od_matrix(helsinki_cg, w, origins, dests)
    np.testing.assert_allclose(minutes, od / 80.0)


def test_reweight_changes_only_the_cost_array(sapporo_cg):
    seg_ids = np.unique(sapporo_cg.segment_id)
    pos = sapporo_cg.segment_positions(seg_ids[::-1])
    hour1 = np.linspace(0, 1, seg_ids.size)[::-1]
    disc = hour1[pos]
    expected = sapporo_cg.per_edge(np.linspace(0, 1, seg_ids.size), seg_ids)
    np.testing.assert_allclose(disc, expected)


def test_routing_errors(sapporo_cg):
    with pytest.raises(RoutingError, match="mode must be one of"):
        R.edge_weights(sapporo_cg, "fastest")
    with pytest.raises(RoutingError, match="alpha must be a finite number >= 0"):
        R.edge_weights(sapporo_cg, "comfortable", alpha=-1.0)
    with pytest.raises(RoutingError, match="discomfort must have one value per directed edge"):
        R.edge_weights(sapporo_cg, "comfortable", discomfort=[0.1, 0.2])
    with pytest.raises(RoutingError, match="surface must be one of"):
        R.edge_minutes(sapporo_cg, 10.0, surface="slush")  # type: ignore[arg-type]
    with pytest.raises(RoutingError, match="from the nearest walking network node"):
        sapporo_cg.snap(139.69, 35.69)  # Tokyo
    with pytest.raises(RoutingError, match="missing from the per-segment values"):
        sapporo_cg.segment_positions([0, 1, 2])
    with pytest.raises(RoutingError, match="not in the graph"):
        sapporo_cg.node_index(-5)
    with pytest.raises(RoutingError, match="max_minutes must be a positive"):
        R.isochrone(sapporo_cg, R.edge_weights(sapporo_cg), 0, 0.0)
    with pytest.raises(RoutingError, match="measure must be"):
        R.od_matrix(sapporo_cg, R.edge_weights(sapporo_cg), [0], measure="steps")  # type: ignore[arg-type]


def test_unreachable_through_closed_walkway_is_an_error():
    line = LineString([(0, 0), (0, -100)])
    G = lines_to_graph(
        [line],
        crs="EPSG:6680",
        edge_attrs=[
            {"kind": "underground", "level": -1, "indoor": True, "open_min": 300, "close_min": 1470}
        ],
    )
    cg = R.compile_graph(G)
    night = R.edge_weights(cg, "shortest", at=120)
    with pytest.raises(RoutingError, match=r"no shortest route .* closed"):
        R.shortest_path_edges(cg, night, 0, 1)
    day = R.edge_weights(cg, "shortest", at=600)
    assert R.shortest_path_edges(cg, day, 0, 1)[0] == pytest.approx(100.0)


def test_compile_errors():
    G = lines_to_graph([LineString([(0, 0), (10, 0)])], crs="EPSG:6680")
    del G.graph["crs"]
    with pytest.raises(RoutingError, match="no 'crs' attribute"):
        R.compile_graph(G)
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(RoutingError, match="is geographic"):
        R.compile_graph(G)
    with pytest.raises(RoutingError, match="not among the graph's nodes"):
        R.CompiledGraph.from_arrays("EPSG:6680", [0, 1], [0, 1], [0, 0], [0], [7], [1.0])
    with pytest.raises(RoutingError, match="finite and >= 0"):
        R.CompiledGraph.from_arrays("EPSG:6680", [0, 1], [0, 1], [0, 0], [0], [1], [-1.0])
    with pytest.raises(RoutingError, match="kind must be one of"):
        R.CompiledGraph.from_arrays(
            "EPSG:6680", [0, 1], [0, 1], [0, 0], [0], [1], [1.0], kind=["tunnel"]
        )


# ---- CLI ---------------------------------------------------------------------------------


def test_cli_route_json(sapporo_graph):
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    args = ["route", "--from", "141.3507,43.0686", "--to", "141.3530,43.0556",
            "--at", "2025-01-20 08:00", "--mode", "winter"]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    for key in ("length_m", "minutes", "steps", "utci_minutes", "underground_share", "geometry"):
        assert key in obj and key in obj["shortest"]
    assert "Chi-Ka-Ho" in obj["walkways"]
    assert obj["snow_depth_cm"] > 0  # the same day of 2022 had snow on the ground
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "winter route vs shortest" in text.output
    bad = runner.invoke(app, ["route", "--from", "nowhere", "--to", "141.35,43.06"])
    assert bad.exit_code != 0
    iso = runner.invoke(app, ["route", "isochrone", "--from", "141.3507,43.0686", "--json"])
    assert iso.exit_code == 0, iso.output
    assert json.loads(iso.stdout)["geometry"]["type"] in ("Polygon", "MultiPolygon")
