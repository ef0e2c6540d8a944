"""
MLIT 1 km mesh stay population (GeoJSON; one feature per JIS 3rd-order mesh, one field per
month, day type and time band). The parsing of the GeoJSON is :func:`sensors.mlit.read_mesh_stay`.
QC: population range, a (mesh, month, day type, time band) given twice.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sensors import qc
from sensors.ingest.sources import Batch, Source, frame_batch
from sensors.kinds import Adapter, OutputTable, QCInput, register
from sensors.kinds.columns import codes, duplicate_flags, values
from sensors.tables import Col, Spec

MESH = Spec(
    "mesh",
    (
        Col("mesh_id", "text", True),
        Col("city_code", "text"),
        Col("month", "date", True),
        Col("day_type", "text", True),
        Col("time_band", "text", True),
        Col("stay_population", "double"),
        Col("simulated", "bool", default="false"),
    ),
    ("mesh_id",),
)

MESH_TABLE = OutputTable(
    "mesh_stay",
    (
        ("mesh_id", "TEXT NOT NULL"),
        ("city_code", "TEXT"),
        ("month", "DATE NOT NULL"),
        ("day_type", "TEXT NOT NULL"),
        ("time_band", "TEXT NOT NULL"),
        ("stay_population", "DOUBLE"),
    ),
)


def read_mesh_source(src: Source) -> Batch:
    """The MLIT GeoJSON in long form (one row per mesh, month, day type and time band)."""
    from sensors.mlit import read_mesh_stay

    frame, problems = read_mesh_stay(src.path)

    def raw(line: int) -> str | None:
        return f"feature {line}"

    batch = frame_batch(src, frame, src.spec, problems, raw, "utf-8")
    batch.messages.append(f"{src.path.name}: {frame['mesh_id'].nunique()} meshes.")
    return batch


def qc_mesh(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of mesh stay population."""
    t = q.rows
    flags = qc.range_flags({k: values(t, k) for k in q.ranges}, q.ranges)
    flags |= duplicate_flags(codes(t, ["mesh_id", "month", "day_type", "time_band"]), None)
    return flags


ADAPTER = register(
    Adapter(
        kind="mesh",
        description="MLIT 1 km mesh stay population (GeoJSON)",
        spec=MESH,
        table=MESH_TABLE,
        qc=qc_mesh,
        ranges={"stay_population": (0.0, 1e7)},
        reader=read_mesh_source,
        uses_area=False,
    )
)
