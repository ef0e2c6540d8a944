"""
Quality-control flags as one :class:`enum.IntFlag`: the bitmask every stored row carries in its
``qc_flags`` column, from ingest to the comfort field and the exports, never turned into text on
the way (exports may add readable names). The tests that set them live in :mod:`sensors.qc`;
their meaning is documented in docs/STORE.md ("QC flags").

Examples
--------
>>> QCFlag.RANGE | QCFlag.DUPLICATE
<QCFlag.RANGE|DUPLICATE: 17>
>>> QCFlag(17).names()
['range', 'duplicate']
>>> QCFlag.from_names(["spike", "estimated"]) == QCFlag.SPIKE | QCFlag.ESTIMATED
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt


class QCFlag(enum.IntFlag):
    """One bit per QC test; ``QCFlag(0)`` (no bit set) means the row passed every test."""

    RANGE = 1 << 0  # value outside the physical range of its variable
    SPIKE = 1 << 1  # isolated jump away from and back to the neighbours
    STEP = 1 << 2  # jump between consecutive readings larger than the step limit
    PERSISTENCE = 1 << 3  # value unchanged for too long (stuck sensor)
    DUPLICATE = 1 << 4  # same key (sensor, time) seen earlier in the file or the store
    FUTURE = 1 << 5  # timestamp later than the ingest time (+ tolerance)
    BEFORE_INSTALL = 1 << 6  # timestamp before the sensor's installation date
    OUTSIDE_AREA = 1 << 7  # location outside the planning area (+ buffer)
    GLOBE_BELOW_AIR = 1 << 8  # globe temperature far below air temperature
    MISSING = 1 << 9  # a measured value is empty or NaN (stored as NULL)
    ESTIMATED = 1 << 10  # the source marks the value as estimated/corrected (補正)
    UNREGISTERED = 1 << 11  # sensor not in the registry (location from the row, if any)

    def names(self) -> list[str]:
        """Lower-case names of the set bits, in bit order (the names docs/STORE.md uses)."""
        return [f.name.lower() for f in QCFlag if f.name and self & f]

    @classmethod
    def from_names(cls, names: Iterable[str]) -> QCFlag:
        """The flag with the named bits set (names as :meth:`names` gives them)."""
        out = cls(0)
        for n in names:
            try:
                out |= cls[n.strip().upper()]
            except KeyError:
                known = ", ".join(f.name.lower() for f in cls if f.name)
                raise ValueError(f"unknown QC flag {n!r}; known flags: {known}") from None
        return out


#: Flag names → bit values, in bit order (the form older code and docs use).
FLAG_BITS: dict[str, int] = {f.name.lower(): int(f) for f in QCFlag if f.name}


def has_any(masks: npt.ArrayLike, flags: QCFlag | int) -> npt.NDArray[np.bool_]:
    """
    Which bitmasks in ``masks`` have any bit of ``flags`` set (vectorised).

    Examples
    --------
    >>> has_any([0, 1, 16, 1024], QCFlag.RANGE | QCFlag.DUPLICATE).tolist()
    [False, True, True, False]
    """
    m = np.asarray(masks, dtype=np.int64)
    return (m & int(flags)) != 0
