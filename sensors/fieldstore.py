"""
Saving and loading the comfort field (:mod:`comfort.field`) as NetCDF under the cache folder.

One file per year, ``<cache_dir>/field/<year>.nc`` (:func:`field_path`). The file is written
atomically: into a temporary file beside the target, renamed over it only when complete, so a
reader never sees half a field and an interrupted build leaves the previous field in place.

Layout (NetCDF-4, CF-style attributes): dims ``time`` (unlimited), ``edge`` (segment ids) and
``place`` (place ids); data variables float32 (``utci_category`` int8, ``-1`` where UTCI is
undefined), zlib-compressed and chunked ``(one week of time steps, all targets)`` so that
``xarray.open_dataset(path, chunks={})`` (or :func:`load_field`) gives a dask-backed Dataset
that processes a year of hourly or 10-minute data lazily, one week at a time. ``time`` is
naive Asia/Tokyo local time (attribute ``time_zone``). Boolean global attributes (``simulated``)
are stored as the text ``"true"``/``"false"`` (NetCDF has no boolean) and turned back into
``bool`` by :func:`load_field`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import netCDF4
import numpy as np
import pandas as pd
import xarray as xr

from sensors.errors import FieldFormatError, FieldNotFoundError

#: Reference of the stored time axis (minutes since, naive Asia/Tokyo).
TIME_UNITS = "minutes since 2000-01-01 00:00:00"
_TIME_REF = pd.Timestamp("2000-01-01")

#: Dimensions and variables every field file must have.
REQUIRED_DIMS = ("time", "edge", "place")
REQUIRED_VARS = ("air_temp_c", "mrt_c", "wind_speed_m_s", "rel_humidity_pct", "utci_c", "comfort")


def field_path(cache_dir: str | Path, year: int) -> Path:
    """
    Where the field of ``year`` is stored: ``<cache_dir>/field/<year>.nc``.

    Examples
    --------
    >>> field_path("/tmp/cache", 2022).as_posix()
    '/tmp/cache/field/2022.nc'
    """
    return Path(cache_dir) / "field" / f"{int(year)}.nc"


def week_of_steps(times: Any) -> int:
    """
    Number of time steps in one week for the (regular) time axis given; at least 1.

    Examples
    --------
    >>> week_of_steps(pd.date_range("2022-01-01", periods=3, freq="h"))
    168
    >>> week_of_steps(pd.date_range("2022-01-01", periods=3, freq="10min"))
    1008
    """
    idx = pd.DatetimeIndex(times)
    if len(idx) < 2:
        return 1
    step_s = pd.Timedelta(np.median(np.diff(idx.to_numpy()))).total_seconds()
    return max(1, round(7 * 24 * 3600 / step_s)) if step_s > 0 else 1


def encoding(ds: xr.Dataset, time_chunk: int | None = None, complevel: int = 1) -> dict:
    """
    NetCDF encoding of a field Dataset: float32 + zlib, chunks of one week × all targets.

    Parameters
    ----------
    ds
        The field.
    time_chunk
        Time steps per chunk (default: one week, :func:`week_of_steps`).
    complevel
        zlib level (1 is fast and already halves the size).
    """
    tc = time_chunk or week_of_steps(ds["time"].to_numpy())
    enc: dict[str, dict[str, Any]] = {}
    for name, var in ds.data_vars.items():
        chunks = tuple(
            max(1, min(tc if d == "time" else ds.sizes[d], ds.sizes[d] or 1)) for d in var.dims
        )
        entry: dict[str, Any] = {"zlib": True, "complevel": complevel, "shuffle": True}
        if all(ds.sizes[d] > 0 for d in var.dims if d != "time"):
            entry["chunksizes"] = chunks
        if np.issubdtype(var.dtype, np.integer):
            entry["dtype"] = "int8"
            entry["_FillValue"] = None
        else:
            entry["dtype"] = "float32"
        enc[str(name)] = entry
    enc["time"] = {"units": TIME_UNITS, "calendar": "proleptic_gregorian", "dtype": "int64"}
    for name in ds.coords:
        if name != "time" and str(name) not in enc:
            enc[str(name)] = {"_FillValue": None}
    return enc


def _encode_attrs(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy(deep=False)
    out.attrs = {
        k: ("true" if v else "false") if isinstance(v, bool | np.bool_) else v
        for k, v in ds.attrs.items()
    }
    return out


def _decode_attrs(ds: xr.Dataset) -> xr.Dataset:
    for k, v in list(ds.attrs.items()):
        if isinstance(v, str) and v in ("true", "false") and k in ("simulated",):
            ds.attrs[k] = v == "true"
    return ds


def _tmp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    return Path(name)


#: A temporary file untouched for this long (s) is left over from a killed build.
STALE_TMP_S = 900.0


def remove_stale_temps(path: Path, max_age_s: float = STALE_TMP_S) -> list[Path]:
    """
    Delete temporary files of ``path`` left by killed builds (not modified for ``max_age_s``).

    A build in progress rewrites its temporary file continuously, so only abandoned ones are
    old; the finished file is never touched.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    now = time.time()
    removed = []
    for tmp in Path(path).parent.glob(f".{Path(path).name}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > max_age_s:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue
    return removed


def save_field(ds: xr.Dataset, path: str | Path, time_chunk: int | None = None) -> Path:
    """
    Write a field Dataset to NetCDF atomically (temporary file + rename).

    Parameters
    ----------
    ds
        The field (:func:`comfort.field.build_field`).
    path
        Target file (e.g. :func:`field_path`); its folder is created.
    time_chunk
        Time steps per chunk (default one week).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    tmp = _tmp_beside(path)
    try:
        _encode_attrs(ds).to_netcdf(
            tmp,
            format="NETCDF4",
            engine="netcdf4",
            encoding=encoding(ds, time_chunk),
            unlimited_dims=["time"],
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    remove_stale_temps(path)
    return path


class FieldWriter:
    """
    Write a field block by block (bounded memory), atomically.

    Use as a context manager; the file appears at ``path`` only when the ``with`` block ends
    without an exception.

    Examples
    --------
    >>> import tempfile
    >>> ds = xr.Dataset({"utci_c": (("time", "edge"), np.ones((2, 1), "float32"))},
    ...                 coords={"time": pd.date_range("2022-01-01", periods=2, freq="h"),
    ...                         "edge": [0], "place": np.array([], dtype=object)})
    >>> out = Path(tempfile.mkdtemp()) / "f.nc"
    >>> with FieldWriter(out) as w:
    ...     w.append(ds)
    ...     w.append(ds.assign_coords(time=ds.time + np.timedelta64(2, "h")))
    >>> xr.open_dataset(out).sizes["time"]
    4
    """

    def __init__(self, path: str | Path, time_chunk: int | None = None) -> None:
        self.path = Path(path)
        self.time_chunk = time_chunk
        self._tmp: Path | None = None
        self._steps = 0

    def __enter__(self) -> FieldWriter:
        self._tmp = _tmp_beside(self.path)
        return self

    def append(self, block: xr.Dataset) -> None:
        """Append the next block of time steps (same targets and variables as the first)."""
        if self._tmp is None:
            raise RuntimeError("FieldWriter.append is only valid inside its with-block")
        if self._steps == 0:
            tc = self.time_chunk or week_of_steps(block["time"].to_numpy())
            self.time_chunk = tc
            _encode_attrs(block).to_netcdf(
                self._tmp,
                format="NETCDF4",
                engine="netcdf4",
                encoding=encoding(block, tc),
                unlimited_dims=["time"],
            )
        else:
            with netCDF4.Dataset(self._tmp, "a") as nc:
                t0 = self._steps
                t1 = t0 + block.sizes["time"]
                minutes = (pd.DatetimeIndex(block["time"].to_numpy()) - _TIME_REF) // pd.Timedelta(
                    minutes=1
                )
                nc["time"][t0:t1] = np.asarray(minutes, dtype=np.int64)
                for name, var in block.data_vars.items():
                    if var.dims[0] != "time":
                        continue
                    target = nc[str(name)]
                    values = var.to_numpy()
                    target[t0:t1, ...] = (
                        values.astype(np.int8)
                        if np.issubdtype(values.dtype, np.integer)
                        else values.astype(np.float32)
                    )
        self._steps += block.sizes["time"]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tmp, self._tmp = self._tmp, None
        if tmp is None:
            return
        try:
            if exc_type is None and self._steps > 0:
                os.replace(tmp, self.path)
                remove_stale_temps(self.path)
        finally:
            tmp.unlink(missing_ok=True)


def write_blocks(blocks: Iterable[xr.Dataset], path: str | Path) -> Path:
    """Write an iterable of consecutive field blocks to ``path`` atomically."""
    with FieldWriter(path) as writer:
        for block in blocks:
            writer.append(block)
    return Path(path)


def load_field(path: str | Path, chunks: dict[str, int] | str | None = None) -> xr.Dataset:
    """
    Open a saved field; lazily with dask when ``chunks`` is given (``{}`` = the file's chunks).

    Parameters
    ----------
    path
        A file written by :func:`save_field` or :class:`FieldWriter`.
    chunks
        None to load into memory, ``{}`` for the on-disk chunks (one week × all targets),
        or a dict such as ``{"time": 744}``.

    Returns
    -------
    xarray.Dataset
        The field, ``attrs["simulated"]`` a bool.

    Raises
    ------
    FieldNotFoundError
        The file does not exist.
    FieldFormatError
        The file lacks the field's dimensions or variables.
    """
    from sensors import fieldzarr

    path = Path(path)
    zarr_store = fieldzarr.is_zarr(path)
    if not (path.is_dir() if zarr_store else path.is_file()):
        raise FieldNotFoundError(
            f"no comfort field at {path}. Build it first: `kaiteki comfort build --year "
            f"{path.stem}` (it reads the sensor readings of that year from the store)."
        )
    try:
        if zarr_store:
            ds = fieldzarr.open_zarr_field(path, chunks=chunks)
        else:
            ds = xr.open_dataset(path, engine="netcdf4", chunks=chunks)
    except (OSError, ValueError, KeyError) as exc:
        kind = "Zarr" if zarr_store else "NetCDF"
        raise FieldFormatError(
            f"{path} cannot be opened as {kind} ({exc}). Rebuild it with `kaiteki comfort build`."
        ) from exc
    if chunks is None and not zarr_store:
        ds = ds.load()
        ds.close()
    missing = [d for d in REQUIRED_DIMS if d not in ds.sizes] + [
        v for v in REQUIRED_VARS if v not in ds.data_vars
    ]
    if missing:
        ds.close()
        raise FieldFormatError(
            f"{path} is not a kaiteki comfort field: expected dims {list(REQUIRED_DIMS)} and "
            f"variables {list(REQUIRED_VARS)}, missing {missing}. Rebuild it with "
            "`kaiteki comfort build`."
        )
    return _decode_attrs(ds)


def built_path(cache_dir: str | Path, year: int) -> Path:
    """
    The field of ``year`` to read: the NetCDF file or the Zarr store (``kaiteki comfort build
    --engine dask``), whichever was written last when both exist; :func:`field_path` when
    neither does.
    """
    from sensors.fieldzarr import zarr_path

    found = [p for p in (field_path(cache_dir, year), zarr_path(cache_dir, year)) if p.exists()]
    if not found:
        return field_path(cache_dir, year)
    return max(found, key=lambda p: p.lstat().st_mtime)


def load_year(
    cache_dir: str | Path, year: int, chunks: dict[str, int] | str | None = None
) -> xr.Dataset:
    """The field of ``year`` from the cache folder, NetCDF or Zarr (:func:`built_path`)."""
    return load_field(built_path(cache_dir, year), chunks=chunks)


def available_years(cache_dir: str | Path) -> list[int]:
    """Years with a built field (NetCDF or Zarr) in the cache folder, ascending."""
    folder = Path(cache_dir) / "field"
    if not folder.is_dir():
        return []
    built = [*folder.glob("*.nc"), *(p for p in folder.glob("*.zarr") if p.exists())]
    return sorted({int(p.stem) for p in built if p.stem.isdigit()})
