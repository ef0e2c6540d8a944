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
run that changed anything, in ``<store>.audit.jsonl`` beside the store file (when, who, and per
sensor the rows changed with the flags before and after).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
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


def audit_path(store_path: str | Path) -> Path:
    """Where the recheck audit of the store at ``store_path`` is appended."""
    p = Path(store_path)
    return p.with_name(p.name + ".audit.jsonl")


def recheck_registry(store: Any, area_wgs84: Any = None, *, dry_run: bool = False) -> RecheckResult:
    """
    Recompute the registry-dependent flags of readings flagged ``unregistered`` whose sensor
    is now in the registry.

    Parameters
    ----------
    store
        A writable :class:`sensors.store.Store` (DuckDB).
    area_wgs84
        The planning area plus buffer (shapely, lon/lat) for ``outside_area``; None skips it.
    dry_run
        Count what would change without writing.

    Raises
    ------
    StoreError
        The store is read-only, or is not the DuckDB backend.
    """
    import pandas as pd

    from sensors.qc import area_flags

    if getattr(store, "backend", "duckdb") != "duckdb":
        raise StoreError(
            f"kaiteki ingest recheck runs on the DuckDB store; this one is {store.backend}. "
            "Re-ingest the affected files on PostgreSQL instead."
        )
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
    con = store.con
    files: set[int] = set()
    con.execute("BEGIN TRANSACTION")
    try:
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
                f"SELECT qc_flags, count(*) FROM readings WHERE {where} GROUP BY qc_flags",
                [r.sensor_id],
            ).fetchall()
            files.update(
                int(f[0])
                for f in con.execute(
                    f"SELECT DISTINCT file_id FROM readings WHERE {where}", [r.sensor_id]
                ).fetchall()
            )
            expr = f"CAST((qc_flags & {keep}) | {new_bits} | {outside} AS UINTEGER)"
            after = con.execute(
                f"SELECT {expr} AS f, count(*) FROM readings WHERE {where} GROUP BY f",
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
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    result.files_recounted = sorted(files)
    if not dry_run and store.path != ":memory:":
        path = audit_path(store.path)
        entry = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "who": getpass.getuser(),
            "action": "recheck_registry",
            **result.as_dict(),
        }
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        result.audit_path = str(path)
    return result
