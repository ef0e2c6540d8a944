"""
Tests of comfort.calibration: the ordinal model of thermal sensation votes on UTCI, the
regression-calibration correction for the error of the field's UTCI, flagged rows skipped and
counted, on a simulated survey whose truth is known (fixed seed).
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from comfort import calibration
from comfort.calibration import (
    BAND_COLUMNS,
    fit_comfort_band,
    fit_ordinal,
    regression_calibration,
    votes_with_utci,
)
from comfort.constants import SEASONS
from comfort.errors import CalibrationError
from comfort.qcflags import QCFlag

#: The simulated respondents: latent sensation 0.25 per °C of true UTCI, neutral at 12 °C,
#: logistic noise, cut into the 7-point scale at these latent thresholds.
TRUE_SLOPE = 0.25
TRUE_NEUTRAL_C = 12.0
CUTS = np.array([-4.0, -2.5, -0.8, 0.8, 2.5, 4.0])


def simulated_survey(n: int = 3000, seed: int = 12, se_c: tuple[float, float] = (3.0, 5.0)):
    """Votes on the true UTCI; the field's UTCI = truth + error of known standard error."""
    rng = np.random.default_rng(seed)
    hours = rng.integers(0, 365 * 24, n)
    times = pd.Timestamp("2022-01-01", tz="Asia/Tokyo") + pd.to_timedelta(hours, unit="h")
    true = rng.normal(TRUE_NEUTRAL_C, 8.0, n)
    latent = TRUE_SLOPE * (true - TRUE_NEUTRAL_C) + rng.logistic(size=n)
    votes = (np.searchsorted(CUTS, latent) - 3).astype(float)
    se = rng.uniform(*se_c, n)
    observed = true + rng.normal(0.0, se)
    return pd.DataFrame(
        {
            "time": times,
            "thermal_sensation": votes,
            "utci_c": observed,
            "utci_se_c": se,
            "qc_flags": np.zeros(n, dtype=np.int64),
            "true_utci_c": true,
        }
    )


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return simulated_survey()


def test_correction_moves_the_slope_towards_the_truth(survey):
    corrected = fit_comfort_band(survey)
    naive = fit_comfort_band(survey, correction="none")
    truth = fit_comfort_band(survey.assign(utci_c=survey["true_utci_c"]), correction="none")
    for season in [*SEASONS, "all"]:
        s_naive = naive.loc[season, "slope_per_c"]
        s_corr = corrected.loc[season, "slope_per_c"]
        assert s_naive < 0.85 * TRUE_SLOPE  # attenuated: reliability about 0.8
        assert abs(s_corr - TRUE_SLOPE) < abs(s_naive - TRUE_SLOPE)
        assert corrected.loc[season, "slope_naive_per_c"] == pytest.approx(s_naive)
    overall = corrected.loc["all"]
    assert overall["slope_per_c"] == pytest.approx(TRUE_SLOPE, rel=0.1)
    assert overall["correction"] == "regression_calibration"
    assert overall["model"] == "ordinal logit"
    assert 0.7 < overall["reliability"] < 0.9
    assert overall["utci_se_c"] == pytest.approx(np.sqrt(np.mean(survey["utci_se_c"] ** 2)))
    # the neutral UTCI is recovered; the corrected neutral band is narrower (steeper slope)
    assert overall["neutral_utci_c"] == pytest.approx(TRUE_NEUTRAL_C, abs=0.7)
    width = overall["neutral_high_c"] - overall["neutral_low_c"]
    naive_width = naive.loc["all", "neutral_high_c"] - naive.loc["all", "neutral_low_c"]
    true_width = truth.loc["all", "neutral_high_c"] - truth.loc["all", "neutral_low_c"]
    assert abs(width - true_width) < abs(naive_width - true_width)
    # acceptable bounds from the model's cumulative probabilities: P(vote <= -2) = 0.2 at
    # 0.25 (u - 12) = -2.5 - logit(0.2), i.e. u = 12 + (-2.5 + 1.386) / 0.25 = 7.54 °C
    assert overall["acceptable_low_c"] == pytest.approx(7.54, abs=1.0)
    assert overall["acceptable_high_c"] == pytest.approx(16.46, abs=1.0)
    assert list(corrected.columns) == list(BAND_COLUMNS)


def test_probit_link_and_no_standard_error(survey):
    probit = fit_comfort_band(survey, link="probit", by_season=False)
    assert probit.loc["all", "model"] == "ordinal probit"
    # probit slopes are about logit / 1.7
    assert probit.loc["all", "slope_per_c"] == pytest.approx(TRUE_SLOPE / 1.7, rel=0.15)
    plain = fit_comfort_band(survey.drop(columns="utci_se_c"), by_season=False)
    assert plain.loc["all", "correction"] == "none"
    assert "no UTCI standard error" in plain.loc["all", "note"]
    assert plain.loc["all", "slope_per_c"] == plain.loc["all", "slope_naive_per_c"]
    one_se = fit_comfort_band(survey.drop(columns="utci_se_c"), by_season=False, utci_se_c=4.0)
    assert one_se.loc["all", "correction"] == "regression_calibration"
    with pytest.raises(CalibrationError, match="link must be"):
        fit_comfort_band(survey, link="cauchit")  # type: ignore[arg-type]


def test_flagged_rows_are_skipped_and_counted(survey):
    votes = survey.copy()
    rows = votes.index[[3, 50, 700, 1500, 2999]]
    votes.loc[rows[:3], "thermal_sensation"] = [7.0, -9.0, 4.0]  # off the scale, flagged
    votes.loc[rows, "qc_flags"] = [
        int(QCFlag.RANGE),
        int(QCFlag.RANGE | QCFlag.DUPLICATE),
        int(QCFlag.RANGE),
        int(QCFlag.OUTSIDE_AREA),
        int(QCFlag.FUTURE),
    ]
    table = fit_comfort_band(votes)
    assert table.attrs["n_flagged"] == 5
    assert table.loc["all", "n_flagged"] == 5
    assert table.loc["all", "n"] == len(votes) - 5
    assert sum(table.loc[s, "n_flagged"] for s in SEASONS) == 5
    clean = fit_comfort_band(survey.drop(index=rows))
    assert table.loc["all", "slope_per_c"] == pytest.approx(clean.loc["all", "slope_per_c"])
    # an off-scale vote without a flag is a data error, named with its row
    votes.loc[rows[0], "qc_flags"] = 0
    with pytest.raises(CalibrationError, match=r"row 3 .* has 7.0 and no QC flag"):
        fit_comfort_band(votes)


def test_missing_values_counted_apart_from_flags(survey):
    votes = survey.head(400).copy()
    votes.loc[votes.index[:7], "utci_c"] = np.nan
    table = fit_comfort_band(votes, by_season=False)
    assert table.loc["all", "n_unused"] == 7 and table.loc["all", "n_flagged"] == 0


def test_fit_ordinal_recovers_truth_on_true_utci(survey):
    fit = fit_ordinal(survey["true_utci_c"], survey["thermal_sensation"])
    assert fit.slope_per_c == pytest.approx(TRUE_SLOPE, rel=0.08)
    assert fit.utci_at_vote(0.0, -20, 40) == pytest.approx(TRUE_NEUTRAL_C, abs=0.7)
    assert fit.expected_vote([-30.0, 60.0]).round(1).tolist() == [-3.0, 3.0]
    with pytest.raises(CalibrationError, match="at least two distinct votes"):
        fit_ordinal([1.0, 2.0, 3.0], [0, 0, 0])


def test_regression_calibration_shrinks_towards_the_mean():
    x, lam, tau2 = regression_calibration([0.0, 10.0, 20.0], 5.0)
    assert lam == pytest.approx(0.75) and tau2 == pytest.approx(0.75 * 25)
    assert x.tolist() == pytest.approx([2.5, 10.0, 17.5])
    same, lam_nan, _ = regression_calibration([0.0, 1.0, 2.0], 10.0)  # error swamps the spread
    assert np.isnan(lam_nan) and same.tolist() == [0.0, 1.0, 2.0]


def test_votes_with_utci_attaches_the_standard_error():
    times = pd.date_range("2022-01-10 10:00", periods=3, freq="h")
    ds = xr.Dataset(
        {
            "utci_c": (("time", "edge"), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])),
            "utci_se_c": (("time", "edge"), np.full((3, 2), 1.5)),
            "place_utci_c": (("time", "place"), np.array([[20.0], [21.0], [22.0]])),
            "place_utci_se_c": (("time", "place"), np.full((3, 1), 0.5)),
            "edge_x": ("edge", [0.0, 1000.0]),
            "edge_y": ("edge", [0.0, 0.0]),
            "edge_level": ("edge", [0, 0]),
            "place_x": ("place", [0.0]),
            "place_y": ("place", [0.0]),
            "place_level": ("place", [-1]),
        },
        coords={"time": times, "edge": [10, 11], "place": ["chikaho"]},
    )
    import pyproj

    lon, lat = pyproj.Transformer.from_crs("EPSG:6680", "EPSG:4326", always_xy=True).transform(
        [5.0, 990.0, 5.0], [0.0, 0.0, 0.0]
    )
    votes = pd.DataFrame(
        {
            "time": pd.to_datetime(["2022-01-10 11:20", "2022-01-10 12:05", "2022-01-10 10:40"]),
            "lon": lon,
            "lat": lat,
            "level": [0, 0, -1],
        }
    )
    out = votes_with_utci(votes, ds)
    assert out["utci_c"].tolist() == [3.0, 6.0, 20.0]
    assert out["utci_se_c"].tolist() == [1.5, 1.5, 0.5]
    assert out["target"].tolist() == ["edge:10", "edge:11", "place:chikaho"]


def test_doctests():
    result = doctest.testmod(calibration)
    assert result.failed == 0 and result.attempted >= 5
