"""Errors raised by the comfort science layer."""


class ComfortError(Exception):
    """Base class of every error raised in ``comfort``."""


class NetworkBuildError(ComfortError, ValueError):
    """The street network cannot be built from the given geometry."""


class InputRangeError(ComfortError, ValueError):
    """An input lies outside the range a model is defined for."""


class RoutingError(ComfortError, ValueError):
    """A route, isochrone or travel-time matrix cannot be computed from the given inputs."""


class FieldInputError(ComfortError, ValueError):
    """Readings, sensors, segments or places cannot feed the comfort field as given."""


class CalibrationError(ComfortError, ValueError):
    """Questionnaire votes cannot calibrate a comfort band (too few, or no trend with UTCI)."""


class PlacesError(ComfortError, ValueError):
    """A places layer breaks the schema (columns, ids, indoor flag, opening hours)."""


class KPIError(ComfortError, ValueError):
    """A KPI cannot be computed from the given data (missing baseline, bad table)."""


class ScenarioError(ComfortError, ValueError):
    """A planner scenario names an unknown intervention or place."""


class StepsPeriodError(KPIError):
    """Two step-count periods cannot be compared as asked (no common month, no profile, no data)."""
