"""
Questionnaires in the layouts researchers share them in (docs/DATA_FORMATS.md "Questionnaire
standards"): the ASHRAE Global Thermal Comfort Database II column set (kind
``survey-ashrae-db2``) and Cozie exports (kind ``survey-cozie``). Each row is mapped to the
kaiteki survey columns and then goes through the survey QC and pseudonyms
(:mod:`sensors.kinds.survey`) into the ``survey`` table; ``kaiteki ingest survey --format
ashrae-db2|cozie`` reads them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from sensors.errors import FileFormatError
from sensors.ingest.lines import MAX_RAW_CHARS, check_bytes
from sensors.ingest.sources import records_batch
from sensors.kinds import Adapter, register
from sensors.kinds.survey import SURVEY, SURVEY_TABLE, VOTE_RANGES, qc_survey
from sensors.readers import normalise_name
from sensors.tables import Spec

if TYPE_CHECKING:
    from sensors.ingest.sources import Batch, Source

#: A row (normalised header → cell text) → a record of the target spec.
RowMap = Callable[[Mapping[str, str], int, str], dict[str, Any]]

#: Season of ASHRAE DB II → month whose 15th stands for a response without a date.
SEASON_MONTH = {"winter": 1, "spring": 4, "summer": 7, "autumn": 10, "fall": 10}


class RowError(ValueError):
    """A row that cannot be mapped (quarantined with this message and field)."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _cell(row: Mapping[str, str], *names: str) -> str | None:
    """The first non-empty cell among ``names`` (normalised, lower-case header names)."""
    for n in names:
        v = row.get(n)
        if v is not None and str(v).strip() not in ("", "NA", "NaN", "nan"):
            return str(v).strip()
    return None


def _float(row: Mapping[str, str], *names: str) -> float | None:
    v = _cell(row, *names)
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        raise RowError(names[0], f"{names[0]} must be a number, got {v!r}") from None


def read_mapped_csv(
    src: Source, target: Spec, required: tuple[str, ...], to_record: RowMap, layout: str
) -> Batch:
    """
    A CSV in a foreign layout as a batch of ``target``: every row through ``to_record``;
    rows it refuses are quarantined with the reason.

    Raises
    ------
    FileFormatError
        Not a CSV, or a column in ``required`` (normalised names) is absent.
    """
    name = src.path.name
    enc = check_bytes(src.data, name)
    text = src.data.decode("cp932" if enc == "cp932" else "utf-8-sig")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileFormatError(
            f"{name}: not a readable CSV ({exc}); expected a {layout} CSV."
        ) from None
    header = {normalise_name(str(c)).lower(): str(c) for c in frame.columns}
    missing = [c for c in required if c not in header]
    if missing:
        raise FileFormatError(
            f"{name}: line 1: missing column(s) {missing} of the {layout} layout; found "
            f"{list(frame.columns)!r}. See docs/DATA_FORMATS.md for the columns it needs."
        )
    frame.columns = [normalise_name(str(c)).lower() for c in frame.columns]
    raw_lines = text.splitlines()
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[dict[str, Any]] = []
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2  # header is line 1
        try:
            records.append(to_record(row, line, src.path.stem))
            lines.append(line)
        except RowError as exc:
            problems.append({"line": line, "field": exc.field, "reason": str(exc), "raw": None})

    def raw(n: int) -> str | None:
        return raw_lines[n - 1][:MAX_RAW_CHARS] if 0 < n <= len(raw_lines) else None

    batch = records_batch(
        src.store, records, target, name, str(src.path), src.sha256, src.rules, lines,
        problems, raw,
    )  # fmt: skip
    batch.encoding = enc
    batch.messages.append(f"{name}: read as {layout}; columns mapped as docs/DATA_FORMATS.md says.")
    return batch


def _age_group(age: float | None) -> str | None:
    """``34`` → ``30s`` (the survey's age groups); None when unknown."""
    if age is None or math.isnan(age):
        return None
    return f"{int(age // 10) * 10}s"


def ashrae_db2_record(row: Mapping[str, str], line: int, stem: str) -> dict[str, Any]:
    """One ASHRAE Global Thermal Comfort Database II row as a survey record."""
    tsv = _float(row, "thermal sensation")
    when = _cell(row, "date", "timestamp", "time")
    if when is None:
        year, season = _cell(row, "year"), (_cell(row, "season") or "").lower()
        if year is None or season not in SEASON_MONTH:
            raise RowError(
                "date", "no date, and no Year with a Season (Winter, Spring, Summer, Autumn) to "
                "place the response in; add a Date column"
            )  # fmt: skip
        when = f"{int(float(year)):04d}-{SEASON_MONTH[season]:02d}-15T12:00:00"
    met = _float(row, "met")
    subject = _cell(row, "subject id", "subject_id", "participant id")
    return {
        "response_id": f"ashrae-db2:{stem}:{subject or ''}:{line}",
        "time": when,
        "lat": _float(row, "latitude", "lat"),
        "lon": _float(row, "longitude", "lon"),
        "block": _cell(row, "city"),
        "thermal_sensation": None if tsv is None else math.floor(tsv + 0.5),
        "preference": (_cell(row, "thermal preference") or "").lower() or None,
        "activity": None if met is None else f"{met:g} met",
        "clothing_clo": _float(row, "clo"),
        "age_group": _age_group(_float(row, "age")),
        "simulated": False,
    }


#: Cozie's thermal preference answers → kaiteki's.
COZIE_PREFERENCE = {"warmer": "warmer", "cooler": "cooler", "no change": "no change",
                    "no_change": "no change", "nochange": "no change"}  # fmt: skip


def cozie_record(row: Mapping[str, str], line: int, stem: str) -> dict[str, Any]:
    """One Cozie export row (a watch survey) as a survey record."""
    participant = _cell(row, "id_participant")
    count = _cell(row, "ws_survey_count")
    when = _cell(row, "timestamp", "ws_timestamp_start", "index")
    pref = _cell(row, "q_thermal_preference")
    key = (pref or "").strip().lower()
    if pref is not None and key not in COZIE_PREFERENCE:
        raise RowError(
            "q_thermal_preference",
            f"q_thermal_preference {pref!r} is not one of Warmer, No change, Cooler",
        )
    tsv = _float(row, "q_thermal_sensation")
    return {
        "response_id": f"cozie:{participant}:{count if count is not None else line}",
        "time": when,
        "lat": _float(row, "ws_latitude", "latitude"),
        "lon": _float(row, "ws_longitude", "longitude"),
        "block": None,
        "thermal_sensation": None if tsv is None else math.floor(tsv + 0.5),
        "preference": COZIE_PREFERENCE.get(key) if pref is not None else None,
        "activity": _cell(row, "q_activity_category", "q_activity"),
        "clothing_clo": _float(row, "q_clothing_clo"),
        "age_group": None,
        "simulated": False,
    }


def _reader(required: tuple[str, ...], to_record: RowMap, layout: str) -> Any:
    def read(src: Source) -> Batch:
        return read_mapped_csv(src, SURVEY, required, to_record, layout)

    return read


def _adapter(kind: str, description: str, reader: Any) -> Adapter:
    return Adapter(
        kind=kind, description=description, spec=SURVEY, table=SURVEY_TABLE, qc=qc_survey,
        ranges=VOTE_RANGES, personal=("response_id",), reader=reader,
    )  # fmt: skip


ASHRAE_DB2 = register(
    _adapter(
        "survey-ashrae-db2",
        "questionnaires in the ASHRAE Global Thermal Comfort Database II columns (CSV)",
        _reader(("thermal sensation",), ashrae_db2_record, "ASHRAE Global Thermal Comfort DB II"),
    )
)
COZIE = register(
    _adapter(
        "survey-cozie",
        "questionnaires exported from Cozie (CSV)",
        _reader(("id_participant", "q_thermal_preference"), cozie_record, "Cozie export"),
    )
)
