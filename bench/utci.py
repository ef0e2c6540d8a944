"""
UTCI throughput: kaiteki's vectorised polynomial vs pythermalcomfort on the same inputs.

1,000,000 random inputs inside the UTCI validity range (fixed seed). Both implementations are
called as a user would (pythermalcomfort with its defaults: input checks, rounding, stress
category labels), warmed up first (numba compilation is not timed), and timed as the median
of 5 calls. Reports evaluations per second, the ratio to the reference, the largest absolute
difference (°C) against the reference's unrounded output, and peak memory.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pythermalcomfort.models import utci as reference_utci

from bench._harness import median_time_s, peak_rss_mb, record
from comfort.indices import utci, utci_valid

N = 1_000_000


def _inputs(n: int, seed: int = 20240401) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    ta = rng.uniform(-50, 50, 2 * n)
    tr = ta + rng.uniform(-30, 70, 2 * n)
    v = rng.uniform(0.5, 17, 2 * n)
    rh = rng.uniform(0, 100, 2 * n)
    ok = utci_valid(ta, tr, v, rh)  # drop vapour pressure > 50 hPa (hot and humid)
    return tuple(np.ascontiguousarray(a[ok][:n]) for a in (ta, tr, v, rh))


def main() -> dict[str, Any]:
    ta, tr, v, rh = _inputs(N)
    utci(ta[:10], tr[:10], v[:10], rh[:10])  # compile
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference_utci(ta[:10], tr[:10], v[:10], rh[:10])

    t_ours = median_time_s(lambda: utci(ta, tr, v, rh), repeat=5)
    t_ref = median_time_s(lambda: reference_utci(ta, tr, v, rh), repeat=5)
    ours = utci(ta, tr, v, rh)
    ref = reference_utci(ta, tr, v, rh, round_output=False).utci
    max_diff = float(np.nanmax(np.abs(ours - ref)))
    if np.isnan(ours).any() or np.isnan(ref).any():
        raise RuntimeError("benchmark inputs must all be valid; a NaN came back")

    figures = {
        "n": int(ta.size),
        "evals_per_s": round(ta.size / t_ours),
        "reference_evals_per_s": round(ta.size / t_ref),
        "ratio_vs_pythermalcomfort": round(t_ref / t_ours, 2),
        "max_abs_diff_c": max_diff,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    return figures


if __name__ == "__main__":
    record("utci", main())
