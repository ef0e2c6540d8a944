"""
Point-to-point search: A* compiled with numba on the CSR arrays (docs/ROUTING.md, Engine).

The heuristic ``k × euclidean distance`` (:func:`comfort.routing.costs.heuristic_scale`) is
consistent, so every path is an exact Dijkstra optimum.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from comfort.errors import RoutingError
from comfort.routing.costs import EdgeWeights
from comfort.routing.graph import CompiledGraph


@numba.njit(cache=True, nogil=True)
def _heap_push(keys, vals, size, key, val):  # type: ignore[no-untyped-def]
    if size >= keys.size:
        nk = np.empty(keys.size * 2, dtype=keys.dtype)
        nv = np.empty(vals.size * 2, dtype=vals.dtype)
        nk[:size] = keys[:size]
        nv[:size] = vals[:size]
        keys, vals = nk, nv
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= keys[i]:
            break
        keys[p], keys[i] = keys[i], keys[p]
        vals[p], vals[i] = vals[i], vals[p]
        i = p
    return keys, vals, size + 1


@numba.njit(cache=True, nogil=True)
def _heap_pop(keys, vals, size):  # type: ignore[no-untyped-def]
    key = keys[0]
    val = vals[0]
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        c = left
        r = left + 1
        if r < size and keys[r] < keys[left]:
            c = r
        if keys[i] <= keys[c]:
            break
        keys[c], keys[i] = keys[i], keys[c]
        vals[c], vals[i] = vals[i], vals[c]
        i = c
    return key, val, size


@numba.njit(cache=True, nogil=True)
def _astar(indptr, dst, cost, x, y, k, source, target):  # type: ignore[no-untyped-def]
    n = indptr.size - 1
    g = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    keys = np.empty(256, dtype=np.float64)
    vals = np.empty(256, dtype=np.int64)
    tx = x[target]
    ty = y[target]
    g[source] = 0.0
    keys, vals, size = _heap_push(
        keys, vals, 0, k * np.sqrt((x[source] - tx) ** 2 + (y[source] - ty) ** 2), source
    )
    while size > 0:
        _, u, size = _heap_pop(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        if u == target:
            break
        gu = g[u]
        for e in range(indptr[u], indptr[u + 1]):
            c = cost[e]
            if not c < np.inf:
                continue
            v = dst[e]
            if done[v]:
                continue
            nd = gu + c
            if nd < g[v]:
                g[v] = nd
                pred[v] = e
                h = k * np.sqrt((x[v] - tx) ** 2 + (y[v] - ty) ** 2)
                keys, vals, size = _heap_push(keys, vals, size, nd + h, v)
    return g[target], pred


@numba.njit(cache=True, nogil=True)
def _path_edges(pred, src, source, target):  # type: ignore[no-untyped-def]
    count = 0
    v = target
    while v != source:
        e = pred[v]
        if e < 0:
            return np.empty(0, dtype=np.int64)
        count += 1
        v = src[e]
    out = np.empty(count, dtype=np.int64)
    v = target
    i = count - 1
    while v != source:
        e = pred[v]
        out[i] = e
        i -= 1
        v = src[e]
    return out


def shortest_path_edges(
    cg: CompiledGraph, weights: EdgeWeights, source: int, target: int
) -> tuple[float, npt.NDArray[np.int64]]:
    """
    Least-cost path between two node indices: its cost and its directed edges in order.

    Exact (A* with a consistent heuristic, numba-compiled). Raises :class:`RoutingError` when
    the target cannot be reached (for example only through a closed walkway).
    """
    for label, node in (("source", source), ("target", target)):
        if not 0 <= node < cg.n_nodes:
            raise RoutingError(f"{label} node index {node} is outside 0..{cg.n_nodes - 1}")
    total, pred = _astar(
        cg.indptr,
        cg.dst,
        weights.cost,
        cg.x,
        cg.y,
        weights.heuristic_scale,
        np.int64(source),
        np.int64(target),
    )
    if not np.isfinite(total):
        raise RoutingError(
            f"no {weights.mode} route from node {cg.node_ids[source]} to node "
            f"{cg.node_ids[target]} at this time: the target is only reachable through closed "
            "or excluded edges (walkways closed at night, stairs in accessible mode)"
        )
    return float(total), _path_edges(pred, cg.src, np.int64(source), np.int64(target))
