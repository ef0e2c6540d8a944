"""
The compiled walking graph: CSR arrays, edge columns, lon/lat snapping (docs/ROUTING.md, Engine).

:func:`compile_graph` turns a projected networkx graph (OSMnx conventions, see
:mod:`comfort.network`) into a :class:`CompiledGraph` once; everything after works on arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.spatial import cKDTree

from comfort.errors import RoutingError

#: Codes of the ``kind`` edge column.
KIND_CODES = {"street": 0, "underground": 1, "exit": 2}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}

_WGS84 = "EPSG:4326"


@functools.lru_cache(maxsize=16)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    """A cached CRS transformer: building one costs about 10 ms, using one microseconds."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """
    A walking graph as flat arrays: CSR adjacency over directed edges plus edge columns.

    Build it with :func:`compile_graph` (from a networkx graph) or :meth:`from_arrays`.
    Node arrays have length ``n``; edge arrays length ``m``, sorted by source node so that the
    edges leaving node ``i`` are ``indptr[i]:indptr[i + 1]``.

    Attributes
    ----------
    crs
        The projected CRS of ``x``/``y`` and of the geometries (metres).
    node_ids
        Original node ids (int64).
    x, y
        Node coordinates (m) in ``crs``.
    lon, lat
        Node coordinates (degrees, WGS 84).
    node_level
        0 for a node with at least one level-0 edge, else the lowest level of its edges.
    indptr
        CSR row pointer (length ``n + 1``).
    src, dst
        Source and target node index of each edge.
    length_m
        Edge length (m).
    segment_id
        Undirected segment id (both directions share it).
    kind
        Edge kind code (:data:`KIND_CODES`).
    level
        Edge level (0 street, −1 underground).
    indoor, stairs, wide, park_adjacent
        Boolean edge flags (``wide``: ``width_class == "wide"``).
    open_min, close_min
        Opening hours (minutes after midnight), NaN for always open.
    name
        Edge name (street or walkway), "" when unnamed.
    coord_ptr, coords
        Geometry of edge ``e`` is ``coords[coord_ptr[e]:coord_ptr[e + 1]]`` (m, in ``crs``),
        from ``src`` to ``dst``.
    """

    crs: str
    node_ids: npt.NDArray[np.int64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    node_level: npt.NDArray[np.int8]
    indptr: npt.NDArray[np.int64]
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    length_m: npt.NDArray[np.float64]
    segment_id: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    level: npt.NDArray[np.int8]
    indoor: npt.NDArray[np.bool_]
    stairs: npt.NDArray[np.bool_]
    wide: npt.NDArray[np.bool_]
    park_adjacent: npt.NDArray[np.bool_]
    open_min: npt.NDArray[np.float64]
    close_min: npt.NDArray[np.float64]
    name: npt.NDArray[np.object_]
    coord_ptr: npt.NDArray[np.int64]
    coords: npt.NDArray[np.float64]
    chord_m: npt.NDArray[np.float64] = field(repr=False)
    _node_pos: dict[int, int] = field(repr=False)
    _trees: dict[int | None, tuple[cKDTree, npt.NDArray[np.int64]]] = field(
        repr=False, default_factory=dict
    )
    _derived: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.src.size)

    @classmethod
    def from_arrays(
        cls,
        crs: str,
        node_ids: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        u: npt.ArrayLike,
        v: npt.ArrayLike,
        length_m: npt.ArrayLike,
        *,
        segment_id: npt.ArrayLike | None = None,
        kind: npt.ArrayLike | None = None,
        level: npt.ArrayLike | None = None,
        indoor: npt.ArrayLike | None = None,
        stairs: npt.ArrayLike | None = None,
        wide: npt.ArrayLike | None = None,
        park_adjacent: npt.ArrayLike | None = None,
        open_min: npt.ArrayLike | None = None,
        close_min: npt.ArrayLike | None = None,
        name: npt.ArrayLike | None = None,
        geometries: Sequence[npt.ArrayLike] | None = None,
        lon: npt.ArrayLike | None = None,
        lat: npt.ArrayLike | None = None,
    ) -> CompiledGraph:
        """
        Compile a graph given as node and directed-edge arrays.

        Parameters
        ----------
        crs
            Projected CRS of ``x``/``y`` (metres).
        node_ids
            Node ids (unique integers).
        x, y
            Node coordinates (m).
        u, v
            Source and target node id of each directed edge.
        length_m
            Edge lengths (m), non-negative.
        segment_id, kind, level, indoor, stairs, wide, park_adjacent, open_min, close_min, name
            Optional edge columns (see :class:`CompiledGraph`); ``kind`` as names
            (``"street"``...) or codes. Defaults: the edge index, street, 0, False, always open,
            "".
        geometries
            Optional per-edge coordinate arrays (k × 2, m) from ``u`` to ``v``; default the
            straight line.
        lon, lat
            Node coordinates (degrees); default: transformed from ``x``/``y``.

        Raises
        ------
        RoutingError
            Arrays of unequal length, an edge naming an unknown node, a negative length.
        """
        ids = np.asarray(node_ids, dtype=np.int64)
        n = ids.size
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        uu = np.asarray(u, dtype=np.int64)
        vv = np.asarray(v, dtype=np.int64)
        ll = np.asarray(length_m, dtype=np.float64)
        m = uu.size
        if xs.size != n or ys.size != n:
            raise RoutingError(
                f"x and y must have one value per node ({n}); got {xs.size} and {ys.size}"
            )
        if vv.size != m or ll.size != m:
            raise RoutingError(
                f"u, v and length_m must have one value per edge; got {m}, {vv.size}, {ll.size}"
            )
        if m and (not np.all(np.isfinite(ll)) or ll.min() < 0):
            bad = int(np.flatnonzero(~(np.isfinite(ll) & (ll >= 0)))[0])
            raise RoutingError(
                f"edge lengths must be finite and >= 0 m; edge {bad} ({uu[bad]}->{vv[bad]}) has "
                f"{ll[bad]}. Fix the graph's 'length' attribute."
            )
        order_ids = np.argsort(ids, kind="stable")
        sorted_ids = ids[order_ids]
        if n and np.any(sorted_ids[1:] == sorted_ids[:-1]):
            raise RoutingError("node ids must be unique")

        def index_of(a: npt.NDArray[np.int64], what: str) -> npt.NDArray[np.int64]:
            pos = np.searchsorted(sorted_ids, a)
            pos = np.clip(pos, 0, max(n - 1, 0))
            ok = sorted_ids[pos] == a if n else np.zeros(a.size, dtype=bool)
            if not np.all(ok):
                bad = a[~ok][0]
                raise RoutingError(
                    f"edge {what} node {bad} is not among the graph's nodes; every edge must "
                    "join two listed nodes"
                )
            return np.asarray(order_ids[pos], dtype=np.int64)

        s_idx = index_of(uu, "source")
        d_idx = index_of(vv, "target")
        order = np.lexsort((d_idx, s_idx))
        s_idx, d_idx = s_idx[order], d_idx[order]

        def col(a: npt.ArrayLike | None, default: Any, dtype: Any) -> npt.NDArray[Any]:
            if a is None:
                return np.full(m, default, dtype=dtype)
            arr = np.asarray(a)
            if arr.size != m:
                raise RoutingError(
                    f"every edge column must have one value per edge ({m}); got {arr.size}"
                )
            return np.asarray(arr[order], dtype=dtype)

        if kind is None:
            kind_codes = np.zeros(m, dtype=np.int8)
        else:
            karr = np.asarray(kind)[order]
            if karr.dtype.kind in "iu":
                kind_codes = karr.astype(np.int8)
            else:
                unknown = sorted({str(k) for k in karr} - set(KIND_CODES))
                if unknown:
                    raise RoutingError(
                        f"edge kind must be one of {sorted(KIND_CODES)}; got {unknown}"
                    )
                kind_codes = np.array([KIND_CODES[str(k)] for k in karr], dtype=np.int8)
        seg = col(segment_id, 0, np.int64) if segment_id is not None else order.astype(np.int64)
        lev = col(level, 0, np.int8)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(s_idx, minlength=n), out=indptr[1:])
        if geometries is None:
            coords = np.empty((2 * m, 2), dtype=np.float64)
            coords[0::2, 0], coords[0::2, 1] = xs[s_idx], ys[s_idx]
            coords[1::2, 0], coords[1::2, 1] = xs[d_idx], ys[d_idx]
            coord_ptr = np.arange(0, 2 * m + 1, 2, dtype=np.int64)
        else:
            if len(geometries) != m:
                raise RoutingError(f"geometries must have one entry per edge ({m})")
            parts = [np.asarray(geometries[i], dtype=np.float64).reshape(-1, 2) for i in order]
            sizes = np.array([p.shape[0] for p in parts], dtype=np.int64)
            coord_ptr = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(sizes, out=coord_ptr[1:])
            coords = np.concatenate(parts) if parts else np.empty((0, 2))
        if lon is None or lat is None:
            tr = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)
            lon_a, lat_a = tr.transform(xs, ys)
            lon_arr, lat_arr = np.asarray(lon_a, dtype=float), np.asarray(lat_a, dtype=float)
        else:
            lon_arr = np.asarray(lon, dtype=np.float64)
            lat_arr = np.asarray(lat, dtype=np.float64)
        # Node level: 0 if any incident edge is at level 0, else the lowest incident level.
        node_level = np.zeros(n, dtype=np.int8)
        if m:
            has_ground = np.zeros(n, dtype=bool)
            ground = lev == 0
            has_ground[s_idx[ground]] = True
            has_ground[d_idx[ground]] = True
            lowest = np.zeros(n, dtype=np.int8)
            np.minimum.at(lowest, s_idx, lev)
            np.minimum.at(lowest, d_idx, lev)
            node_level = np.where(has_ground, 0, lowest).astype(np.int8)
        chord = np.hypot(xs[d_idx] - xs[s_idx], ys[d_idx] - ys[s_idx])
        return cls(
            crs=crs,
            node_ids=ids,
            x=xs,
            y=ys,
            lon=lon_arr,
            lat=lat_arr,
            node_level=node_level,
            indptr=indptr,
            src=s_idx,
            dst=d_idx,
            length_m=ll[order],
            segment_id=seg,
            kind=kind_codes,
            level=lev,
            indoor=col(indoor, False, bool),
            stairs=col(stairs, False, bool),
            wide=col(wide, False, bool),
            park_adjacent=col(park_adjacent, False, bool),
            open_min=col(open_min, np.nan, np.float64),
            close_min=col(close_min, np.nan, np.float64),
            name=col(name, "", object),
            coord_ptr=coord_ptr,
            coords=coords,
            chord_m=chord,
            _node_pos={int(k): i for i, k in enumerate(ids)},
        )

    # ---- lookups ---------------------------------------------------------------------------

    def node_index(self, node_id: int) -> int:
        """
        Index of a node id in the node arrays.

        Raises
        ------
        RoutingError
            The id is not a node of the graph.
        """
        try:
            return self._node_pos[int(node_id)]
        except KeyError:
            raise RoutingError(
                f"node {node_id} is not in the graph ({self.n_nodes} nodes); pass a node id "
                "of the compiled graph or a lon/lat to snap"
            ) from None

    def project(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Project lon/lat (degrees) to the graph's CRS (m)."""
        tr = _transformer(_WGS84, self.crs)
        px, py = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(px, dtype=float), np.asarray(py, dtype=float)

    def to_lonlat(self, xy: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Transform k × 2 projected coordinates (m) to lon/lat (degrees)."""
        arr = np.asarray(xy, dtype=float).reshape(-1, 2)
        tr = _transformer(self.crs, _WGS84)
        lon, lat = tr.transform(arr[:, 0], arr[:, 1])
        return np.column_stack([lon, lat])

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """
        ``compute()``, worked out once per graph and kept under ``key`` (per-edge columns that
        every route reads: lon/lat vertices, end bearings, the turn list's names).
        """
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def coords_lonlat(self) -> npt.NDArray[np.float64]:
        """
        Every vertex of :attr:`coords` in lon/lat (degrees), transformed once per graph: a route
        then gathers its vertices instead of transforming them (the same doubles, since the
        transformation is per point).
        """
        return np.asarray(self.derived("coords_lonlat", lambda: self.to_lonlat(self.coords)))

    def path_vertex_index(self, edges: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """
        Positions in :attr:`coords` of a path's vertices, given its directed edges in order:
        each edge's vertices, the shared one at a joint once.

        Examples
        --------
        >>> import networkx as nx
        >>> from comfort.routing.graph import compile_graph
        >>> G = nx.MultiDiGraph(crs="EPSG:6680")
        >>> for n, x in enumerate([0.0, 100.0, 200.0]):
        ...     G.add_node(n, x=x, y=0.0, lon=141.35 + n / 1000, lat=43.06)
        >>> for u, v in [(0, 1), (1, 2)]:
        ...     _ = G.add_edge(u, v, length=100.0, segment_id=u)
        >>> cg = compile_graph(G)
        >>> cg.coords[cg.path_vertex_index([0, 1])].tolist()
        [[0.0, 0.0], [100.0, 0.0], [200.0, 0.0]]
        """
        e = np.asarray(edges, dtype=np.intp)
        starts = self.coord_ptr[e].astype(np.intp)
        starts[1:] += 1  # each later edge starts where the previous one ended
        counts = self.coord_ptr[e + 1].astype(np.intp) - starts
        ends = np.cumsum(counts)
        return np.arange(int(ends[-1]) if e.size else 0, dtype=np.intp) + np.repeat(
            starts - (ends - counts), counts
        )

    def _tree(self, level: int | None) -> tuple[cKDTree, npt.NDArray[np.int64]]:
        if level not in self._trees:
            idx = (
                np.arange(self.n_nodes)
                if level is None
                else np.flatnonzero(self.node_level == level)
            )
            if idx.size == 0:
                raise RoutingError(
                    f"no node at level {level} in the graph; snap with level=None to use any node"
                )
            self._trees[level] = (cKDTree(np.column_stack([self.x[idx], self.y[idx]])), idx)
        return self._trees[level]

    def snap_xy(
        self, x: npt.ArrayLike, y: npt.ArrayLike, level: int | None = 0
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """
        Nearest node (index) to projected points, with the distance (m).

        Parameters
        ----------
        x, y
            Projected coordinates (m).
        level
            Only nodes of this level (0: street); None for any node.
        """
        tree, idx = self._tree(level)
        d, i = tree.query(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
        return idx[np.asarray(i, dtype=np.int64)], np.asarray(d, dtype=np.float64)

    def snap(
        self,
        lon: float,
        lat: float,
        level: int | None = 0,
        max_snap_m: float = 500.0,
    ) -> tuple[int, float]:
        """
        Snap a lon/lat point to the nearest node (KD-tree on the projected nodes).

        Parameters
        ----------
        lon, lat
            The point (degrees, WGS 84).
        level
            Only nodes of this level (0: street nodes); None for any node.
        max_snap_m
            A point farther than this (m) from every node is an error.

        Returns
        -------
        (int, float)
            Node index and snapping distance (m).

        Raises
        ------
        RoutingError
            The point is farther than ``max_snap_m`` from the network.
        """
        ((i, d),) = self.snap_points([(lon, lat)], level=level, max_snap_m=max_snap_m)
        return i, d

    def snap_points(
        self,
        points: Sequence[tuple[float, float]],
        level: int | None = 0,
        max_snap_m: float = 500.0,
    ) -> list[tuple[int, float]]:
        """
        :meth:`snap` for several lon/lat points at once (one projection, one KD-tree query).

        Raises
        ------
        RoutingError
            The first point farther than ``max_snap_m`` from the network.
        """
        lon = [p[0] for p in points]
        lat = [p[1] for p in points]
        px, py = self.project(lon, lat)
        idx, dist = self.snap_xy(px, py, level=level)
        for x, y, d in zip(lon, lat, dist, strict=True):
            if not d <= max_snap_m:
                raise RoutingError(
                    f"point lon={x:.6f}, lat={y:.6f} is {d:.0f} m from the nearest walking "
                    f"network node (at most {max_snap_m:.0f} m allowed); the network spans lon "
                    f"{self.lon.min():.4f}..{self.lon.max():.4f}, lat {self.lat.min():.4f}.."
                    f"{self.lat.max():.4f}. Pick a point inside the area (lon first, then lat)."
                )
        return [(int(i), float(d)) for i, d in zip(idx, dist, strict=True)]

    def segment_positions(self, segment_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """
        For each edge, the position of its ``segment_id`` in ``segment_ids``.

        Compute it once per field layout and gather hour after hour with ``values[positions]``.

        Raises
        ------
        RoutingError
            A segment of the graph is missing from ``segment_ids``.
        """
        ids = np.asarray(segment_ids).astype(np.int64)
        order = np.argsort(ids, kind="stable")
        sids = ids[order]
        pos = np.clip(np.searchsorted(sids, self.segment_id), 0, max(ids.size - 1, 0))
        ok = sids[pos] == self.segment_id if ids.size else np.zeros(self.n_edges, dtype=bool)
        if not np.all(ok):
            missing = np.unique(self.segment_id[~ok])
            raise RoutingError(
                f"{missing.size} segment(s) of the graph are missing from the per-segment values "
                f"(first: {missing[:5].tolist()}); the comfort field must cover every segment_id "
                "of the graph it routes on. Rebuild the field for this graph."
            )
        return np.asarray(order[pos], dtype=np.int64)

    def per_edge(self, values: npt.ArrayLike, segment_ids: npt.ArrayLike) -> npt.NDArray[Any]:
        """Per-segment ``values`` (aligned with ``segment_ids``) spread onto the directed edges."""
        vals = np.asarray(values)
        ids = np.asarray(segment_ids)
        if vals.shape[0] != ids.shape[0]:
            raise RoutingError(
                f"values and segment_ids must have the same length; got {vals.shape[0]} and "
                f"{ids.shape[0]}"
            )
        return vals[self.segment_positions(ids)]

    def edge_coords(self, e: int) -> npt.NDArray[np.float64]:
        """Coordinates (m) of directed edge ``e`` from its source to its target."""
        return self.coords[self.coord_ptr[e] : self.coord_ptr[e + 1]]


def _attr(data: Mapping[str, Any], key: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, float) and np.isnan(value):
        return default
    return value


def compile_graph(G: nx.MultiDiGraph) -> CompiledGraph:
    """
    Compile a projected walking graph (OSMnx conventions) into a :class:`CompiledGraph`.

    Parameters
    ----------
    G
        Graph with node ``x``/``y`` (m) and the ``crs`` graph attribute (projected), edge
        ``length`` (m) and optionally ``geometry``, ``segment_id``, ``kind``, ``level``,
        ``indoor``, ``stairs``, ``width_class``, ``park_adjacent``, ``open_min``/``close_min``,
        ``name``. An edge without ``segment_id`` gets one shared with its reverse edge (same
        end nodes and key).

    Raises
    ------
    RoutingError
        The graph has no CRS, an unprojected CRS, or an edge lacks ``length``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from comfort.network import lines_to_graph
    >>> G = lines_to_graph([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 50)])],
    ...                    crs="EPSG:6680")
    >>> cg = compile_graph(G)
    >>> cg.n_nodes, cg.n_edges
    (3, 4)
    """
    crs = G.graph.get("crs")
    if crs is None:
        raise RoutingError(
            "the graph has no 'crs' attribute; project it first (osmnx.project_graph) so that "
            "node x/y are metres"
        )
    if pyproj.CRS.from_user_input(crs).is_geographic:
        raise RoutingError(
            f"the graph's CRS {crs} is geographic (degrees); routing needs a projected graph "
            "(metres). Project it with osmnx.project_graph first."
        )
    nodes = list(G.nodes)
    node_ids = np.array(nodes, dtype=np.int64)
    nd = G.nodes
    x = np.array([nd[n]["x"] for n in nodes], dtype=np.float64)
    y = np.array([nd[n]["y"] for n in nodes], dtype=np.float64)
    has_lonlat = all("lon" in nd[n] and "lat" in nd[n] for n in nodes)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "u",
            "v",
            "length",
            "segment_id",
            "kind",
            "level",
            "indoor",
            "stairs",
            "wide",
            "park",
            "open",
            "close",
            "name",
            "geom",
        )
    }
    auto_seg: dict[tuple[int, int, Any], int] = {}
    given_max = max((d for _, _, d in G.edges(data="segment_id") if d is not None), default=-1)
    next_seg = int(given_max) + 1
    for u, v, k, data in G.edges(keys=True, data=True):
        if "length" not in data:
            raise RoutingError(
                f"edge {u}->{v} (key {k}) has no 'length'; add lengths "
                "(osmnx.distance.add_edge_lengths) before compiling"
            )
        sid = data.get("segment_id")
        if sid is None:
            key = (min(u, v), max(u, v), k)
            if key not in auto_seg:
                auto_seg[key] = next_seg
                next_seg += 1
            sid = auto_seg[key]
        cols["u"].append(u)
        cols["v"].append(v)
        cols["length"].append(float(data["length"]))
        cols["segment_id"].append(int(sid))
        cols["kind"].append(str(_attr(data, "kind", "street")))
        cols["level"].append(int(_attr(data, "level", 0)))
        cols["indoor"].append(bool(_attr(data, "indoor", False)))
        cols["stairs"].append(bool(_attr(data, "stairs", False)))
        cols["wide"].append(_attr(data, "width_class", "") == "wide")
        cols["park"].append(bool(_attr(data, "park_adjacent", False)))
        cols["open"].append(float(_attr(data, "open_min", np.nan)))
        cols["close"].append(float(_attr(data, "close_min", np.nan)))
        nm = _attr(data, "name", "")
        cols["name"].append(nm if isinstance(nm, str) else ";".join(map(str, nm)))
        geom = data.get("geometry")
        if geom is None:
            cols["geom"].append(
                np.array([[nd[u]["x"], nd[u]["y"]], [nd[v]["x"], nd[v]["y"]]], dtype=np.float64)
            )
        else:
            cols["geom"].append(shapely.get_coordinates(geom))
    return CompiledGraph.from_arrays(
        str(crs),
        node_ids,
        x,
        y,
        cols["u"],
        cols["v"],
        cols["length"],
        segment_id=cols["segment_id"],
        kind=cols["kind"],
        level=cols["level"],
        indoor=cols["indoor"],
        stairs=cols["stairs"],
        wide=cols["wide"],
        park_adjacent=cols["park"],
        open_min=cols["open"],
        close_min=cols["close"],
        name=np.array(cols["name"], dtype=object),
        geometries=cols["geom"],
        lon=[nd[n]["lon"] for n in nodes] if has_lonlat else None,
        lat=[nd[n]["lat"] for n in nodes] if has_lonlat else None,
    )
