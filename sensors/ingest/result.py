"""What an ingest reports: per-batch counts and messages, and per-record outcomes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RowOutcome:
    """What happened to one input record (``status``: accepted, flagged or quarantined)."""

    index: int
    status: str
    flags: list[str] = field(default_factory=list)
    field: str | None = None
    reason: str | None = None


@dataclass
class IngestResult:
    """
    The outcome of one file or batch.

    ``rows`` (per-record outcomes) is filled for :func:`sensors.ingest.ingest_records` only.
    """

    file: str
    kind: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    flagged: int = 0
    quarantined: int = 0
    duplicate_file: bool = False
    file_id: int | None = None
    encoding: str | None = None
    simulated: bool = False
    messages: list[str] = field(default_factory=list)
    rows: list[RowOutcome] | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON summary printed by ``kaiteki ingest --json``."""
        return {
            "file": self.file,
            "kind": self.kind,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "flagged": self.flagged,
            "quarantined": self.quarantined,
            "duplicate_file": self.duplicate_file,
            "simulated": self.simulated,
            "messages": self.messages,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, per-row outcomes included."""
        return asdict(self)


def result_attrs(result: IngestResult, store: Any) -> dict[str, Any]:
    """
    The counts of an ingest and its quarantined rows (line, field, reason), for a frame's
    ``attrs``: readers that parse a file in memory report what they could not keep.
    """
    quarantined = (
        store.quarantine(result.file_id)[["line", "field", "reason"]].to_dict("records")
        if result.file_id is not None
        else []
    )
    return {**result.summary(), "quarantine": quarantined, "messages": list(result.messages)}
