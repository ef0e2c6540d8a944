"""
Personal data at ingest: participant and response ids become keyed pseudonyms before anything
is stored, and the raw text of a quarantined personal row is not kept (file, line, field and
reason are). Which columns are personal is declared by each kind's adapter
(:attr:`sensors.kinds.Adapter.personal`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import pyarrow as pa

from sensors.errors import IngestError
from sensors.kinds import Adapter


def require_key(adapter: Adapter, pseudonym_key: str | bytes | None) -> None:
    """
    Raises
    ------
    IngestError
        The kind holds personal ids and no pseudonym key was given.
    """
    if adapter.personal and pseudonym_key is None:
        raise IngestError(
            f"{adapter.kind} need a pseudonym key: participant and response ids are replaced by "
            "a keyed hash at ingest. Pass pseudonym_key (the CLI and the API use "
            "KAITEKI_PSEUDONYM_KEY)."
        )


def pseudonymise(ids: Sequence[str], key: str | bytes) -> list[str]:
    """
    Keyed pseudonyms (HMAC-SHA256, first 16 hex digits) of participant ids.

    Parameters
    ----------
    ids
        Raw participant ids.
    key
        The secret key (``KAITEKI_PSEUDONYM_KEY``); the same key gives the same pseudonym.

    Examples
    --------
    >>> pseudonymise(["1503960366"], "k")[0] == pseudonymise(["1503960366"], "k")[0]
    True
    """
    k = key.encode("utf-8") if isinstance(key, str) else key
    return ["p-" + hmac.new(k, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for i in ids]  # fmt: skip


def pseudonymise_column(column: pa.ChunkedArray | pa.Array, key: str | bytes) -> pa.Array:
    """A text column with every id replaced by its pseudonym (each distinct id hashed once)."""
    raw_ids = column.to_pylist()
    uniq = list(dict.fromkeys(raw_ids))
    mapping = dict(zip(uniq, pseudonymise(uniq, key), strict=True))
    return pa.array([mapping[i] for i in raw_ids], type=pa.string())


def forget_raw(quarantine: list[dict]) -> None:
    """Drop the raw text of quarantined rows (it holds the raw participant or response id)."""
    for q in quarantine:
        q["raw"] = None
