"""
Local calibration of the comfort band from questionnaire votes.

The textbook UTCI band of "no thermal stress" is 9–26 °C. People in Sapporo may find cooler
conditions neutral or acceptable than that band says, and differently by season (adaptation).
From thermal sensation votes (ASHRAE 7-point scale, −3 cold … +3 hot) paired with the UTCI at
the place and hour of each answer, :func:`fit_comfort_band` estimates, per season:

- the **neutral band**: the UTCI range over which the mean vote, from an ordinary least-squares
  line ``vote = a + b · UTCI``, lies within ±0.5 (the usual definition in outdoor comfort
  studies); its centre is the neutral UTCI ``−a / b``;
- the **acceptable band**: the UTCI range over which at most 20 % of respondents vote "cold"
  or colder (≤ −2) and at most 20 % vote "hot" or hotter (≥ +2), from two logistic regressions
  of those shares on UTCI (the 80 % acceptability criterion of ASHRAE 55 applied to votes
  outside the central three categories). A bound the season's data cannot locate (no cold votes
  in summer, no hot votes in winter) is NaN.

:func:`season_bands` turns the table into a ``(lower, upper)`` band per season and
:func:`calibrated_comfort` scores UTCI with it through
:func:`comfort.indices.comfort_score` (the stress-category nodes shift with the band edges),
the alternative comfort mapping to the textbook band.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import xarray as xr

from comfort import indices
from comfort.errors import CalibrationError
from comfort.field import DEFAULT_CRS, SEASONS, season_of, to_local_naive

BandKind = Literal["neutral", "acceptable"]


def _ols(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """Intercept, slope and r² of ``y = a + b x``."""
    A = np.column_stack([np.ones_like(x), x])
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - (a + b * x)
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss if ss > 0 else np.nan
    return float(a), float(b), r2


def _logistic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], ridge: float = 1e-3, iters: int = 50
) -> tuple[float, float]:
    """Logistic regression ``P(y=1) = 1 / (1 + exp(−(a + b x)))`` by IRLS (x in original units)."""
    mu, sd = x.mean(), x.std() or 1.0
    z = (x - mu) / sd
    X = np.column_stack([np.ones_like(z), z])
    beta = np.zeros(2)
    for _ in range(iters):
        eta = np.clip(X @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        w = np.maximum(p * (1 - p), 1e-9)
        H = X.T @ (X * w[:, None]) + ridge * np.eye(2)
        step = np.linalg.solve(H, X.T @ (y - p) - ridge * beta)
        beta = beta + step
        if np.abs(step).max() < 1e-8:
            break
    b = beta[1] / sd
    a = beta[0] - beta[1] * mu / sd
    return float(a), float(b)


def _share_bound(
    utci: npt.NDArray[np.float64],
    outside: npt.NDArray[np.bool_],
    share: float,
    sign: int,
    min_events: int,
) -> float:
    """UTCI where the logistic share of ``outside`` votes equals ``share``; NaN if not located."""
    n_out = int(outside.sum())
    if n_out < min_events or n_out > len(outside) - min_events:
        return np.nan
    a, b = _logistic(utci, outside.astype(float))
    if np.sign(b) != sign or b == 0:
        return np.nan
    bound = (np.log(share / (1 - share)) - a) / b
    lo, hi = float(utci.min()), float(utci.max())
    span = hi - lo
    return float(bound) if lo - 0.25 * span <= bound <= hi + 0.25 * span else np.nan


def fit_comfort_band(
    votes: pd.DataFrame,
    by_season: bool = True,
    min_votes: int = 30,
    neutral_vote: float = 0.5,
    unacceptable_share: float = 0.2,
) -> pd.DataFrame:
    """
    Fit the UTCI range respondents find neutral and acceptable, by season.

    Parameters
    ----------
    votes
        One row per answer: ``time`` (timezone-aware, or naive Asia/Tokyo),
        ``thermal_sensation`` (−3..+3) and ``utci_c`` (°C, the field at the place and hour of
        the answer, e.g. from :func:`votes_with_utci`). Rows with a missing value are not used
        (counted in ``n_unused``).
    by_season
        One row per season (DJF, MAM, JJA, SON) plus ``"all"``; False for ``"all"`` only.
    min_votes
        A season with fewer usable votes gets NaN bands.
    neutral_vote
        Half-width of the neutral band in vote units (0.5: mean vote within ±0.5).
    unacceptable_share
        Largest share of "cold or colder" / "hot or hotter" votes in the acceptable band.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``season``: ``n``, ``n_unused``, ``intercept``, ``slope_per_c`` (vote per
        °C UTCI), ``r2``, ``neutral_utci_c``, ``neutral_low_c``, ``neutral_high_c``,
        ``acceptable_low_c``, ``acceptable_high_c`` (°C; NaN where not estimable), ``note``.

    Raises
    ------
    CalibrationError
        Columns are missing, a vote lies outside −3..+3, or no season can be estimated.
    """
    need = ["time", "thermal_sensation", "utci_c"]
    missing = [c for c in need if c not in votes.columns]
    if missing:
        raise CalibrationError(
            f"votes must have columns {need}; missing {missing}. Attach the field's UTCI with "
            "comfort.calibration.votes_with_utci(votes, field) first."
        )
    tsv = pd.to_numeric(votes["thermal_sensation"], errors="coerce")
    bad = tsv.notna() & ((tsv < -3) | (tsv > 3))
    if bad.any():
        i = bad.idxmax()
        raise CalibrationError(
            f"thermal_sensation must be on the ASHRAE scale −3..+3; row {i} has {tsv[i]}. "
            "Fix or drop the vote."
        )
    utci = pd.to_numeric(votes["utci_c"], errors="coerce")
    ok = tsv.notna() & utci.notna()
    seasons = season_of(to_local_naive(votes["time"]))
    groups: list[tuple[str, npt.NDArray[np.bool_]]] = [("all", np.ones(len(votes), bool))]
    if by_season:
        groups = [(s, seasons == s) for s in SEASONS] + groups
    rows = []
    for name, sel in groups:
        use = sel & ok.to_numpy()
        rows.append(
            _band_row(
                name,
                utci.to_numpy(float)[use],
                tsv.to_numpy(float)[use],
                int((sel & ~ok.to_numpy()).sum()),
                min_votes,
                neutral_vote,
                unacceptable_share,
            )
        )
    table = pd.DataFrame(rows).set_index("season")
    if table["neutral_utci_c"].isna().all():
        raise CalibrationError(
            f"no season has at least {min_votes} usable votes with a positive trend of "
            f"thermal sensation with UTCI ({int(ok.sum())} usable of {len(votes)}). Collect "
            "more votes, or lower min_votes."
        )
    return table


def _band_row(
    season: str,
    u: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    unused: int,
    min_votes: int,
    neutral_vote: float,
    share: float,
) -> dict[str, Any]:
    row: dict[str, Any] = {"season": season, "n": len(u), "n_unused": unused}
    nan_cols = (
        "intercept",
        "slope_per_c",
        "r2",
        "neutral_utci_c",
        "neutral_low_c",
        "neutral_high_c",
        "acceptable_low_c",
        "acceptable_high_c",
    )
    row.update(dict.fromkeys(nan_cols, np.nan))
    if len(u) < min_votes:
        row["note"] = f"fewer than {min_votes} votes"
        return row
    if np.ptp(u) <= 0:
        row["note"] = "UTCI does not vary"
        return row
    a, b, r2 = _ols(u, v)
    row.update(intercept=a, slope_per_c=b, r2=r2)
    if b <= 0:
        row["note"] = "votes do not rise with UTCI"
        return row
    row["neutral_utci_c"] = -a / b
    row["neutral_low_c"] = (-neutral_vote - a) / b
    row["neutral_high_c"] = (neutral_vote - a) / b
    min_events = max(5, len(u) // 50)
    row["acceptable_low_c"] = _share_bound(u, v <= -2, share, -1, min_events)
    row["acceptable_high_c"] = _share_bound(u, v >= 2, share, +1, min_events)
    notes = []
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
    votes: pd.DataFrame, ds: xr.Dataset, crs: str = DEFAULT_CRS, max_dist_m: float = 150.0
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
        ``votes`` with ``utci_c`` and ``target`` (``edge:<id>`` or ``place:<id>``) added;
        NaN/None where the vote has no position, lies outside the field's hours or too far.
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
    utci = np.full(len(votes), np.nan)
    on_edge = np.flatnonzero((nearest >= 0) & (nearest < n_edge))
    on_place = np.flatnonzero(nearest >= n_edge)
    for rows, var, dim, offset in (
        (on_edge, "utci_c", "edge", 0),
        (on_place, "place_utci_c", "place", n_edge),
    ):
        if rows.size:
            picked = ds[var].isel(
                {
                    "time": xr.DataArray(t_idx[rows], dims="vote"),
                    dim: xr.DataArray(nearest[rows] - offset, dims="vote"),
                }
            )
            utci[rows] = np.asarray(picked.to_numpy(), dtype=float)
    target = [names[j] if j >= 0 else None for j in nearest]
    out = votes.copy()
    out["utci_c"] = utci
    out["target"] = target
    return out
