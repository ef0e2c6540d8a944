"""The field's compiled WBGT and piecewise indices give the numbers of comfort.indices exactly."""

from __future__ import annotations

import numpy as np
import pytest

from comfort import indices
from comfort.field.compiled import wbgt_from_mrt
from comfort.field.derived import INDEX_DTYPES, _utci, indices_into


def _inputs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    air = rng.uniform(-30.0, 45.0, n)
    mrt = air + rng.normal(5.0, 15.0, n)
    rh = rng.uniform(0.0, 100.0, n)
    wind = rng.exponential(1.5, n)
    wind[:50] = 0.0  # calm: natural convection rules the globe
    wind[50:100] = 0.02  # Bernard's lowest wind class
    mrt[100:150] = air[100:150]  # no radiant load
    return air, mrt, rh, wind


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wbgt_compiled_equals_indices_bit_for_bit(seed):
    air, mrt, rh, wind = _inputs(20_000, seed)
    globe = indices.globe_temperature(mrt, air, wind, 0.15)
    expected = indices.wbgt_outdoor(air, globe, rh, wind).astype(np.float32)
    got = wbgt_from_mrt(air, mrt, rh, wind, 0.15)
    assert got.dtype == np.float32
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got).any() and np.isfinite(got).sum() > 10_000  # both regimes tested


def test_wbgt_compiled_bad_wind_is_nan():
    got = wbgt_from_mrt(np.array([20.0, 20.0]), np.array([30.0, 30.0]), np.array([50.0] * 2),
                        np.array([-1.0, 1.0]))  # fmt: skip
    assert np.isnan(got[0]) and np.isfinite(got[1])


@pytest.mark.parametrize("piece_cells", [1, 7, 1000, 10**6])
def test_indices_into_pieces_same_numbers(piece_cells):
    air, mrt, rh, wind = (a.reshape(200, 100) for a in _inputs(20_000, 3))
    air[5, 7] = np.nan  # a missing cell stays missing in every index
    values = {"air_temp_c": air, "mrt_c": mrt, "wind_speed_m_s": wind, "rel_humidity_pct": rh}
    out: dict[str, np.ndarray] = {k: np.empty(air.shape, dtype=d) for k, d in INDEX_DTYPES.items()}
    indices_into(values, 1.5, out, piece_cells=piece_cells)
    utci = _utci(values, 1.5)
    assert np.array_equal(out["utci_c"], utci.astype(np.float32), equal_nan=True)
    globe = indices.globe_temperature(mrt, air, wind, 0.15)
    wbgt = indices.wbgt_outdoor(air, globe, rh, wind).astype(np.float32)
    assert np.array_equal(out["wbgt_c"], wbgt, equal_nan=True)
    w10 = wind * float(indices.wind_speed_at_10m(1.0, 1.5))
    chill = indices.wind_chill(air, w10).astype(np.float32)
    assert np.array_equal(out["wind_chill_c"], chill, equal_nan=True)
    assert np.isnan(out["wbgt_c"][5, 7]) and np.isnan(out["comfort"][5, 7])
    assert out["utci_category"].dtype == np.int8
