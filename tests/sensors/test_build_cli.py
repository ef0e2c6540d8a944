"""``kaiteki comfort build`` engines: the Dask engine's Zarr store, with ``--keepbits``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sensors.fieldstore import load_year
from tests.sensors.conftest import FIELD_BUILD_YEAR

KAITEKI = Path(sys.executable).with_name("kaiteki")


def test_keepbits_with_the_memory_engine_is_refused() -> None:
    from api.cli import app

    res = CliRunner().invoke(app, ["comfort", "build", "--engine", "memory", "--keepbits", "12"])
    assert res.exit_code == 2, res.output
    assert "--keepbits" in res.output and "--engine dask" in res.output


@pytest.mark.parametrize("bits", ["0", "24"])
def test_keepbits_outside_the_float32_mantissa_is_refused(bits: str) -> None:
    from api.cli import app

    res = CliRunner().invoke(app, ["comfort", "build", "--keepbits", bits])
    assert res.exit_code == 2 and "--keepbits" in res.output, res.output


@pytest.mark.slow
def test_dask_build_keeps_only_the_asked_mantissa_bits(field_build_env) -> None:
    env, cache = field_build_env
    env = {**env, "KAITEKI_DASK_WORKERS": "1"}
    out = subprocess.run(
        [str(KAITEKI), "comfort", "build", "--keepbits", "12", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["engine"] == "dask" and summary["keepbits"] == 12  # --keepbits implies dask
    assert summary["path"].endswith(f"{FIELD_BUILD_YEAR}.zarr")
    with load_year(cache, FIELD_BUILD_YEAR, chunks={}) as ds:
        assert ds.attrs["keepbits"] == 12
        utci = ds["utci_c"].sel(time=slice("2022-01-18", "2022-01-19")).compute().to_numpy()
    finite = utci[np.isfinite(utci)].astype(np.float32)
    assert finite.size > 0
    # 12 of the 23 mantissa bits kept: the 11 low bits of every value are zero
    assert not (finite.view(np.uint32) & np.uint32((1 << 11) - 1)).any()
    assert os.path.islink(summary["path"])  # published as a link to its version folder
