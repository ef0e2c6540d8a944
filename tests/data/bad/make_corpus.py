"""Regenerate the bad-input corpus: run from tests/data: python bad/make_corpus.py."""

import json
import random
from pathlib import Path

B = Path("bad")
H = "time,sensor_id,lat,lon,air_temp_c,rel_humidity_pct,wind_speed_ms,globe_temp_c,solar_wm2,level"


def row(t, s="S001", air=5.0, rh=70, ws=2.0, g=6.0, sol=100, lat=43.0605, lon=141.3545, lvl=0):
    return f"{t},{s},{lat},{lon},{air},{rh},{ws},{g},{sol},{lvl}"


def ts(i):
    return f"2022-01-05T{10 + i // 60:02d}:{i % 60:02d}:00+09:00"


good = [row(ts(i * 10)) for i in range(3)]
cases = {}


def w(name, text, kind="thermal", enc="utf-8", **expect):
    data = text if isinstance(text, bytes) else text.encode(enc)
    (B / name).write_bytes(data)
    cases[name] = {"kind": kind, **expect}


w(
    "wrong_delimiter_rows.csv",
    H + "\n" + "\n".join(r.replace(",", ";") for r in good) + "\n",
    rows_read=3,
    accepted=0,
    quarantined=3,
    match=r"line 2.*(few|columns)",
)
w(
    "semicolon_delimited.csv",
    H.replace(",", ";") + "\n" + "\n".join(r.replace(",", ";") for r in good) + "\n",
    rows_read=3,
    accepted=3,
    quarantined=0,
    match=r"delimiter ';' detected",
)
w(
    "tab_delimited.tsv",
    H.replace(",", "\t") + "\n" + "\n".join(r.replace(",", "\t") for r in good) + "\n",
    rows_read=3,
    accepted=3,
    quarantined=0,
    match=r"delimiter '\\t' detected",
)
w(
    "wrong_units_kelvin.csv",
    H
    + "\n"
    + "\n".join(row(ts(i * 10), air=278.15 + i * 0.1, g=279.0 + i * 0.1) for i in range(3))
    + "\n",
    rows_read=3,
    accepted=3,
    flagged=3,
    quarantined=0,
    match=r"flagged 'range'.*line\(s\) 2, 3, 4",
)
w(
    "wrong_units_fahrenheit_header.csv",
    H.replace("air_temp_c", "air_temp_f") + "\n" + "\n".join(good) + "\n",
    rejected=r"missing column\(s\) \['air_temp_c'\]",
)
w(
    "missing_columns.csv",
    "time,sensor_id,air_temp_c\n2022-01-05T10:00:00+09:00,S001,5.0\n",
    rejected=r"line 1: missing column\(s\) \['rel_humidity_pct', 'wind_speed_ms', 'globe_temp_c'\]",
)
w(
    "text_in_number.csv",
    H + "\n" + good[0] + "\n" + row(ts(10), air="warm") + "\n" + good[2] + "\n",
    rows_read=3,
    accepted=2,
    quarantined=1,
    match=r"line 3, field air_temp_c: expected a number, got 'warm'",
)
w(
    "nan_values.csv",
    H + "\n" + row(ts(0), air="NaN") + "\n" + row(ts(10), rh="") + "\n" + good[2] + "\n",
    rows_read=3,
    accepted=3,
    flagged=2,
    quarantined=0,
    match=r"flagged 'missing'.*line\(s\) 2, 3",
)
w(
    "duplicated_rows.csv",
    H + "\n" + good[0] + "\n" + good[0] + "\n" + good[1] + "\n",
    rows_read=3,
    accepted=3,
    flagged=1,
    quarantined=0,
    match=r"flagged 'duplicate'.*line\(s\) 3",
)
w(
    "mixed_timezones.csv",
    H
    + "\n"
    + row("2022-01-05T10:00:00+09:00")
    + "\n"
    + row("2022-01-05T01:10:00Z")
    + "\n"
    + row("2022-01-05 10:20:00")
    + "\n",
    rows_read=3,
    accepted=3,
    flagged=0,
    quarantined=0,
    match=r"mixed time zones: 2 timestamps carry an offset, 1 have none",
)
w(
    "out_of_area.csv",
    H + "\n" + good[0] + "\n" + row(ts(10), s="S002", lat=35.6812, lon=139.7671) + "\n",
    rows_read=2,
    accepted=2,
    flagged=1,
    quarantined=0,
    area=True,
    match=r"flagged 'outside_area'.*line\(s\) 3",
)
w("empty.csv", b"", rejected=r"empty.csv: the file is empty")
w("whitespace_only.csv", b"\n \n\r\n", rejected=r"the file is empty")
w("header_only.csv", H + "\n", rows_read=0, accepted=0, quarantined=0, match=None)
random.seed(3)
w(
    "binary_garbage.csv",
    bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
    + bytes(random.randrange(256) for _ in range(2000)),
    rejected=r"line 3: NUL byte at offset 8: the file is binary",
)
w(
    "huge_line.csv",
    H + "\n" + good[0] + "\n" + row(ts(10), s="S" + "x" * 40000) + "\n" + good[2] + "\n",
    rows_read=3,
    accepted=2,
    quarantined=1,
    match=r"line 3.*longer than 32,768 bytes",
)
w(
    "undecodable_line.csv",
    (H + "\n" + good[0] + "\n").encode()
    + row(ts(10), s="caf\xe9").encode("latin-1")
    + b"\n"
    + (good[2] + "\n").encode(),
    rows_read=3,
    accepted=2,
    quarantined=1,
    match=r"line 3.*(unicode|encoding)",
)
w("utf16.csv", (H + "\n" + good[0] + "\n").encode("utf-16"), rejected=r"UTF-16")
jp = (
    "日時,センサーID,緯度,経度,気温(℃),湿度(%),風速(m/s),黒球温度(℃)\n"
    + "\n".join(
        f"2022-01-05 {10 + i}:00,札幌駅前{i},43.0605,141.3545,{-2.5 + i},{70 + i},{1.5},{-1.0 + i}"
        for i in range(3)
    )
    + "\n"
)
w(
    "shift_jis_japanese_headers.csv",
    jp,
    enc="cp932",
    rows_read=3,
    accepted=3,
    quarantined=0,
    match=r"Shift_JIS \(cp932\) text detected",
)
w(
    "bad_timestamp.csv",
    H + "\n" + good[0] + "\n" + row("yesterday noon") + "\n",
    rows_read=2,
    accepted=1,
    quarantined=1,
    match=r"line 3, field time: expected an ISO 8601 timestamp",
)
w(
    "missing_sensor_id.csv",
    H + "\n" + good[0] + "\n" + row(ts(10), s="") + "\n",
    rows_read=2,
    accepted=1,
    quarantined=1,
    match=r"line 3, field sensor_id: missing value in a required field",
)
w(
    "too_many_columns.csv",
    H + "\n" + good[0] + "\n" + good[1] + ",extra\n" + good[2] + "\n",
    rows_read=3,
    accepted=2,
    quarantined=1,
    match=r"line 3.*too many columns",
)
w(
    "future_time.csv",
    H + "\n" + good[0] + "\n" + row("2099-01-01T00:00:00+09:00") + "\n",
    rows_read=2,
    accepted=1,
    flagged=0,
    quarantined=1,
    match=r"line 3, field time: .* outside the accepted time range",
)
w(
    "spike.csv",
    H
    + "\n"
    + "\n".join(
        row(ts(i), air=(25.0 if i == 2 else 5.0 + 0.1 * i), g=(25.0 if i == 2 else 6.0))
        for i in range(5)
    )
    + "\n",
    rows_read=5,
    accepted=5,
    flagged=1,
    quarantined=0,
    match=r"flagged 'spike'.*line\(s\) 4",
)
w(
    "stuck_sensor.csv",
    H + "\n" + "\n".join(row(ts(i * 20)) for i in range(12)) + "\n",
    rows_read=12,
    accepted=12,
    flagged=12,
    quarantined=0,
    match=r"flagged 'persistence'",
)
w(
    "globe_far_below_air.csv",
    H + "\n" + row(ts(0), air=10.0, g=-2.0) + "\n" + row(ts(10), air=10.0, g=8.5) + "\n",
    rows_read=2,
    accepted=2,
    flagged=1,
    quarantined=0,
    match=r"flagged 'globe_below_air'.*line\(s\) 2",
)
w(
    "infinite_value.csv",
    H + "\n" + good[0] + "\n" + row(ts(10), ws="inf") + "\n",
    rows_read=2,
    accepted=1,
    quarantined=1,
    match=r"line 3, field wind_speed_ms: expected a number, got 'inf'",
)
w(
    "bad_json_lines.jsonl",
    json.dumps(
        {
            "time": ts(0),
            "sensor_id": "S001",
            "air_temp_c": 5,
            "rel_humidity_pct": 70,
            "wind_speed_ms": 2,
            "globe_temp_c": 6,
        }
    )
    + "\n{not json\n[1, 2]\n\n"
    + json.dumps(
        {
            "time": ts(10),
            "sensor_id": "S001",
            "air_temp_c": "x",
            "rel_humidity_pct": 70,
            "wind_speed_ms": 2,
            "globe_temp_c": 6,
        }
    )
    + "\n",
    rows_read=4,
    accepted=1,
    quarantined=3,
    match=r"line 2: invalid JSON",
)
w(
    "steps_negative_and_bad_time.csv",
    "Id,ActivityHour,StepTotal\n1503960366,4/12/16 0:00,373\n1503960366,4/12/16 1:00,-5\n1503960366,13/45/16 1:00,10\n1503960366,4/12/2016 1:00:00 PM,12\n",
    kind="steps",
    rows_read=4,
    accepted=3,
    flagged=1,
    quarantined=1,
    match=r"line 4, field time: expected M/D/YY",
)
w(
    "survey_out_of_scale.csv",
    'response_id,time,block,thermal_sensation,comfort_vote,preference,clothing_clo,free_text\nR1,2022-01-05T12:00:00+09:00,北一条西３丁目,-2,1,warmer,1.6,"寒い, 風が強い"\nR2,2022-01-05T12:05:00+09:00,北一条西３丁目,5,2,no change,1.2,\n,2022-01-05T12:10:00+09:00,,0,2,,1.0,\n',
    kind="survey",
    rows_read=3,
    accepted=2,
    flagged=1,
    quarantined=1,
    match=r"line 4, field response_id: missing value",
)
w(
    "flow_missing_series.csv",
    "time,line_id,direction,interval_min,count\n2022-01-05T10:00:00+09:00,chikaho-J1,N,15,120\n",
    kind="flow",
    rejected=r"missing column\(s\) \['series'\]",
)
w(
    "bom_utf8.csv",
    "\ufeff" + H + "\n" + "\n".join(good) + "\n",
    rows_read=3,
    accepted=3,
    quarantined=0,
    match=None,
)
w(
    "crlf_blank_lines.csv",
    (H + "\r\n\r\n" + good[0] + "\r\n\r\n" + row(ts(10), air="oops") + "\r\n" + good[2] + "\r\n"),
    rows_read=3,
    accepted=2,
    quarantined=1,
    match=r"line 5, field air_temp_c: expected a number, got 'oops'",
)
w(
    "weather_text_cell.csv",
    ",気温(℃),風向(度:0～359),風速(m/s),降水量(mm),積雪深(cm)\n2022-01-05,-2.1,272,2.5,4.5,42.5\n2022-01-06,cold,270,2.0,0,40\n",
    kind="weather",
    rows_read=2,
    accepted=1,
    quarantined=1,
    match=r"line 3, field air_temp_c: expected a number, got 'cold'",
)
w(
    "flow_estimated_and_negative.csv",
    "time,line_id,direction,interval_min,count,series,estimated\n2022-01-05T10:00:00+09:00,chikaho-J1,N,15,120,chikaho-acoustic,false\n2022-01-05T10:15:00+09:00,chikaho-J1,N,15,-3,chikaho-acoustic,false\n2022-01-05T10:30:00+09:00,chikaho-J1,N,15,130,chikaho-acoustic,true\n2022-01-05T10:45:00+09:00,chikaho-J1,N,fifteen,130,chikaho-acoustic,false\n",
    kind="flow",
    rows_read=4,
    accepted=3,
    flagged=2,
    quarantined=1,
    match=r"line 5, field interval_min: expected a whole number",
)
(B / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
print(len(cases))
