"""
Ingest: file (or in-memory records) → the kind's adapter → QC → one transaction per batch.

Guarantees, for every batch:

- the batch (file record, its rows, its quarantine entries) is written in **one transaction**:
  a crash (even ``kill -9``) mid-batch leaves nothing of it, and re-running completes it;
- a file already ingested (same SHA-256 and kind) adds nothing and says so (``duplicate_file``);
- ``accepted + quarantined == rows_read``; flagged rows are part of ``accepted``;
- no value reaches the store unchecked: text is valid UTF-8, rows are at most 32 KB, whole
  numbers fit their column, timestamps lie within 1900-01-01 and now + 1 day.

Text is cast to types in DuckDB SQL and QC runs vectorised in numpy, so a million readings take
a few seconds (docs/STORE.md, "Ingest performance"). The modules, one concept each:

- :mod:`sensors.ingest.entry`: :func:`ingest_file`, :func:`ingest_records`;
- :mod:`sensors.ingest.sources`: CSV, JSON Lines and records → a typed :class:`Batch`;
- :mod:`sensors.ingest.casting`: the SQL that types text and says why a field is bad;
- :mod:`sensors.ingest.lines`: encodings, physical lines, the row-size limit;
- :mod:`sensors.ingest.pipeline`: quarantine, the adapter's QC, the stored table;
- :mod:`sensors.ingest.privacy`: pseudonyms of personal ids;
- :mod:`sensors.ingest.write`: the transactional write;
- :mod:`sensors.ingest.result`: :class:`IngestResult`, :class:`RowOutcome`.

The kinds themselves (format, ranges, QC, table) are adapters in :mod:`sensors.kinds`.
"""

from __future__ import annotations

from typing import Any

from sensors.ingest.entry import ingest_file, ingest_records, read_text_records
from sensors.ingest.lines import MAX_LINE_BYTES, MAX_RAW_CHARS
from sensors.ingest.privacy import pseudonymise
from sensors.ingest.result import IngestResult, RowOutcome, result_attrs

__all__ = [
    "KINDS",
    "MAX_LINE_BYTES",
    "MAX_RAW_CHARS",
    "RECORD_KINDS",
    "IngestResult",
    "RowOutcome",
    "ingest_file",
    "ingest_records",
    "pseudonymise",
    "read_text_records",
    "result_attrs",
]


def __getattr__(name: str) -> Any:
    # the registered kinds, as the module constants older code read
    from sensors import kinds

    if name == "KINDS":
        return kinds.kinds()
    if name == "RECORD_KINDS":
        return kinds.record_kinds()
    raise AttributeError(f"module 'sensors.ingest' has no attribute {name!r}")
