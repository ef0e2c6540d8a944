"""
``kaiteki kpi steps``, ``kaiteki kpi scenario`` and ``kaiteki kpi plan`` through the CLI: the
steps ratio on a synthetic file and its refusal (exit 2), and a plan that, applied as a
scenario, reaches the target on the demo fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings
from tests.comfort.test_steps_kpi import SEASON, TRUE_RATIO, synthetic_panel, write_panel

runner = CliRunner()


@pytest.fixture(scope="module")
def steps_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_panel(tmp_path_factory.mktemp("steps") / "panel.csv", synthetic_panel(n=60))


def test_steps_recovers_the_known_ratio(steps_file: Path, tmp_path: Path) -> None:
    args = ["kpi", "steps", str(steps_file), "--baseline", "2021", "--later", "2022"]
    r = runner.invoke(app, [*args, "--replicates", "200", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    assert body["ratio_low"] < body["ratio"] < body["ratio_high"]
    assert body["participants_both"] < body["participants_baseline"]
    assert body["ratio_all_participants"] is not None and body["attrition"]["left"] > 0
    table = runner.invoke(app, [*args, "--replicates", "50"])
    assert table.exit_code == 0 and "present in both" in table.stdout


def test_steps_refuses_periods_without_common_months(steps_file: Path, tmp_path: Path) -> None:
    args = ["kpi", "steps", "--file", str(steps_file), "--baseline", "2021-01..2021-03",
            "--later", "2022-07..2022-09", "--json"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert "share no calendar month" in r.stderr and "--seasonal-profile" in r.stderr
    profile = tmp_path / "profile.csv"
    rows = "".join(f"{m},{f}\n" for m, f in enumerate(SEASON, start=1))
    profile.write_text("month,factor\n" + rows, encoding="utf-8")
    ok = runner.invoke(app, [*args, "--seasonal-profile", str(profile), "--replicates", "100"])
    assert ok.exit_code == 0, ok.output
    body = json.loads(ok.stdout)
    assert body["method"] == "seasonal_profile"
    assert body["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    est = runner.invoke(app, [*args, "--seasonal-profile", "estimate", "--replicates", "100"])
    assert est.exit_code == 0, est.output
    assert json.loads(est.stdout)["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    bad = runner.invoke(app, [*args, "--seasonal-profile", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "not found" in bad.stderr


def test_plan_applied_as_a_scenario_reaches_the_target(prepared: Settings) -> None:
    r = runner.invoke(app, ["kpi", "plan", "--target", "2.0", "--json"])
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["result"]["reaches_target"] is True and plan["size"] == len(plan["scenario"]) > 0
    assert plan["simulated"] is True
    args = [x for pair in plan["scenario"] for x in ("--intervention", pair)]
    applied = runner.invoke(app, ["kpi", "scenario", *args, "--json"])
    assert applied.exit_code == 0, applied.output
    body = json.loads(applied.stdout)
    assert body["after"]["ratio"] >= 2.0
    assert body["steps"][-1]["ratio_after"] == pytest.approx(body["after"]["ratio"], abs=1e-3)
    # the normalised KPI of the same registry agrees with the scenario's starting point
    kpi = runner.invoke(app, ["kpi", "places", "--json"])
    if kpi.exit_code == 0:
        series = json.loads(kpi.stdout)["series"]
        row = next(s for s in series if s["year"] == body["year"] and s["period"] == "year")
        assert row["ratio"] == pytest.approx(body["before"]["ratio"], abs=1e-3)


def test_scenario_errors(prepared: Settings) -> None:
    r = runner.invoke(app, ["kpi", "scenario", "--place", "a", "--place", "b", "--add", "shade"])
    assert r.exit_code == 2 and "one --add after each --place" in r.stderr
    r = runner.invoke(app, ["kpi", "scenario", "--intervention", "nowhere:shade"])
    assert r.exit_code == 2 and "'nowhere' is not in the registry" in r.stderr
    r = runner.invoke(app, ["kpi", "plan", "--target", "50", "--json"])
    assert r.exit_code == 2 and "no plan from the menu" in r.stderr


def test_v1_kpi_steps_carries_the_comparison() -> None:
    from api.services.kpi import _steps_from

    panel = synthetic_panel(n=40)
    records = panel.rename(columns={"participant_id": "participant", "date": "time"})
    records["time"] = records["time"].dt.tz_localize("Asia/Tokyo")
    records["qc_flags"] = 0
    body = _steps_from(records, 10)
    c = body["comparison"]
    assert c["available"] is True and c["method"] == "same_months"
    assert c["ratio"] == pytest.approx(TRUE_RATIO, abs=0.04)
    assert c["participants_both"] <= c["participants_baseline"]
    one_year = records[records["time"].dt.year == 2021]
    assert "comparison" not in _steps_from(one_year, 10)
