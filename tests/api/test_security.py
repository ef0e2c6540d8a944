"""
Auth and abuse: API keys (required, constant-time, hashed, revocable), body and batch limits,
CORS (same origin by default) and the security headers of every response.
"""

from __future__ import annotations

import hmac
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import auth
from api.errors import AuthError, BatchTooLargeError, status_for
from api.middleware import content_security_policy, tile_source
from api.settings import Settings

WRITE_ENDPOINTS = ("/v1/readings", "/v1/counts", "/v1/steps", "/v1/survey")

#: A well-formed reading (valid for the readings endpoint; the other kinds quarantine it).
ROW = {
    "time": "2022-07-20T14:00:00+09:00",
    "sensor_id": "sec-01",
    "lat": 43.0605,
    "lon": 141.3521,
    "air_temp_c": 27.4,
    "rel_humidity_pct": 61,
    "wind_speed_m_s": 1.8,
    "globe_temp_c": 35.2,
}


@pytest.fixture(scope="module")
def own_client(prepared: Settings, tmp_path_factory: pytest.TempPathFactory):
    """A client of an app with a store of this module's own (keys created and revoked here)."""
    from api.app import create_app

    # keys re-read on every request: revocation shows at once (the default is within 5 s)
    s = prepared.model_copy(
        update={
            "store": tmp_path_factory.mktemp("sec") / "sec.duckdb",
            "key_refresh_s": 0.0,
            "key_recheck_s": 0.0,
        }
    )
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c, s


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": "kt_deadbeef_" + "x" * 32},  # well-formed, unknown id
        {"Authorization": "Bearer kt_deadbeef_guess"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "empty", "malformed", "unknown", "bearer-unknown", "basic-auth"],
)
def test_write_endpoints_refuse_bad_keys(own_client, path: str, headers: dict) -> None:
    client, _ = own_client
    r = client.post(path, json=[ROW], headers=headers)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["error"] == "AuthError" and "key" in body["message"].lower()


def test_guessed_secret_of_a_real_key_id_is_refused(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "guess-target")
    guessed = f"kt_{key.key_id}_{'A' * len(key.secret.split('_', 2)[2])}"
    r = client.post("/v1/readings", json=[ROW], headers={"X-API-Key": guessed})
    assert r.status_code == 401 and "unknown API key" in r.json()["message"]


def test_valid_key_passes_and_revoked_key_is_refused(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "to-revoke")
    ok = client.post("/v1/readings", json=[ROW], headers={"X-API-Key": key.secret})
    assert ok.status_code == 200 and ok.json()["rows_read"] == 1
    assert client.app.state.ingest.writer.wait_idle()
    auth.revoke_key(s.store, key.key_id)
    for path in WRITE_ENDPOINTS:
        r = client.post(path, json=[ROW], headers={"X-API-Key": key.secret})
        assert r.status_code == 401
        assert f"API key {key.key_id} was revoked" in r.json()["message"]
    with pytest.raises(AuthError, match="was revoked; create a new one"):
        auth.verify_key(s.store, key.secret)


def test_keys_compared_in_constant_time(own_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify_key compares digests with hmac.compare_digest, never with ==."""
    _, s = own_client
    key = auth.create_key(s.store, "constant-time")
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.verify_key(s.store, key.secret) == key.key_id
    with pytest.raises(AuthError, match="unknown API key"):
        auth.verify_key(s.store, key.secret[:-1] + ("B" if key.secret[-1] != "B" else "C"))
    assert len(calls) == 2
    assert all(len(a) == len(b) == 64 for a, b in calls)  # digests, not raw secrets
    source = Path(auth.__file__).read_text(encoding="utf-8")
    assert not re.search(r"sha256\S*\s*[!=]=|[!=]=\s*digest\(", source)


def test_keys_stored_hashed(own_client) -> None:
    """The store holds only the SHA-256 of a key: no column and no byte of the file has it."""
    from sensors.store import Store

    _, s = own_client
    key = auth.create_key(s.store, "hashed")
    with Store(s.store, read_only=True) as store:
        rows = store.con.execute("SELECT * FROM api_keys").fetchall()
        stored = store.con.execute(
            "SELECT sha256 FROM api_keys WHERE key_id = ?", [key.key_id]
        ).fetchone()
    assert stored is not None and stored[0] == auth.digest(key.secret)
    secret_part = key.secret.split("_", 2)[2]
    for row in rows:
        for value in row:
            assert secret_part not in str(value)
    raw = Path(s.store).read_bytes()
    assert secret_part.encode() not in raw and key.secret.encode() not in raw


# --- body and batch limits -------------------------------------------------------------------


def test_oversized_body_413(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "big")
    body = b"[" + b" " * s.max_body_bytes + b"]"
    r = client.post(
        "/v1/readings",
        content=body,
        headers={"X-API-Key": key.secret, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "request body too large" in r.json()["message"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(s.max_body_bytes // 65_536 + 2):
            yield b" " * 65_536

    r = client.post(
        "/v1/readings",
        content=chunks(),
        headers={"X-API-Key": key.secret, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_too_many_rows_413(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "many")
    rows = [{"x": 1}] * (s.max_batch_rows + 1)
    r = client.post("/v1/counts", json=rows, headers={"X-API-Key": key.secret})
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["error"] == "BatchTooLargeError"
    assert f"at most {s.max_batch_rows:,} rows" in body["message"]
    assert "KAITEKI_MAX_BATCH_ROWS" in body["message"]
    assert status_for(BatchTooLargeError("x")) == 413


def test_batch_limit_is_documented(own_client) -> None:
    client, _ = own_client
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/readings"]["post"]
    assert {"401", "413", "422"} <= set(post["responses"])
    assert "KAITEKI_MAX_BATCH_ROWS" in json.dumps(post) and "10,000" in spec["info"]["description"]


def test_empty_batch_is_refused_after_auth(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "empty")
    r = client.post("/v1/survey", json=[], headers={"X-API-Key": key.secret})
    assert r.status_code == 422 and "batch is empty" in r.json()["message"]


# --- CORS ------------------------------------------------------------------------------------


def test_cors_same_origin_by_default(own_client) -> None:
    client, _ = own_client
    foreign = {"Origin": "https://evil.example"}
    r = client.get("/v1/courses", headers=foreign)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/v1/readings",
        headers={
            **foreign,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key",
        },
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_only_for_configured_origins(prepared: Settings) -> None:
    from api.app import create_app

    s = prepared.model_copy(update={"cors_origins": ["https://planning.example"]})
    with TestClient(create_app(s)) as client:
        ok = client.get("/v1/courses", headers={"Origin": "https://planning.example"})
        assert ok.headers["access-control-allow-origin"] == "https://planning.example"
        other = client.get("/v1/courses", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# --- security headers ------------------------------------------------------------------------

_EXTERNAL = re.compile(r"https?://|\*")


@pytest.mark.parametrize(
    "path", ["/", "/map/places", "/dashboard", "/v1/courses", "/nope", "/docs", "/redoc"]
)
def test_security_headers(own_client, path: str) -> None:
    client, _ = own_client
    r = client.get(path)
    assert r.status_code in (200, 404)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["referrer-policy"] == "same-origin"
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert not _EXTERNAL.search(csp), csp  # no other host without KAITEKI_TILES
    # only the API docs start a worker from a blob: URL (ReDoc's search)
    assert directives.get("worker-src") == ("'self' blob:" if path in ("/docs", "/redoc") else None)


def test_security_headers_on_413_and_401(own_client) -> None:
    client, s = own_client
    key = auth.create_key(s.store, "headers-413")
    big = b" " * (s.max_body_bytes + 1)
    r = client.post(
        "/v1/readings",
        content=big,
        headers={"Content-Type": "application/json", "X-API-Key": key.secret},
    )
    assert r.status_code == 413 and r.headers["x-content-type-options"] == "nosniff"
    # without a key the oversized body is not even looked at: 401 first
    r = client.post("/v1/readings", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-request-id"] == r.json()["request_id"]


def test_csp_allows_only_the_configured_tile_host(prepared: Settings) -> None:
    from api.app import create_app

    tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    s = prepared.model_copy(update={"tiles": tiles})
    with TestClient(create_app(s)) as client:
        r = client.get("/map/places")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["img-src"] == "'self' data: https://*.tiles.example.org"
    others = [v for k, v in directives.items() if k != "img-src"]
    assert not any(_EXTERNAL.search(v) for v in others)


def test_tile_source_rejects_injection() -> None:
    assert tile_source("https://a.example.org; script-src *") is None
    assert tile_source("no-scheme/{z}/{x}/{y}.png") is None
    assert "script-src 'self' 'unsafe-inline';" in content_security_policy(
        "https://a.example.org; script-src */{z}"
    )
    assert "*" not in content_security_policy("https://a.example.org; script-src */{z}")


# --- error boundary, request ids, auth before the body, timeouts ---------------------------


def _boom_app(prepared: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    from api.app import create_app

    app = create_app(prepared.model_copy(update={"store": tmp_path / "boom.duckdb"}))

    def boom() -> None:
        raise RuntimeError(f"secret detail {tmp_path} pid 12345")

    app.add_api_route("/v1/boom", boom, methods=["GET"])  # a test-only route that fails
    return app


def test_unexpected_error_is_a_generic_500_with_headers(
    prepared: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(_boom_app(prepared, tmp_path)) as client:
        r = client.get("/v1/boom", headers={"X-Request-ID": "probe-42"})
    assert r.status_code == 500
    body = r.json()
    assert body == {
        "error": "InternalError",
        "message": "internal error; the server log has the details under request id probe-42",
        "status": 500,
        "request_id": "probe-42",
    }
    assert "secret detail" not in r.text and str(tmp_path) not in r.text
    for name in ("x-content-type-options", "x-frame-options", "referrer-policy",
                 "content-security-policy"):  # fmt: skip
        assert name in r.headers, name
    assert r.headers["x-request-id"] == "probe-42"
    logged = [rec for rec in caplog.records if "probe-42" in rec.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the server log


def test_request_id_is_generated_when_missing_or_unsafe(own_client) -> None:
    client, _ = own_client
    a = client.get("/v1/area").headers["x-request-id"]
    b = client.get("/v1/area", headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert (
        re.fullmatch(r"[0-9a-f]{32}", b.headers["x-request-id"]) and a != b.headers["x-request-id"]
    )


def test_store_error_is_503_without_internals(own_client) -> None:
    from api.errors import error_body
    from sensors.errors import StoreError

    exc = StoreError("cannot open the store /secret/path.duckdb: PID 999")
    assert status_for(exc) == 503
    body = error_body(exc, 503, "r")
    assert "/secret" not in json.dumps(body) and "999" not in json.dumps(body)
    assert body["error"] == "StoreBusyError"


async def _asgi_post(app, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]):  # type: ignore[no-untyped-def]
    """Call the app directly; returns (status, body, number of body chunks it read)."""
    read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": True}
        import asyncio

        await asyncio.sleep(3600)  # a client that stalls
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
        "query_string": b"", "headers": headers, "scheme": "http", "http_version": "1.1",
        "server": ("test", 80), "client": ("test", 1), "root_path": "", "app": app,
    }  # fmt: skip
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


def test_unauthenticated_5mb_body_is_refused_unread(own_client) -> None:
    import asyncio

    client, _ = own_client
    chunks = [b"[" + b" " * 1_000_000] + [b" " * 1_000_000] * 4 + [b"]"]
    headers = [(b"content-type", b"application/json"), (b"x-api-key", b"kt_deadbeef_guess")]
    status, body, read = asyncio.run(_asgi_post(client.app, "/v1/readings", headers, chunks))
    assert status == 401 and body["error"] == "AuthError"
    assert read == 0  # not one byte of the body was received


def test_stalled_body_gets_408(prepared: Settings, tmp_path: Path) -> None:
    import asyncio

    from api.app import create_app

    s = prepared.model_copy(update={"store": tmp_path / "t.duckdb", "body_timeout_s": 0.3})
    key = auth.create_key(s.store, "slow")
    app = create_app(s)
    with TestClient(app):  # runs the lifespan (key snapshot)
        headers = [(b"content-type", b"application/json"), (b"x-api-key", key.secret.encode())]
        status, body, read = asyncio.run(
            _asgi_post(app, "/v1/readings", headers, [b'[{"time": "2022-07-20T14:00'])
        )
    assert status == 408 and body["error"] == "RequestTimeout", body
    assert "0.3 s" in body["message"] and read == 1


def test_made_up_keys_do_not_reach_the_store(prepared: Settings, tmp_path: Path) -> None:
    """A flood of unknown key ids re-reads the keys at most once per KAITEKI_KEY_RECHECK_S."""
    from api.app import create_app

    s = prepared.model_copy(
        update={
            "store": tmp_path / "flood.duckdb",
            "key_refresh_s": 3600.0,
            "key_recheck_s": 3600.0,
        }
    )
    auth.create_key(s.store, "real")
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        snapshot = client.app.state.ingest.keys.snapshot
        before = snapshot.reads
        for i in range(200):
            r = client.post("/v1/readings", json=[ROW], headers={"X-API-Key": f"kt_{i:08x}_x"})
            assert r.status_code == 401
        assert snapshot.reads - before == 1  # one early re-read for the first unknown id


@pytest.mark.parametrize("protocol", ["NoDelayH11Protocol", "NoDelayHttpToolsProtocol"])
@pytest.mark.parametrize("first_complete", [False, True])
def test_header_timeout_closes_a_slow_connection(
    prepared: Settings, protocol: str, first_complete: bool
) -> None:
    """
    A client that never finishes its headers gets 408 and the connection is closed, on a new
    connection and on a kept-alive one after a complete request (both HTTP protocols).
    """
    import asyncio

    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from api import http_protocol

    cls = getattr(http_protocol, protocol)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        assert scope["path"] == "/ok", "no unfinished request should reach the app"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"ok"})

    async def run() -> bytes:
        loop = asyncio.get_running_loop()
        cls.header_timeout_s = 0.2
        try:
            config = Config(app=app, http=cls)
            config.load()
            server = await loop.create_server(
                lambda: cls(config=config, server_state=ServerState(), app_state={}),
                "127.0.0.1", 0,
            )  # fmt: skip
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if first_complete:
                writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 200")
                assert await asyncio.wait_for(reader.readexactly(2), 5) == b"ok"
            writer.write(b"GET /v1/area HTTP/1.1\r\nHost: x\r\n")  # no blank line: unfinished
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            server.close()
            return data
        finally:
            cls.header_timeout_s = None

    data = asyncio.run(run())
    assert data.startswith(b"HTTP/1.1 408") and b"not received within 0.2 s" in data


def test_demo_key_warning(prepared: Settings) -> None:
    from api.settings import DEMO_KEY_WARNING, DEMO_PSEUDONYM_KEY

    assert prepared.model_copy(update={"pseudonym_key": DEMO_PSEUDONYM_KEY}).uses_demo_pseudonym_key
    assert not prepared.model_copy(update={"pseudonym_key": "x" * 40}).uses_demo_pseudonym_key
    assert "KAITEKI_PSEUDONYM_KEY" in DEMO_KEY_WARNING
