"""
Chi-Ka-Ho daily people counts and subway boardings (the Sapporo daily open-data file), stored
in the ``counts`` table: J1..J5 as lines ``chikaho-J1``.. (daily mean of 15-minute counts,
series ``chikaho-acoustic``) and the subway columns as ``subway-*`` lines (boardings per day).
QC as for counts (:func:`sensors.kinds.flow.count_flags`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensors.ingest.sources import Batch, Source, frame_batch, text_lines
from sensors.kinds import Adapter, QCInput, register
from sensors.kinds.flow import COUNT_RANGES, COUNTS_TABLE, FLOW, count_flags
from sensors.readers import read_dated_csv
from sensors.tables import Spec

#: Chi-Ka-Ho counter arrays.
ARRAYS: tuple[str, ...] = ("J1", "J2", "J3", "J4", "J5")

#: Sensor generation of the arrays in the 2019–2022 file.
CHIKAHO_SERIES = "chikaho-acoustic"

#: Subway boarding columns: English name → Japanese header of the source.
SUBWAY_ALIASES: dict[str, tuple[str, ...]] = {
    "sapporo_namboku_boardings": ("さっぽろ（南北線）",),
    "sapporo_toho_boardings": ("さっぽろ（東豊線）",),
    "susukino_namboku_boardings": ("すすきの",),
    "odori_namboku_boardings": ("大通（南北線）",),
    "odori_tozai_boardings": ("大通（東西線）",),
    "odori_toho_boardings": ("大通（東豊線）",),
}

#: Counting-line ids of the subway columns in the store (``counts.line_id``).
SUBWAY_LINE_IDS: dict[str, str] = {
    col: "subway-" + col.removesuffix("_boardings").replace("_", "-") for col in SUBWAY_ALIASES
}

#: Series label of the subway boardings.
SUBWAY_SERIES = "sapporo-subway-boardings"

#: Every count column of the daily file: the arrays, then the subway columns.
DAILY_ALIASES: dict[str, tuple[str, ...]] = {a: () for a in ARRAYS} | SUBWAY_ALIASES

#: The counts columns, as the long form built from the daily file gives them.
COUNTS_LONG = Spec("chikaho", FLOW.cols, ("time", "line_id"))


def read_chikaho_source(src: Source) -> Batch:
    """The daily file in long form: one row per day and counting line."""
    raw, enc = read_dated_csv(src.path, DAILY_ALIASES, ARRAYS)
    parts = []
    for col in (c for c in DAILY_ALIASES if c in raw.columns):
        is_array = col in ARRAYS
        parts.append(
            pd.DataFrame(
                {
                    "time": raw["date_text"].str.replace("/", "-", regex=False),
                    "line_id": f"chikaho-{col}" if is_array else SUBWAY_LINE_IDS[col],
                    "direction": "both" if is_array else "boarding",
                    "interval_min": "1440",
                    "count": raw[col],
                    "statistic": "mean_per_15min" if is_array else "total",
                    "series": CHIKAHO_SERIES if is_array else SUBWAY_SERIES,
                    "line": raw["line"],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True).sort_values("line", kind="stable")
    batch = frame_batch(src, frame, src.spec, [], text_lines(src.path), enc)
    batch.messages.append(
        f"{src.path.name}: {len(raw)} days; J1..J5 stored as lines chikaho-J1..J5 (daily mean "
        "of 15-minute counts, series chikaho-acoustic) and subway boardings as subway-* lines."
    )
    return batch


def qc_chikaho(q: QCInput) -> npt.NDArray[np.uint32]:
    """QC flags of the daily counts."""
    return count_flags(q, ["line_id", "direction", "series"])


ADAPTER = register(
    Adapter(
        kind="chikaho",
        description="Chi-Ka-Ho J1..J5 daily counts and subway boardings (the daily file)",
        spec=COUNTS_LONG,
        table=COUNTS_TABLE,
        qc=qc_chikaho,
        ranges=COUNT_RANGES,
        reader=read_chikaho_source,
        uses_area=False,
    )
)
