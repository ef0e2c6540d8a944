"""
Walkability of the walking network: per node, per segment, per census block and per 100 m mesh
cell (definitions, reference values and validation: docs/WALKABILITY.md).

- :mod:`~comfort.walkability.measures`: the measures per node (reach, intersections, link–node
  ratio, access to destinations, the 0–100 index and its comfort-adjusted variant);
- :mod:`~comfort.walkability.aggregation`: from nodes to segments, census blocks and mesh
  cells, and the tables of ``kaiteki walk score``.

Every public name is importable from ``comfort.walkability`` itself.

Examples
--------
>>> composite_index([20_000.0], [60.0], [2.0], [1.0]).tolist()
[100.0]
"""

from comfort.walkability.aggregation import (
    SUMMARY_COLUMNS,
    aggregate_to_polygons,
    mesh_grid,
    segment_geometries,
    segment_values,
    walkability_tables,
)
from comfort.walkability.measures import (
    ACCESS_DECAY_MIN,
    ACCESS_MINUTES,
    INTERSECTION_RADIUS_M,
    INTERSECTION_REF_KM2,
    LINK_NODE_RANGE,
    REACH_RADII_M,
    REACH_REF_M,
    WALKWAY_ENTRANCE,
    WEIGHTS,
    access_decay,
    comfort_adjusted,
    composite_index,
    destination_access,
    intersection_count,
    intersection_density,
    network_reach,
    node_walkability,
    segments,
    street_counts,
    walkway_entrances,
)

__all__ = [
    "ACCESS_DECAY_MIN",
    "ACCESS_MINUTES",
    "INTERSECTION_RADIUS_M",
    "INTERSECTION_REF_KM2",
    "LINK_NODE_RANGE",
    "REACH_RADII_M",
    "REACH_REF_M",
    "SUMMARY_COLUMNS",
    "WALKWAY_ENTRANCE",
    "WEIGHTS",
    "access_decay",
    "aggregate_to_polygons",
    "comfort_adjusted",
    "composite_index",
    "destination_access",
    "intersection_count",
    "intersection_density",
    "mesh_grid",
    "network_reach",
    "node_walkability",
    "segment_geometries",
    "segment_values",
    "segments",
    "street_counts",
    "walkability_tables",
    "walkway_entrances",
]
