"""
Hostile inputs at the ingest edge (issue 16): each case ends in a quarantine entry with a reason
or a clean :class:`SensorsError` with a message, never another exception, and
``accepted + quarantined == rows_read`` always. Files are generated in ``tmp_path``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from sensors.errors import SensorsError
from sensors.ingest import ingest_file, ingest_records
from sensors.store import Store

KEY = "hostile-test-key"
T0 = "2022-01-05T10:00:00+09:00"
SURROGATE = "\ud800"

GOOD: dict[str, dict[str, Any]] = {
    "readings": {"time": T0, "sensor_id": "S1", "lat": 43.06, "lon": 141.35, "level": 0,
                 "air_temp_c": 1.5, "rel_humidity_pct": 70, "wind_speed_m_s": 2.0,
                 "globe_temp_c": 2.0},
    "counts": {"time": T0, "line_id": "L1", "direction": "in", "interval_min": 15, "count": 12,
               "statistic": "total", "series": "s1"},
    "dwell": {"time": T0, "zone_id": "Z1", "interval_min": 15, "dwell_count": 3, "series": "s1"},
    "steps": {"participant_id": "P1", "time": T0, "interval": "hour", "steps": 900},
    "survey": {"response_id": "R1", "time": T0, "block": "北1西3", "thermal_sensation": 1,
               "comfort_vote": 2, "preference": "warmer", "activity": "walking",
               "age_group": "30s", "free_text": "寒い"},
    "sensors": {"sensor_id": "S9", "kind": "fixed", "lat": 43.06, "lon": 141.35, "level": 0,
                "name": "kit"},
}  # fmt: skip

#: Text fields of each record kind: each gets a lone surrogate.
TEXT_FIELDS = {
    "readings": ("time", "sensor_id"),
    "counts": ("time", "line_id", "direction", "statistic", "series"),
    "dwell": ("time", "zone_id", "series"),
    "steps": ("participant_id", "time", "interval"),
    "survey": ("response_id", "time", "block", "preference", "activity", "age_group",
               "free_text"),
    "sensors": ("sensor_id", "kind", "name"),
}  # fmt: skip

#: Whole-number fields and values that do not fit their column.
INT_OVERFLOWS = [
    ("readings", "level", 70000),
    ("readings", "level", -70000),
    ("counts", "interval_min", 3_000_000_000),
    ("dwell", "interval_min", 3_000_000_000),
    ("survey", "thermal_sensation", 70000),
    ("survey", "comfort_vote", -70000),
    ("sensors", "level", 70000),
    ("steps", "steps", 99999999999999999999),
    ("steps", "steps", -99999999999999999999),
    ("readings", "level", "99999999999999999999"),
]

BAD_TIMES = [
    ("infinity", "ISO 8601"),
    ("-infinity", "ISO 8601"),
    ("epoch", "ISO 8601"),
    ("now", "ISO 8601"),
    ("allballs", "ISO 8601"),
    ("9999-12-31", "outside the accepted time range"),
    ("2099-01-01T00:00:00+09:00", "outside the accepted time range"),
    ("0001-01-01", "outside the accepted time range"),
    ("1899-12-31T23:00:00+09:00", "outside the accepted time range"),
    ("2022-01-05T00:00:00+25:00", "UTC offset beyond"),
    ("2022-01-05T00:00:00-14:30", "UTC offset beyond"),
    ("2022-01-05T00:00:00+2500", "UTC offset beyond"),
    ("2022-01-05T00:00:00-99", "UTC offset beyond"),
]


@dataclass
class Case:
    """One hostile input: records (API) or a file, and the expected outcome."""

    kind: str
    records: list[dict] | None = None
    content: bytes | None = None
    suffix: str = ".csv"
    field: str | None = None
    reason: str | None = None  # regex a quarantine reason must match
    error: str | None = None  # regex of a clean SensorsError
    rows: int | None = None  # expected rows_read


def _nested(depth: int) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


def _rec(kind: str, **bad: Any) -> Case:
    return Case(kind, records=[GOOD[kind], {**GOOD[kind], **bad}], rows=2)


CASES: dict[str, Case] = {}
for _kind, _fields in TEXT_FIELDS.items():
    for _f in _fields:
        CASES[f"surrogate-{_kind}-{_f}"] = Case(
            _kind, records=[GOOD[_kind], {**GOOD[_kind], _f: "a" + SURROGATE + "b"}],
            field=_f, reason="not valid Unicode", rows=2,
        )  # fmt: skip
for _kind, _f, _v in INT_OVERFLOWS:
    CASES[f"overflow-{_kind}-{_f}-{_v}"] = Case(
        _kind, records=[GOOD[_kind], {**GOOD[_kind], _f: _v}], field=_f,
        reason=f"out of range for {_f}", rows=2,
    )  # fmt: skip
for _t, _why in BAD_TIMES:
    CASES[f"time-readings-{_t}"] = Case(
        "readings", records=[GOOD["readings"], {**GOOD["readings"], "time": _t}], field="time",
        reason=_why, rows=2,
    )  # fmt: skip
CASES |= {
    "huge-field-readings": Case(
        "readings", records=[GOOD["readings"], {**GOOD["readings"], "sensor_id": "x" * 50_000}],
        reason="longer than 32,768 bytes", rows=2,
    ),
    "huge-field-survey-free-text": Case(
        "survey", records=[GOOD["survey"], {**GOOD["survey"], "free_text": "寒" * 20_000}],
        reason="longer than 32,768 bytes", rows=2,
    ),
    "inf-number": Case(
        "readings", records=[GOOD["readings"], {**GOOD["readings"], "air_temp_c": float("inf")}],
        field="air_temp_c", reason="expected a number", rows=2,
    ),
    "1e400-text": Case(
        "readings", records=[GOOD["readings"], {**GOOD["readings"], "air_temp_c": "1e400"}],
        field="air_temp_c", reason="expected a number", rows=2,
    ),
    "nested-deep-record": Case(
        "readings", records=[{**GOOD["readings"], "sensor_id": _nested(5000)}],
        error="nested too deeply",
    ),
    "empty-batch": Case("readings", records=[], error="batch is empty"),
    "not-objects": Case("readings", records=["a", "b"], error="list of JSON objects"),  # type: ignore[list-item]
    "missing-required-field": Case(
        "readings", records=[{"time": T0}], error=r"missing field\(s\)"
    ),
}  # fmt: skip

H_THERMAL = "time,sensor_id,lat,lon,level,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c"
ROW_OK = f"{T0},S1,43.06,141.35,0,1.5,70,2.0,2.0"


WEATHER_HEADER = "date,気温(℃),風向(度:0～359),風速(m/s),降水量(mm),積雪深(cm)\n"


def _thermal(*rows: str) -> bytes:
    return ("\n".join([H_THERMAL, ROW_OK, *rows]) + "\n").encode("utf-8")


FILE_CASES: dict[str, Case] = {
    "csv-level-overflow": Case(
        "thermal", content=_thermal(f"{T0},S1,43.06,141.35,70000,1.5,70,2.0,2.0"),
        field="level", reason="out of range for level", rows=2,
    ),
    "csv-level-bigint-overflow": Case(
        "thermal", content=_thermal(f"{T0},S1,43.06,141.35,99999999999999999999,1.5,70,2.0,2.0"),
        field="level", reason="out of range for level", rows=2,
    ),
    "csv-interval-overflow": Case(
        "flow", content=(
            "time,line_id,interval_min,count,series\n"
            f"{T0},L1,15,3,s\n{T0},L1,3000000000,3,s\n"
        ).encode(), field="interval_min", reason="out of range for interval_min", rows=2,
    ),
    "csv-tsv-overflow": Case(
        "survey", content=(
            f"response_id,time,thermal_sensation\nR1,{T0},1\nR2,{T0},70000\n"
        ).encode(), field="thermal_sensation", reason="out of range", rows=2,
    ),
    "csv-steps-overflow": Case(
        "steps", content=(
            f"participant_id,time,steps\nP1,{T0},100\nP1,{T0},99999999999999999999\n"
        ).encode(), field="steps", reason="out of range for steps", rows=2,
    ),
    "fitbit-steps-overflow": Case(
        "steps", content=(
            b"Id,ActivityHour,StepTotal\n1,4/12/2016 12:00:00 AM,10\n"
            b"1,4/12/2016 1:00:00 AM,1e30\n"
        ), field="steps", reason="out of range for steps", rows=2,
    ),
    "csv-huge-field-1mb": Case(
        "thermal", content=_thermal(f"{T0},{'x' * 1_000_000},43.06,141.35,0,1.5,70,2.0,2.0"),
        reason="longer than 32,768 bytes", rows=2,
    ),
    "csv-huge-field-40mb-only-row": Case(
        "thermal", content=(
            H_THERMAL + "\n" + f"{T0},{'x' * 40_000_000},43.06,141.35,0,1.5,70,2.0,2.0\n"
        ).encode(), reason="longer than 32,768 bytes", rows=1,
    ),
    "csv-time-infinity": Case(
        "thermal", content=_thermal("infinity,S1,43.06,141.35,0,1.5,70,2.0,2.0"),
        field="time", reason="ISO 8601", rows=2,
    ),
    "csv-time-epoch": Case(
        "thermal", content=_thermal("epoch,S1,43.06,141.35,0,1.5,70,2.0,2.0"),
        field="time", reason="ISO 8601", rows=2,
    ),
    "csv-time-bc": Case(
        "thermal", content=_thermal("0001-01-01,S1,43.06,141.35,0,1.5,70,2.0,2.0"),
        field="time", reason="outside the accepted time range", rows=2,
    ),
    "csv-time-offset": Case(
        "thermal", content=_thermal("2022-01-05T10:00:00+25:00,S1,43.06,141.35,0,1.5,70,2.0,2.0"),
        field="time", reason="UTC offset beyond", rows=2,
    ),
    "csv-nan-inf": Case(
        "thermal", content=_thermal(f"{T0},S1,43.06,141.35,0,-inf,70,2.0,2.0"),
        field="air_temp_c", reason="expected a number", rows=2,
    ),
    "csv-installed-bc": Case(
        "sensors", content=b"sensor_id,installed\nS1,2021-01-01\nS2,0001-01-01\n",
        field="installed", reason="outside the accepted time range", rows=2,
    ),
    "jsonl-deep-nesting": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n" + "[" * 100_000 + "\n").encode(),
        suffix=".jsonl", reason="(longer than 32,768 bytes|nested deeper)", rows=2,
    ),
    "jsonl-deep-nesting-20k": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n" + "[" * 20_000 + "\n").encode(),
        suffix=".jsonl", reason="nested deeper than 32 levels", rows=2,
    ),
    "jsonl-deep-object": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n"
                            + '{"a":' * 40 + "1" + "}" * 40 + "\n").encode(),
        suffix=".jsonl", reason="nested deeper than 32 levels", rows=2,
    ),
    "jsonl-surrogate-escape": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n"
                            + json.dumps({**GOOD["readings"], "sensor_id": "\ud800"}) + "\n"
                            ).encode(), suffix=".jsonl", field="sensor_id",
        reason="not valid Unicode", rows=2,
    ),
    "jsonl-huge-line": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n"
                            + json.dumps({**GOOD["readings"], "sensor_id": "y" * 40_000}) + "\n"
                            ).encode(), suffix=".jsonl", reason="longer than 32,768 bytes", rows=2,
    ),
    "jsonl-level-overflow": Case(
        "thermal", content=(json.dumps(GOOD["readings"]) + "\n"
                            + json.dumps({**GOOD["readings"], "level": 70000}) + "\n").encode(),
        suffix=".jsonl", field="level", reason="out of range for level", rows=2,
    ),
    "weather-2099": Case(
        "weather", content=(WEATHER_HEADER + "2022-01-05,-3.1,180,2.0,0,10\n2099-01-01,1.0,180,1.0,0,0\n")
        .encode(), field="date", reason="outside the accepted time range", rows=2,
    ),
    "weather-bc": Case(
        "weather", content=(WEATHER_HEADER + "2022-01-05,-3.1,180,2.0,0,10\n0001-01-01,1.0,180,1.0,0,0\n")
        .encode(), field="date", reason="outside the accepted time range", rows=2,
    ),
    "chikaho-2099": Case(
        "chikaho", content=b"date,J1,J2,J3,J4,J5\n2022-01-05,1,2,3,4,5\n2099-01-01,1,2,3,4,5\n",
        field="time", reason="outside the accepted time range", rows=10,
    ),
    "empty-file": Case("thermal", content=b"", error="empty"),
    "whitespace-file": Case("thermal", content=b" \n\n \n", error="empty"),
    "binary-file": Case("thermal", content=b"\x00\x01\x02binary\xff" * 100, error="binary"),
    "utf16-file": Case("thermal", content=H_THERMAL.encode("utf-16"), error="UTF-16"),
    "header-only": Case("thermal", content=(H_THERMAL + "\n").encode(), rows=0),
    "missing-columns": Case("thermal", content=b"time,sensor_id\n" + T0.encode() + b",S1\n",
                            error=r"missing column\(s\)"),
    "jsonl-binary": Case("thermal", content=b"\x00" * 10, suffix=".jsonl", error="binary"),
}  # fmt: skip


def _check(store: Store, res: Any, case: Case) -> None:
    assert res.accepted + res.quarantined == res.rows_read
    if case.rows is not None:
        assert res.rows_read == case.rows, res.messages
    files = store.files()
    assert (files["accepted"] + files["quarantined"] == files["rows_read"]).all()
    if case.reason is None:
        return
    q = store.quarantine(res.file_id)
    hits = [
        (f, r) for f, r in zip(q["field"], q["reason"], strict=True)
        if re.search(case.reason, r) and (case.field is None or f == case.field)
    ]  # fmt: skip
    assert hits, q[["line", "field", "reason"]].to_dict("records")


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_records(store_url, name, tmp_path):
    case = CASES[name]
    with Store(store_url) as store:
        if case.error:
            with pytest.raises(SensorsError, match=case.error):
                ingest_records(store, case.kind, case.records or [], "test", pseudonym_key=KEY)
            assert store.table_counts()["files"] == 0
            return
        res = ingest_records(store, case.kind, case.records or [], "test", pseudonym_key=KEY)
        _check(store, res, case)
        assert res.rows is not None and len(res.rows) == res.rows_read
        if case.reason:
            bad = [r for r in res.rows if r.status == "quarantined"]
            assert bad and all(r.reason for r in bad)


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_hostile_files(store_url, name, tmp_path):
    case = FILE_CASES[name]
    path = tmp_path / f"{name}{case.suffix}"
    assert case.content is not None
    path.write_bytes(case.content)
    with Store(store_url) as store:
        if case.error:
            with pytest.raises(SensorsError, match=case.error):
                ingest_file(store, case.kind, path, pseudonym_key=KEY)
            assert store.table_counts()["files"] == 0
            return
        res = ingest_file(store, case.kind, path, pseudonym_key=KEY)
        _check(store, res, case)


def test_corpus_has_at_least_60_cases():
    assert len(CASES) + len(FILE_CASES) >= 60
