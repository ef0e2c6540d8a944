"""
The ingest spool: batches posted to the API, durably queued for the store's one writer.

DuckDB lets one process open a store file for writing and no other process open it meanwhile,
so no request handler writes the store. A validated batch becomes one file,
``<spool>/<kind>-<digest>.json`` (``kind`` as stored in ``files.kind``, ``digest`` the SHA-256
of the canonical batch that ``sensors.ingest.ingest_records`` records): written to a temporary
file, fsynced, then published with :func:`os.link`, which fails when the name exists, so of
eight identical batches posted at once exactly one is queued and the others are duplicates; the
writer never sees a half-written file. Key use times are queued the same way
(``keys-<uuid>.json``), and so are changes of the places registry (``places-<uuid>.json``,
applied by ``sensors.registry.apply_change`` with its audit row).

:func:`drain` commits the queue into the store in file order, each batch in its own
transaction through ``ingest_records`` (which adds nothing for a digest already in ``files``,
so a drain interrupted after a commit and before the file is removed is completed without a
second copy). After the commit it leaves a tombstone ``done/<kind>-<digest>`` (kept
:data:`DONE_KEEP_S` seconds, longer than the servers' cached view of ``files``) and then
removes the entry; :meth:`Spool.put` refuses a batch whose tombstone exists. A batch the store
refuses (a data error) moves to ``failed/`` with the reason in the server log. The server's
writer thread (``api.writer``) and ``kaiteki ingest`` both drain.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from sensors.errors import SensorsError, StoreError
from sensors.store import Store

log = logging.getLogger("kaiteki.api")

#: Seconds a tombstone of a committed batch is kept (duplicates are refused meanwhile; later
#: the cached digests of the store's ``files`` table, re-read every few seconds, refuse them).
DONE_KEEP_S = 600.0

#: Temporary files older than this (s) are leftovers of a killed process and are removed.
TMP_KEEP_S = 900.0

#: Failed attempts on one entry (store errors other than a busy store) before it is set aside.
MAX_ATTEMPTS = 3

_TMP = ".tmp-"
_KEYS = "keys-"
#: Prefix of queued changes of the places registry (``POST/PATCH /v1/places``).
_PLACES = "places-"


@dataclass
class DrainReport:
    """What one :func:`drain` did."""

    batches: int = 0
    rows: int = 0
    duplicates: int = 0
    failed: int = 0
    key_updates: int = 0
    place_changes: int = 0
    pending: int = 0
    messages: list[str] = field(default_factory=list)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """
    The spool folder of one store (``Settings.spool_dir``).

    Examples
    --------
    >>> import tempfile
    >>> spool = Spool(Path(tempfile.mkdtemp()))
    >>> spool.put_batch("thermal", "ab" * 32, {"kind": "readings", "records": []})
    True
    >>> spool.put_batch("thermal", "ab" * 32, {"kind": "readings", "records": []})
    False
    >>> len(spool.pending())
    1
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._attempts: dict[str, int] = {}

    @property
    def done_dir(self) -> Path:
        """Tombstones of committed batches."""
        return self.folder / "done"

    @property
    def failed_dir(self) -> Path:
        """Batches the store refused (kept for the operator; see the server log)."""
        return self.folder / "failed"

    def _publish(self, name: str, payload: bytes) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{_TMP}{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.folder / name)
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        _fsync_dir(self.folder)
        return True

    def put_batch(self, kind: str, digest: str, entry: Mapping[str, Any]) -> bool:
        """
        Queue a batch durably; False when the same batch is queued or was committed recently.

        Parameters
        ----------
        kind
            The stored kind (``thermal``, ``flow``, ``steps``, ``survey``, ...).
        digest
            SHA-256 of the canonical batch (``IngestResult.sha256``).
        entry
            ``{"kind": <record kind>, "source": <label>, "records": [...]}``.
        """
        name = f"{kind}-{digest}"
        if (self.done_dir / name).exists():
            return False
        payload = json.dumps(entry, ensure_ascii=False, allow_nan=False).encode("utf-8")
        if not self._publish(f"{name}.json", payload):
            return False
        if (self.done_dir / name).exists():
            # committed and removed between the check above and the link: not a new batch
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{name}.json").unlink()
            return False
        return True

    def put_last_used(self, used: Mapping[str, datetime]) -> None:
        """Queue key use times (``key_id`` → time) for the writer."""
        if used:
            payload = json.dumps({k: v.isoformat() for k, v in used.items()}).encode("utf-8")
            self._publish(f"{_KEYS}{uuid.uuid4().hex}.json", payload)

    def put_place_change(self, change: Mapping[str, Any]) -> str:
        """
        Queue one change of the places registry (``{"action", "place_id", "fields", "who"}``,
        applied by :func:`sensors.registry.apply_change`); returns the entry's name.
        """
        name = f"{_PLACES}{uuid.uuid4().hex}.json"
        payload = json.dumps(change, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._publish(name, payload)
        return name

    def pending(self) -> list[Path]:
        """Queued entries, oldest first."""
        if not self.folder.is_dir():
            return []
        entries = []
        for path in self.folder.glob("*.json"):
            with contextlib.suppress(FileNotFoundError):
                entries.append((path.stat().st_mtime_ns, path.name, path))
        return [p for _, _, p in sorted(entries)]

    def prune(self, now: float | None = None) -> None:
        """Remove expired tombstones and temporary files of killed processes."""
        now = time.time() if now is None else now
        for folder, keep in ((self.done_dir, DONE_KEEP_S), (self.folder, TMP_KEEP_S)):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if folder == self.folder and not path.name.startswith(_TMP):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if now - path.stat().st_mtime > keep:
                        path.unlink()

    def _tombstone(self, name: str) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.done_dir / name, os.O_WRONLY | os.O_CREAT, 0o600)
        os.fsync(fd)
        os.close(fd)
        _fsync_dir(self.done_dir)

    def _set_aside(self, path: Path, reason: str) -> None:
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.rename(self.failed_dir / path.name)
        log.error("spooled batch %s set aside in %s: %s", path.name, self.failed_dir, reason)


def _apply_last_used(store: Store, used: Mapping[str, str]) -> int:
    for key_id, when in used.items():
        store.con.execute(
            "UPDATE api_keys SET last_used_at = greatest(coalesce(last_used_at, ?::TIMESTAMPTZ), "
            "?::TIMESTAMPTZ) WHERE key_id = ?",
            [when, when, key_id],
        )
    return len(used)


def drain(
    spool: Spool,
    store: Store,
    *,
    area: Any = None,
    pseudonym_key: str | bytes | None = None,
    budget_s: float | None = None,
) -> DrainReport:
    """
    Commit queued entries into ``store`` (open for writing), oldest first.

    Parameters
    ----------
    spool
        The spool of this store.
    store
        The store, opened read-write.
    area, pseudonym_key
        As for ``sensors.ingest.ingest_records`` (the server's planning area and key).
    budget_s
        Stop after this many seconds (the rest waits for the next drain) so that a writer
        never holds the store long; None drains everything.

    Returns
    -------
    DrainReport
        Counts; ``pending`` is what is left.

    Raises
    ------
    sensors.errors.StoreError
        The store cannot be written (busy); entries not yet committed stay queued.
    """
    from sensors.ingest import ingest_records

    report = DrainReport()
    start = time.monotonic()
    entries = spool.pending()
    for i, path in enumerate(entries):
        if budget_s is not None and time.monotonic() - start > budget_s:
            report.pending = len(entries) - i
            break
        try:
            raw = path.read_bytes()
        except FileNotFoundError:  # drained by another process meanwhile
            continue
        try:
            entry = json.loads(raw)
        except ValueError as exc:
            spool._set_aside(path, f"not JSON: {exc}")
            report.failed += 1
            continue
        try:
            if path.name.startswith(_KEYS):
                report.key_updates += _apply_last_used(store, entry)
                path.unlink(missing_ok=True)
                continue
            if path.name.startswith(_PLACES):
                from sensors.registry import apply_change

                apply_change(store, entry)
                path.unlink(missing_ok=True)
                report.place_changes += 1
                continue
            result = ingest_records(
                store, entry["kind"], entry["records"], entry["source"],
                area=area, pseudonym_key=pseudonym_key,
            )  # fmt: skip
        except StoreError:
            raise
        except (SensorsError, ValueError, KeyError, TypeError) as exc:
            spool._set_aside(path, repr(exc))
            report.failed += 1
            continue
        except duckdb.Error as exc:
            tries = spool._attempts.get(path.name, 0) + 1
            spool._attempts[path.name] = tries
            if tries < MAX_ATTEMPTS:
                raise StoreError(f"spooled batch {path.name} not committed yet: {exc}") from exc
            spool._set_aside(path, repr(exc))
            report.failed += 1
            continue
        spool._tombstone(path.stem)
        path.unlink(missing_ok=True)
        spool._attempts.pop(path.name, None)
        report.batches += 1
        report.duplicates += int(result.duplicate_file)
        report.rows += result.accepted
    spool.prune()
    return report


def queued_records(spool: Spool) -> Sequence[Path]:
    """The batch entries still queued (key use files and place changes excluded)."""
    return [p for p in spool.pending() if not p.name.startswith((_KEYS, _PLACES))]
