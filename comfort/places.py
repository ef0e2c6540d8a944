"""
Public places where people spend time: the schema of the places layer and opening hours.

Pure logic on DataFrames; reading the GeoJSON lives in :mod:`sensors.places`. A place has an id,
Japanese and English names, a type, an indoor flag, a level (0 street, −1 underground) and
opening hours in minutes after midnight (``close_min`` may exceed 1440 for places that close
after midnight; outdoor places are open 0–1440).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.errors import PlacesError

#: Columns every places layer carries (besides geometry).
PLACE_COLUMNS = (
    "place_id",
    "name_ja",
    "name_en",
    "type",
    "indoor",
    "level",
    "open_min",
    "close_min",
    "source",
)

#: Place types of the embedded layer (others are accepted).
KNOWN_TYPES = ("park", "plaza", "underground_plaza", "underground_mall", "arcade", "garden")


def check_places(places: pd.DataFrame, where: str = "the places layer") -> None:
    """
    Check a places table against the schema; raise on the first problem.

    Parameters
    ----------
    places
        DataFrame or GeoDataFrame with :data:`PLACE_COLUMNS`.
    where
        Name of the source, for messages.

    Raises
    ------
    PlacesError
        A column is missing, an id is empty or repeated, ``indoor`` is not boolean, ``level``
        is not an integer, or the opening hours are not ``0 <= open_min < close_min <= 2880``
        with at most 24 hours open.

    Examples
    --------
    >>> df = pd.DataFrame({"place_id": ["a"], "name_ja": ["あ"], "name_en": ["A"],
    ...     "type": ["park"], "indoor": [False], "level": [0], "open_min": [0],
    ...     "close_min": [1440], "source": ["test"]})
    >>> check_places(df)
    """
    missing = [c for c in PLACE_COLUMNS if c not in places.columns]
    if missing:
        raise PlacesError(
            f"{where} lacks the columns {missing}; a place needs {list(PLACE_COLUMNS)} "
            "(see docs/PLACES.md). Add them to every feature's properties."
        )
    ids = places["place_id"].astype("string")
    if ids.isna().any() or (ids.str.strip() == "").any():
        rows = list(np.flatnonzero((ids.isna() | (ids.str.strip() == "")).to_numpy()))
        raise PlacesError(f"{where}: place_id is empty in rows {rows}; give every place an id.")
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise PlacesError(f"{where}: place_id must be unique; repeated: {dup}. Rename them.")
    indoor = places["indoor"]
    if not all(isinstance(v, bool | np.bool_) for v in indoor):
        bad = [ids.iloc[i] for i, v in enumerate(indoor) if not isinstance(v, bool | np.bool_)]
        raise PlacesError(f"{where}: indoor must be true or false; places {bad} have other values.")
    for col in ("level", "open_min", "close_min"):
        vals = pd.to_numeric(places[col], errors="coerce")
        bad_mask = vals.isna() | (vals != vals.round())
        if bad_mask.any():
            bad = ids[bad_mask.to_numpy()].tolist()
            raise PlacesError(f"{where}: {col} must be an integer; places {bad} have {col} "
                              f"{places.loc[bad_mask, col].tolist()}.")  # fmt: skip
    o = places["open_min"].astype(int).to_numpy()
    c = places["close_min"].astype(int).to_numpy()
    bad_hours = (o < 0) | (o >= 1440) | (c <= o) | (c > 2880) | (c - o > 1440)
    if bad_hours.any():
        i = int(np.flatnonzero(bad_hours)[0])
        raise PlacesError(
            f"{where}: place {ids.iloc[i]} has open_min={o[i]}, close_min={c[i]}; expected "
            "minutes after midnight with 0 <= open_min < 1440, open_min < close_min <= 2880 "
            "and at most 1440 minutes open (close after midnight as e.g. 1470 for 24:30)."
        )


def open_mask(
    open_min: npt.ArrayLike, close_min: npt.ArrayLike, times: Any
) -> npt.NDArray[np.bool_]:
    """
    Whether each place is open at each time, shape ``(time, place)``.

    A place is open at local minute of day ``m`` when ``open_min <= m < close_min``, or, for
    hours past midnight (``close_min > 1440``), when ``m < close_min − 1440``.

    Parameters
    ----------
    open_min, close_min
        Opening and closing minute of each place.
    times
        Timestamps (local time; the clock time of each is used as it is).

    Returns
    -------
    numpy.ndarray of bool
        ``(len(times), n_places)``.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-01-01 00:10", "2022-01-01 04:00", "2022-01-01 12:00"])
    >>> open_mask([300, 0], [1470, 1440], t).tolist()
    [[True, True], [False, True], [True, True]]
    """
    idx = pd.DatetimeIndex(times)
    minute = (idx.hour * 60 + idx.minute).to_numpy()[:, None]
    return is_open(np.asarray(open_min)[None, :], np.asarray(close_min)[None, :], minute)


def is_open(
    open_min: npt.ArrayLike, close_min: npt.ArrayLike, minute: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """
    The opening-hours rule of places and walkways, broadcasting over its arguments.

    Open at minute of day ``m`` when ``open_min <= m < close_min``, or, for a closing after
    midnight (``close_min > 1440``), when ``m + 1440 < close_min``. NaN in ``open_min`` or
    ``close_min`` means always open.

    Examples
    --------
    >>> is_open([300, 300, np.nan], [1470, 1470, np.nan], [10.0, 120.0, 120.0]).tolist()
    [True, False, True]
    """
    o = np.asarray(open_min, dtype=np.float64)
    c = np.asarray(close_min, dtype=np.float64)
    m = np.asarray(minute, dtype=np.float64) % 1440.0
    with np.errstate(invalid="ignore"):
        today = (m >= o) & (m < c)
        after_midnight = (m + 1440.0 >= o) & (m + 1440.0 < c)
    return np.asarray(np.isnan(o) | np.isnan(c) | today | after_midnight, dtype=np.bool_)
