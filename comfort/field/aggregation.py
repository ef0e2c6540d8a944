"""
Views and aggregations of a field Dataset: its edge and place parts, daytime hours, means by
season and hour of day, and means over census blocks (docs/FIELD.md, "Aggregations").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import xarray as xr

from comfort.errors import FieldInputError
from comfort.field.config import SEASONS, require_columns
from comfort.field.targets import _segment_frame


def place_field(ds: xr.Dataset) -> xr.Dataset:
    """
    The place part of a field Dataset, dims ``(time, place)``, with plain variable names.

    Examples
    --------
    >>> ds = xr.Dataset({"utci_c": (("time", "edge"), [[1.0]]),
    ...                  "place_utci_c": (("time", "place"), [[2.0]])},
    ...                 coords={"place": ["p1"], "edge": [0]})
    >>> float(place_field(ds)["utci_c"].squeeze())
    2.0
    """
    names = [n for n in ds.data_vars if str(n).startswith("place_")]
    out = ds[names].rename({n: str(n)[len("place_") :] for n in names})
    drop = [c for c in out.coords if "edge" in out[c].dims]
    return out.drop_vars(drop)


def edge_field(ds: xr.Dataset) -> xr.Dataset:
    """The edge part of a field Dataset, dims ``(time, edge)``."""
    names = [n for n in ds.data_vars if "edge" in ds[n].dims]
    out = ds[names]
    drop = [c for c in out.coords if "place" in out[c].dims]
    return out.drop_vars(drop)


def season_of(times: Any) -> npt.NDArray[np.str_]:
    """
    Meteorological season of each time: ``DJF``, ``MAM``, ``JJA`` or ``SON``.

    Examples
    --------
    >>> season_of(pd.to_datetime(["2022-01-15", "2022-07-01", "2022-12-01"])).tolist()
    ['DJF', 'JJA', 'DJF']
    """
    month = pd.DatetimeIndex(times).month.to_numpy()
    return np.asarray(SEASONS, dtype=object)[(month % 12) // 3].astype(str)


def _with_season_hour(ds: xr.Dataset) -> xr.Dataset:
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    return ds.assign_coords(season=("time", season_of(times)), hour=("time", times.hour.to_numpy()))


def daytime(ds: xr.Dataset, hours: tuple[int, int] = (10, 18)) -> xr.Dataset:
    """
    The hours of the day from ``hours[0]`` (inclusive) to ``hours[1]`` (exclusive), local time.

    With the default (10, 18) the hours starting 10:00 … 17:00 are kept, i.e. 10:00–18:00.
    """
    start, end = hours
    if not (0 <= start < end <= 24):
        raise FieldInputError(
            f"daytime hours must satisfy 0 <= start < end <= 24; got {hours}. "
            "Pass e.g. (10, 18) for 10:00–18:00."
        )
    hour = pd.DatetimeIndex(ds["time"].to_numpy()).hour.to_numpy()
    return ds.isel(time=np.flatnonzero((hour >= start) & (hour < end)))


def by_season_hour(ds: xr.Dataset, variables: Sequence[str] | None = None) -> xr.Dataset:
    """
    Mean by season × hour of day: dims ``(season, hour, edge|place)``.

    Works lazily on a dask-backed Dataset (call ``.compute()`` on the result).
    """
    names = list(variables) if variables else _float_vars(ds)
    sub = _with_season_hour(ds[names])
    key = (
        np.array([SEASONS.index(s) for s in sub["season"].to_numpy()]) * 24 + sub["hour"].to_numpy()
    )
    sub = sub.drop_vars(["season", "hour"]).assign_coords(season_hour=("time", key))
    mean = sub.groupby("season_hour").mean("time")
    present = mean["season_hour"].to_numpy()
    mean = mean.reindex(season_hour=np.arange(len(SEASONS) * 24))
    idx = pd.MultiIndex.from_product([list(SEASONS), range(24)], names=["season", "hour"])
    mean = mean.assign_coords(xr.Coordinates.from_pandas_multiindex(idx, "season_hour")).unstack(
        "season_hour"
    )
    mean.attrs.update(ds.attrs)
    mean.attrs["aggregation"] = f"mean by season and hour of day; {len(present)} cells with data"
    return mean


def by_season(
    ds: xr.Dataset,
    variables: Sequence[str] | None = None,
    hours: tuple[int, int] | None = (10, 18),
) -> xr.Dataset:
    """
    Mean by season, over daytime hours only (``hours``; None for all hours): dims
    ``(season, edge|place)``.
    """
    names = list(variables) if variables else _float_vars(ds)
    sub = ds[names] if hours is None else daytime(ds[names], hours)
    sub = _with_season_hour(sub)
    mean = sub.groupby("season").mean("time").reindex(season=list(SEASONS))
    mean.attrs.update(ds.attrs)
    mean.attrs["aggregation"] = "mean by season" + (
        "" if hours is None else f", hours {hours[0]}:00–{hours[1]}:00"
    )
    return mean


def _float_vars(ds: xr.Dataset) -> list[str]:
    return [str(n) for n in ds.data_vars if np.issubdtype(ds[n].dtype, np.floating)]


def segment_blocks(
    segments: pd.DataFrame, blocks: pd.DataFrame, tol_m: float = 3.0, name: str = "name_en"
) -> pd.DataFrame:
    """
    Which census blocks each segment belongs to: those whose outline lies within ``tol_m`` of
    the segment midpoint.

    Street centrelines are the shared edges of blocks, so a street segment's midpoint lies on
    the boundary between two blocks and belongs to both (a segment inside a block belongs to
    that one). Segments farther than ``tol_m`` from every block (outside the area) are not
    listed.

    Parameters
    ----------
    segments
        Segment table with ``segment_id``, ``mid_x``, ``mid_y`` (m) and ``level``.
    blocks
        Census blocks (:func:`sensors.area.load_blocks`) in the same projected CRS.
    tol_m
        Distance (m) from a block outline within which a midpoint belongs to it.
    name
        Column of ``blocks`` naming each block.

    Returns
    -------
    pandas.DataFrame
        ``segment_id``, ``block`` (many-to-many).
    """
    require_columns(
        blocks, [name, "geometry"], "the census blocks", "Use sensors.area.load_blocks."
    )
    segments = _segment_frame(segments)
    mids = shapely.points(segments["mid_x"].to_numpy(float), segments["mid_y"].to_numpy(float))
    geoms = np.asarray(blocks["geometry"].to_numpy(), dtype=object)
    tree = shapely.STRtree(geoms)
    pair = tree.query(mids, predicate="dwithin", distance=tol_m)
    return pd.DataFrame(
        {
            "segment_id": segments["segment_id"].to_numpy()[pair[0]],
            "block": blocks[name].to_numpy()[pair[1]],
        }
    ).drop_duplicates()


def by_block(
    ds: xr.Dataset, membership: pd.DataFrame, variables: Sequence[str] | None = None
) -> xr.Dataset:
    """
    Mean over the segments of each census block: dims ``(..., block)`` instead of ``edge``.

    Works lazily on a dask-backed Dataset; edges with NaN at a time are left out of that
    block's mean.

    Parameters
    ----------
    ds
        Field (or an aggregation of it) with an ``edge`` dimension.
    membership
        ``segment_id``, ``block`` pairs from :func:`segment_blocks`.
    variables
        Variables to aggregate (default: every float variable on ``edge``).
    """
    names = list(variables) if variables else [n for n in _float_vars(ds) if "edge" in ds[n].dims]
    edge_ids = ds["edge"].to_numpy()
    m = membership[membership["segment_id"].isin(edge_ids)]
    blocks = pd.Index(sorted(m["block"].unique()))
    W = np.zeros((len(blocks), len(edge_ids)))
    W[blocks.get_indexer(m["block"]), pd.Index(edge_ids).get_indexer(m["segment_id"])] = 1.0
    Wda = xr.DataArray(W, dims=("block", "edge"), coords={"block": blocks.to_numpy()})
    out = {}
    for n in names:
        da = ds[n]
        present = da.notnull()
        total = xr.dot(da.fillna(0.0), Wda, dim="edge")
        count = xr.dot(present.astype(float), Wda, dim="edge")
        out[n] = (total / count.where(count > 0)).assign_attrs(da.attrs)
    res = xr.Dataset(out)
    res.attrs.update(ds.attrs)
    res.attrs["aggregation"] = "mean over the segments bordering each census block"
    return res
