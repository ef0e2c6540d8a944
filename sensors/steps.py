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


def load_daily_steps(
    source: str | Path | None = None,
    *,
    store: str | Path | None = None,
    pseudonym_key: str | bytes = b"",
) -> pd.DataFrame:
    """
    Daily steps per participant (complete days), from a steps file or from the store.

    Rows with a QC flag (out of range, duplicate, future, ...) are left out and counted in
    ``attrs["flagged_rows"]``; partial and zero days as :func:`comfort.steps.daily_steps` says.

    Parameters
    ----------
    source
        A steps file (Fitbit export or kaiteki CSV/JSON Lines), ingested into a temporary
        in-memory store (ids pseudonymised with ``pseudonym_key``); None reads ``store``.
    store
        Path of the DuckDB store, opened read-only.
    pseudonym_key
        Key of the pseudonyms when reading a file.

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (pseudonym), ``date``, ``steps``; ``attrs`` has ``flagged_rows``,
        ``dropped_days``, ``simulated`` and ``source``.

    Raises
    ------
    sensors.errors.StoreError
        The store does not exist or cannot be opened.
    """
    from comfort.steps import daily_steps
    from sensors.errors import StoreError
    from sensors.store import Store, store_exists

    if source is not None:
        records = read_steps(source, pseudonym_key)
        where = str(source)
    else:
        if store is None or not store_exists(store):
            raise StoreError(
                f"no store at {store}; ingest steps first (`kaiteki ingest steps FILE`) or "
                "give a steps file."
            )
        with Store(store, read_only=True) as db:
            records = db.steps() if db.schema_version() else pd.DataFrame()
        where = f"the store {store}"
    if records.empty:
        out = pd.DataFrame(columns=["participant_id", "date", "steps"])
        out.attrs.update(flagged_rows=0, dropped_days={"partial": 0, "zero": 0},
                         simulated=False, source=where)  # fmt: skip
        return out
    flagged = records["qc_flags"].fillna(0).astype("int64") != 0
    clean = records[~flagged]
    out = daily_steps(clean)
    out.attrs.update(
        flagged_rows=int(flagged.sum()),
        simulated=bool(clean["simulated"].any()) if "simulated" in clean else False,
        source=where,
    )
    return out


def read_seasonal_profile(path: str | Path) -> pd.DataFrame:
    """
    A seasonal profile file as a table: CSV (``month,factor[,factor_se]``) or JSON (a list of
    such objects, or ``{"month": factor, ...}``); checked by
    :func:`comfort.steps.seasonal_profile_from_table`.

    Raises
    ------
    sensors.errors.FileFormatError
        The file is missing or is neither CSV nor JSON.
    """
    import json

    from sensors.errors import FileFormatError

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"seasonal profile {p} not found; give a CSV with month,factor.")
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"{p}: not valid JSON ({exc}); fix the file.") from exc
        if isinstance(data, dict):
            return pd.DataFrame({"month": list(data), "factor": list(data.values())})
        return pd.DataFrame(data)
    import io

    return pd.read_csv(io.StringIO(text))
