"""
Street-canyon geometry of the ``canyon`` pattern of the thermal simulator (labelled simulated).

The default pattern of :func:`sensors.simulate.simulate_thermal` draws its spatial pattern from
the same street attributes the comfort field regresses on (orientation, width class, Odori Park
edge, Sosei river distance), so the field's cross-validation there measures the model on its own
assumptions. The ``canyon`` pattern makes the pattern from things the regression does not see:

- building height H (m): taller towards the commercial core (Sapporo Station – Odori –
  Susukino, :data:`sensors.simulate.stations.ANCHORS`) plus tall-building clusters of a few
  hundred metres (a seeded smooth field);
- street width W (m): a seeded smooth field (8–30 m), independent of the width class;
- H/W and the sky-view factor follow; sun on the street from H/W and the street's exact bearing
  against the sun's azimuth (:mod:`sensors.simulate.solar`); wind channelled along the street
  axis, more in open canyons (low H/W);
- street trees: a seeded smooth canopy field (0..1) that cools the day and shades the street,
  instead of the park and river offsets.

Everything here is simulated; docs/SIMULATORS.md, "Canyon pattern".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensors.simulate._base import stream
from sensors.simulate.stations import ANCHORS

#: The spatial patterns of the thermal simulator.
PATTERNS: tuple[str, ...] = ("covariates", "canyon")

#: Metres per degree of latitude and of longitude at 43° N.
_M_PER_DEG_LAT, _M_PER_DEG_LON = 111_000.0, 81_300.0


@dataclass(frozen=True)
class CanyonGeometry:
    """
    Canyon attributes of each street station (``canyon`` pattern).

    Attributes
    ----------
    height_m, width_m
        Building height and street width (m).
    aspect
        Height-to-width ratio H/W.
    canopy
        Street-tree canopy share (0..1).
    """

    height_m: npt.NDArray[np.float64]
    width_m: npt.NDArray[np.float64]
    aspect: npt.NDArray[np.float64]
    canopy: npt.NDArray[np.float64]


def _smooth_field(
    x_m: npt.NDArray[np.float64],
    y_m: npt.NDArray[np.float64],
    rng: np.random.Generator,
    n_bumps: int,
    sigma_m: tuple[float, float],
) -> npt.NDArray[np.float64]:
    """Sum of ``n_bumps`` Gaussian bumps of random sign over the points, scaled to [-1, 1]."""
    cx = rng.uniform(x_m.min() - 200.0, x_m.max() + 200.0, n_bumps)
    cy = rng.uniform(y_m.min() - 200.0, y_m.max() + 200.0, n_bumps)
    sig = rng.uniform(*sigma_m, n_bumps)
    amp = rng.choice([-1.0, 1.0], n_bumps) * rng.uniform(0.5, 1.0, n_bumps)
    d2 = (x_m[:, None] - cx[None, :]) ** 2 + (y_m[:, None] - cy[None, :]) ** 2
    f = (amp[None, :] * np.exp(-d2 / (2.0 * sig[None, :] ** 2))).sum(axis=1)
    scale = np.max(np.abs(f)) if f.size and np.max(np.abs(f)) > 0 else 1.0
    return np.asarray(f / scale, dtype=np.float64)


def canyon_geometry(stations: pd.DataFrame, seed: int) -> CanyonGeometry:
    """
    Building height, street width, H/W and tree canopy at each street station.

    The fields are the same in every simulated year (they depend on the seed only).

    Parameters
    ----------
    stations
        Street stations with ``lat`` and ``lon`` (degrees) of their segment's midpoint.
    seed
        Random seed of the simulation.

    Returns
    -------
    CanyonGeometry

    Examples
    --------
    >>> st = pd.DataFrame({"lat": [43.0604, 43.075], "lon": [141.3520, 141.335]})
    >>> g = canyon_geometry(st, 42)
    >>> bool(g.height_m[0] > g.height_m[1]), bool(np.all(g.aspect > 0))
    (True, True)
    """
    lat0, lon0 = 43.06, 141.35
    x = (stations["lon"].to_numpy(dtype=np.float64) - lon0) * _M_PER_DEG_LON
    y = (stations["lat"].to_numpy(dtype=np.float64) - lat0) * _M_PER_DEG_LAT
    ax = (np.array([a[2] for a in ANCHORS]) - lon0) * _M_PER_DEG_LON
    ay = (np.array([a[1] for a in ANCHORS]) - lat0) * _M_PER_DEG_LAT
    core_m = np.sqrt((x[:, None] - ax[None, :]) ** 2 + (y[:, None] - ay[None, :]) ** 2).min(axis=1)
    rng = stream(seed, "canyon-geometry")
    clusters = _smooth_field(x, y, rng, 8, (120.0, 260.0))
    height = np.clip(12.0 + 40.0 * np.exp(-core_m / 500.0) + 14.0 * clusters, 6.0, 90.0)
    width = np.clip(18.0 + 9.0 * _smooth_field(x, y, rng, 6, (150.0, 300.0)), 8.0, 30.0)
    canopy = np.clip(0.5 * (1.0 + _smooth_field(x, y, rng, 6, (100.0, 220.0))), 0.0, 1.0)
    return CanyonGeometry(height_m=height, width_m=width, aspect=height / width, canopy=canopy**2)
