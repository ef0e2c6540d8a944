"""
kill -9 during ingest into a PostgreSQL store, 20 times: the store stays consistent after every
kill (no half file: the integrity check of :func:`tests.sensors.test_crash._consistent`), and a
re-run stores every file once.

Each ingest runs in a process of its own, forked by a helper process that imported kaiteki once
(:data:`FORKER`), so that 20 runs take seconds, not 20 interpreter starts; the forked process
opens its own connection. The killed process's transaction is rolled back by the server when its
connection drops; the monthly partitions it created before its transaction stay (empty), which
is harmless.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensors.ingest import ingest_file
from sensors.store import Store
from tests.sensors.conftest import new_pg_store
from tests.sensors.test_crash import REPO, _consistent, _write

ROWS = 10_000
KILLS = 20

#: Reads "URL<TAB>PATH<TAB>PATH..." lines; forks one ingest process per line, prints
#: "child PID", the child prints "begin PATH" per file, and "exit STATUS" when the child ended.
FORKER = """
import os, sys
from sensors.ingest import ingest_file
from sensors.store import Store
print("ready", flush=True)
for line in sys.stdin:
    url, *paths = line.rstrip("\\n").split("\\t")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            store = Store(url)
            for path in paths:
                print("begin", path, flush=True)
                ingest_file(store, "thermal", path)
            store.close()
            code = 0
        finally:
            os._exit(code)
    print("child", pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("exit", -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status),
          flush=True)
"""


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
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = 0
    forker = subprocess.Popen(
        [sys.executable, "-c", FORKER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert forker.stdin is not None and forker.stdout is not None
    out = forker.stdout
    try:
        assert out.readline().strip() == "ready"
        run = 0
        # until KILLS ingests were really cut by SIGKILL (on a loaded machine an ingest may
        # finish before its kill lands; such runs are not counted), at most 3 x KILLS runs
        while killed < KILLS and run < 3 * KILLS:
            run += 1
            pending = _pending(url, files, tmp_path)
            forker.stdin.write("\t".join([url, *pending]) + "\n")
            forker.stdin.flush()
            child, begun, status = 0, 0, None

            def read() -> None:
                nonlocal child, begun, status
                word, _, rest = out.readline().strip().partition(" ")
                if word == "child":
                    child = int(rest)
                elif word == "begin":
                    begun += 1
                elif word == "exit":
                    status = int(rest)
                else:
                    pytest.fail(f"the ingest process wrote {word!r} {rest!r}")

            while status is None and begun < 1 + run % 2:  # into its first or second file
                read()
            time.sleep(0.02 + 0.06 * (run % 6))  # from casting to the COPY and the commit
            while status is None and not child:
                read()
            if status is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            while status is None:
                read()
            killed += status == -signal.SIGKILL
            with Store(url) as store:
                _consistent(store, ROWS)
    finally:
        forker.stdin.close()
        forker.wait(timeout=60)
        out.close()
    print(f"kill -9 runs: {run}, ingests interrupted: {killed}, files stored: {len(files)}")
    assert killed >= KILLS  # the kills really interrupted ingests
    with Store(url) as store:
        for path in files:
            ingest_file(store, "thermal", path)
        _consistent(store, ROWS)
        assert len(store.files()) == len(files)
        assert store.table_counts()["readings"] == ROWS * len(files)
