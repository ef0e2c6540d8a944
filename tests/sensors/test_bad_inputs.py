"""The bad-input corpus (tests/data/bad): clear messages, nothing valid lost."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sensors.errors import SensorsError
from sensors.ingest import ingest_file
from sensors.store import Store

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))


def test_corpus_has_at_least_25_inputs():
    assert len(CASES) >= 25
    assert all((BAD / name).is_file() for name in CASES)


@pytest.fixture(scope="module")
def area():
    from api.settings import get_settings
    from sensors.area import CENSUS_FILE, planning_area

    return planning_area(get_settings().data_file(CENSUS_FILE))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(store_url, name, tmp_path, area):
    case = CASES[name]
    store = Store(store_url)
    kwargs = {"pseudonym_key": "test-key", "area": area if case.get("area") else None}
    if "rejected" in case:
        with pytest.raises(SensorsError, match=case["rejected"]):
            ingest_file(store, case["kind"], BAD / name, **kwargs)
        assert store.table_counts()["files"] == 0  # nothing half-stored
        return
    res = ingest_file(store, case["kind"], BAD / name, **kwargs)
    text = "\n".join(res.messages)
    assert res.rows_read == case["rows_read"], text
    assert res.accepted == case["accepted"], text
    assert res.quarantined == case["quarantined"], text
    if "flagged" in case:
        assert res.flagged == case["flagged"], text
    assert res.accepted + res.quarantined == res.rows_read
    if case.get("match"):
        assert re.search(case["match"], text, flags=re.S | re.I), text
    # every message about a row names the file
    assert all(m.startswith(name) for m in res.messages), text
    # nothing lost: stored rows + quarantine rows = rows read, quarantine names line and reason
    q = store.quarantine()
    assert len(q) == res.quarantined
    assert q["reason"].notna().all() and q["line"].notna().all()
    f = store.files()
    assert f.loc[0, "accepted"] == res.accepted and f.loc[0, "rows_read"] == res.rows_read
    store.close()


def test_shift_jis_values_are_read(store_url, tmp_path):
    store = Store(store_url)
    ingest_file(store, "thermal", BAD / "shift_jis_japanese_headers.csv")
    df = store.readings()
    assert df["sensor_id"].tolist() == ["札幌駅前0", "札幌駅前1", "札幌駅前2"]
    assert df["air_temp_c"].tolist() == [-2.5, -1.5, -0.5]
    assert str(df["time"].iloc[0]) == "2022-01-05 10:00:00+09:00"


def test_mixed_timezones_are_converted(store_url, tmp_path):
    store = Store(store_url)
    ingest_file(store, "thermal", BAD / "mixed_timezones.csv")
    times = [str(t) for t in store.readings()["time"]]
    assert times == [
        "2022-01-05 10:00:00+09:00",
        "2022-01-05 10:10:00+09:00",
        "2022-01-05 10:20:00+09:00",
    ]


def test_quarantine_keeps_the_raw_line(store_url, tmp_path):
    store = Store(store_url)
    ingest_file(store, "thermal", BAD / "text_in_number.csv")
    q = store.quarantine()
    assert q.loc[0, "line"] == 3 and q.loc[0, "field"] == "air_temp_c"
    assert ",warm," in q.loc[0, "raw"]
