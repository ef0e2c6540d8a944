"""
Turn-by-turn instructions of a route: consecutive edges of one street (or one walkway) become a
leg, and the change of bearing where two legs meet becomes the turn (docs/ROUTING.md).

Pure: coordinates in a metric CRS (x east, y north) in, a list of :class:`Turn` out. Words are
the caller's (``api.i18n`` turns the actions into sentences).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "TURN_ACTIONS",
    "Turn",
    "bearing_deg",
    "end_bearings",
    "turn_action",
    "turn_list",
    "turns_from_bearings",
]

#: Every action a :class:`Turn` can carry, in the order a route meets them.
TURN_ACTIONS = (
    "depart",
    "straight",
    "slight_left",
    "left",
    "sharp_left",
    "slight_right",
    "right",
    "sharp_right",
    "uturn",
    "enter_walkway",
    "leave_walkway",
    "arrive",
)

#: Edge kinds walked indoors: a walkway and the stairs that lead to it.
INDOOR_KINDS = frozenset({"underground", "exit"})


@dataclass(frozen=True)
class Turn:
    """
    One instruction: what to do where a leg starts, and the leg walked after it.

    Attributes
    ----------
    action
        One of :data:`TURN_ACTIONS`.
    name_ja, name_en
        Name of the street or walkway of the leg ("" when unnamed).
    length_m
        Length of the leg (m); 0 for ``arrive``.
    angle_deg
        Change of bearing at the start of the leg (degrees, + to the right, −180..180).
    indoor
        Whether the leg is in a walkway (underground or its stairs).
    """

    action: str
    name_ja: str
    name_en: str
    length_m: float
    angle_deg: float
    indoor: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready instruction."""
        return {
            "action": self.action,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
            "length_m": round(self.length_m, 1),
            "angle_deg": round(self.angle_deg, 1),
            "indoor": self.indoor,
        }


def bearing_deg(x0: float, y0: float, x1: float, y1: float) -> float:
    """
    Compass bearing (degrees clockwise from north, 0..360) from one point to another.

    Examples
    --------
    >>> bearing_deg(0, 0, 0, 1), bearing_deg(0, 0, 1, 0), bearing_deg(0, 0, -1, 0)
    (0.0, 90.0, 270.0)
    """
    return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0


def turn_action(angle_deg: float) -> str:
    """
    The action of a change of bearing (degrees, + to the right).

    Examples
    --------
    >>> [turn_action(a) for a in (5, -30, 90, -100, 150, 178)]
    ['straight', 'slight_left', 'right', 'left', 'sharp_right', 'uturn']
    """
    a = abs(angle_deg)
    side = "right" if angle_deg > 0 else "left"
    if a < 20:
        return "straight"
    if a < 45:
        return f"slight_{side}"
    if a < 135:
        return side
    if a < 170:
        return f"sharp_{side}"
    return "uturn"


def end_bearings(
    coords: npt.ArrayLike, coord_ptr: npt.ArrayLike, tail_m: float = 15.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """
    Bearing (degrees) of the first and of the last ``tail_m`` metres of many polylines.

    The first bearing points from a polyline's first vertex to its first vertex at least
    ``tail_m`` away (else to its last); the last bearing points into the last vertex from its
    last vertex at least ``tail_m`` before it (else from its first).

    Parameters
    ----------
    coords
        Every polyline's vertices one after another, ``(n, 2)`` x/y in a metric CRS (m).
    coord_ptr
        Polyline ``i`` is ``coords[coord_ptr[i]:coord_ptr[i + 1]]`` (at least 2 vertices each).
    tail_m
        Length (m) over which the bearing of an end is measured.

    Returns
    -------
    start_deg, end_deg
        One bearing per polyline (clockwise from north, 0..360).

    Examples
    --------
    >>> s, e = end_bearings([[0, 0], [0, 5], [20, 5], [20, 0], [0, 0]], [0, 3, 5])
    >>> [round(float(x), 1) for x in s], [round(float(x), 1) for x in e]
    ([76.0, 270.0], [90.0, 270.0])
    """
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    ptr = np.asarray(coord_ptr, dtype=np.intp)
    first, last = ptr[:-1], ptr[1:] - 1
    if np.any(last <= first):
        raise ValueError("every polyline needs at least 2 vertices (coord_ptr steps of >= 2)")
    owner = np.repeat(np.arange(len(first)), ptr[1:] - ptr[:-1])
    pos = np.arange(len(xy))
    far_from_first = np.hypot(*(xy - xy[first[owner]]).T) >= tail_m
    far_from_last = np.hypot(*(xy - xy[last[owner]]).T) >= tail_m
    # the first far vertex after the start (else the last), the last far one before the end
    ahead = np.minimum.reduceat(
        np.where(far_from_first & (pos > first[owner]), pos, len(xy)), first
    )
    ahead = np.where(ahead == len(xy), last, ahead)
    behind = np.maximum.reduceat(np.where(far_from_last & (pos < last[owner]), pos, -1), first)
    behind = np.where(behind < 0, first, behind)
    d_start = xy[ahead] - xy[first]
    d_back = xy[behind] - xy[last]  # looking back from the end, then turned round
    start = np.degrees(np.arctan2(d_start[:, 0], d_start[:, 1])) % 360.0
    end = (np.degrees(np.arctan2(d_back[:, 0], d_back[:, 1])) % 360.0 + 180.0) % 360.0
    return start, end


def turn_list(
    coords: Sequence[npt.ArrayLike],
    names_ja: Sequence[str],
    names_en: Sequence[str],
    kinds: Sequence[str],
    lengths_m: Sequence[float],
    *,
    tail_m: float = 15.0,
) -> list[Turn]:
    """
    The instructions of a path given edge by edge.

    Parameters
    ----------
    coords
        Each edge's vertices in walking order, ``(n, 2)`` x/y in a metric CRS (m).
    names_ja, names_en
        Each edge's street or walkway name ("" when unnamed).
    kinds
        Each edge's kind (``street``, ``underground``, ``exit``...).
    lengths_m
        Each edge's length (m).
    tail_m
        Length (m) over which a leg's bearing is measured at its ends, so that a kink at a
        corner does not read as a turn.

    Returns
    -------
    list of Turn
        ``depart`` first, ``arrive`` last; empty for a path with no edges.

    Raises
    ------
    ValueError
        The per-edge sequences differ in length.

    Examples
    --------
    >>> east = [[0, 0], [100, 0]]
    >>> north = [[100, 0], [100, 80]]
    >>> [t.action for t in turn_list([east, north], ["A", "B"], ["A", "B"], ["street"] * 2, [100, 80])]
    ['depart', 'left', 'arrive']
    """
    n = len(coords)
    if not (len(names_ja) == len(names_en) == len(kinds) == len(lengths_m) == n):
        raise ValueError(
            "coords, names_ja, names_en, kinds and lengths_m must have one entry per edge; got "
            f"{n}, {len(names_ja)}, {len(names_en)}, {len(kinds)} and {len(lengths_m)}"
        )
    if n == 0:
        return []
    xy = [np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in coords]
    ptr = np.concatenate([[0], np.cumsum([len(c) for c in xy])])
    start, end = end_bearings(np.concatenate(xy), ptr, tail_m)
    return turns_from_bearings(start, end, names_ja, names_en, kinds, lengths_m)


def turns_from_bearings(
    start_deg: Sequence[float] | npt.NDArray[np.float64],
    end_deg: Sequence[float] | npt.NDArray[np.float64],
    names_ja: Sequence[str],
    names_en: Sequence[str],
    kinds: Sequence[str],
    lengths_m: Sequence[float],
) -> list[Turn]:
    """
    :func:`turn_list` given each edge's end bearings (:func:`end_bearings`) instead of its
    vertices: a caller that routes many times on one graph computes them once per graph.
    """
    legs: list[dict[str, Any]] = []
    for start, end, ja, en, kind, length in zip(
        start_deg, end_deg, names_ja, names_en, kinds, lengths_m, strict=True
    ):
        indoor = kind in INDOOR_KINDS
        key = (ja or en, indoor)
        start, end = float(start), float(end)
        if legs and legs[-1]["key"] == key:
            legs[-1]["length_m"] += float(length)
            legs[-1]["end"] = end
            continue
        legs.append(
            {
                "key": key,
                "ja": ja,
                "en": en,
                "indoor": indoor,
                "length_m": float(length),
                "start": start,
                "end": end,
            }
        )
    turns: list[Turn] = []
    for i, leg in enumerate(legs):
        if i == 0:
            action, angle = "depart", 0.0
        else:
            prev = legs[i - 1]
            angle = (leg["start"] - prev["end"] + 540.0) % 360.0 - 180.0
            if leg["indoor"] and not prev["indoor"]:
                action = "enter_walkway"
            elif prev["indoor"] and not leg["indoor"]:
                action = "leave_walkway"
            else:
                action = turn_action(angle)
        turns.append(Turn(action, leg["ja"], leg["en"], leg["length_m"], angle, leg["indoor"]))
    if legs:
        last = legs[-1]
        turns.append(Turn("arrive", last["ja"], last["en"], 0.0, 0.0, last["indoor"]))
    return turns
