"""
Hostile requests to the write endpoints (issue 16): every case gets a clear 4xx, or an accepted
response with the bad row quarantined; never a 5xx; the security headers and a request id on
every response.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import auth
from api.settings import Settings

GOOD: dict[str, dict[str, Any]] = {
    "readings": {
        "time": "2022-07-20T14:00:00+09:00", "sensor_id": "h-01", "lat": 43.0605,
        "lon": 141.3521, "air_temp_c": 27.4, "rel_humidity_pct": 61, "wind_speed_m_s": 1.8,
        "globe_temp_c": 35.2,
    },
    "counts": {
        "time": "2022-07-20T10:00:00+09:00", "line_id": "chikaho-J1", "direction": "N",
        "interval_min": 15, "count": 230, "series": "chikaho-acoustic",
    },
    "steps": {"participant_id": "p-01", "time": "2022-07-20T10:00:00+09:00", "steps": 812},
    "survey": {
        "response_id": "r-1", "time": "2022-07-20T10:00:00+09:00", "lat": 43.0605,
        "lon": 141.3521, "thermal_sensation": 1, "comfort_vote": 2, "free_text": "hot",
    },
}  # fmt: skip

STRING_FIELDS = {
    "readings": ["sensor_id", "time"],
    "counts": ["line_id", "direction", "series", "time"],
    "steps": ["participant_id", "time"],
    "survey": ["response_id", "free_text", "time"],
}


def _row(kind: str, **changes: Any) -> list[dict[str, Any]]:
    return [{**GOOD[kind], **changes}]


def _cases() -> list[tuple[str, str, Any]]:
    """(id, endpoint kind, JSON text or rows) of every hostile request."""
    cases: list[tuple[str, str, Any]] = []
    for kind, fields in STRING_FIELDS.items():
        for f in fields:
            cases.append((f"surrogate-{kind}-{f}", kind, _row(kind, **{f: "\ud800x"})))
        cases.append((f"surrogate-key-{kind}", kind, [{**GOOD[kind], "\udfff": 1}]))
        cases.append((f"huge-string-{kind}", kind, _row(kind, **{fields[0]: "x" * 1_000_000})))
        cases.append((f"wrong-type-list-{kind}", kind, _row(kind, time=[1, 2, 3])))
        cases.append((f"wrong-type-object-{kind}", kind, _row(kind, time={"$gt": ""})))
        cases.append((f"not-a-list-{kind}", kind, GOOD[kind]))
        cases.append((f"list-of-numbers-{kind}", kind, [1, 2, 3]))
        for label, t in [
            ("infinity", "infinity"), ("minus-infinity", "-infinity"), ("epoch", "epoch"),
            ("year-9999", "9999-12-31T00:00:00+09:00"), ("offset-25h", "2022-07-20T10:00:00+25:00"),
            ("year-1", "0001-01-01T00:00:00"), ("garbage", "yesterday-ish"),
        ]:  # fmt: skip
            cases.append((f"time-{label}-{kind}", kind, _row(kind, time=t)))
    cases += [
        ("level-70000", "readings", _row("readings", level=70000)),
        ("level-neg", "readings", _row("readings", level=-70000)),
        ("interval-3e9", "counts", _row("counts", interval_min=3_000_000_000)),
        ("thermal-sensation-70000", "survey", _row("survey", thermal_sensation=70000)),
        ("comfort-vote-huge", "survey", _row("survey", comfort_vote=2**63)),
        ("steps-1e20", "steps", '[{"participant_id": "p-01", "time": '
         '"2022-07-20T10:00:00+09:00", "steps": 99999999999999999999}]'),
        ("steps-negative", "steps", _row("steps", steps=-5)),
        ("nan-literal", "readings", '[{"time": "2022-07-20T14:00:00+09:00", "sensor_id": "h",'
         ' "lat": 43.06, "lon": 141.35, "air_temp_c": NaN}]'),
        ("infinity-literal", "readings", '[{"time": "2022-07-20T14:00:00+09:00", '
         '"sensor_id": "h", "lat": 43.06, "lon": 141.35, "air_temp_c": Infinity}]'),
        ("minus-infinity-literal", "counts", '[{"time": "2022-07-20T10:00:00+09:00", '
         '"line_id": "l", "direction": "N", "interval_min": 15, "count": -Infinity, '
         '"series": "s"}]'),
        ("huge-float", "readings", _row("readings", air_temp_c=1e308)),
        ("deep-nesting", "readings", "[" * 100_000 + "]" * 100_000),
        ("deep-object", "readings", '[{"a":' * 5_000 + "1" + "}" * 5_000 + "]"),
        ("truncated-json", "readings", '[{"time": "2022-07-20'),
        ("empty-body", "readings", ""),
        ("null-body", "readings", "null"),
        ("bool-for-number", "readings", _row("readings", air_temp_c=True)),
        ("sql-injection", "counts", _row("counts", line_id="x'); DROP TABLE counts; --")),
        ("path-traversal", "readings", _row("readings", sensor_id="../../etc/passwd")),
        ("nul-byte", "readings", _row("readings", sensor_id="a\x00b")),
        ("lat-out-of-range", "readings", _row("readings", lat=1e9, lon=-1e9)),
    ]  # fmt: skip
    return cases


CASES = _cases()
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy",
                    "content-security-policy", "x-request-id")  # fmt: skip


@pytest.fixture(scope="module")
def hostile(prepared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from api.app import create_app

    s = prepared.model_copy(
        update={"store": tmp_path_factory.mktemp("hostile") / "h.duckdb", "key_refresh_s": 0.0}
    )
    key = auth.create_key(s.store, "hostile").secret
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        yield client, key


def test_at_least_forty_cases() -> None:
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("kind", "payload"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_request_is_held(hostile: Any, kind: str, payload: Any) -> None:
    client, key = hostile
    if isinstance(payload, str):
        content = payload.encode("utf-8")
    else:  # lone surrogates are sent as JSON escapes, exactly as a hostile client would
        content = json.dumps(payload, ensure_ascii=True).encode("ascii")
    r = client.post(
        f"/v1/{kind}",
        content=content,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    assert r.status_code < 500, r.text[:500]
    for name in SECURITY_HEADERS:
        assert name in r.headers, name
    body = r.json()
    if r.status_code == 200:
        assert body["rows_read"] == body["accepted"] + body["quarantined"]
    else:
        assert 400 <= r.status_code < 500 and body["message"] and body["request_id"]
        assert "Traceback" not in body["message"]


def test_crlf_in_a_header_value_is_held(hostile: Any) -> None:
    """A key with CR/LF (header injection attempt) is refused like any malformed key."""
    client, _ = hostile
    r = client.post("/v1/readings", json=_row("readings"), headers={"X-API-Key": "kt_a_b\tc"})
    assert r.status_code == 401 and "x-request-id" in r.headers
