"""The real Chi-Ka-Ho daily counts and subway boardings."""

from __future__ import annotations

import pytest

from sensors.chikaho import ARRAYS, chikaho_long, read_chikaho_daily
from sensors.ingest import ingest_file
from sensors.store import Store


def test_read_chikaho_daily(daily_path):
    d = read_chikaho_daily(daily_path)
    assert len(d) == 1278
    assert list(d.columns[:5]) == list(ARRAYS)
    assert "odori_tozai_boardings" in d.columns and "susukino_namboku_boardings" in d.columns
    first = d.iloc[0]
    assert first["J1"] == pytest.approx(2242.4545454545455)
    assert first["sapporo_namboku_boardings"] == 55586
    assert first["odori_toho_boardings"] == 14779
    long = chikaho_long(d)
    assert len(long) == 1278 * 11
    assert set(long.loc[long["line_id"].str.startswith("chikaho"), "series"]) == {
        "chikaho-acoustic"
    }


def test_ingest_chikaho_real_file(store_url, daily_path, tmp_path):
    store = Store(store_url)
    res = ingest_file(store, "chikaho", daily_path)
    assert res.rows_read == 1278 * 11 and res.accepted == res.rows_read
    c = store.counts(line_ids=["chikaho-J1"])
    assert len(c) == 1278 and c["time"].dt.date.nunique() == 1278
    assert (c["statistic"] == "mean_per_15min").all() and (c["interval_min"] == 1440).all()
    assert c["count"].iloc[0] == pytest.approx(2242.4545454545455)
    assert str(c["time"].iloc[0]) == "2019-04-01 00:00:00+09:00"
    # the same file as weather is a different kind: both are kept, each once
    assert not ingest_file(store, "weather", daily_path).duplicate_file
    assert ingest_file(store, "chikaho", daily_path).duplicate_file
