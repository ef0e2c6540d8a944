"""
Public places where people spend time: the schema of the places registry and opening hours.

Pure logic on DataFrames; reading the GeoJSON and the store lives in :mod:`sensors.places` and
:mod:`sensors.registry`. A place has an id, Japanese and English names, a type, a kind
(``outdoor``, ``semi_outdoor`` (roofed, outdoor air) or ``indoor``), a level (0 street,
−1 underground), the months it is meant for, opening hours in minutes after midnight
(``close_min`` may exceed 1440 for places that close after midnight), its features, public
access, the dates it is valid (``valid_from`` inclusive, ``valid_to`` exclusive), a status
(``existing`` or ``planned``), its source and whether position or hours are approximate.
"""

from __future__ import annotations

import datetime as dt
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
KNOWN_TYPES = (
    "park", "plaza", "underground_plaza", "underground_mall", "arcade", "garden", "atrium",
    "concourse",
)  # fmt: skip

#: How a place is judged: outdoor and semi-outdoor with UTCI, indoor with an indoor criterion.
KINDS = ("outdoor", "semi_outdoor", "indoor")

#: Whether a place exists or is a planned project (planned places never count in the KPI).
STATUSES = ("existing", "planned")

#: Features a place may declare (comma-separated in files and the store).
FEATURES = ("shade", "trees", "wind_screen", "heating", "cooling", "seats", "water")

#: Registry columns beyond :data:`PLACE_COLUMNS`, with the default of a layer that lacks them.
REGISTRY_DEFAULTS: dict[str, Any] = {
    "months": "1-12",
    "features": "",
    "public_access": True,
    "valid_from": None,
    "valid_to": None,
    "status": "existing",
    "approximate": False,
}

#: Month numbers of the season names accepted in ``months``.
_SEASON_MONTHS = {
    "winter": (12, 1, 2), "spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11),
}  # fmt: skip


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


def kind_of(type_: str, indoor: bool) -> str:
    """
    The default kind of a place of a layer without ``kind``: indoor places are ``indoor``,
    arcades (roofed streets) ``semi_outdoor``, the rest ``outdoor``.

    Examples
    --------
    >>> kind_of("arcade", False), kind_of("underground_mall", True), kind_of("park", False)
    ('semi_outdoor', 'indoor', 'outdoor')
    """
    if indoor:
        return "indoor"
    return "semi_outdoor" if type_ == "arcade" else "outdoor"


def parse_months(text: Any) -> tuple[int, ...]:
    """
    The months (1–12) a place is meant for, from ``"1-12"``, ``"5-10"``, ``"11-3"`` (across the
    new year), ``"12,1,2"``, season names (``"winter,summer"``) or a list of months.

    Raises
    ------
    PlacesError
        A part is neither a month 1–12, a range of them nor a season name.

    Examples
    --------
    >>> parse_months("11-2")
    (1, 2, 11, 12)
    >>> parse_months("summer, 9")
    (6, 7, 8, 9)
    """
    if isinstance(text, list | tuple | np.ndarray):
        parts = [str(int(m)) for m in text]
    else:
        parts = [p.strip().lower() for p in str(text).split(",") if p.strip()]
    months: set[int] = set()
    for part in parts:
        if part in _SEASON_MONTHS:
            months.update(_SEASON_MONTHS[part])
            continue
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if not (1 <= a <= 12 and 1 <= b <= 12):
                    raise ValueError
                months.update(range(a, b + 1) if a <= b else [*range(a, 13), *range(1, b + 1)])
            else:
                m = int(part)
                if not 1 <= m <= 12:
                    raise ValueError
                months.add(m)
        except ValueError:
            raise PlacesError(
                f"months: {part!r} is not a month 1-12, a range such as 5-10 or 11-3, or a "
                f"season ({', '.join(_SEASON_MONTHS)}); write e.g. months=1-12."
            ) from None
    if not months:
        raise PlacesError("months is empty; give the months the place is meant for, e.g. 1-12.")
    return tuple(sorted(months))


def parse_features(text: Any) -> tuple[str, ...]:
    """
    The declared features, from ``"shade,seats"`` or a list.

    Raises
    ------
    PlacesError
        An unknown feature (not in :data:`FEATURES`).

    Examples
    --------
    >>> parse_features("seats, heating")
    ('heating', 'seats')
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    items = text if isinstance(text, list | tuple) else str(text).split(",")
    out = sorted({str(f).strip().lower() for f in items if str(f).strip()})
    bad = [f for f in out if f not in FEATURES]
    if bad:
        raise PlacesError(f"unknown features {bad}; use some of {list(FEATURES)}.")
    return tuple(out)


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return pd.Timestamp(value).date()


def with_registry_columns(places: pd.DataFrame) -> pd.DataFrame:
    """
    ``places`` with every registry column: missing ones take :data:`REGISTRY_DEFAULTS` and
    ``kind`` follows :func:`kind_of`; dates become ``datetime.date`` (or None), ``months`` and
    ``features`` canonical text.

    Raises
    ------
    PlacesError
        A months, features, date, kind or status value is not valid (naming the place).
    """
    out = places.copy()
    for col, default in REGISTRY_DEFAULTS.items():
        if col not in out.columns:
            out[col] = [default] * len(out)
    if "kind" not in out.columns:
        out["kind"] = [
            kind_of(str(t), bool(i)) for t, i in zip(out["type"], out["indoor"], strict=True)
        ]
    ids = out["place_id"].astype(str).tolist()
    months, features, starts, ends = [], [], [], []
    for i, pid in enumerate(ids):
        try:
            months.append(",".join(str(m) for m in parse_months(out["months"].iloc[i])))
            features.append(",".join(parse_features(out["features"].iloc[i])))
            starts.append(_date(out["valid_from"].iloc[i]))
            ends.append(_date(out["valid_to"].iloc[i]))
        except (PlacesError, ValueError) as exc:
            raise PlacesError(f"place {pid}: {exc}") from None
    out["months"], out["features"] = months, features
    out["valid_from"], out["valid_to"] = starts, ends
    for col in ("public_access", "approximate"):
        out[col] = out[col].fillna(REGISTRY_DEFAULTS[col]).astype(bool)
    return out


def check_registry(places: pd.DataFrame, where: str = "the places registry") -> pd.DataFrame:
    """
    Check a places table against the registry schema and return it with every column
    (:func:`with_registry_columns`).

    Raises
    ------
    PlacesError
        :func:`check_places` fails, or ``kind`` is not one of :data:`KINDS` or disagrees with
        ``indoor``, ``status`` is not one of :data:`STATUSES`, or ``valid_to`` is not after
        ``valid_from``.

    Examples
    --------
    >>> df = pd.DataFrame({"place_id": ["a"], "name_ja": ["あ"], "name_en": ["A"],
    ...     "type": ["arcade"], "indoor": [False], "level": [0], "open_min": [0],
    ...     "close_min": [1440], "source": ["test"]})
    >>> check_registry(df)[["kind", "months", "status"]].iloc[0].tolist()
    ['semi_outdoor', '1,2,3,4,5,6,7,8,9,10,11,12', 'existing']
    """
    check_places(places, where)
    out = with_registry_columns(places)
    for r in out.itertuples(index=False):
        if r.kind not in KINDS:
            raise PlacesError(
                f"{where}: place {r.place_id} has kind {r.kind!r}; use one of {list(KINDS)}."
            )
        if bool(r.indoor) != (r.kind == "indoor"):
            raise PlacesError(
                f"{where}: place {r.place_id} has kind {r.kind!r} but indoor={bool(r.indoor)}; "
                "indoor is true exactly for kind indoor."
            )
        if r.status not in STATUSES:
            raise PlacesError(
                f"{where}: place {r.place_id} has status {r.status!r}; use one of {list(STATUSES)}."
            )
        if r.valid_from is not None and r.valid_to is not None and r.valid_to <= r.valid_from:
            raise PlacesError(
                f"{where}: place {r.place_id} has valid_to {r.valid_to} not after valid_from "
                f"{r.valid_from}; valid_to is the first day it no longer exists."
            )
    return out


def valid_on(
    places: pd.DataFrame, on: Any, *, include_planned: bool = False
) -> npt.NDArray[np.bool_]:
    """
    Which places of a registry exist on the date ``on``: ``valid_from <= on < valid_to``
    (a missing bound is open), status ``existing`` (``planned`` too with ``include_planned``).

    Examples
    --------
    >>> reg = pd.DataFrame({"valid_from": [None, "2022-01-01", None],
    ...                     "valid_to": [None, None, "2022-01-01"],
    ...                     "status": ["existing", "existing", "existing"]})
    >>> valid_on(reg, "2021-12-31").tolist(), valid_on(reg, "2022-01-01").tolist()
    ([True, False, True], [True, True, False])
    """
    day = pd.Timestamp(on).date()
    starts = [_date(v) for v in places["valid_from"]]
    ends = [_date(v) for v in places["valid_to"]]
    ok = np.array(
        [
            (a is None or a <= day) and (b is None or day < b)
            for a, b in zip(starts, ends, strict=True)
        ],
        dtype=bool,
    )
    status = places["status"].astype(str).to_numpy()
    allowed = np.isin(status, ["existing", "planned"] if include_planned else ["existing"])
    return np.asarray(ok & allowed, dtype=np.bool_)


def meant_mask(months: Any, times: Any) -> npt.NDArray[np.bool_]:
    """
    Whether each place is meant to be used at each time (its months), shape ``(time, place)``.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-01-10 12:00", "2022-07-10 12:00"])
    >>> meant_mask(["1-12", "5-10"], t).tolist()
    [[True, False], [True, True]]
    """
    month = pd.DatetimeIndex(times).month.to_numpy()
    cols = [np.isin(month, parse_months(m)) for m in months]
    if not cols:
        return np.zeros((len(month), 0), dtype=np.bool_)
    return np.asarray(np.column_stack(cols), dtype=np.bool_)
