"""
The server's one store writer: a thread that drains the ingest spool (``api.spool``).

Every server process runs the thread; only the one holding an exclusive :func:`fcntl.flock`
on ``<spool>/writer.lock`` drains, the others' threads only queue their key use times and try
the lock again now and then (so another worker takes over when the writer's process ends).
Each pass opens the store read-write only while there is something to commit, for at most
:data:`DRAIN_BUDGET_S`, and gives up at once when another process (``kaiteki ingest``, a key
command) holds it: the entries stay queued and the next pass retries.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from typing import IO, Any

from api import spool as spool_
from api.auth import KeyCache
from api.settings import Settings
from sensors.errors import StoreError
from sensors.store import Store, is_busy_error

log = logging.getLogger("kaiteki.api")

#: Longest time (s) one pass keeps the store open for writing.
DRAIN_BUDGET_S = 2.0


class SpoolWriter:
    """
    The background writer of one app (start it in the app's lifespan).

    Parameters
    ----------
    settings
        Store, spool folder, pseudonym key, intervals.
    keys
        The app's key cache, whose use times are queued every ``last_used_flush_s``.
    """

    def __init__(self, settings: Settings, keys: KeyCache) -> None:
        self.settings = settings
        self.keys = keys
        self.spool = spool_.Spool(settings.spool_dir)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: IO[bytes] | None = None
        self._last_flush = time.monotonic()
        self._pass = threading.Lock()

    @property
    def is_writer(self) -> bool:
        """Whether this process holds the writer lock."""
        return self._lock_file is not None

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kaiteki-writer", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Ask for a pass now (a batch was queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Queue the pending key use times, make a last pass, release the lock."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.spool.put_last_used(self.keys.take_used())
        with contextlib.suppress(StoreError):
            self.drain_once()
        if self._lock_file is not None:
            self._lock_file.close()  # closing the file releases the flock
            self._lock_file = None

    def _try_lock(self) -> bool:
        if self._lock_file is not None:
            return True
        self.spool.folder.mkdir(parents=True, exist_ok=True)
        f = open(self.spool.folder / "writer.lock", "ab")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self._lock_file = f
        log.info("process %d is the store writer", os.getpid())
        return True

    def _area(self) -> Any:
        from api import resources
        from sensors.errors import SensorsError

        try:
            return resources.planning_area()
        except SensorsError:
            return None

    def drain_once(self) -> spool_.DrainReport | None:
        """
        One pass: commit what is queued if this process is the writer.

        Returns
        -------
        DrainReport or None
            None when this process is not the writer or nothing is queued.

        Raises
        ------
        sensors.errors.StoreError
            The store is busy; the entries stay queued.
        """
        with self._pass:
            if not self._try_lock() or not self.spool.pending():
                return None
            with Store(self.settings.store) as store:
                return spool_.drain(
                    self.spool, store, area=self._area(),
                    pseudonym_key=self.settings.pseudonym_key, budget_s=DRAIN_BUDGET_S,
                )  # fmt: skip

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """
        Wait until the spool is empty and no pass holds the store (tests, shutdown scripts).

        Returns
        -------
        bool
            False when entries were still queued after ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while self.spool.pending():
            if time.monotonic() > deadline:
                return False
            self.wake()
            time.sleep(0.05)
        with self._pass:
            return True

    def _run(self) -> None:
        interval = self.settings.writer_interval_s
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                if time.monotonic() - self._last_flush >= self.settings.last_used_flush_s:
                    self._last_flush = time.monotonic()
                    self.spool.put_last_used(self.keys.take_used())
                report = self.drain_once()
            except StoreError as exc:
                if not is_busy_error(exc):
                    log.warning("store writer: %r (cause %r)", exc, exc.__cause__)
                continue
            except Exception:  # the thread must outlive any one bad pass
                log.exception("store writer pass failed; retrying")
                continue
            if report is not None and report.pending:
                self._wake.set()  # budget used up: go on after giving others a turn
                time.sleep(interval)
