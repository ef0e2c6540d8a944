"""
The tables to export: store tables (readings, counts, steps, survey) with readable QC flag
names and only pseudonymous ids, and the walkability tables of ``kaiteki walk score``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from comfort.qcflags import QCFlag
from sensors.errors import ExportError
from sensors.export.kinds import WALKABILITY_LAYERS, ExportResult, Progress, check_combination
from sensors.export.metadata import describe_sources
from sensors.export.writer import write_table

if TYPE_CHECKING:
    import geopandas as gpd

    from sensors.store import Store

_PSEUDONYM = re.compile(r"^p-[0-9a-f]{16}$")


def with_flag_names(frame: pd.DataFrame) -> pd.DataFrame:
    """
    ``frame`` with a ``qc_flag_names`` column (comma-separated names of the bits set in
    ``qc_flags``) right after ``qc_flags``, which is kept; a ``qc`` text column is dropped.

    Examples
    --------
    >>> with_flag_names(pd.DataFrame({"qc_flags": [0, 17], "x": [1, 2]})).columns.tolist()
    ['qc_flags', 'qc_flag_names', 'x']
    >>> with_flag_names(pd.DataFrame({"qc_flags": [0, 17]}))["qc_flag_names"].tolist()
    ['', 'range,duplicate']
    """
    if "qc_flags" not in frame.columns:
        return frame
    masks = frame["qc_flags"].to_numpy(dtype=np.int64)
    unique, inverse = np.unique(masks, return_inverse=True)
    names = np.array([",".join(QCFlag(int(m)).names()) for m in unique], dtype=object)
    out = frame.drop(columns=["qc", "qc_flag_names"], errors="ignore")
    at = out.columns.get_loc("qc_flags") + 1
    out.insert(at, "qc_flag_names", pd.array(names[inverse].tolist(), dtype="str"))
    return out


def locate_by_block(frame: pd.DataFrame, blocks: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """
    Survey rows without coordinates but with a census ``block`` get the block's centroid.

    ``block`` matches the block's Japanese name (``S_NAME``, e.g. 北一条西３丁目), its English
    name or its census ``key_code``. A ``location_source`` column says where each row's
    location comes from: ``given`` (the answer's own lat/lon), ``block_centroid`` or empty
    (no location: the row's geometry stays empty, never ``POINT (NaN NaN)``).
    """
    if not {"lat", "lon", "block"} <= set(frame.columns):
        return frame
    out = frame.copy()
    given = out["lat"].notna() & out["lon"].notna()
    source = pd.Series([("given" if g else None) for g in given], index=out.index, dtype="str")
    if blocks is not None and len(blocks):
        centre = blocks.geometry.centroid.to_crs("EPSG:4326")
        lookup: dict[str, tuple[float, float]] = {}
        for col in ("key_code", "name_en", "name_ja"):
            if col in blocks:
                for key, pt in zip(blocks[col].astype(str), centre, strict=True):
                    lookup[key.strip()] = (float(pt.y), float(pt.x))
        want = ~given & out["block"].notna()
        hits = out.loc[want, "block"].astype(str).str.strip().map(lookup)
        found = hits.dropna()
        out.loc[found.index, "lat"] = [p[0] for p in found]
        out.loc[found.index, "lon"] = [p[1] for p in found]
        source.loc[found.index] = "block_centroid"
        geo_col = getattr(out, "_geometry_column_name", None)
        if geo_col is not None and len(found):  # a geometry already built from lat/lon
            import shapely

            out.loc[found.index, geo_col] = shapely.points(
                out.loc[found.index, "lon"].to_numpy(), out.loc[found.index, "lat"].to_numpy()
            )
    out["location_source"] = source
    return out


def store_table(
    store: Store,
    kind: str,
    start: Any = None,
    end: Any = None,
    pseudonym_key: str | bytes | None = None,
    blocks: gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """
    A store table for export and the descriptions of the files its rows came from.

    Survey answers located by census block only get the block's centroid from ``blocks``
    (:func:`locate_by_block`).

    QC flags keep their integer ``qc_flags`` and gain readable names (:func:`with_flag_names`).
    Steps are checked to carry pseudonyms only (``p-`` + 16 hex digits). With
    ``pseudonym_key``, the survey's ``response_id`` (an identifier from the survey tool, which
    may embed a participant's id) is replaced by its keyed pseudonym
    (:func:`sensors.ingest.pseudonymise`), so that no raw identifier leaves the store.

    Raises
    ------
    ExportError
        ``kind`` is not a store table, or a participant id is not a pseudonym.
    """
    readers: dict[str, Callable[..., pd.DataFrame]] = {
        "readings": store.readings,
        "counts": store.counts,
        "steps": store.steps,
        "survey": store.survey,
    }
    if kind not in readers:
        raise ExportError(f"{kind} is not a store table; expected one of {', '.join(readers)}.")
    frame = with_flag_names(readers[kind](start, end))
    if kind == "steps":
        ids = frame["participant"].astype(str)
        bad = ~ids.str.fullmatch(_PSEUDONYM.pattern)
        if bad.any():
            raise ExportError(
                f"steps export refused: participant {ids[bad].iloc[0]!r} is not a kaiteki "
                "pseudonym (p- and 16 hex digits). Re-ingest the steps with `kaiteki ingest "
                "steps` so ids are pseudonymised."
            )
    if kind == "survey":
        frame = locate_by_block(frame, blocks)
    if kind == "survey" and pseudonym_key is not None and "response_id" in frame:
        from sensors.ingest import pseudonymise

        ids = frame["response_id"]
        # ingest stores pseudonyms already; hash only ids that are not (rows stored before
        # response ids were pseudonymised at ingest), so exports join back to the store
        keep = ids.notna() & ~ids.astype(str).str.fullmatch(_PSEUDONYM.pattern)
        frame = frame.copy()
        frame.loc[keep, "response_id"] = pseudonymise(ids[keep].astype(str).tolist(), pseudonym_key)
    files = store.files()
    used = files[files["file_id"].isin(frame["file_id"].unique())] if len(frame) else files.iloc[:0]
    sources = describe_sources(
        used["path"].astype(str).tolist(), used["simulated"].astype(bool).tolist()
    )
    return frame, sources


def export_store(
    store: Store,
    kind: str,
    fmt: str,
    path: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    progress: Progress | None = None,
    chunk_rows: int = 100_000,
    pseudonym_key: str | bytes | None = None,
    blocks: gpd.GeoDataFrame | None = None,
) -> ExportResult:
    """
    Export ``readings``, ``counts``, ``steps`` or ``survey`` from the store.

    Parameters
    ----------
    store
        The open store.
    kind, fmt, path
        What, how and where.
    start, end
        Time window ``[start, end)``; naive values are Asia/Tokyo.
    progress, chunk_rows
        See :func:`sensors.export.write_table`.
    pseudonym_key
        Secret key (``KAITEKI_PSEUDONYM_KEY``) to pseudonymise survey ``response_id``s with;
        see :func:`store_table`.
    blocks
        Census blocks (:func:`sensors.area.load_blocks`) to locate survey answers given by
        block only.

    Raises
    ------
    ExportError
        Invalid kind/format combination, steps without pseudonyms, or times outside what the
        formats hold (filter them out with ``start``/``end``).
    """
    check_combination(kind, fmt)
    if fmt == "ngsi-ld":  # entities, not a table (sensors.export.ngsi_ld)
        from sensors.export.ngsi_ld import export_ngsi_ld

        return export_ngsi_ld(store, kind, path, start=start, end=end, progress=progress)
    frame, sources = store_table(store, kind, start, end, pseudonym_key, blocks)
    extra = {"filter": {"start": None if start is None else str(start),
                        "end": None if end is None else str(end)}}  # fmt: skip
    return write_table(
        frame, path, fmt, kind, sources=sources, extra=extra, progress=progress,
        chunk_rows=chunk_rows,
    )  # fmt: skip


def walkability_layer(folder: str | Path, layer: str) -> gpd.GeoDataFrame:
    """
    One walkability table saved by ``kaiteki walk score`` (``<folder>/<layer>.parquet``).

    Raises
    ------
    ExportError
        Unknown layer, or the table has not been computed.
    """
    import geopandas as gpd

    if layer not in WALKABILITY_LAYERS:
        raise ExportError(
            f"unknown walkability layer {layer!r}; expected one of {', '.join(WALKABILITY_LAYERS)}."
        )
    path = Path(folder) / f"{layer}.parquet"
    if not path.is_file():
        raise ExportError(
            f"no walkability table at {path}; compute it first with `kaiteki walk score`."
        )
    return gpd.read_parquet(path)
