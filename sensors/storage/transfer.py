"""
What a store holds, and copying a whole store between backends (``kaiteki store info|copy``).

:func:`checksums` gives every table's row count and an **order-independent checksum**: the sum
(mod 2⁶⁴) of a 64-bit hash of each row's canonical form (timestamps as UTC microseconds,
``qc_flags`` as integers, NULL distinct from every value), read through the store's frames,
which are the same on both backends. Two stores with equal checksums hold the same rows,
whatever order or engine they were written in. :func:`copy_store` copies every table of a
migrated store into an empty one (DuckDB → PostgreSQL or back), keeps ``file_id`` values,
moves the sequences past them and verifies the copy by counts and checksums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sensors.errors import StoreError
from sensors.storage.readers import DATA_TABLES

#: Tables that are bookkeeping of the store itself, not copied (the target has its own).
NOT_COPIED = frozenset({"schema_version"})

#: Sequences and the column whose values they hand out.
SEQUENCES: dict[str, tuple[str, str]] = {
    "files_seq": ("files", "file_id"),
    "places_audit_seq": ("places_audit", "audit_id"),
}

#: Time columns reported as date ranges by :func:`info`, per table (first match).
_TIME_COLUMNS = ("time", "date", "month", "day")


@dataclass
class CopyReport:
    """What :func:`copy_store` copied, and whether counts and checksums agree."""

    source: str
    target: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {"source": self.source, "target": self.target, "verified": self.verified,
                "tables": self.tables}  # fmt: skip


def table_checksum(frame: pd.DataFrame) -> int:
    """
    Order-independent checksum of a frame's rows (sum of per-row 64-bit hashes, mod 2⁶⁴).

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "s": ["a", None]})
    >>> table_checksum(a) == table_checksum(a.iloc[::-1])
    True
    >>> table_checksum(a) == table_checksum(a.assign(x=[1, 3]))
    False
    """
    if not len(frame):
        return 0
    canon = pd.DataFrame(index=range(len(frame)))
    for name in sorted(frame.columns):
        col = frame[name].reset_index(drop=True)
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            col = pd.Series(col.astype("datetime64[us]").to_numpy().astype("int64"), dtype="Int64")
            col[frame[name].reset_index(drop=True).isna()] = pd.NA
        elif pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype):
            col = col.astype("Int64")
        elif pd.api.types.is_float_dtype(col.dtype):
            col = col.astype("Float64")
        else:
            col = col.astype("string")
        canon[name] = col
    hashes = pd.util.hash_pandas_object(canon, index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(np.add.reduce(hashes, dtype=np.uint64))


def _copied_tables(store: Any) -> list[str]:
    tables = [t for t in store.tables() if t not in NOT_COPIED]
    # files first: every data row names its file
    return sorted(tables, key=lambda t: (t != "files", t))


def checksums(store: Any, tables: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Row count and order-independent checksum of every table (or of ``tables``)."""
    out = {}
    for t in tables if tables is not None else _copied_tables(store):
        frame = store.query(f"SELECT * FROM {t}")
        out[t] = {"rows": len(frame), "checksum": table_checksum(frame)}
    return out


def info(store: Any) -> dict[str, Any]:
    """
    What the store holds: backend, schema version, every table's rows and time range, the
    ingested files per kind, and QC flag counts per kind (``kaiteki store info``).
    """
    from comfort.qcflags import FLAG_BITS

    tables: dict[str, dict[str, Any]] = {}
    for t in store.tables():
        cols = store.columns(t)
        row: dict[str, Any] = {"rows": int(store.query(f"SELECT count(*) AS n FROM {t}")["n"][0])}
        tcol = next((c for c in _TIME_COLUMNS if c in cols), None)
        if tcol is not None and row["rows"]:
            r = store.query(f"SELECT min({tcol}) AS lo, max({tcol}) AS hi FROM {t}")
            row["from"], row["to"] = str(r["lo"][0]), str(r["hi"][0])
        tables[t] = row
    files = store.query(
        "SELECT kind, count(*) AS files, sum(rows_read) AS rows_read, sum(accepted) AS accepted, "
        "sum(flagged) AS flagged, sum(quarantined) AS quarantined FROM files GROUP BY kind "
        "ORDER BY kind"
    )
    kinds = {
        str(r.kind): {k: int(getattr(r, k)) for k in
                      ("files", "rows_read", "accepted", "flagged", "quarantined")}
        for r in files.itertuples()
    }  # fmt: skip
    flags: dict[str, dict[str, int]] = {}
    for t in DATA_TABLES:
        if t not in tables or not tables[t]["rows"]:
            continue
        sums = ", ".join(
            f"sum(CASE WHEN (qc_flags & {int(bit)}) <> 0 THEN 1 ELSE 0 END) AS {name.lower()}"
            for name, bit in FLAG_BITS.items()
        )
        r = store.query(f"SELECT {sums} FROM {t}")
        hit = {k: int(v) for k, v in r.iloc[0].items() if pd.notna(v) and int(v)}
        if hit:
            flags[t] = hit
    return {
        "store": _display(store),
        "backend": store.backend,
        "schema_version": store.schema_version(),
        "tables": tables,
        "files_by_kind": kinds,
        "flags_by_table": flags,
    }


def _display(store: Any) -> str:
    from sensors.storage.postgres import _safe_url

    return _safe_url(store.path) if store.backend == "postgresql" else store.path


def copy_store(source: Any, target: Any) -> CopyReport:
    """
    Copy every table of ``source`` into the empty store ``target`` (either backend), then
    verify: equal row counts and checksums per table.

    Raises
    ------
    StoreError
        ``target`` already holds rows, its schema version differs from the source's, or the
        verification fails (the message names the tables that differ).
    """
    if source.schema_version() != target.schema_version():
        raise StoreError(
            f"schema versions differ: {_display(source)} has {source.schema_version()}, "
            f"{_display(target)} has {target.schema_version()}. Run `kaiteki store migrate` "
            "with the same kaiteki on both first."
        )
    tables = _copied_tables(source)
    busy = {t: n for t, n in checksums(target, [t for t in tables if t in target.tables()])
            .items() if n["rows"]}  # fmt: skip
    if busy:
        raise StoreError(
            f"the target store {_display(target)} is not empty ({busy}); copy into a new "
            "database or file."
        )
    for t in tables:
        cols = [c for c in source.columns(t) if c != "geom"]
        if t not in target.tables():
            raise StoreError(
                f"table {t} of {_display(source)} is missing in {_display(target)}; ingest a "
                "file of its kind there first (that creates it), then copy again."
            )
        frame = source.query(f"SELECT {', '.join(cols)} FROM {t}")
        if len(frame):
            target.insert_rows(t, pa.Table.from_pandas(frame, preserve_index=False))
    for seq, (t, col) in SEQUENCES.items():
        if t in tables:
            top = source.query(f"SELECT coalesce(max({col}), 0) AS m FROM {t}")["m"][0]
            target.advance_sequence(seq, int(top))
    report = CopyReport(_display(source), _display(target))
    src, dst = checksums(source, tables), checksums(target, tables)
    report.tables = {t: {"rows": src[t]["rows"], "checksum": f"{src[t]['checksum']:016x}",
                         "target_rows": dst[t]["rows"],
                         "target_checksum": f"{dst[t]['checksum']:016x}"}
                     for t in tables}  # fmt: skip
    differ = [t for t in tables if src[t] != dst[t]]
    if differ:
        raise StoreError(
            f"the copy into {_display(target)} differs from the source in {differ}; the target "
            "is not usable: drop it and copy again."
        )
    report.verified = True
    return report
