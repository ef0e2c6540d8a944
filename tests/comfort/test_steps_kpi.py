"""
Tests of comfort.steps and comfort.seasonality: the steps KPI with the season held fixed, on a
synthetic panel with a known ratio (seasonality, participants joining and leaving) and on the
real Fitbit file.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from comfort import seasonality, steps
from comfort.errors import KPIError, StepsPeriodError
from comfort.kpi import steps_kpi as steps_kpi_from_kpi
from comfort.seasonality import estimate_seasonal_profile, seasonal_profile_from_table
from comfort.steps import daily_steps, parse_period, steps_kpi, steps_ratio

FITBIT = Path("/work/shared/data/fitbit_hourlySteps_merged.csv")
TRUE_RATIO = 1.10
#: The synthetic panel's seasonal profile: mean 1, low in the snowy months (Sapporo).
SEASON = 1.0 + 0.3 * np.cos(2 * np.pi * (np.arange(1, 13) - 7.5) / 12)


def synthetic_panel(n: int = 120, seed: int = 2021) -> pd.DataFrame:
    """
    Daily steps of ``n`` participants over 2021–2022: a personal level (log-normal), the monthly
    season, ×1.10 in 2022, day-to-day noise, 15 % missing days, 30 % joining late and 30 %
    leaving early.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-01-01", "2022-12-31", freq="D")
    season = SEASON[days.month.to_numpy() - 1]
    lift = np.where(days.year == 2022, TRUE_RATIO, 1.0)
    parts = []
    for p in range(n):
        level = np.exp(rng.normal(np.log(7000), 0.4))
        first, last = 0, len(days) - 1
        u = rng.random()
        if u < 0.3:
            first = int(rng.integers(0, 600))
        elif u < 0.6:
            last = int(rng.integers(130, len(days)))
        keep = (np.arange(len(days)) >= first) & (np.arange(len(days)) <= last)
        keep &= rng.random(len(days)) > 0.15
        value = level * season * lift * np.exp(rng.normal(0.0, 0.3, len(days)))
        parts.append(
            pd.DataFrame({"participant_id": f"p{p:03d}", "date": days[keep],
                          "steps": np.round(value[keep])})
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def write_panel(path: Path, panel: pd.DataFrame) -> Path:
    """The panel as a kaiteki steps CSV of daily totals."""
    out = panel.rename(columns={"date": "time"}).assign(interval="day")
    out["time"] = out["time"].dt.strftime("%Y-%m-%dT00:00:00+09:00")
    out.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel()


def test_same_months_recovers_the_known_ratio(panel: pd.DataFrame) -> None:
    r = steps_ratio(panel, parse_period("2021..2021"), parse_period("2022..2022"), replicates=300)
    assert r["method"] == "same_months" and len(r["months_compared"]) == 12
    assert r["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    assert r["ratio_low"] < r["ratio"] < r["ratio_high"]
    assert r["ratio_all_participants"] == pytest.approx(TRUE_RATIO, abs=0.08)
    # churn: those present in both are fewer than either period's participants
    assert r["participants_both"] < min(r["participants_baseline"], r["participants_later"])
    a = r["attrition"]
    assert a["left"] == r["participants_baseline"] - r["participants_both"]
    assert a["joined"] == r["participants_later"] - r["participants_both"]
    assert r["suppressed"] == []


def test_partly_shared_months_compare_only_those(panel: pd.DataFrame) -> None:
    # summer baseline, a later period spanning winter and summer: raw is pulled down by winter
    r = steps_ratio(panel, parse_period("2021-06..2021-08"), parse_period("2022-01..2022-08"),
                    replicates=200)  # fmt: skip
    assert r["months_compared"] == ["jun", "jul", "aug"]
    assert r["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    assert r["ratio_raw"] < 1.0


def test_no_shared_month_is_refused(panel: pd.DataFrame) -> None:
    with pytest.raises(StepsPeriodError, match=r"share no calendar month.*--seasonal-profile"):
        steps_ratio(panel, parse_period("2021-01..2021-03"), parse_period("2022-07..2022-09"))


def test_profile_file_adjusts_and_widens_the_interval(panel: pd.DataFrame) -> None:
    table = pd.DataFrame({"month": range(1, 13), "factor": SEASON})
    sure = seasonal_profile_from_table(table.assign(factor_se=0.0))
    unsure = seasonal_profile_from_table(table)  # default 5 % per month
    periods = (parse_period("2021-01..2021-03"), parse_period("2022-07..2022-09"))
    a = steps_ratio(panel, *periods, profile=sure, replicates=300)
    b = steps_ratio(panel, *periods, profile=unsure, replicates=300)
    assert a["method"] == "seasonal_profile" and a["months_compared"] is None
    assert a["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    assert b["ratio"] == a["ratio"]
    assert b["ratio_high"] - b["ratio_low"] > 1.5 * (a["ratio_high"] - a["ratio_low"])
    assert a["ratio_raw"] > 1.5  # summer against winter, unadjusted


def test_estimated_profile(panel: pd.DataFrame) -> None:
    profile = estimate_seasonal_profile(panel, replicates=30)
    assert profile.factor == pytest.approx(SEASON / SEASON.mean(), rel=0.03)
    r = steps_ratio(panel, parse_period("2021-01..2021-03"), parse_period("2022-07..2022-09"),
                    profile=profile, replicates=200)  # fmt: skip
    assert r["ratio"] == pytest.approx(TRUE_RATIO, abs=0.03)
    with pytest.raises(StepsPeriodError, match=r"every calendar month.*\['nov', 'dec'\]"):
        estimate_seasonal_profile(panel[panel["date"].dt.month <= 10])


def test_small_groups_are_suppressed(panel: pd.DataFrame) -> None:
    few = panel[panel["participant_id"].isin(sorted(panel["participant_id"].unique())[:8])]
    r = steps_ratio(few, parse_period("2021..2021"), parse_period("2022..2022"), replicates=50)
    assert r["ratio"] is None and r["participants_both"] is None and r["attrition"] is None
    assert r["ratio_all_participants"] is None
    assert {"ratio", "ratio_all_participants"} <= set(r["suppressed"])
    assert r["baseline"]["mean_daily_steps"] is None


def test_same_seed_same_interval(panel: pd.DataFrame) -> None:
    periods = (parse_period("2021..2021"), parse_period("2022..2022"))
    a = steps_ratio(panel, *periods, replicates=100, seed=3)
    b = steps_ratio(panel, *periods, replicates=100, seed=3)
    assert (a["ratio_low"], a["ratio_high"]) == (b["ratio_low"], b["ratio_high"])


def test_errors() -> None:
    with pytest.raises(KPIError, match=r"must be START\.\.END"):
        parse_period("2021..2022..2023")
    with pytest.raises(KPIError, match="ends before it starts"):
        parse_period("2022..2021")
    with pytest.raises(KPIError, match="cannot read 'spring'"):
        parse_period("spring..2021")
    with pytest.raises(
        KPIError, match="each of the 12 months once; repeated \\[\\], missing \\[12\\]"
    ):
        seasonal_profile_from_table(pd.DataFrame({"month": range(1, 12), "factor": 1.0}))
    with pytest.raises(KPIError, match=r"row 3: month must be 1\.\.12"):
        seasonal_profile_from_table(pd.DataFrame({"month": [1, 2, 13], "factor": 1.0}))
    with pytest.raises(KPIError, match="must be a positive number; rows \\[2\\]"):
        seasonal_profile_from_table(
            pd.DataFrame({"month": MONTHS, "factor": [1.0, -1.0, *[1.0] * 10]})
        )
    empty = pd.DataFrame({"participant_id": ["a"], "date": ["2021-05-01"], "steps": [100.0]})
    with pytest.raises(
        StepsPeriodError, match=r"later period 2022-01-01\.\.2022-12-31 has no steps"
    ):
        steps_ratio(empty, parse_period("2021..2021"), parse_period("2022..2022"))
    with pytest.raises(KPIError, match="need the columns"):
        steps_ratio(
            pd.DataFrame({"a": [1]}), parse_period("2021..2021"), parse_period("2022..2022")
        )


MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def test_month_names_in_profiles() -> None:
    p = seasonal_profile_from_table(pd.DataFrame({"Month": MONTHS, "mean_steps": range(1, 13)}))
    assert p.factor[-1] / p.factor[0] == pytest.approx(12.0)


def test_daily_steps_drops_partial_and_zero_days() -> None:
    t = pd.date_range("2021-05-01 00:00", "2021-05-03 11:00", freq="h", tz="Asia/Tokyo")
    steps_h = np.where(t.day == 2, 0.0, 100.0)
    d = daily_steps(pd.DataFrame({"participant": "a", "time": t, "steps": steps_h}))
    assert d["date"].dt.day.tolist() == [1]
    assert d.attrs["dropped_days"] == {"partial": 1, "zero": 1}


def test_old_steps_kpi_still_importable() -> None:
    assert steps_kpi_from_kpi is steps_kpi


def test_fitbit_shared_and_disjoint_months() -> None:
    from sensors.steps import load_daily_steps

    daily = load_daily_steps(FITBIT, pseudonym_key="test-key")
    assert daily.attrs["dropped_days"]["partial"] > 0  # first and last days of the export
    r = steps_ratio(daily, parse_period("2016-04-12..2016-04-26"),
                    parse_period("2016-04-27..2016-05-12"), replicates=300)  # fmt: skip
    assert r["months_compared"] == ["apr"]
    assert r["participants_baseline"] == 33 and r["participants_both"] >= 30
    assert r["ratio_low"] < 1.0 < r["ratio_high"]  # a month of data: no detectable change
    with pytest.raises(StepsPeriodError, match=r"baseline \(apr\) and later \(may\)"):
        steps_ratio(daily, parse_period("2016-04..2016-04"), parse_period("2016-05..2016-05"))
    with pytest.raises(StepsPeriodError, match="every calendar month"):
        estimate_seasonal_profile(daily)


def test_doctests() -> None:
    assert doctest.testmod(steps).failed == 0
    assert doctest.testmod(seasonality).failed == 0
