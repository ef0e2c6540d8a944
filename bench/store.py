"""
Store benchmark: thermal ingest (with QC) of the same file into each backend, and concurrent
writers on PostgreSQL.

- ``duckdb_rows_per_s`` / ``postgres_rows_per_s``: one file of :data:`N_ROWS` readings ingested
  into a fresh DuckDB file and into a fresh PostgreSQL schema (same code path: casting and QC
  on DuckDB in process, the final write with ``INSERT`` or ``COPY``);
  ``ratio_postgres_vs_duckdb`` is PostgreSQL's rate over DuckDB's, measured in the same run.
- ``postgres_<k>_writer(s)_rows_per_s``: k processes (1, 2, 4), each ingesting
  :data:`FILES_PER_WRITER` files of its own (:data:`WRITER_ROWS` rows each) into one
  PostgreSQL schema at once: total rows over the wall time from the first writer's start to the
  last one's end.
- ``errors``: failed ingests plus stored rows or files that do not match what the writers
  were told was accepted (lost or duplicated rows).
- ``peak_rss_mb``: this process; ``peak_writer_rss_mb``: the largest writer process.

Synthetic readings (fixed seed, ``bench.ingest``). The PostgreSQL server is
``KAITEKI_BENCH_PG`` (default ``postgresql://postgres@127.0.0.1:5432``); a database is created
for the run and dropped at the end.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from bench._harness import peak_rss_mb, record
from bench.ingest import write_readings_csv, write_registry_csv

N_ROWS = 200_000
N_SENSORS = 20
WRITERS = (1, 2, 4)
FILES_PER_WRITER = 2
WRITER_ROWS = 50_000
SERVER = os.environ.get("KAITEKI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def _ingest_once(where: str, registry: Path, readings: Path) -> tuple[float, int]:
    """Seconds to ingest ``readings`` into a fresh store at ``where``, and rows read."""
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with Store(where) as store:
        store.migrate()  # open and migrate outside the timed part
        ingest_file(store, "sensors", registry)
        t0 = time.perf_counter()
        result = ingest_file(store, "thermal", readings)
        seconds = time.perf_counter() - t0
    assert result.accepted + result.quarantined == result.rows_read == N_ROWS
    return seconds, result.rows_read


def _writer(url: str, paths: list[str]) -> dict[str, float]:
    """One writer process: ingest ``paths`` one after the other (runs in a child process)."""
    from sensors.ingest import ingest_file
    from sensors.store import Store

    accepted = errors = 0
    with Store(url) as store:
        store.schema_version()  # connected before the clock starts
        start = time.time()
        for path in paths:
            try:
                accepted += ingest_file(store, "thermal", path).accepted
            except Exception:  # counted: the figure reports failed ingests
                errors += 1
        end = time.time()
    return {
        "start": start,
        "end": end,
        "accepted": accepted,
        "errors": errors,
        "rss_mb": _own_peak_rss_mb(),
    }


def _own_peak_rss_mb() -> float:
    """Peak resident memory (MB) of this process since it started (``VmHWM``: unlike
    ``ru_maxrss``, not inherited from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _writer_files(base: pd.DataFrame, tmp: Path, writer: int, run: int) -> list[str]:
    """Files of one writer: slices of ``base`` with sensor ids of their own (distinct bytes)."""
    paths = []
    for f in range(FILES_PER_WRITER):
        part = base.iloc[f * WRITER_ROWS : (f + 1) * WRITER_ROWS].copy()
        part["sensor_id"] = f"R{run}W{writer}F{f}-" + part["sensor_id"]
        path = tmp / f"run{run}_writer{writer}_{f}.csv"
        part.to_csv(path, index=False)
        paths.append(str(path))
    return paths


def _schema(database: str, name: str) -> str:
    import psycopg

    with psycopg.connect(database, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    return f"{database}?options={quote(f'-csearch_path={name},public')}"


def _writers_run(database: str, base: pd.DataFrame, tmp: Path, k: int) -> dict[str, float]:
    """k writers at once into a fresh schema: rows/s, errors, largest writer RSS."""
    from sensors.store import Store

    url = _schema(database, f"writers_{k}")
    with Store(url) as store:
        store.migrate()
    jobs = [_writer_files(base, tmp, w, k) for w in range(k)]
    with ProcessPoolExecutor(k, mp_context=get_context("spawn")) as pool:
        outs = list(pool.map(_writer, [url] * k, jobs))
    wall_s = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    expected_files = k * FILES_PER_WRITER
    accepted = int(sum(o["accepted"] for o in outs))
    with Store(url, read_only=True) as store:
        stored = int(store.con.execute("SELECT count(*) FROM readings").fetchall()[0][0])
        files = int(
            store.con.execute("SELECT count(*) FROM files WHERE kind = 'thermal'").fetchall()[0][0]
        )
    errors = int(sum(o["errors"] for o in outs))
    errors += abs(stored - accepted) + abs(files - expected_files)
    rows = k * FILES_PER_WRITER * WRITER_ROWS
    return {
        "rows_per_s": rows / wall_s,
        "errors": errors,
        "rss_mb": max(o["rss_mb"] for o in outs),
    }


def main() -> dict:
    import psycopg

    name = f"kaiteki_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        readings, registry = tmp / "readings.csv", tmp / "sensors.csv"
        write_readings_csv(readings, N_ROWS, N_SENSORS)
        write_registry_csv(registry, N_SENSORS)
        base = pd.read_csv(readings, dtype=str)
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            database = f"{SERVER}/{name}"
            try:
                with psycopg.connect(database, autocommit=True) as con:
                    con.execute("CREATE EXTENSION postgis")
                duck_s, rows = _ingest_once(str(tmp / "kaiteki.duckdb"), registry, readings)
                pg_s, _ = _ingest_once(_schema(database, "single"), registry, readings)
                runs = {k: _writers_run(database, base, tmp, k) for k in WRITERS}
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    figures: dict[str, float | int] = {
        "rows": rows,
        "duckdb_rows_per_s": round(rows / duck_s),
        "postgres_rows_per_s": round(rows / pg_s),
        "ratio_postgres_vs_duckdb": round(duck_s / pg_s, 3),
    }
    for k, run in runs.items():
        key = f"postgres_{k}_writer{'s' if k > 1 else ''}_rows_per_s"
        figures[key] = round(run["rows_per_s"])
    figures["speedup_4_vs_1_writers"] = round(runs[4]["rows_per_s"] / runs[1]["rows_per_s"], 2)
    figures["errors"] = int(sum(run["errors"] for run in runs.values()))
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    figures["peak_writer_rss_mb"] = round(max(run["rss_mb"] for run in runs.values()), 1)
    print(
        f"store: {rows:,} readings: DuckDB {figures['duckdb_rows_per_s']:,} rows/s, PostgreSQL "
        f"{figures['postgres_rows_per_s']:,} rows/s (ratio {figures['ratio_postgres_vs_duckdb']}); "
        "PostgreSQL writers 1/2/4: "
        + " / ".join(f"{round(runs[k]['rows_per_s']):,}" for k in WRITERS)
        + f" rows/s; errors {figures['errors']}; peak RSS {figures['peak_rss_mb']} MB"
    )
    return figures


if __name__ == "__main__":
    record("store", main())
