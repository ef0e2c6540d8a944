"""The real Sapporo daily weather (Chi-Ka-Ho file)."""

from __future__ import annotations

import pytest

from sensors.errors import EncodingError, FileFormatError
from sensors.ingest import ingest_file
from sensors.readers import detect_encoding
from sensors.store import Store
from sensors.weather import WEATHER_COLUMNS, read_daily_weather


def test_read_daily_weather_real_file(daily_path):
    w = read_daily_weather(daily_path)
    assert len(w) == 1278
    assert tuple(w.columns) == WEATHER_COLUMNS
    assert str(w.index.tz) == "Asia/Tokyo" and w.index.name == "date"
    assert str(w.index[0].date()) == "2019-04-01" and str(w.index[-1].date()) == "2022-12-31"
    assert w.loc["2019-04-01", "air_temp_c"] == pytest.approx(2.682638888888889)
    assert w.loc["2022-01-05", "snow_depth_cm"] == pytest.approx(42.520833, abs=1e-5)
    assert w.notna().all().all()


def test_read_daily_weather_cp932(daily_path, tmp_path):
    text = daily_path.read_text(encoding="utf-8")
    p = tmp_path / "sjis.csv"
    p.write_bytes(text.encode("cp932"))
    assert detect_encoding(p.read_bytes()) == "cp932"
    w = read_daily_weather(p)
    assert len(w) == 1278


def test_missing_weather_column(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(",気温(℃)\n2022-01-05,-2.0\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"w.csv: line 1: missing column\(s\)"):
        read_daily_weather(p)


def test_bad_date_and_number_name_the_line(tmp_path):
    head = ",気温(℃),風向(度:0～359),風速(m/s),降水量(mm),積雪深(cm)\n"
    p = tmp_path / "w.csv"
    p.write_text(head + "2022-01-05,1,2,3,4,5\n2022-13-45,1,2,3,4,5\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"line 3: field date"):
        read_daily_weather(p)
    p.write_text(head + "2022-01-05,1,2,x,4,5\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"line 2: field wind_speed_m_s: expected a number"):
        read_daily_weather(p)
    p.write_text(head + "2022-01-05,1,2,3,4,5\n2022-01-05,1,2,3,4,5\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"line 3: field date: 2022-01-05 appears twice"):
        read_daily_weather(p)


def test_undecodable_file(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes(b",a\n2022-01-05,\x82\n")
    with pytest.raises(EncodingError, match=r"w.csv: line 2: cannot decode"):
        read_daily_weather(p)


def test_ingest_weather_real_file(store_url, daily_path, tmp_path):
    store = Store(store_url)
    res = ingest_file(store, "weather", daily_path)
    assert (res.rows_read, res.accepted, res.quarantined, res.flagged) == (1278, 1278, 0, 0)
    w = store.weather()
    assert len(w) == 1278 and w["date"].nunique() == 1278
    assert w["air_temp_c"].iloc[0] == pytest.approx(2.682638888888889)
    assert not w["simulated"].any()
