"""
CSV writer (RFC 4180: UTF-8, CRLF line ends, a field holding a comma, a double quote, CR or LF
in double quotes): blocks of ``chunk_rows``, ISO 8601 timestamps with their offset,
formula-like text cells quoted (:mod:`sensors.export.formulas`); the metadata goes to the
sidecar.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sensors.export.chunks import chunks
from sensors.export.kinds import Progress


def write_csv(frame: pd.DataFrame, path: Path, progress: Progress | None, chunk_rows: int) -> None:
    """Write ``frame`` (already neutralised against formulas) to ``path`` as UTF-8 CSV."""
    n = len(frame)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for a, b in chunks(n, chunk_rows):
            frame.iloc[a:b].to_csv(
                fh, index=False, header=(a == 0), date_format=None, lineterminator="\r\n"
            )  # CRLF also makes the writer quote a field holding a lone CR
            if progress:
                progress(b, n)
