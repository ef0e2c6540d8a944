"""
Message formats, idempotency keys and the exactly-once micro-batch, without a broker; the
batches are committed to both store backends (``store_url``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sensors.collect import MappingError, MessageError, Received, commit_batch, decode
from sensors.collect.batch import collector_quarantine, now_utc
from sensors.collect.formats import TTN_MAPPING, datastream_of, load_mapping, normal_time
from sensors.store import Store
from tests.sensors.collect_support import reading

STA_MAPPING = {
    "kind": "thermal",
    "datastreams": {
        "1": {"sensor_id": "S01", "variable": "air_temp_c"},
        "2": {"sensor_id": "S01", "variable": "rel_humidity_pct"},
    },
}


def _ttn(device: str, payload: dict, at: str = "2026-07-01T05:00:00.123Z") -> bytes:
    return json.dumps({
        "end_device_ids": {"device_id": device, "application_ids": {"application_id": "kaiteki"}},
        "received_at": at,
        "uplink_message": {"f_port": 1, "decoded_payload": payload, "rx_metadata": []},
    }).encode()  # fmt: skip


def test_same_reading_in_two_time_zones_has_one_key() -> None:
    a = decode(
        "kaiteki", "thermal", "t", b'{"time": "2026-07-01T14:00:00+09:00", "sensor_id": "S1"}', None
    )
    b = decode("kaiteki", "thermal", "t", b'{"time": "2026-07-01T05:00:00Z", "sensor": "S1"}', None)
    assert a[0].key == b[0].key
    assert b[0].fields["sensor_id"] == "S1"  # the alias made canonical
    assert normal_time("not a time") == "raw:not a time"


def test_ttn_uplink_mapped_by_the_default_mapping() -> None:
    mapping = load_mapping(TTN_MAPPING, "ttn")
    parts = decode("ttn", "thermal", "v3/kaiteki@ttn/devices/kaiteki-node-01/up",
                   _ttn("kaiteki-node-01", {"temperature": 21.5, "humidity": 60}), mapping)  # fmt: skip
    assert parts[0].fields == {
        "time": "2026-07-01T05:00:00.123Z", "sensor_id": "S01", "air_temp_c": 21.5,
        "rel_humidity_pct": 60,
    }  # fmt: skip
    with pytest.raises(MessageError, match="unknown device 'intruder'"):
        decode("ttn", "thermal", "x", _ttn("intruder", {"temperature": 1}), mapping)
    with pytest.raises(MessageError, match="none of the mapped fields"):
        decode("ttn", "thermal", "x", _ttn("kaiteki-node-01", {"battery": 3.3}), mapping)


def test_sensorthings_observations_merge_into_one_row(store_url: str) -> None:
    topic = "v1.1/Datastreams({})/Observations"
    msgs = [
        Received(topic.format(1), b'{"phenomenonTime": "2026-07-01T05:00:00Z", "result": 25.0}', now_utc()),
        Received(topic.format(2), b'{"phenomenonTime": "2026-07-01T05:00:00Z", "result": 55}', now_utc()),
        Received(topic.format(9), b'{"phenomenonTime": "2026-07-01T05:00:00Z", "result": 1}', now_utc()),
        Received("v1.1/Things(1)", b'{"phenomenonTime": "2026-07-01T05:00:00Z", "result": 1}', now_utc()),
    ]  # fmt: skip
    with Store(store_url) as store:
        rep = commit_batch(store, msgs, kind="thermal", fmt="sensorthings", mapping=STA_MAPPING)
        rows = store.readings()
        q = collector_quarantine(store)
    assert rep.stored == 1 and rep.rejected == 2
    assert rows[["air_temp_c", "rel_humidity_pct"]].iloc[0].tolist() == [25.0, 55.0]
    assert any("unknown datastream '9'" in r for r in q["reason"])
    assert any("not a SensorThings observation topic" in r for r in q["reason"])
    assert datastream_of("v1.1/Datastreams('a-1')/Observations") == "a-1"


def test_mapping_file_errors(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="not found"):
        load_mapping(tmp_path / "none.json", "ttn")
    (tmp_path / "m.json").write_text('{"fields": {}}')
    with pytest.raises(MappingError, match="non-empty object 'fields'"):
        load_mapping(tmp_path / "m.json", "ttn")
    with pytest.raises(MappingError, match="needs a mapping file"):
        decode("sensorthings", "thermal", "t", b"{}", None)


def test_redelivered_batch_adds_nothing(store_url: str) -> None:
    """A batch committed, then delivered again (the acknowledgement was lost) and mixed with
    new messages: only the new readings are stored; republished rejects are not doubled, also
    when a batch holds nothing but rejects."""
    first = [Received("k/t", reading(i, "D1"), now_utc()) for i in range(50)]
    first.append(Received("k/t", b"{not json", now_utc()))
    again = first + [Received("k/t", reading(i, "D1"), now_utc()) for i in range(50, 60)]
    bad = [Received("k/t", b"{not json", now_utc()), Received("k/u", b"\x00\x01binary", now_utc())]
    with Store(store_url) as store:
        a = commit_batch(store, first, kind="thermal", fmt="kaiteki")
        b = commit_batch(store, again, kind="thermal", fmt="kaiteki")
        c = commit_batch(store, bad, kind="thermal", fmt="kaiteki")
        d = commit_batch(store, bad, kind="thermal", fmt="kaiteki")
        n = store.con.execute("SELECT count(*) FROM readings").fetchone()
        keys = store.con.execute("SELECT count(*), count(DISTINCT file_id) FROM collect_keys")
        keys_row = keys.fetchone()
        rejects = store.con.execute("SELECT count(*) FROM collect_rejects").fetchone()
        q = collector_quarantine(store)
    assert (a.stored, a.rejected) == (50, 1)
    assert (b.stored, b.duplicates, b.rejected) == (10, 50, 0)
    assert (c.stored, c.rejected, c.file_id) == (0, 1, None)  # "{not json" was refused before
    assert (d.stored, d.rejected) == (0, 0)
    assert n == (60,) and keys_row == (60, 2) and rejects == (2,)
    assert sorted(q["topic"]) == ["k/t", "k/u"] and q["reason"].str.contains("JSON").all()


def test_batch_without_a_required_field_anywhere_is_still_stored(store_url: str) -> None:
    """Readings that all lack globe temperature are stored (flagged), not refused as a file
    without a column would be."""
    msgs = [
        Received("k/t", json.dumps({k: v for k, v in json.loads(reading(i, "N1")).items()
                                    if k != "globe_temp_c"}).encode(), now_utc())
        for i in range(5)
    ]  # fmt: skip
    with Store(store_url) as store:
        rep = commit_batch(store, msgs, kind="thermal", fmt="kaiteki")
    assert rep.stored == 5 and rep.flagged == 5
