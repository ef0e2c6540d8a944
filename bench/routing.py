"""
Routing benchmark: comfort-aware point-to-point queries on (a) the embedded Sapporo graph and
(b) a generated city-scale street grid, against ``osmnx.routing.shortest_path`` on the same
graphs and pairs in the same run; time to switch the cost array to another hour; peak memory.

(b) is *generated* (no city-scale OSM extract is available offline): a 317 × 317 street grid
(100,489 nodes, 100 m blocks) with ±20 m jitter of the crossings, 5 % of the segments removed
and every fourth east–west street one-way (``sensors.synthetic.generated_city`` with
``field_attributes=False``: only the edge attributes routing reads; bench/field_city.py uses the
full graph). Discomfort values are *simulated* (uniform random, fixed seed): the benchmark
measures speed, not comfort.

Run: ``.venv/bin/python -m bench.routing``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox

from bench._harness import peak_rss_mb, record
from comfort import routing as R
from comfort.errors import RoutingError
from sensors.synthetic import generated_city

ALPHA = 2.0


def _set_cost(G: nx.MultiDiGraph, cg: R.CompiledGraph, cost: np.ndarray) -> None:
    """Copy the kaiteki cost array onto the networkx edges (attribute ``cost``)."""
    lookup: dict[tuple[int, int], float] = {}
    for e in range(cg.n_edges):
        key = (int(cg.node_ids[cg.src[e]]), int(cg.node_ids[cg.dst[e]]))
        lookup[key] = min(lookup.get(key, np.inf), float(cost[e]))
    for u, v, data in G.edges(data=True):
        data["cost"] = lookup[(u, v)]


def _connected_pairs(
    cg: R.CompiledGraph, w: R.EdgeWeights, n: int, seed: int
) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n:
        s, t = (int(v) for v in rng.integers(0, cg.n_nodes, 2))
        try:
            R.shortest_path_edges(cg, w, s, t)
        except RoutingError:  # no path between them (one-way streets): draw another pair
            continue
        pairs.append((s, t))
    return pairs


def _time_queries(
    cg: R.CompiledGraph, w: R.EdgeWeights, pairs: list[tuple[int, int]]
) -> list[float]:
    out = []
    for s, t in pairs:
        t0 = time.perf_counter()
        R.shortest_path_edges(cg, w, s, t)
        out.append(time.perf_counter() - t0)
    return out


def _time_osmnx(
    G: nx.MultiDiGraph, cg: R.CompiledGraph, pairs: list[tuple[int, int]]
) -> list[float]:
    out = []
    for s, t in pairs:
        t0 = time.perf_counter()
        ox.routing.shortest_path(G, int(cg.node_ids[s]), int(cg.node_ids[t]), weight="cost")
        out.append(time.perf_counter() - t0)
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def _comfort_weights(cg: R.CompiledGraph, hours: np.ndarray, hour: int) -> R.EdgeWeights:
    return R.edge_weights(cg, "comfortable", at=hour * 60, discomfort=hours[hour], alpha=ALPHA)


def bench_graph(G: nx.MultiDiGraph, n_kaiteki: int, n_osmnx: int, seed: int) -> dict[str, Any]:
    """Compile, set the weights of one hour, time queries and the switch to another hour."""
    t0 = time.perf_counter()
    cg = R.compile_graph(G)
    compile_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    segs = np.unique(cg.segment_id)
    positions = cg.segment_positions(segs)  # once per field layout
    # 24 hours of simulated per-segment discomfort, spread to edges by one gather per hour.
    per_seg = rng.uniform(0, 1, (24, segs.size))
    hours = per_seg[:, positions]
    w = _comfort_weights(cg, hours, 8)
    R.shortest_path_edges(cg, w, 0, cg.n_nodes - 1)  # compile the numba kernel (cached)
    pairs = _connected_pairs(cg, w, n_kaiteki, seed)
    ours = _time_queries(cg, w, pairs)
    _set_cost(G, cg, w.cost)
    ref_pairs = pairs[:n_osmnx]
    ref = _time_osmnx(G, cg, ref_pairs)
    ours_same = _time_queries(cg, w, ref_pairs)
    reweight = []
    for h in range(24):
        t1 = time.perf_counter()
        hour_values = per_seg[h][positions]
        R.edge_weights(cg, "comfortable", at=h * 60, discomfort=hour_values, alpha=ALPHA)
        reweight.append(time.perf_counter() - t1)
    return {
        "nodes": cg.n_nodes,
        "edges": cg.n_edges,
        "compile_s": round(compile_s, 3),
        "p50_ms": round(_pct(ours, 50), 4),
        "p99_ms": round(_pct(ours, 99), 4),
        "osmnx_p50_ms": round(_pct(ref, 50), 3),
        "ratio": round(statistics.median(ref) / statistics.median(ours_same), 1),
        "reweight_ms": round(_pct(reweight, 50), 4),
    }


def main() -> dict[str, Any]:
    """Measure (a) Sapporo and (b) the generated city; return the figures."""
    from api import resources

    sapporo = bench_graph(resources.graph().copy(), n_kaiteki=1000, n_osmnx=200, seed=1)
    print(f"[bench] routing (a) Sapporo: {sapporo}", flush=True)
    # routing reads only length, segment_id and oneway: the field's edge attributes would only
    # add memory to the networkx reference
    city = bench_graph(generated_city(field_attributes=False), n_kaiteki=300, n_osmnx=20, seed=2)
    print(f"[bench] routing (b) generated city: {city}", flush=True)
    return {
        "sapporo_nodes": sapporo["nodes"],
        "sapporo_p50_ms": sapporo["p50_ms"],
        "sapporo_p99_ms": sapporo["p99_ms"],
        "ratio_vs_networkx_sapporo": sapporo["ratio"],
        "city_graph": "generated 317x317 jittered grid with one-way streets (seed 20250120)",
        "city_nodes": city["nodes"],
        "city_edges": city["edges"],
        "city_p50_ms": city["p50_ms"],
        "city_p99_ms": city["p99_ms"],
        "city_osmnx_p50_ms": city["osmnx_p50_ms"],
        "ratio_vs_networkx_city": city["ratio"],
        "city_compile_s": city["compile_s"],
        "reweight_ms": sapporo["reweight_ms"],
        "reweight_city_ms": city["reweight_ms"],
        "discomfort": "simulated (uniform random, fixed seed)",
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    record("routing", main())
