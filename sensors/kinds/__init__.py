"""
Ingest kinds as adapters, one module each, registered like xarray's backends.

An :class:`Adapter` holds everything one kind needs: its input format (:class:`Spec`), its
plausible ranges, its QC function, the store table it writes (:class:`OutputTable`, created on
first use if no migration made it), which columns are personal (pseudonymised), and its source
reader when the source is not a plain CSV/JSON Lines table. Adding a kind is one module that
builds an adapter and calls :func:`register`::

    from sensors import kinds
    kinds.register(NOISE)      # then: ingest_file(store, "noise", path)

The built-in kinds (thermal, sensors, flow, dwell, mesh, chikaho, steps, survey, weather) are
registered on first use of :func:`get` or :func:`kinds`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sensors.errors import IngestError
from sensors.tables import Spec

if TYPE_CHECKING:
    from sensors.ingest.sources import Batch, Source

__all__ = [
    "Adapter",
    "OutputTable",
    "QCInput",
    "get",
    "kinds",
    "record_kinds",
    "register",
    "unregister",
]

#: Modules of the built-in kinds, in the order the CLI lists them.
BUILTIN: tuple[str, ...] = (
    "thermal",
    "sensors",
    "flow",
    "dwell",
    "mesh",
    "steps",
    "survey",
    "weather",
    "chikaho",
    "ngsi_ld",
    "survey_formats",
    "pldp",
)

#: Columns every data table ends with, after the adapter's own columns.
BOOKKEEPING = (
    ("qc_flags", "UINTEGER NOT NULL"),
    ("simulated", "BOOLEAN NOT NULL"),
    ("file_id", "BIGINT NOT NULL"),
)


@dataclass(frozen=True)
class OutputTable:
    """
    The store table of a kind: its own columns ``(name, SQL type)`` in order; ``qc_flags``,
    ``simulated``, ``file_id`` and (when ``line``) the source ``line`` follow them.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    line: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """The adapter's own column names (the values each ingested row gives)."""
        return tuple(c for c, _ in self.columns)

    def sql_type(self, column: str) -> str:
        """The SQL type of ``column`` without constraints, upper case (``SMALLINT``)."""
        return dict(self.columns)[column].split()[0].upper()

    def ddl(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for the table (idempotent)."""
        cols = [*self.columns, *BOOKKEEPING, *((("line", "BIGINT"),) if self.line else ())]
        body = ",\n    ".join(f"{c} {t}" for c, t in cols)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {body}\n)"


@dataclass
class QCInput:
    """
    What a kind's QC function gets: the rows that parsed, and the context of the batch.

    The function returns one ``uint32`` bitmask of :class:`comfort.qcflags.QCFlag` per row;
    a row that cannot be stored at all is handed to :meth:`reject` (it is quarantined with
    the reason, and its flags are ignored).
    """

    rows: pa.Table
    store: Any
    name: str
    now_us: int
    area_wgs84: Any = None
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: Source line (or record number) of each row, for messages.
    lines: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    messages: list[str] = field(default_factory=list)
    rejected: dict[int, tuple[str | None, str]] = field(default_factory=dict)

    def reject(self, row: int, field_name: str | None, reason: str) -> None:
        """Quarantine row ``row`` (0-based in :attr:`rows`) with ``reason``."""
        self.rejected.setdefault(row, (field_name, reason))


QCFunction = Callable[[QCInput], npt.NDArray[np.uint32]]
Reader = Callable[["Source"], "Batch"]


@dataclass(frozen=True)
class Adapter:
    """
    One ingest kind.

    Attributes
    ----------
    kind
        The name used by ``kaiteki ingest KIND`` and :func:`sensors.ingest.ingest_file`.
    description
        One line for the CLI help.
    spec
        The input columns (names, types, aliases, required fields).
    table
        The store table the rows go to.
    qc
        The QC function: :class:`QCInput` in, one flag bitmask per row out.
    ranges
        Plausible range (low, high) of each checked variable, in its unit; the QC function
        reads them from :attr:`QCInput.ranges`.
    sources
        Output column → spec column, where the names differ (``participant`` ←
        ``participant_id``); other output columns take the spec column of the same name.
    personal
        Output columns holding personal ids: stored only as keyed pseudonyms, ingest needs the
        pseudonym key, and the raw text of quarantined rows is not kept.
    reader
        Reads a source file into a batch when it is not a plain CSV/JSON Lines table of
        :attr:`spec` (the Sapporo daily file, the MLIT GeoJSON, the Fitbit export).
    record_names
        Names under which :func:`sensors.ingest.ingest_records` (the web API) accepts records
        of this kind; empty when the kind is file-only.
    replace_key
        When set, an ingested row replaces the stored rows with the same value of this column
        (the sensor registry); otherwise rows are appended.
    uses_area
        Whether the QC has an outside-planning-area test (the CLI builds the area only then).
    """

    kind: str
    description: str
    spec: Spec
    table: OutputTable
    qc: QCFunction
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    personal: tuple[str, ...] = ()
    reader: Reader | None = None
    record_names: tuple[str, ...] = ()
    replace_key: str | None = None
    uses_area: bool = True

    def source_column(self, output: str) -> str:
        """The spec column an output column is filled from."""
        return self.sources.get(output, output)


_REGISTRY: dict[str, Adapter] = {}
_loaded = False


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN:
        importlib.import_module(f"sensors.kinds.{name}")


def register(adapter: Adapter, *, replace: bool = False) -> Adapter:
    """
    Make ``adapter`` available to ingest under ``adapter.kind``.

    Raises
    ------
    IngestError
        Another adapter is registered under that kind (pass ``replace=True`` to swap it), or
        an output column has no spec column to come from.
    """
    old = _REGISTRY.get(adapter.kind)
    if old is not None and old is not adapter and not replace:
        raise IngestError(
            f"ingest kind {adapter.kind!r} is already registered; pick another name or pass "
            "replace=True."
        )
    missing = [c for c in adapter.table.names if adapter.source_column(c) not in adapter.spec.names]
    if missing:
        raise IngestError(
            f"kind {adapter.kind!r}: output column(s) {missing} of table {adapter.table.name!r} "
            f"have no spec column; add them to the spec or map them in 'sources'."
        )
    _REGISTRY[adapter.kind] = adapter
    return adapter


def unregister(kind: str) -> None:
    """Remove a registered kind (for tests and plug-ins); its stored rows stay."""
    _REGISTRY.pop(kind, None)


def get(kind: str) -> Adapter:
    """
    The adapter of ``kind``.

    Raises
    ------
    IngestError
        Unknown kind; the message lists the known ones.
    """
    _load_builtins()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise IngestError(
            f"unknown ingest kind {kind!r}; expected one of {list(kinds())}."
        ) from None


def kinds() -> tuple[str, ...]:
    """Every registered kind: the built-ins in :data:`BUILTIN` order, then the others."""
    _load_builtins()
    builtin = [k for k in BUILTIN if k in _REGISTRY]
    return (*builtin, *(k for k in _REGISTRY if k not in BUILTIN))


def record_kinds() -> dict[str, str]:
    """Names accepted by :func:`sensors.ingest.ingest_records` → kind."""
    return {n: k for k in kinds() for n in _REGISTRY[k].record_names}
