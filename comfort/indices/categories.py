"""
UTCI stress categories, the neutral ("no thermal stress") band and the comfort score
(docs/INDICES.md, "Categories" and "Comfort score").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from comfort.errors import InputRangeError


@dataclass(frozen=True)
class UTCICategory:
    """One UTCI stress category: code, bounds (°C, ``lower < UTCI <= upper``), labels, colour."""

    code: int
    key: str
    name_en: str
    name_ja: str
    lower_c: float
    upper_c: float
    colour: str


#: The 10 UTCI assessment categories (Bröde et al. 2012), coldest first. A category holds
#: ``lower_c < UTCI <= upper_c``: the upper bound is inclusive, as in pythermalcomfort, so
#: 26.0 is "no thermal stress" and 9.0 is "slight cold stress". Colours follow the usual UTCI
#: chart (blues for cold, green for neutral, yellow-to-dark-red for heat).
UTCI_CATEGORIES: tuple[UTCICategory, ...] = (
    UTCICategory(0, "extreme_cold", "extreme cold stress", "極度の寒冷ストレス",
                 -np.inf, -40.0, "#08306b"),
    UTCICategory(1, "very_strong_cold", "very strong cold stress", "非常に強い寒冷ストレス",
                 -40.0, -27.0, "#08519c"),
    UTCICategory(2, "strong_cold", "strong cold stress", "強い寒冷ストレス",
                 -27.0, -13.0, "#2171b5"),
    UTCICategory(3, "moderate_cold", "moderate cold stress", "中程度の寒冷ストレス",
                 -13.0, 0.0, "#4292c6"),
    UTCICategory(4, "slight_cold", "slight cold stress", "弱い寒冷ストレス",
                 0.0, 9.0, "#9ecae1"),
    UTCICategory(5, "no_stress", "no thermal stress", "熱ストレスなし",
                 9.0, 26.0, "#41ab5d"),
    UTCICategory(6, "moderate_heat", "moderate heat stress", "中程度の暑熱ストレス",
                 26.0, 32.0, "#fed976"),
    UTCICategory(7, "strong_heat", "strong heat stress", "強い暑熱ストレス",
                 32.0, 38.0, "#fd8d3c"),
    UTCICategory(8, "very_strong_heat", "very strong heat stress", "非常に強い暑熱ストレス",
                 38.0, 46.0, "#e31a1c"),
    UTCICategory(9, "extreme_heat", "extreme heat stress", "極度の暑熱ストレス",
                 46.0, np.inf, "#800026"),
)  # fmt: skip

#: Code of "no thermal stress".
NO_STRESS_CODE = 5
#: Category code given to NaN UTCI.
MISSING_CODE = -1
_UPPER_EDGES = np.array([c.upper_c for c in UTCI_CATEGORIES[:-1]])


def utci_category(utci_c: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """
    UTCI stress category code (0 extreme cold … 5 no thermal stress … 9 extreme heat).

    Upper bounds are inclusive (``lower < UTCI <= upper``); see :data:`UTCI_CATEGORIES` for
    labels and colours. NaN gives ``-1``.

    Parameters
    ----------
    utci_c
        UTCI (°C).

    Returns
    -------
    numpy.ndarray of int8
        Category codes.

    Examples
    --------
    >>> utci_category([-45.0, -40.0, 9.0, 9.01, 26.0, 26.01, 50.0, float("nan")]).tolist()
    [0, 0, 4, 5, 5, 6, 9, -1]
    """
    u = np.asarray(utci_c, dtype=np.float64)
    codes = np.searchsorted(_UPPER_EDGES, u, side="left").astype(np.int8)
    return np.asarray(np.where(np.isnan(u), MISSING_CODE, codes), dtype=np.int8)


#: UTCI band of "no thermal stress" (°C), the textbook comfort band (Bröde et al. 2012).
TEXTBOOK_BAND_C: tuple[float, float] = (9.0, 26.0)


def in_neutral_band(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.bool_]:
    """
    Whether UTCI lies in the neutral band ``lower < UTCI <= upper`` ("no thermal stress").

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the band (°C); the textbook 9–26 °C or a locally calibrated band.

    Returns
    -------
    numpy.ndarray of bool
        False for NaN.

    Examples
    --------
    >>> in_neutral_band([9.0, 9.5, 26.0, 26.5]).tolist()
    [False, True, True, False]
    """
    lo, hi = neutral_band_c
    u = np.asarray(utci_c, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray((u > lo) & (u <= hi), dtype=np.bool_)


# Nodes of the comfort mapping relative to the textbook band: (UTCI °C, score).
_COLD_NODES = ((-50.0, 0.0), (-40.0, 0.2), (-27.0, 0.4), (-13.0, 0.6), (0.0, 0.8), (9.0, 1.0))
_HEAT_NODES = ((26.0, 1.0), (32.0, 0.6), (38.0, 0.4), (46.0, 0.2), (56.0, 0.0))


def comfort_score(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.float64]:
    """
    Comfort score in 0..1 from UTCI: 1 in the neutral band, lower with each stress category.

    Piecewise linear through nodes on the category bounds (:data:`_COLD_NODES`,
    :data:`_HEAT_NODES`), 0 beyond them; a calibrated ``neutral_band_c`` shifts the cold nodes
    by ``lower − 9`` and the heat nodes by ``upper − 26``. Nodes: docs/INDICES.md, "Comfort
    score".

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the neutral band (°C).

    Returns
    -------
    numpy.ndarray
        Score in [0, 1]; NaN where UTCI is NaN.

    Examples
    --------
    >>> comfort_score([-60.0, 0.0, 15.0, 29.0, 60.0]).round(2).tolist()
    [0.0, 0.8, 1.0, 0.8, 0.0]
    """
    lo, hi = neutral_band_c
    if not lo < hi:
        raise InputRangeError(
            f"neutral_band_c must be (lower, upper) with lower < upper; got {neutral_band_c}."
        )
    xs = [x + (lo - 9.0) for x, _ in _COLD_NODES] + [x + (hi - 26.0) for x, _ in _HEAT_NODES]
    ys = [y for _, y in _COLD_NODES] + [y for _, y in _HEAT_NODES]
    u = np.asarray(utci_c, dtype=np.float64)
    score = np.interp(u, xs, ys, left=0.0, right=0.0)
    return np.asarray(np.where(np.isnan(u), np.nan, score), dtype=np.float64)


def discomfort_score(
    utci_c: npt.ArrayLike, neutral_band_c: tuple[float, float] = TEXTBOOK_BAND_C
) -> npt.NDArray[np.float64]:
    """
    Discomfort ``1 − comfort_score`` (0 in the neutral band, 1 in extreme stress).

    Parameters
    ----------
    utci_c
        UTCI (°C).
    neutral_band_c
        (lower, upper) of the neutral band (°C).

    Returns
    -------
    numpy.ndarray
        Discomfort in [0, 1].

    Examples
    --------
    >>> discomfort_score([15.0, 35.0]).round(2).tolist()
    [0.0, 0.5]
    """
    return 1.0 - comfort_score(utci_c, neutral_band_c)
