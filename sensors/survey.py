"""
Adapter for questionnaire responses (CSV; docs/DATA_FORMATS.md "Questionnaire").

Votes: ``thermal_sensation`` on the ASHRAE 7-point scale (−3 cold .. +3 hot), ``comfort_vote``
0 (uncomfortable) .. 3 (comfortable), ``clothing_clo`` (clo). Out-of-scale votes are kept and
flagged ``range``; a missing thermal sensation is flagged ``missing``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sensors.tables import SURVEY

__all__ = ["SURVEY", "read_survey"]


def read_survey(path: str | Path, area: Any = None) -> Any:
    """Parse and QC a questionnaire CSV without a persistent store (GeoDataFrame)."""
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with Store(":memory:") as store:
        ingest_file(store, "survey", path, area=area)
        return store.survey()
