"""Errors raised by the comfort science layer."""


class ComfortError(Exception):
    """Base class of every error raised in ``comfort``."""


class NetworkBuildError(ComfortError, ValueError):
    """The street network cannot be built from the given geometry."""


class InputRangeError(ComfortError, ValueError):
    """An input lies outside the range a model is defined for."""
