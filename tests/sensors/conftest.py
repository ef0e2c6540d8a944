"""Shared fixtures of the sensors tests: the real data files, resolved from settings."""

from __future__ import annotations

import pytest

from api.settings import get_settings

DAILY = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"
FITBIT = "fitbit_hourlySteps_merged.csv"
MLIT = "mlit_peopleflow_1km_sapporo_downtown.geojson"


@pytest.fixture(scope="session")
def daily_path():
    return get_settings().data_file(DAILY)


@pytest.fixture(scope="session")
def fitbit_path():
    return get_settings().data_file(FITBIT)


@pytest.fixture(scope="session")
def mlit_path():
    return get_settings().data_file(MLIT)
