"""
The places of the embedded registry beyond the first 17: where each one comes from.

Every position is derived from the real 2015 census block polygons (street centrelines are the
blocks' shared edges) or from the walkways of the embedded graph, which are built from the same
blocks (:mod:`sensors.area`). Places whose position or hours are estimates carry
``approximate: true``; planned projects are ``status: planned`` with their source ("illustrative
planned project" when no public document fixes them). See docs/PLACES.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

#: The census credit every source names.
CENSUS = "census block polygons 2015 (e-Stat/CODH, CC BY 4.0)"

#: Walkway hours of the Chi-Ka-Ho and the Odori concourse (5:00–24:30).
WALKWAY_HOURS = (300, 1470)

PlaceMaker = Callable[..., dict[str, Any]]


def _centre(blocks: pd.Series, name: str) -> Point:
    point: Point = blocks[name].representative_point()
    return point


def _between(p: BaseGeometry, q: BaseGeometry, share: float) -> Point:
    line = LineString([p.coords[0], q.coords[0]])
    return Point(line.interpolate(share, normalized=True).coords[0])


def more_places(
    blocks: pd.Series,
    place: PlaceMaker,
    shared: Callable[[pd.Series, str, str], BaseGeometry],
    corner: Callable[[pd.Series, str, str, str], Point],
) -> list[dict[str, Any]]:
    """
    The additional embedded places, in the projected CRS of ``blocks``.

    Parameters
    ----------
    blocks
        Census block polygons by English name (``"N2 W4"``), metres.
    place
        :func:`sensors.places._place` (one registry row).
    shared, corner
        The block-edge and street-corner helpers of :mod:`sensors.places`.

    Returns
    -------
    list of dict
        Registry rows with a geometry.
    """
    rows: list[dict[str, Any]] = []
    heated = ("heating", "seats")
    conditioned = ("heating", "cooling", "seats")

    # The Odori concourse (大通駅コンコース): the heated underground hall of the walkway graph
    # between the Chi-Ka-Ho and Pole Town, under the Ekimae-dori × Odori crossing.
    kita_odori = corner(blocks, "N1 W4", "N1 W3", "Odori W4")
    odori_s = corner(blocks, "Odori W4", "Odori W3", "S1 W4")
    rows.append(
        place(
            "odori-concourse", "大通駅コンコース", "Odori Station Concourse", "concourse", True,
            -1, WALKWAY_HOURS,
            "the Odori concourse walkway of the embedded graph (Ekimae-dori axis across Odori, "
            f"sensors.area), with benches; 20 m wide strip along it ({CENSUS}); hours the "
            "walkway's", LineString([kita_odori, odori_s]).buffer(10.0, cap_style="flat"),
            features=heated, approximate=True,
        )
    )  # fmt: skip
    # Chi-Ka-Ho rest spaces (憩いの空間) along the walkway in the blocks North 1 and North 2.
    for jo, name_ja in ((1, "北1条"), (2, "北2条")):
        axis = shared(blocks, f"N{jo} W4", f"N{jo} W3")
        mid = axis.interpolate(0.5, normalized=True)
        rows.append(
            place(
                f"chikaho-kita{jo}-rest", f"チ・カ・ホ {name_ja}憩いの空間",
                f"Chi-Ka-Ho rest space, North {jo}", "underground_plaza", True, -1,
                WALKWAY_HOURS,
                "bench and event space beside the Chi-Ka-Ho walkway (operator's floor guide); "
                f"15 m circle at the middle of the walkway's block North {jo} ({CENSUS}); "
                "position approximate", mid.buffer(15.0), features=heated, approximate=True,
            )
        )  # fmt: skip
    # Sapporo Station north exit plaza (北口駅前広場), mirror of the south plaza.
    axis = shared(blocks, "N6 W3", "N6 W4")
    north = max((Point(axis.coords[0]), Point(axis.coords[-1])), key=lambda p: p.y)
    rows.append(
        place(
            "station-north-plaza", "札幌駅北口駅前広場", "Sapporo Station North Plaza", "plaza",
            False, 0, (0, 1440),
            "north exit forecourt of JR Sapporo Station (北6条西3–4丁目); 40 m circle on the "
            f"block edge N6 W3 | N6 W4 at its north end ({CENSUS}); position approximate",
            north.buffer(40.0), features=("trees", "seats"), approximate=True,
        )
    )  # fmt: skip
    # Public atriums (indoor, conditioned, free to enter).
    rows.append(
        place(
            "sosei-square-atrium", "札幌市民交流プラザ アトリウム", "Sapporo Community Plaza atrium",
            "atrium", True, 0, (540, 1320),
            "public atrium of Sapporo Community Plaza in Sapporo Sosei Square (opened October "
            f"2018), block 北1条西1丁目; 25 m circle inside the block ({CENSUS}); hours 9:00–22:00 "
            "approximate", _centre(blocks, "N1 W1").buffer(25.0), features=conditioned,
            approximate=True, valid_from="2018-10-07",
        )
    )  # fmt: skip
    rows.append(
        place(
            "akarenga-terrace-atrium", "赤れんがテラス アトリウム", "Akarenga Terrace atrium",
            "atrium", True, 0, (420, 1380),
            "public atrium of Akarenga Terrace (Sapporo Mitsui JP Building, opened August 2014) "
            f"on the south side of Akapla, block 北2条西4丁目 ({CENSUS}); 20 m circle between "
            "the block's middle and Akapla; hours 7:00–23:00 approximate",
            _between(_centre(blocks, "N2 W4"), shared(blocks, "N2 W4", "N3 W4").centroid, 0.6)
            .buffer(20.0), features=conditioned, approximate=True, valid_from="2014-08-28",
        )
    )  # fmt: skip
    # Small public gardens.
    rows.append(
        place(
            "former-government-office-garden", "北海道庁旧本庁舎 前庭",
            "Former Hokkaido Government Office garden", "garden", False, 0, (420, 1260),
            "front garden of the former Hokkaido Government Office (red brick), block 北3条西6丁目 "
            f"({CENSUS}); 45 m circle at the block's east side; hours approximate",
            _between(_centre(blocks, "N3 W6"), shared(blocks, "N3 W5", "N3 W6").centroid, 0.5)
            .buffer(45.0), features=("trees", "seats", "shade"), approximate=True,
        )
    )  # fmt: skip
    rows.append(
        place(
            "clock-tower-garden", "札幌市時計台 前庭", "Sapporo Clock Tower garden", "garden",
            False, 0, (480, 1080),
            "lawn in front of the Sapporo Clock Tower (former Sapporo Agricultural College drill "
            f"hall), block 北1条西2丁目 ({CENSUS}); 20 m circle in the block; hours approximate",
            _centre(blocks, "N1 W2").buffer(20.0), features=("trees", "seats"),
            approximate=True,
        )
    )  # fmt: skip
    # Planned projects (never counted until they exist; the planner tools use them).
    rows.append(
        place(
            "kita5-nishi1-plaza", "北5西1 駅前広場（計画）", "North 5 West 1 station plaza (planned)",
            "plaza", False, 0, (0, 1440),
            "publicly announced Sapporo Station redevelopment of 北5条西1・西2 (station "
            f"interchange hub); plaza position and size illustrative ({CENSUS})",
            _centre(blocks, "N5 W1").buffer(35.0), features=("seats", "wind_screen"),
            approximate=True, status="planned",
        )
    )  # fmt: skip
    rows.append(
        place(
            "ekimae-s1-pocket-plaza", "駅前通 南1条 ポケット広場（計画）",
            "Ekimae-dori South 1 pocket plaza (planned)", "plaza", False, 0, (0, 1440),
            "illustrative planned project: a pocket plaza with trees and seats on Ekimae-dori at "
            f"South 1 ({CENSUS})",
            shared(blocks, "S1 W4", "S1 W3").interpolate(0.5, normalized=True).buffer(20.0),
            features=("trees", "shade", "seats"), approximate=True, status="planned",
        )
    )  # fmt: skip
    rows.append(
        place(
            "sosei-winter-shelter", "創成川 冬の休憩所（計画）",
            "Sosei River winter shelter (planned)", "atrium", True, 0, (540, 1260),
            "illustrative planned project: a heated glass shelter with seats beside Soseigawa "
            f"Park at Odori ({CENSUS})",
            shapely.Point(shared(blocks, "Odori W1", "Odori E1").centroid.coords[0]).buffer(12.0),
            features=("heating", "seats", "wind_screen"), approximate=True, status="planned",
        )
    )  # fmt: skip
    return rows
