"""
Load test of ``GET /v1/route``: uvicorn with 2 workers on loopback, 32 connections for 30 s.

An asyncio httpx client keeps 32 requests in flight with random origin–destination pairs
(street nodes of the embedded graph, fixed seed) for ``DURATION_S`` seconds. Reported:
requests/s, p50/p99 latency, errors (must be 0), the ratio of the endpoint's median latency to
the bare in-process routing call on the same pairs (weights and snapping included), and the
page weight of ``/map/comfort`` (KB).

Run: ``.venv/bin/python -m bench.api`` (uses the settings of the environment: ``make prepare``
first for the comfort field; without it routes are distance-only and the page weight is None).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._harness import peak_rss_mb, record

CONNECTIONS = 32
DURATION_S = 30.0
WORKERS = 2
AT = "2022-07-19T14:00"
MODE = "comfortable"
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    from api import data

    cg = data.compiled()
    from comfort.network import UNDERGROUND_NODE_BASE

    street = np.flatnonzero(np.asarray(cg.node_ids) < UNDERGROUND_NODE_BASE)  # street nodes
    rng = np.random.default_rng(seed)
    a = rng.choice(street, n)
    b = rng.choice(street, n)
    return [
        (f"{cg.lon[i]:.6f},{cg.lat[i]:.6f}", f"{cg.lon[j]:.6f},{cg.lat[j]:.6f}")
        for i, j in zip(a, b, strict=True)
    ]


def bare_route_ms(pairs: list[tuple[str, str]]) -> float:
    """Median time (ms) of the routing call the endpoint makes, in process, same pairs."""
    import datetime as dt

    from api import data
    from comfort import routing

    at = dt.datetime.fromisoformat(AT)
    data.route_weights(MODE, at)  # warm caches, as the server is warm
    times = []
    for o, d in pairs:
        t0 = time.perf_counter()
        weights, _ = data.route_weights(MODE, at)
        routing.route_lonlat(
            data.compiled(),
            tuple(map(float, o.split(","))),
            tuple(map(float, d.split(","))),
            weights,
            category_order=data.CATEGORY_KEYS,
        )
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000)


async def _load(base: str, pairs: list[tuple[str, str]]) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + DURATION_S
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop:
                o, d = pairs[i % len(pairs)]
                i += CONNECTIONS
                t0 = time.perf_counter()
                try:
                    r = await client.get(
                        "/v1/route", params={"from": o, "to": d, "at": AT, "mode": MODE}
                    )
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

        await asyncio.gather(*(worker(k) for k in range(CONNECTIONS)))
    return latencies, errors


def main() -> dict[str, Any]:
    """Run the load test and return its figures."""
    pairs = _pairs(2000)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=dict(os.environ),
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/v1/area", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start; see its output above")
            time.sleep(0.5)
        # warm both workers (graph compiled, field hour cached) before measuring
        for o, d in pairs[:64]:
            httpx.get(
                f"{base}/v1/route", params={"from": o, "to": d, "at": AT, "mode": MODE}, timeout=60
            )
        latencies, errors = asyncio.run(_load(base, pairs))
        page = httpx.get(f"{base}/map/comfort", timeout=60)
        map_kb = round(len(page.content) / 1024, 1) if page.status_code == 200 else None
        field = (
            httpx.get(f"{base}/v1/route", params={"from": pairs[0][0], "to": pairs[0][1], "at": AT})
            .json()
            .get("comfort_field")
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lat = np.asarray(latencies) * 1000
    bare = bare_route_ms(pairs[:300])
    p50 = float(np.percentile(lat, 50))
    figures = {
        "connections": CONNECTIONS,
        "duration_s": DURATION_S,
        "workers": WORKERS,
        "requests": len(lat),
        "rps": round(len(lat) / DURATION_S, 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "errors": errors,
        "bare_route_p50_ms": round(bare, 3),
        "ratio_endpoint_vs_bare": round(p50 / bare, 1) if bare > 0 else None,
        "map_comfort_kb": map_kb,
        "comfort_field_used": field,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(
        f"/v1/route: {figures['rps']} req/s, p50 {figures['p50_ms']} ms, p99 "
        f"{figures['p99_ms']} ms, errors {errors}; bare routing call p50 {bare:.2f} ms "
        f"(endpoint/bare = {figures['ratio_endpoint_vs_bare']}×); /map/comfort {map_kb} KB; "
        f"peak RSS {figures['peak_rss_mb']} MB"
    )
    return figures


if __name__ == "__main__":
    record("api", main())
