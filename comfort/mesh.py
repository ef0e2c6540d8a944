"""
Japanese standard grid squares (JIS X 0410 地域メッシュ) down to the 100 m (1/10) mesh.

The standard meshes divide latitude/longitude, not metres:

======================  ===========  ============  ======  ===================
mesh                    lat step     lon step      ≈ size  code digits
======================  ===========  ============  ======  ===================
1st (第1次)             40′          1°            80 km   4 (``pp uu``)
2nd (第2次)             5′           7′30″         10 km   6 (+ ``q v``)
3rd (基準地域, 1 km)    30″          45″           1 km    8 (+ ``r w``)
1/10 (100 m, 細分区画)  3″           4.5″          100 m   10 (+ ``s x``)
======================  ===========  ============  ======  ===================

The 1/10 subdivision of the 3rd mesh is the 100 m mesh of the national grid-square statistics
(its code appends the row and column digits 0–9 to the 8-digit 1 km code). In Sapporo
(43° N) a 100 m mesh is about 92.5 m north–south by 101.7 m east–west. MLIT's people-flow open
data (``mesh1kmid``) uses the 8-digit 3rd mesh codes, so the 100 m cells nest in its cells.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from comfort.errors import InputRangeError

#: Digits of the code at each level.
CODE_DIGITS = {1: 4, 2: 6, 3: 8, 4: 10}
#: (lat step, lon step) in degrees at each level.
STEP_DEG = {
    1: (2.0 / 3.0, 1.0),
    2: (2.0 / 3.0 / 8.0, 1.0 / 8.0),
    3: (2.0 / 3.0 / 80.0, 1.0 / 80.0),
    4: (2.0 / 3.0 / 800.0, 1.0 / 800.0),
}


def mesh_code(lon: npt.ArrayLike, lat: npt.ArrayLike, level: int = 4) -> npt.NDArray[np.str_]:
    """
    Mesh codes of points (level 1: 80 km, 2: 10 km, 3: 1 km, 4: 100 m).

    Parameters
    ----------
    lon, lat
        Points (degrees, JGD2011/WGS 84); lon in [100, 180), lat in [0, 66.66).
    level
        Mesh level, 1–4.

    Returns
    -------
    numpy.ndarray of str
        Codes of 4, 6, 8 or 10 digits.

    Raises
    ------
    InputRangeError
        A point outside the range the grid is defined for, or an unknown level.

    Examples
    --------
    >>> mesh_code(141.3545, 43.0606, level=3).tolist()  # Odori, Sapporo
    ['64414278']
    >>> mesh_code(141.3545, 43.0606).tolist()
    ['6441427823']
    """
    if level not in CODE_DIGITS:
        raise InputRangeError(f"mesh level must be 1, 2, 3 or 4 (100 m); got {level}")
    x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    bad = ~((x >= 100) & (x < 180) & (y >= 0) & (y < 200 / 3))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputRangeError(
            f"JIS mesh codes need lon in [100, 180) and lat in [0, 66.67) degrees; point {i} "
            f"has lon={x[i]}, lat={y[i]}. Pass lon/lat (in that order) in degrees."
        )
    # Work in integer units of the finest step to avoid rounding at cell edges.
    lat_u = np.floor(y * 1.5 * 800 + 1e-9).astype(np.int64)  # units of 3 arc-seconds
    lon_u = np.floor((x - 100.0) * 800 + 1e-9).astype(np.int64)  # units of 4.5 arc-seconds
    p, lat_r = np.divmod(lat_u, 800)
    u, lon_r = np.divmod(lon_u, 800)
    q, lat_r = np.divmod(lat_r, 100)
    v, lon_r = np.divmod(lon_r, 100)
    r, s = np.divmod(lat_r, 10)
    w, xx = np.divmod(lon_r, 10)
    codes = []
    for i in range(x.size):
        c = f"{p[i]:02d}{u[i]:02d}{q[i]}{v[i]}{r[i]}{w[i]}{s[i]}{xx[i]}"
        codes.append(c[: CODE_DIGITS[level]])
    return np.array(codes, dtype=str)


def mesh_bounds(code: str) -> tuple[float, float, float, float]:
    """
    ``(lon_min, lat_min, lon_max, lat_max)`` of a mesh code (degrees).

    Raises
    ------
    InputRangeError
        A code that is not 4, 6, 8 or 10 digits.

    Examples
    --------
    >>> [round(b, 6) for b in mesh_bounds("64414278")]
    [141.35, 43.058333, 141.3625, 43.066667]
    """
    c = str(code)
    if not c.isdigit() or len(c) not in CODE_DIGITS.values():
        raise InputRangeError(
            f"a JIS mesh code has 4, 6, 8 or 10 digits; got {code!r}. Check the code column."
        )
    lat_u = int(c[0:2]) * 800
    lon_u = int(c[2:4]) * 800
    level = 1
    if len(c) >= 6:
        lat_u += int(c[4]) * 100
        lon_u += int(c[5]) * 100
        level = 2
    if len(c) >= 8:
        lat_u += int(c[6]) * 10
        lon_u += int(c[7]) * 10
        level = 3
    if len(c) >= 10:
        lat_u += int(c[8])
        lon_u += int(c[9])
        level = 4
    size = {1: 800, 2: 100, 3: 10, 4: 1}[level]
    lat0, lon0 = lat_u / 1200.0, 100.0 + lon_u / 800.0
    return (lon0, lat0, 100.0 + (lon_u + size) / 800.0, (lat_u + size) / 1200.0)


def mesh_polygons(codes: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Rectangles (lon/lat degrees) of mesh codes, as shapely polygons."""
    return np.array(
        [shapely.box(*mesh_bounds(str(c))) for c in np.atleast_1d(np.asarray(codes))],
        dtype=object,
    )


def meshes_covering(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float, level: int = 4
) -> npt.NDArray[np.str_]:
    """
    Codes of every mesh of ``level`` that overlaps a lon/lat box.

    Examples
    --------
    >>> meshes_covering(141.3501, 43.0584, 141.3624, 43.0666, level=3).tolist()
    ['64414278']
    """
    dlat, dlon = STEP_DEG[level]
    lats = np.arange(np.floor(lat_min / dlat) * dlat, lat_max, dlat) + dlat / 2
    lons = np.arange(np.floor((lon_min - 100) / dlon) * dlon + 100, lon_max, dlon) + dlon / 2
    gx, gy = np.meshgrid(lons, lats)
    return np.unique(mesh_code(gx.ravel(), gy.ravel(), level=level))
