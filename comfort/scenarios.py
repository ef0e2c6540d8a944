"""
Planner scenarios: what if a place got shade trees, a wind screen, a warm shelter or mist?

Each intervention changes a place's hourly conditions (air temperature, mean radiant
temperature, wind, humidity) by documented, literature-typical amounts; UTCI and comfort are
then recomputed with :mod:`comfort.indices`, and the places KPI can be recomputed from the
changed UTCI table. The effects are planning-level averages for the place as a whole, not a
microclimate simulation; see ``docs/INDICES.md`` (Scenarios) for the sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from comfort.errors import ScenarioError
from comfort.indices import comfort_score, utci, wind_speed_at_10m

#: Columns of a conditions table.
CONDITION_COLUMNS = ("air_temp_c", "mrt_c", "wind_speed_m_s", "rel_humidity_pct")


@dataclass(frozen=True)
class Intervention:
    """
    One planner intervention and its effect on a place's conditions.

    Attributes
    ----------
    key
        Identifier used on the command line.
    name_en, name_ja
        Labels.
    radiant_excess_kept
        Fraction of the positive radiant excess ``MRT − Ta`` that remains (shade cuts direct
        and reflected sun); 1 = unchanged.
    air_temp_delta_c
        Change of air temperature (°C) when the intervention is active.
    wind_factor
        Multiplier of wind speed.
    mrt_delta_c
        Added MRT (°C), e.g. radiant heaters.
    rel_humidity_delta_pct
        Added relative humidity (percentage points, capped at 100 %).
    active_months
        Months when it acts (deciduous trees: leaves on May–October).
    min_air_temp_c, max_air_temp_c
        Air temperature range (°C) in which it operates (mist only in heat, heaters only in
        cold).
    max_rel_humidity_pct
        It operates only below this humidity (mist).
    source
        Where the magnitudes come from.
    """

    key: str
    name_en: str
    name_ja: str
    radiant_excess_kept: float = 1.0
    air_temp_delta_c: float = 0.0
    wind_factor: float = 1.0
    mrt_delta_c: float = 0.0
    rel_humidity_delta_pct: float = 0.0
    active_months: tuple[int, ...] = tuple(range(1, 13))
    min_air_temp_c: float = -np.inf
    max_air_temp_c: float = np.inf
    max_rel_humidity_pct: float = 100.0
    source: str = ""


#: The interventions a planner can add.
INTERVENTIONS: dict[str, Intervention] = {
    "shade": Intervention(
        key="shade",
        name_en="shade trees",
        name_ja="緑陰（植樹）",
        radiant_excess_kept=0.3,
        air_temp_delta_c=-0.8,
        wind_factor=0.85,
        active_months=(5, 6, 7, 8, 9, 10),
        source=(
            "tree shade lowers Tmrt by 15–30 °C under summer sun, i.e. removes ~70 % of the "
            "radiant excess (Lindberg & Grimmond 2011; Lee, Mayer & Chen 2016); park/tree "
            "cooling of air ~0.9 °C (Bowler et al. 2010 meta-analysis); crowns slow wind "
            "~15 %. Deciduous: leaves on May–October in Sapporo."
        ),
    ),
    "wind_screen": Intervention(
        key="wind_screen",
        name_en="wind screen",
        name_ja="防風スクリーン",
        wind_factor=0.5,
        source=(
            "porous screens reduce wind speed by 40–60 % within 2–5 screen heights leeward "
            "(Cornelis & Gabriels 2005; Heisler & DeWalle 1988)."
        ),
    ),
    "warm_shelter": Intervention(
        key="warm_shelter",
        name_en="warm shelter",
        name_ja="暖房付きシェルター",
        wind_factor=0.2,
        air_temp_delta_c=3.0,
        mrt_delta_c=10.0,
        max_air_temp_c=10.0,
        source=(
            "enclosed, heated waiting shelter (as at Sapporo bus stops): enclosure cuts wind "
            "by ~80 %, retains ~3 °C of heat; radiant heaters raise MRT by ~10 °C near the "
            "bench (typical of infrared shelter heaters). Operates when air < 10 °C."
        ),
    ),
    "mist": Intervention(
        key="mist",
        name_en="mist cooling",
        name_ja="ドライミスト",
        air_temp_delta_c=-2.0,
        rel_humidity_delta_pct=10.0,
        min_air_temp_c=25.0,
        max_rel_humidity_pct=70.0,
        source=(
            "dry-mist systems cool the air 1–3 °C in the sprayed zone, raising humidity "
            "(Ishii et al. 2009, Osaka; Farnham et al. 2015); they run only in heat "
            "(air >= 25 °C) and when relative humidity < 70 %."
        ),
    ),
}


def intervention(key: str) -> Intervention:
    """
    Look an intervention up by key.

    Raises
    ------
    ScenarioError
        Unknown key.
    """
    if key not in INTERVENTIONS:
        raise ScenarioError(f"unknown intervention {key!r}; choose one of {sorted(INTERVENTIONS)}.")
    return INTERVENTIONS[key]


def apply_scenario(
    conditions: pd.DataFrame,
    add: str | Intervention,
    wind_height_m: float = 1.5,
) -> pd.DataFrame:
    """
    Conditions of a place after an intervention, with UTCI and comfort recomputed.

    Parameters
    ----------
    conditions
        Hourly conditions indexed by time, columns :data:`CONDITION_COLUMNS` (wind at
        ``wind_height_m``).
    add
        Intervention key (``shade``, ``wind_screen``, ``warm_shelter``, ``mist``) or object.
    wind_height_m
        Height (m) of ``wind_speed_m_s`` (the field's reference sensor height).

    Returns
    -------
    pandas.DataFrame
        The changed conditions plus ``utci_c``, ``comfort`` and a boolean ``active``
        (whether the intervention acted in that hour).

    Raises
    ------
    ScenarioError
        Unknown intervention or missing columns.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-08-01 13:00"])
    >>> hot = pd.DataFrame({"air_temp_c": [31.0], "mrt_c": [60.0], "wind_speed_m_s": [1.0],
    ...                     "rel_humidity_pct": [55.0]}, index=t)
    >>> after = apply_scenario(hot, "shade")
    >>> bool(after["utci_c"].iloc[0] < 38.0), float(after["mrt_c"].iloc[0].round(1))
    (True, 38.9)
    """
    item = add if isinstance(add, Intervention) else intervention(add)
    missing = [c for c in CONDITION_COLUMNS if c not in conditions.columns]
    if missing:
        raise ScenarioError(
            f"conditions lack the columns {missing}; need {list(CONDITION_COLUMNS)} per hour."
        )
    idx = pd.DatetimeIndex(conditions.index)
    ta = conditions["air_temp_c"].to_numpy(dtype=float)
    tr = conditions["mrt_c"].to_numpy(dtype=float)
    va = conditions["wind_speed_m_s"].to_numpy(dtype=float)
    rh = conditions["rel_humidity_pct"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        active = (
            np.isin(idx.month, item.active_months)
            & (ta >= item.min_air_temp_c)
            & (ta <= item.max_air_temp_c)
            & (rh <= item.max_rel_humidity_pct)
        )
    excess = tr - ta
    kept = np.where(excess > 0, excess * item.radiant_excess_kept, excess)
    ta_new = np.where(active, ta + item.air_temp_delta_c, ta)
    tr_new = np.where(active, ta_new + kept + item.mrt_delta_c, tr)
    va_new = np.where(active, va * item.wind_factor, va)
    rh_new = np.where(active, np.minimum(rh + item.rel_humidity_delta_pct, 100.0), rh)
    out = pd.DataFrame(
        {
            "air_temp_c": ta_new,
            "mrt_c": tr_new,
            "wind_speed_m_s": va_new,
            "rel_humidity_pct": rh_new,
        },
        index=conditions.index,
    )
    u = utci(ta_new, tr_new, wind_speed_at_10m(va_new, wind_height_m), rh_new)
    out["utci_c"] = u
    out["comfort"] = comfort_score(u)
    out["active"] = active
    return out


def scenario_utci(
    conditions_by_place: dict[str, pd.DataFrame],
    utci_table: pd.DataFrame,
    place_id: str,
    add: str | Intervention,
    wind_height_m: float = 1.5,
) -> pd.DataFrame:
    """
    The hourly UTCI table (time × place) with one place changed by an intervention.

    Parameters
    ----------
    conditions_by_place
        Conditions of the place to change (at least ``place_id``), as for
        :func:`apply_scenario`.
    utci_table
        Hourly UTCI, index time, one column per place.
    place_id
        The place that gets the intervention.
    add
        Intervention key or object.
    wind_height_m
        Height (m) of the wind in the conditions.

    Returns
    -------
    pandas.DataFrame
        A copy of ``utci_table`` with the column ``place_id`` replaced.

    Raises
    ------
    ScenarioError
        ``place_id`` is not in the table or has no conditions.
    """
    if place_id not in utci_table.columns or place_id not in conditions_by_place:
        raise ScenarioError(
            f"place {place_id!r} is not in the comfort field; known places: "
            f"{sorted(map(str, utci_table.columns))}."
        )
    after = apply_scenario(conditions_by_place[place_id], add, wind_height_m)
    out = utci_table.copy()
    out[place_id] = after["utci_c"].reindex(out.index).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Scenarios: several interventions on several places, and planned places opened, in one run
# --------------------------------------------------------------------------------------------

#: The action that opens a planned place (it then counts in the KPI like an existing one).
OPEN = "open"
#: The action that builds an enclosed, heated and cooled public pavilion (a winter garden) at an
#: outdoor or semi-outdoor place: the place is then judged as ``indoor`` on declared heating and
#: cooling (comfort.place_kpi.indoor_declared), like the existing public atriums.
ENCLOSE = "enclose"
#: Place-level actions (they change the registry row, not the hourly conditions).
PLACE_ACTIONS = (OPEN, ENCLOSE)
#: Kinds of place each intervention applies to (indoor places are judged by an indoor criterion,
#: on which these outdoor measures do not act; a roof already shades a semi-outdoor place).
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "shade": ("outdoor",),
    "wind_screen": ("outdoor", "semi_outdoor"),
    "warm_shelter": ("outdoor", "semi_outdoor"),
    "mist": ("outdoor", "semi_outdoor"),
}
#: Features that make an intervention redundant at a place that declares them.
ALREADY_HAS: dict[str, str] = {"shade": "shade", "wind_screen": "wind_screen",
                               "warm_shelter": "heating", "mist": "water"}  # fmt: skip

#: Per-place probability of being comfortable under the reference climate:
#: ``(conditions with dims (time, place), registry rows in that order) -> array of p``.
Evaluator = Callable[[xr.Dataset, pd.DataFrame], npt.NDArray[np.float64]]


@dataclass(frozen=True)
class Action:
    """One step of a scenario: an intervention at a place, or ``open`` for a planned place."""

    place_id: str
    action: str

    def __str__(self) -> str:
        return f"{self.place_id}:{self.action}"


def parse_actions(
    places: Sequence[str] = (), adds: Sequence[str] = (), pairs: Sequence[str] = ()
) -> list[Action]:
    """
    Scenario actions from repeated ``--place ID --add KEY`` options (paired in order) and
    ``--intervention ID:KEY`` options (after them).

    Raises
    ------
    ScenarioError
        Unequal numbers of places and adds, a pair without ``:``, or no action at all.

    Examples
    --------
    >>> [str(a) for a in parse_actions(["a", "b"], ["shade", "mist"], ["c:open"])]
    ['a:shade', 'b:mist', 'c:open']
    """
    if len(places) != len(adds):
        raise ScenarioError(
            f"got {len(places)} --place and {len(adds)} --add options; give one --add after "
            "each --place (e.g. --place odori-5 --add shade --place ID2 --add wind_screen), or "
            "use --intervention ID:KEY."
        )
    out = [Action(str(p), str(a)) for p, a in zip(places, adds, strict=True)]
    for text in pairs:
        place, sep, key = str(text).rpartition(":")
        if not sep or not place or not key:
            raise ScenarioError(
                f"--intervention must be PLACE_ID:KEY (e.g. odori-5:shade or plaza-x:open); "
                f"got {text!r}."
            )
        out.append(Action(place, key))
    if not out:
        raise ScenarioError("a scenario needs at least one action: --place ID --add KEY.")
    return out


def not_applicable(action: str, place: Mapping[str, Any]) -> str | None:
    """
    Why ``action`` does not apply to the registry row ``place`` (None when it does).

    Examples
    --------
    >>> not_applicable("shade", {"kind": "indoor", "status": "existing", "features": ""})
    'shade applies to outdoor places; this place is indoor'
    >>> not_applicable("open", {"kind": "outdoor", "status": "planned", "features": ""}) is None
    True
    """
    status = str(place.get("status", "existing"))
    if action == OPEN:
        return None if status == "planned" else f"open applies to planned places; this is {status}"
    kind = str(place.get("kind", "outdoor"))
    if action == ENCLOSE:
        return None if kind != "indoor" else "enclose applies to outdoor and semi_outdoor places"
    if action not in INTERVENTIONS:
        known = [*sorted(INTERVENTIONS), *PLACE_ACTIONS]
        return f"unknown action {action!r}; choose one of {known}"
    if kind not in APPLIES_TO[action]:
        return (
            f"{action} applies to {' and '.join(APPLIES_TO[action])} places; this place is {kind}"
        )
    features = {f.strip() for f in str(place.get("features") or "").split(",")}
    if ALREADY_HAS[action] in features:
        return f"the place already declares {ALREADY_HAS[action]}"
    return None


def with_interventions(
    conditions: xr.Dataset, keys: Sequence[str], wind_height_m: float = 1.5
) -> xr.Dataset:
    """
    The hourly conditions of one place (dims (time, place) with one place) after the
    interventions ``keys`` in order; UTCI changes by the difference the changed conditions make
    (so an hour where nothing acts keeps the field's own value).
    """
    if not keys:
        return conditions
    times = pd.DatetimeIndex(conditions["time"].values)
    before = pd.DataFrame(
        {c: np.asarray(conditions[c].values, dtype=float).reshape(-1) for c in CONDITION_COLUMNS},
        index=times,
    )
    after = before
    for key in keys:
        after = apply_scenario(after[list(CONDITION_COLUMNS)], key, wind_height_m)
    ref = utci(
        before["air_temp_c"].to_numpy(),
        before["mrt_c"].to_numpy(),
        wind_speed_at_10m(before["wind_speed_m_s"].to_numpy(), wind_height_m),
        before["rel_humidity_pct"].to_numpy(),
    )
    out = conditions.copy()
    shape = out["utci_c"].shape
    for c in CONDITION_COLUMNS:
        out[c] = (out[c].dims, after[c].to_numpy().reshape(out[c].shape))
    delta = np.nan_to_num(after["utci_c"].to_numpy() - ref)
    base = np.asarray(out["utci_c"].values, dtype=float).reshape(-1)
    out["utci_c"] = (out["utci_c"].dims, (base + delta).reshape(shape))
    return out


def place_probability(
    conditions: xr.Dataset,
    registry: pd.DataFrame,
    place_id: str,
    keys: Sequence[str],
    evaluate: Evaluator,
    wind_height_m: float = 1.5,
) -> float:
    """
    Probability that ``place_id`` is comfortable after the interventions ``keys`` (``enclose``
    among them turns it into a heated and cooled indoor place).
    """
    one = conditions.sel(place=[place_id])
    row = registry[registry["place_id"].astype(str) == place_id].copy()
    if ENCLOSE in keys:
        features = {f.strip() for f in str(row["features"].iloc[0] or "").split(",") if f.strip()}
        row["kind"] = "indoor"
        row["features"] = ",".join(sorted(features | {"heating", "cooling"}))
    changes = [k for k in keys if k not in PLACE_ACTIONS]
    return float(evaluate(with_interventions(one, changes, wind_height_m), row)[0])


@dataclass
class ScenarioResult:
    """
    A scenario's effect on the expected count of comfortable places under the reference climate.

    ``steps`` has one row per action: ``place_id``, ``action``, ``p_before`` (the place's
    probability before any action; 0 for a planned place not yet open), ``alone`` (gain of the
    action by itself), ``marginal`` (loss if only this action were left out of the scenario),
    ``in_sequence`` (gain when added after the actions listed before it), ``expected_after`` and
    ``ratio_after`` (cumulative, in the listed order).
    """

    baseline_expected: float
    before_expected: float
    after_expected: float
    before_comfortable: int
    after_comfortable: int
    steps: list[dict[str, Any]]
    target_ratio: float = 2.0

    @property
    def ratio_before(self) -> float:
        """Expected count before the scenario over the baseline's."""
        return self.before_expected / self.baseline_expected

    @property
    def ratio_after(self) -> float:
        """Expected count after the scenario over the baseline's."""
        return self.after_expected / self.baseline_expected

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "baseline_expected": round(self.baseline_expected, 4),
            "before": {"comfortable_expected": round(self.before_expected, 4),
                       "comfortable": self.before_comfortable,
                       "ratio": round(self.ratio_before, 4)},
            "after": {"comfortable_expected": round(self.after_expected, 4),
                      "comfortable": self.after_comfortable,
                      "ratio": round(self.ratio_after, 4)},
            "target_ratio": self.target_ratio,
            "reaches_target": bool(self.ratio_after >= self.target_ratio - 1e-9),
            "steps": self.steps,
        }  # fmt: skip


def run_scenario(
    conditions: xr.Dataset,
    registry: pd.DataFrame,
    actions: Sequence[Action],
    evaluate: Evaluator,
    *,
    counted: Sequence[str],
    baseline_expected: float,
    wind_height_m: float = 1.5,
    target_ratio: float = 2.0,
    probabilities: Mapping[str, float] | None = None,
) -> ScenarioResult:
    """
    Apply several actions on several places and say what each contributes.

    Places are independent in the KPI, so only the places named in ``actions`` are evaluated
    again; interventions at one place act in the listed order on the conditions left by the
    earlier ones (their effects need not add up: ``alone``, ``marginal`` and ``in_sequence``
    differ when they overlap).

    Parameters
    ----------
    conditions
        Reference-climate conditions, dims (time, place), of every place of ``registry``.
    registry
        Registry rows (``place_id``, ``kind``, ``status``, ``features`` …).
    actions
        The scenario, in order.
    evaluate
        Per-place probability of being comfortable (see :data:`Evaluator`).
    counted
        Places that count in the year evaluated before the scenario (existing, valid).
    baseline_expected
        Expected comfortable count of the baseline year under the same climate.
    wind_height_m, target_ratio
        Wind height (m) of the conditions; the target multiple of the baseline.
    probabilities
        Per-place probabilities before the scenario, when already computed.

    Raises
    ------
    ScenarioError
        An unknown place, an action that does not apply there, a repeated action, or an
        intervention on a planned place that the scenario does not open.
    """
    if baseline_expected <= 0:
        raise ScenarioError("the baseline's expected comfortable count is 0; no ratio exists.")
    rows = {str(r["place_id"]): r for r in registry.to_dict("records")}
    seen: set[Action] = set()
    for a in actions:
        if a.place_id not in rows:
            raise ScenarioError(
                f"place {a.place_id!r} is not in the registry; list them with "
                "`kaiteki places list`."
            )
        reason = not_applicable(a.action, rows[a.place_id])
        if reason:
            raise ScenarioError(f"{a}: {reason}.")
        if a in seen:
            raise ScenarioError(f"{a} is given twice; give each action once.")
        seen.add(a)
    counted_set = {str(p) for p in counted}
    for a in actions:
        opened = Action(a.place_id, OPEN) in seen
        if a.place_id not in counted_set and not opened:
            raise ScenarioError(
                f"{a}: the place does not count in this year (planned or not valid); open it "
                f"in the same scenario with {a.place_id}:open."
            )
    if probabilities is None:
        ids = list(counted_set)
        p_all = evaluate(conditions.sel(place=ids), registry.set_index("place_id").loc[ids]
                         .reset_index())  # fmt: skip
        probabilities = dict(zip(ids, map(float, p_all), strict=True))
    before = {p: probabilities[p] for p in counted_set}
    memo: dict[tuple[str, tuple[str, ...], bool], float] = {}

    def p_of(place: str, done: Sequence[Action]) -> float:
        """The place's probability after the actions ``done`` (0 while it does not count)."""
        mine = [a.action for a in done if a.place_id == place]
        is_open = place in counted_set or OPEN in mine
        keys = tuple(k for k in mine if k != OPEN)  # enclose stays: a change of the row
        if not is_open:
            return 0.0
        key = (place, keys, True)
        if key not in memo:
            if not keys and place in before:
                memo[key] = before[place]
            else:
                memo[key] = place_probability(conditions, registry, place, keys, evaluate,
                                              wind_height_m)  # fmt: skip
        return memo[key]

    steps = []
    total = sum(before.values())
    done: list[Action] = []
    for a in actions:
        prev = p_of(a.place_id, done)
        done.append(a)
        now = p_of(a.place_id, done)
        total += now - prev
        others = [b for b in actions if b != a]
        steps.append(
            {
                "place_id": a.place_id,
                "action": a.action,
                "p_before": round(p_of(a.place_id, []), 4),
                "alone": round(p_of(a.place_id, [a]) - p_of(a.place_id, []), 4),
                "marginal": round(p_of(a.place_id, actions) - p_of(a.place_id, others), 4),
                "in_sequence": round(now - prev, 4),
                "expected_after": round(total, 4),
                "ratio_after": round(total / baseline_expected, 4),
            }
        )
    final = {p: p_of(p, actions) for p in counted_set | {a.place_id for a in actions}}
    return ScenarioResult(
        baseline_expected=baseline_expected,
        before_expected=sum(before.values()),
        after_expected=sum(final.values()),
        before_comfortable=sum(v >= 0.5 for v in before.values()),
        after_comfortable=sum(v >= 0.5 for v in final.values()),
        steps=steps,
        target_ratio=target_ratio,
    )


def reference_evaluator(criteria: Any = None, wind_height_m: float = 1.5) -> Evaluator:
    """
    The :data:`Evaluator` of the places KPI (:func:`comfort.place_kpi.place_probabilities`):
    each place's probability of being comfortable over the whole reference year.

    Raises
    ------
    ScenarioError
        The conditions span more than one calendar year.
    """
    from comfort.place_kpi import place_probabilities

    def evaluate(conditions: xr.Dataset, rows: pd.DataFrame) -> npt.NDArray[np.float64]:
        probs = place_probabilities(conditions, rows, criteria, wind_height_m=wind_height_m)
        year = probs[probs["period"] == "year"]
        if year["year"].nunique() != 1:
            raise ScenarioError(
                f"the reference climate must be one year of hours; got years "
                f"{sorted(year['year'].unique())}."
            )
        p = year.set_index("place_id")["p_comfortable"]
        return np.asarray(p.loc[rows["place_id"].astype(str)].to_numpy(), dtype=np.float64)

    return evaluate
