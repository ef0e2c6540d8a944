"""
Keep "now" current: recompute the comfort field for the hours new readings touched, and publish
them atomically into the year's field file (``kaiteki comfort update``, ``kaiteki collect mqtt
--update-field``).

Only the touched hours are fitted (:func:`comfort.field.fit_field` on the readings of those
hours, ``times=`` every hour from the first to the last touched); the year's file keeps every other hour and
is replaced in one rename (:func:`sensors.fieldstore.save_field`), so the conditions engine
(:mod:`sensors.conditions`) sees either the old or the new field, never half of one. A year
without a field file gets one holding just the updated hours: those hours are then ``exact``,
the others come from the nearest year as before (docs/CONDITIONS.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sensors.errors import FieldFormatError

TZ = "Asia/Tokyo"

#: Fewest consecutive hours fitted at once: the field's error model smooths its calibration
#: over a few hours (comfort.field.uncertainty), so a shorter window is widened backwards.
MIN_FIT_HOURS = 6


@dataclass
class FieldUpdate:
    """What one update did: hours recomputed per year, files written, time taken."""

    hours: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    simulated: bool = False
    seconds: float = 0.0


def touched_hours(
    store: Any, *, hours: int = 3, now: dt.datetime | None = None
) -> pd.DatetimeIndex:
    """
    The hours (naive Asia/Tokyo, on the hour) of the last ``hours`` hours up to ``now`` that
    hold thermal readings.
    """
    end = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    end = end.tz_localize(TZ) if end.tzinfo is None else end.tz_convert(TZ)
    start = end.floor("h") - pd.Timedelta(hours=hours - 1)
    df = store.query(
        "SELECT DISTINCT date_trunc('hour', time) AS hour FROM readings "
        "WHERE time >= ? AND time < ?",
        [start.to_pydatetime(), (end.floor("h") + pd.Timedelta(hours=1)).to_pydatetime()],
    )
    if df.empty:
        return pd.DatetimeIndex([])
    hrs = pd.DatetimeIndex(pd.to_datetime(df["hour"]))
    hrs = hrs.tz_convert(TZ) if hrs.tz is not None else hrs.tz_localize(TZ)
    return pd.DatetimeIndex(sorted(hrs.tz_localize(None).unique()))


def update_hours(
    store: Any,
    cache_dir: str | Path,
    segments: Any,
    places: Any,
    hours: pd.DatetimeIndex,
) -> FieldUpdate:
    """
    Fit the field for ``hours`` and publish them into each year's field file atomically.

    Parameters
    ----------
    store
        The open store (readings and sensor registry).
    cache_dir
        The cache folder holding ``field/<year>.nc``.
    segments, places
        The network's segment table and the places layer (as for ``kaiteki comfort build``).
    hours
        Naive Asia/Tokyo hours to recompute.

    Raises
    ------
    FieldFormatError
        The year's field is stored as Zarr (rebuild it with ``kaiteki comfort build``).
    comfort.field.FieldInputError
        No usable readings for those hours.
    """
    import xarray as xr

    from comfort import field as cfield
    from sensors import fieldstore

    t0 = time.perf_counter()
    out = FieldUpdate()
    hours = pd.DatetimeIndex(sorted(pd.DatetimeIndex(hours).floor("h").unique()))
    registry = pd.DataFrame(store.sensors().drop(columns="geometry", errors="ignore"))
    for year in sorted(set(hours.year)):
        touched = hours[hours.year == year]
        first = min(touched.min(), touched.max() - pd.Timedelta(hours=MIN_FIT_HOURS - 1))
        hs = pd.date_range(max(first, pd.Timestamp(year, 1, 1)), touched.max(), freq="h")
        readings = store.readings(start=hs.min(), end=hs.max() + pd.Timedelta(hours=1))
        model = cfield.fit_field(
            readings, registry, segments, places, times=hs,
            source=f"kaiteki store, thermal readings, update of {len(hs)} hours",
        )  # fmt: skip
        new = xr.concat(list(model.iter_blocks(len(hs))), dim="time")
        new = new.sel(time=touched.to_numpy())  # the widened hours only served the fit
        path = fieldstore.field_path(cache_dir, year)
        built = fieldstore.built_path(cache_dir, year)
        if built.exists() and built.suffix != ".nc":
            raise FieldFormatError(
                f"the field of {year} is stored as Zarr ({built}); updating hours works on the "
                "NetCDF field: rebuild it with `kaiteki comfort build --engine numpy`."
            )
        merged = new
        if path.exists():
            with fieldstore.load_field(path) as old:
                keep = old.sel(time=~old["time"].isin(new["time"].values)).load()
            merged = xr.concat([keep, new], dim="time", join="outer").sortby("time")
            merged.attrs = {**keep.attrs, "simulated": bool(keep.attrs.get("simulated")) or
                            bool(new.attrs.get("simulated"))}  # fmt: skip
        fieldstore.save_field(merged, path)
        out.files.append(str(path))
        out.hours.extend(h.isoformat() for h in touched)
        out.simulated = out.simulated or bool(new.attrs.get("simulated"))
    out.seconds = time.perf_counter() - t0
    return out


class PeriodicUpdate:
    """
    Call ``update`` at most every ``every_s`` seconds while new readings come (the collector's
    ``--update-field``): call the object after each stored batch, and :meth:`flush` at the end.
    A failed update is reported through ``say`` and retried at the next period.
    """

    def __init__(
        self,
        update: Callable[[], FieldUpdate],
        every_s: float = 300.0,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.update = update
        self.every_s = every_s
        self._say = say or (lambda _text: None)
        self._last = time.monotonic()
        self._dirty = False

    def __call__(self, _report: Any = None) -> None:
        self._dirty = True
        if time.monotonic() - self._last >= self.every_s:
            self.flush()

    def flush(self) -> None:
        """Update the field now if readings came since the last update."""
        if not self._dirty:
            return
        self._last = time.monotonic()
        try:
            res = self.update()
        except (ValueError, OSError) as exc:
            self._say(f"field update failed: {exc}")
            return
        self._dirty = False
        label = " (simulated)" if res.simulated else ""
        self._say(f"field updated{label}: {len(res.hours)} hours in {res.seconds:.1f} s")
