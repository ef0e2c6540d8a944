"""
The scenario builder of the dashboard: places × interventions → the places KPI after.

The planner picks several places and several interventions; every pair that applies becomes
an action of one scenario (:func:`comfort.scenarios.run_scenario`: before and after, and what
each action contributes alone, marginally and in sequence) under the reference climate (the
baseline year's hourly field), the same inputs as ``kaiteki kpi scenario`` and ``kaiteki kpi
plan``. Pairs that do not apply are listed with the reason. The plan
(:func:`comfort.plan.make_plan`, the smallest set of actions that reaches 2×) is shown beside
it, computed once per field and registry.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.errors import NotPreparedError

if TYPE_CHECKING:
    from api.resources import Resources
    from api.settings import Settings

_lock = threading.Lock()
_inputs_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
_plan_cache: dict[tuple[Any, ...], dict[str, Any]] = {}


def planning_inputs(settings: Settings) -> dict[str, Any]:
    """
    The registry, the baseline year's place conditions, the per-place probabilities, the
    places counted in the demo year and the baseline's expected count (kept per field and
    registry).

    Raises
    ------
    NotPreparedError
        No field of the baseline year.
    """
    from api.services.places_kpi import read_registry
    from sensors.fieldstore import available_years, field_path, load_year
    from sensors.placefield import reference_inputs

    base, year = int(settings.baseline_year), int(settings.demo_year)
    built = available_years(settings.cache_dir)
    if base not in built:
        raise NotPreparedError(
            f"no comfort field for the baseline year {base} in {Path(settings.cache_dir)} "
            f"(built: {built}); run `kaiteki comfort build --year {base}` (or `make prepare`)."
        )
    registry, _ = read_registry(settings)
    registry = registry.reset_index(drop=True)
    registry["place_id"] = registry["place_id"].astype(str)
    path = Path(field_path(settings.cache_dir, base))
    digest = registry.drop(columns="geometry").astype(str).to_csv()
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0, digest, year)
    with _lock:
        hit = _inputs_cache.get(key)
    if hit is not None:
        return hit
    out = {
        "key": key,
        **reference_inputs(load_year(settings.cache_dir, base), registry, year, base),
    }
    with _lock:
        _inputs_cache.clear()
        _inputs_cache[key] = out
    return out


def _names(registry: Any, lang: str) -> dict[str, str]:
    col = "name_ja" if lang == "ja" else "name_en"
    return dict(zip(registry["place_id"], registry[col].fillna(registry["place_id"]), strict=True))


def action_label(key: str, lang: str) -> str:
    """An intervention's or place action's name in ``lang``."""
    from comfort.scenarios import INTERVENTIONS

    if key in INTERVENTIONS:
        iv = INTERVENTIONS[key]
        return iv.name_ja if lang == "ja" else iv.name_en
    words = {"open": ("計画中の場所を開設", "open the planned place"),
             "enclose": ("屋根と壁で囲う", "enclose")}  # fmt: skip
    ja, en = words.get(key, (key, key))
    return ja if lang == "ja" else en


#: Japanese wording of :func:`comfort.scenarios.not_applicable` reasons, by a phrase they contain.
_REASONS_JA = (
    ("already declares", "この場所には既にその設備があります"),
    ("applies to planned places", "計画中の場所にだけ適用できます"),
    ("applies to", "この種類の場所には適用できません"),
    ("does not count", "この年は集計対象外です（「計画中の場所を開設」も選んでください）"),
    ("not in the registry", "台帳にない場所です"),
)


def reason_text(reason: str, lang: str) -> str:
    """Why a pair was left out, in ``lang`` (the English reason as given, else Japanese)."""
    if lang != "ja":
        return reason
    return next((ja for phrase, ja in _REASONS_JA if phrase in reason), "適用できません")


def choices(inputs: dict[str, Any], lang: str) -> dict[str, list[dict[str, Any]]]:
    """The places and interventions the page offers."""
    from comfort.scenarios import INTERVENTIONS, PLACE_ACTIONS

    names = _names(inputs["registry"], lang)
    places = [
        {
            "place_id": r["place_id"],
            "name": names[r["place_id"]],
            "kind": r["kind"],
            "status": r["status"],
            "p_comfortable": inputs["probabilities"].get(r["place_id"]),
        }
        for r in inputs["registry"].to_dict("records")
    ]
    actions = [{"key": k, "name": action_label(k, lang)} for k in (*INTERVENTIONS, *PLACE_ACTIONS)]
    return {"places": places, "interventions": actions}


def build_scenario(
    res: Resources,
    settings: Settings,
    lang: str,
    places: Sequence[str],
    interventions: Sequence[str],
) -> dict[str, Any]:
    """
    The builder page's content: the choices, the scenario of every applicable (place,
    intervention) pair with its KPI before and after and each action's contribution, the
    pairs left out and why, and the plan to 2×.
    """
    from comfort.scenarios import Action, not_applicable, run_scenario

    inputs = planning_inputs(settings)
    names = _names(inputs["registry"], lang)
    rows = {r["place_id"]: r for r in inputs["registry"].to_dict("records")}
    counted = set(inputs["counted"])
    out: dict[str, Any] = {
        "choices": choices(inputs, lang),
        "picked_places": list(places),
        "picked_interventions": list(interventions),
        "simulated": inputs["simulated"],
        "baseline_expected": inputs["baseline_expected"],
        "skipped": [],
        "scenario": None,
    }
    actions = []
    opening = {p for p in places if p in rows and rows[p]["status"] == "planned"
               and "open" in interventions}  # fmt: skip
    for p in places:
        if p not in rows:
            out["skipped"].append(
                {"place": p, "action": "", "reason": reason_text("not in the registry", lang)}
            )
            continue
        for key in interventions:
            reason = not_applicable(key, rows[p])
            if reason is None and key != "open" and p not in counted and p not in opening:
                reason = "the place does not count this year; add “open” as well"
            if reason:
                out["skipped"].append(
                    {"place": names[p], "action": action_label(key, lang),
                     "reason": reason_text(reason, lang)}
                )  # fmt: skip
            else:
                actions.append(Action(p, key))
    actions.sort(key=lambda a: (a.action != "open", places.index(a.place_id)))
    if actions:
        result = run_scenario(
            inputs["conditions"],
            inputs["registry"],
            actions,
            inputs["evaluate"],
            counted=inputs["counted"],
            baseline_expected=inputs["baseline_expected"],
            wind_height_m=inputs["wind_height_m"],
            probabilities=inputs["probabilities"],
        ).as_dict()
        for s in result["steps"]:
            s["place"] = names.get(s["place_id"], s["place_id"])
            s["action_name"] = action_label(s["action"], lang)
        out["scenario"] = result
        out["command"] = "kaiteki kpi scenario " + " ".join(f"--intervention {a}" for a in actions)
    out["plan"] = plan(inputs, names, lang)
    return out


def plan(inputs: dict[str, Any], names: dict[str, str], lang: str) -> dict[str, Any]:
    """``kaiteki kpi plan`` on the same inputs (kept per field and registry), or why not."""
    from comfort.errors import ComfortError
    from comfort.plan import make_plan

    key = inputs["key"]
    with _lock:
        hit = _plan_cache.get(key)
    if hit is None:
        try:
            found = make_plan(
                inputs["conditions"],
                inputs["registry"],
                inputs["evaluate"],
                counted=inputs["counted"],
                baseline_expected=inputs["baseline_expected"],
                target_ratio=2.0,
                wind_height_m=inputs["wind_height_m"],
                probabilities=inputs["probabilities"],
            )
            hit = {"available": True, **found.as_dict()}
        except ComfortError as exc:
            hit = {"available": False, "message": str(exc)}
        with _lock:
            _plan_cache.clear()
            _plan_cache[key] = hit
    if not hit["available"]:
        return hit
    options = [
        {**o, "place": names.get(o["place_id"], o["place_id"]),
         "action_name": action_label(o["action"], lang)}
        for o in hit["options"]
    ]  # fmt: skip
    return {**hit, "options": options}
