"""
The climate-normalised comfortable-places KPI, with the probability that each place is
comfortable (docs/PLACES.md, "What counts as a comfortable place").

A place is judged in the hours it is meant for (daytime window, opening hours, months, public
access) with the criterion of its kind:

- ``outdoor``: UTCI in the acceptable band (locally calibrated when one exists, else the
  textbook "no thermal stress" band 9 < UTCI <= 26 °C);
- ``semi_outdoor`` (roofed, outdoor air): the same, with UTCI recomputed under the roof
  (wind × :data:`SEMI_OUTDOOR_WIND_FACTOR`, mean radiant excess over the air temperature ×
  :data:`SEMI_OUTDOOR_RADIATION_FACTOR`);
- ``indoor``: never UTCI; operative temperature in :data:`INDOOR_OPERATIVE_BAND_C` and relative
  humidity at most :data:`INDOOR_RH_MAX_PCT`, from the measured indoor conditions of the field
  when it has them, else from declared conditioning (:func:`indoor_declared`).

Uncertainty: the hourly value ``v`` has the field's standard error ``se``; the error at one
place is taken as **fully correlated across its hours** (a persistent bias of position and
covariates, the conservative choice: hour-to-hour noise would average out over hundreds of
hours). For each of :data:`Z_GRID` equal-probability quantiles ``z`` of N(0, 1) the share of
meant hours with ``v + z·se`` in the band is computed; the probability that the place is
comfortable is the fraction of quantiles whose share reaches the threshold. Places are
independent, so the count of comfortable places is Poisson-binomial: its mean is the expected
count and its 5 % and 95 % quantiles the 90 % interval.

Climate normalisation: the count for year Y is the registry as of the end of Y evaluated under
one **reference climate** (the baseline year's hourly field, or a typical year), so weather
alone cannot move it; the count under each year's own weather is reported beside it.

Pure functions on arrays, DataFrames and xarray Datasets (no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from comfort.errors import KPIError
from comfort.indices import TEXTBOOK_BAND_C, saturation_vapour_pressure_hpa, utci, wind_speed_at_10m
from comfort.kpi import PERIODS, SEASON_OF_MONTH
from comfort.places import meant_mask, open_mask, parse_features, valid_on

#: Operative temperature band (°C) of an indoor place, ``lower < T_op <= upper``.
INDOOR_OPERATIVE_BAND_C = (18.0, 26.0)
#: Highest relative humidity (%) of a comfortable indoor hour.
INDOOR_RH_MAX_PCT = 70.0
#: Heating set point (°C) of an indoor place that declares ``heating``.
HEATING_SETPOINT_C = 20.0
#: Cooling set point (°C) of an indoor place that declares ``cooling``.
COOLING_SETPOINT_C = 25.0
#: Relative humidity (%) a cooled space does not exceed (the coil dehumidifies).
COOLED_RH_MAX_PCT = 60.0
#: Indoor warming (°C) over the outdoor air of a free-running public interior (people, lights,
#: shelter from wind): an estimate, see docs/PLACES.md.
FREE_RUNNING_OFFSET_C = 3.0
#: Standard error (°C) of the operative temperature of declared (not measured) conditioning.
DECLARED_SE_C = 1.0
#: Share of the wind speed left under a roof (semi-outdoor places).
SEMI_OUTDOOR_WIND_FACTOR = 0.5
#: Share of the mean radiant excess (MRT − air temperature) left under a roof.
SEMI_OUTDOOR_RADIATION_FACTOR = 0.3
#: Number of equal-probability normal quantiles of the error at one place.
Z_COUNT = 41
#: The quantiles themselves.
Z_GRID: npt.NDArray[np.float64] = np.array(
    [NormalDist().inv_cdf((k + 0.5) / Z_COUNT) for k in range(Z_COUNT)]
)
#: Bands (°C) of the sensitivity table besides the one in use.
SENSITIVITY_BANDS: dict[str, tuple[float, float]] = {
    "textbook": TEXTBOOK_BAND_C,
    "narrow": (12.0, 23.0),
    "wide": (6.0, 29.0),
}
#: Shares of the sensitivity table.
SENSITIVITY_SHARES = (0.5, 0.6, 0.7)

Band = tuple[float, float] | Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class Criteria:
    """
    What makes a place comfortable.

    Parameters
    ----------
    utci_band_c
        Acceptable UTCI band (°C), or one per season name (``winter`` …, a calibrated band).
    share
        Share of meant hours that must be comfortable, in (0, 1].
    daytime_hours
        (first hour, end hour) of the daytime window, local clock.
    band_name
        Label of the band (``textbook``, ``calibrated`` …).
    """

    utci_band_c: Band = TEXTBOOK_BAND_C
    share: float = 0.6
    daytime_hours: tuple[int, int] = (10, 18)
    band_name: str = "textbook"
    indoor_operative_band_c: tuple[float, float] = field(default=INDOOR_OPERATIVE_BAND_C)
    indoor_rh_max_pct: float = INDOOR_RH_MAX_PCT

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise KPIError(f"share must be in (0, 1]; got {self.share}. Use e.g. 0.6 for 60 %.")


def _se(ds: xr.Dataset, var: str) -> npt.NDArray[np.float64] | None:
    """The standard error of ``var`` under the names the field uses (``utci_c_se``, ``utci_se_c``)."""
    base = var[:-2] if var.endswith("_c") else var
    for name in (f"{var}_se", f"{base}_se_c"):
        if name in ds:
            return np.asarray(ds[name].transpose("time", "place").values, dtype=np.float64)
    return None


def _values(ds: xr.Dataset, var: str) -> npt.NDArray[np.float64]:
    if var not in ds:
        raise KPIError(
            f"the place conditions lack {var!r} (have {sorted(map(str, ds.data_vars))}); build "
            "the field with `kaiteki comfort build` and read it with sensors.placefield."
        )
    return np.asarray(ds[var].transpose("time", "place").values, dtype=np.float64)


def indoor_declared(
    outdoor_air_c: npt.ArrayLike,
    outdoor_rh_pct: npt.ArrayLike,
    heating: npt.ArrayLike,
    cooling: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """
    Indoor operative temperature (°C) and relative humidity (%) of a place from its declared
    conditioning, when no indoor sensor measures it.

    Free-running interior: outdoor air + :data:`FREE_RUNNING_OFFSET_C`; heating holds at least
    :data:`HEATING_SETPOINT_C`, cooling at most :data:`COOLING_SETPOINT_C` (and RH at most
    :data:`COOLED_RH_MAX_PCT`). The outdoor vapour pressure is kept indoors (no humidifier).

    Examples
    --------
    >>> t, rh = indoor_declared([-5.0, 30.0], [80.0, 60.0], [True, True], [False, True])
    >>> t.tolist(), [round(v) for v in rh]
    ([20.0, 25.0], [14, 60])
    """
    ta = np.asarray(outdoor_air_c, dtype=np.float64)
    heat = np.asarray(heating, dtype=bool)
    cool = np.asarray(cooling, dtype=bool)
    t_in = ta + FREE_RUNNING_OFFSET_C
    t_in = np.where(heat, np.maximum(t_in, HEATING_SETPOINT_C), t_in)
    cooled = cool & (t_in > COOLING_SETPOINT_C)
    t_in = np.where(cool, np.minimum(t_in, COOLING_SETPOINT_C), t_in)
    e = np.asarray(outdoor_rh_pct, dtype=np.float64) / 100.0 * saturation_vapour_pressure_hpa(ta)
    rh_in = np.minimum(100.0, 100.0 * e / saturation_vapour_pressure_hpa(t_in))
    rh_in = np.where(cooled, np.minimum(rh_in, COOLED_RH_MAX_PCT), rh_in)
    return np.asarray(t_in, dtype=np.float64), np.asarray(rh_in, dtype=np.float64)


@dataclass(frozen=True)
class HourlyJudgement:
    """Per hour and place: the judged value, its SE, its band and the other conditions met."""

    value: npt.NDArray[np.float64]
    se: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    gate: npt.NDArray[np.bool_]


def _season_band(band: Band, times: pd.DatetimeIndex) -> tuple[npt.NDArray[np.float64], ...]:
    if not isinstance(band, Mapping):
        return np.full(len(times), band[0]), np.full(len(times), band[1])
    season = [SEASON_OF_MONTH[m] for m in times.month]
    missing = sorted(set(season) - set(band))
    if missing:
        raise KPIError(f"the band per season has no entry for {missing}; give one per season.")
    return (np.array([band[s][0] for s in season]), np.array([band[s][1] for s in season]))


def judge_hours(
    conditions: xr.Dataset,
    places: pd.DataFrame,
    criteria: Criteria,
    *,
    wind_height_m: float = 1.5,
) -> HourlyJudgement:
    """
    The hourly value each place is judged on, with its standard error and band.

    Parameters
    ----------
    conditions
        Hourly conditions, dims (time, place): ``utci_c``, ``air_temp_c``, ``mrt_c``,
        ``wind_speed_m_s`` (at ``wind_height_m``), ``rel_humidity_pct``, their standard errors
        where the field has them, the outdoor ``outdoor_air_c`` and ``outdoor_rh_pct``, and the
        boolean per-place ``measured_indoor`` (the field holds indoor sensor values there).
    places
        Registry rows in the order of ``conditions.place`` (``kind``, ``features``).
    criteria
        Bands.
    wind_height_m
        Height (m) of ``wind_speed_m_s``.

    Returns
    -------
    HourlyJudgement
        Arrays of shape (time, place).
    """
    times = pd.DatetimeIndex(conditions["time"].values)
    kinds = places["kind"].astype(str).to_numpy()
    shape = (len(times), len(kinds))
    value = _values(conditions, "utci_c").copy()
    se_u = _se(conditions, "utci_c")
    se = np.zeros(shape) if se_u is None else np.nan_to_num(se_u.copy())
    lo_u, hi_u = _season_band(criteria.utci_band_c, times)
    lower = np.repeat(lo_u[:, None], shape[1], axis=1)
    upper = np.repeat(hi_u[:, None], shape[1], axis=1)
    gate = np.ones(shape, dtype=bool)

    semi = kinds == "semi_outdoor"
    if semi.any():
        ta = _values(conditions, "air_temp_c")[:, semi]
        mrt = ta + SEMI_OUTDOOR_RADIATION_FACTOR * (_values(conditions, "mrt_c")[:, semi] - ta)
        wind = SEMI_OUTDOOR_WIND_FACTOR * _values(conditions, "wind_speed_m_s")[:, semi]
        v10 = np.clip(wind_speed_at_10m(wind, wind_height_m), 0.5, 17.0)
        rh = _values(conditions, "rel_humidity_pct")[:, semi]
        flat = utci(ta.ravel(), mrt.ravel(), v10.ravel(), rh.ravel())  # 1-D: one compiled kernel
        value[:, semi] = flat.reshape(ta.shape)

    indoor = kinds == "indoor"
    if indoor.any():
        measured = np.asarray(conditions["measured_indoor"].values, dtype=bool) & indoor
        declared = indoor & ~measured
        lo_i, hi_i = criteria.indoor_operative_band_c
        lower[:, indoor], upper[:, indoor] = lo_i, hi_i
        if measured.any():
            ta = _values(conditions, "air_temp_c")[:, measured]
            mrt = _values(conditions, "mrt_c")[:, measured]
            value[:, measured] = 0.5 * (ta + mrt)
            se_a, se_m = _se(conditions, "air_temp_c"), _se(conditions, "mrt_c")
            sa = np.zeros_like(ta) if se_a is None else np.nan_to_num(se_a[:, measured])
            sm = np.zeros_like(ta) if se_m is None else np.nan_to_num(se_m[:, measured])
            se[:, measured] = 0.5 * np.hypot(sa, sm)
            rh = _values(conditions, "rel_humidity_pct")[:, measured]
            gate[:, measured] = ~(rh > criteria.indoor_rh_max_pct)
        if declared.any():
            feats = [parse_features(f) for f in places["features"].to_numpy()[declared]]
            t_in, rh_in = indoor_declared(
                _values(conditions, "outdoor_air_c")[:, declared],
                _values(conditions, "outdoor_rh_pct")[:, declared],
                np.array(["heating" in f for f in feats])[None, :],
                np.array(["cooling" in f for f in feats])[None, :],
            )
            value[:, declared] = t_in
            se[:, declared] = DECLARED_SE_C
            gate[:, declared] = ~(rh_in > criteria.indoor_rh_max_pct)
    return HourlyJudgement(value, se, lower, upper, gate)


def meant_hours(
    places: pd.DataFrame, times: Any, daytime_hours: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    """
    Whether each hour counts for each place, shape (time, place): its start lies in the
    daytime window, the place is open, in a month it is meant for, and publicly accessible.
    """
    idx = pd.DatetimeIndex(times)
    hour = idx.hour.to_numpy()
    day = (hour >= daytime_hours[0]) & (hour < daytime_hours[1])
    is_open = open_mask(places["open_min"].to_numpy(), places["close_min"].to_numpy(), idx)
    months = meant_mask(places["months"].tolist(), idx)
    public = places["public_access"].astype(bool).to_numpy()[None, :]
    return np.asarray(day[:, None] & is_open & months & public, dtype=np.bool_)


def place_probabilities(
    conditions: xr.Dataset,
    places: pd.DataFrame,
    criteria: Criteria | None = None,
    *,
    wind_height_m: float = 1.5,
) -> pd.DataFrame:
    """
    The probability that each place is comfortable, per (year, period) of ``conditions``.

    Parameters
    ----------
    conditions, places, wind_height_m
        As for :func:`judge_hours`.
    criteria
        Bands and share (default :class:`Criteria`).

    Returns
    -------
    pandas.DataFrame
        Rows (``year``, ``period``, ``place_id``): ``kind``, ``hours_meant``,
        ``share_comfortable`` (share of meant hours comfortable at the field's central values),
        ``p_comfortable``. A place without a meant hour in a period has probability 0.
    """
    criteria = Criteria() if criteria is None else criteria
    times = pd.DatetimeIndex(conditions["time"].values)
    if len(places) != conditions.sizes.get("place", 0):
        raise KPIError(
            f"{len(places)} registry rows for {conditions.sizes.get('place', 0)} places of the "
            "conditions; pass the registry rows in the order of conditions.place."
        )
    j = judge_hours(conditions, places, criteria, wind_height_m=wind_height_m)
    counted = meant_hours(places, times, criteria.daytime_hours) & np.isfinite(j.value)
    years = times.year.to_numpy()
    season = np.array([SEASON_OF_MONTH[m] for m in times.month])
    keys = []
    rows = []
    for year in np.unique(years):
        for period in PERIODS:
            sel = (years == year) & (True if period == "year" else season == period)
            if np.any(sel):
                keys.append((int(year), period))
                rows.append(sel)
    if not keys:
        raise KPIError("the place conditions have no hour; build the field for at least one year.")
    select = np.array(rows, dtype=np.float64)  # (period, time)
    n = select @ counted.astype(np.float64)  # (period, place)
    reach = np.zeros_like(n)
    central = np.zeros_like(n)
    with np.errstate(invalid="ignore"):
        for z in Z_GRID:
            v = j.value + z * j.se
            ok = (v > j.lower) & (v <= j.upper) & j.gate & counted
            share = np.where(n > 0, (select @ ok.astype(np.float64)) / np.maximum(n, 1), 0.0)
            reach += share >= criteria.share - 1e-12
        v = j.value
        ok = (v > j.lower) & (v <= j.upper) & j.gate & counted
        central = np.where(n > 0, (select @ ok.astype(np.float64)) / np.maximum(n, 1), np.nan)
    p = np.where(n > 0, reach / len(Z_GRID), 0.0)
    ids = places["place_id"].astype(str).to_numpy()
    kinds = places["kind"].astype(str).to_numpy()
    out = [
        pd.DataFrame(
            {
                "year": year,
                "period": period,
                "place_id": ids,
                "kind": kinds,
                "hours_meant": n[k].astype(int),
                "share_comfortable": central[k],
                "p_comfortable": p[k],
            }
        )
        for k, (year, period) in enumerate(keys)
    ]
    return pd.concat(out, ignore_index=True)


def poisson_binomial_interval(p: npt.ArrayLike, level: float = 0.9) -> tuple[float, int, int]:
    """
    Mean and central ``level`` interval of the number of successes of independent trials.

    Examples
    --------
    >>> poisson_binomial_interval([1.0, 1.0, 0.5, 0.0])
    (2.5, 2, 3)
    """
    probs = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    dist = np.zeros(len(probs) + 1)
    dist[0] = 1.0
    for q in probs:
        dist[1:] = dist[1:] * (1 - q) + dist[:-1] * q
        dist[0] *= 1 - q
    cdf = np.cumsum(dist)
    tail = (1.0 - level) / 2.0
    low = int(np.searchsorted(cdf, tail - 1e-12, side="left"))
    high = int(np.searchsorted(cdf, 1.0 - tail - 1e-12, side="left"))
    return float(probs.sum()), low, min(high, len(probs))


def _as_of(year: int) -> str:
    return f"{year}-12-31"


def kpi_rows(
    probabilities: pd.DataFrame,
    registry: pd.DataFrame,
    baseline_year: int,
    *,
    target_ratio: float = 2.0,
) -> pd.DataFrame:
    """
    The KPI rows per (year, period) from per-place probabilities: the places of the registry
    as of 31 December of the year, their comfortable count (probability ≥ 0.5), expected count
    and 90 % interval, and the ratio of the expected count to the baseline year's.

    Parameters
    ----------
    probabilities
        :func:`place_probabilities` rows (``year``, ``period``, ``place_id``, ``p_comfortable``).
    registry
        The registry with history (``place_id``, ``valid_from``, ``valid_to``, ``status``).
    baseline_year
        The plan's baseline year (must be among the years).
    target_ratio
        Target multiple of the baseline.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``period``, ``places``, ``comfortable``, ``comfortable_expected``,
        ``comfortable_low``, ``comfortable_high``, ``ratio``, ``progress``.

    Raises
    ------
    KPIError
        The baseline year is not in ``probabilities``, or a place of the registry has no
        probability.
    """
    years = sorted(int(y) for y in probabilities["year"].unique())
    if baseline_year not in years:
        raise KPIError(
            f"the baseline year {baseline_year} is not in the data (years {years}); build its "
            f"field first (`kaiteki comfort build --year {baseline_year}`)."
        )
    by_key = {
        (int(y), str(per)): grp.set_index("place_id")["p_comfortable"]
        for (y, per), grp in probabilities.groupby(["year", "period"], sort=False)
    }
    rows = []
    for (year, period), p_all in by_key.items():
        ids = sorted(registry.loc[valid_on(registry, _as_of(year)), "place_id"].astype(str))
        missing = [i for i in ids if i not in p_all.index]
        if missing:
            raise KPIError(
                f"places {missing} are in the registry of {year} but have no conditions; read "
                "the conditions for the whole registry (sensors.placefield)."
            )
        p = p_all.loc[ids].to_numpy(dtype=np.float64)
        expected, low, high = poisson_binomial_interval(p)
        rows.append(
            {
                "year": year,
                "period": period,
                "places": len(ids),
                "comfortable": int((p >= 0.5).sum()),
                "comfortable_expected": round(expected, 6),
                "comfortable_low": low,
                "comfortable_high": high,
            }
        )
    out = pd.DataFrame(rows)
    base = out[out["year"] == baseline_year].set_index("period")["comfortable_expected"]
    b = out["period"].map(base).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ratio"] = np.where(b > 0, out["comfortable_expected"] / b.where(b > 0), np.nan)
        out["progress"] = np.where(
            b > 0,
            (out["comfortable_expected"] - b) / ((target_ratio - 1.0) * b.where(b > 0)),
            np.nan,
        )
    order = {p: i for i, p in enumerate(PERIODS)}
    out["_o"] = out["period"].map(order)
    return out.sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)


def normalised_probabilities(reference: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """
    The reference climate's per-place probabilities repeated for each of ``years`` (the
    climate-normalised input of :func:`kpi_rows`): every year is judged under the same hours.

    Parameters
    ----------
    reference
        :func:`place_probabilities` of the reference climate (one year's rows).
    years
        The years of the series.
    """
    ref_year = sorted(reference["year"].unique())
    if len(ref_year) != 1:
        raise KPIError(f"the reference climate must be one year; got {ref_year}.")
    return pd.concat([reference.assign(year=int(y)) for y in years], ignore_index=True)


def sensitivity_table(
    conditions: xr.Dataset,
    places: pd.DataFrame,
    registry: pd.DataFrame,
    years: Sequence[int],
    baseline_year: int,
    criteria: Criteria,
    *,
    wind_height_m: float = 1.5,
    bands: Mapping[str, Band] | None = None,
    shares: Sequence[float] = SENSITIVITY_SHARES,
) -> pd.DataFrame:
    """
    The normalised yearly KPI of the last year over thresholds and bands: one row per
    (``band``, ``share``) with the baseline's and the last year's expected counts, the
    comfortable counts and the ratio.
    """
    choices = dict(SENSITIVITY_BANDS if bands is None else bands)
    choices.setdefault(criteria.band_name, criteria.utci_band_c)
    last = max(years)
    rows = []
    for name, band in choices.items():
        for share in shares:
            c = replace(criteria, utci_band_c=band, share=share, band_name=name)
            ref = place_probabilities(conditions, places, c, wind_height_m=wind_height_m)
            ref = ref[ref["period"] == "year"]
            table = kpi_rows(normalised_probabilities(ref, years), registry, baseline_year)
            t = table.set_index("year")
            rows.append(
                {
                    "band": name,
                    "band_c": None if isinstance(band, Mapping) else list(band),
                    "share": share,
                    "baseline_expected": float(t.loc[baseline_year, "comfortable_expected"]),
                    "year": last,
                    "comfortable": int(t.loc[last, "comfortable"]),
                    "comfortable_expected": float(t.loc[last, "comfortable_expected"]),
                    "ratio": float(t.loc[last, "ratio"]),
                }
            )
    return pd.DataFrame(rows)


def typical_months(daily_air_temp_c: pd.Series, candidate_years: Sequence[int]) -> dict[int, int]:
    """
    A typical year: for each month, the candidate year whose daily mean air temperatures of that
    month are closest to the whole series' (the Finkelstein–Schafer statistic of ISO 15927-4:
    mean absolute difference of the two empirical distribution functions).

    Parameters
    ----------
    daily_air_temp_c
        Daily mean air temperature (°C) indexed by date, several years.
    candidate_years
        Years that may supply a month (those with a built field).

    Returns
    -------
    dict
        Month (1–12) → year.

    Raises
    ------
    KPIError
        No candidate year has data in a month.

    Examples
    --------
    >>> d = pd.date_range("2019-01-01", "2021-12-31", freq="D")
    >>> t = pd.Series(np.where(d.year == 2020, 5.0, 0.0) + d.month, index=d)
    >>> typical_months(t, [2020, 2021])[1]
    2021
    """
    s = pd.Series(daily_air_temp_c).dropna()
    idx = pd.DatetimeIndex(s.index)
    out: dict[int, int] = {}
    for month in range(1, 13):
        all_m = np.sort(s[idx.month == month].to_numpy(dtype=np.float64))
        best: tuple[float, int] | None = None
        for year in candidate_years:
            sel = s[(idx.month == month) & (idx.year == year)].to_numpy(dtype=np.float64)
            if sel.size == 0 or all_m.size == 0:
                continue
            x = np.sort(sel)
            cdf_all = np.searchsorted(all_m, x, side="right") / all_m.size
            cdf_y = np.arange(1, x.size + 1) / x.size
            fs = float(np.mean(np.abs(cdf_y - cdf_all)))
            if best is None or fs < best[0]:
                best = (fs, int(year))
        if best is None:
            raise KPIError(
                f"no candidate year among {list(candidate_years)} has daily weather in month "
                f"{month}; build a field for a year with data in every month."
            )
        out[month] = best[1]
    return out
