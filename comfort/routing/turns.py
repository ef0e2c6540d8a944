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

__all__ = ["TURN_ACTIONS", "Turn", "bearing_deg", "turn_action", "turn_list"]

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


def _end_bearings(xy: npt.NDArray[np.float64], tail_m: float) -> tuple[float, float]:
    """Bearing of a polyline's first and last ``tail_m`` metres."""

    def along(points: npt.NDArray[np.float64]) -> float:
        start = points[0]
        for p in points[1:]:
            if math.hypot(*(p - start)) >= tail_m:
                return bearing_deg(*start, *p)
        return bearing_deg(*start, *points[-1])

    first = along(xy)
    last_rev = along(xy[::-1])
    return first, (last_rev + 180.0) % 360.0


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
    legs: list[dict[str, Any]] = []
    for xy_in, ja, en, kind, length in zip(
        coords, names_ja, names_en, kinds, lengths_m, strict=True
    ):
        xy = np.asarray(xy_in, dtype=np.float64)
        indoor = kind in INDOOR_KINDS
        key = (ja or en, indoor)
        start, end = _end_bearings(xy, tail_m)
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
