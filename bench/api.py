"""
Load test of ``GET /v1/route``: uvicorn with 2 workers on loopback, 32 connections for 30 s.

The load tool is Debian's ``wrk`` (C, event-driven: it needs a small share of one core, so the
two workers get the machine); when it is missing the benchmark installs it with ``apt-get``
(root only) and otherwise falls back to an asyncio httpx client, which competes with the
workers for the CPU and overstates latency (``load_tool`` says which ran). ``wrk`` cycles
through 2,000 random origin–destination pairs (street nodes of the embedded graph, fixed seed)
precomputed into a Lua script whose ``done`` hook prints the counts and latency percentiles as
one JSON line.

Reported (``bench/results/api.json``): ``connections``, ``duration_s``, ``requests``, ``rps``,
``p50_ms``, ``p90_ms``, ``p99_ms``, ``errors`` (socket errors, timeouts and non-2xx/3xx
statuses; must be 0), ``p50_ms_1conn`` (one connection: the server's own time per request),
``bare_route_p50_ms`` (the routing call the endpoint makes, in process, same pairs),
``ratio_endpoint_vs_bare`` (endpoint p50 under load / bare call), the page weight of
``/map/comfort`` (``map_comfort_kb``), ``worker_rss_mb`` (sum over the uvicorn workers),
``peak_rss_mb`` (this process) and ``load_tool``. Targets (issue 6): p99 <= 100 ms, 0 errors.

Run: ``.venv/bin/python -m bench.api`` (uses the settings of the environment: ``make prepare``
first for the comfort field; without it routes are distance-only and the page weight is None).
``KAITEKI_BENCH_LOAD_TOOL=httpx`` forces the fallback client; ``KAITEKI_BENCH_SOAK=1`` also
runs the soak test of issue 8 (``bench/api_soak.py``: 60 s at 64 connections, memory growth).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from api.http_protocol import uvicorn_argv
from bench._harness import peak_rss_mb, record

CONNECTIONS = 32
DURATION_S = 30.0
WORKERS = 2
WARMUP_S = 5.0
TIMEOUT_S = 10.0
N_PAIRS = 2000
AT = "2022-07-19T14:00"
MODE = "comfortable"
REPO = Path(__file__).resolve().parent.parent
_WRK_MARK = "KAITEKI_WRK "

# wrk runs one Lua state per thread: ``setup`` numbers the threads so that each starts at a
# different place in the pair list; ``done`` prints the figures as one JSON line.
_LUA = """
local counter = 0
local n_threads = 0
function setup(thread)
  thread:set("thread_id", n_threads)
  n_threads = n_threads + 1
end
function init(args)
  counter = (thread_id or 0) * 997
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\\n',
    "MARK", summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured: completed requests, errors and latency (ms)."""

    tool: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    error_kinds: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pairs(n: int = N_PAIRS, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` random origin–destination pairs of street nodes as ``"lon,lat"`` strings."""
    from api import resources
    from comfort.network import UNDERGROUND_NODE_BASE

    cg = resources.current().compiled()
    street = np.flatnonzero(np.asarray(cg.node_ids) < UNDERGROUND_NODE_BASE)
    rng = np.random.default_rng(seed)
    a = rng.choice(street, n)
    b = rng.choice(street, n)
    return [
        (f"{cg.lon[i]:.6f},{cg.lat[i]:.6f}", f"{cg.lon[j]:.6f},{cg.lat[j]:.6f}")
        for i, j in zip(a, b, strict=True)
    ]


def route_path(origin: str, destination: str) -> str:
    """The request path of one pair (commas and colons are legal in a query string)."""
    return f"/v1/route?from={origin}&to={destination}&at={AT}&mode={MODE}"


def bare_route_ms(od: list[tuple[str, str]]) -> float:
    """Median time (ms) of the routing call the endpoint makes, in process, same pairs."""
    import datetime as dt

    from api import resources
    from comfort import routing
    from comfort.conditions import CATEGORY_KEYS

    res = resources.current()
    at = dt.datetime.fromisoformat(AT)
    res.route_weights_pair(MODE, at)  # warm caches, as the server is warm
    times = []
    for o, d in od:
        t0 = time.perf_counter()
        weights, shortest, _ = res.route_weights_pair(MODE, at)
        routing.route_lonlat(
            res.compiled(),
            (float(o.split(",")[0]), float(o.split(",")[1])),
            (float(d.split(",")[0]), float(d.split(",")[1])),
            weights,
            category_order=CATEGORY_KEYS,
            shortest_weights=shortest,
        )
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000)


def ensure_wrk() -> str | None:
    """
    The path of ``wrk``, installing Debian's package when it is missing and we are root.

    Returns None (the caller falls back to httpx) when ``KAITEKI_BENCH_LOAD_TOOL=httpx`` or
    wrk cannot be installed.
    """
    if os.environ.get("KAITEKI_BENCH_LOAD_TOOL", "wrk").lower() == "httpx":
        return None
    found = shutil.which("wrk")
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    print("[bench] wrk not found: installing Debian's wrk with apt-get", flush=True)
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(
                cmd,
                check=True,
                timeout=600,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"[bench] could not install wrk ({exc}); using the httpx client", flush=True)
            return None
    return shutil.which("wrk")


def worker_pids(server_pid: int) -> list[int]:
    """The uvicorn worker processes under the server (multiprocessing spawn children)."""
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    pids = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            if "spawn_main" in " ".join(child.cmdline()):
                pids.append(child.pid)
    return pids


def workers_rss_mb(server_pid: int) -> float:
    """Resident memory (MB) summed over the uvicorn worker processes."""
    total = 0
    for pid in worker_pids(server_pid):
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


@contextlib.contextmanager
def serve(workers: int = WORKERS) -> Iterator[tuple[str, int]]:
    """
    Start ``uvicorn api.app:create_app`` on a free loopback port, as ``kaiteki serve`` does
    (with :data:`api.http_protocol.HTTP_PROTOCOL`: TCP_NODELAY); yield (base URL, pid).
    """
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        uvicorn_argv("127.0.0.1", port, workers),
        cwd=REPO,
        env=dict(os.environ),
    )
    try:
        deadline = time.time() + 180
        while len(worker_pids(proc.pid)) < workers or not _answers(base):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start; see its output above")
            time.sleep(0.5)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/area", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def run_wrk(
    wrk: str, base: str, od: list[tuple[str, str]], connections: int, duration_s: float
) -> LoadResult:
    """Drive ``/v1/route`` with wrk (one thread: the workers need the cores) and parse it."""
    with tempfile.TemporaryDirectory(prefix="kaiteki-wrk-") as tmp:
        script = Path(tmp) / "route.lua"
        table = ",\n".join(json.dumps(route_path(o, d)) for o, d in od)
        script.write_text("paths = {\n" + table + "\n}\n" + _LUA.replace("MARK", _WRK_MARK))
        out = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{round(duration_s)}s",
                f"--timeout={round(TIMEOUT_S)}s",
                "--latency",
                "-s",
                str(script),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=duration_s + 120,
        ).stdout
    line = next((x for x in out.splitlines() if x.startswith(_WRK_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary line; its output was:\n{out}")
    s = json.loads(line[len(_WRK_MARK) :])
    kinds = {k: int(s[k]) for k in ("connect", "read", "write", "status", "timeout")}
    return LoadResult(
        tool="wrk",
        connections=connections,
        duration_s=s["duration_us"] / 1e6,
        requests=int(s["requests"]),
        errors=sum(kinds.values()),
        error_kinds=kinds,
        p50_ms=s["p50_us"] / 1000,
        p90_ms=s["p90_us"] / 1000,
        p99_ms=s["p99_us"] / 1000,
        max_ms=s["max_us"] / 1000,
    )


async def _httpx_load(
    base: str, od: list[tuple[str, str]], connections: int, duration_s: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    stop = start + duration_s
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=TIMEOUT_S) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop:
                o, d = od[i % len(od)]
                i += connections
                t0 = time.perf_counter()
                try:
                    r = await client.get(
                        "/v1/route", params={"from": o, "to": d, "at": AT, "mode": MODE}
                    )
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

        await asyncio.gather(*(worker(k) for k in range(connections)))
    return latencies, errors, time.perf_counter() - start


def run_httpx(
    base: str, od: list[tuple[str, str]], connections: int, duration_s: float
) -> LoadResult:
    """The fallback load: an asyncio httpx client in this process (shares the CPU)."""
    lat_s, errors, elapsed = asyncio.run(_httpx_load(base, od, connections, duration_s))
    lat = np.asarray(lat_s) * 1000 if lat_s else np.zeros(1)
    return LoadResult(
        tool="httpx",
        connections=connections,
        duration_s=elapsed,
        requests=len(lat_s),
        errors=errors,
        error_kinds={"failed": errors},
        p50_ms=float(np.percentile(lat, 50)),
        p90_ms=float(np.percentile(lat, 90)),
        p99_ms=float(np.percentile(lat, 99)),
        max_ms=float(lat.max()),
    )


def run_load(
    wrk: str | None, base: str, od: list[tuple[str, str]], connections: int, duration_s: float
) -> LoadResult:
    """One load run with wrk when available, else httpx."""
    if wrk is not None:
        return run_wrk(wrk, base, od, connections, duration_s)
    return run_httpx(base, od, connections, duration_s)


def warm_up(wrk: str | None, base: str, od: list[tuple[str, str]], connections: int) -> None:
    """Load the graph and the field hour in every worker, then a short load at full width."""
    for o, d in od[:8]:  # the first requests load the inputs (seconds); sequential is gentle
        httpx.get(f"{base}{route_path(o, d)}", timeout=120)
    run_load(wrk, base, od, connections, WARMUP_S)


def tool_name(wrk: str | None) -> str:
    """``wrk <version>`` or ``httpx <version>``."""
    if wrk is None:
        return f"httpx {httpx.__version__}"
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    words = (out.stdout + out.stderr).split()
    return f"wrk {words[1]}" if len(words) > 1 else "wrk"


def main() -> dict[str, Any]:
    """Run the load test and return its figures."""
    od = pairs()
    wrk = ensure_wrk()
    with serve() as (base, pid):
        warm_up(wrk, base, od, CONNECTIONS)
        one = run_load(wrk, base, od, 1, 5.0)
        res = run_load(wrk, base, od, CONNECTIONS, DURATION_S)
        rss = workers_rss_mb(pid)
        page = httpx.get(f"{base}/map/comfort", timeout=60)
        map_kb = round(len(page.content) / 1024, 1) if page.status_code == 200 else None
        field = httpx.get(f"{base}{route_path(*od[0])}", timeout=60).json().get("comfort_field")
    bare = bare_route_ms(od[:300])
    figures = {
        "connections": CONNECTIONS,
        "duration_s": round(res.duration_s, 1),
        "workers": WORKERS,
        "requests": res.requests,
        "rps": round(res.rps, 1),
        "p50_ms": round(res.p50_ms, 2),
        "p90_ms": round(res.p90_ms, 2),
        "p99_ms": round(res.p99_ms, 2),
        "max_ms": round(res.max_ms, 2),
        "errors": res.errors,
        "error_kinds": res.error_kinds,
        "p50_ms_1conn": round(one.p50_ms, 2),
        "bare_route_p50_ms": round(bare, 3),
        "ratio_endpoint_vs_bare": round(res.p50_ms / bare, 1) if bare > 0 else None,
        "target_met": res.p99_ms <= 100 and res.errors == 0,
        "map_comfort_kb": map_kb,
        "comfort_field_used": field,
        "worker_rss_mb": round(rss, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_tool": tool_name(wrk),
    }
    print(
        f"/v1/route ({figures['load_tool']}, {CONNECTIONS} connections): {figures['rps']} req/s, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {res.errors}; one "
        f"connection p50 {figures['p50_ms_1conn']} ms; bare routing call p50 {bare:.2f} ms "
        f"(endpoint/bare = {figures['ratio_endpoint_vs_bare']}x); /map/comfort {map_kb} KB; "
        f"workers {figures['worker_rss_mb']} MB; peak RSS {figures['peak_rss_mb']} MB"
    )
    return figures


if __name__ == "__main__":
    record("api", main())
    if os.environ.get("KAITEKI_BENCH_SOAK", "").lower() in ("1", "true", "yes"):
        from bench import api_soak

        record("api_soak", api_soak.main())
