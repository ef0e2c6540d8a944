"""Per-reading QC flags."""

from __future__ import annotations

import numpy as np
import shapely

from comfort.qcflags import QCFlag
from sensors import qc
from sensors.kinds.thermal import READING_RANGES


def test_flag_bits_are_distinct_powers_of_two():
    bits = list(qc.FLAGS.values())
    assert len(set(bits)) == len(bits) and all(b & (b - 1) == 0 for b in bits)


def test_range_and_missing():
    f = qc.range_flags({"air_temp_c": [5.0, 99.0, np.nan]}, READING_RANGES)
    assert [qc.flag_names(int(x)) for x in f] == [[], ["range"], ["missing"]]


def test_spike_step_duplicate_persistence():
    t = np.arange(8, dtype=np.int64) * 60_000_000 * 10  # 10-minute readings
    t[7] = t[6]  # duplicate time
    air = np.array([5.0, 5.1, 15.0, 5.2, 5.3, 12.0, 12.1, 12.1])
    g = np.zeros(8, dtype=np.int64)
    f = qc.series_flags(g, t, {"air_temp_c": air})
    names = [qc.flag_names(int(x)) for x in f]
    assert names[2] == ["spike"] and names[3] == []
    assert names[5] == ["step"]
    assert "duplicate" in names[7]


def test_persistence_needs_duration():
    t = np.arange(20, dtype=np.int64) * 60_000_000 * 10  # 190 minutes
    f = qc.series_flags(np.zeros(20, dtype=np.int64), t, {"air_temp_c": np.full(20, 3.0)})
    assert all("persistence" in qc.flag_names(int(x)) for x in f)
    f = qc.series_flags(np.zeros(5, dtype=np.int64), t[:5], {"air_temp_c": np.full(5, 3.0)})
    assert not f.any()


def test_time_and_globe_and_area():
    now = 1_700_000_000_000_000
    f = qc.time_flags([now - 1, now + 3_600_000_000], now, installed_us=[now, 0])
    assert [qc.flag_names(int(x)) for x in f] == [["before_install"], ["future"]]
    assert qc.globe_flags([10.0, 2.0], [11.0, 9.0]).tolist() == [0, qc.FLAGS["globe_below_air"]]
    sq = shapely.box(141.34, 43.05, 141.36, 43.07)
    f = qc.area_flags([141.35, 139.7, np.nan], [43.06, 35.7, np.nan], sq)
    assert f.tolist() == [0, qc.FLAGS["outside_area"], 0]


def test_flags_are_the_qcflag_bits_and_names_come_from_the_mask():
    assert qc.FLAGS == {f.name.lower(): int(f) for f in QCFlag if f.name}
    assert qc.flag_names(17) == ["range", "duplicate"]
    assert qc.flag_names(QCFlag.ESTIMATED | QCFlag.SPIKE) == ["spike", "estimated"]
    assert qc.flag_names(1 << 20) == []  # bits no test sets have no name
