"""Row blocks: exports write large tables a block of rows at a time."""

from __future__ import annotations

from collections.abc import Iterator


def chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """
    ``(start, end)`` of consecutive blocks of at most ``size`` rows out of ``n`` (one empty block
    when ``n`` is 0, so a header or schema is still written).

    Examples
    --------
    >>> list(chunks(5, 2)), list(chunks(0, 2))
    ([(0, 2), (2, 4), (4, 5)], [(0, 0)])
    """
    for start in range(0, max(n, 1), size):
        yield start, min(n, start + size)
