"""
The plan's KPIs: comfortable places (target 2× the baseline year), participants' daily steps
(1.1× by 2023, 1.3× by 2030) and views of the walking content (2×, 4×).

Pure functions on DataFrames and xarray Datasets. Seasons are taken **within the calendar
year** (winter = January, February and December of the same year; spring MAM; summer JJA;
autumn SON) so that each year's field file yields its four seasons and the whole year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from comfort.errors import KPIError
from comfort.indices import TEXTBOOK_BAND_C, in_neutral_band
from comfort.places import open_mask
from comfort.steps import steps_kpi as steps_kpi  # moved; importable from here as before

#: Season of each calendar month (within the same calendar year).
SEASON_OF_MONTH = {
    12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
    6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn",
}  # fmt: skip
#: Periods reported, in order.
PERIODS = ("year", "winter", "spring", "summer", "autumn")
#: Textbook neutral band of UTCI (°C): "no thermal stress", ``9 < UTCI <= 26``.


def place_utci_frame(utci: xr.Dataset | xr.DataArray | pd.DataFrame) -> pd.DataFrame:
    """
    Hourly UTCI per place as a DataFrame (index ``time``, one column per place id).

    Accepts the comfort field (an xarray Dataset with ``utci_c`` or ``place_utci_c`` on dims
    ``(time, place)``), a DataArray with those dims, or a DataFrame already in that shape.

    Raises
    ------
    KPIError
        No UTCI on ``(time, place)`` is found.
    """
    if isinstance(utci, pd.DataFrame):
        frame = utci.copy()
    else:
        if isinstance(utci, xr.Dataset):
            name = next(
                (n for n in ("utci_c", "place_utci_c") if n in utci and "place" in utci[n].dims),
                None,
            )
            if name is None:
                raise KPIError(
                    "the field has no UTCI on (time, place): expected a variable utci_c or "
                    f"place_utci_c with dims (time, place); got {list(utci.data_vars)}. "
                    "Build the field with places (`kaiteki comfort build`)."
                )
            da = utci[name]
        else:
            da = utci
        if set(da.dims) != {"time", "place"}:
            raise KPIError(f"UTCI must have dims (time, place); got {da.dims}.")
        da = da.transpose("time", "place")
        frame = pd.DataFrame(
            np.asarray(da.values, dtype=float),
            index=pd.DatetimeIndex(da["time"].values, name="time"),
            columns=[str(p) for p in da["place"].values],
        )
    frame.index = pd.DatetimeIndex(frame.index, name="time")
    return frame


def place_hours(
    utci: xr.Dataset | xr.DataArray | pd.DataFrame,
    places: pd.DataFrame | None = None,
    *,
    daytime_hours: tuple[int, int] = (10, 18),
    neutral_band_c: tuple[float, float] | Mapping[str, tuple[float, float]] = TEXTBOOK_BAND_C,
) -> pd.DataFrame:
    """
    Daytime open hours of every place and how many of them were thermally neutral.

    An hour counts when its start lies in ``[daytime_hours[0], daytime_hours[1])`` (default
    10:00–17:59, eight hourly steps) and the place is open (opening hours of ``places``;
    without ``places`` every place is open). It is **neutral** when
    ``lower < UTCI <= upper`` of the band (:func:`comfort.indices.in_neutral_band`). Hours
    without a UTCI value are counted as ``hours_missing`` and left out of the share.

    Parameters
    ----------
    utci
        Hourly UTCI per place (see :func:`place_utci_frame`); indoor places carry their indoor
        conditions in the field.
    places
        Places table with ``place_id``, ``open_min``, ``close_min``.
    daytime_hours
        (first hour, end hour) of the daytime window, local clock.
    neutral_band_c
        (lower, upper) UTCI band (°C), or one band per season name (a locally calibrated
        mapping, e.g. from survey votes).

    Returns
    -------
    pandas.DataFrame
        One row per (``year``, ``period``, ``place_id``) with ``hours_open``,
        ``hours_missing``, ``hours_neutral``, ``share_neutral``.
    """
    frame = place_utci_frame(utci)
    times = frame.index
    hour = times.hour.to_numpy()
    in_day = (hour >= daytime_hours[0]) & (hour < daytime_hours[1])
    if places is not None:
        table = places.set_index("place_id")
        unknown = [p for p in frame.columns if p not in table.index]
        if unknown:
            raise KPIError(
                f"places {unknown} are in the UTCI table but not in the places layer; use the "
                "places layer the field was built with."
            )
        is_open = open_mask(
            table.loc[frame.columns, "open_min"], table.loc[frame.columns, "close_min"], times
        )
    else:
        is_open = np.ones(frame.shape, dtype=bool)
    counted = in_day[:, None] & is_open
    values = frame.to_numpy(dtype=float)
    season = np.array([SEASON_OF_MONTH[m] for m in times.month])
    if isinstance(neutral_band_c, Mapping):
        neutral = np.zeros(values.shape, dtype=bool)
        for name in (str(s) for s in np.unique(season)):
            if name not in neutral_band_c:
                raise KPIError(
                    f"the neutral band per season has no entry for {name!r}; give all of "
                    f"{sorted(set(SEASON_OF_MONTH.values()))}."
                )
            rows = season == name
            neutral[rows] = in_neutral_band(values[rows], neutral_band_c[name])
    else:
        neutral = in_neutral_band(values, neutral_band_c)
    has_value = ~np.isnan(values)

    out = []
    years = times.year.to_numpy()
    for year in np.unique(years):
        for period in PERIODS:
            rows = years == year
            if period != "year":
                rows &= season == period
            if not rows.any():
                continue
            c = counted[rows]
            n_open = (c & has_value[rows]).sum(axis=0)
            n_missing = (c & ~has_value[rows]).sum(axis=0)
            n_neutral = (c & neutral[rows]).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(n_open > 0, n_neutral / np.maximum(n_open, 1), np.nan)
            out.append(
                pd.DataFrame(
                    {
                        "year": int(year),
                        "period": period,
                        "place_id": frame.columns,
                        "hours_open": n_open,
                        "hours_missing": n_missing,
                        "hours_neutral": n_neutral,
                        "share_neutral": share,
                    }
                )
            )
    if not out:
        raise KPIError("the UTCI table is empty; build the field for at least one year.")
    return pd.concat(out, ignore_index=True)


def comfortable_places(hours: pd.DataFrame, share: float = 0.6) -> pd.DataFrame:
    """
    Mark places comfortable: at least ``share`` of counted daytime open hours were neutral.

    Parameters
    ----------
    hours
        Output of :func:`place_hours`.
    share
        Required share of neutral hours, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        ``hours`` with a boolean ``comfortable`` column (False when no hour was counted).

    Raises
    ------
    KPIError
        ``share`` not in (0, 1].
    """
    if not 0 < share <= 1:
        raise KPIError(f"share must be in (0, 1]; got {share}. Use e.g. 0.6 for 60 %.")
    out = hours.copy()
    out["comfortable"] = (out["share_neutral"] >= share).fillna(False).astype(bool)
    return out


def places_kpi(status: pd.DataFrame, baseline_year: int, target_ratio: float = 2.0) -> pd.DataFrame:
    """
    Comfortable places per year and period against the fixed baseline year.

    ``ratio = count / baseline_count`` and ``progress = (count − baseline) / ((target − 1) ×
    baseline)``: 0 at the baseline, 1 (100 %) at the target (2× by default). The baseline is
    the named year, stored in every row, never the first year that happens to be loaded.

    Parameters
    ----------
    status
        Output of :func:`comfortable_places`.
    baseline_year
        The plan's baseline year.
    target_ratio
        Target multiple of the baseline count.

    Returns
    -------
    pandas.DataFrame
        Rows per (``year``, ``period``): ``places``, ``comfortable``, ``baseline_year``,
        ``baseline_comfortable``, ``ratio``, ``target_ratio``, ``progress``; ``ratio`` and
        ``progress`` are NaN when the baseline count is 0. ``attrs["baseline_year"]`` is set.

    Raises
    ------
    KPIError
        The baseline year is not in ``status``.
    """
    if baseline_year not in set(status["year"]):
        raise KPIError(
            f"the baseline year {baseline_year} is not in the data (years "
            f"{sorted(set(status['year']))}); build its field first "
            f"(`kaiteki comfort build --year {baseline_year}`)."
        )
    counts = (
        status.groupby(["year", "period"], sort=False)
        .agg(places=("place_id", "nunique"), comfortable=("comfortable", "sum"))
        .reset_index()
    )
    base = counts[counts["year"] == baseline_year].set_index("period")["comfortable"]
    counts["baseline_year"] = baseline_year
    counts["baseline_comfortable"] = counts["period"].map(base).astype("float")
    b = counts["baseline_comfortable"]
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["ratio"] = np.where(b > 0, counts["comfortable"] / b.where(b > 0), np.nan)
        counts["progress"] = np.where(
            b > 0, (counts["comfortable"] - b) / ((target_ratio - 1.0) * b.where(b > 0)), np.nan
        )
    counts["target_ratio"] = target_ratio
    order = {p: i for i, p in enumerate(PERIODS)}
    counts = counts.sort_values(["year", "period"], key=lambda s: s.map(order) if s.name ==
                                "period" else s).reset_index(drop=True)  # fmt: skip
    counts.attrs["baseline_year"] = baseline_year
    return counts


def comfortable_places_kpi(
    utci: xr.Dataset | xr.DataArray | pd.DataFrame,
    places: pd.DataFrame | None,
    baseline_year: int,
    *,
    share: float = 0.6,
    daytime_hours: tuple[int, int] = (10, 18),
    neutral_band_c: tuple[float, float] | Mapping[str, tuple[float, float]] = TEXTBOOK_BAND_C,
    target_ratio: float = 2.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    The whole places KPI in one call: per-place status and the KPI table.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        :func:`comfortable_places` and :func:`places_kpi` outputs.
    """
    hours = place_hours(utci, places, daytime_hours=daytime_hours, neutral_band_c=neutral_band_c)
    status = comfortable_places(hours, share)
    return status, places_kpi(status, baseline_year, target_ratio)


def scenario_gains(
    place_conditions: xr.Dataset,
    places: pd.DataFrame | None,
    year: int,
    *,
    wind_height_m: float = 1.5,
) -> list[dict[str, Any]]:
    """
    Comfortable places of ``year`` if each intervention of :data:`comfort.scenarios.INTERVENTIONS`
    were added at every place where it applies. Places are independent in the KPI, so this is
    also the gain of adding it at each place on its own.

    Parameters
    ----------
    place_conditions
        Hourly place conditions, dims (time, place): ``utci_c`` and
        :data:`comfort.scenarios.CONDITION_COLUMNS`.
    places
        The places layer (opening hours), as for :func:`place_hours`.
    year
        The year of the field (its own reference for the per-place status).
    wind_height_m
        Height (m) of the wind speed in ``place_conditions``.

    Returns
    -------
    list of dict
        Per intervention: ``intervention``, ``comfortable_now``, ``comfortable_with`` and
        ``places_gained`` (ids).
    """
    from comfort import scenarios

    cols = list(scenarios.CONDITION_COLUMNS)
    pf = place_conditions[[*cols, "utci_c"]].compute()
    times = pd.DatetimeIndex(pf["time"].to_numpy())
    ids = [str(p) for p in pf["place"].to_numpy()]

    def comfortable(utci_by_place: pd.DataFrame) -> set[str]:
        status, _ = comfortable_places_kpi(utci_by_place, places, year)
        st = status[(status["period"] == "year") & (status["year"] == year)]
        return set(st.loc[st["comfortable"], "place_id"])

    now_ok = comfortable(pd.DataFrame(pf["utci_c"].to_numpy(), index=times, columns=ids))
    out = []
    for key in scenarios.INTERVENTIONS:
        changed = {}
        for pid in ids:
            cond = pd.DataFrame({c: pf[c].sel(place=pid).to_numpy() for c in cols}, index=times)
            after = scenarios.apply_scenario(cond, key, wind_height_m=wind_height_m)
            changed[pid] = after["utci_c"].to_numpy()
        with_ok = comfortable(pd.DataFrame(changed, index=times))
        out.append(
            {
                "intervention": key,
                "comfortable_now": len(now_ok),
                "comfortable_with": len(with_ok),
                "places_gained": sorted(with_ok - now_ok),
            }
        )
    return out


def pleasant_street_share(segments: pd.DataFrame, edge_ids: Any, utci_c: Any) -> float:
    """
    Share (%) of the street length with a UTCI in the neutral band (no thermal stress), among
    the street segments with a value.

    Parameters
    ----------
    segments
        Segment table indexed by segment id, with ``kind`` and ``length_m`` (m).
    edge_ids, utci_c
        Segment ids and their UTCI (°C).

    Examples
    --------
    >>> seg = pd.DataFrame({"kind": ["street", "street", "underground"],
    ...                     "length_m": [100.0, 300.0, 50.0]}, index=[1, 2, 3])
    >>> pleasant_street_share(seg, [1, 2, 3], [20.0, 35.0, 20.0])
    25.0
    """
    lookup = dict(zip(np.asarray(edge_ids).tolist(), np.asarray(utci_c).tolist(), strict=True))
    street = segments[segments["kind"] == "street"]
    u = np.array([lookup.get(int(s), np.nan) for s in street.index], dtype=np.float64)
    ok = np.isfinite(u)
    if not ok.any():
        return 0.0
    length = street["length_m"].to_numpy(dtype=np.float64)
    good = ok & in_neutral_band(u)
    return round(100.0 * float(length[good].sum() / length[ok].sum()), 1)


# --------------------------------------------------------------------------------------------
# Content views (the steps KPI moved to comfort.steps; steps_kpi stays importable from here)
# --------------------------------------------------------------------------------------------


def views_kpi(
    daily_views: pd.DataFrame | pd.Series,
    start_year: int,
    targets: tuple[float, float] = (2.0, 4.0),
) -> pd.DataFrame:
    """
    Views of the walking content per year against the start year.

    Compares **mean daily views** (total views / days with a count), so a year that is only
    partly recorded is not penalised; ``days`` and ``views`` are reported beside it.

    Parameters
    ----------
    daily_views
        Series indexed by date, or DataFrame with ``date`` and ``views``.
    start_year
        The plan's start year.
    targets
        Target ratios (2023, 2030).

    Returns
    -------
    pandas.DataFrame
        Rows per year: ``days``, ``views``, ``mean_daily_views``, ``ratio``, ``target_2023``,
        ``target_2030``, ``progress_2030`` (share of the way from 1× to the 2030 target).

    Raises
    ------
    KPIError
        The start year has no views or the input lacks columns.
    """
    if isinstance(daily_views, pd.Series):
        s = daily_views.copy()
        s.index = pd.to_datetime(s.index)
    else:
        if not {"date", "views"} <= set(daily_views.columns):
            raise KPIError(
                f"daily views need the columns date and views; got {list(daily_views.columns)}."
            )
        s = pd.Series(
            pd.to_numeric(daily_views["views"], errors="coerce").to_numpy(),
            index=pd.to_datetime(daily_views["date"]),
        )
    s = s.dropna()
    by_year = s.groupby(s.index.year).agg(days="count", views="sum")
    if start_year not in by_year.index or by_year.loc[start_year, "views"] <= 0:
        raise KPIError(
            f"no content views in the start year {start_year} (years with data: "
            f"{sorted(by_year.index.tolist())}); the ratio needs the start year's counts."
        )
    by_year["mean_daily_views"] = by_year["views"] / by_year["days"]
    base = by_year.loc[start_year, "mean_daily_views"]
    by_year["ratio"] = by_year["mean_daily_views"] / base
    by_year["start_year"] = start_year
    by_year["target_2023"] = targets[0]
    by_year["target_2030"] = targets[1]
    by_year["progress_2030"] = (by_year["ratio"] - 1.0) / (targets[1] - 1.0)
    out = by_year.reset_index(names="year")
    out.attrs["start_year"] = start_year
    return out
