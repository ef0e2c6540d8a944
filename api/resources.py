"""
What the app and the CLI read, loaded once per settings into one :class:`Resources` object:
the walking graph and its compiled form, segment tables, census blocks, the comfort fields and
what is derived from them, the daily weather, courses, places, the MLIT mesh and the Chi-Ka-Ho
counts, and the routing weights of the conditions of a moment.

The app takes its object in :func:`api.app.create_app` (``app.state.resources``; the lifespan
loads what is cheap and always needed) and routes receive it through
:data:`api.deps.ResourcesDep`. The CLI, tests, benchmarks and notebooks use :func:`current`, the
object of the current settings. There is one object per inputs (data folder, cache folder,
area; :func:`for_settings`), so an app and the CLI on the same data share one cache per
process. :func:`clear` forgets what they loaded (after a rebuild, or when tests change the
settings).

Everything is loaded on first use. A loader without arguments keeps its value on the object;
a method with arguments keeps its results per arguments in a ``cachetools.LRUCache`` of the
object. A miss is computed under the object's load lock (one at
a time: HDF5 under netCDF4 is not thread-safe, and two first requests opening a comfort field
at once failed with ``RuntimeError: NetCDF: HDF error``); a hit takes no load lock.

Performance: what has been loaded is moved out of reach of Python's cyclic garbage collector
(``gc.freeze``) each time new routing weights are computed. The loaded graph and tables hold a
few hundred thousand container objects; without this, every full collection walks them all
(about 150 ms on the demo data) and stalls whichever request triggered it. Frozen objects are
still freed by reference counting; :meth:`Resources.clear` unfreezes them.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import cachetools
import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from cachetools.keys import methodkey

from api.clock import local_naive, to_minute
from api.errors import BadRequestError, NotFoundError, NotPreparedError
from api.settings import Settings, get_settings
from comfort import conditions as cond_engine
from comfort import routing
from comfort.conditions import CATEGORY_KEYS, Conditions
from comfort.constants import DAILY_WEATHER_FILE
from sensors import area
from sensors.conditions import StoredFields, daily_weather_table, is_simulated
from sensors.courses import Course

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: How often (s) a running app looks whether a comfort field file changed on disk
#: (:meth:`Resources.refresh_fields`).
FIELD_CHECK_S = 2.0

#: Key of the routing weights: mode, minute (naive JST, or None) and α.
WeightsKey = tuple[str, dt.datetime | None, float]
#: Routing weights, the ``shortest``-mode weights of the comparison route and the conditions.
WeightsPair = tuple[routing.EdgeWeights, routing.EdgeWeights, dict[str, Any]]


def _kept(
    maxsize: int,
) -> Callable[[Callable[Concatenate[Resources, _P], _T]], Callable[Concatenate[Resources, _P], _T]]:
    """
    Keep a method's results per (hashable) arguments in an LRU cache of ``maxsize`` entries of
    the object; misses are computed under the object's load lock, errors are not kept.
    """

    def wrap(
        method: Callable[Concatenate[Resources, _P], _T],
    ) -> Callable[Concatenate[Resources, _P], _T]:
        name = method.__name__

        @wraps(method)
        def locked(self: Resources, *args: _P.args, **kwargs: _P.kwargs) -> _T:
            with self._load_lock:
                return method(self, *args, **kwargs)

        cached = cachetools.cachedmethod(
            lambda self: self._cache(name, maxsize), lock=lambda self: self._cache_lock
        )(locked)
        return cached  # type: ignore[return-value]

    return wrap


def _once(method: Callable[[Resources], _T]) -> Callable[[Resources], _T]:
    """
    Load a method's value on first use (under the object's load lock) and keep it; later
    calls are one dict lookup without a lock (the graph and tables are read on every request).
    """
    name = method.__name__

    @wraps(method)
    def get(self: Resources) -> _T:
        try:
            return self._loaded[name]  # type: ignore[no-any-return]
        except KeyError:
            with self._load_lock:
                if name not in self._loaded:
                    self._loaded[name] = method(self)
                return self._loaded[name]  # type: ignore[no-any-return]

    return get


class _AppFields(StoredFields):
    """The comfort fields as the conditions engine reads them, through the object's caches."""

    def __init__(self, resources: Resources) -> None:
        super().__init__(
            resources.settings.cache_dir, open_field=resources.field, lock=resources._load_lock
        )
        self._resources = resources

    def hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        return self._resources.field_hour(year, position)

    def stored_hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """One hour read from the field (not cached)."""
        return StoredFields.hour(self, year, position)


class Resources:
    """
    The inputs of the app and the CLI for one :class:`api.settings.Settings`, each loaded on
    first use and then kept.

    Parameters
    ----------
    settings
        Where the data, the cache folder and the store are, the area, the demo year.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._load_lock = threading.RLock()
        self._cache_lock = threading.Lock()
        self._caches: dict[str, cachetools.LRUCache[Any, Any]] = {}
        self._loaded: dict[str, Any] = {}
        self._fields_seen: tuple[tuple[str, int], ...] | None = None
        self._fields_checked = 0.0

    def _cache(self, name: str, maxsize: int) -> cachetools.LRUCache[Any, Any]:
        cache = self._caches.get(name)
        if cache is None:
            cache = self._caches.setdefault(name, cachetools.LRUCache(maxsize))
        return cache

    def clear(self) -> None:
        """Forget everything loaded (the next use loads it again)."""
        with self._load_lock, self._cache_lock:
            self._caches.clear()
            self._loaded.clear()
        gc.unfreeze()  # what the caches held can now be collected

    def refresh_fields(self) -> bool:
        """
        Forget what was computed from the comfort fields when a field file changed on disk
        (``kaiteki comfort build`` or ``kaiteki comfort update`` in another process), so a running
        server sees new hours; looked at no more often than every :data:`FIELD_CHECK_S` seconds.

        Returns
        -------
        bool
            Whether the field-dependent values were dropped.
        """
        now = time.monotonic()
        if now - self._fields_checked < FIELD_CHECK_S:
            return False
        self._fields_checked = now
        folder = Path(self.settings.cache_dir) / "field"
        try:
            seen = tuple(
                sorted(
                    (p.name, p.stat().st_mtime_ns)
                    for p in folder.iterdir()
                    if not p.name.startswith(".")
                )
            )
        except FileNotFoundError:
            seen = ()
        if seen == self._fields_seen:
            return False
        first = self._fields_seen is None
        self._fields_seen = seen
        if first:
            return False
        with self._load_lock, self._cache_lock:
            # every method cache may hold a field value (hours, conditions, weights, season
            # means); the area model and the tables loaded once stay
            self._caches.clear()
            self._loaded.pop("stored_fields", None)
        return True

    def warm(self) -> None:
        """Load what is cheap and every page needs (the embedded courses and places)."""
        self.courses()
        self.places()

    # -- the area model -------------------------------------------------------------------

    @_once
    def graph(self) -> nx.MultiDiGraph:
        """The walking graph in use (built on first use, then read from the cache folder)."""
        s = self.settings
        return area.current_graph(s.data_file(area.CENSUS_FILE), s.cache_dir, s.area)

    @_once
    def compiled(self) -> routing.CompiledGraph:
        """The walking graph compiled for routing."""
        return routing.compile_graph(self.graph())

    @_once
    def segments(self) -> gpd.GeoDataFrame:
        """One row per undirected segment of :meth:`graph` (EPSG:6680 for the embedded default)."""
        from comfort.network import segment_table

        return segment_table(self.graph())

    @_once
    def segments_lonlat(self) -> gpd.GeoDataFrame:
        """The segment table in lon/lat (EPSG:4326), coordinates rounded to 1e-6° (about 0.1 m)."""
        import shapely

        seg = self.segments().to_crs("EPSG:4326")
        seg["geometry"] = shapely.set_precision(seg.geometry.values, 1e-6)
        return seg

    @_once
    def planning_area(self) -> gpd.GeoDataFrame:
        """
        The planning area: KAITEKI_AREA when set; else the embedded default for the embedded
        graph, or the convex hull of the nodes for a graph built from OSM.
        """
        s = self.settings
        G = self.graph()
        if s.area is None and not str(G.graph.get("source", "")).startswith("census"):
            import shapely

            hull = shapely.MultiPoint([(d["x"], d["y"]) for _, d in G.nodes(data=True)]).convex_hull
            return gpd.GeoDataFrame(
                {
                    "name": [f"extent of {G.graph.get('source')}"],
                    "blocks": [None],
                    "population": [None],
                    "area_ha": [round(hull.area / 1e4, 1)],
                },
                geometry=[hull],
                crs=G.graph["crs"],
            )
        return area.planning_area(s.data_file(area.CENSUS_FILE), s.area)

    @_once
    def blocks(self) -> gpd.GeoDataFrame:
        """The census blocks, EPSG:6680."""
        return area.load_blocks(self.settings.data_file(area.CENSUS_FILE))

    @_once
    def blocks_layer(self) -> Any:
        """The census blocks as a ready base layer (``maps.area.BlocksLayer``), built once."""
        from maps.area import blocks_layer

        return blocks_layer(self.blocks())

    @_once
    def walkability(self) -> dict[str, gpd.GeoDataFrame]:
        """Walkability tables (nodes, edges, blocks, grid) in lon/lat."""
        from comfort.walkability import walkability_tables
        from sensors.destinations import load_destinations

        cg = self.compiled()
        dest = load_destinations().to_crs(cg.crs)
        dest["x"], dest["y"] = dest.geometry.x, dest.geometry.y
        tables = walkability_tables(cg, dest, self.blocks())
        return {name: t.to_crs("EPSG:4326") for name, t in tables.items()}

    # -- embedded layers and real tables ----------------------------------------------------

    @_once
    def courses(self) -> tuple[Course, ...]:
        """The walking courses (embedded ``sensors/data/courses.json``)."""
        from sensors.courses import load_courses

        return tuple(load_courses())

    def course(self, course_id: str) -> Course:
        """
        One course by id.

        Raises
        ------
        NotFoundError
            No course has this id.
        """
        for c in self.courses():
            if c.course_id == course_id:
                return c
        ids = ", ".join(c.course_id for c in self.courses())
        raise NotFoundError(f"no walking course {course_id!r}; known courses: {ids}")

    def course_route(self, course: Course, weights: routing.EdgeWeights) -> dict[str, Any]:
        """A course routed through its waypoints (:func:`sensors.courses.course_route`)."""
        from sensors.courses import course_route

        return course_route(self.compiled(), course, weights, category_order=CATEGORY_KEYS)

    @_once
    def places(self) -> gpd.GeoDataFrame:
        """The places layer (EPSG:4326), embedded default of ``sensors.places``."""
        from sensors.places import load_places

        return load_places()

    @_once
    def daily_weather(self) -> pd.DataFrame:
        """The real Sapporo daily weather by naive date (``sensors.conditions``)."""
        return daily_weather_table(self.settings.data_file(DAILY_WEATHER_FILE))

    @_once
    def mesh_stay(self) -> pd.DataFrame:
        """The real MLIT 1 km mesh stay population of the planning area (one row per value)."""
        from sensors.mlit import read_mesh_stay

        stay, _ = read_mesh_stay(
            self.settings.data_file("mlit_peopleflow_1km_sapporo_downtown.geojson")
        )
        return stay

    @_once
    def mesh_months(self) -> tuple[str, ...]:
        """The months (``YYYY-MM``) of :meth:`mesh_stay`, sorted."""
        return tuple(sorted({str(m)[:7] for m in self.mesh_stay()["month"]}))

    def mesh_cells(self, month: str, day_type: str) -> gpd.GeoDataFrame:
        """
        The daytime stay population of one month and day type (``weekday``, ``holiday`` or
        ``all``) per 1 km mesh cell: ``mesh_id``, ``stay_population`` (people), the cell
        polygon (EPSG:4326).

        Raises
        ------
        BadRequestError
            ``month`` is not one of :meth:`mesh_months`.
        """
        from sensors.mlit import mesh_polygon

        months = self.mesh_months()
        if month not in months:
            raise BadRequestError(f"month must be one of {months[0]}..{months[-1]}; got {month!r}")
        stay = self.mesh_stay()
        sel = stay[
            (stay["month"].astype(str).str[:7] == month)
            & (stay["day_type"] == day_type)
            & (stay["time_band"] == "day")
        ]
        return gpd.GeoDataFrame(
            {
                "mesh_id": sel["mesh_id"].to_numpy(),
                "stay_population": sel["stay_population"].astype(float).to_numpy(),
            },
            geometry=[mesh_polygon(m) for m in sel["mesh_id"]],
            crs="EPSG:4326",
        )

    @_once
    def chikaho_daily(self) -> pd.DataFrame:
        """The real Chi-Ka-Ho daily counts J1..J5 (mean people per 15 min), by date."""
        from sensors.chikaho import read_chikaho_daily

        return read_chikaho_daily(self.settings.data_file(DAILY_WEATHER_FILE))

    @_kept(2)
    def chikaho_chart(self, lang: str) -> str:
        """The SVG chart of the Chi-Ka-Ho counts in ``lang`` (drawn once per language)."""
        from api.i18n import translator
        from maps.charts import chikaho_chart

        t = translator(lang)
        return chikaho_chart(
            self.chikaho_daily(), t("chikaho_daily"), t("chikaho_suffix"), t("chikaho_ylabel")
        )

    # -- comfort fields -------------------------------------------------------------------

    def field_file(self, year: int) -> Path:
        """Where the comfort field of ``year`` is saved (``kaiteki comfort build --year``)."""
        from sensors import fieldstore

        return Path(fieldstore.built_path(self.settings.cache_dir, year))

    def has_field(self, year: int) -> bool:
        """Whether the comfort field of ``year`` has been built."""
        self.refresh_fields()
        return self.field_file(year).exists()

    @_kept(4)
    def field(self, year: int) -> xr.Dataset:
        """
        The comfort field of ``year``, opened lazily (dask, on-disk chunks).

        Raises
        ------
        NotPreparedError
            The field has not been built.
        """
        from sensors import fieldstore

        path = self.field_file(year)
        if not path.exists():
            raise NotPreparedError(
                f"no comfort field for {year} at {path}; build it with `kaiteki comfort build "
                f"--year {year}` (or `make prepare`)"
            )
        return fieldstore.load_field(path, chunks={})

    def any_simulated(self, years: Iterable[int]) -> bool:
        """Whether any built field among ``years`` was computed from simulated readings."""
        return any(is_simulated(self.field(y)) for y in years if self.has_field(y))

    def is_simulated(self, year: int) -> bool:
        """Whether the field of ``year`` was computed from simulated readings."""
        return is_simulated(self.field(year))

    @_once
    def stored_fields(self) -> _AppFields:
        """The comfort fields of the cache folder, as the conditions engine reads them."""
        return _AppFields(self)

    @_kept(512)
    def field_hour(
        self, year: int, position: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Segment ids and their UTCI (°C) at one position of the field's time axis."""
        return self.stored_fields().stored_hour(year, position)

    def edge_utci(
        self, year: int, at: dt.datetime
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """
        Segment ids and their UTCI (°C) at the field hour holding ``at``.

        Raises
        ------
        BadRequestError
            ``at`` lies outside the field's period.
        NotPreparedError
            The field of ``year`` has not been built.
        """
        return self.field_hour(year, hour_index(self.field(year), at))

    @_kept(8)
    def season_hour(self, year: int) -> xr.Dataset:
        """Mean edge UTCI (°C) and comfort by season × hour of day: dims (season, hour, edge)."""
        from comfort.field import by_season_hour, edge_field

        ds = edge_field(self.field(year))
        return by_season_hour(ds[["utci_c", "comfort"]]).compute()

    @_kept(8)
    def place_season(self, year: int) -> xr.Dataset:
        """Mean place UTCI (°C) and comfort by season, daytime 10–18 h: dims (season, place)."""
        from comfort.field import by_season, place_field

        return by_season(place_field(self.field(year))[["utci_c", "comfort"]]).compute()

    def place_utci(self, years: tuple[int, ...]) -> xr.DataArray | None:
        """Hourly place UTCI (°C), dims (time, place), of the years whose field has places."""
        from comfort.field import place_field

        parts = []
        for y in years:
            if self.has_field(y):
                pf = place_field(self.field(y))
                if "utci_c" in pf and pf.sizes.get("place", 0) > 0:
                    parts.append(pf["utci_c"])
        if not parts:
            return None
        return xr.concat(parts, dim="time").compute()

    @_kept(4)
    def places_kpi(self, baseline_year: int, current_year: int) -> tuple[Any, Any] | None:
        """Per-place comfort status and the comfortable-places KPI table, or None without fields."""
        from comfort.kpi import comfortable_places_kpi

        if not self.has_field(baseline_year):
            return None  # the KPI is relative to the named baseline year: nothing without it
        utci = self.place_utci(tuple(sorted({baseline_year, current_year})))
        if utci is None:
            return None
        return comfortable_places_kpi(utci, self.places(), baseline_year)

    @_kept(4)
    def scenario_results(self, year: int, baseline_year: int) -> list[dict[str, Any]]:
        """
        Comfortable places of ``year`` with each intervention added wherever it applies
        (:func:`comfort.scenarios.scenario_gains`); empty without a field with places.
        """
        from comfort.field import place_field
        from comfort.kpi import scenario_gains

        if not self.has_field(year):
            return []
        ds = self.field(year)
        pf = place_field(ds)
        if pf.sizes.get("place", 0) == 0:
            return []
        wind_height_m = float(ds.attrs.get("wind_reference_height_m", 1.5))
        return scenario_gains(pf, self.places(), year, wind_height_m=wind_height_m)

    # -- conditions and routing weights ---------------------------------------------------

    def conditions(self, at: dt.datetime | None) -> Conditions:
        """
        The conditions at ``at`` (JST when naive; kept per minute): the one engine of the CLI,
        the API and the pages (:func:`comfort.conditions.resolve_conditions`).
        """
        self.refresh_fields()
        return self._conditions(None if at is None else to_minute(at))

    @_kept(1024)
    def _conditions(self, at: dt.datetime | None) -> Conditions:
        return cond_engine.resolve_conditions(
            at, self.compiled(), self.stored_fields(), self.daily_weather()
        )

    @_kept(96)
    def season_conditions(self, year: int, season: str, hour: int) -> Conditions:
        """
        The conditions of the season × hour mean of the field of ``year``
        (:func:`comfort.conditions.season_conditions`).
        """
        built = self.has_field(year)
        return cond_engine.season_conditions(
            year,
            season,
            hour,
            self.compiled(),
            self.daily_weather(),
            has_field=built,
            simulated=built and is_simulated(self.field(year)),
        )

    def route_weights(
        self, mode: str, at: dt.datetime | None, alpha: float = routing.DEFAULT_ALPHA
    ) -> tuple[routing.EdgeWeights, dict[str, Any]]:
        """Routing weights for a mode at a time and the conditions used (cached, see below)."""
        self.refresh_fields()
        weights, _, note = self._route_weights(*weights_key(mode, at, alpha))
        return weights, dict(note)

    def route_weights_pair(
        self, mode: str, at: dt.datetime | None, alpha: float = routing.DEFAULT_ALPHA
    ) -> WeightsPair:
        """
        Routing weights for a mode at a time (kept per mode, minute and α), the ``shortest``-mode
        weights of the comparison route (:func:`comfort.routing.shortest_weights_like`) and the
        conditions used (:meth:`comfort.conditions.Conditions.to_dict`).
        """
        self.refresh_fields()
        weights, shortest, note = self._route_weights(*weights_key(mode, at, alpha))
        return weights, shortest, dict(note)

    def route_weights_ready(self, mode: str, at: dt.datetime | None, alpha: float) -> bool:
        """
        Whether the weights of this mode, minute and α are kept, so that a call costs
        microseconds (the route endpoint then answers on the event loop, not a worker thread).
        """
        self.refresh_fields()
        cache = self._caches.get("_route_weights")
        return cache is not None and methodkey(self, *weights_key(mode, at, alpha)) in cache

    @_kept(128)
    def _route_weights(self, mode: str, at: dt.datetime | None, alpha: float) -> WeightsPair:
        if mode not in routing.MODES:
            raise BadRequestError(f"mode must be one of {', '.join(routing.MODES)}; got {mode!r}")
        cg = self.compiled()
        cond = self.conditions(at)
        weights = cond_engine.route_weights(cg, cond, mode, alpha)
        shortest = routing.shortest_weights_like(cg, weights)
        # Everything loaded so far (graph, field, tables) is long-lived: keep the cyclic GC off
        # it (module docstring). Young garbage is collected first so that it is not frozen.
        gc.collect(1)
        gc.freeze()
        return weights, shortest, cond.to_dict()


def weights_key(mode: str, at: dt.datetime | None, alpha: float) -> WeightsKey:
    """
    The key of the routing weights: mode, the minute of ``at`` (naive JST) and α.

    Examples
    --------
    >>> weights_key("winter", dt.datetime(2022, 1, 20, 8, 5, 30), 2)
    ('winter', datetime.datetime(2022, 1, 20, 8, 5), 2.0)
    """
    return mode, None if at is None else to_minute(at), float(alpha)


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


# -- one object per inputs -------------------------------------------------------------------

_BY_INPUTS: dict[tuple[Any, ...], Resources] = {}
_BY_INPUTS_LOCK = threading.Lock()


def inputs_key(settings: Settings) -> tuple[Any, ...]:
    """What a :class:`Resources` reads from the settings: data folder, cache folder, area."""
    return (settings.data_dir, settings.cache_dir, settings.area)


def for_settings(settings: Settings) -> Resources:
    """
    The one resources object of the inputs of ``settings`` (:func:`inputs_key`) in this process:
    apps and the CLI on the same data share their caches. Only the data folder, the cache
    folder and the area are read from the object's settings.
    """
    key = inputs_key(settings)
    res = _BY_INPUTS.get(key)
    if res is None:
        with _BY_INPUTS_LOCK:
            res = _BY_INPUTS.setdefault(key, Resources(settings))
    return res


def current() -> Resources:
    """
    The resources of the current settings (:func:`api.settings.get_settings`): the CLI's, and
    the app's when it runs on the same inputs.
    """
    return for_settings(get_settings())


def clear() -> None:
    """Forget everything every resources object loaded (after a rebuild, or in tests)."""
    with _BY_INPUTS_LOCK:
        objects = list(_BY_INPUTS.values())
    for res in objects:
        res.clear()


def graph() -> nx.MultiDiGraph:
    """The walking graph of the current settings (:meth:`Resources.graph`)."""
    return current().graph()


def segments() -> gpd.GeoDataFrame:
    """The segment table of the current settings (:meth:`Resources.segments`)."""
    return current().segments()


def planning_area() -> gpd.GeoDataFrame:
    """The planning area of the current settings (:meth:`Resources.planning_area`)."""
    return current().planning_area()


def blocks() -> gpd.GeoDataFrame:
    """The census blocks of the current settings (:meth:`Resources.blocks`)."""
    return current().blocks()
