"""
A fork server for the kill -9 campaigns: one helper process imports what the runs need once and
forks one child per run, so a campaign of tens of runs pays no interpreter start and no imports
per run (seconds each), while every run is still a process of its own that can be killed.

Protocol on the server's pipes: the test writes one JSON job per line (``call`` as
``"module:function"``, ``args``, optional ``stdout``/``stderr`` file paths, ``new_session``);
the server answers ``@forkserver child PID``, then come the lines the child prints (when its
stdout is not sent to a file), then ``@forkserver exit STATUS`` (negative: killed by that
signal). The child waits until its pid was announced, so its lines always come after it.
Runs are one at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
MARK = "@forkserver "

SERVER = """
import importlib, json, os, sys, traceback
for name in sys.argv[1:]:
    importlib.import_module(name)
print("@forkserver ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    module, _, name = job["call"].partition(":")
    target = getattr(importlib.import_module(module), name)
    gate_r, gate_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(gate_w)
            os.read(gate_r, 1)
            os.close(gate_r)
            if job.get("new_session"):
                os.setsid()
            for fd, path in ((1, job.get("stdout")), (2, job.get("stderr"))):
                if path:
                    os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
            target(*job["args"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(gate_r)
    print("@forkserver child", pid, flush=True)
    os.write(gate_w, b"g")
    os.close(gate_w)
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    print("@forkserver exit", code, flush=True)
"""


def cli(*args: str) -> None:
    """The ``kaiteki`` command with ``args`` (a fork server ``call``: ``tests.forkserver:cli``)."""
    from api.cli import main

    sys.argv = ["kaiteki", *args]
    main()


class ForkedRun:
    """One run of a :class:`ForkServer` (the parts of ``subprocess.Popen`` the campaigns use)."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None
        self._lines: deque[str] = deque()

    def _take(self, line: str) -> None:
        if line.startswith(f"{MARK}exit "):
            self.returncode = int(line.split()[-1])
        else:
            self._lines.append(line)

    def readline(self, timeout_s: float = 60.0) -> str | None:
        """The next line the child printed; None once it has ended and all were read."""
        while not self._lines and self.returncode is None:
            self._take(self.server.line(timeout_s))
        return self._lines.popleft() if self._lines else None

    def poll(self) -> int | None:
        """The exit status if the child has ended (its lines are kept for :meth:`readline`)."""
        while self.returncode is None:
            try:
                self._take(self.server.line(0))
            except queue.Empty:
                break
        return self.returncode

    def wait(self, timeout_s: float = 60.0) -> int:
        """Wait for the end of the child; its exit status."""
        while self.returncode is None:
            self._take(self.server.line(timeout_s))
        return self.returncode

    def kill(self, group: bool = False) -> None:
        """SIGKILL the child (``group``: its whole process group; needs ``new_session``)."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                (os.killpg if group else os.kill)(self.pid, signal.SIGKILL)


class ForkServer:
    """
    A process that imported ``preload`` once and forks one child per :meth:`run`.

    Parameters
    ----------
    preload
        Modules imported before the first fork (what every run would import).
    env
        The server's environment, inherited by every run (default: this process's, with the
        repository on ``PYTHONPATH``).
    """

    def __init__(self, preload: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        env = dict(env if env is not None else os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, *preload], env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.line(120)
        assert first == f"{MARK}ready", f"the fork server did not start: {first!r}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(f"{MARK}eof")

    def line(self, timeout_s: float) -> str:
        """The server's next line (``queue.Empty`` after ``timeout_s``; 0: do not wait)."""
        line = self._queue.get(timeout=timeout_s) if timeout_s > 0 else self._queue.get_nowait()
        if line == f"{MARK}eof":
            self._queue.put(line)
            raise RuntimeError(f"the fork server ended (status {self.proc.wait(timeout=10)})")
        return line

    def run(
        self,
        call: str,
        *args: str,
        stdout: Path | str | None = None,
        stderr: Path | str | None = None,
        new_session: bool = False,
    ) -> ForkedRun:
        """
        Fork one child that calls ``call`` (``"module:function"``) with ``args``.

        ``stdout``/``stderr``: files the child's output goes to (default: stdout comes back
        through :meth:`ForkedRun.readline`, stderr goes where the test's goes).
        ``new_session``: the child leads a process group of its own (``kill(group=True)``).
        """
        assert self.proc.stdin is not None
        job = {
            "call": call,
            "args": list(args),
            "stdout": None if stdout is None else str(stdout),
            "stderr": None if stderr is None else str(stderr),
            "new_session": new_session,
        }
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.line(120)
        assert line.startswith(f"{MARK}child "), line
        return ForkedRun(self, int(line.split()[-1]))

    def close(self) -> None:
        """End the server (after the current run)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
