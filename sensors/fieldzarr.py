"""
The comfort field as a Zarr store, written chunk by chunk by Dask workers (docs/FIELD.md, "On
Dask and Zarr"), for fields too large for one process (a city: 100,000+ edges × 8,760 hours).

Layout: ``<cache_dir>/field/<year>.zarr`` (:func:`zarr_path`, beside the NetCDF
``<year>.nc``), Zarr format 2 with consolidated metadata (``.zmetadata``; format 3 has no
consolidated metadata in its specification yet), the same variables, coordinates and attributes
as the NetCDF field (:func:`comfort.field.build_field`), chunks of ``time_chunk`` hours (one
week) × ``edge_chunk`` edges, float32 compressed with Blosc zstd (level 2) + bit shuffle,
losslessly by default. ``keepbits`` (:func:`write_field_zarr`) keeps only that many float32 mantissa bits
(numcodecs ``BitRound``; relative error at most 2^-(keepbits+1), 12 bits: 0.004 °C at 30 °C)
so a city-size store compresses about twice as well; the store records it in its ``keepbits``
attribute (absent: lossless).

Atomic replacement: ``<year>.zarr`` is a symbolic link to a hidden version folder
``.<year>.zarr.<stamp>``. A build writes into ``.<year>.zarr.<stamp>.<host>.<pid>.tmp``, renames
it to its version name when every chunk is written, then swaps the link atomically (a new link
renamed over the old one) and removes the previous version. A build killed at any moment leaves
the previous field readable and its own temporary folder, which the next build removes (its
process is gone, or it is older than :data:`sensors.fieldstore.STALE_TMP_S`). A reader that
holds the previous version open lazily must reopen it after a rebuild.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from comfort.field import FieldModel
from comfort.field.chunked import (
    TargetPart,
    block_dataset,
    block_values,
    edge_ranges,
    sensor_side,
    target_part,
)

#: Edges per chunk (and per task): 168 h × 8,192 edges is 5.5 MB per float32 variable.
EDGE_CHUNK = 8192

#: Hours per chunk: one week.
TIME_CHUNK = 168


def zarr_path(cache_dir: str | Path, year: int) -> Path:
    """
    Where the Zarr field of ``year`` is stored: ``<cache_dir>/field/<year>.zarr``.

    Examples
    --------
    >>> zarr_path("/tmp/cache", 2022).as_posix()
    '/tmp/cache/field/2022.zarr'
    """
    return Path(cache_dir) / "field" / f"{int(year)}.zarr"


def is_zarr(path: str | Path) -> bool:
    """Whether ``path`` is (a link to) a Zarr field folder."""
    p = Path(path)
    return p.suffix == ".zarr" or (p.is_dir() and (p / ".zmetadata").is_file())


def _compressor() -> Any:
    import numcodecs

    return numcodecs.Blosc(cname="zstd", clevel=2, shuffle=numcodecs.Blosc.BITSHUFFLE)


def _filters(keepbits: int | None, dtype: np.dtype) -> list[Any]:
    """Zarr filters of a variable: mantissa rounding of floats when ``keepbits`` is set."""
    import numcodecs

    if keepbits is None or not np.issubdtype(dtype, np.floating):
        return []
    if not 1 <= keepbits <= 23:
        raise ValueError(
            f"keepbits must be between 1 and 23 (float32 mantissa bits); got {keepbits}. "
            "Pass None to store the field losslessly."
        )
    return [numcodecs.BitRound(keepbits=int(keepbits))]


def _template(
    model: FieldModel, time_chunk: int, edge_chunk: int, keepbits: int | None = None
) -> tuple[xr.Dataset, dict]:
    """The field Dataset with lazy (never computed) edge variables and computed place ones."""
    import dask.array as da

    from sensors.fieldstore import TIME_UNITS, _encode_attrs

    n_t, n_e, n_p = len(model.times), len(model.edges), len(model.places)
    side = sensor_side(model)
    places = block_dataset(side, target_part(model, n_e, n_e + n_p), 0, n_t)
    sample = block_dataset(side, target_part(model, 0, min(n_e, 1)), 0, min(n_t, 1))
    ds = model._dataset({}, model.times)
    enc: dict[str, dict[str, Any]] = {}
    for name, var in sample.data_vars.items():
        if "place" in var.dims:
            ds[name] = places[name]
            chunks = (max(1, min(time_chunk, n_t)), max(1, n_p))
        else:
            lazy = da.zeros((n_t, n_e), chunks=(time_chunk, edge_chunk), dtype=var.dtype)
            ds[name] = xr.Variable(("time", "edge"), lazy, var.attrs)
            chunks = (time_chunk, edge_chunk)
        entry: dict[str, Any] = {"chunks": chunks, "compressors": [_compressor()]}
        filters = _filters(keepbits, var.dtype)
        if filters:
            entry["filters"] = filters
        if np.issubdtype(var.dtype, np.integer):
            entry["_FillValue"] = None
        enc[str(name)] = entry
    enc["time"] = {"units": TIME_UNITS, "calendar": "proleptic_gregorian", "dtype": "int64"}
    if keepbits is not None:
        ds.attrs["keepbits"] = int(keepbits)
    return _encode_attrs(ds), enc


def _write_block(side: FieldModel, part: TargetPart, path: str, t0: int, t1: int) -> int:
    """Compute one block (hours ``t0:t1`` × the part's edges) and write it into the store."""
    import zarr

    values = block_values(side, part, t0, t1)
    group = zarr.open_group(path, mode="r+", zarr_format=2)
    for name, arr in values.items():
        array = group[name]
        assert isinstance(array, zarr.Array)
        array[t0:t1, part.start : part.stop] = arr
    return (t1 - t0) * (part.stop - part.start)


def _stamp() -> str:
    return f"{time.time_ns():x}"


def _tmp_dir(path: Path) -> Path:
    host = socket.gethostname().replace(".", "-")
    return path.parent / f".{path.name}.{_stamp()}.{host}.{os.getpid()}.tmp"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(path: str | Path, max_age_s: float | None = None) -> list[Path]:
    """
    Remove what killed or superseded builds of ``path`` left: temporary folders whose process
    (on this host) is gone or that are older than ``max_age_s``, and versions the link does not
    point to.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    from sensors.fieldstore import STALE_TMP_S

    path = Path(path)
    max_age_s = STALE_TMP_S if max_age_s is None else max_age_s
    current = os.readlink(path) if path.is_symlink() else None
    host = socket.gethostname().replace(".", "-")
    removed = []
    for p in path.parent.glob(f".{path.name}.*"):
        name = p.name
        if name.endswith(".tmp"):
            parts = name[: -len(".tmp")].rsplit(".", 2)
            dead = len(parts) == 3 and parts[1] == host and parts[2].isdigit()
            dead = dead and not _alive(int(parts[2]))
            try:
                old = time.time() - p.lstat().st_mtime > max_age_s
            except FileNotFoundError:
                continue
            if not (dead or old):
                continue
        elif name == current:
            continue
        if p.is_symlink() or p.is_file():
            p.unlink(missing_ok=True)
        else:
            shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _publish(tmp: Path, path: Path) -> None:
    """Rename the finished folder to its version name and swap the link to it atomically."""
    version = path.parent / tmp.name[: -len(".tmp")].rsplit(".", 2)[0]
    os.replace(tmp, version)
    if path.exists() and not path.is_symlink():  # a plain folder (copied in by hand)
        os.replace(path, path.parent / f".{path.name}.{_stamp()}")
    link = path.parent / f".{path.name}.link.{os.getpid()}.tmp"
    link.unlink(missing_ok=True)
    os.symlink(version.name, link)
    os.replace(link, path)


def write_field_zarr(
    model: FieldModel,
    path: str | Path,
    client: Any = None,
    time_chunk: int = TIME_CHUNK,
    edge_chunk: int = EDGE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    keepbits: int | None = None,
) -> Path:
    """
    Evaluate a fitted field on every edge and hour with Dask and write it to Zarr atomically.

    The model's sensor side (:func:`comfort.field.chunked.sensor_side`) is sent once to every
    worker; each task computes one chunk (``time_chunk`` hours × ``edge_chunk`` edges) with
    :meth:`comfort.field.FieldModel.predict` and writes it into the store, so no process holds
    more than a few chunks. Places (few) are computed here.

    Parameters
    ----------
    model
        The fitted field (:func:`comfort.field.fit_field`).
    path
        The store, e.g. :func:`zarr_path`; its folder is created.
    client
        A :class:`distributed.Client` (:func:`sensors.dask_.dask_client`); None runs the tasks
        with Dask's threaded scheduler in this process.
    time_chunk, edge_chunk
        Chunk size in hours and in edges.
    progress
        Called with ``(chunks done, chunks)`` as chunks finish.
    keepbits
        None (default): lossless float32. Otherwise the float32 mantissa bits kept (1..23;
        relative error at most 2^-(keepbits+1)): e.g. 12 for a city, about half the size.
        The category codes are always exact.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import dask

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    n_t = len(model.times)
    time_chunk = max(1, min(time_chunk, n_t))
    edge_chunk = max(1, min(edge_chunk, max(len(model.edges), 1)))
    tmp = _tmp_dir(path)
    try:
        template, enc = _template(model, time_chunk, edge_chunk, keepbits)
        template.to_zarr(tmp, mode="w", compute=False, consolidated=True, zarr_format=2,
                         encoding=enc)  # fmt: skip
        side = sensor_side(model)
        ranges = edge_ranges(len(model.edges), edge_chunk)
        hours = [(t0, min(t0 + time_chunk, n_t)) for t0 in range(0, n_t, time_chunk)]
        total = len(ranges) * len(hours)
        if client is None:
            side_d = dask.delayed(side, pure=True)
            tasks = []
            for e0, e1 in ranges:
                part_d = dask.delayed(target_part(model, e0, e1), pure=True)
                tasks += [
                    dask.delayed(_write_block, pure=False)(side_d, part_d, str(tmp), t0, t1)
                    for t0, t1 in hours
                ]
            dask.compute(*tasks, scheduler="threads")
            if progress:
                progress(total, total)
        else:
            _run_distributed(client, model, side, ranges, hours, tmp, progress)
        _publish(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    remove_stale(path)
    return path


def _run_distributed(
    client: Any,
    model: FieldModel,
    side: FieldModel,
    ranges: list[tuple[int, int]],
    hours: list[tuple[int, int]],
    tmp: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    from distributed import as_completed

    side_f = client.scatter(side, broadcast=True)
    futures = []
    for e0, e1 in ranges:
        part_f = client.scatter(target_part(model, e0, e1))
        futures += [
            client.submit(_write_block, side_f, part_f, str(tmp), t0, t1, pure=False)
            for t0, t1 in hours
        ]
    done = 0
    for fut in as_completed(futures):
        fut.result()
        done += 1
        if progress:
            progress(done, len(futures))


def open_zarr_field(path: str | Path, chunks: dict[str, int] | str | None = None) -> xr.Dataset:
    """
    Open a Zarr field lazily (``chunks={}``: the stored chunks) or into memory (None).

    The place coordinate comes back as object strings, as from NetCDF.
    """
    lazy: Any = chunks if chunks is not None else {}
    ds = xr.open_zarr(Path(path), consolidated=True, chunks=lazy)
    ds = ds.assign_coords(place=ds["place"].to_numpy().astype(object))
    if chunks is None:
        ds = ds.load()
    return ds
