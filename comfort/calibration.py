"""
Local calibration of the comfort band from questionnaire votes.

The textbook UTCI band of "no thermal stress" is 9–26 °C. People in Sapporo may find cooler
conditions neutral or acceptable than that band says, and differently by season (adaptation).
From thermal sensation votes (ASHRAE 7-point scale, −3 cold … +3 hot) paired with the UTCI at
the place and hour of each answer, :func:`fit_comfort_band` fits per season one **ordinal
regression** (cumulative logit or probit, statsmodels' ``OrderedModel``) of the votes on UTCI:
``P(vote <= k) = F(theta_k − beta · UTCI)``. From it:

- the **neutral band**: the UTCI range over which the expected vote lies within ±0.5 (the
  usual definition in outdoor comfort studies); its centre, expected vote 0, is the neutral
  UTCI;
- the **acceptable band**: the UTCI range over which at most 20 % of respondents vote "cold"
  or colder (≤ −2) and at most 20 % vote "hot" or hotter (≥ +2), read from the same model's
  cumulative probabilities (the 80 % acceptability criterion of ASHRAE 55 applied to votes
  outside the central three categories). A bound the season's data cannot locate (no cold votes
  in summer, no hot votes in winter) is NaN.

The UTCI of a vote is the comfort field's estimate, not the truth: its error attenuates the
slope (errors in variables) and widens every band. With the field's standard error per vote
(``utci_se_c``), the fit uses **regression calibration** (Carroll et al. 2006, ch. 4): each
UTCI is replaced by its best prediction of the true UTCI, ``mu + lambda_i (w_i − mu)`` with
``lambda_i = s_u² / (s_u² + se_i²)`` and ``s_u² = var(w) − mean(se²)``, and the fitted
coefficients are rescaled for the remaining prediction variance ``tau² = mean(lambda_i se_i²)``
(``beta = beta_rc / sqrt(1 − beta_rc² tau² / c)``, c = 1 for probit and pi²/3 for logit).
Rows with any QC flag (the ``qc_flags`` bitmask, :class:`comfort.qcflags.QCFlag`) are skipped
and counted (``n_flagged``). docs/INDICES.md, "Calibration of the comfort band".

:func:`season_bands` turns the table into a ``(lower, upper)`` band per season and
:func:`calibrated_comfort` scores UTCI with it through
:func:`comfort.indices.comfort_score` (the stress-category nodes shift with the band edges),
the alternative comfort mapping to the textbook band.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import xarray as xr
from scipy import stats

from comfort import indices
from comfort.constants import PROJECTED_CRS, SEASONS
from comfort.errors import CalibrationError
from comfort.field import season_of, to_local_naive

BandKind = Literal["neutral", "acceptable"]
Link = Literal["logit", "probit"]
Correction = Literal["regression_calibration", "none"]

#: The ASHRAE 7-point thermal sensation scale.
VOTE_SCALE = (-3, -2, -1, 0, 1, 2, 3)

#: Variance of the latent error of each link (rescaling of the regression calibration).
_LATENT_VARIANCE = {"probit": 1.0, "logit": np.pi**2 / 3}

#: Columns of the table :func:`fit_comfort_band` returns, in order.
BAND_COLUMNS = (
    "n",
    "n_unused",
    "n_flagged",
    "model",
    "correction",
    "slope_per_c",
    "slope_naive_per_c",
    "reliability",
    "utci_se_c",
    "pseudo_r2",
    "neutral_utci_c",
    "neutral_low_c",
    "neutral_high_c",
    "acceptable_low_c",
    "acceptable_high_c",
    "note",
)


@dataclass(frozen=True)
class OrdinalFit:
    """A cumulative-link model ``P(vote <= k) = F(cuts[k] − slope · UTCI)``."""

    categories: npt.NDArray[np.float64]  #: the observed vote values, ascending
    cuts: npt.NDArray[np.float64]  #: the thresholds between them (len(categories) − 1)
    slope_per_c: float  #: latent units per °C UTCI
    link: Link
    pseudo_r2: float

    def _cdf(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.link == "probit":
            return np.asarray(stats.norm.cdf(x), dtype=np.float64)
        return np.asarray(stats.logistic.cdf(x), dtype=np.float64)

    def expected_vote(self, utci_c: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Mean vote at each UTCI (°C)."""
        u = np.asarray(utci_c, dtype=np.float64)[..., None]
        below = self._cdf(self.cuts - self.slope_per_c * u)  # P(vote <= k), k < last
        probs = np.diff(below, prepend=0.0, append=1.0, axis=-1)
        return np.asarray(probs @ self.categories, dtype=np.float64)

    def utci_at_vote(self, vote: float, lo: float, hi: float) -> float:
        """UTCI (°C) in ``[lo, hi]`` where the expected vote equals ``vote``; NaN if none."""
        grid = np.linspace(lo, hi, 2001)
        ev = self.expected_vote(grid) - vote
        idx = np.flatnonzero(np.diff(np.sign(ev)) != 0)
        if idx.size == 0:
            return np.nan
        i = int(idx[0])
        return float(grid[i] - ev[i] * (grid[i + 1] - grid[i]) / (ev[i + 1] - ev[i]))

    def utci_at_share(self, below_vote: float, share: float, upper: bool) -> float:
        """
        UTCI (°C) where ``share`` of votes are <= ``below_vote`` (``upper=False``) or
        > ``below_vote`` (``upper=True``); NaN if no threshold separates them.
        """
        k = int(np.searchsorted(self.categories, below_vote, side="right")) - 1
        if k < 0 or k >= len(self.cuts):
            return np.nan
        q = 1.0 - share if upper else share
        quantile = stats.norm.ppf(q) if self.link == "probit" else stats.logistic.ppf(q)
        return float((self.cuts[k] - quantile) / self.slope_per_c)


def fit_ordinal(utci_c: npt.ArrayLike, votes: npt.ArrayLike, link: Link = "logit") -> OrdinalFit:
    """
    Cumulative-link (ordinal) regression of votes on UTCI with statsmodels' ``OrderedModel``.

    Parameters
    ----------
    utci_c
        UTCI (°C) of each vote.
    votes
        Thermal sensation votes (integers on −3..+3); at least two distinct values.
    link
        ``"logit"`` (proportional odds) or ``"probit"``.

    Returns
    -------
    OrdinalFit

    Raises
    ------
    CalibrationError
        Fewer than two distinct votes, or UTCI does not vary.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u = rng.uniform(-10, 30, 800)
    >>> v = np.clip(np.round(0.12 * (u - 12) + rng.logistic(0, 0.6, 800)), -3, 3)
    >>> fit = fit_ordinal(u, v)
    >>> 0.15 < fit.slope_per_c < 0.3, abs(fit.utci_at_vote(0.0, -10, 30) - 12) < 2
    (True, True)
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    u = np.asarray(utci_c, dtype=np.float64)
    v = np.asarray(votes, dtype=np.float64)
    cats = np.unique(v)
    if cats.size < 2 or not np.ptp(u) > 0:
        raise CalibrationError(
            f"an ordinal model needs at least two distinct votes and varying UTCI; got votes "
            f"{cats.tolist()} and UTCI range {np.ptp(u) if u.size else 0:.2f} °C. Collect "
            "votes over more varied conditions."
        )
    mu, sd = float(u.mean()), float(u.std())
    z = ((u - mu) / sd)[:, None]
    endog = pd.Series(pd.Categorical(v, categories=cats, ordered=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked below, not warned about
        model = OrderedModel(endog, z, distr=link)
        res = model.fit(method="bfgs", disp=False, maxiter=500)
    params = np.asarray(res.params, dtype=np.float64)
    if not bool(res.mle_retvals.get("converged", True)) or not np.isfinite(params).all():
        raise CalibrationError(
            f"the ordinal {link} model did not converge on {len(u)} votes (votes may not vary "
            "with UTCI, or one vote value dominates). Collect more votes, or use the other link."
        )
    slope_z = float(params[0])
    cuts_z = np.asarray(model.transform_threshold_params(params), dtype=np.float64)[1:-1]
    slope = slope_z / sd
    return OrdinalFit(
        categories=cats,
        cuts=cuts_z + slope * mu,
        slope_per_c=slope,
        link=link,
        pseudo_r2=float(res.prsquared),
    )


def regression_calibration(
    utci_c: npt.ArrayLike, utci_se_c: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], float, float]:
    """
    Best predictions of the true UTCI from the field's UTCI and its standard error.

    Parameters
    ----------
    utci_c
        The field's UTCI (°C) of each vote.
    utci_se_c
        Its standard error (°C), per vote or one value.

    Returns
    -------
    (numpy.ndarray, float, float)
        Predicted true UTCI (°C), the mean reliability ``lambda`` (0..1; 1 = no error) and the
        mean prediction variance ``tau²`` (°C²). Where the errors would explain all of the
        UTCI's variance (reliability below 0.05), the UTCI is returned unchanged with
        reliability NaN.

    Examples
    --------
    >>> x, lam, tau2 = regression_calibration([0.0, 10.0, 20.0], 5.0)
    >>> x.round(2).tolist(), round(lam, 3)
    ([2.5, 10.0, 17.5], 0.75)
    """
    w = np.asarray(utci_c, dtype=np.float64)
    se2 = np.broadcast_to(np.asarray(utci_se_c, dtype=np.float64) ** 2, w.shape)
    var_w = float(w.var(ddof=1)) if w.size > 1 else 0.0
    var_u = var_w - float(se2.mean())
    if not (var_w > 0 and var_u > 0.05 * var_w):
        return w.copy(), np.nan, 0.0
    lam = var_u / (var_u + se2)
    mu = float(w.mean())
    x = mu + lam * (w - mu)
    return np.asarray(x, dtype=np.float64), float(lam.mean()), float((lam * se2).mean())


def fit_comfort_band(
    votes: pd.DataFrame,
    by_season: bool = True,
    min_votes: int = 30,
    neutral_vote: float = 0.5,
    unacceptable_share: float = 0.2,
    link: Link = "logit",
    correction: Correction = "regression_calibration",
    utci_se_c: float | None = None,
) -> pd.DataFrame:
    """
    Fit the UTCI range respondents find neutral and acceptable, by season (ordinal model).

    Parameters
    ----------
    votes
        One row per answer: ``time`` (timezone-aware, or naive Asia/Tokyo),
        ``thermal_sensation`` (−3..+3) and ``utci_c`` (°C, the field at the place and hour of
        the answer, e.g. from :func:`votes_with_utci`); optional ``utci_se_c`` (the field's
        standard error there, °C) and ``qc_flags`` (integer bitmask; rows with any bit set are
        skipped and counted in ``n_flagged``). Other rows with a missing value are counted in
        ``n_unused``.
    by_season
        One row per season (:data:`comfort.constants.SEASONS`) plus ``"all"``; False for
        ``"all"`` only.
    min_votes
        A season with fewer usable votes gets NaN bands.
    neutral_vote
        Half-width of the neutral band in vote units (0.5: expected vote within ±0.5).
    unacceptable_share
        Largest share of "cold or colder" / "hot or hotter" votes in the acceptable band.
    link
        ``"logit"`` or ``"probit"`` cumulative link.
    correction
        ``"regression_calibration"`` corrects for the UTCI's error when a standard error is
        known (the ``utci_se_c`` column or argument); ``"none"`` fits the field's UTCI as is.
    utci_se_c
        One standard error (°C) for every vote, overriding the column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``season``, columns :data:`BAND_COLUMNS`: counts, the model and correction,
        ``slope_per_c`` (latent units per °C UTCI, corrected) and ``slope_naive_per_c``,
        ``reliability`` and mean ``utci_se_c``, McFadden's ``pseudo_r2``, the neutral UTCI and
        bands (°C; NaN where not estimable) and a ``note``. ``attrs["n_flagged"]`` is the
        number of flagged rows skipped.

    Raises
    ------
    CalibrationError
        Columns are missing, an unflagged vote lies outside −3..+3, or no season can be
        estimated.
    """
    need = ["time", "thermal_sensation", "utci_c"]
    missing = [c for c in need if c not in votes.columns]
    if missing:
        raise CalibrationError(
            f"votes must have columns {need}; missing {missing}. Attach the field's UTCI with "
            "comfort.calibration.votes_with_utci(votes, field) first."
        )
    if link not in _LATENT_VARIANCE:
        raise CalibrationError(f"link must be 'logit' or 'probit'; got {link!r}")
    flagged = np.zeros(len(votes), dtype=bool)
    if "qc_flags" in votes.columns:
        masks = pd.to_numeric(votes["qc_flags"], errors="coerce").fillna(0).to_numpy(np.int64)
        flagged = masks != 0
    tsv = pd.to_numeric(votes["thermal_sensation"], errors="coerce")
    bad = (tsv.notna() & ((tsv < -3) | (tsv > 3) | (tsv != tsv.round()))).to_numpy() & ~flagged
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CalibrationError(
            f"thermal_sensation must be an integer on the ASHRAE scale −3..+3; row {i} "
            f"(index {votes.index[i]!r}) has {tsv.iloc[i]} and no QC flag. Fix or drop the "
            "vote, or ingest the file with `kaiteki ingest survey`, which flags it."
        )
    utci = pd.to_numeric(votes["utci_c"], errors="coerce").to_numpy(float)
    if utci_se_c is not None:
        se = np.full(len(votes), float(utci_se_c))
    elif "utci_se_c" in votes.columns:
        se = pd.to_numeric(votes["utci_se_c"], errors="coerce").to_numpy(float)
    else:
        se = np.full(len(votes), np.nan)
    ok = tsv.notna().to_numpy() & np.isfinite(utci) & ~flagged
    seasons = season_of(to_local_naive(votes["time"]))
    groups: list[tuple[str, npt.NDArray[np.bool_]]] = [("all", np.ones(len(votes), bool))]
    if by_season:
        groups = [(s, seasons == s) for s in SEASONS] + groups
    rows = []
    for name, sel in groups:
        use = sel & ok
        row = _band_row(
            name,
            utci[use],
            tsv.to_numpy(float)[use],
            se[use] if correction == "regression_calibration" else np.full(use.sum(), np.nan),
            min_votes,
            neutral_vote,
            unacceptable_share,
            link,
        )
        row["n_unused"] = int((sel & ~ok & ~flagged).sum())
        row["n_flagged"] = int((sel & flagged).sum())
        rows.append(row)
    table = pd.DataFrame(rows).set_index("season")[list(BAND_COLUMNS)]
    table.attrs["n_flagged"] = int(flagged.sum())
    if table["neutral_utci_c"].isna().all():
        raise CalibrationError(
            f"no season has at least {min_votes} usable votes with a positive trend of "
            f"thermal sensation with UTCI ({int(ok.sum())} usable of {len(votes)}, "
            f"{int(flagged.sum())} flagged and skipped). Collect more votes, or lower min_votes."
        )
    return table


def _band_row(
    season: str,
    u: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    se: npt.NDArray[np.float64],
    min_votes: int,
    neutral_vote: float,
    share: float,
    link: Link,
) -> dict[str, Any]:
    row: dict[str, Any] = {"season": season, "n": len(u), "model": f"ordinal {link}"}
    nan_cols = [c for c in BAND_COLUMNS if c.endswith(("_c", "_per_c", "r2")) or c == "reliability"]
    row.update(dict.fromkeys(nan_cols, np.nan))
    row["correction"] = "none"
    if len(u) < min_votes:
        row["note"] = f"fewer than {min_votes} votes"
        return row
    if np.ptp(u) <= 0 or np.unique(v).size < 2:
        row["note"] = "UTCI or the votes do not vary"
        return row
    naive = fit_ordinal(u, v, link)
    fit = naive
    notes = []
    has_se = np.isfinite(se)
    if has_se.all():
        row["utci_se_c"] = float(np.sqrt(np.mean(se**2)))
        x, lam, tau2 = regression_calibration(u, se)
        if np.isfinite(lam):
            rc = fit_ordinal(x, v, link)
            shrink = 1.0 - rc.slope_per_c**2 * tau2 / _LATENT_VARIANCE[link]
            scale = 1.0 / np.sqrt(max(shrink, 0.05))
            fit = OrdinalFit(
                rc.categories, rc.cuts * scale, rc.slope_per_c * scale, link, rc.pseudo_r2
            )
            row.update(reliability=lam, correction="regression_calibration")
        else:
            notes.append("UTCI error as large as its spread: slope not corrected")
    elif has_se.any():
        notes.append("standard error missing for some votes: slope not corrected")
    else:
        notes.append("no UTCI standard error: slope not corrected")
    row.update(
        slope_per_c=fit.slope_per_c,
        slope_naive_per_c=naive.slope_per_c,
        pseudo_r2=naive.pseudo_r2,
    )
    if fit.slope_per_c <= 0:
        row["note"] = "; ".join(["votes do not rise with UTCI", *notes])
        return row
    lo, hi = float(u.min()), float(u.max())
    span = hi - lo
    lo, hi = lo - 0.25 * span, hi + 0.25 * span
    row["neutral_utci_c"] = fit.utci_at_vote(0.0, lo, hi)
    row["neutral_low_c"] = fit.utci_at_vote(-neutral_vote, lo, hi)
    row["neutral_high_c"] = fit.utci_at_vote(neutral_vote, lo, hi)
    min_events = max(5, len(u) // 50)
    for col, events, bound, upper in (
        ("acceptable_low_c", v <= -2, -2.0, False),
        ("acceptable_high_c", v >= 2, 1.0, True),
    ):
        n_events = int(events.sum())
        value = np.nan
        if min_events <= n_events <= len(v) - min_events:
            value = fit.utci_at_share(bound, share, upper)
        row[col] = value if lo <= value <= hi else np.nan
    if np.isnan(row["acceptable_low_c"]):
        notes.append("cold bound not located")
    if np.isnan(row["acceptable_high_c"]):
        notes.append("heat bound not located")
    row["note"] = "; ".join(notes)
    return row


def season_bands(
    table: pd.DataFrame, kind: BandKind = "acceptable"
) -> dict[str, tuple[float, float]]:
    """
    The calibrated ``(lower, upper)`` band (°C) per season, for :func:`calibrated_comfort`.

    A bound that is NaN for a season is taken from the ``"all"`` row, then from the textbook
    band (9 / 26 °C); a band whose lower bound is not below its upper bound falls back to the
    textbook band.

    Examples
    --------
    >>> t = pd.DataFrame({"acceptable_low_c": [2.0, np.nan], "acceptable_high_c": [np.nan, 24.0]},
    ...                  index=pd.Index(["DJF", "all"], name="season"))
    >>> season_bands(t)["DJF"], season_bands(t)["JJA"]
    ((2.0, 24.0), (9.0, 24.0))
    """
    lo_col, hi_col = f"{kind}_low_c", f"{kind}_high_c"
    overall = table.loc["all"] if "all" in table.index else None
    out: dict[str, tuple[float, float]] = {}
    for s in SEASONS:
        bounds = []
        for col, default in (
            (lo_col, indices.TEXTBOOK_BAND_C[0]),
            (hi_col, indices.TEXTBOOK_BAND_C[1]),
        ):
            value = table.loc[s, col] if s in table.index else np.nan
            if not np.isfinite(value) and overall is not None:
                value = overall[col]
            bounds.append(float(value) if np.isfinite(value) else default)
        lo, hi = bounds
        out[s] = (lo, hi) if lo < hi else indices.TEXTBOOK_BAND_C
    return out


def calibrated_comfort(
    utci_c: npt.ArrayLike, times: Any, bands: dict[str, tuple[float, float]]
) -> npt.NDArray[np.float64]:
    """
    Comfort score 0..1 with the season's calibrated band instead of 9–26 °C.

    Parameters
    ----------
    utci_c
        UTCI (°C), first axis time.
    times
        The times of the first axis (naive Asia/Tokyo or timezone-aware).
    bands
        Band per season from :func:`season_bands`.

    Returns
    -------
    numpy.ndarray
        Score in [0, 1], same shape as ``utci_c``; NaN where UTCI is NaN.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-01-10 12:00", "2022-07-10 12:00"])
    >>> b = {"DJF": (0.0, 20.0), "MAM": (9.0, 26.0), "JJA": (9.0, 26.0), "SON": (9.0, 26.0)}
    >>> calibrated_comfort([5.0, 5.0], t, b).round(2).tolist()
    [1.0, 0.91]
    """
    u = np.asarray(utci_c, dtype=float)
    seasons = season_of(to_local_naive(times))
    if len(seasons) != u.shape[0]:
        raise CalibrationError(
            f"utci_c has {u.shape[0]} time steps but {len(seasons)} times were given; pass the "
            "times of the first axis."
        )
    out = np.full(u.shape, np.nan)
    for s in SEASONS:
        rows = seasons == s
        if rows.any():
            out[rows] = indices.comfort_score(u[rows], neutral_band_c=bands[s])
    return out


def votes_with_utci(
    votes: pd.DataFrame, ds: xr.Dataset, crs: str = PROJECTED_CRS, max_dist_m: float = 150.0
) -> pd.DataFrame:
    """
    Attach to each vote the field's UTCI at its hour and nearest target (street or place).

    Parameters
    ----------
    votes
        ``time`` and ``lat``/``lon`` (degrees, WGS 84); optional ``level`` (0 street, −1
        underground; default 0), matched against targets of the same level.
    ds
        A field Dataset (:func:`comfort.field.build_field`).
    crs
        Projected CRS of the field's ``edge_x``/``edge_y``.
    max_dist_m
        Votes farther than this (m) from every target get NaN.

    Returns
    -------
    pandas.DataFrame
        ``votes`` with ``utci_c``, ``utci_se_c`` (the field's standard error, NaN when the
        field has none) and ``target`` (``edge:<id>`` or ``place:<id>``) added; NaN/None where
        the vote has no position, lies outside the field's hours or too far.
    """
    for c in ("time", "lat", "lon"):
        if c not in votes.columns:
            raise CalibrationError(
                f"votes need 'time', 'lat' and 'lon' to be located in the field; '{c}' is "
                "missing. Votes given only by census block cannot be placed."
            )
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon = pd.to_numeric(votes["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(votes["lat"], errors="coerce").to_numpy(float)
    x, y = to_xy.transform(lon, lat)
    level = (
        pd.to_numeric(votes["level"], errors="coerce").fillna(0).to_numpy(int)
        if "level" in votes.columns
        else np.zeros(len(votes), int)
    )
    tx = np.concatenate([ds["edge_x"].to_numpy(), ds["place_x"].to_numpy()])
    ty = np.concatenate([ds["edge_y"].to_numpy(), ds["place_y"].to_numpy()])
    tl = np.concatenate([ds["edge_level"].to_numpy(), ds["place_level"].to_numpy()])
    names = [f"edge:{e}" for e in ds["edge"].to_numpy()] + [
        f"place:{p}" for p in ds["place"].to_numpy()
    ]
    n_edge = ds.sizes["edge"]
    hours = pd.DatetimeIndex(ds["time"].to_numpy())
    t_idx = hours.get_indexer(to_local_naive(votes["time"]).floor("h"))
    nearest = np.full(len(votes), -1)
    for i in range(len(votes)):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])) or t_idx[i] < 0:
            continue
        d = np.hypot(tx - x[i], ty - y[i])
        d[tl != level[i]] = np.inf
        j = int(np.argmin(d))
        if d[j] <= max_dist_m:
            nearest[i] = j
    on_edge = np.flatnonzero((nearest >= 0) & (nearest < n_edge))
    on_place = np.flatnonzero(nearest >= n_edge)
    picked: dict[str, npt.NDArray[np.float64]] = {}
    for out_name, edge_vars, place_vars in (
        ("utci_c", ("utci_c",), ("place_utci_c",)),
        ("utci_se_c", ("utci_se_c", "utci_c_se"), ("place_utci_se_c", "place_utci_c_se")),
    ):
        values = np.full(len(votes), np.nan)
        for rows, names_, dim, offset in (
            (on_edge, edge_vars, "edge", 0),
            (on_place, place_vars, "place", n_edge),
        ):
            var = next((n for n in names_ if n in ds.data_vars), None)
            if rows.size and var is not None:
                sel = ds[var].isel(
                    {
                        "time": xr.DataArray(t_idx[rows], dims="vote"),
                        dim: xr.DataArray(nearest[rows] - offset, dims="vote"),
                    }
                )
                values[rows] = np.asarray(sel.to_numpy(), dtype=float)
        picked[out_name] = values
    target = [names[j] if j >= 0 else None for j in nearest]
    out = votes.copy()
    out["utci_c"] = picked["utci_c"]
    out["utci_se_c"] = picked["utci_se_c"]
    out["target"] = target
    return out
