"""The SensorThings client: round trip through /sta/v1.1 and recorded responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from api.services import sta as sta_service
from sensors.sta.client import Fetcher, collect_sensorthings
from sensors.sta.errors import StaClientError
from sensors.sta.vocabulary import load_vocabulary
from sensors.store import Store
from tests.api.test_sta import make_store, sta_client

DATA = Path(__file__).resolve().parent.parent / "data" / "sta"
ROOT = "http://example.org/v1.1"


def _rows(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    readings = store.readings().drop(columns=["file_id", "line"])
    counts = store.counts().drop(columns=["file_id", "line"])
    return readings, counts


def test_round_trip_gives_equal_rows_and_resumes(tmp_path: Path) -> None:
    source = make_store(tmp_path / "source.duckdb")
    sta_service.clear()
    with sta_client(source) as client, Store(tmp_path / "copy.duckdb") as copy:
        report = collect_sensorthings(copy, "http://testserver/sta/v1.1", client=client)
        assert report.errors == [] and report.quarantined == 0
        with Store(source, read_only=True) as original:
            want = _rows(original)
        got = _rows(copy)
        pd.testing.assert_frame_equal(got[0], want[0])
        pd.testing.assert_frame_equal(got[1], want[1])
        assert want[0]["simulated"].any() and not want[0]["simulated"].all()
        again = collect_sensorthings(copy, "http://testserver/sta/v1.1", client=client)
        assert again.observations == 0 and copy.table_counts()["readings"] == len(want[0])
        assert copy.table_counts()["steps"] == 0  # personal kinds never travel


def test_since_collects_only_later_observations(tmp_path: Path) -> None:
    source = make_store(tmp_path / "source.duckdb")
    sta_service.clear()
    with sta_client(source) as client, Store(tmp_path / "copy.duckdb") as copy:
        collect_sensorthings(copy, "http://testserver/sta/v1.1", client=client,
                             since="2022-08-02T12:00:00+09:00")  # fmt: skip
        times = copy.readings()["time"]
    assert len(times) == 2 * 11 and times.min() == pd.Timestamp("2022-08-02T13:00+09:00")


class Recorded:
    """The recorded server: files by path, a 500 for Datastream 13, one 500 for Datastream 12,
    one time-out for Datastream 11."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failed: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.query.decode()
        self.calls.append(f"{path}?{query}")
        name = {
            "/v1.1/Things": "things.json", "/v1.1/Datastreams": "datastreams.json",
            "/v1.1/Datastreams(11)/Observations": "obs_11.json",
            "/v1.1/Datastreams(12)/Observations": "obs_12.json",
            "/v1.1/Datastreams(20)/Observations": "obs_20.json",
        }.get(path)  # fmt: skip
        if path == "/v1.1/Datastreams(10)/Observations":
            name = {
                "%24top=2&%24skip=2": "obs_10_page2.json",
                "$top=2&$skip=2": "obs_10_page2.json",
                "$top=2&$skip=4": "obs_10_page3.json",
                "%24top=2&%24skip=4": "obs_10_page3.json",
            }.get(query, "obs_10_page1.json")
        once = path in ("/v1.1/Datastreams(12)/Observations", "/v1.1/Datastreams(11)/Observations")
        if path == "/v1.1/Datastreams(11)/Observations" and path not in self.failed:
            self.failed.add(path)
            raise httpx.ReadTimeout("timed out", request=request)
        if path == "/v1.1/Datastreams(13)/Observations" or (once and path not in self.failed):
            self.failed.add(path)
            return httpx.Response(500, content=(DATA / "error_500.json").read_bytes())
        if name is None:
            return httpx.Response(404, json={"code": 404, "type": "error", "message": "no"})
        return httpx.Response(200, content=(DATA / name).read_bytes(),
                              headers={"content-type": "application/json"})  # fmt: skip


def test_recorded_server_with_loop_500s_timeouts_and_bad_results(tmp_path: Path) -> None:
    server, pauses = Recorded(), list[float]()
    http = httpx.Client(transport=httpx.MockTransport(server))
    with Store(tmp_path / "s.duckdb") as store:
        report = collect_sensorthings(store, ROOT, client=http, retries=2, backoff_s=0.25,
                                      sleep=pauses.append)  # fmt: skip
        readings = store.readings()
        counts = store.counts()
        quarantine = store.quarantine()
    assert report.things == 2 and report.datastreams == 6 and report.mapped == 5
    assert any("Sound pressure level" in s for s in report.skipped)
    assert any("Datastreams(10)" in e and "page loop" in e for e in report.errors)
    assert any("Datastreams(13)" in e and "answered 500 3 times" in e for e in report.errors)
    assert report.retries == 2 + 1 + 1  # Datastream 13 twice, 12 and 11 once each
    assert sorted(pauses) == [0.25, 0.25, 0.25, 0.5]
    # 00:00 fine; 01:00 humidity is an object; 02:00 air "warm"; "not a time" on its own
    assert list(readings["time"]) == [pd.Timestamp("2022-08-01T00:00Z")]
    assert readings[["air_temp_c", "rel_humidity_pct", "wind_speed_m_s"]].iloc[0].tolist() == [
        24.5,
        61.0,
        1.5,
    ]
    assert readings["sensor_id"].iloc[0] == "Oven station"
    reasons = " | ".join(quarantine["reason"])
    assert len(quarantine) == 3 and "warm" in reasons and "not a time" in reasons
    assert counts["count"].tolist() == [42.0, -5.0] and counts["interval_min"].tolist() == [15, 15]
    assert counts["qc_flags"].iloc[1] != 0  # a negative count is flagged by the usual QC
    assert counts["direction"].tolist() == ["in", "in"]


def test_fetcher_refuses_4xx_and_non_json() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("Things"):
            return httpx.Response(403, text="forbidden")
        return httpx.Response(200, text="<html>")

    fetcher = Fetcher(httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None)
    with pytest.raises(StaClientError, match="answered 403"):
        fetcher.get(f"{ROOT}/Things")
    with pytest.raises(StaClientError, match="did not answer JSON"):
        fetcher.get(f"{ROOT}/Sensors")


def test_mapping_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"variables": [{"variable": "noise_db", "table": "noise",
                   "unit": {}, "definitions": ["urn:x"], "names": ["noise"]}]}))  # fmt: skip
    with pytest.raises(Exception, match="table one of"):
        load_vocabulary(bad)
    custom = tmp_path / "ok.json"
    doc: dict[str, Any] = json.loads(
        (
            Path(__file__).resolve().parents[2] / "sensors/data/sta_observed_properties.json"
        ).read_text()
    )
    doc["variables"][0]["definitions"].append("urn:example:air")
    custom.write_text(json.dumps(doc))
    match = load_vocabulary(custom).match("urn:example:air", None)
    assert match is not None and match.variable == "air_temp_c"
