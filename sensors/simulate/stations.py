"""
Where the simulated thermal stations stand: a fixed network placed on segments of the area graph.

Street stations are chosen to cover what the comfort field must learn: both street orientations,
wide and standard streets, the Odori Park edge, the Sosei river, and the busy places (Sapporo
Station south side, Odori, Susukino, the TV Tower). The choice is deterministic (it depends on
the network only), so the baseline year and the current year have the same stations.
Underground stations are spread over the walkways, at least one on each.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from sensors.errors import SimulationError

#: CRS assumed for a segment table without one (the area model's projected CRS).
DEFAULT_CRS = "EPSG:6680"

#: Places every street network of downtown Sapporo should have a station near (lat, lon).
ANCHORS: tuple[tuple[str, float, float], ...] = (
    ("Sapporo Station south", 43.0668, 141.3509),
    ("Odori W3-W4", 43.0604, 141.3520),
    ("Susukino crossing", 43.0555, 141.3533),
    ("TV Tower / Sosei river", 43.0612, 141.3567),
    ("Odori W8", 43.0589, 141.3452),
)

#: Columns of the station registry (DATA_FORMATS.md), plus ``segment_id`` and ``simulated``.
REGISTRY_COLUMNS: tuple[str, ...] = (
    "sensor_id",
    "kind",
    "lat",
    "lon",
    "level",
    "height_m",
    "globe_diameter_m",
    "installed",
    "name",
    "segment_id",
    "simulated",
)

_SEGMENT_COLUMNS = (
    "segment_id",
    "kind",
    "level",
    "bearing_deg",
    "width_class",
    "park_adjacent",
    "river_dist_m",
    "name",
    "mid_x",
    "mid_y",
)


def segments_of(graph_or_segments: nx.MultiDiGraph | pd.DataFrame) -> pd.DataFrame:
    """
    One row per segment with the covariates the simulator uses, and its midpoint.

    Parameters
    ----------
    graph_or_segments
        The area graph (``sensors.area.sapporo_graph``) or its segment table
        (``comfort.network.segment_table``: ``segment_id, kind, level, bearing_deg,
        width_class, park_adjacent, river_dist_m, name, mid_x, mid_y``).

    Returns
    -------
    pandas.DataFrame
        The columns above plus ``blocks`` (adjacent block names, may be empty), ``lat`` and
        ``lon`` (degrees, WGS 84) of the midpoint, sorted by ``segment_id``.

    Raises
    ------
    SimulationError
        A needed column is missing.
    """
    if isinstance(graph_or_segments, nx.MultiDiGraph):
        crs = graph_or_segments.graph.get("crs", DEFAULT_CRS)
        rows: dict[Any, dict[str, Any]] = {}
        for _, _, data in graph_or_segments.edges(data=True):
            sid = data["segment_id"]
            if sid in rows:
                continue
            mid = data["geometry"].interpolate(0.5, normalized=True)
            rows[sid] = {
                "segment_id": sid,
                "kind": data.get("kind", "street"),
                "level": int(data.get("level", 0)),
                "bearing_deg": float(data.get("bearing_deg", 0.0)),
                "width_class": data.get("width_class") or "standard",
                "park_adjacent": bool(data.get("park_adjacent", False)),
                "river_dist_m": float(data.get("river_dist_m", np.nan)),
                "name": data.get("name") or "",
                "blocks": data.get("blocks") or "",
                "mid_x": mid.x,
                "mid_y": mid.y,
            }
        seg = pd.DataFrame(list(rows.values()))
    else:
        crs = getattr(graph_or_segments, "crs", None) or DEFAULT_CRS
        missing = [c for c in _SEGMENT_COLUMNS if c not in graph_or_segments.columns]
        if missing:
            raise SimulationError(
                f"the segment table has no column(s) {missing}; expected {list(_SEGMENT_COLUMNS)}"
                ". Pass the area graph or comfort.network.segment_table(G)."
            )
        seg = pd.DataFrame(graph_or_segments.drop(columns="geometry", errors="ignore"))
        if "blocks" not in seg.columns:
            seg["blocks"] = ""
        seg["width_class"] = seg["width_class"].fillna("standard")
        seg["park_adjacent"] = seg["park_adjacent"].fillna(False).astype(bool)
        seg["name"] = seg["name"].fillna("")
    if len(seg) == 0:
        raise SimulationError("the network has no segments; pass the area graph of downtown")
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        seg["mid_x"].to_numpy(), seg["mid_y"].to_numpy()
    )
    seg["lat"], seg["lon"] = lat, lon
    return seg.sort_values("segment_id").reset_index(drop=True)


def orientation(bearing_deg: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """
    ``"NS"`` or ``"EW"``: the street direction nearest to a bearing in [0, 180) degrees.

    Examples
    --------
    >>> orientation([5.0, 80.0, 170.0]).tolist()
    ['NS', 'EW', 'NS']
    """
    b = np.asarray(bearing_deg, dtype=np.float64) % 180.0
    return np.where(np.minimum(b, 180.0 - b) < 45.0, "NS", "EW")


def _farthest(
    xy: npt.NDArray[np.float64], chosen: list[int], candidates: npt.NDArray[np.int64]
) -> int:
    """The candidate farthest from every chosen point (first candidate if none chosen)."""
    if not chosen:
        return int(candidates[0])
    d = np.min(
        np.hypot(
            xy[candidates, None, 0] - xy[None, chosen, 0],
            xy[candidates, None, 1] - xy[None, chosen, 1],
        ),
        axis=1,
    )
    return int(candidates[int(np.argmax(d))])


def choose_street_segments(
    seg: pd.DataFrame, n: int = 40, within: shapely.Geometry | None = None
) -> list[int]:
    """
    Row positions of ``n`` street segments for fixed stations, spread over the covariates.

    In order: the two segments nearest each of :data:`ANCHORS` (one per orientation); two per
    stratum of orientation × width class × park edge; three within 150 m of the Sosei river;
    then farthest-point sampling over all streets so the rest spread evenly over the area.

    ``within`` (a polygon in the segments' CRS, e.g. the planning area) keeps the stations on
    segments whose midpoint lies inside it.

    Raises
    ------
    SimulationError
        The network has fewer than ``n`` street segments (inside ``within``).
    """
    is_street = seg["kind"].to_numpy() == "street"
    if within is not None:
        is_street &= shapely.contains_xy(within, seg["mid_x"].to_numpy(), seg["mid_y"].to_numpy())
    streets = np.flatnonzero(is_street)
    if len(streets) < n:
        raise SimulationError(
            f"the network has {len(streets)} street segments"
            f"{' inside the area' if within is not None else ''}; {n} stations need at least "
            f"{n}. Pass the full area graph or ask for fewer stations."
        )
    xy = seg[["mid_x", "mid_y"]].to_numpy(dtype=np.float64)
    lat, lon = seg["lat"].to_numpy(), seg["lon"].to_numpy()
    ori = orientation(seg["bearing_deg"].to_numpy())
    chosen: list[int] = []

    def take(candidates: npt.NDArray[np.int64], k: int) -> None:
        for _ in range(k):
            free = np.setdiff1d(candidates, chosen)
            if len(free) == 0 or len(chosen) >= n:
                return
            chosen.append(_farthest(xy, chosen, free))

    for _, alat, alon in ANCHORS:
        dist = np.hypot((lat[streets] - alat) * 111_000, (lon[streets] - alon) * 81_000)
        for o in ("NS", "EW"):
            pool = streets[(ori[streets] == o)]
            if len(pool):
                near = pool[np.argsort(dist[np.searchsorted(streets, pool)])]
                free = [int(i) for i in near if int(i) not in chosen]
                if free and len(chosen) < n:
                    chosen.append(free[0])
    width = seg["width_class"].to_numpy()
    park = seg["park_adjacent"].to_numpy(dtype=bool)
    for o in ("NS", "EW"):
        for w in ("wide", "standard"):
            for p in (True, False):
                take(streets[(ori[streets] == o) & (width[streets] == w) & (park[streets] == p)], 2)
    river = seg["river_dist_m"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        near_river = streets[river[streets] < 150.0]
    have = int(np.sum(river[chosen] < 150.0)) if chosen else 0
    take(near_river, max(0, 3 - have))
    take(streets, n - len(chosen))
    return chosen


def choose_underground_segments(seg: pd.DataFrame, n: int = 6) -> list[int]:
    """
    Row positions of up to ``n`` underground walkway segments: one per walkway, then spread.
    """
    under = np.flatnonzero(seg["kind"].to_numpy() == "underground")
    if len(under) == 0 or n <= 0:
        return []
    xy = seg[["mid_x", "mid_y"]].to_numpy(dtype=np.float64)
    names = seg["name"].to_numpy()
    chosen: list[int] = []
    for name in sorted(set(names[under])):
        pool = under[names[under] == name]
        chosen.append(_farthest(xy, chosen, pool))
        if len(chosen) >= n:
            return chosen
    while len(chosen) < min(n, len(under)):
        chosen.append(_farthest(xy, chosen, np.setdiff1d(under, chosen)))
    return chosen


def _street_label(row: pd.Series) -> str:
    width = "wide" if row["width_class"] == "wide" else "standard"
    parts = [orientation([row["bearing_deg"]])[0], width]
    if row["park_adjacent"]:
        parts.append("Odori Park edge")
    if np.isfinite(row["river_dist_m"]) and row["river_dist_m"] < 150.0:
        parts.append("near Sosei river")
    street = row["name"] or "street"
    where = f" between {row['blocks'].replace('|', ' and ')}" if row["blocks"] else ""
    return f"{street}{where} ({', '.join(parts)})"


def station_registry(
    graph_or_segments: nx.MultiDiGraph | pd.DataFrame,
    installed: str,
    n_street: int = 40,
    n_underground: int = 6,
    height_m: float = 1.5,
    globe_diameter_m: float = 0.15,
    within: shapely.Geometry | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    The simulated fixed-station registry and the covariates of each station's segment.

    Parameters
    ----------
    graph_or_segments
        The area graph or its segment table (see :func:`segments_of`).
    installed
        Installation date of every station (ISO date), before the first simulated reading.
    n_street, n_underground
        Number of street and underground stations.
    height_m
        Sensor height above ground or floor (m).
    globe_diameter_m
        Globe diameter (m).
    within
        Optional polygon (segments' CRS, e.g. the planning area) the street stations must lie in.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The registry (:data:`REGISTRY_COLUMNS`, one row per station, ``simulated`` true) and
        the station covariates aligned with it (``bearing_deg``, ``width_class``,
        ``park_adjacent``, ``river_dist_m``, ``level``, ``mid_x``, ``mid_y``).

    Raises
    ------
    SimulationError
        Too few street segments.
    """
    seg = segments_of(graph_or_segments)
    street = choose_street_segments(seg, n_street, within)
    under = choose_underground_segments(seg, n_underground)
    rows = []
    for i, pos in enumerate(street, start=1):
        r = seg.iloc[pos]
        rows.append((f"SIM-ST{i:02d}", 0, _street_label(r), pos))
    for i, pos in enumerate(under, start=1):
        r = seg.iloc[pos]
        rows.append((f"SIM-UG{i:02d}", -1, f"{r['name'] or 'walkway'} (underground)", pos))
    positions = [p for *_, p in rows]
    cov = seg.iloc[positions].reset_index(drop=True)
    registry = pd.DataFrame(
        {
            "sensor_id": [r[0] for r in rows],
            "kind": "fixed",
            "lat": cov["lat"].round(6),
            "lon": cov["lon"].round(6),
            "level": [r[1] for r in rows],
            "height_m": height_m,
            "globe_diameter_m": globe_diameter_m,
            "installed": installed,
            "name": [f"simulated station: {r[2]}" for r in rows],
            "segment_id": cov["segment_id"],
            "simulated": True,
        },
        columns=list(REGISTRY_COLUMNS),
    )
    cov["level"] = [r[1] for r in rows]
    return registry, cov
