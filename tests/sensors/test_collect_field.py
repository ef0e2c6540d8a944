"""
``kaiteki comfort update`` after live readings: the current hour gets a field, and a
comfort-aware route for that hour is costed with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sensors.collect import Received, commit_batch
from sensors.collect.batch import now_utc
from sensors.store import Store

ODORI = (141.3508, 43.0687)
SUSUKINO = (141.3545, 43.0556)


@pytest.mark.slow
def test_comfort_update_changes_the_current_hour_and_its_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import resources
    from api.settings import get_settings
    from api.wayfinding import route_answer
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("KAITEKI_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    resources.clear()
    s = get_settings()
    now = pd.Timestamp.now(tz="Asia/Tokyo").floor("h")
    # simulated readings of the same calendar day of 2022 (real weather), moved to today
    sim_day = pd.Timestamp(2022, now.month, min(now.day, 28))
    weather = read_daily_weather(s.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv"))
    one_day = weather[pd.DatetimeIndex(weather.index).date == sim_day.date()]
    registry, readings = simulate_thermal(resources.graph(), one_day, 2022, seed=14, faults=False)
    shift = now.normalize().tz_localize(None) - sim_day
    t = pd.DatetimeIndex(readings["time"]).tz_convert("Asia/Tokyo") + shift
    keep = (t > now - pd.Timedelta(hours=2)) & (t <= now)
    live = readings[keep].assign(time=[x.isoformat() for x in t[keep]])
    msgs = [
        Received("kaiteki/thermal/live", json.dumps({k: v for k, v in rec.items() if v == v}).encode(), now_utc())
        for rec in live.drop(columns=["simulated"], errors="ignore").to_dict("records")
    ]  # fmt: skip
    with Store(s.store) as store:
        from sensors.ingest import ingest_records

        reg = registry.drop(columns="geometry", errors="ignore")
        ingest_records(store, "sensors", reg.where(reg.notna(), None).to_dict("records"), "test")
        rep = commit_batch(store, msgs, kind="thermal", fmt="kaiteki")
    assert rep.stored == len(msgs) > 0

    when = now.tz_localize(None).to_pydatetime()
    before = route_answer(resources.current(), ODORI, SUSUKINO, when, "comfortable")
    assert before["conditions"]["field_source"] != "exact"

    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "comfort", "update",
         "--hours", "3", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert now.tz_localize(None).isoformat() in out["hours"]

    resources.clear()
    after = route_answer(resources.current(), ODORI, SUSUKINO, when, "comfortable")
    assert after["field_year"] == now.year
    assert after["conditions"]["field_source"] == "exact"
    assert after["conditions"]["field_time"] == now.tz_localize(None).isoformat(timespec="minutes")
    assert after["utci_minutes"] != before["utci_minutes"]
    get_settings.cache_clear()
    resources.clear()
