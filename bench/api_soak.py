"""
Soak test of ``GET /v1/route`` (issue 8, "Load"): 60 s at 64 connections after a warm-up.

The server and the load are those of ``bench/api.py`` (uvicorn with 2 workers, wrk with random
pairs, httpx as fallback). After the warm-up (first requests, then 10 s at full width) the
resident memory of the uvicorn workers is summed (psutil) and sampled every second during the
run. Targets: 0 errors and memory growth <= 20 % from start to end.

Reported (``bench/results/api_soak.json``): ``connections``, ``duration_s``, ``requests``,
``rps``, ``p50_ms``, ``p99_ms``, ``errors``, ``worker_rss_start_mb``, ``worker_rss_end_mb``,
``worker_rss_peak_mb``, ``rss_growth_pct``, ``rss_ratio_end_vs_start`` (the reference ratio),
``target_met``, ``peak_rss_mb`` (this process) and ``load_tool``.

Run: ``.venv/bin/python -m bench.api_soak`` (or ``KAITEKI_BENCH_SOAK=1 .venv/bin/python -m
bench.api`` for both).
"""

from __future__ import annotations

import threading
from typing import Any

from bench import api
from bench._harness import peak_rss_mb, record

CONNECTIONS = 64
DURATION_S = 60.0
WARMUP_S = 10.0
MAX_GROWTH_PCT = 20.0


def main() -> dict[str, Any]:
    """Run the soak test and return its figures."""
    od = api.pairs()
    wrk = api.ensure_wrk()
    with api.serve() as (base, pid):
        api.warm_up(wrk, base, od, CONNECTIONS)
        api.run_load(wrk, base, od, CONNECTIONS, WARMUP_S)
        start_mb = api.workers_rss_mb(pid)
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                samples.append(api.workers_rss_mb(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            res = api.run_load(wrk, base, od, CONNECTIONS, DURATION_S)
        finally:
            stop.set()
            sampler.join(timeout=5)
        end_mb = api.workers_rss_mb(pid)
    growth = (end_mb / start_mb - 1) * 100 if start_mb > 0 else None
    figures = {
        "connections": CONNECTIONS,
        "duration_s": round(res.duration_s, 1),
        "warmup_s": api.WARMUP_S + WARMUP_S,
        "workers": api.WORKERS,
        "requests": res.requests,
        "rps": round(res.rps, 1),
        "p50_ms": round(res.p50_ms, 2),
        "p99_ms": round(res.p99_ms, 2),
        "max_ms": round(res.max_ms, 2),
        "errors": res.errors,
        "error_kinds": res.error_kinds,
        "worker_rss_start_mb": round(start_mb, 1),
        "worker_rss_end_mb": round(end_mb, 1),
        "worker_rss_peak_mb": round(max([start_mb, end_mb, *samples]), 1),
        "rss_growth_pct": None if growth is None else round(growth, 2),
        "rss_ratio_end_vs_start": round(end_mb / start_mb, 3) if start_mb > 0 else None,
        "target_met": res.errors == 0 and growth is not None and growth <= MAX_GROWTH_PCT,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_tool": api.tool_name(wrk),
    }
    print(
        f"/v1/route soak ({figures['load_tool']}, {CONNECTIONS} connections, "
        f"{figures['duration_s']} s): {res.requests} requests, {figures['rps']} req/s, p99 "
        f"{figures['p99_ms']} ms, errors {res.errors}; worker RSS {figures['worker_rss_start_mb']}"
        f" -> {figures['worker_rss_end_mb']} MB ({figures['rss_growth_pct']} %, target <= "
        f"{MAX_GROWTH_PCT:.0f} %); peak RSS {figures['peak_rss_mb']} MB"
    )
    return figures


if __name__ == "__main__":
    record("api_soak", main())
