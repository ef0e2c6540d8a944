"""
Sources → typed batches: CSV files (one DuckDB scan), JSON Lines files, and dict records.

A :class:`Batch` is what every source becomes before QC: the typed columns of the rows that
could be read (with ``_bad_field``/``_bad_reason`` for the rows to quarantine), their line
numbers, and the rows rejected before casting (:attr:`Batch.problems`). A kind with a special
source (the Sapporo daily file, the MLIT GeoJSON) builds dict records or a frame and uses
:func:`frame_batch`.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sensors.errors import FileFormatError
from sensors.ingest.casting import CastRules, mark_bad, select_sql, sql_str
from sensors.ingest.lines import (
    MAX_LINE_BYTES,
    MAX_RAW_CHARS,
    Lines,
    check_bytes,
    clean_text,
)
from sensors.readers import alias_map, canonical_columns, normalise_name, sniff_delimiter
from sensors.tables import Spec

#: Deepest nesting of a JSON line (objects and arrays); deeper lines are quarantined.
MAX_JSON_DEPTH = 32


@dataclass
class Batch:
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


@dataclass
class Source:
    """A file to read: its path, bytes and digest, the store, the spec and the cast rules."""

    store: Any
    path: Path
    data: bytes
    sha256: str
    spec: Spec
    rules: CastRules


def oversize_reason(n_bytes: int) -> str:
    """The quarantine reason of a line or record longer than :data:`MAX_LINE_BYTES`."""
    return (
        f"the row is {n_bytes:,} bytes; rows longer than {MAX_LINE_BYTES:,} bytes are not "
        "read (check the delimiter and quoting, or split the field)"
    )


def present_columns(header: Sequence[str], spec: Spec, name: str, delim: str) -> dict[str, str]:
    """Spec column → source column (``"c<i>"``) of a CSV header; required ones must be there."""
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


def scan_csv(
    con: Any,
    csv_path: str,
    header: Sequence[str],
    header_i: int,
    delim: str,
    spec: Spec,
    present: Mapping[str, str],
    rules: CastRules,
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
        f"read_csv({sql_str(csv_path)}, header=true, auto_detect=false, columns={cols_struct}, "
        f"delim={sql_str(delim)}, quote='\"', escape='\"', skip={header_i}, "
        f"store_rejects=true, rejects_table='{rej_t}', rejects_scan='{rej_s}', "
        f"max_line_size={MAX_LINE_BYTES + 2}, strict_mode=true, null_padding=false)"
    )
    try:
        arrow = con.sql(select_sql(spec, present, from_sql, rules, typed)).to_arrow_table()
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
    return mark_bad(spec, arrow, rules), rej


def read_csv(src: Source) -> Batch:
    """A CSV file (UTF-8 or cp932; any of , ; tab |) as a batch of ``src.spec``."""
    name, data, spec = src.path.name, src.data, src.spec
    enc = check_bytes(data, name)
    if enc == "cp932":
        data = data.decode("cp932").encode("utf-8")
    lines = Lines(data)
    problems: list[dict] = []
    long_lines = lines.long()
    scan_data: bytes | None = data if enc == "cp932" else None
    if len(long_lines):
        # emptied before the scan (blank lines are skipped), quarantined here
        for i in long_lines.tolist():
            problems.append({"line": i + 1, "field": None, "raw": lines.raw(i + 1),
                             "reason": oversize_reason(lines.length(i + 1))})  # fmt: skip
        scan_data = lines.blanked(long_lines)
    nonblank = lines.nonblank()
    if len(long_lines):
        nonblank = nonblank[~np.isin(nonblank, long_lines)]
    if not len(nonblank):
        raise FileFormatError(
            f"{name}: no header line shorter than {MAX_LINE_BYTES:,} bytes; expected a header "
            "line and rows."
        )
    raw_line = lines.raw
    header_i = int(nonblank[0])
    header_text = (raw_line(header_i + 1) or "").lstrip("\ufeff")
    lookup = alias_map({c.name: c.aliases for c in spec.cols})
    delim = sniff_delimiter(header_text, lookup.keys(), name)
    header = next(csv.reader([header_text], delimiter=delim))
    present = present_columns(header, spec, name, delim)
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
    con = src.store.work  # DuckDB in process, whatever the store's backend
    # Fast path: number columns typed by DuckDB's CSV reader (no text materialised). It is
    # taken only when every value of those columns parsed and all are finite; otherwise the
    # file is read again with every column as text, which gives the exact per-field reasons.
    # Columns stored as whole numbers are range-checked, so they are always read as text.
    typed = frozenset(
        c.name for c in spec.cols
        if c.type == "double" and c.default is None and c.name in present
        and src.rules.bounds(c.name) is None
    ) if enc != "utf-8-lenient" else frozenset()  # fmt: skip
    tmp: str | None = None
    csv_path = str(src.path)
    if scan_data is not None:
        fd, tmp = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "wb") as fh:
            fh.write(scan_data)
        csv_path = tmp
    try:
        scanned = None
        if typed:
            scanned = scan_csv(
                con, csv_path, header, header_i, delim, spec, present, src.rules, typed
            )
        if scanned is None:
            scanned = scan_csv(
                con, csv_path, header, header_i, delim, spec, present, src.rules, frozenset()
            )
        assert scanned is not None  # a scan without typed columns always returns
        table, rej = scanned
    finally:
        if tmp:
            os.unlink(tmp)
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
    return Batch(
        name, str(src.path), src.sha256, spec, table, record_lines.astype(np.int64), problems,
        raw_line, encoding=enc, messages=messages,
    )  # fmt: skip


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


def _unstorable(record: Mapping[str, Any], keep: Sequence[str]) -> tuple[str | None, str] | None:
    """(field, reason) when a record cannot be stored as it is (bad text, oversize), else None."""
    size = 0
    for k in keep:
        v = record.get(k)
        if isinstance(v, str):
            try:
                size += len(v.encode("utf-8"))
            except UnicodeEncodeError as exc:
                return k, (
                    f"the text is not valid Unicode (lone surrogate {v[exc.start]!r} at "
                    f"character {exc.start}); send UTF-8 text"
                )
        elif v is not None:
            size += 24
    if size > MAX_LINE_BYTES:
        return None, oversize_reason(size)
    return None


def records_batch(
    store: Any,
    records: Sequence[Mapping[str, Any]],
    spec: Spec,
    name: str,
    path: str,
    sha: str,
    rules: CastRules,
    lines: Sequence[int] | None = None,
    problems: list[dict] | None = None,
    raw: Callable[[int], str | None] | None = None,
    check_text: bool = True,
) -> Batch:
    """
    A batch from dict records (JSON Lines, API bodies, real-data adapters).

    With ``check_text`` each record's text is checked first: a record with a string that is
    not valid Unicode (a lone surrogate) or longer in all than :data:`MAX_LINE_BYTES` is
    quarantined with the reason.
    """
    lookup = alias_map({c.name: c.aliases for c in spec.cols})
    keys: list[str] = []
    for r in records:
        for k in r:
            if k not in keys:
                keys.append(k)
    canon = canonical_columns([clean_text(str(k)) for k in keys], lookup) if keys else []
    if records:
        missing = [c for c in spec.header_required if c not in canon]
        if missing:
            raise FileFormatError(
                f"{name}: record 1: missing field(s) {missing}; found "
                f"{[clean_text(str(k)) for k in keys]!r}. Expected the {spec.kind} fields "
                f"{list(spec.names)} (see docs/DATA_FORMATS.md)."
            )
    used = [(k, c) for k, c in zip(keys, canon, strict=True) if c in spec.names]
    line_list = list(lines) if lines is not None else list(range(1, len(records) + 1))
    problems = list(problems or [])
    recs = records
    if check_text:
        keep_idx: list[int] = []
        for i, rec in enumerate(records):
            bad = _unstorable(rec, [k for k, _ in used])
            if bad is None:
                keep_idx.append(i)
                continue
            fld = next((c for k, c in used if k == bad[0]), bad[0])
            problems.append({"line": line_list[i], "field": fld, "reason": bad[1],
                             "raw": _record_raw(rec)})  # fmt: skip
        if len(keep_idx) < len(records):
            recs = [records[i] for i in keep_idx]
            line_list = [line_list[i] for i in keep_idx]
    cols = {c: pa.array([_to_text(r.get(k)) for r in recs], type=pa.string()) for k, c in used}
    n = len(recs)
    arrow_in = pa.table(cols) if cols else pa.table({"_n": pa.array(range(n))})
    present = {c: f'"{c}"' for c in cols}
    view = f"recs_{uuid.uuid4().hex[:12]}"
    con = store.work
    con.register(view, arrow_in)
    try:
        table = mark_bad(spec, con.sql(select_sql(spec, present, view, rules)).to_arrow_table(),
                         rules)  # fmt: skip
    finally:
        con.unregister(view)
    line_arr = np.asarray(line_list, dtype=np.int64)
    all_lines = np.asarray(lines if lines is not None else np.arange(1, len(records) + 1))

    def raw_default(line: int) -> str | None:
        i = int(np.searchsorted(all_lines, line))
        if 0 <= i < len(records) and all_lines[i] == line:
            return _record_raw(records[i])
        return None

    return Batch(name, path, sha, spec, table, line_arr, problems, raw or raw_default)


def _record_raw(record: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(record, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        text = repr(type(record))
    return clean_text(text[:MAX_RAW_CHARS])


def _json_depth_over(line: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets of a JSON line nest deeper than ``limit`` (strings ignored)."""
    if line.count("[") + line.count("{") <= limit:
        return False
    depth, in_str, esc = 0, False, False
    for ch in line:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def read_jsonl(src: Source) -> Batch:
    """A JSON Lines file (one object per line) as a batch of ``src.spec``."""
    name, data = src.path.name, src.data
    enc = check_bytes(data, name)
    text = data.decode("utf-8-sig" if enc == "utf-8-lenient" else enc, errors="replace")
    records, lines, problems = [], [], []
    raw_lines = text.splitlines()
    for i, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        reason = None
        n_bytes = len(line.encode("utf-8", "surrogatepass"))
        if n_bytes > MAX_LINE_BYTES:
            reason = oversize_reason(n_bytes)
        elif _json_depth_over(line):
            reason = f"JSON nested deeper than {MAX_JSON_DEPTH} levels; expected a flat object"
        else:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
            except RecursionError:
                reason = f"JSON nested deeper than {MAX_JSON_DEPTH} levels; expected a flat object"
            else:
                if isinstance(obj, dict):
                    records.append(obj)
                    lines.append(i)
                    continue
                reason = f"expected a JSON object per line, got {type(obj).__name__}"
        problems.append({"line": i, "field": None, "reason": reason,
                         "raw": clean_text(line[:MAX_RAW_CHARS])})  # fmt: skip

    def raw(line: int) -> str | None:
        if 0 < line <= len(raw_lines):
            return clean_text(raw_lines[line - 1][:MAX_RAW_CHARS])
        return None

    batch = records_batch(
        src.store, records, src.spec, name, str(src.path), src.sha256, src.rules, lines,
        problems, raw,
    )  # fmt: skip
    batch.encoding = enc
    return batch


def read_table(src: Source) -> Batch:
    """A CSV or JSON Lines (``.jsonl``, ``.ndjson``) file as a batch of ``src.spec``."""
    if src.path.suffix.lower() in (".jsonl", ".ndjson"):
        return read_jsonl(src)
    return read_csv(src)


def frame_batch(
    src: Source,
    frame: pd.DataFrame,
    spec: Spec,
    problems: list[dict],
    raw: Callable[[int], str | None],
    encoding: str | None,
) -> Batch:
    """A batch from a frame of text cells with a ``line`` column (special source readers)."""
    lines = frame["line"].to_numpy(dtype=np.int64)
    recs = frame.drop(columns=["line"]).to_dict("records")
    batch = records_batch(
        src.store, recs, spec, src.path.name, str(src.path), src.sha256, src.rules, lines,
        problems, raw,
    )  # fmt: skip
    batch.encoding = encoding
    return batch


def text_lines(path: Path) -> Callable[[int], str | None]:
    """Raw text of each physical line of a text file (for quarantined rows)."""
    from sensors.readers import read_text

    lines = read_text(path)[0].splitlines()
    return lambda n: lines[n - 1][:MAX_RAW_CHARS] if 0 < n <= len(lines) else None
