"""
A typed batch → quarantine, QC by the kind's adapter, pseudonyms, the stored table, messages.

:func:`finish` is the one path every source goes through after reading: rows whose fields
could not be cast are quarantined, the adapter's QC function flags the rest (and may reject
rows it cannot store), personal columns are pseudonymised, and the batch is written in one
transaction. ``accepted + quarantined == rows_read`` holds by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from comfort.qcflags import FLAG_BITS, QCFlag
from sensors.ingest.casting import INT_RANGES
from sensors.ingest.privacy import forget_raw, pseudonymise_column, require_key
from sensors.ingest.result import IngestResult, RowOutcome
from sensors.ingest.sources import Batch
from sensors.ingest.write import write_batch
from sensors.kinds import Adapter, QCInput


@dataclass
class Context:
    """What a batch is checked against besides its rows: the area, the clock, the key."""

    now_us: int
    area_wgs84: Any = None
    pseudonym_key: str | bytes | None = None
    messages: list[str] = field(default_factory=list)
    #: more rows written in the batch's transaction (``on_write(con, file_id)``)
    on_write: Callable[[Any, int], None] | None = None


def finish(
    store: Any, batch: Batch, adapter: Adapter, ctx: Context, want_rows: bool
) -> IngestResult:
    """QC, pseudonymise and store ``batch``; the result with counts and messages."""
    t, name = batch.data, batch.name
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
    quarantine: list[dict] = list(batch.problems)
    if len(bad_idx):
        bf = t.column("_bad_field").take(pa.array(bad_idx)).to_pylist()
        br = t.column("_bad_reason").take(pa.array(bad_idx)).to_pylist()
        for i, f, r in zip(bad_idx.tolist(), bf, br, strict=True):
            ln = int(batch.lines[i])
            quarantine.append({"line": ln, "field": f, "reason": r, "raw": batch.raw_line(ln)})
    # QC by the kind's adapter
    qin = QCInput(good, store, name, ctx.now_us, ctx.area_wgs84, adapter.ranges, lines_ok, msgs)
    flags = np.asarray(adapter.qc(qin), dtype=np.uint32)
    if qin.rejected:
        drop = np.fromiter(sorted(qin.rejected), dtype=np.int64)
        for i in drop.tolist():
            ln = int(lines_ok[i])
            fld, reason = qin.rejected[i]
            quarantine.append({"line": ln, "field": fld, "reason": reason,
                               "raw": batch.raw_line(ln)})  # fmt: skip
        keep = np.setdiff1d(np.arange(good.num_rows), drop)
        ok_idx = ok_idx[keep]
        good, flags, lines_ok = good.take(pa.array(keep)), flags[keep], lines_ok[keep]
    if adapter.personal:
        forget_raw(quarantine)
    n_ok = good.num_rows
    quarantine.sort(key=lambda q: (q["line"] is None, q["line"] or 0))
    sim = good.column("simulated").to_numpy(zero_copy_only=False) if n_ok else np.zeros(0, bool)
    sim = np.asarray(sim == True, dtype=bool)  # noqa: E712
    result = IngestResult(
        file=batch.path, kind=adapter.kind, sha256=batch.sha256, rows_read=n_ok + len(quarantine),
        accepted=n_ok, flagged=int(np.count_nonzero(flags)), quarantined=len(quarantine),
        encoding=batch.encoding, simulated=bool(sim.any()),
    )  # fmt: skip
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
    out = _output(adapter, good, ctx.pseudonym_key)
    out = out.append_column("qc_flags", pa.array(flags, type=pa.uint32()))
    out = out.append_column("simulated", pa.array(sim, type=pa.bool_()))
    write_batch(store, result, adapter, out, lines_ok, quarantine, ctx.on_write)
    if want_rows and not result.duplicate_file:
        result.rows = _row_outcomes(batch, ok_idx, flags, quarantine)
    if result.duplicate_file:
        result.rows = []
    return result


def _output(adapter: Adapter, good: pa.Table, pseudonym_key: str | bytes | None) -> pa.Table:
    """The adapter's output columns, pseudonymised and cast to whole numbers where stored so."""
    cols: dict[str, Any] = {}
    for c in adapter.table.names:
        col = good.column(adapter.source_column(c))
        if c in adapter.personal:
            require_key(adapter, pseudonym_key)
            assert pseudonym_key is not None
            col = pseudonymise_column(col, pseudonym_key)
        elif adapter.table.sql_type(c) in INT_RANGES and pa.types.is_floating(col.type):
            # range-checked while casting: the values fit
            col = pc.cast(col, pa.int64(), safe=False)
        cols[c] = col
    return pa.table(cols) if cols else pa.table({})


def _flag_messages(name: str, flags: Any, lines: Any) -> list[str]:
    out = []
    for fname, bit in FLAG_BITS.items():
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
    batch: Batch, ok_idx: Any, flags: Any, quarantine: list[dict]
) -> list[RowOutcome]:
    """One outcome per record of a records batch, in record order."""
    by_line = {int(q["line"]): q for q in quarantine if q["line"] is not None}
    ok_flags = {int(batch.lines[i]): int(f) for i, f in zip(ok_idx.tolist(), flags, strict=True)}
    out: list[RowOutcome] = []
    for ln in sorted(set(by_line) | set(ok_flags)):
        if ln in ok_flags:
            f = ok_flags[ln]
            out.append(RowOutcome(ln - 1, "flagged" if f else "accepted", QCFlag(f).names()))
        else:
            q = by_line[ln]
            out.append(RowOutcome(ln - 1, "quarantined", [], q["field"], q["reason"]))
    return out
