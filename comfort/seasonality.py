"""
Seasonal profiles of daily steps: each calendar month's mean daily steps relative to the year.

A profile lets :func:`comfort.steps.steps_ratio` compare periods that share no calendar month:
steps are divided by their month's factor, and the factors' standard errors widen the ratio's
interval. A profile comes from a table (:func:`seasonal_profile_from_table`, e.g. a published
or locally measured one) or is estimated from data covering every month
(:func:`estimate_seasonal_profile`). Pure functions; reading a profile file is
:func:`sensors.steps.read_seasonal_profile`. Method: docs/PLANNING.md ("Steps KPI").
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.errors import KPIError, StepsPeriodError

#: Relative standard error (one SD, log scale) of each monthly factor of a profile file without
#: a ``factor_se`` column: an assumption (about the year-to-year spread of monthly mean steps),
#: documented in docs/PLANNING.md.
DEFAULT_PROFILE_SE = 0.05
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class SeasonalProfile:
    """
    Mean daily steps of each calendar month relative to the year (mean factor 1).

    Attributes
    ----------
    factor
        Twelve factors, January first, averaging 1.
    se
        Twelve standard errors of the log factors (relative errors), carried into the ratio's
        interval.
    source
        Where the profile comes from (a file, or the data it was estimated from).
    notes
        Assumptions made while estimating it.
    """

    factor: npt.NDArray[np.float64]
    se: npt.NDArray[np.float64]
    source: str
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``source``, ``factor`` and ``se`` by month name, ``notes``."""
        return {
            "source": self.source,
            "factor": {
                m: round(float(f), 4) for m, f in zip(MONTH_NAMES, self.factor, strict=True)
            },
            "se": {m: round(float(s), 4) for m, s in zip(MONTH_NAMES, self.se, strict=True)},
            "notes": list(self.notes),
        }


def _month_number(value: Any, where: str, row: int) -> int:
    text = str(value).strip().lower()
    if text[:3] in MONTH_NAMES and not text.isdigit():
        return MONTH_NAMES.index(text[:3]) + 1
    try:
        number = int(float(text))
    except ValueError:
        number = 0
    if not 1 <= number <= 12:
        raise KPIError(
            f"{where}, row {row + 1}: month must be 1..12 or a month name (jan..dec); got "
            f"{value!r}. Fix the file."
        )
    return number


def seasonal_profile_from_table(table: pd.DataFrame, where: str = "the profile") -> SeasonalProfile:
    """
    A seasonal profile from a table of months and factors.

    The table has a ``month`` column (1..12 or names) and one numeric column proportional to the
    month's steps (``factor``, or e.g. ``mean_steps``: the profile is rescaled to average 1),
    optionally ``factor_se`` (relative standard error); without it every month gets
    :data:`DEFAULT_PROFILE_SE`.

    Raises
    ------
    KPIError
        Missing months or columns, repeated months, or factors that are not positive.

    Examples
    --------
    >>> t = pd.DataFrame({"month": range(1, 13), "factor": [0.5] * 6 + [1.5] * 6})
    >>> p = seasonal_profile_from_table(t)
    >>> p.factor[[0, 11]].tolist(), float(p.se[0])
    ([0.5, 1.5], 0.05)
    """
    cols = {str(c).strip().lower(): c for c in table.columns}
    if "month" not in cols:
        raise KPIError(
            f"{where} needs a month column (1..12 or jan..dec) and a factor column; got "
            f"{list(table.columns)}."
        )
    se_col = next((cols[c] for c in ("factor_se", "se") if c in cols), None)
    value_cols = [c for k, c in cols.items() if k != "month" and c is not se_col]
    value_col = cols.get("factor", value_cols[0] if len(value_cols) == 1 else None)
    if value_col is None:
        raise KPIError(
            f"{where}: cannot tell which column holds the factors among {value_cols}; name it "
            "factor (and its standard error factor_se)."
        )
    months = [_month_number(v, where, i) for i, v in enumerate(table[cols["month"]])]
    repeated = sorted({m for m in months if months.count(m) > 1})
    missing = sorted(set(range(1, 13)) - set(months))
    if repeated or missing:
        raise KPIError(
            f"{where} must give each of the 12 months once; repeated {repeated}, missing "
            f"{missing}. Fix the file."
        )
    values = pd.to_numeric(table[value_col], errors="coerce").to_numpy(dtype=float)
    bad = [i + 1 for i, v in enumerate(values) if not np.isfinite(v) or v <= 0]
    if bad:
        raise KPIError(f"{where}: {value_col} must be a positive number; rows {bad} are not.")
    order = np.argsort(months)
    factor = values[order] / values.mean()
    if se_col is None:
        se = np.full(12, DEFAULT_PROFILE_SE)
    else:
        se = pd.to_numeric(table[se_col], errors="coerce").to_numpy(dtype=float)[order]
        if not np.all(np.isfinite(se) & (se >= 0)):
            raise KPIError(f"{where}: {se_col} must be a number >= 0 in every row.")
    return SeasonalProfile(factor, se, where)


# --------------------------------------------------------------------------------------------
# Estimating a profile: log monthly means = participant + year + month effects
# --------------------------------------------------------------------------------------------


def _connected_years(year_months: dict[int, set[int]]) -> bool:
    years = list(year_months)
    seen = {years[0]}
    todo = deque([years[0]])
    while todo:
        y = todo.popleft()
        for other in years:
            if other not in seen and year_months[y] & year_months[other]:
                seen.add(other)
                todo.append(other)
    return len(seen) == len(years)


def _month_effects(
    cells: tuple[npt.NDArray[np.int64], ...],
    log_mean: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    sizes: tuple[int, int],
    iterations: int = 60,
) -> npt.NDArray[np.float64]:
    """Month effects (log, centred) of an additive participant + year + month model."""
    p_idx, y_idx, m_idx = cells
    a, g, s = np.zeros(sizes[0]), np.zeros(sizes[1]), np.zeros(12)

    def mean_by(idx: npt.NDArray[np.int64], r: npt.NDArray[np.float64], n: int) -> Any:
        den = np.bincount(idx, weight, n)
        return np.bincount(idx, weight * r, n) / np.where(den > 0, den, 1.0)

    for _ in range(iterations):
        a = mean_by(p_idx, log_mean - g[y_idx] - s[m_idx], sizes[0])
        g = mean_by(y_idx, log_mean - a[p_idx] - s[m_idx], sizes[1])
        s = mean_by(m_idx, log_mean - a[p_idx] - g[y_idx], 12)
        s = s - s.mean()
    return s


def estimate_seasonal_profile(
    daily: pd.DataFrame, *, replicates: int = 200, seed: int = 20160412
) -> SeasonalProfile:
    """
    Estimate the seasonal profile from data covering every calendar month.

    Each participant's mean daily steps per (year, month) is modelled on the log scale as
    participant + year + month effects (fitted by backfitting), so differences between people
    and a change from one year to the next do not leak into the months. When the years of the
    data share no month (for example April to March of the next year), the year effects cannot
    be told from the months and are left out; a note says so. Standard errors come from a
    participant bootstrap (``replicates``, fixed ``seed``).

    Raises
    ------
    StepsPeriodError
        Some calendar month has no data.
    """
    if not {"participant_id", "date", "steps"} <= set(daily.columns):
        raise KPIError(
            "estimating a seasonal profile needs daily steps with participant_id, date and "
            f"steps; got {list(daily.columns)}."
        )
    d = daily[["participant_id", "date", "steps"]].copy()
    d["date"] = pd.to_datetime(d["date"])
    d["steps"] = pd.to_numeric(d["steps"], errors="coerce")
    d = d[d["steps"] > 0]
    covered = set(d["date"].dt.month)
    missing = [MONTH_NAMES[m - 1] for m in range(1, 13) if m not in covered]
    if missing:
        raise StepsPeriodError(
            "a seasonal profile can only be estimated from data covering every calendar month; "
            f"the data has none in {missing}. Pass a profile file (--seasonal-profile FILE with "
            "columns month, factor[, factor_se]) instead."
        )
    cells = (
        d.groupby(["participant_id", d["date"].dt.year, d["date"].dt.month])["steps"]
        .mean()
        .rename_axis(["participant_id", "year", "month"])
        .reset_index()
    )
    year_months = {int(y): set(g["month"]) for y, g in cells.groupby("year")}
    notes = []
    if len(year_months) > 1 and not _connected_years(year_months):
        cells["year"] = 0
        notes.append(
            "the data's calendar years share no month, so year effects were left out: the "
            "profile assumes steps did not change over the data's span"
        )
    p_codes, p_names = pd.factorize(cells["participant_id"])
    y_codes, y_names = pd.factorize(cells["year"])
    idx = (
        p_codes.astype(np.int64),
        y_codes.astype(np.int64),
        cells["month"].to_numpy(dtype=np.int64) - 1,
    )
    log_mean = np.log(cells["steps"].to_numpy(dtype=float))
    sizes = (len(p_names), len(y_names))
    s = _month_effects(idx, log_mean, np.ones(len(cells)), sizes)
    rng = np.random.default_rng(seed)
    n = sizes[0]
    draws = np.empty((replicates, 12))
    for r in range(replicates):
        w_part = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        draws[r] = _month_effects(idx, log_mean, w_part[idx[0]], sizes)
    factor = np.exp(s)
    factor = factor / factor.mean()
    source = (
        f"estimated from {n} participants' daily steps, {cells['year'].nunique()} year "
        f"effect(s), {replicates} participant bootstrap replicates"
    )
    return SeasonalProfile(factor, draws.std(axis=0, ddof=1), source, tuple(notes))
