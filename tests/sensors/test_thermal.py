"""Thermal readings and the sensor registry (CSV and JSON Lines)."""

from __future__ import annotations

import json

from sensors import qc
from sensors.ingest import ingest_file
from sensors.store import Store
from sensors.thermal import read_readings, read_sensor_registry

REG = (
    "sensor_id,kind,lat,lon,level,height_m,globe_diameter_m,installed,name\n"
    "S001,fixed,43.0605,141.3545,0,1.5,0.15,2022-01-05,Ekimae-dori N1\n"
    "U001,fixed,43.0610,141.3540,-1,2.0,0.15,2021-01-01,Chi-Ka-Ho\n"
)


def test_registry_locations_fill_readings(tmp_path):
    reg = tmp_path / "sensors.csv"
    reg.write_text(REG)
    rd = tmp_path / "r.csv"
    rd.write_text(
        "time,sensor_id,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c\n"
        "2022-01-04T12:00:00+09:00,S001,-1,70,2,0\n"
        "2022-01-05T12:00:00+09:00,U001,18,35,0.2,18.5\n"
    )
    df = read_readings(rd, registry=reg)
    assert df["lat"].tolist() == [43.0605, 43.061]
    s1 = df[df["sensor_id"] == "S001"].iloc[0]
    assert qc.flag_names(s1["qc_flags"]) == ["before_install"]  # read the day before installation
    u1 = df[df["sensor_id"] == "U001"].iloc[0]
    assert u1["level"] == -1 and u1["qc_flags"] == 0
    g = read_sensor_registry(reg)
    assert g.crs.to_epsg() == 4326 and len(g) == 2


def test_registry_reingest_replaces_and_duplicates_are_quarantined(store_url, tmp_path):
    store = Store(store_url)
    reg = tmp_path / "sensors.csv"
    reg.write_text(REG + "S001,fixed,43.07,141.35,0,1.5,0.15,2022-01-05,moved\n")
    res = ingest_file(store, "sensors", reg)
    assert (res.rows_read, res.accepted, res.quarantined) == (3, 2, 1)
    assert "listed again on line 4" in store.quarantine()["reason"].item()
    assert store.sensors().set_index("sensor_id").loc["S001", "name"] == "moved"


def test_jsonl_equals_csv(tmp_path):
    rows = [
        {"time": "2022-01-05T12:00:00+09:00", "sensor_id": "M1", "lat": 43.06, "lon": 141.35,
         "air_temp_c": -3.5, "rel_humidity_pct": 80, "wind_speed_m_s": 3.1, "globe_temp_c": -2.0,
         "simulated": True},
    ]  # fmt: skip
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    df = read_readings(p)
    assert df["air_temp_c"].item() == -3.5 and bool(df["simulated"].item())
    assert df["qc_flags"].item() == 0 and "qc" not in df.columns  # the mask, never text
