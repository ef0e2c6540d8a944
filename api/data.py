"""
Cached inputs of the web app beyond the area model (``api.resources``): the compiled routing
graph, the comfort field of a year, weather, courses, places.

Everything here is loaded once per process and kept (``functools.lru_cache``); call
:func:`clear` after rebuilding inputs or changing settings (tests do). What comes from the store
(which other processes change) is kept for a short time only (:func:`ttl_cached`).

Performance: what has been loaded is moved out of reach of Python's cyclic garbage collector
(``gc.freeze``) each time new routing weights are computed. The loaded graph and tables hold a
few hundred thousand container objects; without this, every full collection walks them all
(about 150 ms on the demo data) and stalls whichever request triggered it. Frozen objects are
still freed by reference counting; :func:`clear` unfreezes them.

Thread safety: FastAPI runs plain ``def`` routes on a thread pool, and HDF5 (under netCDF4) is
not thread-safe, so two first requests opening or reading a comfort field at the same moment
failed with ``RuntimeError: NetCDF: HDF error``. Every cached loader that touches a field runs
one at a time (:func:`_one_at_a_time`); cache hits do not take the lock.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from api import resources
from api.errors import BadRequestError, NotFoundError, NotPreparedError
from api.settings import get_settings
from comfort import conditions as cond_engine
from comfort import routing
from comfort.conditions import CATEGORY_KEYS, Conditions, comfort_and_labels
from comfort.constants import DAILY_WEATHER_FILE, TZ
from sensors.conditions import StoredFields, daily_weather_table
from sensors.conditions import is_simulated as is_simulated
from sensors.courses import Course, load_courses

__all__ = ["CATEGORY_KEYS", "TZ", "comfort_and_labels"]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_LOAD_LOCK = threading.RLock()


def _one_at_a_time(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """
    Run ``fn`` under the module's load lock (re-entrant). Put it under ``lru_cache`` so that
    only cache misses take the lock.
    """

    @wraps(fn)
    def locked(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with _LOAD_LOCK:
            return fn(*args, **kwargs)

    return locked


@lru_cache(maxsize=1)
def compiled() -> routing.CompiledGraph:
    """The walking graph compiled for routing."""
    return routing.compile_graph(resources.graph())


@lru_cache(maxsize=1)
def segments_lonlat() -> Any:
    """The segment table in lon/lat (EPSG:4326), coordinates rounded to 1e-6° (about 0.1 m)."""
    import shapely

    seg = resources.segments().to_crs("EPSG:4326")
    seg["geometry"] = shapely.set_precision(seg.geometry.values, 1e-6)
    return seg


@lru_cache(maxsize=1)
def blocks_layer() -> Any:
    """
    The census blocks as a ready base layer (``maps.area.BlocksLayer``: lon/lat GeoJSON,
    coordinates rounded to 1e-6°), built once instead of on every map page.
    """
    from maps.area import blocks_layer as build

    return build(resources.blocks())


@lru_cache(maxsize=1)
def mesh_stay() -> pd.DataFrame:
    """The real MLIT 1 km mesh stay population of the planning area (one row per mesh value)."""
    from sensors.mlit import read_mesh_stay

    stay, _ = read_mesh_stay(
        get_settings().data_file("mlit_peopleflow_1km_sapporo_downtown.geojson")
    )
    return stay


@lru_cache(maxsize=1)
def mesh_months() -> tuple[str, ...]:
    """The months (``YYYY-MM``) of :func:`mesh_stay`, sorted."""
    return tuple(sorted({str(m)[:7] for m in mesh_stay()["month"]}))


@lru_cache(maxsize=1)
def chikaho_daily() -> pd.DataFrame:
    """The real Chi-Ka-Ho daily counts J1..J5 (mean people per 15 min), by date."""
    from sensors.chikaho import read_chikaho_daily

    return read_chikaho_daily(get_settings().data_file(DAILY_WEATHER_FILE))


@lru_cache(maxsize=2)
@_one_at_a_time
def chikaho_chart(lang: str) -> str:
    """
    SVG line chart of the Chi-Ka-Ho counters J1–J5 (monthly means of the real daily data) in
    ``lang``. Drawn once per language (matplotlib is slow and not thread-safe).
    """
    from api.i18n import translator
    from maps.charts import line_chart

    daily = chikaho_daily()
    monthly = daily[[f"J{i}" for i in range(1, 6)]].resample("MS").mean()
    return line_chart(
        [f"{d:%Y-%m}" for d in monthly.index],
        {c: monthly[c].round(0).tolist() for c in monthly.columns},
        title=translator(lang)("chikaho_daily") + " (J1–J5, real)",
        ylabel="count / 15 min (monthly mean)",
    )


#: Values of :func:`ttl_cached` functions: key -> (monotonic time stored, value).
_TTL_VALUES: dict[tuple[Any, ...], tuple[float, Any]] = {}
_TTL_LOCK = threading.Lock()


def ttl_cached(seconds: float) -> Callable[[Callable[_P, _T]], Callable[_P, _T]]:
    """
    Keep a function's result per arguments (hashable) for ``seconds`` in this process; errors
    are not kept. For what other processes change (the store): each worker reads it at most
    once per ``seconds``. :func:`clear` forgets every value.
    """

    def wrap(fn: Callable[_P, _T]) -> Callable[_P, _T]:
        @wraps(fn)
        def cached(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            key = (fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
            now = time.monotonic()
            with _TTL_LOCK:
                hit = _TTL_VALUES.get(key)
            if hit is not None and now - hit[0] < seconds:
                return hit[1]  # type: ignore[no-any-return]
            value = fn(*args, **kwargs)
            with _TTL_LOCK:
                _TTL_VALUES[key] = (time.monotonic(), value)
            return value

        return cached

    return wrap


def clear_ttl_cache() -> None:
    """Forget every :func:`ttl_cached` value (the next call reads again)."""
    with _TTL_LOCK:
        _TTL_VALUES.clear()


@lru_cache(maxsize=1)
def courses() -> tuple[Course, ...]:
    """The walking courses (embedded ``sensors/data/courses.json``)."""
    return tuple(load_courses())


def course(course_id: str) -> Course:
    """
    One course by id.

    Raises
    ------
    NotFoundError
        No course has this id.
    """
    for c in courses():
        if c.course_id == course_id:
            return c
    ids = ", ".join(c.course_id for c in courses())
    raise NotFoundError(f"no walking course {course_id!r}; known courses: {ids}")


def field_file(year: int) -> Path:
    """Where the comfort field of ``year`` is saved (``kaiteki comfort build --year``)."""
    from sensors import fieldstore

    return Path(fieldstore.field_path(get_settings().cache_dir, year))


@lru_cache(maxsize=4)
@_one_at_a_time
def field(year: int) -> xr.Dataset:
    """
    The comfort field of ``year``, opened lazily (dask, on-disk chunks): only what is asked
    for is read.

    Raises
    ------
    NotPreparedError
        The field has not been built.
    """
    from sensors import fieldstore

    path = field_file(year)
    if not path.exists():
        raise NotPreparedError(
            f"no comfort field for {year} at {path}; build it with `kaiteki comfort build "
            f"--year {year}` (or `make prepare`)"
        )
    return fieldstore.load_field(path, chunks={})


def has_field(year: int) -> bool:
    """Whether the comfort field of ``year`` has been built."""
    return field_file(year).exists()


def any_simulated(years: Iterable[int]) -> bool:
    """Whether any built field among ``years`` was computed from simulated readings."""
    return any(is_simulated(field(y)) for y in years if has_field(y))


def local_naive(at: dt.datetime) -> dt.datetime:
    """A datetime as naive Asia/Tokyo time (the field's time axis); naive input is JST."""
    if at.tzinfo is not None:
        at = at.astimezone(TZ).replace(tzinfo=None)
    return at


def same_time_in(year: int, at: dt.datetime | None = None) -> dt.datetime:
    """
    The same date and hour as ``at`` (default now, JST) in ``year`` (29 Feb becomes 28 Feb).

    Examples
    --------
    >>> same_time_in(2022, dt.datetime(2024, 2, 29, 14, 35))
    datetime.datetime(2022, 2, 28, 14, 0)
    """
    now = local_naive(at or dt.datetime.now(TZ))
    day = min(now.day, 28) if now.month == 2 else now.day
    return dt.datetime(year, now.month, day, now.hour)


def hour_index(ds: xr.Dataset, at: dt.datetime) -> int:
    """
    Index of the field hour holding ``at``.

    Raises
    ------
    BadRequestError
        ``at`` lies outside the field's period.
    """
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    t = pd.Timestamp(local_naive(at)).floor("h")
    pos = int(times.searchsorted(t))
    if pos >= len(times) or times[pos] != t:
        raise BadRequestError(
            f"time {t:%Y-%m-%d %H:%M} JST is outside the comfort field "
            f"({times[0]:%Y-%m-%d %H:%M} .. {times[-1]:%Y-%m-%d %H:%M}); pick a time in that period"
        )
    return pos


def covers(ds: xr.Dataset, at: dt.datetime) -> bool:
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    t = pd.Timestamp(local_naive(at)).floor("h")
    pos = int(times.searchsorted(t))
    return pos < len(times) and times[pos] == t


class _AppFields(StoredFields):
    """The app's comfort fields: opened by :func:`field`, hours kept by :func:`_edge_hour`."""

    def hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        return _edge_hour(year, position)


@lru_cache(maxsize=1)
def stored_fields() -> StoredFields:
    """The comfort fields of the cache folder, as the conditions engine reads them."""
    return _AppFields(get_settings().cache_dir, open_field=field, lock=_LOAD_LOCK)


@lru_cache(maxsize=512)
@_one_at_a_time
def _edge_hour(year: int, pos: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    return StoredFields.hour(stored_fields(), year, pos)


def edge_utci(year: int, at: dt.datetime) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Segment ids and their UTCI (°C) at the field hour holding ``at``."""
    return _edge_hour(year, hour_index(field(year), at))


@lru_cache(maxsize=8)
@_one_at_a_time
def season_hour(year: int) -> xr.Dataset:
    """Mean edge UTCI (°C) and comfort by season × hour of day: dims (season, hour, edge)."""
    from comfort.field import by_season_hour, edge_field

    ds = edge_field(field(year))
    return by_season_hour(ds[["utci_c", "comfort"]]).compute()


@lru_cache(maxsize=8)
@_one_at_a_time
def place_season(year: int) -> xr.Dataset:
    """Mean place UTCI (°C) and comfort by season, daytime 10–18 h: dims (season, place)."""
    from comfort.field import by_season, place_field

    return by_season(place_field(field(year))[["utci_c", "comfort"]]).compute()


@lru_cache(maxsize=1)
def daily_weather() -> pd.DataFrame:
    """The real Sapporo daily weather by naive date (``sensors.conditions.daily_weather_table``)."""
    return daily_weather_table(get_settings().data_file(DAILY_WEATHER_FILE))


@lru_cache(maxsize=1024)
@_one_at_a_time
def _conditions(at: dt.datetime | None) -> Conditions:
    return cond_engine.resolve_conditions(at, compiled(), stored_fields(), daily_weather())


def conditions(at: dt.datetime | None) -> Conditions:
    """
    The conditions at ``at`` (JST when naive; kept per minute): the one engine of the CLI, the
    API and the pages (:func:`comfort.conditions.resolve_conditions`).
    """
    return _conditions(None if at is None else local_naive(at).replace(second=0, microsecond=0))


@lru_cache(maxsize=96)
@_one_at_a_time
def season_conditions(year: int, season: str, hour: int) -> Conditions:
    """
    The conditions of the season × hour mean of the field of ``year``
    (:func:`comfort.conditions.season_conditions`).
    """
    built = has_field(year)
    return cond_engine.season_conditions(
        year,
        season,
        hour,
        compiled(),
        daily_weather(),
        has_field=built,
        simulated=built and is_simulated(field(year)),
    )


#: Keys of :func:`_route_weights` computed in this process (bounded: reset past the limit).
_WEIGHTS_SEEN: set[tuple[str, dt.datetime | None, float]] = set()
_WEIGHTS_SEEN_LIMIT = 4096


def _weights_key(
    mode: str, at: dt.datetime | None, alpha: float
) -> tuple[str, dt.datetime | None, float]:
    return (
        mode,
        None if at is None else local_naive(at).replace(second=0, microsecond=0),
        float(alpha),
    )


def route_weights(
    mode: str, at: dt.datetime | None, alpha: float = routing.DEFAULT_ALPHA
) -> tuple[routing.EdgeWeights, dict[str, Any]]:
    """
    Routing weights for a mode at a time (cached per mode, minute and α; see
    :func:`_route_weights`).
    """
    weights, _, note = _cached_weights(_weights_key(mode, at, alpha))
    return weights, dict(note)


def route_weights_pair(
    mode: str, at: dt.datetime | None, alpha: float = routing.DEFAULT_ALPHA
) -> tuple[routing.EdgeWeights, routing.EdgeWeights, dict[str, Any]]:
    """
    Like :func:`route_weights`, with the ``shortest``-mode weights of the comparison route
    (:func:`comfort.routing.shortest_weights_like`), cached with them.
    """
    weights, shortest, note = _cached_weights(_weights_key(mode, at, alpha))
    return weights, shortest, dict(note)


def _cached_weights(
    key: tuple[str, dt.datetime | None, float],
) -> tuple[routing.EdgeWeights, routing.EdgeWeights, dict[str, Any]]:
    result = _route_weights(*key)
    if key not in _WEIGHTS_SEEN:  # marked only once the LRU cache holds the result
        if len(_WEIGHTS_SEEN) >= _WEIGHTS_SEEN_LIMIT:
            _WEIGHTS_SEEN.clear()
        _WEIGHTS_SEEN.add(key)
    return result


def route_weights_ready(mode: str, at: dt.datetime | None, alpha: float) -> bool:
    """
    Whether :func:`route_weights` has already computed these weights in this process, so that
    a call costs microseconds (the route endpoint then answers on the event loop instead of a
    worker thread). A key evicted since still counts: the next call recomputes it, correctly.
    """
    return _weights_key(mode, at, alpha) in _WEIGHTS_SEEN


@lru_cache(maxsize=128)
@_one_at_a_time
def _route_weights(
    mode: str, at: dt.datetime | None, alpha: float
) -> tuple[routing.EdgeWeights, routing.EdgeWeights, dict[str, Any]]:
    """
    Routing weights for a mode at a time, from the conditions at that time
    (:func:`conditions`, :func:`comfort.conditions.route_weights`).

    Returns
    -------
    (EdgeWeights, EdgeWeights, dict)
        The weights, the ``shortest``-mode weights of the comparison route at the same time,
        and the conditions used (:meth:`comfort.conditions.Conditions.to_dict`).
    """
    if mode not in routing.MODES:
        raise BadRequestError(f"mode must be one of {', '.join(routing.MODES)}; got {mode!r}")
    cg = compiled()
    cond = conditions(at)
    weights = cond_engine.route_weights(cg, cond, mode, alpha)
    shortest = routing.shortest_weights_like(cg, weights)
    # Everything loaded so far (graph, field, tables) is long-lived: keep the cyclic GC off it
    # (see the module docstring). Young garbage is collected first so that it is not frozen.
    gc.collect(1)
    gc.freeze()
    return weights, shortest, cond.to_dict()


def course_route(c: Course, weights: routing.EdgeWeights) -> dict[str, Any]:
    """
    A course routed on the graph through its waypoints, leg by leg, with its figures.

    Returns
    -------
    dict
        ``length_m``, ``minutes``, ``steps``, ``energy_kcal``, ``underground_share``,
        ``walkways``, ``utci_minutes`` (None without a field), ``geometry`` (GeoJSON
        LineString, lon/lat) and, per directed edge walked in order, ``segment_ids`` (the
        segments of the comfort field) and ``edge_length_m`` (numpy arrays, not JSON).
    """
    from sensors.courses import energy_kcal, steps_for

    cg = compiled()
    nodes = [cg.snap(w.lon, w.lat, level=0)[0] for w in c.waypoints]
    legs = [
        routing.find_route(cg, weights, a, b, category_order=CATEGORY_KEYS).route
        for a, b in itertools.pairwise(nodes)
    ]
    length = sum(leg.length_m for leg in legs)
    minutes = sum(leg.minutes for leg in legs)
    indoor = sum(leg.length_m * leg.underground_share for leg in legs)
    coords: list[list[float]] = []
    for leg in legs:
        part = leg.geometry()["coordinates"]
        coords.extend(part if not coords else part[1:])
    utci: dict[str, float] | None = None
    if all(leg.utci_minutes is not None for leg in legs):
        utci = {}
        for leg in legs:
            for k, v in (leg.utci_minutes or {}).items():
                utci[k] = round(utci.get(k, 0.0) + v, 2)
    edges = np.concatenate(
        [np.asarray(leg.edges, dtype=np.int64) for leg in legs] or [np.empty(0, dtype=np.int64)]
    )
    walkways: list[str] = []
    for leg in legs:
        for w in leg.walkways:
            if not walkways or walkways[-1] != w:
                walkways.append(w)
    return {
        "length_m": round(length, 1),
        "minutes": round(minutes, 1),
        "steps": steps_for(length),
        "energy_kcal": energy_kcal(minutes),
        "underground_share": round(indoor / length, 3) if length else 0.0,
        "walkways": walkways,
        "utci_minutes": utci,
        "geometry": {"type": "LineString", "coordinates": coords},
        "segment_ids": np.asarray(cg.segment_id[edges], dtype=np.int64),
        "edge_length_m": np.asarray(cg.length_m[edges], dtype=np.float64),
    }


def clear() -> None:
    """Forget every cached input (after a rebuild, or when tests change the settings)."""
    for fn in (
        _route_weights,
        compiled,
        segments_lonlat,
        blocks_layer,
        mesh_stay,
        mesh_months,
        chikaho_daily,
        chikaho_chart,
        courses,
        walkability,
        places,
        places_kpi,
        scenario_results,
        field,
        _edge_hour,
        stored_fields,
        _conditions,
        season_conditions,
        daily_weather,
        season_hour,
        place_season,
    ):
        fn.cache_clear()
    _WEIGHTS_SEEN.clear()
    clear_ttl_cache()
    resources.clear()
    gc.unfreeze()  # what the caches held can now be collected


@lru_cache(maxsize=1)
def walkability() -> dict[str, Any]:
    """Walkability tables (nodes, edges, blocks, grid) in lon/lat, computed once per process."""
    from comfort.walkability import walkability_tables
    from sensors.destinations import load_destinations

    dest = load_destinations().to_crs(compiled().crs)
    dest["x"], dest["y"] = dest.geometry.x, dest.geometry.y
    tables = walkability_tables(compiled(), dest, resources.blocks())
    return {name: t.to_crs("EPSG:4326") for name, t in tables.items()}


@lru_cache(maxsize=1)
def places() -> Any:
    """The places layer (EPSG:4326), embedded default of ``sensors.places``."""
    from sensors.places import load_places

    return load_places()


def place_utci(years: tuple[int, ...]) -> xr.DataArray | None:
    """Hourly place UTCI (°C), dims (time, place), of the years whose field has places."""
    from comfort.field import place_field

    parts = []
    for y in years:
        if has_field(y):
            pf = place_field(field(y))
            if "utci_c" in pf and pf.sizes.get("place", 0) > 0:
                parts.append(pf["utci_c"])
    if not parts:
        return None
    return xr.concat(parts, dim="time").compute()


@lru_cache(maxsize=4)
@_one_at_a_time
def places_kpi(baseline_year: int, current_year: int) -> tuple[Any, Any] | None:
    """Per-place comfort status and the comfortable-places KPI table, or None without fields."""
    from comfort.kpi import comfortable_places_kpi

    if not has_field(baseline_year):
        return None  # the KPI is relative to the named baseline year: nothing without it
    utci = place_utci(tuple(sorted({baseline_year, current_year})))
    if utci is None:
        return None
    return comfortable_places_kpi(utci, places(), baseline_year)


@lru_cache(maxsize=4)
@_one_at_a_time
def scenario_results(year: int, baseline_year: int) -> list[dict[str, Any]]:
    """
    Comfortable places of ``year`` if each intervention were added at every place where it
    applies (places are independent in the KPI, so this is also the gain of adding it at each
    place on its own): ``intervention``, ``comfortable_now``, ``comfortable_with``,
    ``places_gained`` (ids). Empty without a field with places.
    """
    from comfort import scenarios
    from comfort.field import place_field
    from comfort.kpi import comfortable_places_kpi

    if not has_field(year):
        return []
    pf = place_field(field(year))
    if pf.sizes.get("place", 0) == 0:
        return []
    cols = list(scenarios.CONDITION_COLUMNS)
    pf = pf[[*cols, "utci_c"]].compute()
    times = pd.DatetimeIndex(pf["time"].to_numpy())
    ids = [str(p) for p in pf["place"].to_numpy()]
    base_utci = pd.DataFrame(pf["utci_c"].to_numpy(), index=times, columns=ids)
    # only the per-place status of ``year`` is needed: it serves as its own reference here
    status, _ = comfortable_places_kpi(base_utci, places(), year)
    now = status[(status["period"] == "year") & (status["year"] == year)]
    now_ok = set(now.loc[now["comfortable"], "place_id"])
    out = []
    wind_height_m = float(field(year).attrs.get("wind_reference_height_m", 1.5))
    for key in scenarios.INTERVENTIONS:
        changed = {}
        for pid in ids:
            cond = pd.DataFrame({c: pf[c].sel(place=pid).to_numpy() for c in cols}, index=times)
            after = scenarios.apply_scenario(cond, key, wind_height_m=wind_height_m)
            changed[pid] = after["utci_c"].to_numpy()
        st, _ = comfortable_places_kpi(pd.DataFrame(changed, index=times), places(), year)
        st = st[(st["period"] == "year") & (st["year"] == year)]
        with_ok = set(st.loc[st["comfortable"], "place_id"])
        out.append(
            {
                "intervention": key,
                "comfortable_now": len(now_ok),
                "comfortable_with": len(with_ok),
                "places_gained": sorted(with_ok - now_ok),
            }
        )
    return out
