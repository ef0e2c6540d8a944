"""
Planner scenarios: what if a place got shade trees, a wind screen, a warm shelter or mist?

Each intervention changes a place's hourly conditions (air temperature, mean radiant
temperature, wind, humidity) by documented, literature-typical amounts; UTCI and comfort are
then recomputed with :mod:`comfort.indices`, and the places KPI can be recomputed from the
changed UTCI table. The effects are planning-level averages for the place as a whole, not a
microclimate simulation; see ``docs/INDICES.md`` (Scenarios) for the sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
