"""
Times of the web app and the CLI: naive Asia/Tokyo time (the comfort field's time axis), the
demo year's "now", and ISO 8601 query values.
"""

from __future__ import annotations

import datetime as dt

from api.errors import BadRequestError
from comfort.constants import TZ


def local_naive(at: dt.datetime) -> dt.datetime:
    """
    A datetime as naive Asia/Tokyo time; naive input is taken as JST.

    Examples
    --------
    >>> local_naive(dt.datetime(2022, 1, 1, 0, 30, tzinfo=dt.timezone.utc))
    datetime.datetime(2022, 1, 1, 9, 30)
    """
    if at.tzinfo is not None:
        at = at.astimezone(TZ).replace(tzinfo=None)
    return at


def to_minute(at: dt.datetime) -> dt.datetime:
    """
    ``at`` as naive Asia/Tokyo time without seconds (the key of the per-minute caches).

    Examples
    --------
    >>> to_minute(dt.datetime(2022, 7, 19, 14, 5, 59, 10))
    datetime.datetime(2022, 7, 19, 14, 5)
    """
    return local_naive(at).replace(second=0, microsecond=0)


def same_time_in(year: int, at: dt.datetime | None = None) -> dt.datetime:
    """
    The same date and hour as ``at`` (default now, JST) in ``year`` (29 Feb becomes 28 Feb).

    Examples
    --------
    >>> same_time_in(2022, dt.datetime(2024, 2, 29, 14, 35))
    datetime.datetime(2022, 2, 28, 14, 0)
    """
    now = local_naive(at or dt.datetime.now(TZ))
    day = min(now.day, 28) if now.month == 2 else now.day
    return dt.datetime(year, now.month, day, now.hour)


def parse_at(text: str | None, default: dt.datetime) -> dt.datetime:
    """
    An ISO 8601 date-time as naive Asia/Tokyo time (JST when it has no zone; an offset is
    converted, not dropped), to the minute; ``default`` when ``text`` is None.

    Raises
    ------
    BadRequestError
        ``text`` is not an ISO 8601 date-time.

    Examples
    --------
    >>> parse_at("2025-01-20 08:00", dt.datetime(2022, 1, 1))
    datetime.datetime(2025, 1, 20, 8, 0)
    >>> parse_at("2025-01-19T23:30:45Z", dt.datetime(2022, 1, 1))
    datetime.datetime(2025, 1, 20, 8, 30)
    """
    if text is None:
        return default
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequestError(
            f"at must be an ISO 8601 date-time such as 2025-01-20T08:00 (JST when no zone); "
            f"got {text!r}"
        ) from None
    return to_minute(when)
