"""
Adapter for questionnaire responses (CSV; docs/DATA_FORMATS.md "Questionnaire").

Votes: ``thermal_sensation`` on the ASHRAE 7-point scale (−3 cold .. +3 hot), ``comfort_vote``
0 (uncomfortable) .. 3 (comfortable), ``clothing_clo`` (clo). Out-of-scale votes are kept and
flagged ``range``; a missing thermal sensation is flagged ``missing``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sensors.kinds.survey import SURVEY

__all__ = ["SURVEY", "read_survey"]


def read_survey(path: str | Path, pseudonym_key: str | bytes, area: Any = None) -> Any:
    """
    Parse and QC a questionnaire CSV without a persistent store.

    Returns
    -------
    geopandas.GeoDataFrame
        As :meth:`sensors.store.Store.survey` (``response_id`` pseudonymised with
        ``pseudonym_key``). ``attrs["ingest"]`` holds the counts (rows read, accepted, flagged,
        quarantined) and the quarantined rows (line, field, reason): nothing is dropped
        silently.
    """
    from sensors.ingest import ingest_file, result_attrs
    from sensors.store import Store

    with Store(":memory:") as store:
        res = ingest_file(store, "survey", path, area=area, pseudonym_key=pseudonym_key)
        frame = store.survey()
        frame.attrs["ingest"] = result_attrs(res, store)
        return frame
