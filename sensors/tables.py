"""
Column specifications of an input format: canonical names, types, aliases, required fields.

A :class:`Spec` drives the generic reader (header mapping, casting text to types in DuckDB SQL,
and the quarantine of rows whose key fields are missing or unparseable). Each kind declares its
spec in its adapter module (:mod:`sensors.kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Column types a spec may use.
COL_TYPES: frozenset[str] = frozenset(
    {"time", "fitbit_time", "text", "double", "int", "bool", "date"}
)


@dataclass(frozen=True)
class Col:
    """
    One input column.

    ``type`` is ``time`` (ISO 8601, zone optional → Asia/Tokyo), ``fitbit_time``
    (``M/D/YY H:MM`` or ``M/D/YYYY h:mm:ss AM/PM``), ``text``, ``double``, ``int``, ``bool`` or
    ``date``. A ``required`` column must be in the header and non-empty in every row (else the
    row is quarantined). ``default`` is used when the column is absent or the cell empty.
    """

    name: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: str | None = None

    def __post_init__(self) -> None:
        if self.type not in COL_TYPES:
            raise ValueError(
                f"column {self.name!r}: unknown type {self.type!r}; expected one of "
                f"{sorted(COL_TYPES)}."
            )


@dataclass(frozen=True)
class Spec:
    """The input columns of one format (``kind`` names it in messages)."""

    kind: str
    cols: tuple[Col, ...]
    #: Columns that must appear in the header (a file without them is rejected as a whole).
    header_required: tuple[str, ...] = ()

    def col(self, name: str) -> Col:
        """The column named ``name``."""
        return next(c for c in self.cols if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names, in order."""
        return tuple(c.name for c in self.cols)
