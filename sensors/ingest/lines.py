"""
The raw bytes of a text file: encoding check, physical lines, oversize lines.

Line numbers in messages and in the quarantine table are physical (1-based) lines of the
file; the raw text kept for a quarantined row is cut to :data:`MAX_RAW_CHARS`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sensors.errors import EncodingError, FileFormatError

#: Longest accepted line or record (bytes of UTF-8); longer ones are quarantined.
MAX_LINE_BYTES = 32_768

#: Longest raw text kept in a quarantine row (characters).
MAX_RAW_CHARS = 2_000


def check_bytes(data: bytes, name: str) -> str:
    """
    Encoding of a CSV/JSONL file: ``utf-8-sig``, ``utf-8``, ``cp932``, or ``utf-8-lenient``.

    Raises
    ------
    FileFormatError
        The file is empty.
    EncodingError
        The file is UTF-16 or binary (NUL bytes).
    """
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


def line_index(data: bytes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end byte offsets of every physical line (end excludes the newline)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [len(data)])).astype(np.int64)
    if starts[-1] == len(data):  # trailing newline: no last empty line
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def has_long_line(data: bytes, limit: int = MAX_LINE_BYTES) -> bool:
    """
    Whether some line of ``data`` is longer than ``limit`` bytes.

    Scans for newlines in windows of ``limit`` bytes: a window without one means a long line;
    with lines much shorter than the limit this reads each byte about once.
    """
    n = len(data)
    if n <= limit:
        return False
    start = 0
    while start + limit < n:
        nl = data.rfind(b"\n", start, start + limit + 1)
        if nl < 0:
            return True
        start = nl + 1
    return False


class Lines:
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
        """Start and end offsets of every line (see :func:`line_index`)."""
        if self._index is None:
            self._index = line_index(self.data)
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

    def long(self, limit: int = MAX_LINE_BYTES) -> npt.NDArray[np.int64]:
        """0-based numbers of the lines longer than ``limit`` bytes."""
        if not has_long_line(self.data, limit):
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.index()
        return np.flatnonzero(ends - starts > limit).astype(np.int64)

    def length(self, line: int) -> int:
        """Length in bytes of physical line ``line`` (1-based)."""
        starts, ends = self.index()
        return int(ends[line - 1] - starts[line - 1])

    def blanked(self, lines: npt.NDArray[np.int64]) -> bytes:
        """The bytes with the given 0-based lines emptied (their newlines kept)."""
        starts, ends = self.index()
        parts, pos = [], 0
        for i in lines.tolist():
            parts.append(self.data[pos : starts[i]])
            pos = int(ends[i])
        parts.append(self.data[pos:])
        return b"".join(parts)

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


def clean_text(s: str) -> str:
    """``s`` with lone surrogates escaped (``\\ud800``), so it can be stored as UTF-8."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")
