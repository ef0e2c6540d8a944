"""
Ingest orchestration: file (or in-memory records) → adapter → QC → one transaction per batch.

Guarantees, for every batch:

- the batch (file record, its rows, its quarantine entries) is written in **one transaction**:
  a crash (even ``kill -9``) mid-batch leaves nothing of it, and re-running completes it;
- a file already ingested (same SHA-256 and kind) adds nothing and says so (``duplicate_file``);
- ``accepted + quarantined == rows_read``; flagged rows are part of ``accepted``.

Text is cast to types in DuckDB SQL and QC runs vectorised in numpy, so a million readings take
about a second (docs/STORE.md, "Ingest performance"). A CSV file is read in one DuckDB scan with
its number columns typed by the CSV reader; only when one of their values does not parse (or is
NaN/inf) is the file read again with every column as text, which gives each bad field its exact
reason. Either way the outcome (rows, flags, quarantine) is the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import time as _time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sensors import qc
from sensors.errors import EncodingError, FileFormatError, IngestError
from sensors.readers import (
    alias_map,
    canonical_columns,
    normalise_name,
    read_dated_csv,
    sniff_delimiter,
)
from sensors.store import Store
from sensors.tables import (
    COUNTS_LONG,
    DWELL,
    FITBIT,
    FLOW,
    MESH,
    SENSORS,
    STEPS,
    SURVEY,
    THERMAL,
    WEATHER,
    Col,
    Spec,
)

#: Kinds accepted by :func:`ingest_file` (``kaiteki ingest KIND FILE``).
KINDS: tuple[str, ...] = (
    "thermal",
    "sensors",
    "flow",
    "dwell",
    "mesh",
    "steps",
    "survey",
    "weather",
    "chikaho",
)

#: Names accepted by :func:`ingest_records` (the web API resources) → kind.
RECORD_KINDS: dict[str, str] = {
    "readings": "thermal",
    "thermal": "thermal",
    "counts": "flow",
    "flow": "flow",
    "dwell": "dwell",
    "steps": "steps",
    "survey": "survey",
    "sensors": "sensors",
}

#: Longest accepted CSV line (bytes); longer lines are quarantined.
MAX_LINE_BYTES = 32_768

#: Longest raw text kept in a quarantine row (characters).
MAX_RAW_CHARS = 2_000

_MISSING = "('nan', 'na', 'n/a', 'null', 'none', '-')"
_TRUE = ("'true'", "'t'", "'1'", "'yes'", "'y'")
_FALSE = ("'false'", "'f'", "'0'", "'no'", "'n'")


@dataclass
class RowOutcome:
    """What happened to one input record (``status``: accepted, flagged or quarantined)."""

    index: int
    status: str
    flags: list[str] = field(default_factory=list)
    field: str | None = None
    reason: str | None = None


@dataclass
class IngestResult:
    """
    The outcome of one file or batch.

    ``rows`` (per-record outcomes) is filled for :func:`ingest_records` only.
    """

    file: str
    kind: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    flagged: int = 0
    quarantined: int = 0
    duplicate_file: bool = False
    file_id: int | None = None
    encoding: str | None = None
    simulated: bool = False
    messages: list[str] = field(default_factory=list)
    rows: list[RowOutcome] | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON summary printed by ``kaiteki ingest --json``."""
        return {
            "file": self.file,
            "kind": self.kind,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "flagged": self.flagged,
            "quarantined": self.quarantined,
            "duplicate_file": self.duplicate_file,
            "simulated": self.simulated,
            "messages": self.messages,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, per-row outcomes included."""
        return asdict(self)


@dataclass
class _Batch:
    """Typed columns of one batch, before QC."""

    name: str
    path: str
    sha256: str
    spec: Spec
    data: pa.Table  # typed columns + _bad_field, _bad_reason (+ _tz_explicit)
    lines: npt.NDArray[np.int64]  # line (or record number) of each row of ``data``
    problems: list[dict]  # rows rejected before casting: line, field, reason, raw
    raw_line: Callable[[int], str | None]
    encoding: str | None = None
    messages: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# casting


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


_MISSING_TOKENS = frozenset({"nan", "na", "n/a", "null", "none", "-"})

_REASONS = {
    "double": "expected a number, got {!r}",
    "int": "expected a whole number, got {!r}",
    "time": "expected an ISO 8601 timestamp (e.g. 2022-01-05T14:00:00+09:00), got {!r}",
    "fitbit_time": "expected M/D/YY H:MM or M/D/YYYY h:mm:ss AM/PM, got {!r}",
    "date": "expected a date YYYY-MM-DD, got {!r}",
    "bool": "expected true/false, got {!r}",
}


def _parse_sql(col: Col, r: str) -> str:
    """SQL parsing the trimmed text ``r`` of one column to its type (NULL when it fails)."""
    if col.type == "text":
        return r
    if col.type == "double":
        return f"TRY_CAST({r} AS DOUBLE)"
    if col.type == "int":
        return f"TRY_CAST({r} AS BIGINT)"
    if col.type == "time":
        return f"TRY_CAST({r} AS TIMESTAMPTZ)"
    if col.type == "fitbit_time":
        fmts = "['%m/%d/%y %H:%M', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %H:%M']"
        return (
            f"coalesce(CAST(try_strptime({r}, {fmts}) AS TIMESTAMPTZ), "
            f"TRY_CAST({r} AS TIMESTAMPTZ))"
        )
    if col.type == "date":
        return f"TRY_CAST({r} AS DATE)"
    if col.type == "bool":
        # a CASE on the lowered text (an IN list would become a join)
        arms = [f"WHEN {t} THEN true" for t in _TRUE] + [f"WHEN {f} THEN false" for f in _FALSE]
        return f"CASE lower({r}) {' '.join(arms)} END"
    raise ValueError(col.type)  # pragma: no cover - specs are fixed


#: Types whose DuckDB cast skips ASCII whitespace around the value: they are cast from the
#: untrimmed text first (``trim`` is costly on a million rows) and from the trimmed text only
#: when that fails, which gives the value the trimmed text alone would give (``trim`` removes
#: only spaces, which the cast skips too, and Unicode spaces, on which the untrimmed cast fails).
_CAST_SKIPS_SPACE = frozenset({"double", "int"})


def _select_sql(
    spec: Spec, present: Mapping[str, str], from_sql: str, typed: frozenset[str] = frozenset()
) -> str:
    """
    Cast text columns to typed ones in one scan.

    Each column's text is trimmed, empty text is NULL, then the text is parsed to the column's
    type. Besides the typed columns the query returns ``_x``: NULL for a row where every column
    parsed, else a list with, for each column in spec order, the trimmed text when it did not
    parse (``''`` when a required value is empty) or NULL; :func:`_mark_bad` turns it into
    ``_bad_field``/``_bad_reason``. A parsed NaN is returned as NULL (a missing value).

    The query has three levels so that every expression is evaluated once per row, and the
    trimmed text of number columns is computed only for rows whose untrimmed text did not
    parse (see :data:`_CAST_SKIPS_SPACE`). A column absent from the source is a
    constant (its default or NULL) that DuckDB folds.
    """
    level1, level2, outer, fails, xs = [], [], [], [], []
    raw: dict[str, str] = {}
    for col in spec.cols:
        src = present.get(col.name)
        if col.name in typed:
            level1.append(f"{src} AS p_{col.name}")
            continue
        if src is None:  # a constant: folded by the optimiser
            raw[col.name] = (
                f"{_sql_str(col.default)}::VARCHAR" if col.default is not None else "NULL::VARCHAR"
            )
            continue
        if col.type in _CAST_SKIPS_SPACE:  # trimmed lazily: only where the cast fails
            level1.append(f"{src} AS s_{col.name}")
            src = f"s_{col.name}"
        t = f"nullif(trim({src}), '')"
        if col.default is not None:
            t = f"coalesce({t}, {_sql_str(col.default)})"
        if col.type in _CAST_SKIPS_SPACE:
            raw[col.name] = t
        else:
            level1.append(f"{t} AS r_{col.name}")
            raw[col.name] = f"r_{col.name}"
    for col in spec.cols:
        if col.type == "text" or col.name in typed:
            continue
        r = raw[col.name]
        p = _parse_sql(col, r)
        if col.type == "int":  # accept "3.0"
            p = f"coalesce({p}, TRY_CAST(TRY_CAST({r} AS DOUBLE) AS BIGINT))"
        if col.type in _CAST_SKIPS_SPACE and col.name in present:
            fast = _parse_sql(col, f"s_{col.name}")
            if col.type == "int":
                fast = f"coalesce({fast}, TRY_CAST(TRY_CAST(s_{col.name} AS DOUBLE) AS BIGINT))"
            p = f"coalesce({fast}, {p})"
        level2.append(f"{p} AS p_{col.name}")
    for col in spec.cols:
        p = raw[col.name] if col.type == "text" else f"p_{col.name}"
        if col.name in typed:  # finite: checked with _nonfinite
            outer.append(f"{p} AS {col.name}")
            xs.append("NULL::VARCHAR")
            continue
        if col.type == "double":  # NaN is a missing value: store NULL
            outer.append(f"CASE WHEN NOT isnan({p}) THEN {p} END AS {col.name}")
        else:
            outer.append(f"{p} AS {col.name}")
        r = raw[col.name]
        if col.type == "text":
            fail = f"{r} IS NULL" if col.required else None
        else:
            # the text is looked at only where the value is NULL
            on_null = f"{r} IS NOT NULL" if not col.required else "true"
            on_value = f"isinf({p})" if col.type == "double" else "false"
            fail = f"CASE WHEN {p} IS NULL THEN {on_null} ELSE {on_value} END"
        if fail is None:
            xs.append("NULL::VARCHAR")
            continue
        fails.append(f"coalesce({fail}, false)")
        xs.append(f"CASE WHEN {fail} THEN coalesce({r}, '') END")
    if fails:
        outer.append(f"CASE WHEN {' OR '.join(fails)} THEN [{', '.join(xs)}] END AS _x")
    else:
        outer.append("NULL::VARCHAR[] AS _x")
    if typed:
        finite = " AND ".join(f"coalesce(isfinite(p_{c}), true)" for c in sorted(typed))
        outer.append(f"NOT ({finite}) AS _nonfinite")
    tcol = next((c for c in spec.cols if c.type == "time" and c.name in present), None)
    if tcol is not None:
        r = raw[tcol.name]
        # the most common form first: DuckDB evaluates an OR's later terms only where the
        # earlier ones are not true
        outer.append(
            f"({r} LIKE '%+__:__' OR {r} LIKE '%Z' OR {r} LIKE '%z' OR {r} LIKE '%-__:__' "
            f"OR {r} LIKE '%+____' OR {r} LIKE '%T%-____') AS _tz_explicit"
        )
    sql1 = f"SELECT {', '.join(level1) or '1 AS _one'} FROM {from_sql}"
    sql2 = f"SELECT *{''.join(', ' + x for x in level2)} FROM ({sql1})"
    return f"SELECT {', '.join(outer)} FROM ({sql2})"


def _mark_bad(spec: Spec, table: pa.Table) -> pa.Table:
    """Replace the ``_x`` column by ``_bad_field`` and ``_bad_reason`` (first problem wins)."""
    n = table.num_rows
    x = table.column("_x")
    out = table.drop_columns(["_x"])
    if x.null_count == n:
        return out.append_column("_bad_field", pa.nulls(n, pa.string())).append_column(
            "_bad_reason", pa.nulls(n, pa.string())
        )
    bad_field: list[str | None] = [None] * n
    bad_reason: list[str | None] = [None] * n
    idx = np.flatnonzero(x.is_valid().to_numpy(zero_copy_only=False))
    for i, texts in zip(idx.tolist(), x.take(pa.array(idx)).to_pylist(), strict=True):
        for col, txt in zip(spec.cols, texts, strict=True):
            if txt is None:
                continue
            if txt == "" and col.required:
                bad_field[i], bad_reason[i] = col.name, "missing value in a required field"
            elif col.type in ("double", "int") and txt.lower() in _MISSING_TOKENS:
                if not col.required:
                    continue
                bad_field[i] = col.name
                bad_reason[i] = f"missing value ({txt!r}) in a required field"
            else:
                bad_field[i], bad_reason[i] = col.name, _REASONS[col.type].format(txt)
            break
    out = out.append_column("_bad_field", pa.array(bad_field, type=pa.string()))
    return out.append_column("_bad_reason", pa.array(bad_reason, type=pa.string()))


# ------------------------------------------------------------------------------------------
# sources


def _present_columns(header: Sequence[str], spec: Spec, name: str, delim: str) -> dict[str, str]:
    lookup = alias_map({c.name: c.aliases for c in spec.cols})
    canon = canonical_columns(header, lookup)
    missing = [c for c in spec.header_required if c not in canon]
    if missing:
        raise FileFormatError(
            f"{name}: line 1: missing column(s) {missing}; found {list(header)!r} with delimiter "
            f"{delim!r}. Expected the {spec.kind} columns {list(spec.names)} "
            "(see docs/DATA_FORMATS.md); check the delimiter and the header spelling."
        )
    return {c: f'"c{i}"' for i, c in enumerate(canon) if c in spec.names}


def _check_bytes(data: bytes, name: str) -> str:
    """Encoding of a CSV/JSONL file: utf-8-sig, utf-8, cp932, or 'utf-8-lenient'."""
    if not data[:65536].strip() and not data.strip():
        raise FileFormatError(f"{name}: the file is empty; expected a header line and rows.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise EncodingError(
            f"{name}: line 1: the file is UTF-16 text; expected UTF-8 or Shift_JIS (cp932). "
            "Save it as UTF-8."
        )
    head = data[:8192]
    if b"\x00" in head:
        off = head.index(b"\x00")
        line = head.count(b"\n", 0, off) + 1
        raise EncodingError(
            f"{name}: line {line}: NUL byte at offset {off}: the file "
            "is binary, not a UTF-8 or Shift_JIS text table."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.isascii():  # ASCII is UTF-8; much faster to check than a full decode
        return "utf-8"
    for enc in ("utf-8", "cp932"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "utf-8-lenient"


def _line_index(data: bytes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end byte offsets of every physical line (end excludes the newline)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [len(data)])).astype(np.int64)
    if starts[-1] == len(data):  # trailing newline: no last empty line
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


class _Lines:
    """
    The physical lines of a byte buffer, for line numbers and quarantined raw text.

    The offset index of every line is built only when a line other than the first is asked
    for (a clean file never needs it); counting lines and finding blank ones use
    ``bytes.count``/``bytes.find``.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        self._index: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    def index(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        if self._index is None:
            self._index = _line_index(self.data)
        return self._index

    def has_blank(self) -> bool:
        """Whether any line is empty or holds only ``\\r``."""
        d = self.data
        if d.startswith((b"\n", b"\r\n")) or d == b"\r" or d.endswith(b"\n\r"):
            return True
        # rfind is much faster than find/in on text with a newline every few dozen bytes
        return d.rfind(b"\n\n") >= 0 or (d.find(b"\r") >= 0 and d.rfind(b"\n\r\n") >= 0)

    def nonblank(self) -> npt.NDArray[np.int64]:
        """0-based numbers of the lines that are neither empty nor only ``\\r``."""
        if not self.has_blank():
            return np.arange(self.count, dtype=np.int64)
        starts, ends = self.index()
        lengths = ends - starts
        last = np.maximum(ends - 1, starts)
        arr = np.frombuffer(self.data, dtype=np.uint8)
        blank = (lengths == 0) | ((lengths == 1) & (arr[last] == 13))
        return np.flatnonzero(~blank).astype(np.int64)

    def raw(self, line: int) -> str | None:
        """Text of physical line ``line`` (1-based), cut to :data:`MAX_RAW_CHARS`."""
        i = line - 1
        if i < 0 or i >= self.count:
            return None
        if i == 0 and self._index is None:
            end = self.data.find(b"\n")
            start, stop = 0, len(self.data) if end < 0 else end
        else:
            starts, ends = self.index()
            start, stop = int(starts[i]), int(ends[i])
        return (
            self.data[start : min(stop, start + MAX_RAW_CHARS * 4)]
            .decode("utf-8", errors="replace")[:MAX_RAW_CHARS]
            .rstrip("\r")
        )


def _scan_csv(
    con: Any,
    csv_path: str,
    header: Sequence[str],
    header_i: int,
    delim: str,
    spec: Spec,
    present: Mapping[str, str],
    typed: frozenset[str],
) -> tuple[pa.Table, list[tuple]] | None:
    """
    Read and cast a CSV file in one DuckDB scan: the typed table and the parser's rejects.

    ``typed`` names the number columns read as DOUBLE by the CSV reader itself; for them the
    result is None (read again as text) when any value did not parse or is NaN or infinite.
    """
    index = {src.strip('"'): name for name, src in present.items()}
    types = {f"c{i}": "DOUBLE" if index.get(f"c{i}") in typed else "VARCHAR"
             for i in range(len(header))}  # fmt: skip
    tag = uuid.uuid4().hex[:12]
    rej_t, rej_s = f"rej_err_{tag}", f"rej_scan_{tag}"
    cols_struct = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
    from_sql = (
        f"read_csv({_sql_str(csv_path)}, header=true, auto_detect=false, columns={cols_struct}, "
        f"delim={_sql_str(delim)}, quote='\"', escape='\"', skip={header_i}, "
        f"store_rejects=true, rejects_table='{rej_t}', rejects_scan='{rej_s}', "
        f"max_line_size={MAX_LINE_BYTES}, strict_mode=true, null_padding=false)"
    )
    try:
        arrow = con.sql(_select_sql(spec, present, from_sql, typed)).to_arrow_table()
        if typed:
            n_cast = con.execute(
                f"SELECT count(*) FROM {rej_t} WHERE error_type = 'CAST'"
            ).fetchone()
            if (n_cast and n_cast[0]) or pc.any(arrow.column("_nonfinite")).as_py():
                return None
            arrow = arrow.drop_columns(["_nonfinite"])
        rej = con.execute(
            f"SELECT line, column_name, error_type, error_message, csv_line FROM {rej_t} "
            "ORDER BY line"
        ).fetchall()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {rej_t}")
        con.execute(f"DROP TABLE IF EXISTS {rej_s}")
    return _mark_bad(spec, arrow), rej


def _read_csv(store: Store, path: Path, spec: Spec, sha: str, data: bytes) -> _Batch:
    name = path.name
    enc = _check_bytes(data, name)
    tmp: str | None = None
    csv_path = str(path)
    if enc == "cp932":
        text = data.decode("cp932")
        data = text.encode("utf-8")
        fd, tmp = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        csv_path = tmp
    lines = _Lines(data)
    nonblank = lines.nonblank()
    raw_line = lines.raw

    header_i = int(nonblank[0])
    header_text = (raw_line(header_i + 1) or "").lstrip("\ufeff")
    lookup = alias_map({c.name: c.aliases for c in spec.cols})
    delim = sniff_delimiter(header_text, lookup.keys(), name)
    header = next(csv.reader([header_text], delimiter=delim))
    present = _present_columns(header, spec, name, delim)
    messages = []
    if delim != ",":
        messages.append(f"{name}: delimiter {delim!r} detected (expected ','); read with it.")
    if enc == "cp932":
        messages.append(f"{name}: Shift_JIS (cp932) text detected and decoded.")
    ignored = [h for h in header if normalise_name(h) and lookup.get(normalise_name(h).lower())
               not in spec.names]  # fmt: skip
    if ignored:
        messages.append(
            f"{name}: columns {ignored} are not part of the {spec.kind} format; ignored."
        )
    con = store.con
    # Fast path: number columns typed by DuckDB's CSV reader (no text materialised). It is
    # taken only when every value of those columns parsed and all are finite; otherwise the
    # file is read again with every column as text, which gives the exact per-field reasons.
    typed = frozenset(
        c.name for c in spec.cols
        if c.type == "double" and c.default is None and c.name in present
    ) if enc != "utf-8-lenient" else frozenset()  # fmt: skip
    try:
        scanned = None
        if typed:
            scanned = _scan_csv(con, csv_path, header, header_i, delim, spec, present, typed)
        if scanned is None:
            scanned = _scan_csv(con, csv_path, header, header_i, delim, spec, present, frozenset())
        assert scanned is not None  # a scan without typed columns always returns
        table, rej = scanned
    finally:
        if tmp:
            os.unlink(tmp)
    problems: list[dict] = []
    seen: set[int] = set()
    for line, col, etype, emsg, _csv_line in rej:
        line = int(line)
        if line in seen:
            continue
        seen.add(line)
        field_name = None
        if col is not None and str(col).startswith("c") and str(col)[1:].isdigit():
            ci = int(str(col)[1:])
            field_name = header[ci] if ci < len(header) else None
        problems.append(
            {
                "line": line,
                "field": field_name,
                "reason": f"{str(etype).lower()}: {str(emsg).splitlines()[0]}",
                "raw": raw_line(line),
            }
        )
    # physical line of every accepted-by-parser record
    record_lines = nonblank[nonblank > header_i] + 1
    if seen:
        record_lines = record_lines[~np.isin(record_lines, np.fromiter(seen, dtype=np.int64))]
    if len(record_lines) != table.num_rows:
        messages.append(
            f"{name}: some records span several lines (quoted newlines); 'line' holds the "
            "record number after the header instead of the physical line."
        )
        record_lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return _Batch(
        name, str(path), sha, spec, table, record_lines.astype(np.int64), problems, raw_line,
        encoding=enc, messages=messages,
    )  # fmt: skip


def _records_batch(
    store: Store,
    records: Sequence[Mapping[str, Any]],
    spec: Spec,
    name: str,
    path: str,
    sha: str,
    lines: Sequence[int] | None = None,
    problems: list[dict] | None = None,
    raw: Callable[[int], str | None] | None = None,
) -> _Batch:
    """A batch from dict records (JSON Lines, API bodies, real-data adapters)."""
    lookup = alias_map({c.name: c.aliases for c in spec.cols})
    keys: list[str] = []
    for r in records:
        for k in r:
            if k not in keys:
                keys.append(k)
    canon = canonical_columns(keys, lookup) if keys else []
    if records:
        missing = [c for c in spec.header_required if c not in canon]
        if missing:
            raise FileFormatError(
                f"{name}: record 1: missing field(s) {missing}; found {keys!r}. Expected the "
                f"{spec.kind} fields {list(spec.names)} (see docs/DATA_FORMATS.md)."
            )
    cols = {}
    for k, c in zip(keys, canon, strict=True):
        if c not in spec.names:
            continue
        cols[c] = pa.array([_to_text(r.get(k)) for r in records], type=pa.string())
    n = len(records)
    arrow_in = pa.table(cols) if cols else pa.table({"_n": pa.array(range(n))})
    present = {c: f'"{c}"' for c in cols}
    view = f"recs_{uuid.uuid4().hex[:12]}"
    con = store.con
    con.register(view, arrow_in)
    try:
        table = _mark_bad(spec, con.sql(_select_sql(spec, present, view)).to_arrow_table())
    finally:
        con.unregister(view)
    line_arr = np.asarray(lines if lines is not None else np.arange(1, n + 1), dtype=np.int64)

    def raw_default(line: int) -> str | None:
        i = int(np.searchsorted(line_arr, line))
        if 0 <= i < n and line_arr[i] == line:
            return json.dumps(records[i], ensure_ascii=False, default=str)[:MAX_RAW_CHARS]
        return None

    return _Batch(name, path, sha, spec, table, line_arr, problems or [], raw or raw_default)


def _to_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _read_jsonl(store: Store, path: Path, spec: Spec, sha: str, data: bytes) -> _Batch:
    name = path.name
    enc = _check_bytes(data, name)
    text = data.decode("utf-8-sig" if enc == "utf-8-lenient" else enc, errors="replace")
    records, lines, problems = [], [], []
    raw_lines = text.splitlines()
    for i, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                {"line": i, "field": None, "reason": f"invalid JSON: {exc.msg} (column "
                 f"{exc.colno})", "raw": line[:MAX_RAW_CHARS]}
            )  # fmt: skip
            continue
        if not isinstance(obj, dict):
            problems.append(
                {"line": i, "field": None, "reason": "expected a JSON object per line, got "
                 f"{type(obj).__name__}", "raw": line[:MAX_RAW_CHARS]}
            )  # fmt: skip
            continue
        records.append(obj)
        lines.append(i)

    def raw(line: int) -> str | None:
        return raw_lines[line - 1][:MAX_RAW_CHARS] if 0 < line <= len(raw_lines) else None

    batch = _records_batch(store, records, spec, name, str(path), sha, lines, problems, raw)
    batch.encoding = enc
    return batch


def _frame_batch(
    store: Store, frame: pd.DataFrame, spec: Spec, path: Path, sha: str, problems: list[dict],
    raw: Callable[[int], str | None], encoding: str | None,
) -> _Batch:  # fmt: skip
    lines = frame["line"].to_numpy(dtype=np.int64)
    recs = frame.drop(columns=["line"]).to_dict("records")
    batch = _records_batch(store, recs, spec, path.name, str(path), sha, lines, problems, raw)
    batch.encoding = encoding
    return batch


def _text_lines(path: Path) -> Callable[[int], str | None]:
    from sensors.readers import read_text

    lines = read_text(path)[0].splitlines()
    return lambda n: lines[n - 1][:MAX_RAW_CHARS] if 0 < n <= len(lines) else None


def _read_weather(store: Store, path: Path, sha: str) -> _Batch:
    from sensors.weather import WEATHER_ALIASES, WEATHER_COLUMNS

    raw, enc = read_dated_csv(path, WEATHER_ALIASES, WEATHER_COLUMNS)
    frame = raw[["date_text", *WEATHER_COLUMNS, "line"]].rename(columns={"date_text": "date"})
    frame["date"] = frame["date"].str.replace("/", "-", regex=False)
    return _frame_batch(store, frame, WEATHER, path, sha, [], _text_lines(path), enc)


def _read_chikaho(store: Store, path: Path, sha: str) -> _Batch:
    from sensors.chikaho import (
        _ALIASES,
        ARRAYS,
        CHIKAHO_SERIES,
        SUBWAY_LINE_IDS,
        SUBWAY_SERIES,
    )

    raw, enc = read_dated_csv(path, _ALIASES, ARRAYS)
    parts = []
    for col in (c for c in _ALIASES if c in raw.columns):
        is_array = col in ARRAYS
        parts.append(
            pd.DataFrame(
                {
                    "time": raw["date_text"].str.replace("/", "-", regex=False),
                    "line_id": f"chikaho-{col}" if is_array else SUBWAY_LINE_IDS[col],
                    "direction": "both" if is_array else "boarding",
                    "interval_min": "1440",
                    "count": raw[col],
                    "statistic": "mean_per_15min" if is_array else "total",
                    "series": CHIKAHO_SERIES if is_array else SUBWAY_SERIES,
                    "line": raw["line"],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True).sort_values("line", kind="stable")
    batch = _frame_batch(store, frame, COUNTS_LONG, path, sha, [], _text_lines(path), enc)
    batch.messages.append(
        f"{path.name}: {len(raw)} days; J1..J5 stored as lines chikaho-J1..J5 (daily mean of "
        "15-minute counts, series chikaho-acoustic) and subway boardings as subway-* lines."
    )
    return batch


def _read_mesh(store: Store, path: Path, sha: str) -> _Batch:
    from sensors.mlit import read_mesh_stay

    frame, problems = read_mesh_stay(path)

    def raw(line: int) -> str | None:
        return f"feature {line}"

    batch = _frame_batch(store, frame, MESH, path, sha, problems, raw, "utf-8")
    batch.messages.append(f"{path.name}: {frame['mesh_id'].nunique()} meshes.")
    return batch


def _is_fitbit(header_text: str) -> bool:
    names = {normalise_name(h).lower() for h in header_text.replace(";", ",").split(",")}
    return "activityhour" in names or "steptotal" in names


# ------------------------------------------------------------------------------------------
# QC per kind


def _np(table: pa.Table, name: str, dtype: Any = np.float64) -> npt.NDArray[Any]:
    col = table.column(name)
    if pa.types.is_timestamp(col.type):
        return np.asarray(col.cast(pa.int64()).to_numpy(), dtype=np.int64)
    if dtype is np.float64:
        return col.cast(pa.float64()).to_numpy()
    return col.to_numpy()


def _codes(table: pa.Table, names: Sequence[str]) -> npt.NDArray[np.int64]:
    """Integer code of the composite key ``names`` (for grouping)."""
    if len(names) == 1:
        enc = table.column(names[0]).combine_chunks().dictionary_encode()
        return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    frame = table.select(list(names)).to_pandas()
    return pd.MultiIndex.from_frame(frame).factorize()[0].astype(np.int64)


def _dup_flags(key: npt.NDArray[np.int64], time_us: npt.NDArray[np.int64] | None) -> Any:
    """Duplicate flag on the 2nd and later occurrences (file order) of (key, time)."""
    frame = pd.DataFrame({"k": key, "t": time_us if time_us is not None else 0})
    return np.where(frame.duplicated(), qc.FLAGS["duplicate"], 0).astype(np.uint32)


def _now_us() -> int:
    return int(_time.time() * 1e6)


def _fill_nan(
    values: npt.NDArray[np.float64], per_code: npt.NDArray[np.float64], codes: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """``values`` with each NaN replaced by ``per_code`` of its row's code."""
    nan = np.isnan(values)
    if not nan.any():
        return values
    return np.where(nan, per_code[codes], values)


def _series_order(
    codes: npt.NDArray[np.int64], time_us: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp] | None:
    """
    The stable order by (sensor code, time), or None when the rows are already in it.

    Two stable sorts (time, then the small sensor codes, which numpy sorts by radix) give the
    same order as ``np.lexsort((np.arange(n), time_us, codes))``.
    """
    if codes.size < 2:
        return None
    dc = codes[1:] - codes[:-1]
    if np.all((dc > 0) | ((dc == 0) & (time_us[1:] >= time_us[:-1]))):
        return None
    by_time = np.argsort(time_us, kind="stable")
    small = codes.astype(np.uint16) if codes.max() < 65_536 else codes
    return by_time[np.argsort(small[by_time], kind="stable")]


@dataclass
class QCContext:
    """What the QC tests need besides the rows: the area and the registry."""

    area_wgs84: Any = None
    now_us: int = field(default_factory=_now_us)


def _qc_thermal(store: Store, t: pa.Table, ctx: QCContext, messages: list[str], name: str) -> Any:
    n = t.num_rows
    flags = np.zeros(n, dtype=np.uint32)
    time_us = _np(t, "time")
    values = {v: _np(t, v) for v in qc.READING_RANGES}
    req = {
        k: values[k] for k in ("air_temp_c", "rel_humidity_pct", "wind_speed_ms", "globe_temp_c")
    }
    flags |= qc.range_flags(req, qc.READING_RANGES)
    solar = values["solar_wm2"]
    with np.errstate(invalid="ignore"):
        flags[(solar < 0) | (solar > qc.READING_RANGES["solar_wm2"][1])] |= qc.FLAGS["range"]
    lat, lon = _np(t, "lat"), _np(t, "lon")
    level = _np(t, "level")  # NaN where empty
    with np.errstate(invalid="ignore"):
        flags[(np.abs(lat) > 90) | (np.abs(lon) > 180)] |= qc.FLAGS["range"]
        flags[~np.isnan(level) & ~np.isin(level, (0, -1))] |= qc.FLAGS["range"]
    # registry, looked up once per distinct sensor of the batch
    reg = store.con.execute(
        "SELECT sensor_id, lat, lon, level, epoch_us(installed) AS installed_us FROM sensors"
    ).df()
    sid = t.column("sensor_id").combine_chunks().dictionary_encode()
    codes = sid.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = pd.Index(sid.dictionary.to_pylist())
    registered_ids = reg["sensor_id"]
    reg = reg.set_index("sensor_id").reindex(names)
    registered = reg["lat"].notna().to_numpy() | reg.index.isin(registered_ids)
    loc_lat = _fill_nan(lat, reg["lat"].to_numpy(dtype=np.float64, na_value=np.nan), codes)
    loc_lon = _fill_nan(lon, reg["lon"].to_numpy(dtype=np.float64, na_value=np.nan), codes)
    # a sensor outside the registry is fine when the row carries its location (mobile kits)
    unreg = ~registered[codes] & (np.isnan(loc_lat) | np.isnan(loc_lon))
    flags[unreg] |= qc.FLAGS["unregistered"]
    if unreg.any():
        missing = sorted(set(np.asarray(names)[np.unique(codes[unreg])].tolist()))[:5]
        messages.append(
            f"{name}: {int(unreg.sum())} readings from sensors neither in the registry nor "
            f"with lat/lon (e.g. {missing}); stored, flagged 'unregistered'. Ingest the registry "
            "with 'kaiteki ingest sensors'."
        )
    installed = reg["installed_us"].to_numpy(dtype=np.float64, na_value=np.nan)
    installed = np.where(np.isnan(installed), np.iinfo(np.int64).min, installed).astype(np.int64)
    flags |= qc.time_flags(time_us, ctx.now_us, installed[codes])
    flags |= qc.area_flags(loc_lon, loc_lat, ctx.area_wgs84)
    flags |= qc.globe_flags(values["globe_temp_c"], values["air_temp_c"])
    # time series tests in (sensor, time, file order)
    lev = np.nan_to_num(level, nan=0.0).astype(np.int64)
    order = _series_order(codes, time_us)
    if order is None:  # already in (sensor, time) order, as most station files are
        flags |= qc.series_flags(codes, time_us, values, lev)
    else:
        sflags = qc.series_flags(
            codes[order], time_us[order], {k: v[order] for k, v in values.items()}, lev[order]
        )
        flags[order] |= sflags
    # duplicates against the store
    if n:
        keys = pa.table({"sensor_id": t.column("sensor_id"), "time": t.column("time")})
        view = f"keys_{uuid.uuid4().hex[:12]}"
        store.con.register(view, keys.append_column("i", pa.array(np.arange(n))))
        try:
            hit = store.con.execute(
                f"SELECT k.i FROM {view} k SEMI JOIN readings r "
                "ON r.sensor_id = k.sensor_id AND r.time = k.time"
            ).fetchnumpy()["i"]
        finally:
            store.con.unregister(view)
        if len(hit):
            flags[np.asarray(hit, dtype=np.int64)] |= qc.FLAGS["duplicate"]
            messages.append(
                f"{name}: {len(hit)} readings repeat a (sensor_id, time) already in the store; "
                "flagged 'duplicate'."
            )
    return flags


def _qc_counts(t: pa.Table, ctx: QCContext, value: str, keys: Sequence[str]) -> Any:
    v = _np(t, value)
    flags = qc.range_flags({value: v}, {value: (0.0, 1e9)})
    interval = _np(t, "interval_min")
    with np.errstate(invalid="ignore"):
        flags[~(interval > 0)] |= qc.FLAGS["range"]
    est = t.column("estimated").to_numpy(zero_copy_only=False)
    flags[np.asarray(est == True)] |= qc.FLAGS["estimated"]  # noqa: E712
    time_us = _np(t, "time")
    flags |= qc.time_flags(time_us, ctx.now_us)
    flags |= _dup_flags(_codes(t, keys), time_us)
    return flags


def _qc_steps(t: pa.Table, ctx: QCContext) -> Any:
    steps = _np(t, "steps")
    interval = np.asarray(t.column("interval").to_pylist(), dtype=object)
    flags = qc.range_flags({"steps": steps}, {"steps": (0.0, 100_000.0)})
    with np.errstate(invalid="ignore"):
        flags[(interval == "hour") & (steps > 20_000)] |= qc.FLAGS["range"]
    flags[~np.isin(interval, ["hour", "day"])] |= qc.FLAGS["range"]
    time_us = _np(t, "time")
    flags |= qc.time_flags(time_us, ctx.now_us)
    flags |= _dup_flags(_codes(t, ["participant_id"]), time_us)
    return flags


def _qc_survey(t: pa.Table, ctx: QCContext) -> Any:
    ranges = {
        "thermal_sensation": (-3.0, 3.0),
        "comfort_vote": (0.0, 3.0),
        "clothing_clo": (0.0, 4.0),
    }
    flags = np.zeros(t.num_rows, dtype=np.uint32)
    for k, (lo, hi) in ranges.items():
        v = _np(t, k)
        with np.errstate(invalid="ignore"):
            flags[(v < lo) | (v > hi)] |= qc.FLAGS["range"]
    tsv = _np(t, "thermal_sensation")
    flags[np.isnan(tsv)] |= qc.FLAGS["missing"]
    lat, lon = _np(t, "lat"), _np(t, "lon")
    flags |= qc.area_flags(lon, lat, ctx.area_wgs84)
    flags |= qc.time_flags(_np(t, "time"), ctx.now_us)
    flags |= _dup_flags(_codes(t, ["response_id"]), None)
    return flags


def _qc_weather(t: pa.Table) -> Any:
    from sensors.weather import WEATHER_RANGES

    flags = qc.range_flags({k: _np(t, k) for k in WEATHER_RANGES}, WEATHER_RANGES)
    d = t.column("date").cast(pa.int32()).to_numpy(zero_copy_only=False)
    flags |= _dup_flags(np.zeros(len(d), dtype=np.int64), d)
    return flags


def _qc_mesh(t: pa.Table) -> Any:
    flags = qc.range_flags({"p": _np(t, "stay_population")}, {"p": (0.0, 1e7)})
    key = _codes(t, ["mesh_id", "month", "day_type", "time_band"])
    flags |= _dup_flags(key, None)
    return flags


# ------------------------------------------------------------------------------------------
# storing

#: Output columns of each table (besides qc_flags, simulated, file_id, line).
_OUT: dict[str, tuple[str, ...]] = {
    "readings": ("time", "sensor_id", "lat", "lon", "level", "air_temp_c", "rel_humidity_pct",
                 "wind_speed_ms", "globe_temp_c", "solar_wm2"),
    "counts": ("time", "line_id", "direction", "interval_min", "count", "statistic", "series"),
    "dwell": ("time", "zone_id", "interval_min", "dwell_count", "series"),
    "steps": ("participant", "time", "interval", "steps"),
    "survey": ("response_id", "time", "lat", "lon", "block", "thermal_sensation", "comfort_vote",
               "preference", "activity", "clothing_clo", "age_group", "free_text"),
    "weather": ("date", "air_temp_c", "wind_dir_deg", "wind_speed_ms", "precip_mm",
                "snow_depth_cm"),
    "mesh_stay": ("mesh_id", "city_code", "month", "day_type", "time_band", "stay_population"),
    "sensors": ("sensor_id", "kind", "lat", "lon", "level", "height_m", "globe_diameter_m",
                "installed", "name"),
}  # fmt: skip


def result_attrs(result: IngestResult, store: Any) -> dict[str, Any]:
    """
    The counts of an ingest and its quarantined rows (line, field, reason), for a frame's
    ``attrs``: readers that parse a file in memory report what they could not keep.
    """
    quarantined = (
        store.quarantine(result.file_id)[["line", "field", "reason"]].to_dict("records")
        if result.file_id is not None
        else []
    )
    return {**result.summary(), "quarantine": quarantined, "messages": list(result.messages)}


#: Kinds that hold personal data: their ids are pseudonymised and the raw text of their
#: quarantined rows is not kept (file, line, field and reason are).
PERSONAL_KINDS = ("steps", "survey")


def _require_key(kind: str, pseudonym_key: str | bytes | None) -> None:
    if kind in PERSONAL_KINDS and pseudonym_key is None:
        raise IngestError(
            f"{kind} need a pseudonym key: participant and response ids are replaced by a "
            "keyed hash at ingest. Pass pseudonym_key (the CLI and the API use "
            "KAITEKI_PSEUDONYM_KEY)."
        )


def pseudonymise(ids: Sequence[str], key: str | bytes) -> list[str]:
    """
    Keyed pseudonyms (HMAC-SHA256, first 16 hex digits) of participant ids.

    Parameters
    ----------
    ids
        Raw participant ids.
    key
        The secret key (``KAITEKI_PSEUDONYM_KEY``); the same key gives the same pseudonym.

    Examples
    --------
    >>> pseudonymise(["1503960366"], "k")[0] == pseudonymise(["1503960366"], "k")[0]
    True
    """
    import hmac

    k = key.encode("utf-8") if isinstance(key, str) else key
    return ["p-" + hmac.new(k, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for i in ids]  # fmt: skip


def _finish(
    store: Store,
    batch: _Batch,
    kind: str,
    ctx: QCContext,
    pseudonym_key: str | bytes | None,
    want_rows: bool,
) -> IngestResult:
    spec, t, name = batch.spec, batch.data, batch.name
    msgs = list(batch.messages)
    bad = t.column("_bad_field").is_valid().to_numpy(zero_copy_only=False)
    ok_idx = np.flatnonzero(~bad)
    bad_idx = np.flatnonzero(bad)
    if len(bad_idx):
        good = t.take(pa.array(ok_idx))
        lines_ok = batch.lines[ok_idx]
    else:  # nothing to quarantine: no copy
        good, lines_ok = t, batch.lines
    # one chunk per column: numpy views for QC without copies, and a fast scan when storing
    good = good.combine_chunks()
    # quarantine entries
    quarantine: list[dict] = list(batch.problems)
    if len(bad_idx):
        bf = t.column("_bad_field").take(pa.array(bad_idx)).to_pylist()
        br = t.column("_bad_reason").take(pa.array(bad_idx)).to_pylist()
        for i, f, r in zip(bad_idx.tolist(), bf, br, strict=True):
            ln = int(batch.lines[i])
            quarantine.append({"line": ln, "field": f, "reason": r, "raw": batch.raw_line(ln)})
    if spec.table in PERSONAL_KINDS:
        # the raw line holds the raw participant or response id: keep where, not what
        for q in quarantine:
            if q.get("raw") is not None:
                q["raw"] = None
    # QC
    table = spec.table
    if table == "readings":
        flags = _qc_thermal(store, good, ctx, msgs, name)
    elif table == "counts":
        flags = _qc_counts(good, ctx, "count", ["line_id", "direction", "series"])
    elif table == "dwell":
        flags = _qc_counts(good, ctx, "dwell_count", ["zone_id", "series"])
    elif table == "steps":
        flags = _qc_steps(good, ctx)
    elif table == "survey":
        flags = _qc_survey(good, ctx)
    elif table == "weather":
        flags = _qc_weather(good)
    elif table == "mesh_stay":
        flags = _qc_mesh(good)
    else:  # sensors
        flags = np.zeros(good.num_rows, dtype=np.uint32)
        lat, lon = _np(good, "lat"), _np(good, "lon")
        flags |= qc.area_flags(lon, lat, ctx.area_wgs84)
        # a registry file may list a sensor twice: the last row wins, earlier ones quarantined
        sid = pd.Series(good.column("sensor_id").to_pylist())
        earlier = sid.duplicated(keep="last").to_numpy()
        if earlier.any():
            last_line = dict(zip(sid, lines_ok, strict=True))
            for i in np.flatnonzero(earlier).tolist():
                ln = int(lines_ok[i])
                quarantine.append({
                    "line": ln, "field": "sensor_id",
                    "reason": f"sensor_id {sid[i]!r} is listed again on line "
                              f"{int(last_line[sid[i]])}; that later row was stored",
                    "raw": batch.raw_line(ln),
                })  # fmt: skip
            keep = np.flatnonzero(~earlier)
            good, flags, lines_ok = good.take(pa.array(keep)), flags[keep], lines_ok[keep]
    n_ok = good.num_rows
    quarantine.sort(key=lambda q: (q["line"] is None, q["line"] or 0))
    rows_read = n_ok + len(quarantine)
    flagged = int(np.count_nonzero(flags))
    sim = good.column("simulated").to_numpy(zero_copy_only=False) if n_ok else np.zeros(0, bool)
    sim = np.asarray(sim == True, dtype=bool)  # noqa: E712
    result = IngestResult(
        file=batch.path, kind=kind, sha256=batch.sha256, rows_read=rows_read, accepted=n_ok,
        flagged=flagged, quarantined=len(quarantine), encoding=batch.encoding,
        simulated=bool(sim.any()),
    )  # fmt: skip
    # messages
    if "_tz_explicit" in t.column_names and n_ok:
        tz = good.column("_tz_explicit").to_numpy(zero_copy_only=False)
        n_tz = int(np.count_nonzero(tz == True))  # noqa: E712
        if 0 < n_tz < n_ok:
            msgs.append(
                f"{name}: mixed time zones: {n_tz} timestamps carry an offset, {n_ok - n_tz} "
                "have none and were taken as Asia/Tokyo (JST)."
            )
    msgs.extend(_flag_messages(name, flags, lines_ok))
    msgs.extend(_quarantine_messages(name, quarantine))
    if sim.any() and not sim.all():
        msgs.append(f"{name}: {int(sim.sum())} of {n_ok} rows are marked simulated.")
    result.messages = msgs
    # output table
    cols: dict[str, Any] = {}
    for c in _OUT[table]:
        src = "participant_id" if c == "participant" else c
        cols[c] = good.column(src)
    id_col = {"steps": "participant", "survey": "response_id"}.get(table)
    if id_col is not None:
        # personal data: participant and response ids are stored only as keyed pseudonyms
        _require_key(table, pseudonym_key)
        raw_ids = cols[id_col].to_pylist()
        uniq = list(dict.fromkeys(raw_ids))
        mapping = dict(zip(uniq, pseudonymise(uniq, pseudonym_key), strict=True))  # type: ignore[arg-type]
        cols[id_col] = pa.array([mapping[i] for i in raw_ids], type=pa.string())
    if table == "steps":
        cols["steps"] = pa.compute.cast(cols["steps"], pa.int64(), safe=False)
    cols["qc_flags"] = pa.array(flags, type=pa.uint32())
    cols["simulated"] = pa.array(sim, type=pa.bool_())
    out = pa.table(cols)
    _write(store, result, table, out, lines_ok, quarantine)
    if want_rows:
        result.rows = _row_outcomes(batch, ok_idx, flags, quarantine)
    return result


def _flag_messages(name: str, flags: Any, lines: Any) -> list[str]:
    out = []
    for fname, bit in qc.FLAGS.items():
        hit = np.flatnonzero(flags & bit)
        if len(hit):
            first = ", ".join(str(int(x)) for x in lines[hit[:5]])
            out.append(f"{name}: {len(hit)} rows flagged '{fname}' (stored), e.g. line(s) {first}.")
    return out


def _quarantine_messages(name: str, quarantine: list[dict], limit: int = 10) -> list[str]:
    out = []
    for q in quarantine[:limit]:
        where = f"line {q['line']}" if q["line"] is not None else "no line"
        fld = f", field {q['field']}" if q["field"] else ""
        out.append(f"{name}: {where}{fld}: {q['reason']}; row quarantined.")
    if len(quarantine) > limit:
        out.append(f"{name}: ... and {len(quarantine) - limit} more quarantined rows "
                   "(see the quarantine table).")  # fmt: skip
    return out


def _row_outcomes(
    batch: _Batch, ok_idx: Any, flags: Any, quarantine: list[dict]
) -> list[RowOutcome]:
    n = batch.data.num_rows + len(batch.problems)
    by_line = {int(q["line"]): q for q in quarantine if q["line"] is not None}
    out: list[RowOutcome] = []
    pos = {int(i): k for k, i in enumerate(ok_idx.tolist())}
    for i in range(batch.data.num_rows):
        ln = int(batch.lines[i])
        if i in pos and ln not in by_line:
            f = int(flags[pos[i]])
            out.append(RowOutcome(ln - 1, "flagged" if f else "accepted", qc.flag_names(f)))
        else:
            q = by_line[ln]
            out.append(RowOutcome(ln - 1, "quarantined", [], q["field"], q["reason"]))
    assert len(out) == n
    return out


def _write(
    store: Store,
    result: IngestResult,
    table: str,
    out: pa.Table,
    lines: Any,
    quarantine: list[dict],
) -> None:
    con = store.con
    view = f"batch_{uuid.uuid4().hex[:12]}"
    out = out.append_column("line", pa.array(lines, type=pa.int64()))
    # DuckDB scans a table whose columns share one chunk layout about twice as fast (the
    # typed columns come in DuckDB's chunks, the flags and lines in one piece)
    out = out.combine_chunks()
    con.register(view, out)
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "INSERT INTO files (path, sha256, kind, rows_read, accepted, flagged, quarantined, "
            "encoding, simulated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING file_id",
            [result.file, result.sha256, result.kind, result.rows_read, result.accepted,
             result.flagged, result.quarantined, result.encoding, result.simulated],
        ).fetchone()  # fmt: skip
        assert row is not None
        file_id = int(row[0])
        names = ", ".join(out.column_names)
        if table == "sensors":
            con.execute(f"DELETE FROM sensors WHERE sensor_id IN (SELECT sensor_id FROM {view})")
            names = names.replace(", line", "")
            con.execute(
                f"INSERT INTO sensors ({names}, file_id) SELECT {names}, ? FROM {view}", [file_id]
            )
        else:
            con.execute(
                f"INSERT INTO {table} ({names}, file_id) SELECT {names}, ? FROM {view}", [file_id]
            )
        if quarantine:
            qt = pa.table({
                "line": pa.array([q["line"] for q in quarantine], type=pa.int64()),
                "field": pa.array([q["field"] for q in quarantine], type=pa.string()),
                "reason": pa.array([q["reason"] for q in quarantine], type=pa.string()),
                "raw": pa.array([q["raw"] for q in quarantine], type=pa.string()),
            })  # fmt: skip
            qv = f"q_{uuid.uuid4().hex[:12]}"
            con.register(qv, qt)
            try:
                con.execute(
                    "INSERT INTO quarantine (file_id, line, field, reason, raw) "
                    f"SELECT ?, line, field, reason, raw FROM {qv}",
                    [file_id],
                )
            finally:
                con.unregister(qv)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(view)
    result.file_id = file_id


# ------------------------------------------------------------------------------------------
# entry points


def _spec_for(kind: str) -> Spec:
    return {
        "thermal": THERMAL, "sensors": SENSORS, "flow": FLOW, "dwell": DWELL, "steps": STEPS,
        "survey": SURVEY,
    }[kind]  # fmt: skip


def _already(store: Store, sha: str, kind: str) -> int | None:
    row = store.con.execute(
        "SELECT file_id FROM files WHERE sha256 = ? AND kind = ?", [sha, kind]
    ).fetchone()
    return int(row[0]) if row else None


def ingest_file(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    area_buffer_m: float = 100.0,
) -> IngestResult:
    """
    Ingest one file into the store, in one transaction.

    Parameters
    ----------
    store
        The open store.
    kind
        One of :data:`KINDS`: ``thermal`` (CSV or ``.jsonl``), ``sensors`` (registry CSV),
        ``flow`` / ``dwell`` (CSV), ``mesh`` (MLIT GeoJSON), ``steps`` (Fitbit or
        kaiteki CSV), ``survey`` (CSV), ``weather`` / ``chikaho`` (the Sapporo daily file).
    path
        The file.
    area
        Planning area (GeoDataFrame/GeoSeries or a shapely polygon in EPSG:6680) for the
        outside-area test; skipped when None.
    pseudonym_key
        Secret key for pseudonyms (required for the personal kinds ``steps`` and ``survey``).
    area_buffer_m
        Tolerance around the area (m).

    Returns
    -------
    IngestResult
        Counts and messages; ``duplicate_file`` when the same bytes were already ingested as
        this kind (nothing is added then).

    Raises
    ------
    FileFormatError, EncodingError
        The file is rejected as a whole (empty, binary, undecodable, missing columns); nothing
        is stored.
    IngestError
        Unknown kind, or a personal kind (``steps``, ``survey``) without a pseudonym key.
    """
    if kind not in KINDS:
        raise IngestError(f"unknown ingest kind {kind!r}; expected one of {list(KINDS)}.")
    _require_key(kind, pseudonym_key)
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file; check the path.")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    prev = _already(store, sha, kind)
    if prev is not None:
        return IngestResult(
            file=str(path), kind=kind, sha256=sha, duplicate_file=True, file_id=prev,
            messages=[f"{path.name}: already ingested as {kind} (file_id {prev}); nothing added."],
        )  # fmt: skip
    ctx = QCContext(area_wgs84=qc.area_in_wgs84(area, buffer_m=area_buffer_m) if area is not None
                    else None)  # fmt: skip
    if kind == "weather":
        batch = _read_weather(store, path, sha)
    elif kind == "chikaho":
        batch = _read_chikaho(store, path, sha)
    elif kind == "mesh":
        batch = _read_mesh(store, path, sha)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        batch = _read_jsonl(store, path, _spec_for(kind), sha, data)
    else:
        spec = _spec_for(kind)
        if kind == "steps":
            first = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
            if first and _is_fitbit(first[0]):
                spec = FITBIT
        batch = _read_csv(store, path, spec, sha, data)
    del data
    return _finish(store, batch, kind, ctx, pseudonym_key, want_rows=False)


def ingest_records(
    store: Store,
    kind: str,
    records: Sequence[Mapping[str, Any]],
    source: str,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    area_buffer_m: float = 100.0,
) -> IngestResult:
    """
    Ingest in-memory records (the web API's ``POST /v1/readings|counts|steps|survey``).

    The batch is one transaction and is recorded in ``files`` with ``path = source`` and the
    SHA-256 of the canonical JSON of ``records``: posting the identical batch again adds
    nothing (``duplicate_file``).

    Parameters
    ----------
    store
        The open store.
    kind
        ``readings`` (or ``thermal``), ``counts`` (or ``flow``), ``dwell``, ``steps``,
        ``survey`` or ``sensors``.
    records
        One dict per row with the fields of docs/DATA_FORMATS.md (values may be numbers,
        strings, booleans or None).
    source
        Label recorded as the batch's path, e.g. ``"api:POST /v1/readings"``.
    area, pseudonym_key, area_buffer_m
        As in :func:`ingest_file`.

    Returns
    -------
    IngestResult
        With ``rows``: one :class:`RowOutcome` per record (index, status, flags, field,
        reason).

    Raises
    ------
    IngestError
        Unknown kind, records not a list of objects, or steps without a key.
    FileFormatError
        A required field is absent from every record.
    """
    if kind not in RECORD_KINDS:
        raise IngestError(f"unknown record kind {kind!r}; expected one of {list(RECORD_KINDS)}.")
    k = RECORD_KINDS[kind]
    _require_key(k, pseudonym_key)
    if not isinstance(records, Sequence) or not all(isinstance(r, Mapping) for r in records):
        raise IngestError(f"{source}: expected a list of JSON objects (one per row).")
    canon = json.dumps(list(records), sort_keys=True, ensure_ascii=False, default=str)
    sha = hashlib.sha256(canon.encode("utf-8")).hexdigest()
    prev = _already(store, sha, k)
    if prev is not None:
        return IngestResult(
            file=source, kind=k, sha256=sha, duplicate_file=True, file_id=prev, rows=[],
            messages=[f"{source}: this exact batch was already ingested (file_id {prev}); "
                      "nothing added."],
        )  # fmt: skip
    if not records:
        raise IngestError(f"{source}: the batch is empty; send at least one record.")
    ctx = QCContext(area_wgs84=qc.area_in_wgs84(area, buffer_m=area_buffer_m) if area is not None
                    else None)  # fmt: skip
    spec = _spec_for(k)
    batch = _records_batch(store, records, spec, source, source, sha)
    batch.encoding = "json"
    return _finish(store, batch, k, ctx, pseudonym_key, want_rows=True)


def read_text_records(text: str) -> list[dict[str, Any]]:
    """Parse CSV text (header + rows) into dict records, e.g. for an API upload."""
    return list(csv.DictReader(io.StringIO(text)))
