"""
``kaiteki comfort index`` and ``GET /v1/comfort/index``: one function behind both (parity), the
calm-air globe of ISO 7726 against a heat balance solved here, the low-wind wind chill, and
typed parameters refusing impossible inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from scipy.optimize import brentq
from typer.testing import CliRunner

from api.cli import app as cli_app

SIGMA = 5.67e-8


def _globe_heat_balance(mrt: float, ta: float, v: float, d: float = 0.15, eps: float = 0.95):
    """Globe temperature (°C) where radiation gained equals convection lost (ISO 7726)."""

    def balance(tg: float) -> float:
        h = max(6.3 * v**0.6 / d**0.4, 1.4 * (abs(tg - ta) / d) ** 0.25)
        return eps * SIGMA * ((mrt + 273.15) ** 4 - (tg + 273.15) ** 4) - h * (tg - ta)

    return brentq(balance, min(ta, mrt), max(ta, mrt), xtol=1e-12)


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    """The real app; the calculator needs no prepared data, so the lifespan is not run."""
    from api.app import create_app

    yield TestClient(create_app(), raise_server_exceptions=False)


def _cli(*args: str) -> dict:
    result = CliRunner().invoke(cli_app, ["comfort", "index", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_calm_case_globe_below_mrt_within_heat_balance():
    out = _cli("--ta", "30", "--rh", "60", "--mrt", "65", "--wind", "0")
    expected = _globe_heat_balance(65.0, 30.0, 0.0)
    assert out["globe_temperature_c"] < out["mrt_c"] == 65.0
    assert abs(out["globe_temperature_c"] - expected) <= 0.5
    assert out["wbgt_c"] < 39.7 - 4.0  # 39.7 °C with the globe at the MRT (no natural convection)
    for key in ("utci_c", "wbgt_c", "globe_temperature_c", "wind_chill_c", "mrt_c", "flags"):
        assert key in out
    assert out["utci_category_en"] and out["utci_category_ja"]
    assert "globe_natural_convection" in out["flags"] and "utci_wind_clamped" in out["flags"]


def test_cli_wind_chill_defined_at_low_wind():
    # -10 °C and 3 km/h at 10 m
    out = _cli("--ta", "-10", "--rh", "70", "--mrt", "-10", "--wind", str(3 / 3.6))
    assert out["wind_chill_c"] == pytest.approx(-10.0 + (-1.59 + 0.1345 * -10.0) / 5 * 3, abs=0.01)
    assert "wind_chill_low_wind" in out["flags"]


@pytest.mark.parametrize(
    "params",
    [
        {"ta": 30, "rh": 60, "mrt": 65, "wind": 0},
        {"ta": -10, "rh": 70, "mrt": -12, "wind": 0.83},
        {"ta": 22, "rh": 45, "globe": 31, "wind": 1.2, "wind_height": 1.1},
        {"ta": 5, "rh": 90, "mrt": 2, "wind": 20},
        {"ta": 55, "rh": 10, "mrt": 60, "wind": 2},  # outside UTCI: NaN + flags on both
    ],
)
def test_cli_and_api_give_the_same_answer(api, params):
    args: list[str] = []
    for key, value in params.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    r = api.get("/v1/comfort/index", params=params)
    assert r.status_code == 200, r.text
    assert r.json() == _cli(*args)


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"ta": 30, "rh": 160, "mrt": 65, "wind": 0}, "rh"),
        ({"ta": 30, "rh": 60, "mrt": 65, "wind": -1}, "wind"),
        ({"ta": "warm", "rh": 60, "mrt": 65, "wind": 1}, "ta"),
        ({"ta": 30, "rh": 60, "mrt": 65, "wind": 1, "wind_height": 0}, "wind_height"),
    ],
)
def test_api_refuses_bad_parameters_with_422(api, params, where):
    r = api.get("/v1/comfort/index", params=params)
    assert r.status_code == 422
    assert where in r.json()["message"]


def test_api_and_cli_need_exactly_one_of_mrt_and_globe(api):
    for params in (
        {"ta": 30, "rh": 60, "wind": 1},
        {"ta": 30, "rh": 60, "wind": 1, "mrt": 40, "globe": 35},
    ):
        r = api.get("/v1/comfort/index", params=params)
        assert r.status_code == 422
        assert "exactly one of mrt and globe" in r.json()["message"]
    result = CliRunner().invoke(
        cli_app, ["comfort", "index", "--ta", "30", "--rh", "60", "--wind", "1"]
    )
    assert result.exit_code == 2
    assert "exactly one of --mrt C and --globe C" in result.output


def test_cli_table_without_json():
    result = CliRunner().invoke(
        cli_app, ["comfort", "index", "--ta", "30", "--rh", "60", "--mrt", "65", "--wind", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "globe_temperature_c" in result.stdout and "51.6" in result.stdout
    assert "globe_natural_convection" in result.stdout


def test_one_season_naming_everywhere():
    from typing import get_args

    from api.i18n import translator
    from api.params import Season
    from comfort.constants import SEASON_NAMES, SEASONS

    assert get_args(Season) == SEASONS  # the typed query parameter lists the same codes
    for lang in ("en", "ja"):
        t = translator(lang)
        assert [t(f"season_{s}") for s in SEASONS] == [SEASON_NAMES[s][lang] for s in SEASONS]
