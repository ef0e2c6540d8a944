"""
Re-run the registry checks of stored readings after the sensor registry changes.

Thermal readings from a sensor that is neither in the registry nor carries its own location
are stored with :attr:`~comfort.qcflags.QCFlag.UNREGISTERED` (``sensors/kinds/thermal.py``).
Once the sensor is registered (``kaiteki ingest sensors``), :func:`recheck_registry` recomputes
the flags that depend on the registry for exactly those readings: ``unregistered`` is cleared,
``before_install`` is set where the reading precedes the sensor's installation, and
``outside_area`` where the registered location lies outside the planning area. Every other bit
(range, spike, step, persistence, duplicate, future, globe, missing, estimated) was computed
from the reading itself and is kept. The files' ``flagged`` counts are recounted.

The run is idempotent (a second run finds nothing to change) and audited: one JSON line per
run that changed anything (when, who, the store, and per sensor the rows changed with the flags
before and after), in ``<store>.audit.jsonl`` beside a DuckDB store file; for a PostgreSQL store
in ``<database>-<digest>.audit.jsonl`` in the audit folder (default: the current folder), the
digest telling apart stores of the same name (:func:`audit_path`). It runs on both backends, in
one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from comfort.qcflags import QCFlag
from sensors.errors import StoreError

#: The bits that depend on the sensor registry and are recomputed.
REGISTRY_BITS = QCFlag.UNREGISTERED | QCFlag.BEFORE_INSTALL | QCFlag.OUTSIDE_AREA


@dataclass
class RecheckResult:
    """What a recheck changed: per sensor, the rows whose flags were recomputed."""

    sensors: list[dict[str, Any]] = field(default_factory=list)
    files_recounted: list[int] = field(default_factory=list)
    audit_path: str | None = None
    dry_run: bool = False

    @property
    def rows_changed(self) -> int:
        """Readings whose flags were recomputed."""
        return sum(int(s["rows"]) for s in self.sensors)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "rows_changed": self.rows_changed}


def audit_path(store_path: str | Path, audit_dir: str | Path | None = None) -> Path:
    """
    Where the recheck audit of the store at ``store_path`` is appended: beside a DuckDB file;
    for a PostgreSQL URL, ``<database>-<digest>.audit.jsonl`` in ``audit_dir`` (default: the
    current folder), the digest (of user, host, port, database and options) telling apart servers and
    schemas holding a database of the same name.

    Examples
    --------
    >>> audit_path("var/kaiteki.duckdb").as_posix()
    'var/kaiteki.duckdb.audit.jsonl'
    >>> audit_path("postgresql://postgres@db:5432/kaiteki", "/srv").name
    'kaiteki-0895dd72.audit.jsonl'
    """
    from sensors.store import is_postgres_url, store_url

    if not is_postgres_url(store_path):
        p = Path(store_path)
        return p.with_name(p.name + ".audit.jsonl")
    from urllib.parse import urlsplit

    parts = urlsplit(store_url(store_path))
    database = parts.path.strip("/") or "postgres"
    where = f"{parts.username}@{parts.hostname}:{parts.port}/{database}?{parts.query}"
    digest = hashlib.sha256(where.encode("utf-8")).hexdigest()[:8]
    folder = Path.cwd() if audit_dir is None else Path(audit_dir)
    return folder / f"{database}-{digest}.audit.jsonl"


@contextlib.contextmanager
def _transaction(store: Any, *, keep: bool) -> Iterator[Any]:
    """One transaction on the store (either backend), committed when ``keep``, else rolled
    back; yields the connection to run the statements on."""
    if getattr(store, "backend", "duckdb") == "postgresql":
        import psycopg

        with store.transaction() as con:
            yield con
            if not keep:
                raise psycopg.Rollback()
        return
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT" if keep else "ROLLBACK")


def recheck_registry(
    store: Any,
    area_wgs84: Any = None,
    *,
    dry_run: bool = False,
    audit_dir: str | Path | None = None,
) -> RecheckResult:
    """
    Recompute the registry-dependent flags of readings flagged ``unregistered`` whose sensor
    is now in the registry.

    Parameters
    ----------
    store
        A writable :class:`sensors.store.Store` (DuckDB or PostgreSQL).
    area_wgs84
        The planning area plus buffer (shapely, lon/lat) for ``outside_area``; None skips it.
    dry_run
        Count what would change without writing.
    audit_dir
        Folder of the audit file of a PostgreSQL store (default: the current folder); see
        :func:`audit_path`.

    Raises
    ------
    StoreError
        The store is read-only.
    """
    import pandas as pd

    from sensors.qc import area_flags

    if getattr(store, "read_only", False) and not dry_run:
        raise StoreError("the store is open read-only; open it for writing to recheck.")
    unreg = int(QCFlag.UNREGISTERED)
    found = store.query(
        "SELECT r.sensor_id, count(*) AS rows, s.lat, s.lon, epoch_us(s.installed) AS "
        "installed_us FROM readings r JOIN sensors s USING (sensor_id) "
        f"WHERE (r.qc_flags & {unreg}) <> 0 GROUP BY r.sensor_id, s.lat, s.lon, s.installed "
        "ORDER BY r.sensor_id"
    )
    result = RecheckResult(dry_run=dry_run)
    if found.empty:
        return result
    keep = 0xFFFFFFFF ^ int(REGISTRY_BITS)
    # qc_flags is UINTEGER in DuckDB, BIGINT (>= 0) in PostgreSQL
    flags_type = "BIGINT" if getattr(store, "backend", "duckdb") == "postgresql" else "UINTEGER"
    files: set[int] = set()
    with _transaction(store, keep=not dry_run) as con:
        for r in found.itertuples():
            outside = int(area_flags([r.lon], [r.lat], area_wgs84)[0])
            installed = None if pd.isna(r.installed_us) else int(r.installed_us)
            new_bits = (
                f"(CASE WHEN epoch_us(time) < {installed} THEN {int(QCFlag.BEFORE_INSTALL)} "
                "ELSE 0 END)"
                if installed is not None
                else "0"
            )
            where = f"sensor_id = ? AND (qc_flags & {unreg}) <> 0"
            before = con.execute(
                f"SELECT qc_flags, count(*) FROM readings WHERE {where} GROUP BY qc_flags "
                "ORDER BY qc_flags",
                [r.sensor_id],
            ).fetchall()
            files.update(
                int(f[0])
                for f in con.execute(
                    f"SELECT DISTINCT file_id FROM readings WHERE {where}", [r.sensor_id]
                ).fetchall()
            )
            expr = f"CAST((qc_flags & {keep}) | {new_bits} | {outside} AS {flags_type})"
            after = con.execute(
                f"SELECT {expr} AS f, count(*) FROM readings WHERE {where} GROUP BY f ORDER BY f",
                [r.sensor_id],
            ).fetchall()
            if not dry_run:
                con.execute(f"UPDATE readings SET qc_flags = {expr} WHERE {where}", [r.sensor_id])
            result.sensors.append(
                {
                    "sensor_id": r.sensor_id,
                    "rows": int(r.rows),
                    "flags_before": {"|".join(QCFlag(int(f)).names()): int(n) for f, n in before},
                    "flags_after": {
                        "|".join(QCFlag(int(f)).names()) or "none": int(n) for f, n in after
                    },
                }
            )
        if not dry_run:
            for fid in sorted(files):
                con.execute(
                    "UPDATE files SET flagged = (SELECT count(*) FROM readings WHERE file_id = ? "
                    "AND qc_flags <> 0) WHERE file_id = ?",
                    [fid, fid],
                )
    result.files_recounted = sorted(files)
    if not dry_run and store.path != ":memory:":
        path = audit_path(store.path, audit_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "who": getpass.getuser(),
            "action": "recheck_registry",
            "store": _shown(store),
            **result.as_dict(),
        }
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        result.audit_path = str(path)
    return result


def _shown(store: Any) -> str:
    """The store as the audit names it (a PostgreSQL URL without its password)."""
    if getattr(store, "backend", "duckdb") == "postgresql":
        from sensors.storage.postgres import _safe_url

        return _safe_url(store.path)
    return str(store.path)
