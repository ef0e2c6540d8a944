"""
The smallest (or cheapest) set of interventions and planned places that reaches a KPI target.

A **menu** lists options: an intervention at a place (``shade``, ``wind_screen``,
``warm_shelter``, ``mist``: :mod:`comfort.scenarios`) or opening a planned place (``open``),
each with an optional cost. An option's **effect** is the change it makes, by itself, in its
place's probability of being comfortable under the reference climate (for an intervention at a
planned place: on top of opening it). The expected count of comfortable places is then
modelled as linear in the options (**the linearity assumption**: exact across places, which
are independent in the KPI; an approximation for several options at one place, whose effects
overlap), and :func:`scipy.optimize.milp` chooses binary decisions that minimise the number of
options (or their cost) subject to ``current + Σ effect·x ≥ target × baseline``, an
intervention at a planned place only if it is opened. The chosen plan is then applied as a
scenario (:func:`comfort.scenarios.run_scenario`, effects not assumed to add up); should it
fall short, that selection is cut off and the problem solved again. docs/PLANNING.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from comfort.errors import ScenarioError
from comfort.scenarios import (
    ENCLOSE,
    INTERVENTIONS,
    OPEN,
    Action,
    Evaluator,
    ScenarioResult,
    not_applicable,
    place_probability,
    run_scenario,
)

#: Columns of a menu table (``cost`` optional).
MENU_COLUMNS = ("place_id", "action", "cost")
#: How many times a plan that falls short when applied as a scenario is cut off and re-solved.
MAX_REPAIRS = 25


class PlanError(ScenarioError):
    """No plan reaches the target, or the menu cannot be read."""


def default_menu(registry: pd.DataFrame, counted: Sequence[str]) -> pd.DataFrame:
    """
    Every applicable intervention (and ``enclose``) at every place counted in the year, and for
    every planned place: opening it and every action applicable there.

    Parameters
    ----------
    registry
        Registry rows (``place_id``, ``kind``, ``status``, ``features``).
    counted
        Places counted in the year planned for (existing and valid).

    Returns
    -------
    pandas.DataFrame
        ``place_id``, ``action``, ``cost`` (NaN: no costs).
    """
    counted_set = {str(p) for p in counted}
    rows = []
    for place in registry.to_dict("records"):
        pid = str(place["place_id"])
        planned = str(place.get("status", "existing")) == "planned"
        if pid not in counted_set and not planned:
            continue
        keys = ([OPEN] if planned else []) + sorted(INTERVENTIONS) + [ENCLOSE]
        rows += [(pid, k, np.nan) for k in keys if not_applicable(k, place) is None]
    return pd.DataFrame(rows, columns=list(MENU_COLUMNS))


def check_menu(menu: pd.DataFrame, registry: pd.DataFrame, where: str = "the menu") -> pd.DataFrame:
    """
    A menu table checked against the registry: known places, applicable actions, costs all
    given or all missing and positive, no repeated option.

    Raises
    ------
    PlanError
        With the row (1 = first data row), the field and how to fix it.
    """
    cols = {str(c).strip().lower(): c for c in menu.columns}
    if "place_id" not in cols or not ({"action", "intervention"} & set(cols)):
        raise PlanError(
            f"{where} needs the columns place_id and action (shade, wind_screen, warm_shelter, "
            f"mist, enclose or open) and optionally cost; got {list(menu.columns)}."
        )
    action_col = cols.get("action", cols.get("intervention"))
    out = pd.DataFrame(
        {
            "place_id": menu[cols["place_id"]].astype(str).str.strip(),
            "action": menu[action_col].astype(str).str.strip(),
            "cost": pd.to_numeric(menu[cols["cost"]], errors="coerce")
            if "cost" in cols
            else np.nan,
        }
    )
    rows = {str(r["place_id"]): r for r in registry.to_dict("records")}
    for i, r in enumerate(out.itertuples(index=False), start=1):
        if r.place_id not in rows:
            raise PlanError(f"{where}, row {i}: place_id {r.place_id!r} is not in the registry.")
        reason = not_applicable(r.action, rows[r.place_id])
        if reason:
            raise PlanError(f"{where}, row {i}, action: {reason}. Remove the row or fix it.")
    dup = out[out.duplicated(["place_id", "action"])]
    if not dup.empty:
        i = int(dup.index[0]) + 1
        raise PlanError(f"{where}, row {i}: {dup.iloc[0]['place_id']}:{dup.iloc[0]['action']} "
                        "is listed twice; keep one row.")  # fmt: skip
    given = out["cost"].notna()
    if given.any() and not given.all():
        i = int(np.flatnonzero(~given.to_numpy())[0]) + 1
        raise PlanError(f"{where}, row {i}, cost: missing while other rows have costs; give "
                        "every option a cost or none.")  # fmt: skip
    if given.any() and (out["cost"] <= 0).any():
        i = int(np.flatnonzero((out["cost"] <= 0).to_numpy())[0]) + 1
        raise PlanError(f"{where}, row {i}, cost: must be > 0.")
    return out.reset_index(drop=True)


def option_effects(
    conditions: xr.Dataset,
    registry: pd.DataFrame,
    menu: pd.DataFrame,
    evaluate: Evaluator,
    probabilities: Mapping[str, float],
    *,
    wind_height_m: float = 1.5,
) -> pd.DataFrame:
    """
    Each option's effect on its place's probability of being comfortable, by itself.

    Parameters
    ----------
    probabilities
        Probability of every counted place before any option (planned places are absent: 0).

    Returns
    -------
    pandas.DataFrame
        ``menu`` with ``p_before``, ``p_after`` and ``effect``.
    """
    p_open: dict[str, float] = {}

    def opened(pid: str) -> float:
        if pid not in p_open:
            p_open[pid] = place_probability(conditions, registry, pid, (), evaluate, wind_height_m)
        return p_open[pid]

    before, after = [], []
    for r in menu.itertuples(index=False):
        pid, action = str(r.place_id), str(r.action)
        base = probabilities.get(pid)
        if action == OPEN:
            before.append(0.0)
            after.append(opened(pid))
            continue
        start = opened(pid) if base is None else base
        before.append(start)
        after.append(
            place_probability(conditions, registry, pid, (action,), evaluate, wind_height_m)
        )
    out = menu.copy()
    out["p_before"] = before
    out["p_after"] = after
    out["effect"] = out["p_after"] - out["p_before"]
    return out


def solve(
    options: pd.DataFrame,
    needed: float,
    cuts: Sequence[Sequence[int]] = (),
) -> list[int] | None:
    """
    Row positions of ``options`` chosen by :func:`scipy.optimize.milp`: least cost (1 per
    option without costs; ties go to the larger total effect) with ``Σ effect ≥ needed``, an
    intervention at a planned place only with its ``open`` option, and none of ``cuts`` (sets
    of positions) chosen again. None when no selection reaches ``needed``.

    Examples
    --------
    >>> opts = pd.DataFrame({"place_id": ["a", "b", "c"], "action": ["shade"] * 3,
    ...                      "cost": [np.nan] * 3, "effect": [0.9, 0.6, 0.5]})
    >>> solve(opts, 1.0)
    [0, 1]
    >>> solve(opts, 2.5) is None
    True
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(options)
    if needed <= 0:
        return []
    if n == 0:
        return None
    effect = options["effect"].to_numpy(dtype=float)
    costs = options["cost"].to_numpy(dtype=float)
    cost = np.where(np.isnan(costs), 1.0, costs)
    tie = 1e-4 * cost.min() / max(float(np.abs(effect).sum()), 1.0)
    rows, lb, ub = [effect], [needed], [np.inf]
    open_at = {
        str(r.place_id): i
        for i, r in enumerate(options.itertuples(index=False))
        if r.action == OPEN
    }
    for i, r in enumerate(options.itertuples(index=False)):
        j = open_at.get(str(r.place_id))
        if r.action != OPEN and j is not None:
            row = np.zeros(n)
            row[i], row[j] = 1.0, -1.0
            rows.append(row)
            lb.append(-np.inf)
            ub.append(0.0)
    for cut in cuts:
        row = np.zeros(n)
        row[list(cut)] = 1.0
        rows.append(row)
        lb.append(-np.inf)
        ub.append(len(cut) - 1.0)
    res = milp(
        cost - tie * effect,
        constraints=LinearConstraint(np.array(rows), np.array(lb), np.array(ub)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if res.status != 0 or res.x is None:
        return None
    return [int(i) for i in np.flatnonzero(np.round(res.x) > 0.5)]


@dataclass
class Plan:
    """A plan: the options chosen, the scenario that applies them and how it was found."""

    options: pd.DataFrame
    scenario: ScenarioResult
    target_ratio: float
    menu_size: int
    repairs: int
    costed: bool

    @property
    def actions(self) -> list[Action]:
        """The plan as scenario actions (planned places opened first)."""
        return [Action(str(r.place_id), str(r.action)) for r in self.options.itertuples()]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the scenario arguments that apply it."""
        pairs = [str(a) for a in self.actions]
        return {
            "target_ratio": self.target_ratio,
            "options": [
                {
                    "place_id": str(r.place_id),
                    "action": str(r.action),
                    "cost": None if pd.isna(r.cost) else float(r.cost),
                    "effect": round(float(r.effect), 4),
                }
                for r in self.options.itertuples()
            ],
            "size": len(self.options),
            "total_cost": float(self.options["cost"].sum()) if self.costed else None,
            "linear_expected": round(
                self.scenario.before_expected + float(self.options["effect"].sum()), 4
            ),
            "menu_size": self.menu_size,
            "repairs": self.repairs,
            "method": "scipy.optimize.milp (HiGHS), effects linear per option",
            "scenario": pairs,
            "scenario_command": "kaiteki kpi scenario "
            + " ".join(f"--intervention {p}" for p in pairs),
            "result": self.scenario.as_dict(),
        }


def make_plan(
    conditions: xr.Dataset,
    registry: pd.DataFrame,
    evaluate: Evaluator,
    *,
    counted: Sequence[str],
    baseline_expected: float,
    target_ratio: float = 2.0,
    menu: pd.DataFrame | None = None,
    wind_height_m: float = 1.5,
    probabilities: Mapping[str, float] | None = None,
) -> Plan:
    """
    The smallest (or cheapest) set of options of ``menu`` (default :func:`default_menu`) that
    brings the expected count of comfortable places to ``target_ratio`` × the baseline's under
    the reference climate of ``conditions``.

    Raises
    ------
    PlanError
        Even the whole menu does not reach the target (the message gives the best ratio), or the
        menu is invalid.
    """
    counted = [str(p) for p in counted]
    if probabilities is None:
        rows = (
            registry.set_index(registry["place_id"].astype(str)).loc[counted].reset_index(drop=True)
        )
        p_all = evaluate(conditions.sel(place=counted), rows)
        probabilities = dict(zip(counted, map(float, p_all), strict=True))
    current = float(sum(probabilities[p] for p in counted))
    needed = target_ratio * baseline_expected - current
    table = default_menu(registry, counted) if menu is None else check_menu(menu, registry)
    effects = option_effects(conditions, registry, table, evaluate, probabilities,
                             wind_height_m=wind_height_m)  # fmt: skip
    useful = effects[(effects["effect"] > 1e-9) | (effects["action"] == OPEN)].reset_index(
        drop=True
    )
    cuts: list[list[int]] = []
    for repair in range(MAX_REPAIRS + 1):
        chosen = solve(useful, needed, cuts)
        if chosen is None:
            best = current + float(useful.loc[useful["effect"] > 0, "effect"].sum())
            raise PlanError(
                f"no plan from the menu ({len(table)} options) reaches {target_ratio}× the "
                f"baseline ({baseline_expected:.2f} expected comfortable places): now "
                f"{current:.2f} ({current / baseline_expected:.2f}×), at most about "
                f"{best:.2f} ({best / baseline_expected:.2f}×) with every option. Add planned "
                "places to the registry (`kaiteki places add --status planned`) or options to "
                "the menu (--menu FILE), or lower --target."
            )
        picked = useful.iloc[chosen].copy()
        picked["_open_first"] = picked["action"] != OPEN
        picked = picked.sort_values(["_open_first", "place_id", "action"]).drop(
            columns="_open_first"
        )
        actions = [Action(str(r.place_id), str(r.action)) for r in picked.itertuples()]
        result = run_scenario(
            conditions,
            registry,
            actions,
            evaluate,
            counted=counted,
            baseline_expected=baseline_expected,
            wind_height_m=wind_height_m,
            target_ratio=target_ratio,
            probabilities=probabilities,
        )
        if result.ratio_after >= target_ratio - 1e-9:
            return Plan(picked.reset_index(drop=True), result, target_ratio, len(table), repair,
                        bool(table["cost"].notna().any()))  # fmt: skip
        cuts.append(chosen)
    raise PlanError(
        f"the linear plans kept falling short of {target_ratio}× when applied as scenarios "
        f"({MAX_REPAIRS} tried): options at the same place overlap too much. Give a menu with "
        "one option per place (--menu FILE)."
    )
