"""
Fixtures of the web-app tests: a small prepared cache and store in a temporary folder.

The inputs are built through the real functions: the embedded area graph from the real census
blocks, eight days of simulated thermal readings (fixed seed) following the real Sapporo daily
weather of January and July, for the baseline year 2021 and the demo year 2022, and the
comfort fields (streets and places) built from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import resources
from api.settings import Settings, get_settings

DEMO_YEAR = 2022
BASELINE_YEAR = 2021


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a tmp store and cache with a short 2022 comfort field."""
    root = tmp_path_factory.mktemp("kaiteki")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAITEKI_STORE", str(root / "store.duckdb"))
        mp.setenv("KAITEKI_CACHE_DIR", str(root / "cache"))
        mp.setenv("KAITEKI_DEMO_YEAR", str(DEMO_YEAR))
        mp.delenv("KAITEKI_TILES", raising=False)
        get_settings.cache_clear()
        resources.clear()
        settings = get_settings()
        for year in (BASELINE_YEAR, DEMO_YEAR):
            _build_field(settings, year)
        yield settings
    get_settings.cache_clear()
    resources.clear()


def _build_field(settings: Settings, year: int) -> Path:
    from comfort.field import build_field
    from sensors.fieldstore import field_path, save_field
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    weather = read_daily_weather(
        settings.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv")
    )
    day = pd.DatetimeIndex(weather.index)
    parts = []
    for start, end in ((f"{year}-01-17", f"{year}-01-21"), (f"{year}-07-18", f"{year}-07-22")):
        # each period simulated on its own (same stations: the registry depends on the graph)
        registry, part = simulate_thermal(
            resources.graph(), weather[(day >= start) & (day < end)], year, seed=7
        )
        part.attrs = {}  # the simulator keeps its fault log in attrs; not needed here
        parts.append(part)
    readings = pd.concat(parts, ignore_index=True)
    times = pd.DatetimeIndex(
        sorted(
            set(
                pd.DatetimeIndex(readings["time"])
                .tz_convert("Asia/Tokyo")
                .tz_localize(None)
                .floor("h")
            )
        )
    )
    ds = build_field(
        readings, registry, resources.segments(), resources.current().places(), times=times
    )
    return save_field(ds, field_path(settings.cache_dir, year))


@pytest.fixture(scope="session")
def client(prepared: Settings) -> Iterator[TestClient]:
    """A TestClient of the app on the prepared inputs."""
    from api.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def api_key(prepared: Settings) -> str:
    """A fresh API key in the prepared store."""
    from api import auth

    return auth.create_key(prepared.store, "pytest").secret
