"""
Names of the jō–chōme grid streets, derived from the census blocks on either side of a street.

Sapporo's downtown blocks are numbered from two origins: Odori Park (``jo`` 0; 北N条 to the
north, 南N条 to the south) and the Sōsei River (``chome``: 西N丁目 to the west, 東N丁目 to the
east). The rule (docs/STREET_NAMES.md):

- an east–west street is named after the block on its Odori side: between 北N条 and 北N+1条 it
  is 北N条通 (Kita N-jo-dori), between 南N条 and 南N+1条 南N条通 (Minami N-jo-dori); the two
  streets along Odori Park are 北大通 (Kita-Odori) and 南大通 (Minami-Odori);
- a north–south street is named after the block on its Sōsei River side: between 西N丁目 and
  西N+1丁目 it is 西N丁目線 (Nishi N-chome-sen), between 東N丁目 and 東N+1丁目 東N丁目線;
- named avenues replace the systematic name: 駅前通 (Ekimae-dori, between 西3丁目 and 西4丁目)
  and 創成川通 (Soseigawa-dori, between 西1丁目 and 東1丁目).

A street with blocks on one side only (the edge of the census coverage) takes the side from the
block's centroid; a street touching no gridded block takes the nearest gridded block's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

__all__ = ["AVENUES", "ew_street_name", "ns_street_name", "street_names"]

#: Named avenues by grid line: ("ns", west chōme of the line) or ("ew", southern jō of the line).
AVENUES: dict[tuple[str, int], tuple[str, str]] = {
    ("ns", -4): ("駅前通", "Ekimae-dori"),
    ("ns", -1): ("創成川通", "Soseigawa-dori"),
    ("ew", 0): ("北大通", "Kita-Odori"),
    ("ew", -1): ("南大通", "Minami-Odori"),
}


def ew_street_name(south_jo: int) -> tuple[str, str]:
    """
    Japanese and English name of the east–west street between jō ``south_jo`` and the next jō
    to the north (jō: +north, −south, 0 for Odori).

    Examples
    --------
    >>> ew_street_name(1), ew_street_name(0), ew_street_name(-1), ew_street_name(-5)
    (('北1条通', 'Kita 1-jo-dori'), ('北大通', 'Kita-Odori'), ('南大通', 'Minami-Odori'), ('南4条通', 'Minami 4-jo-dori'))
    """
    if ("ew", south_jo) in AVENUES:
        return AVENUES[("ew", south_jo)]
    if south_jo > 0:
        return f"北{south_jo}条通", f"Kita {south_jo}-jo-dori"
    n = -south_jo - 1
    return f"南{n}条通", f"Minami {n}-jo-dori"


def ns_street_name(west_chome: int) -> tuple[str, str]:
    """
    Japanese and English name of the north–south street between chōme ``west_chome`` and the
    next chōme to the east (chōme: −west, +east; there is no chōme 0).

    Examples
    --------
    >>> ns_street_name(-4), ns_street_name(-1), ns_street_name(-8), ns_street_name(2)
    (('駅前通', 'Ekimae-dori'), ('創成川通', 'Soseigawa-dori'), ('西7丁目線', 'Nishi 7-chome-sen'), ('東2丁目線', 'Higashi 2-chome-sen'))
    """
    if ("ns", west_chome) in AVENUES:
        return AVENUES[("ns", west_chome)]
    if west_chome > 0:
        return f"東{west_chome}丁目線", f"Higashi {west_chome}-chome-sen"
    n = -west_chome - 1
    return f"西{n}丁目線", f"Nishi {n}-chome-sen"


def _prev_chome(c: int) -> int:
    return -1 if c == 1 else c - 1


def _grid_line(line: LineString, jo: int, chome: int, cx: float, cy: float) -> tuple[str, int]:
    """The grid line (axis, index) a street lies on, seen from one adjacent block's centroid."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    mid = line.interpolate(0.5, normalized=True)
    if abs(x1 - x0) >= abs(y1 - y0):  # east–west street: north or south side of the block
        return ("ew", jo) if mid.y > cy else ("ew", jo - 1)
    return ("ns", chome) if mid.x > cx else ("ns", _prev_chome(chome))


def street_names(
    blocks: gpd.GeoDataFrame, lines: Sequence[LineString], touch_m: float = 2.0
) -> list[tuple[str, str]]:
    """
    ``(name_ja, name_en)`` of every street line from the gridded census blocks beside it.

    Parameters
    ----------
    blocks
        :func:`sensors.area.load_blocks` (``jo``, ``chome``, geometry in a metric CRS); blocks
        outside the grid (no ``jo``) are ignored.
    lines
        Street centrelines in the blocks' CRS.
    touch_m
        Distance (m) from a line's midpoint within which a block counts as beside it.

    Returns
    -------
    list of (str, str)
        One pair per line, in order.
    """
    grid = blocks[pd.notna(blocks["jo"])].reset_index(drop=True)
    if grid.empty:
        raise ValueError(
            "no census block has a jō–chōme name (北N条西M丁目); street names need the grid: "
            "check the census file's S_NAME column"
        )
    cent = grid.geometry.centroid
    mids = gpd.GeoSeries([ln.interpolate(0.5, normalized=True) for ln in lines], crs=grid.crs)
    near = gpd.sjoin(
        gpd.GeoDataFrame(geometry=mids.buffer(touch_m), crs=grid.crs),
        grid[["geometry"]],
        predicate="intersects",
    )
    beside: dict[int, list[int]] = {}
    for i, j in zip(near.index, near["index_right"], strict=True):
        beside.setdefault(int(i), []).append(int(j))
    tree = grid.sindex
    out = []
    for i, line in enumerate(lines):
        idx = beside.get(i)
        if not idx:
            idx = [int(np.asarray(tree.nearest(mids.iloc[i]))[1][0])]
        votes = Counter(
            _grid_line(
                line,
                int(grid.at[j, "jo"]),
                int(grid.at[j, "chome"]),
                cent.iloc[j].x,
                cent.iloc[j].y,
            )
            for j in idx
        )
        axis, k = votes.most_common(1)[0][0]
        out.append(ew_street_name(k) if axis == "ew" else ns_street_name(k))
    return out
