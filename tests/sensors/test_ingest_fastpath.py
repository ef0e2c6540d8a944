"""The fast thermal CSV path gives exactly what reading every field as text gives."""

from __future__ import annotations

import numpy as np
import pytest

from sensors import ingest as ing
from sensors import qc
from sensors.ingest.casting import CastRules
from sensors.ingest.lines import Lines, line_index
from sensors.ingest.sources import present_columns, scan_csv
from sensors.kinds.thermal import THERMAL, series_order
from sensors.store import Store

RULES = CastRules.at(1_700_000_000_000_000, {"level": "SMALLINT"})

HEADER = (
    "time,sensor_id,lat,lon,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c,solar_wm2,level"
)

# numbers the CSV reader types itself: padded, signed, bare dot, exponent, empty
CLEAN_ROWS = [
    "2022-01-05T00:00:00+09:00,S001,43.06,141.35, 1.5 ,80,2.0,1.0,,0",
    "2022-01-05T00:01:00+09:00,S001,43.06,141.35,+.5,80.,2e0,1.5,,3.0",
    "2022-01-05T00:02:00,S001,,,-0,  70,1,-2.25,100,",
    "2022-01-05T00:03:00Z, S002 ,43.05,141.34,7 ,75,1.5,7.5,1e1,-1",
    "yesterday,S002,43.05,141.34,1,75,1,1,1,0",
    ",S002,43.05,141.34,1,75,1,1,1,0",
    "2022-01-05T00:05:00+09:00,,43.05,141.34,1,75,1,1,1,0",
    "2022-01-05T00:06:00+09:00,S002,43.05,141.34,1,75,1,1,1,x",
    "a,b",
]

# values only the text reading can judge: each makes the fast path give up
DIRTY_VALUES = ["NA", "inf", "-inf", "nan", "warm", "1e400", "\u00a03.5", "  "]


def _scan(store: Store, path, typed: frozenset[str]):
    header = HEADER.split(",")
    present = present_columns(header, THERMAL, path.name, ",")
    return scan_csv(store.con, str(path), header, 0, ",", THERMAL, present, RULES, typed)


def _typed_columns() -> frozenset[str]:
    return frozenset(c.name for c in THERMAL.cols if c.type == "double")


def test_fast_scan_equals_text_scan(tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text("\n".join([HEADER, *CLEAN_ROWS]) + "\n")
    with Store(":memory:") as store:
        fast = _scan(store, path, _typed_columns())
        slow = _scan(store, path, frozenset())
    assert fast is not None and slow is not None
    assert fast[0].to_pylist() == slow[0].to_pylist()
    assert [r[:4] for r in fast[1]] == [r[:4] for r in slow[1]]
    bad = {r["_bad_field"] for r in fast[0].to_pylist() if r["_bad_field"]}
    assert bad == {"time", "sensor_id", "level"}  # the fixture exercises the failure paths


@pytest.mark.parametrize("value", DIRTY_VALUES)
def test_fast_scan_gives_up_on_values_it_cannot_judge(tmp_path, value):
    path = tmp_path / "dirty.csv"
    row = f"2022-01-05T00:00:00+09:00,S001,43.06,141.35,{value},80,2.0,1.0,,0"
    path.write_text("\n".join([HEADER, *CLEAN_ROWS[:2], row]) + "\n", encoding="utf-8")
    with Store(":memory:") as store:
        assert _scan(store, path, _typed_columns()) is None
        slow = _scan(store, path, frozenset())
    assert slow is not None and slow[0].num_rows == 3


def test_ingest_of_a_dirty_file_keeps_the_exact_reasons(tmp_path):
    path = tmp_path / "dirty.csv"
    rows = [
        "2022-01-05T00:00:00+09:00,S001,43.06,141.35,NA,80,2.0,1.0,,0",
        "2022-01-05T00:01:00+09:00,S001,43.06,141.35,1.0,inf,2.0,1.0,,0",
        "2022-01-05T00:02:00+09:00,S001,43.06,141.35,1.0,80,2.0,1.0,nan,0",
        "2022-01-05T00:03:00+09:00,S001,43.06,141.35,1.0,80,2.0,1.0,100,0",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with Store(":memory:") as store:
        result = ing.ingest_file(store, "thermal", path)
        q = store.con.execute("SELECT line, field, reason FROM quarantine").fetchall()
        stored = store.con.execute(
            "SELECT line, air_temp_c, solar_wm2, qc_flags FROM readings ORDER BY line"
        ).fetchall()
    assert (result.rows_read, result.accepted, result.quarantined) == (4, 3, 1)
    assert q == [(3, "rel_humidity_pct", "expected a number, got 'inf'")]
    missing = qc.FLAGS["missing"]
    assert stored[0][:3] == (2, None, None) and stored[0][3] & missing  # NA: missing, kept
    assert stored[1][:3] == (4, 1.0, None)  # nan: a missing solar value, stored as NULL
    assert stored[2] == (5, 1.0, 100.0, 0)


@pytest.mark.parametrize(
    "data",
    [
        b"a\nb\n",
        b"a\nb",
        b"\na\n",
        b"\r\na\r\n",
        b"a\r\n\r\nb\r\n",
        b"a\n\nb",
        b"a\n\r",
        b"a\n\r\nb",
        b"a\rb\n",
        b"a\n b\n\n",
        b"\r",
    ],
)
def test_lines_match_the_full_index(data):
    lines = Lines(data)
    starts, ends = line_index(data)
    assert lines.count == len(starts)
    lengths = ends - starts
    arr = np.frombuffer(data, dtype=np.uint8)
    blank = (lengths == 0) | ((lengths == 1) & (arr[np.maximum(ends - 1, starts)] == 13))
    assert lines.nonblank().tolist() == np.flatnonzero(~blank).tolist()
    expected = [
        data[s:e].decode("utf-8", errors="replace").rstrip("\r")
        for s, e in zip(starts, ends, strict=True)
    ]
    assert [lines.raw(i + 1) for i in range(len(starts))] == expected
    assert lines.raw(0) is None and lines.raw(len(starts) + 1) is None


def test_series_order_is_the_stable_sensor_time_order():
    rng = np.random.default_rng(20220105)
    for n in (0, 1, 2, 50, 5_000):
        codes = rng.integers(0, 7, n).astype(np.int64)
        time_us = rng.integers(0, 20, n).astype(np.int64) * 60_000_000
        expected = np.lexsort((np.arange(n), time_us, codes))
        order = series_order(codes, time_us)
        got = np.arange(n) if order is None else order
        assert got.tolist() == expected.tolist()
        s = np.lexsort((np.arange(n), time_us, codes))
        assert series_order(codes[s], time_us[s]) is None  # sorted input: no sort


def test_persistence_marks_whole_stuck_runs_only():
    minute = 60_000_000
    n = 400
    group = np.zeros(n, dtype=np.int64)
    time_us = np.arange(n, dtype=np.int64) * minute
    air = np.round(np.sin(np.arange(n) / 7.0), 3)
    air[100:281] = 2.0  # 181 readings = 180 min unchanged: stuck
    air[300:350] = 3.0  # 49 min: not stuck
    air[150] = np.nan  # a NaN breaks the run and is never flagged itself
    flags = qc.series_flags(group, time_us, {"air_temp_c": air})
    stuck = (flags & qc.FLAGS["persistence"]) > 0
    assert not stuck[100:281].any()  # the NaN split it into 50 + 130 min
    air[150] = 2.0
    flags = qc.series_flags(group, time_us, {"air_temp_c": air})
    stuck = (flags & qc.FLAGS["persistence"]) > 0
    assert np.flatnonzero(stuck).tolist() == list(range(100, 281))
