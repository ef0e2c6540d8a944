"""Parquet and GeoParquet writer: row groups of ``chunk_rows``, metadata under ``kaiteki``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sensors.export.chunks import chunks
from sensors.export.kinds import Progress
from sensors.export.metadata import META_KEY

if TYPE_CHECKING:
    import pyarrow as pa


def write_parquet(
    frame: pd.DataFrame,
    path: Path,
    meta: dict[str, Any],
    *,
    geo: bool,
    progress: Progress | None,
    chunk_rows: int,
) -> None:
    """
    Write ``frame`` to ``path`` as Parquet (GeoParquet when ``geo``), with ``meta`` as JSON
    under the key-value metadata key :data:`~sensors.export.metadata.META_KEY`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def to_table(part: pd.DataFrame) -> pa.Table:
        if geo:
            from geopandas.io.arrow import _geopandas_to_arrow

            return _geopandas_to_arrow(part, index=False)
        return pa.Table.from_pandas(part, preserve_index=False)

    n = len(frame)
    first = to_table(frame.iloc[:0] if n else frame)
    schema = first.schema.with_metadata(
        {**(first.schema.metadata or {}), META_KEY.encode(): json.dumps(meta).encode()}
    )
    with pq.ParquetWriter(path, schema) as writer:
        for a, b in chunks(n, chunk_rows):
            table = to_table(frame.iloc[a:b])
            writer.write_table(table.cast(schema) if table.schema != schema else table)
            if progress:
                progress(b, n)
