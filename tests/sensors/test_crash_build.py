"""
kill -9 during ``kaiteki comfort build``: the previous field stays intact, no partial file is
ever taken for a finished one, and a re-run completes.

The store holds ten January days of simulated thermal readings (fixed seed) following the real
Sapporo daily weather; ``comfort build`` fits and writes the whole year's hourly field block by
block into a temporary file beside the target and renames it only when complete
(:class:`sensors.fieldstore.FieldWriter`). The build is killed at seeded random moments; each
run is a process forked from one that imported the CLI once (tests/forkserver.py).
"""

from __future__ import annotations

import hashlib
import json
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensors.fieldstore import available_years, field_path, load_field
from tests.forkserver import ForkedRun, ForkServer
from tests.sensors.conftest import FIELD_BUILD_YEAR

YEAR = FIELD_BUILD_YEAR


#: What a ``comfort build`` run imports, once, in the fork server.
BUILD_IMPORTS = ["api.cli", "api.cli.comfort_build", "comfort.field", "sensors.fieldstore",
                 "sensors.places", "sensors.store", "rich.progress", "rich.table"]  # fmt: skip


def _build(fs: ForkServer, out: Path) -> ForkedRun:
    """``kaiteki comfort build --year YEAR --json`` forked, output to ``out`` (.out and .err)."""
    return fs.run(
        "tests.forkserver:cli", "comfort", "build", "--year", str(YEAR), "--json",
        stdout=out.with_suffix(".out"), stderr=out.with_suffix(".err"),
    )  # fmt: skip


def _finished(run: ForkedRun, out: Path) -> str:
    """Wait for a build that should complete; its JSON output."""
    assert run.wait(300) == 0, out.with_suffix(".err").read_text()
    return out.with_suffix(".out").read_text()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_field(path: Path) -> None:
    ds = load_field(path, chunks={})
    try:
        assert ds.sizes["time"] == len(pd.date_range(f"{YEAR}-01-01", f"{YEAR + 1}-01-01",
                                                     freq="h", inclusive="left"))  # fmt: skip
        assert bool(ds.attrs["simulated"]) is True
        jan = ds["utci_c"].sel(time=slice("2022-01-18", "2022-01-19")).compute()
        assert np.isfinite(jan.to_numpy()).mean() > 0.5
    finally:
        ds.close()


@pytest.mark.slow
def test_kill_9_during_comfort_build(field_build_env, tmp_path: Path) -> None:
    env, cache = field_build_env
    target = field_path(cache, YEAR)
    with ForkServer(BUILD_IMPORTS, env) as fs:
        _campaign(fs, cache, target, tmp_path / "build")


def _campaign(fs: ForkServer, cache: Path, target: Path, out: Path) -> None:
    # killed during the very first build, once it writes: no field file appears at all
    run = _build(fs, out)
    deadline = time.monotonic() + 120
    while not list(target.parent.glob(f".{target.name}.*")) and run.poll() is None:
        assert time.monotonic() < deadline, "the first build wrote nothing in 120 s"
        time.sleep(0.01)
    run.kill()
    assert run.wait() == -signal.SIGKILL
    assert not target.exists() and available_years(cache) == []
    # a complete build, timed, to place the next kills inside the run
    t0 = time.perf_counter()
    printed = _finished(_build(fs, out), out)
    duration = time.perf_counter() - t0
    assert json.loads(printed)["path"] == str(target)
    _check_field(target)
    before = _digest(target)
    rng = np.random.default_rng(2024)
    killed = 0
    for fraction in rng.uniform(0.15, 0.95, 5):
        run = _build(fs, out)
        time.sleep(fraction * duration)
        run.kill()
        killed += run.wait() == -signal.SIGKILL
        # the previous field is untouched and loads; nothing else is taken for a field
        assert _digest(target) == before
        _check_field(target)
        assert available_years(cache) == [YEAR]
        assert sorted(p.name for p in target.parent.glob("*.nc")) == [target.name]
    assert killed >= 3  # the kills really interrupted builds
    # leftovers are hidden temporary files only; a re-run completes and replaces the field
    leftovers = [p for p in target.parent.iterdir() if p != target]
    assert all(p.name.startswith(f".{target.name}.") and p.suffix == ".tmp" for p in leftovers)
    _finished(_build(fs, out), out)
    _check_field(target)
