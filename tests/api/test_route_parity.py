"""
``kaiteki route --json`` and ``GET /v1/route`` answer the same 50 requests with the same object,
``conditions`` included: modes, dates inside and outside the built fields (2021, 2022: 17–21
January and 18–22 July), outside the weather file, 29 February, and night hours when the
walkways are closed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings

STATION = "141.35038,43.06738"
SUSUKINO = "141.35319,43.05613"
ODORI_WEST = "141.34100,43.06000"
ACCEPT_FROM = "141.3504,43.0674"
ACCEPT_TO = "141.3536,43.0555"

TIMES = (
    "2022-07-19T14:00",  # field and weather of that hour
    "2022-01-19T12:00",  # winter, field and snow of that day
    "2025-01-20 08:00",  # after the data: same day of 2022
    "2019-01-18T08:00",  # before the fields: field of 2021 (nearest year)
    "2024-02-29T12:00",  # 29 Feb after the weather file: 28 Feb 2022
    "2020-05-01T10:00",  # weather of that day, no field that day in any year
    "2022-01-20T01:00",  # night: walkways closed
    "2023-07-20T01:30",  # night outside the data
    "2030-12-31T23:30",  # far future, late evening
    "2021-07-21T06:00+09:00",  # with a zone
)
#: (mode, from, to, alpha) cycled over every time: 10 × 5 = 50 requests.
REQUESTS = (
    ("shortest", STATION, SUSUKINO, None),
    ("comfortable", SUSUKINO, ODORI_WEST, None),
    ("winter", ACCEPT_FROM, ACCEPT_TO, None),
    ("accessible", ODORI_WEST, STATION, None),
    ("comfortable", STATION, ODORI_WEST, 3.0),
)
CASES = [(at, *req) for at in TIMES for req in REQUESTS]

runner = CliRunner()


def _cli(at: str, mode: str, origin: str, dest: str, alpha: float | None) -> dict[str, Any]:
    args = ["route", "--from", origin, "--to", dest, "--at", at, "--mode", mode, "--json"]
    if alpha is not None:
        args += ["--alpha", str(alpha)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def _api(
    client: TestClient, at: str, mode: str, origin: str, dest: str, alpha: float | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"from": origin, "to": dest, "at": at, "mode": mode}
    if alpha is not None:
        params["alpha"] = alpha
    r = client.get("/v1/route", params=params)
    assert r.status_code == 200, r.text
    obj: dict[str, Any] = r.json()
    return obj


def test_fifty_requests_equal(client: TestClient) -> None:
    assert len(CASES) == 50
    sources: set[tuple[str, str]] = set()
    closed_seen = False
    for at, mode, origin, dest, alpha in CASES:
        cli = _cli(at, mode, origin, dest, alpha)
        api = _api(client, at, mode, origin, dest, alpha)
        assert cli == api, (at, mode)
        cond = api["conditions"]
        sources.add((cond["field_source"], cond["snow_source"]))
        closed_seen |= not cond["walkways_open"]
        if cond["walkways_closed"]:
            assert all(w not in api["walkways"] for w in cond["walkways_closed"])
    # the cases do cover each path of the engine
    assert {s for s, _ in sources} == {"exact", "same_day_other_year", "none"}
    assert {s for _, s in sources} == {"exact", "same_day_other_year"}
    assert closed_seen


def test_acceptance_query(client: TestClient) -> None:
    """The query of issue 11: data of another year, snow on the ground, same on both sides."""
    cli = _cli("2025-01-20 08:00", "winter", ACCEPT_FROM, ACCEPT_TO, None)
    cond = cli["conditions"]
    assert cond["field_source"] == "same_day_other_year" and cond["field_year"] == 2022
    assert cond["snow_source"] == "same_day_other_year" and cond["snow_date"] == "2022-01-20"
    assert cond["snow_depth_cm"] > 0 and cli["snow_depth_cm"] == cond["snow_depth_cm"]
    assert cli["comfort_field"] is True and cli["utci_minutes"] is not None
    api = _api(client, "2025-01-20 08:00", "winter", ACCEPT_FROM, ACCEPT_TO, None)
    assert api["conditions"] == cond


def test_night_closes_walkways_on_both_sides(client: TestClient) -> None:
    day = _api(client, "2022-01-20T12:00", "winter", STATION, SUSUKINO, None)
    night = _api(client, "2022-01-20T01:00", "winter", STATION, SUSUKINO, None)
    assert day["conditions"]["walkways_open"] is True and "Chi-Ka-Ho" in day["walkways"]
    assert night["conditions"]["walkways_open"] is False
    assert "Chi-Ka-Ho" in night["conditions"]["walkways_closed"]
    assert night["walkways"] == [] and night["underground_share"] == 0.0


def test_readable_output_prints_the_notes(prepared: Settings) -> None:
    args = ["route", "--from", ACCEPT_FROM, "--to", ACCEPT_TO, "--at", "2025-01-20 01:00"]
    result = runner.invoke(app, [*args, "--mode", "winter"])
    assert result.exit_code == 0, result.output
    assert "Comfort: showing the same date and hour of 2022." in result.output
    assert "Snow depth 60 cm: the same date of 2022 (real Sapporo record)." in result.output
    assert "Closed at this hour:" in result.output and "Chi-Ka-Ho" in result.output


def test_cli_options_change_conditions(prepared: Settings) -> None:
    base = ["route", "--from", STATION, "--to", SUSUKINO, "--at", "2022-01-19T12:00", "--json"]
    given = json.loads(runner.invoke(app, [*base, "--snow-cm", "5"]).stdout)
    assert given["conditions"]["snow_source"] == "given"
    assert given["conditions"]["snow_depth_cm"] == given["snow_depth_cm"] == 5.0
    no_field = json.loads(runner.invoke(app, [*base, "--no-field"]).stdout)
    assert no_field["conditions"]["field_source"] == "none" and no_field["comfort_field"] is False
    bad = runner.invoke(app, ["route", "--from", STATION, "--to", SUSUKINO, "--at", "soon"])
    assert bad.exit_code != 0 and "--at" in bad.output


@pytest.mark.parametrize("at", ["2025-01-20 08:00", "2022-01-20T01:00"])
def test_cli_subprocess_equals_api(client: TestClient, prepared: Settings, at: str) -> None:
    """The installed command in its own process (own caches) prints what the API answers."""
    env = {
        **os.environ,
        "KAITEKI_STORE": str(prepared.store),
        "KAITEKI_CACHE_DIR": str(prepared.cache_dir),
        "KAITEKI_DEMO_YEAR": str(prepared.demo_year),
    }
    kaiteki = str(Path(sys.executable).with_name("kaiteki"))
    cmd = [kaiteki, "route", "--from", STATION, "--to", SUSUKINO]
    out = subprocess.run(
        [*cmd, "--at", at, "--mode", "winter", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == _api(client, at, "winter", STATION, SUSUKINO, None)
