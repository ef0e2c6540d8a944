"""
Start-up time of the ``kaiteki`` command line: ``kaiteki --help``, median of 10 runs.

Each run is a fresh process (as a user at a terminal starts it). The reference, measured in the
same run, is a bare ``python -c "import typer"``: the least any typer CLI pays. Target: the
median under 0.5 s. Peak memory is that of the largest ``kaiteki --help`` child process.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._harness import record

RUNS = 10
TARGET_S = 0.5


def _kaiteki() -> list[str]:
    exe = Path(sys.executable).with_name("kaiteki")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("kaiteki")
    return [found] if found else [sys.executable, "-c", "from api.cli import main; main()"]


def _median_s(argv: list[str], runs: int = RUNS) -> float:
    times = []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(argv, check=True, capture_output=True, env=env)  # warm the file cache
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> dict[str, Any]:
    help_s = _median_s([*_kaiteki(), "--help"])
    typer_s = _median_s([sys.executable, "-c", "import typer"])
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "runs": RUNS,
        "help_p50_s": round(help_s, 3),
        "bare_typer_p50_s": round(typer_s, 3),
        "ratio_vs_bare_typer": round(help_s / typer_s, 2),
        "target_met": help_s < TARGET_S,
        "peak_rss_mb": round(children_kb / 1024, 1),
    }


if __name__ == "__main__":
    record("cli", main())
