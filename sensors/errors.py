"""Errors raised while reading, checking and storing data."""


class SensorsError(Exception):
    """Base class of every error raised in ``sensors``."""


class DataDirError(SensorsError, FileNotFoundError):
    """The data directory or a file expected in it is missing."""


class AreaError(SensorsError, ValueError):
    """The planning area or the network source cannot be read or is unusable."""


class OSMSourceError(SensorsError, ValueError):
    """An OpenStreetMap source (place, polygon or file) cannot be turned into a network."""
