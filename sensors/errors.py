"""Errors raised while reading, checking and storing data."""


class SensorsError(Exception):
    """Base class of every error raised in ``sensors``."""


class DataDirError(SensorsError, FileNotFoundError):
    """The data directory or a file expected in it is missing."""


class AreaError(SensorsError, ValueError):
    """The planning area or the network source cannot be read or is unusable."""


class OSMSourceError(SensorsError, ValueError):
    """An OpenStreetMap source (place, polygon or file) cannot be turned into a network."""


class EncodingError(SensorsError, UnicodeError):
    """A file is not text in a supported encoding (UTF-8 or Shift_JIS/cp932)."""


class FileFormatError(SensorsError, ValueError):
    """A file cannot be read as the expected format (empty, missing columns, wrong layout)."""


class StoreError(SensorsError, RuntimeError):
    """The DuckDB store cannot be opened, migrated or written."""


class IngestError(SensorsError, ValueError):
    """An ingest request is invalid (unknown kind, bad records, missing key)."""


class CourseError(SensorsError, ValueError):
    """The walking-course file is missing or a course in it is malformed."""


class SimulationError(SensorsError, ValueError):
    """A simulator cannot run on its inputs (no real data for the dates, unusable network)."""


class FieldNotFoundError(SensorsError, FileNotFoundError):
    """No comfort field has been built for the requested year."""


class FieldFormatError(SensorsError, ValueError):
    """A file is not a kaiteki comfort field (missing dimensions, variables or attributes)."""


class ExportError(SensorsError, ValueError):
    """An export request is invalid (unknown kind or format, a combination that does not apply)."""


class DaskClusterError(SensorsError, RuntimeError):
    """The Dask cluster for the comfort field cannot be reached or started."""
