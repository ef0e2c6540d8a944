"""
The space–time comfort field: sensor readings turned into conditions on every street and place.

For every hour and every target (a street segment midpoint or a public place) the field gives
air temperature, MRT, wind speed, relative humidity, the UTCI with its stress category and
comfort score, the wind chill and the outdoor WBGT, with standard errors for air, MRT and UTCI:
a per-hour ridge regression on street covariates across the sensors plus inverse-distance
interpolation of its residuals, every hour solved at once. The model, the QC rules and the error
model are described in docs/FIELD.md.

One module per step: :mod:`~comfort.field.qc` (which readings QC excludes),
:mod:`~comfort.field.targets` (segments, places, sensor sites, covariates),
:mod:`~comfort.field.observations` (readings as ``(hour, sensor)`` arrays),
:mod:`~comfort.field.regression`, :mod:`~comfort.field.uncertainty` (leave-one-sensor-out
cross-validation, standard errors), :mod:`~comfort.field.derived` (indices of the field
variables), :mod:`~comfort.field.model` (fit and Dataset) and
:mod:`~comfort.field.aggregation` (views, seasons, blocks). Import from ``comfort.field``.

This package is pure: DataFrames in, numpy arrays and an :class:`xarray.Dataset` out. Loading
and saving live in :mod:`sensors.fieldstore`.
"""

from __future__ import annotations

from comfort.field.aggregation import (
    by_block,
    by_season,
    by_season_hour,
    daytime,
    edge_field,
    place_field,
    season_of,
    segment_blocks,
)
from comfort.field.config import (
    COVARIATES,
    DEFAULT_CRS,
    SE_VARIABLES,
    SEASONS,
    STREET,
    TIME_ZONE,
    UNDERGROUND,
    VARIABLES,
    FieldConfig,
)
from comfort.field.derived import CATEGORY_FILL, WBGT_GLOBE_DIAMETER_M
from comfort.field.derived import _utci as _utci  # bench/field.py times it
from comfort.field.model import FieldModel, assemble, build_field, fit_field
from comfort.field.observations import SensorArrays, sensor_arrays, to_local_naive
from comfort.field.qc import (
    DEFAULT_KEEP_FLAGS,
    GLOBE_FLAGS,
    FlagsLike,
    as_flags,
    qc_exclusion,
    reading_masks,
)
from comfort.field.regression import fit_hourly, idw_weights, interpolate_residuals
from comfort.field.targets import covariate_frame, edge_targets, place_targets, sensor_sites
from comfort.field.uncertainty import cv_table

__all__ = [
    "CATEGORY_FILL",
    "COVARIATES",
    "DEFAULT_CRS",
    "DEFAULT_KEEP_FLAGS",
    "GLOBE_FLAGS",
    "SEASONS",
    "SE_VARIABLES",
    "STREET",
    "TIME_ZONE",
    "UNDERGROUND",
    "VARIABLES",
    "WBGT_GLOBE_DIAMETER_M",
    "FieldConfig",
    "FieldModel",
    "FlagsLike",
    "SensorArrays",
    "as_flags",
    "assemble",
    "build_field",
    "by_block",
    "by_season",
    "by_season_hour",
    "covariate_frame",
    "cv_table",
    "daytime",
    "edge_field",
    "edge_targets",
    "fit_field",
    "fit_hourly",
    "idw_weights",
    "interpolate_residuals",
    "place_field",
    "place_targets",
    "qc_exclusion",
    "reading_masks",
    "season_of",
    "segment_blocks",
    "sensor_arrays",
    "sensor_sites",
    "to_local_naive",
]
