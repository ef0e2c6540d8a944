"""
Participants' daily steps: a later period against a baseline period, with the season held fixed.

The plan's targets are 1.1× the start period's mean daily steps by 2023 and 1.3× by 2030. Steps
follow the season strongly in Sapporo (snow), so a comparison of January with July says more
about the weather than about walking. :func:`steps_ratio` therefore

- compares **the same calendar months** by default: each participant's mean daily steps over the
  months they walked in both periods (months weighted equally);
- refuses (:class:`StepsPeriodError`) when the periods share no calendar month, unless a
  **seasonal profile** is given (:class:`SeasonalProfile`: a factor per month, from a file or
  :func:`estimate_seasonal_profile`); steps are then divided by the month's factor, and the
  profile's own uncertainty is carried into the interval;
- reports the ratio for the participants present in both periods (like with like, the headline
  ``ratio``) beside the ratio for all participants of each period (``ratio_all_participants``,
  which moves with who joined and who left: attrition), with a participant bootstrap interval
  (fixed seed);
- publishes only aggregates over at least ``k`` participants (k-anonymity).

Pure functions on DataFrames (``participant_id``, ``date``, ``steps``: one row per participant
and day); reading files and the store lives in :mod:`sensors.steps`. Method and assumptions:
docs/PLANNING.md ("Steps KPI").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.errors import KPIError, StepsPeriodError
from comfort.seasonality import (
    DEFAULT_PROFILE_SE,
    MONTH_NAMES,
    SeasonalProfile,
    estimate_seasonal_profile,
    seasonal_profile_from_table,
)

__all__ = [
    "DEFAULT_PROFILE_SE",
    "MONTH_NAMES",
    "STEPS_TARGETS",
    "SeasonalProfile",
    "StepsPeriodError",
    "daily_steps",
    "estimate_seasonal_profile",
    "parse_period",
    "seasonal_profile_from_table",
    "steps_kpi",
    "steps_ratio",
]

#: Target ratios of the plan (2023, 2030).
STEPS_TARGETS = (1.1, 1.3)


Period = tuple[pd.Timestamp, pd.Timestamp]


def parse_period(text: str, name: str = "period") -> Period:
    """
    A period ``START..END`` as (first day, last day), both inclusive.

    Each end is a date ``YYYY-MM-DD``, a month ``YYYY-MM`` or a year ``YYYY``; an end given as a
    month or a year stands for its last day. A single month or year (no ``..``) is all of it.

    Raises
    ------
    KPIError
        Not ``START..END``, an unreadable end, or END before START.

    Examples
    --------
    >>> [str(d.date()) for d in parse_period("2021-03..2021")]
    ['2021-03-01', '2021-12-31']
    >>> [str(d.date()) for d in parse_period("2016-04")]
    ['2016-04-01', '2016-04-30']
    """
    parts = str(text).split("..")
    if len(parts) == 1:
        parts = [parts[0], parts[0]]  # one month or one year: the whole of it
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise KPIError(
            f"{name} must be START..END (e.g. 2021-01-01..2021-12-31, 2021-04..2021-09 or "
            f"2021..2021); got {text!r}."
        )
    ends = []
    for i, raw in enumerate(p.strip() for p in parts):
        try:
            if len(raw) == 4 and raw.isdigit():
                day = pd.Timestamp(f"{raw}-01-01")
                day = day if i == 0 else pd.Timestamp(f"{raw}-12-31")
            elif len(raw) == 7:
                day = pd.Timestamp(f"{raw}-01")
                day = day if i == 0 else day + pd.offsets.MonthEnd(0)
            else:
                day = pd.Timestamp(raw)
        except (ValueError, TypeError) as exc:
            raise KPIError(
                f"{name}: cannot read {raw!r} as a date; write YYYY-MM-DD, YYYY-MM or YYYY."
            ) from exc
        ends.append(day.tz_localize(None).normalize() if day.tzinfo else day.normalize())
    if ends[1] < ends[0]:
        raise KPIError(f"{name} {text!r} ends before it starts; write START..END in that order.")
    return ends[0], ends[1]


def daily_steps(records: pd.DataFrame, time_zone: str = "Asia/Tokyo") -> pd.DataFrame:
    """
    Daily steps per participant from hourly or daily records, complete days only.

    A day is kept when it has at least as many records as the participant's usual day (the
    median count of records per day: 24 for a full hourly export, 1 for daily totals), so the
    partial first and last days of an export do not pull the means down, and when its total is
    above zero (a day at zero is a device not worn). Dropped days are counted in
    ``attrs["dropped_days"]`` (``partial``, ``zero``), never dropped silently.

    Parameters
    ----------
    records
        ``participant`` or ``participant_id``; ``time`` (or ``date``); ``steps``.
    time_zone
        Zone whose calendar days are used for timezone-aware times.

    Returns
    -------
    pandas.DataFrame
        ``participant_id``, ``date`` (naive, midnight), ``steps``.

    Raises
    ------
    KPIError
        Columns are missing.

    Examples
    --------
    >>> t = pd.date_range("2021-05-01 00:00", periods=30, freq="h", tz="Asia/Tokyo")
    >>> d = daily_steps(pd.DataFrame({"participant": "a", "time": t, "steps": 100.0}))
    >>> d["steps"].tolist(), d.attrs["dropped_days"]
    ([2400.0], {'partial': 1, 'zero': 0})
    """
    pid = "participant_id" if "participant_id" in records.columns else "participant"
    when = "time" if "time" in records.columns else "date"
    if pid not in records.columns or when not in records.columns or "steps" not in records:
        raise KPIError(
            "step records need the columns participant_id (or participant), time (or date) "
            f"and steps; got {list(records.columns)}."
        )
    t = pd.DatetimeIndex(pd.to_datetime(records[when]))
    local = t.tz_convert(time_zone).tz_localize(None) if t.tz is not None else t
    frame = pd.DataFrame(
        {
            "participant_id": records[pid].astype(str).to_numpy(),
            "date": local.normalize(),
            "steps": pd.to_numeric(records["steps"], errors="coerce").to_numpy(dtype=float),
        }
    ).dropna(subset=["steps"])
    days = frame.groupby(["participant_id", "date"], as_index=False).agg(
        steps=("steps", "sum"), records=("steps", "size")
    )
    usual = days.groupby("participant_id")["records"].transform("median")
    partial = days["records"] < usual
    zero = ~partial & (days["steps"] <= 0)
    out = days.loc[~partial & ~zero, ["participant_id", "date", "steps"]].reset_index(drop=True)
    out.attrs["dropped_days"] = {"partial": int(partial.sum()), "zero": int(zero.sum())}
    return out


# --------------------------------------------------------------------------------------------
# The ratio
# --------------------------------------------------------------------------------------------


def _days(daily: pd.DataFrame) -> pd.DataFrame:
    need = {"participant_id", "date", "steps"}
    if not need <= set(daily.columns):
        raise KPIError(
            f"daily steps need the columns {sorted(need)}; got {list(daily.columns)}. "
            "Aggregate the records per participant and day first (comfort.steps.daily_steps)."
        )
    df = daily[["participant_id", "date", "steps"]].copy()
    df["participant_id"] = df["participant_id"].astype(str)
    df["date"] = pd.to_datetime(df["date"])
    if df["date"].dt.tz is not None:
        df["date"] = df["date"].dt.tz_localize(None)
    df["steps"] = pd.to_numeric(df["steps"], errors="coerce")
    return df.dropna(subset=["steps"])


def _in_period(df: pd.DataFrame, period: Period) -> pd.DataFrame:
    return df[(df["date"] >= period[0]) & (df["date"] <= period[1])]


def _monthly(
    df: pd.DataFrame, ids: pd.Index
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(participant × month) mean daily steps and presence, participants in ``ids`` order."""
    table = df.groupby(["participant_id", df["date"].dt.month])["steps"].mean().unstack()
    table = table.reindex(index=ids, columns=range(1, 13))
    x = table.to_numpy(dtype=float)
    present = np.isfinite(x)
    return np.where(present, x, 0.0), present


@dataclass(frozen=True)
class _Arrays:
    xb: npt.NDArray[np.float64]
    pb: npt.NDArray[np.bool_]
    xl: npt.NDArray[np.float64]
    pl: npt.NDArray[np.bool_]
    shared: npt.NDArray[np.bool_]  # months of both periods (same-months mode)
    months_b: npt.NDArray[np.bool_]
    months_l: npt.NDArray[np.bool_]


def _ratios(
    a: _Arrays, w: npt.NDArray[np.float64], inv_f: npt.NDArray[np.float64] | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """
    (present in both, all participants) ratios for participant weights ``w`` (R × n) and
    inverse monthly factors ``inv_f`` (R × 12; None = same months, no factors).
    """
    r = w.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if inv_f is None:
            common = a.pb & a.pl
            nc = common.sum(axis=1)
            ok = nc > 0
            lat = np.where(ok, (a.xl * common).sum(axis=1) / np.maximum(nc, 1), 0.0)
            base = np.where(ok, (a.xb * common).sum(axis=1) / np.maximum(nc, 1), 0.0)
            paired = (w[:, ok] @ lat[ok]) / (w[:, ok] @ base[ok])
            months_b = months_l = np.broadcast_to(a.shared, (r, 12))
            factor = np.ones((r, 12))
        else:
            nb, nl = a.pb.sum(axis=1), a.pl.sum(axis=1)
            ok = (nb > 0) & (nl > 0)
            lat = (a.xl[ok] / np.maximum(nl[ok], 1)[:, None]) @ inv_f.T  # (n_ok × R)
            base = (a.xb[ok] / np.maximum(nb[ok], 1)[:, None]) @ inv_f.T
            paired = (w[:, ok] * lat.T).sum(axis=1) / (w[:, ok] * base.T).sum(axis=1)
            months_b = np.broadcast_to(a.months_b, (r, 12))
            months_l = np.broadcast_to(a.months_l, (r, 12))
            factor = inv_f
        mean_b = (w @ a.xb) / (w @ a.pb) * factor  # (R × 12) group mean per month
        mean_l = (w @ a.xl) / (w @ a.pl) * factor
        use_b = months_b & np.isfinite(mean_b)
        use_l = months_l & np.isfinite(mean_l)
        if inv_f is None:
            use_b = use_l = use_b & use_l
        v_b = np.where(use_b, mean_b, 0.0).sum(axis=1) / use_b.sum(axis=1)
        v_l = np.where(use_l, mean_l, 0.0).sum(axis=1) / use_l.sum(axis=1)
    return np.asarray(paired, dtype=float), np.asarray(v_l / v_b, dtype=float)


def _interval(draws: npt.NDArray[np.float64], level: float) -> list[float | None]:
    good = draws[np.isfinite(draws)]
    if good.size < 0.9 * draws.size:
        return [None, None]
    q = (1.0 - level) / 2.0
    return [round(float(np.quantile(good, q)), 4), round(float(np.quantile(good, 1.0 - q)), 4)]


def _months_text(mask: npt.NDArray[np.bool_]) -> list[str]:
    return [MONTH_NAMES[i] for i in np.flatnonzero(mask)]


def steps_ratio(
    daily: pd.DataFrame,
    baseline: Period | tuple[Any, Any],
    later: Period | tuple[Any, Any],
    *,
    k: int = 10,
    profile: SeasonalProfile | None = None,
    replicates: int = 1000,
    level: float = 0.90,
    seed: int = 20160412,
    targets: tuple[float, float] = STEPS_TARGETS,
) -> dict[str, Any]:
    """
    Mean daily steps of a later period against a baseline period, season held fixed.

    Without ``profile`` the periods are compared on the calendar months they share: for each
    participant present in both, the mean over the months they walked in both periods of their
    mean daily steps in that month; ``ratio`` = sum over participants of the later means / sum
    of the baseline means. With ``profile`` every day is divided by its month's factor and each
    participant's months of each period are compared. ``ratio_all_participants`` compares the
    month-by-month group means of everyone in each period (months weighted equally), so it moves
    with who joined and who left. Intervals: percentile bootstrap resampling participants
    (``replicates``, ``seed``); with a profile each replicate also draws the monthly factors
    from their standard errors, which widens the interval.

    Parameters
    ----------
    daily
        ``participant_id``, ``date``, ``steps`` (one row per participant and complete day).
    baseline, later
        (first day, last day) of each period, inclusive.
    k
        Smallest group published (k-anonymity): a count or a ratio over fewer participants is
        None and named in ``suppressed``.
    profile
        Seasonal profile; required when the periods share no calendar month.
    replicates, level, seed
        Bootstrap replicates, interval level and random seed.
    targets
        Target ratios (2023, 2030), reported beside the ratio.

    Returns
    -------
    dict
        ``method`` (``same_months`` or ``seasonal_profile``), ``ratio`` with ``ratio_low`` and
        ``ratio_high``, ``ratio_all_participants`` with its interval, ``ratio_raw`` (all days,
        no season adjustment), ``participants_baseline``, ``participants_later``,
        ``participants_both``, ``participants_compared``, ``attrition``, the periods with their
        months and mean daily steps, ``seasonal_profile``, ``bootstrap``, ``k``,
        ``suppressed``, ``targets``.

    Raises
    ------
    StepsPeriodError
        The periods share no calendar month and no profile is given, or a period has no data.
    KPIError
        Bad ``k``, ``level`` or columns.
    """
    if k < 1:
        raise KPIError(f"k must be >= 1; got {k}.")
    if not 0 < level < 1:
        raise KPIError(f"level must be in (0, 1), e.g. 0.9 for a 90 % interval; got {level}.")
    periods = [parse_period(f"{p[0]}..{p[1]}") if not _is_period(p) else p
               for p in (baseline, later)]  # fmt: skip
    df = _days(daily)
    parts = [_in_period(df, p) for p in periods]
    for name, part, p in zip(("baseline", "later"), parts, periods, strict=True):
        if part.empty:
            raise StepsPeriodError(
                f"the {name} period {p[0].date()}..{p[1].date()} has no steps (data covers "
                f"{_span(df)}); choose dates inside the data."
            )
    months = [np.isin(np.arange(1, 13), part["date"].dt.month.unique()) for part in parts]
    shared = months[0] & months[1]
    if not shared.any() and profile is None:
        raise StepsPeriodError(
            f"the baseline ({', '.join(_months_text(months[0]))}) and later "
            f"({', '.join(_months_text(months[1]))}) periods share no calendar month, so the "
            "season cannot be held fixed and the ratio would mostly measure the weather. Choose "
            "periods with months in common (e.g. the same months of two years), or pass a "
            "seasonal profile: --seasonal-profile FILE (columns month, factor[, factor_se]) or "
            "--seasonal-profile estimate (needs data in every calendar month)."
        )
    ids_b, ids_l = (set(part["participant_id"]) for part in parts)
    ids = pd.Index(sorted(ids_b | ids_l))
    (xb, pb), (xl, pl) = (_monthly(part, ids) for part in parts)
    arrays = _Arrays(xb, pb, xl, pl, shared, months[0], months[1])
    method = "same_months" if profile is None else "seasonal_profile"
    inv_f = None if profile is None else (1.0 / profile.factor)[None, :]
    one = np.ones((1, len(ids)))
    paired, everyone = (float(v[0]) for v in _ratios(arrays, one, inv_f))

    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(ids), np.full(len(ids), 1.0 / len(ids)), size=replicates)
    inv_draws = None
    if profile is not None:
        z = rng.standard_normal((replicates, 12))
        inv_draws = 1.0 / (profile.factor[None, :] * np.exp(profile.se[None, :] * z))
    paired_draws, everyone_draws = _ratios(arrays, w.astype(float), inv_draws)

    both = ids_b & ids_l
    compared = _compared(arrays, profile is None)
    means = [part.groupby("participant_id")["steps"].mean() for part in parts]
    raw_both = [m[m.index.isin(both)].sum() for m in means]
    out: dict[str, Any] = {
        "method": method,
        "baseline": _period_dict(periods[0], months[0], means[0], k),
        "later": _period_dict(periods[1], months[1], means[1], k),
        "months_compared": _months_text(shared) if profile is None else None,
        "participants_baseline": len(ids_b),
        "participants_later": len(ids_l),
        "participants_both": len(both),
        "participants_compared": compared,
        "ratio": round(paired, 4),
        "ratio_present_in_both": round(paired, 4),
        "ratio_all_participants": round(everyone, 4),
        "ratio_raw": round(float(raw_both[1] / raw_both[0]), 4) if raw_both[0] > 0 else None,
        "attrition": {
            "left": len(ids_b - ids_l),
            "joined": len(ids_l - ids_b),
            "retained_share": round(len(both) / len(ids_b), 3) if ids_b else None,
        },
        "seasonal_profile": None if profile is None else profile.as_dict(),
        "bootstrap": {
            "replicates": replicates,
            "seed": seed,
            "level": level,
            "resampled": "participants",
            "profile_uncertainty": profile is not None,
        },
        "k": k,
        "targets": list(targets),
    }
    out["ratio_low"], out["ratio_high"] = _interval(paired_draws, level)
    out["ratio_all_participants_low"], out["ratio_all_participants_high"] = _interval(
        everyone_draws, level
    )
    out["suppressed"] = _suppress(out, k)
    return out


def _is_period(p: Any) -> bool:
    return isinstance(p[0], pd.Timestamp) and isinstance(p[1], pd.Timestamp)


def _span(df: pd.DataFrame) -> str:
    if df.empty:
        return "no days"
    return f"{df['date'].min().date()}..{df['date'].max().date()}"


def _compared(a: _Arrays, same_months: bool) -> int:
    if same_months:
        return int(((a.pb & a.pl).sum(axis=1) > 0).sum())
    return int(((a.pb.sum(axis=1) > 0) & (a.pl.sum(axis=1) > 0)).sum())


def _period_dict(
    period: Period, months: npt.NDArray[np.bool_], means: pd.Series, k: int
) -> dict[str, Any]:
    big = len(means) >= k
    return {
        "start": str(period[0].date()),
        "end": str(period[1].date()),
        "months": _months_text(months),
        "participants": len(means) if big else None,
        "mean_daily_steps": round(float(means.mean()), 1) if big else None,
    }


def _suppress(out: dict[str, Any], k: int) -> list[str]:
    """Blank every published aggregate over fewer than ``k`` participants; name them."""
    hidden = []
    groups = {
        "participants_baseline": ["participants_baseline"],
        "participants_later": ["participants_later"],
        "participants_both": ["participants_both", "ratio_raw"],
        "participants_compared": ["participants_compared", "ratio", "ratio_present_in_both",
                                  "ratio_low", "ratio_high"],
    }  # fmt: skip
    small_all = min(out["participants_baseline"], out["participants_later"]) < k
    for count, keys in groups.items():
        if out[count] < k:
            hidden += keys
    if small_all:
        hidden += ["ratio_all_participants", "ratio_all_participants_low",
                   "ratio_all_participants_high"]  # fmt: skip
    if small_all or out["participants_both"] < k:
        hidden.append("attrition")
    for key in hidden:
        out[key] = None
    return hidden


# --------------------------------------------------------------------------------------------
# The earlier summary (comfort.kpi.steps_kpi)
# --------------------------------------------------------------------------------------------


def _daily_frame(daily_steps: pd.DataFrame) -> pd.DataFrame:
    need = {"participant_id", "date", "steps"}
    if not need <= set(daily_steps.columns):
        raise KPIError(
            f"daily steps need the columns {sorted(need)}; got {list(daily_steps.columns)}. "
            "Aggregate hourly steps per participant and date first."
        )
    df = daily_steps[["participant_id", "date", "steps"]].copy()
    df["date"] = pd.to_datetime(df["date"])
    df["steps"] = pd.to_numeric(df["steps"], errors="coerce")
    return df.dropna(subset=["steps"])


def _in(df: pd.DataFrame, period: tuple[Any, Any]) -> pd.Series:
    lo, hi = (pd.Timestamp(p) for p in period)
    return (df["date"] >= lo) & (df["date"] <= hi)


def steps_kpi(
    daily_steps: pd.DataFrame,
    start_period: tuple[Any, Any],
    current_period: tuple[Any, Any],
    *,
    k: int = 10,
    targets: tuple[float, float] = (1.1, 1.3),
) -> dict[str, Any]:
    """
    Participants' mean daily steps in a period against their own start period (the earlier
    summary, kept for the notebooks; :func:`steps_ratio` is the KPI with intervals, k-anonymous
    counts, attrition and the refusal of periods without a common month).

    Only participants with days in both periods count (like with like). Three ratios of the
    group's mean of per-participant mean daily steps:

    - ``ratio_raw``: all days of each period;
    - ``ratio_same_months``: only the calendar months present in both periods;
    - ``ratio_season_adjusted``: steps divided by a month-of-year factor estimated from all
      days (mean of each participant's log steps by month, participants' own means removed),
      which takes out the season (fewer steps in the snowy months) when months differ.

    Groups smaller than ``k`` are suppressed: ratios and means are None and
    ``suppressed`` is True (only the count, itself below ``k``, is not shown either).

    Parameters
    ----------
    daily_steps
        Columns ``participant_id``, ``date``, ``steps`` (one row per participant and day).
    start_period, current_period
        (first date, last date), inclusive.
    k
        Smallest group reported.
    targets
        Target ratios (2023, 2030).

    Returns
    -------
    dict
        ``participants``, ``start_mean_steps``, ``current_mean_steps``, ``ratio_raw``,
        ``ratio_same_months``, ``ratio_season_adjusted``, ``target_2023``, ``target_2030``,
        ``suppressed``, ``k``.
    """
    if k < 1:
        raise KPIError(f"k must be >= 1; got {k}.")
    df = _daily_frame(daily_steps)
    start = df[_in(df, start_period)]
    cur = df[_in(df, current_period)]
    both = sorted(set(start["participant_id"]) & set(cur["participant_id"]))
    out: dict[str, Any] = {
        "participants": len(both),
        "k": k,
        "target_2023": targets[0],
        "target_2030": targets[1],
        "suppressed": len(both) < k,
    }
    keys = ("start_mean_steps", "current_mean_steps", "ratio_raw", "ratio_same_months",
            "ratio_season_adjusted")  # fmt: skip
    if len(both) < k:
        out.update(dict.fromkeys(keys))
        out["participants"] = None
        return out
    start = start[start["participant_id"].isin(both)]
    cur = cur[cur["participant_id"].isin(both)]

    def group_mean(d: pd.DataFrame, col: str = "steps") -> float:
        return float(d.groupby("participant_id")[col].mean().mean())

    s_mean, c_mean = group_mean(start), group_mean(cur)
    months = set(start["date"].dt.month) & set(cur["date"].dt.month)
    if months:
        s_m = start[start["date"].dt.month.isin(months)]
        c_m = cur[cur["date"].dt.month.isin(months)]
        same = group_mean(c_m) / group_mean(s_m)
    else:
        same = float("nan")
    # month-of-year factors with participant effects removed
    logs = df[df["steps"] > 0].copy()
    logs["log_steps"] = np.log(logs["steps"])
    logs["centred"] = logs["log_steps"] - logs.groupby("participant_id")["log_steps"].transform(
        "mean"
    )
    factor = np.exp(logs.groupby(logs["date"].dt.month)["centred"].mean())
    adj_s = start.assign(adj=start["steps"] / start["date"].dt.month.map(factor).fillna(1.0))
    adj_c = cur.assign(adj=cur["steps"] / cur["date"].dt.month.map(factor).fillna(1.0))
    out.update(
        start_mean_steps=s_mean,
        current_mean_steps=c_mean,
        ratio_raw=c_mean / s_mean if s_mean > 0 else float("nan"),
        ratio_same_months=same,
        ratio_season_adjusted=group_mean(adj_c, "adj") / group_mean(adj_s, "adj"),
    )
    return out
