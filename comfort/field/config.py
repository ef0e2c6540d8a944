"""
Names, constants and parameters of the comfort field, and the input check its modules share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from comfort import constants
from comfort.errors import FieldInputError
from comfort.field.qc import DEFAULT_KEEP_FLAGS, FlagsLike

#: Projected CRS (metres) of the area model: JGD2011 / Japan Plane Rectangular CS XII.
DEFAULT_CRS = constants.PROJECTED_CRS

#: Time zone of the field's (naive) timestamps.
TIME_ZONE = constants.TIME_ZONE

#: Seasons of the year by month (meteorological): winter DJF, spring MAM, summer JJA, autumn SON.
SEASONS: tuple[str, ...] = constants.SEASONS

#: The interpolated variables, in the order they are modelled.
VARIABLES: tuple[str, ...] = ("air_temp_c", "mrt_c", "wind_speed_m_s", "rel_humidity_pct")

#: Variables that get a standard error ``<name>_se``.
SE_VARIABLES: tuple[str, ...] = ("air_temp_c", "mrt_c", "utci_c")

#: Street covariates, in design-matrix order (after the intercept).
COVARIATES: tuple[str, ...] = ("orient_sin2", "orient_cos2", "wide", "park", "river_km")

#: Target groups: street-level (outdoor) and underground/indoor.
STREET, UNDERGROUND = "street", "underground"


@dataclass(frozen=True)
class FieldConfig:
    """
    Parameters of the field model (docs/FIELD.md, "Model").

    Attributes
    ----------
    ridge
        Ridge penalty on the standardised covariate coefficients (the intercept is not
        penalised), in units of "sensors": 1 shrinks as much as one extra sensor reading zero.
    idw_power
        Power of inverse-distance weighting of the residuals.
    idw_smoothing_m
        Distance (m) added in quadrature to every distance, so that a target on a sensor takes
        (almost) its residual without an infinite weight.
    idw_range_m
        Range (m) of the residuals: a virtual sensor with zero residual is placed at this
        distance from every target, so the residual fades beyond it and the regression rules.
    place_radius_m
        A place takes the mean covariates of the street segments within this distance (m) of
        its outline (the nearest segment when none is that close).
    sensor_snap_max_m
        A sensor farther than this (m) from every segment of its level is an input error.
    keep_flags
        QC flags that do not exclude a reading (a :class:`comfort.qcflags.QCFlag`, or flag
        names); a reading with any other flag is excluded (:func:`comfort.field.qc_exclusion`).
    mobile
        Use mobile sensors (``kind == "mobile"`` in the registry); off by default because their
        position changes and their readings are transects, not fixed series.
    """

    ridge: float = 1.0
    idw_power: float = 2.0
    idw_smoothing_m: float = 15.0
    idw_range_m: float = 300.0
    place_radius_m: float = 60.0
    sensor_snap_max_m: float = 150.0
    keep_flags: FlagsLike = DEFAULT_KEEP_FLAGS
    mobile: bool = False


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, fix: str) -> None:
    """Raise :class:`FieldInputError` naming the columns of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FieldInputError(
            f"{what} must have columns {list(columns)}; missing {missing} "
            f"(columns present: {list(frame.columns)}). {fix}"
        )
