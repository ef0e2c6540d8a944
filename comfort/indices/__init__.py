"""
Thermal indices: mean radiant temperature, UTCI and its stress categories, comfort score,
wind chill and outdoor WBGT.

Every function is vectorised over numpy arrays (inputs broadcast against each other) and
returns float64 arrays. Inputs outside a model's validity give NaN plus a flag, never a silently
extrapolated value; see ``docs/INDICES.md`` for the rules and the references.

One module per concept: :mod:`~comfort.indices.radiation` (MRT from a globe),
:mod:`~comfort.indices.wind` (wind at 10 m), :mod:`~comfort.indices.vapour` (saturation
vapour pressure), :mod:`~comfort.indices.utci_approx` (the UTCI polynomial),
:mod:`~comfort.indices.categories` (stress categories, comfort score),
:mod:`~comfort.indices.cold` (wind chill), :mod:`~comfort.indices.heat` (WBGT) and
:mod:`~comfort.indices.calculator` (every index of one point, with flags). Import from
``comfort.indices``.
"""

from __future__ import annotations

from comfort.indices.calculator import ThermalIndices, thermal_indices
from comfort.indices.categories import (
    MISSING_CODE,
    NO_STRESS_CODE,
    TEXTBOOK_BAND_C,
    UTCI_CATEGORIES,
    UTCICategory,
    comfort_score,
    discomfort_score,
    in_neutral_band,
    utci_category,
)
from comfort.indices.cold import wind_chill
from comfort.indices.heat import natural_wet_bulb, wbgt_outdoor, wet_bulb_stull
from comfort.indices.radiation import (
    globe_convection_coefficient,
    globe_temperature,
    mean_radiant_temperature,
    mrt_plausible,
)
from comfort.indices.utci_approx import UTCI_LIMITS, UTCIFlag, utci, utci_valid
from comfort.indices.vapour import saturation_vapour_pressure_hpa
from comfort.indices.wind import wind_speed_at_10m

__all__ = [
    "MISSING_CODE",
    "NO_STRESS_CODE",
    "TEXTBOOK_BAND_C",
    "UTCI_CATEGORIES",
    "UTCI_LIMITS",
    "ThermalIndices",
    "UTCICategory",
    "UTCIFlag",
    "comfort_score",
    "discomfort_score",
    "globe_convection_coefficient",
    "globe_temperature",
    "in_neutral_band",
    "mean_radiant_temperature",
    "mrt_plausible",
    "natural_wet_bulb",
    "saturation_vapour_pressure_hpa",
    "thermal_indices",
    "utci",
    "utci_category",
    "utci_valid",
    "wbgt_outdoor",
    "wet_bulb_stull",
    "wind_chill",
    "wind_speed_at_10m",
]
