"""
The performance changes of ``GET /v1/route`` keep its answers: the cached comparison weights,
the event-loop fast path, the vectorised coordinate rounding, the load lock and TCP_NODELAY.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import resources, wayfinding
from api.http_protocol import set_nodelay
from api.schemas import RouteOut
from api.settings import Settings
from comfort import routing
from comfort.conditions import CATEGORY_KEYS

STATION = (141.35038, 43.06738)
SUSUKINO = (141.35319, 43.05613)
ODORI_WEST = (141.3410, 43.0600)


def _reference(mode: str, at: str, origin: tuple[float, float], dest: tuple[float, float]) -> dict:
    """The response as the endpoint built it before: shortest weights per request, pydantic."""
    res = resources.current()
    when = dt.datetime.fromisoformat(at)
    weights, note = res.route_weights(mode, when)
    r = routing.route_lonlat(res.compiled(), origin, dest, weights, category_order=CATEGORY_KEYS)
    out = r.to_dict()
    out["geometry"]["coordinates"] = [
        [round(float(a), 7), round(float(b), 7)] for a, b in r.route.coords_lonlat
    ]
    out["shortest"]["geometry"]["coordinates"] = [
        [round(float(a), 7), round(float(b), 7)] for a, b in r.shortest.coords_lonlat
    ]
    out.update(
        at=when.isoformat(timespec="minutes"),
        field_year=note["field_year"],
        simulated=note["simulated"],
        conditions=res.conditions(when).to_dict(),
    )
    out.update(wayfinding.route_card(res, r, out["conditions"], "en"))
    return RouteOut.model_validate(out).model_dump(mode="json")


@pytest.mark.parametrize(
    ("mode", "at", "origin", "dest"),
    [
        ("comfortable", "2022-07-19T14:00", STATION, SUSUKINO),
        ("winter", "2022-01-19T12:00", STATION, SUSUKINO),
        ("shortest", "2022-07-19T03:00", ODORI_WEST, STATION),
        ("accessible", "2022-01-20T08:30", SUSUKINO, ODORI_WEST),
    ],
)
def test_route_response_identical_to_reference(
    client: TestClient, mode: str, at: str, origin: tuple, dest: tuple
) -> None:
    params = {
        "from": f"{origin[0]:.5f},{origin[1]:.5f}",
        "to": f"{dest[0]:.5f},{dest[1]:.5f}",
        "at": at,
        "mode": mode,
    }
    first = client.get("/v1/route", params=params)  # weights computed on a worker thread
    second = client.get("/v1/route", params=params)  # cached: answered on the event loop
    assert first.status_code == 200 and second.status_code == 200
    assert first.content == second.content
    assert first.json() == _reference(mode, at, origin, dest)


def test_route_weights_ready_after_first_call(prepared: Settings) -> None:
    res = resources.current()
    when = dt.datetime(2022, 7, 20, 9, 17, 42)
    assert not res.route_weights_ready("winter", when, 2.5)
    weights, shortest, note = res.route_weights_pair("winter", when, 2.5)
    assert res.route_weights_ready("winter", when.replace(second=0), 2.5)
    assert shortest.mode == "shortest" and weights.mode == "winter"
    assert np.array_equal(
        shortest.cost, routing.shortest_weights_like(res.compiled(), weights).cost
    )
    assert note["field_year"] == 2022


def test_concurrent_first_requests_do_not_fail(prepared: Settings) -> None:
    """Cold caches hit by 8 threads at once (the field is opened once, under the lock)."""
    resources.clear()
    res = resources.current()
    when = dt.datetime(2022, 1, 18, 10)

    def call(k: int) -> float:
        weights, _ = res.route_weights("comfortable", when + dt.timedelta(minutes=k % 2))
        return float(np.nansum(np.where(np.isfinite(weights.cost), weights.cost, 0.0)))

    with ThreadPoolExecutor(8) as pool:
        sums = list(pool.map(call, range(16)))
    assert len(set(sums)) <= 2 and all(s > 0 for s in sums)


def test_round_like_python_matches_round() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            141.3 + rng.random(20_000) * 0.1,
            43.0 + rng.random(20_000) * 0.1,
            # decimal half-way points, the cases where scaled rounding can go wrong
            np.array([float(f"43.06{i:05d}5") for i in range(20_000)]),
            np.array([np.nan, np.inf, -np.inf, 0.0, -2.5e-8, 1e300]),
        ]
    )
    got = routing.round_like_python(values, 7).tolist()
    want = [round(float(v), 7) for v in values]
    assert [repr(g) for g in got] == [repr(w) for w in want]
    scaled = np.round(values[40_000:60_000], 7).tolist()
    assert scaled != want[40_000:60_000]  # np.round does differ: the fallback is needed


def test_set_nodelay_on_a_socket_uvicorn_would_bind() -> None:
    """A listener made with proto=0 (as uvicorn --workers binds) yields Nagle-on sockets."""

    async def run() -> tuple[int, bool, int]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0
        listener.bind(("127.0.0.1", 0))
        seen: asyncio.Future[tuple[int, bool, int]] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                ok = set_nodelay(transport)
                after = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen.set_result((before, ok, after))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        result = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        await server.wait_closed()
        return result

    before, ok, after = asyncio.run(run())
    assert before == 0  # the asyncio default on such a socket: Nagle on (uvicorn #3149)
    assert ok and after != 0


def test_workers_share_connections_through_their_own_reuseport_sockets() -> None:
    """
    Two workers handed the same bound socket (as uvicorn's supervisor does) each listen on a
    socket of their own, and a burst of 32 connections is spread over both.
    """
    import threading

    from api.http_protocol import ReusePortEventLoop

    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Config.bind_socket
    bound.bind(("127.0.0.1", 0))
    port = bound.getsockname()[1]
    counts = [0, 0]
    reuse = [0, 0]
    same = [True, True]
    listening = [threading.Event(), threading.Event()]
    stop = threading.Event()

    def worker(k: int) -> None:
        async def serve() -> None:
            class Count(asyncio.Protocol):
                def connection_made(self, transport: asyncio.BaseTransport) -> None:
                    counts[k] += 1

            server = await asyncio.get_running_loop().create_server(Count, sock=bound)
            own = server.sockets[0]
            reuse[k] = own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            same[k] = own.fileno() == bound.fileno()
            listening[k].set()
            while not stop.is_set():
                await asyncio.sleep(0.01)
            server.close()

        with asyncio.Runner(loop_factory=ReusePortEventLoop) as runner:
            runner.run(serve())

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    try:
        assert all(e.wait(10) for e in listening)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(32)]
        for _ in range(1000):
            if sum(counts) == 32:
                break
            stop.wait(0.01)
        for c in clients:
            c.close()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        bound.close()
    assert reuse == [1, 1] and same == [False, False]
    assert sum(counts) == 32
    assert min(counts) > 0, counts  # by a hash of the client port: all on one is 2**-31
