"""Ingest orchestration: idempotency, reconciliation, in-memory records, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sensors.errors import IngestError
from sensors.ingest import ingest_file, ingest_records
from sensors.store import Store

REC = {
    "time": "2022-01-05T12:00:00+09:00", "sensor_id": "M1", "lat": 43.06, "lon": 141.35,
    "air_temp_c": -3.5, "rel_humidity_pct": 80, "wind_speed_m_s": 3.1, "globe_temp_c": -2.0,
}  # fmt: skip


def test_same_file_twice_adds_nothing(store_url, fitbit_path, tmp_path):
    store = Store(store_url)
    first = ingest_file(store, "steps", fitbit_path, pseudonym_key="k")
    again = ingest_file(store, "steps", fitbit_path, pseudonym_key="k")
    assert not first.duplicate_file and again.duplicate_file
    assert "already ingested" in again.messages[0]
    assert store.table_counts()["steps"] == 22099 and store.table_counts()["files"] == 1


def test_ingest_records_per_row_outcomes(store_url, tmp_path):
    store = Store(store_url)
    recs = [REC, {**REC, "time": "2022-01-05T12:01:00+09:00", "air_temp_c": "hot"},
            {**REC, "time": "2022-01-05T12:02:00+09:00", "air_temp_c": 80}]  # fmt: skip
    res = ingest_records(store, "readings", recs, "api:POST /v1/readings")
    assert [r.status for r in res.rows] == ["accepted", "quarantined", "flagged"]
    assert res.rows[1].field == "air_temp_c" and "expected a number" in res.rows[1].reason
    assert "range" in res.rows[2].flags and "globe_below_air" in res.rows[2].flags
    assert (res.rows_read, res.accepted, res.quarantined, res.flagged) == (3, 2, 1, 1)
    assert ingest_records(store, "readings", recs, "api").duplicate_file
    assert store.files()["path"].item() == "api:POST /v1/readings"


def test_ingest_records_errors(store_url, tmp_path):
    store = Store(store_url)
    with pytest.raises(IngestError, match="unknown record kind"):
        ingest_records(store, "nope", [REC], "api")
    with pytest.raises(IngestError, match="pseudonym key"):
        ingest_records(store, "steps", [{"participant_id": "a"}], "api")
    with pytest.raises(IngestError, match="empty"):
        ingest_records(store, "readings", [], "api")
    with pytest.raises(IngestError, match="unknown ingest kind"):
        ingest_file(store, "nope", tmp_path)


def test_steps_records_are_pseudonymised(store_url, tmp_path):
    store = Store(store_url)
    res = ingest_records(
        store, "steps", [{"participant_id": "alice", "time": "2022-01-05", "steps": 8000,
                          "interval": "day"}], "api", pseudonym_key="k")  # fmt: skip
    assert res.accepted == 1
    assert "alice" not in store.steps()["participant"].item()


def test_cli_ingest_json(daily_path, tmp_path, monkeypatch):
    from api.cli import app
    from api.settings import get_settings

    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "cli.duckdb"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["ingest", "weather", "--json", str(daily_path)])
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout.strip().splitlines()[-1])
        assert out["rows_read"] == 1278 and out["duplicate_file"] is False
        assert set(out) >= {"file", "sha256", "rows_read", "accepted", "flagged", "quarantined",
                            "duplicate_file"}  # fmt: skip
        r = runner.invoke(app, ["ingest", "weather", "--json", str(daily_path)])
        assert json.loads(r.stdout.strip().splitlines()[-1])["duplicate_file"] is True
        empty = tmp_path / "empty.csv"
        empty.write_text("")
        r = runner.invoke(app, ["ingest", "thermal", "--json", "--no-area", str(empty)])
        assert r.exit_code == 1
        assert "the file is empty" in r.stdout
    finally:
        get_settings.cache_clear()


def test_cli_ingest_reports_every_file_when_one_fails_unexpectedly(tmp_path, monkeypatch):
    import sensors.ingest
    from api.cli import app
    from api.settings import get_settings

    real = sensors.ingest.ingest_file

    def flaky(store, kind, path, **kwargs):
        if path.name == "boom.csv":
            raise RuntimeError("disk on fire")
        return real(store, kind, path, **kwargs)

    monkeypatch.setattr(sensors.ingest, "ingest_file", flaky)
    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "cli.duckdb"))
    get_settings.cache_clear()
    boom, good = tmp_path / "boom.csv", tmp_path / "good.csv"
    boom.write_text("x")
    good.write_text("sensor_id,lat,lon\nS1,43.06,141.35\n")
    try:
        r = CliRunner().invoke(app, ["ingest", "sensors", "--json", "--no-area", str(boom),
                                     str(good)])  # fmt: skip
        assert r.exit_code == 1, r.output
        out = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        assert [o.get("rejected", False) for o in out] == [True, False]
        assert "unexpected error (RuntimeError: disk on fire)" in out[0]["error"]
        assert out[1]["accepted"] == 1
    finally:
        get_settings.cache_clear()
