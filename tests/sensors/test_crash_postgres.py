"""
kill -9 during ingest into a PostgreSQL store, 20 times: the store stays consistent after every
kill (no half file: the integrity check of :func:`tests.sensors.test_crash._consistent`), and a
re-run stores every file once.

Each ingest runs in a process of its own, forked by a helper process that imported kaiteki once
(:class:`tests.forkserver.ForkServer`), so that 20 runs take seconds, not 20 interpreter starts; the forked process
opens its own connection. The killed process's transaction is rolled back by the server when its
connection drops; the monthly partitions it created before its transaction stay (empty), which
is harmless.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sensors.ingest import ingest_file
from sensors.store import Store
from tests.forkserver import ForkServer
from tests.sensors.conftest import new_pg_store
from tests.sensors.test_crash import _consistent, _write

ROWS = 10_000
KILLS = 20
#: The fork server's call of one ingest run.
INGEST = "tests.sensors.test_crash_postgres:ingest_files"


def ingest_files(url: str, *paths: str) -> None:
    """Ingest ``paths`` into the store at ``url``, saying "begin PATH" before each (forked)."""
    store = Store(url)
    for path in paths:
        print("begin", path, flush=True)
        ingest_file(store, "thermal", path)
    store.close()


def _pending(store_url: str, files: list[Path], tmp_path: Path) -> list[str]:
    """Files not stored yet (a new one written while fewer than two are left)."""
    with Store(store_url, read_only=True) as store:
        stored = set(store.files()["path"]) if store.schema_version() else set()
    pending = [str(p) for p in files if str(p) not in stored]
    while len(pending) < 2:
        path = tmp_path / f"r{len(files)}.csv"
        _write(path, ROWS, len(files))
        files.append(path)
        pending.append(str(path))
    return pending


def test_kill_9_during_postgresql_ingest(tmp_path, pg_database) -> None:  # type: ignore[no-untyped-def]
    url = new_pg_store(pg_database)
    with Store(url) as store:
        store.migrate()
    files: list[Path] = []
    killed = run = 0
    with ForkServer(["sensors.ingest", "sensors.store", "tests.sensors.test_crash_postgres"]) as fs:
        # until KILLS ingests were really cut by SIGKILL (on a loaded machine an ingest may
        # finish before its kill lands; such runs are not counted), at most 3 x KILLS runs
        while killed < KILLS and run < 3 * KILLS:
            run += 1
            child = fs.run(INGEST, url, *_pending(url, files, tmp_path))
            for _ in range(1 + run % 2):  # into its first or second file
                line = child.readline()
                if line is None:
                    break
                assert line.startswith("begin "), f"the ingest process wrote {line!r}"
            time.sleep(0.02 + 0.06 * (run % 6))  # from casting to the COPY and the commit
            child.kill()
            killed += child.wait() == -signal.SIGKILL
            with Store(url) as store:
                _consistent(store, ROWS)
    print(f"kill -9 runs: {run}, ingests interrupted: {killed}, files stored: {len(files)}")
    assert killed >= KILLS  # the kills really interrupted ingests
    with Store(url) as store:
        for path in files:
            ingest_file(store, "thermal", path)
        _consistent(store, ROWS)
        assert len(store.files()) == len(files)
        assert store.table_counts()["readings"] == ROWS * len(files)
