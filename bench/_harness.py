"""
Shared pieces of the benchmarks: timing, peak memory, and the results file.

Each benchmark ``bench/<name>.py`` has a ``main() -> dict`` that measures, compares against a
reference measured in the same run, and returns its figures as a flat dict. ``record`` adds
``machine`` and ``timestamp``, writes ``bench/results/<name>.json`` and prints one summary row.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """A short description of the machine the figures were measured on."""
    return (
        f"{platform.node()} {platform.machine()} {os.cpu_count()} cores {platform.python_version()}"
    )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_time_s(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median wall time (s) of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def record(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Write ``bench/results/<name>.json`` with machine and timestamp, and print one row."""
    out = {**figures, "machine": machine(), "timestamp": datetime.now(UTC).isoformat()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n")
    row = "  ".join(f"{k}={v}" for k, v in figures.items())
    print(f"[bench] {name}: {row}", flush=True)
    return out
