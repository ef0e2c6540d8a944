"""
Walking networks from OpenStreetMap: a place name or polygon (online, through OSMnx) or a local
``.osm`` / ``.osm.pbf`` extract (offline).

Local extracts are read with pyosmium. A clipped extract has ways that reference nodes outside
the file; such a way is cut to its longest run of nodes that are present, or dropped when fewer
than two remain, and both are counted in the :class:`OSMReport` rather than lost silently. The
kept ways are written to a temporary OSM XML file that OSMnx turns into a simplified walking
graph, which is then projected and given kaiteki's edge attributes (``segment_id``, ``kind``,
``level``, ``indoor``, ``bearing_deg``) and a geometry on every edge.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import networkx as nx
from shapely.geometry import LineString

from comfort.network import bearing_deg, largest_component, set_street_counts
from sensors.errors import OSMSourceError
from sensors.readers import in_lonlat, read_vector

#: OSMnx's "walk" network filter, as tag rules: a way is walkable when it has a ``highway`` tag
#: and none of these tags matches.
_EXCLUDE = {
    "area": re.compile(r"^yes$"),
    "highway": re.compile(
        r"abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
        r"raceway|razed"
    ),
    "foot": re.compile(r"^no$"),
    "service": re.compile(r"^private$"),
    "access": re.compile(r"^private$"),
}


def is_walkable(tags: dict[str, str]) -> bool:
    """
    Whether a way's tags pass OSMnx's ``walk`` network filter.

    Examples
    --------
    >>> is_walkable({"highway": "residential"})
    True
    >>> is_walkable({"highway": "motorway"}), is_walkable({"highway": "footway", "foot": "no"})
    (False, False)
    """
    if "highway" not in tags:
        return False
    return not any(key in tags and rx.search(tags[key]) for key, rx in _EXCLUDE.items())


@dataclass
class OSMReport:
    """What reading an OSM source kept, cut and dropped."""

    source: str
    ways_read: int = 0
    ways_walkable: int = 0
    ways_kept: int = 0
    ways_truncated: int = 0
    ways_dropped_clipped: int = 0
    node_refs_missing: int = 0
    nodes: int = 0
    edges: int = 0
    components_dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report as a plain dict (for JSON output)."""
        return asdict(self)


def _longest_present_run(refs: list[int], present: dict[int, tuple[float, float]]) -> list[int]:
    best: list[int] = []
    run: list[int] = []
    for r in refs:
        if r in present:
            run.append(r)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return best


def _read_extract(path: Path, report: OSMReport) -> tuple[dict, list]:
    import osmium

    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    try:
        for obj in osmium.FileProcessor(str(path)):
            if isinstance(obj, osmium.osm.Node):
                if obj.location.valid():
                    nodes[obj.id] = (obj.location.lon, obj.location.lat)
            elif isinstance(obj, osmium.osm.Way):
                report.ways_read += 1
                tags = {t.k: t.v for t in obj.tags}
                if is_walkable(tags):
                    report.ways_walkable += 1
                    ways.append((obj.id, [n.ref for n in obj.nodes], tags))
    except RuntimeError as exc:
        raise OSMSourceError(
            f"cannot read OSM extract {path}: {exc}. Expected an .osm (XML) or .osm.pbf file."
        ) from exc
    return nodes, ways


def _write_xml(
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
    report: OSMReport,
    out: Path,
) -> None:
    used: set[int] = set()
    kept = []
    for wid, refs, tags in ways:
        run = _longest_present_run(refs, nodes)
        missing = sum(1 for r in refs if r not in nodes)
        report.node_refs_missing += missing
        if len(run) < 2:
            report.ways_dropped_clipped += 1
            continue
        if len(run) < len(refs):
            report.ways_truncated += 1
        kept.append((wid, run, tags))
        used.update(run)
    report.ways_kept = len(kept)
    with open(out, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="kaiteki">\n')
        for nid in sorted(used):
            lon, lat = nodes[nid]
            f.write(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for wid, run, tags in kept:
            f.write(f'<way id="{wid}">')
            f.write("".join(f'<nd ref="{r}"/>' for r in run))
            f.write("".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()))
            f.write("</way>\n")
        f.write("</osm>\n")


def graph_from_osm_file(path: Path, to_crs: str | None = None) -> tuple[nx.MultiDiGraph, OSMReport]:
    """
    A projected walking graph from a local ``.osm`` or ``.osm.pbf`` extract.

    Parameters
    ----------
    path
        The extract. Ways clipped by its boundary are cut or dropped and counted.
    to_crs
        Target CRS; default: the UTM zone of the graph (OSMnx's choice).

    Returns
    -------
    (networkx.MultiDiGraph, OSMReport)

    Raises
    ------
    OSMSourceError
        The file is missing or unreadable, or holds no walkable way.
    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise OSMSourceError(
            f"OSM extract {path} not found; pass an existing .osm or .osm.pbf file"
        )
    report = OSMReport(source=str(path))
    nodes, ways = _read_extract(path, report)
    if not ways:
        raise OSMSourceError(
            f"{path} holds no walkable way (read {report.ways_read} ways); is it an OSM extract "
            "with highway tags?"
        )
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "walk.osm"
        _write_xml(nodes, ways, report, xml)
        if report.ways_kept == 0:
            raise OSMSourceError(f"every walkable way in {path} is clipped to fewer than two nodes")
        G = ox.graph_from_xml(xml, bidirectional=True, simplify=True, retain_all=True)
    return finish_osm_graph(G, report, to_crs)


def graph_from_place(place: str, to_crs: str | None = None) -> tuple[nx.MultiDiGraph, OSMReport]:
    """A walking graph for a place name, downloaded through OSMnx (needs internet)."""
    import osmnx as ox

    try:
        G = ox.graph_from_place(place, network_type="walk", retain_all=True)
    except Exception as exc:  # OSMnx raises several network and geocoding errors
        raise OSMSourceError(
            f"cannot download the walking network of {place!r}: {exc}. Without internet, build "
            "from a local extract: kaiteki area build --osm FILE"
        ) from exc
    return finish_osm_graph(G, OSMReport(source=f"place:{place}"), to_crs)


def graph_from_polygon_file(
    polygon_path: Path, to_crs: str | None = None
) -> tuple[nx.MultiDiGraph, OSMReport]:
    """A walking graph inside the polygon of a GeoJSON file, downloaded through OSMnx."""
    import osmnx as ox
    import shapely

    try:
        gdf = in_lonlat(read_vector(polygon_path))
    except Exception as exc:
        raise OSMSourceError(f"cannot read polygon file {polygon_path}: {exc}") from exc
    polygon = shapely.union_all(gdf.geometry.values)
    try:
        G = ox.graph_from_polygon(polygon, network_type="walk", retain_all=True)
    except Exception as exc:
        raise OSMSourceError(
            f"cannot download the walking network inside {polygon_path}: {exc}. Without "
            "internet, build from a local extract: kaiteki area build --osm FILE"
        ) from exc
    return finish_osm_graph(G, OSMReport(source=f"polygon:{polygon_path}"), to_crs)


def finish_osm_graph(
    G: nx.MultiDiGraph, report: OSMReport, to_crs: str | None = None
) -> tuple[nx.MultiDiGraph, OSMReport]:
    """
    Project an OSMnx graph, keep its largest component and add kaiteki's edge attributes.

    Every edge gets a projected ``geometry`` (a straight line where OSMnx left none), a
    ``segment_id`` shared by the two directions of a way piece, ``kind="street"``, ``level``
    (from the OSM ``level`` tag when it is a plain number, else 0), ``indoor`` and
    ``bearing_deg``.
    """
    import osmnx as ox

    G, dropped = largest_component(G)
    report.components_dropped = dropped
    G = ox.project_graph(G, to_crs=to_crs)
    to_ll = None
    ids: dict[tuple[Any, ...], int] = {}
    for u, v, _k, data in G.edges(keys=True, data=True):
        if "geometry" not in data:
            data["geometry"] = LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
        osmid = data.get("osmid")
        osmid_key = tuple(sorted(osmid)) if isinstance(osmid, list) else (osmid,)
        key = (min(u, v), max(u, v), osmid_key, round(float(data["length"]), 1))
        data["segment_id"] = ids.setdefault(key, len(ids))
        data["kind"] = "street"
        level = str(data.get("level", "0"))
        data["level"] = int(level) if re.fullmatch(r"-?\d+", level) else 0
        data["indoor"] = str(data.get("indoor", "no")) not in ("no", "0", "False")
        data["bearing_deg"] = round(bearing_deg(data["geometry"]), 2)
    for _n, data in G.nodes(data=True):
        if "lon" not in data:
            if to_ll is None:
                import pyproj

                to_ll = pyproj.Transformer.from_crs(G.graph["crs"], "EPSG:4326", always_xy=True)
            data["lon"], data["lat"] = to_ll.transform(data["x"], data["y"])
    set_street_counts(G)
    report.nodes = G.number_of_nodes()
    report.edges = G.number_of_edges()
    return G, report
