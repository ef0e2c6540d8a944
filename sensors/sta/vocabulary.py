"""
The SensorThings vocabulary of kaiteki: which ObservedProperty is which kaiteki variable, and the
stable integer ids of the entities kaiteki publishes.

The table lives in ``sensors/data/sta_observed_properties.json`` (docs/SENSORTHINGS.md,
"ObservedProperties"): each kaiteki variable with its unit of measurement, the definition URIs
and the names that mean it. kaiteki's server publishes the first definition and name; its client
matches a foreign ObservedProperty by definition first, then by name.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sensors.errors import FileFormatError

#: The mapping table shipped with kaiteki.
OBSERVED_PROPERTIES_FILE = (
    Path(__file__).resolve().parent.parent / "data" / ("sta_observed_properties.json")
)

#: Observation ids: ``file_id * OBS_FILE_STRIDE + line * OBS_LINE_STRIDE + variable index``.
OBS_FILE_STRIDE = 1 << 36
OBS_LINE_STRIDE = 8


@dataclass(frozen=True)
class Variable:
    """One kaiteki variable as a SensorThings ObservedProperty."""

    variable: str
    table: str
    unit: dict[str, str]
    description: str
    definitions: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def definition(self) -> str:
        """The definition URI kaiteki publishes."""
        return self.definitions[0]


def _norm_uri(uri: str) -> str:
    return uri.strip().lower().rstrip("/")


def _norm_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class Vocabulary:
    """The variables of a mapping table, with look-ups by definition URI and by name."""

    variables: tuple[Variable, ...]

    def by_variable(self, name: str) -> Variable:
        """The entry of kaiteki variable ``name`` (KeyError when unknown)."""
        for v in self.variables:
            if v.variable == name:
                return v
        raise KeyError(name)

    def match(self, definition: str | None, name: str | None) -> Variable | None:
        """
        The kaiteki variable an ObservedProperty means: by definition URI, else by name.

        Examples
        --------
        >>> voc = vocabulary()
        >>> voc.match("http://vocab.nerc.ac.uk/standard_name/air_temperature", None).variable
        'air_temp_c'
        >>> voc.match(None, "Relative Humidity").variable
        'rel_humidity_pct'
        >>> voc.match("urn:x", "colour") is None
        True
        """
        if definition:
            d = _norm_uri(definition)
            for v in self.variables:
                if any(_norm_uri(u) == d for u in v.definitions):
                    return v
        if name:
            n = _norm_name(name)
            for v in self.variables:
                if any(_norm_name(x) == n for x in v.names):
                    return v
        return None

    def of_table(self, table: str) -> tuple[Variable, ...]:
        """The variables stored in ``table`` (``readings``, ``counts``, ``dwell``)."""
        return tuple(v for v in self.variables if v.table == table)


def _entry(raw: Any, where: str) -> Variable:
    try:
        return Variable(
            variable=str(raw["variable"]), table=str(raw["table"]),
            unit={k: str(x) for k, x in raw["unit"].items()},
            description=str(raw.get("description", "")),
            definitions=tuple(str(u) for u in raw["definitions"]),
            names=tuple(str(n) for n in raw["names"]),
        )  # fmt: skip
    except (KeyError, TypeError, AttributeError) as exc:
        raise FileFormatError(
            f"{where}: each entry of 'variables' needs variable, table, unit (object), "
            f"definitions (list) and names (list); {exc!r} in {raw!r}. Fix the mapping file."
        ) from None


def load_vocabulary(path: str | Path) -> Vocabulary:
    """
    A mapping table (the layout of ``sensors/data/sta_observed_properties.json``).

    Raises
    ------
    FileFormatError
        The file is not JSON, or an entry lacks a field, or a variable is not one kaiteki
        stores.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"{path}: cannot read the mapping file as JSON ({exc}).") from None
    entries = doc.get("variables") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise FileFormatError(f"{path}: expected an object with a non-empty list 'variables'.")
    out = tuple(_entry(e, str(path)) for e in entries)
    known = {"readings", "counts", "dwell"}
    for v in out:
        if v.table not in known or not v.definitions or not v.names:
            raise FileFormatError(
                f"{path}: variable {v.variable!r} must have table one of {sorted(known)} and at "
                "least one definition and one name."
            )
    return Vocabulary(out)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The mapping table shipped with kaiteki (cached)."""
    return load_vocabulary(OBSERVED_PROPERTIES_FILE)


def stable_id(*parts: str) -> int:
    """
    A stable positive integer id (below 2**48, so exact in JavaScript) from text parts.

    Examples
    --------
    >>> stable_id("thing", "readings", "S01") == stable_id("thing", "readings", "S01")
    True
    >>> 0 < stable_id("x") < 2**48
    True
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:6], "big") or 1


def observation_id(file_id: int, line: int, index: int) -> int:
    """
    The id of the observation of variable number ``index`` in store row (``file_id``, ``line``).

    Examples
    --------
    >>> observation_id(1, 2, 3)
    68719476755
    """
    return file_id * OBS_FILE_STRIDE + line * OBS_LINE_STRIDE + index
