"""
Adapter for step counts: the Fitbit/Fitabase hourly export and kaiteki's own CSV.

Fitbit columns ``Id, ActivityHour, StepTotal`` with timestamps ``M/D/YY H:MM`` (24 h) or the
original ``M/D/YYYY h:mm:ss AM/PM``; kaiteki columns ``participant_id, time, steps[, interval]``.
Fitbit times have no zone and are taken as Asia/Tokyo (documented in docs/STORE.md).
Participant ids are replaced by :func:`sensors.ingest.pseudonymise` (HMAC-SHA256 with a secret
key) before anything is stored: raw ids never reach the store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sensors.ingest import pseudonymise
from sensors.kinds.steps import FITBIT, STEPS

__all__ = ["FITBIT", "STEPS", "pseudonymise", "read_steps"]


def read_steps(path: str | Path, pseudonym_key: str | bytes) -> pd.DataFrame:
    """
    Parse a step-count file (pseudonymised) without a persistent store.

    Returns
    -------
    pandas.DataFrame
        As :meth:`sensors.store.Store.steps`: ``participant`` (pseudonym), ``time``,
        ``interval``, ``steps``, ``qc_flags`` (bitmask). ``attrs["ingest"]`` holds the counts and
        the quarantined rows (line, field, reason): nothing is dropped silently.
    """
    from sensors.ingest import ingest_file, result_attrs
    from sensors.store import Store

    with Store(":memory:") as store:
        res = ingest_file(store, "steps", path, pseudonym_key=pseudonym_key)
        frame = store.steps()
        frame.attrs["ingest"] = result_attrs(res, store)
        return frame
