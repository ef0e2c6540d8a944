"""Tests of comfort.plan: the smallest or cheapest plan (scipy milp) reaches the target when
applied as a scenario; menus are checked row by row."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pandas as pd
import pytest

from comfort import plan
from tests.comfort.test_scenarios import _run, planning_setup


@pytest.fixture(scope="module")
def planning() -> dict[str, Any]:
    return planning_setup()


def test_solve_doctest() -> None:
    assert doctest.testmod(plan).failed == 0


def test_plan_reaches_the_target_as_a_scenario(planning: dict[str, Any]) -> None:
    from comfort.plan import make_plan

    kw = {"counted": planning["counted"], "baseline_expected": planning["baseline_expected"],
          "probabilities": planning["probabilities"]}  # fmt: skip
    args = (planning["conditions"], planning["registry"], planning["evaluate"])
    found = make_plan(*args, target_ratio=3.0, **kw)
    assert found.scenario.ratio_after >= 3.0
    again = _run(planning, found.actions)
    assert again.ratio_after == pytest.approx(found.scenario.ratio_after)
    assert found.as_dict()["scenario_command"].startswith("kaiteki kpi scenario --intervention")
    # the smallest plan: each option adds at most one place
    assert len(found.options) == int(np.ceil(2.0 * planning["baseline_expected"] - 1e-9))
    # with costs the cheapest options win
    menu = pd.DataFrame({"place_id": ["park", "plaza", "windy", "new-park"],
                         "action": ["enclose", "enclose", "enclose", "open"],
                         "cost": [5.0, 1.0, 1.0, 1.0]})  # fmt: skip
    cheap = make_plan(*args, target_ratio=3.0, menu=menu, **kw)
    assert sorted(cheap.as_dict()["scenario"]) == ["plaza:enclose", "windy:enclose"]
    assert cheap.as_dict()["total_cost"] == 2.0


def test_plan_errors(planning: dict[str, Any]) -> None:
    from comfort.plan import PlanError, check_menu, make_plan

    kw = {"counted": planning["counted"], "baseline_expected": planning["baseline_expected"],
          "probabilities": planning["probabilities"]}  # fmt: skip
    args = (planning["conditions"], planning["registry"], planning["evaluate"])
    with pytest.raises(PlanError, match=r"no plan from the menu .* reaches 50\.0×"):
        make_plan(*args, target_ratio=50.0, **kw)
    reg = planning["registry"]
    with pytest.raises(PlanError, match="row 2: place_id 'zz' is not in the registry"):
        check_menu(pd.DataFrame({"place_id": ["park", "zz"], "action": ["shade", "shade"]}), reg)
    with pytest.raises(PlanError, match="row 1, action: shade applies to outdoor"):
        check_menu(pd.DataFrame({"place_id": ["mall"], "action": ["shade"]}), reg)
    with pytest.raises(PlanError, match="row 2, cost: missing while other rows have costs"):
        check_menu(pd.DataFrame({"place_id": ["park", "plaza"], "action": ["shade", "shade"],
                                 "cost": [1.0, None]}), reg)  # fmt: skip
    with pytest.raises(PlanError, match="needs the columns place_id and action"):
        check_menu(pd.DataFrame({"x": [1]}), reg)
