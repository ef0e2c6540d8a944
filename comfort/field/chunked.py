"""
The comfort field over chunks of targets × hours, for out-of-core and distributed evaluation
(docs/FIELD.md, "On Dask and Zarr").

The fit (per-hour regressions, residuals, cross-validation, error model) is small: sensors ×
hours. Evaluating it on every target and hour is the heavy part, and it splits perfectly into
blocks of targets × hours. This module splits a fitted :class:`~comfort.field.FieldModel` into

- its **sensor side** (:func:`sensor_side`): everything that depends on sensors and hours only,
  computed once and broadcast to every worker;
- **target parts** (:func:`target_part`): the per-target arrays (design rows, inverse-distance
  weights, distance to the nearest sensor) of a contiguous range of targets;

and evaluates one block with :func:`block_values` / :func:`block_dataset`, which rebuild the
model restricted to the block's targets and call :meth:`FieldModel.predict` itself: the chunked
field runs the same code as the in-memory one and gives the same numbers.

Targets are numbered as in the model: edges first, then places.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from comfort.field.model import FieldModel
from comfort.field.regression import _Group

#: Attributes of a group whose first axis is the group's targets (None allowed).
_TARGET_ROWS = ("design_t", "weights", "nearest_m", "offsets")

#: Attributes of a group that map a variable to an array whose last axis is the targets.
_TARGET_COLUMNS = ("share",)


@dataclass(frozen=True)
class GroupPart:
    """
    The per-target arrays of one group (street / underground) for a range of targets.

    Attributes
    ----------
    target_idx
        Positions of the group's targets in the range (local to the range).
    rows
        The group's per-target arrays (:data:`_TARGET_ROWS`), sliced on their first axis.
    columns
        The group's per-variable arrays over targets (:data:`_TARGET_COLUMNS`), sliced on their
        last axis.
    """

    target_idx: npt.NDArray[np.intp]
    rows: dict[str, npt.NDArray[np.float64] | None]
    columns: dict[str, dict[str, npt.NDArray[np.float64]]]

    def apply(self, g: _Group) -> _Group:
        """The group ``g`` (of :func:`sensor_side`) with these targets put back."""
        fields: dict[str, Any] = {k: v for k, v in self.rows.items() if hasattr(g, k)}
        fields.update({k: v for k, v in self.columns.items() if hasattr(g, k)})
        return replace(g, target_idx=self.target_idx, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TargetPart:
    """
    Targets ``start:stop`` of a model (edges first, then places) with their per-target arrays.

    Attributes
    ----------
    start, stop
        The range, in the model's target numbering.
    edges, places
        The target rows of that range (:func:`comfort.field.edge_targets` columns).
    groups
        Per group, the arrays of its targets in the range (``target_idx`` local to the range).
    """

    start: int
    stop: int
    edges: pd.DataFrame
    places: pd.DataFrame
    groups: dict[str, GroupPart]


def _group_part(g: _Group, lo: int, hi: int, shift: int) -> GroupPart:
    """Targets ``lo:hi`` of the group's own numbering, ``target_idx`` shifted by ``-shift``."""
    rows: dict[str, npt.NDArray[np.float64] | None] = {}
    for name in _TARGET_ROWS:
        arr = getattr(g, name, None)
        rows[name] = None if arr is None else np.ascontiguousarray(arr[lo:hi])
    columns = {
        name: {var: np.ascontiguousarray(a[..., lo:hi]) for var, a in getattr(g, name).items()}
        for name in _TARGET_COLUMNS
        if hasattr(g, name)
    }
    return GroupPart((g.target_idx[lo:hi] - shift).astype(np.intp), rows, columns)


def sensor_side(model: FieldModel) -> FieldModel:
    """
    The model without its targets: regressions, residuals and error model only (sensors × hours).

    This is what every chunk needs in full; it is a few MB per variable for a year of hourly
    data and a few hundred sensors, whatever the number of targets. What only the fit reads
    (the sensors' readings, the per-sensor leave-one-out errors) is left out: it is not sent
    to every worker.
    """
    n_s = len(model.arrays.sensors)
    empty = np.empty((0, n_s))
    arrays = replace(model.arrays, values={k: empty for k in model.arrays.values}, utci_c=empty)
    return replace(
        model,
        arrays=arrays,
        edges=model.edges.iloc[:0],
        places=model.places.iloc[:0],
        groups={name: _group_part(g, 0, 0, 0).apply(g) for name, g in model.groups.items()},
        cv_errors={},
    )


def target_part(model: FieldModel, start: int, stop: int) -> TargetPart:
    """
    The targets ``start:stop`` of ``model`` (edges first, then places) and their arrays.

    Examples
    --------
    >>> from comfort.field.regression import _Group
    >>> g = _Group("street", np.arange(2), np.arange(3), np.ones((2, 1)), np.ones((3, 1)), [],
    ...            np.ones((3, 2)), 0.1, np.zeros(3))
    >>> m = FieldModel(None, None, pd.DataFrame({"id": [7, 8, 9]}), pd.DataFrame({"id": []}),
    ...                {"street": g}, pd.DataFrame(), {})
    >>> part = target_part(m, 1, 3)
    >>> part.edges["id"].tolist(), part.groups["street"].target_idx.tolist()
    ([8, 9], [0, 1])
    """
    n_edges = len(model.edges)
    stop = min(stop, n_edges + len(model.places))
    edges = model.edges.iloc[min(start, n_edges) : min(stop, n_edges)]
    places = model.places.iloc[max(start - n_edges, 0) : max(stop - n_edges, 0)]
    groups: dict[str, GroupPart] = {}
    for name, g in model.groups.items():
        lo, hi = (int(i) for i in np.searchsorted(g.target_idx, [start, stop]))
        groups[name] = _group_part(g, lo, hi, start)
    return TargetPart(
        start, stop, edges.reset_index(drop=True), places.reset_index(drop=True), groups
    )


def restricted(sensors: FieldModel, part: TargetPart) -> FieldModel:
    """The model of :func:`sensor_side` with the targets of ``part`` put back."""
    groups = {name: part.groups[name].apply(g) for name, g in sensors.groups.items()}
    return replace(sensors, edges=part.edges, places=part.places, groups=groups)


def block_values(
    sensors: FieldModel, part: TargetPart, t0: int, t1: int
) -> dict[str, npt.NDArray[Any]]:
    """
    Field values of hours ``t0:t1`` at the targets of ``part``: :meth:`FieldModel.predict`.

    Returns
    -------
    dict of numpy.ndarray
        ``(hours, targets of the part)`` arrays, as :meth:`FieldModel.predict`.
    """
    return restricted(sensors, part).predict(t0, t1)


def block_dataset(sensors: FieldModel, part: TargetPart, t0: int, t1: int) -> xr.Dataset:
    """The block ``t0:t1`` × ``part`` as a field Dataset (the layout of :func:`build_field`)."""
    return restricted(sensors, part).block(t0, t1)


def edge_ranges(n_edges: int, edge_chunk: int) -> list[tuple[int, int]]:
    """
    Consecutive ``(start, stop)`` ranges of at most ``edge_chunk`` edges covering ``n_edges``.

    Examples
    --------
    >>> edge_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if edge_chunk < 1:
        raise ValueError(f"edge_chunk must be >= 1; got {edge_chunk}. Pass a positive size.")
    return [(s, min(s + edge_chunk, n_edges)) for s in range(0, n_edges, edge_chunk)]
