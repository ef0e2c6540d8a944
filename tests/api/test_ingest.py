"""POST ingest endpoints with API keys, and ``kaiteki keys``."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import auth
from api.cli import app as cli_app
from api.errors import AuthError, NotFoundError

ROWS = [
    {
        "time": "2022-07-20T14:00:00+09:00",
        "sensor_id": "kit-01",
        "lat": 43.0605,
        "lon": 141.3521,
        "air_temp_c": 27.4,
        "rel_humidity_pct": 61,
        "wind_speed_m_s": 1.8,
        "globe_temp_c": 35.2,
    },
    {
        "time": "2022-07-20T15:00:00+09:00",
        "sensor_id": "kit-01",
        "lat": 43.0605,
        "lon": 141.3521,
        "air_temp_c": "warm",
        "rel_humidity_pct": 61,
        "wind_speed_m_s": 1.8,
        "globe_temp_c": 35.2,
    },
]


@pytest.fixture(scope="module")
def client(prepared):  # type: ignore[no-untyped-def]
    """The app with keys re-read on every request (new and revoked keys count at once)."""
    from api.app import create_app

    s = prepared.model_copy(update={"key_refresh_s": 0.0, "key_recheck_s": 0.0})
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c


def test_key_required(client: TestClient) -> None:
    r = client.post("/v1/readings", json=ROWS)
    assert r.status_code == 401 and "X-API-Key" in r.json()["message"]
    r = client.post("/v1/readings", json=ROWS, headers={"X-API-Key": "kt_00000000_nope"})
    assert r.status_code == 401 and "unknown API key" in r.json()["message"]
    r = client.post("/v1/readings", json=ROWS, headers={"X-API-Key": "garbage"})
    assert r.status_code == 401 and "malformed" in r.json()["message"]


def test_readings_per_row_outcomes(client: TestClient, api_key: str) -> None:
    r = client.post("/v1/readings", json=ROWS, headers={"X-API-Key": api_key})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["rows_read"] == 2 and b["accepted"] + b["quarantined"] == 2
    assert [row["row"] for row in b["rows"]] == [0, 1]
    assert all(row["status"] in ("accepted", "flagged", "quarantined") for row in b["rows"])
    assert b["rows"][1]["status"] != "accepted"  # text in a number is caught
    again = client.post("/v1/readings", json=ROWS, headers={"Authorization": f"Bearer {api_key}"})
    assert again.json()["duplicate_batch"] is True


def test_steps_and_counts(client: TestClient, api_key: str) -> None:
    steps = [{"participant_id": "p-01", "time": "2022-07-20T10:00:00+09:00", "steps": 812}]
    b = client.post("/v1/steps", json=steps, headers={"X-API-Key": api_key}).json()
    assert b["accepted"] == 1
    counts = [
        {
            "time": "2022-07-20T10:00:00+09:00",
            "line_id": "chikaho-J1",
            "direction": "N",
            "interval_min": 15,
            "count": 230,
            "series": "chikaho-acoustic",
        }
    ]
    b = client.post("/v1/counts", json=counts, headers={"X-API-Key": api_key}).json()
    assert b["accepted"] == 1
    r = client.post("/v1/survey", json=[], headers={"X-API-Key": api_key})
    assert r.status_code == 422 and "empty" in r.json()["message"]


def test_revoked_key(client: TestClient, prepared) -> None:
    key = auth.create_key(prepared.store, "to-revoke")
    auth.revoke_key(prepared.store, key.key_id)
    r = client.post("/v1/readings", json=ROWS, headers={"X-API-Key": key.secret})
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    with pytest.raises(AuthError, match="revoked"):
        auth.verify_key(prepared.store, key.secret)
    with pytest.raises(NotFoundError, match="no API key"):
        auth.revoke_key(prepared.store, "ffffffff")


def test_keys_are_stored_hashed(prepared) -> None:
    from sensors.store import Store

    key = auth.create_key(prepared.store, "hash-check")
    with Store(prepared.store) as store:
        stored = store.query("SELECT * FROM api_keys WHERE key_id = ?", [key.key_id])
    assert key.secret not in json.dumps(stored.astype(str).to_dict())
    assert stored["sha256"].iloc[0] == auth.digest(key.secret)


def test_keys_cli(prepared) -> None:
    runner = CliRunner()
    r = runner.invoke(cli_app, ["keys", "create", "cli-test", "--json"])
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout.strip().splitlines()[-1])
    assert made["key"].startswith("kt_")
    r = runner.invoke(cli_app, ["keys", "list", "--json"])
    assert made["key_id"] in r.stdout and made["key"] not in r.stdout
    assert runner.invoke(cli_app, ["keys", "revoke", made["key_id"]]).exit_code == 0
    assert runner.invoke(cli_app, ["keys", "revoke", "nope"]).exit_code == 2
    assert runner.invoke(cli_app, ["keys", "--help"]).exit_code == 0
