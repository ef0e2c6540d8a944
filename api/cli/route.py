"""
``kaiteki route``: comfort-aware walking routes and isochrones on the walking network in use.

The comfort field (``kaiteki comfort build``) is used when one is built: the field of the
requested year, or else the same calendar day and hour of the latest built year (said so in the
output). Without a field, routes are distance-only (said so). The snow depth of the day comes
from the real Sapporo daily weather file (or ``--snow-cm``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from api import resources
from api.cli._common import console, print_json, settings
from api.data import TZ, local_naive
from comfort import indices, routing
from comfort.errors import RoutingError

WEATHER_FILE = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"

route_app = typer.Typer(
    help=(
        "Walking routes (shortest, comfortable, winter, accessible) and isochrones. "
        "Run `kaiteki route --from LON,LAT --to LON,LAT`."
    ),
    invoke_without_command=True,
)


@lru_cache(maxsize=2)
def _compiled(graph_id: int) -> routing.CompiledGraph:
    return routing.compile_graph(resources.graph())


def compiled_graph() -> routing.CompiledGraph:
    """The compiled walking graph in use (compiled once per process)."""
    return _compiled(id(resources.graph()))


def parse_point(text: str, what: str) -> tuple[float, float]:
    """
    ``"LON,LAT"`` → (lon, lat), or a place id of the places layer.

    Raises
    ------
    typer.BadParameter
        Neither a lon,lat pair nor a known place id.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise typer.BadParameter(f"{what}: {text!r} is not a lon,lat in degrees")
            return lon, lat
    point = _place_point(text)
    if point is None:
        raise typer.BadParameter(
            f"{what}: expected LON,LAT in degrees (e.g. 141.3515,43.0686) or a place id; "
            f"got {text!r}"
        )
    return point


def _place_point(place_id: str) -> tuple[float, float] | None:
    """Lon/lat of a place id from the places layer (None when no place has that id)."""
    from sensors.places import load_places

    table = load_places()
    if "place_id" not in table.columns:
        return None
    hit = table[table["place_id"].astype(str) == place_id]
    if hit.empty:
        return None
    geom = hit.geometry.iloc[0]
    if hit.crs is not None and not hit.crs.is_geographic:
        geom = hit.to_crs("EPSG:4326").geometry.iloc[0]
    centre = geom.centroid
    return float(centre.x), float(centre.y)


def parse_at(text: str | None) -> dt.datetime:
    """A local (Asia/Tokyo) date and time, default now."""
    if text is None:
        return local_naive(dt.datetime.now(TZ)).replace(second=0, microsecond=0)
    try:
        # an offset is converted to Sapporo time, not dropped; a naive time is already local
        return local_naive(pd.Timestamp(text).to_pydatetime())
    except ValueError:
        raise typer.BadParameter(
            f"--at: expected a date and time such as '2025-01-20 08:00'; got {text!r}"
        ) from None


@dataclass
class Conditions:
    """What the weights were built from, for the printed notes."""

    snow_depth_cm: float
    snow_note: str
    field_note: str
    simulated: bool
    discomfort: np.ndarray | None
    categories: np.ndarray | None


def snow_depth(at: dt.datetime) -> tuple[float, str]:
    """Snow depth (cm) on the day from the real daily weather, with where it came from."""
    from sensors.weather import read_daily_weather

    daily = read_daily_weather(settings().data_file(WEATHER_FILE))
    dates = pd.DatetimeIndex(daily.index).tz_localize(None).normalize()
    snow = pd.Series(daily["snow_depth_cm"].to_numpy(), index=dates)
    day = pd.Timestamp(at.date())
    if day in snow.index and np.isfinite(snow[day]):
        return float(snow[day]), f"snow depth {snow[day]:.0f} cm on {day.date()} (Sapporo, real)"
    same = snow[(snow.index.month == day.month) & (snow.index.day == day.day)].dropna()
    if same.empty:
        return 0.0, f"no snow record for {day.date()}; snow depth taken as 0 cm"
    year = int(same.index.max().year)
    value = float(same.iloc[-1])
    return value, (
        f"snow depth {value:.0f} cm: {day.date()} is not in the weather file, used the same "
        f"day of {year} (Sapporo, real)"
    )


def field_slice(cg: routing.CompiledGraph, at: dt.datetime) -> tuple[Any, str, bool]:
    """The comfort field at ``at`` (or the same day and hour of the latest built year)."""
    from sensors import fieldstore

    years = fieldstore.available_years(settings().cache_dir)
    if not years:
        return None, "no comfort field built: distance-only (run `kaiteki comfort build`)", False
    year = at.year if at.year in years else years[-1]
    ds = fieldstore.load_year(settings().cache_dir, year, chunks={})
    when = pd.Timestamp(at).replace(year=year) if year != at.year else pd.Timestamp(at)
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    i = int(np.argmin(np.abs((times - when).total_seconds())))
    if abs((times[i] - when).total_seconds()) > 3600:
        return (
            None,
            f"comfort field {year} has no hour near {when}: distance-only",
            False,
        )
    one = ds.isel(time=i)[["comfort", "utci_c"]].load()
    simulated = str(ds.attrs.get("simulated", False)).lower() in ("1", "true", "yes")
    note = f"comfort field at {times[i]}"
    if year != at.year:
        note += f" (no field for {at.year}; same day and hour of {year})"
    if simulated:
        note += " from simulated sensor readings"
    try:
        cg.segment_positions(one["edge"].to_numpy())
    except RoutingError as exc:
        return None, f"comfort field does not match the graph ({exc}); distance-only", False
    return one, note, simulated


def conditions(
    cg: routing.CompiledGraph, at: dt.datetime, snow_cm: float | None, use_field: bool
) -> Conditions:
    """Snow depth and comfort field for a time."""
    if snow_cm is None:
        snow, snow_note = snow_depth(at)
    else:
        snow, snow_note = float(snow_cm), f"snow depth {snow_cm:g} cm (given)"
    discomfort = categories = None
    simulated = False
    field_note = "comfort field not used (--no-field): distance-only"
    if use_field:
        one, field_note, simulated = field_slice(cg, at)
        if one is not None:
            seg = one["edge"].to_numpy()
            comfort = cg.per_edge(np.asarray(one["comfort"].to_numpy(), dtype=float), seg)
            discomfort = 1.0 - comfort
            codes = indices.utci_category(
                cg.per_edge(np.asarray(one["utci_c"].to_numpy(), dtype=float), seg)
            )
            names = {c.code: c.name_en for c in indices.UTCI_CATEGORIES}
            categories = np.array([names.get(int(c), "no data") for c in codes], dtype=object)
    return Conditions(snow, snow_note, field_note, simulated, discomfort, categories)


CATEGORY_ORDER = [c.name_en for c in indices.UTCI_CATEGORIES]


def _weights(
    cg: routing.CompiledGraph,
    mode: str,
    at: dt.datetime,
    alpha: float,
    surface: str,
    cond: Conditions,
) -> routing.EdgeWeights:
    return routing.edge_weights(
        cg,
        mode,
        at=at,
        discomfort=cond.discomfort,
        utci_category=cond.categories,
        alpha=alpha,
        snow_depth_cm=cond.snow_depth_cm,
        surface=surface,  # type: ignore[arg-type]
    )


def _summary_table(route: routing.Route) -> Table:
    table = Table(title=f"{route.mode} route vs shortest")
    table.add_column("")
    table.add_column(route.mode, justify="right")
    table.add_column("shortest", justify="right")
    r, s = route.route, route.shortest
    table.add_row("length (m)", f"{r.length_m:,.0f}", f"{s.length_m:,.0f}")
    table.add_row("minutes", f"{r.minutes:.1f}", f"{s.minutes:.1f}")
    table.add_row("steps", f"{r.steps:,}", f"{s.steps:,}")
    table.add_row("underground share", f"{r.underground_share:.0%}", f"{s.underground_share:.0%}")
    table.add_row("walkways", ", ".join(r.walkways) or "-", ", ".join(s.walkways) or "-")
    if r.utci_minutes is not None and s.utci_minutes is not None:
        for cat in r.utci_minutes:
            a, b = r.utci_minutes.get(cat, 0.0), s.utci_minutes.get(cat, 0.0)
            if a > 0 or b > 0:
                table.add_row(f"min in {cat}", f"{a:.1f}", f"{b:.1f}")
    return table


FromOpt = Annotated[
    str | None, typer.Option("--from", help="Origin: LON,LAT (degrees) or a place id.")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Destination: LON,LAT (degrees) or a place id.")
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="Local date and time, e.g. '2025-01-20 08:00'.")
]
ModeOpt = Annotated[str, typer.Option(help="shortest | comfortable | winter | accessible.")]
AlphaOpt = Annotated[
    float, typer.Option(help="Comfort weight α: full discomfort costs 1 + α times the length.")
]
SnowOpt = Annotated[
    float | None,
    typer.Option("--snow-cm", help="Snow depth (cm); default from the real daily weather."),
]
SurfaceOpt = Annotated[
    str, typer.Option(help="Winter surface when snow lies: kept (+1 min/km) or ice (+2 min/km).")
]
FieldOpt = Annotated[
    bool, typer.Option("--field/--no-field", help="Use the comfort field when one is built.")
]


@route_app.callback()
def route(
    ctx: typer.Context,
    origin: FromOpt = None,
    destination: ToOpt = None,
    at: AtOpt = None,
    mode: ModeOpt = "comfortable",
    alpha: AlphaOpt = routing.DEFAULT_ALPHA,
    snow_cm: SnowOpt = None,
    surface: SurfaceOpt = "kept",
    use_field: FieldOpt = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the route object as JSON.")
    ] = False,
) -> None:
    """
    A walking route from --from to --to at --at, with the shortest route for comparison.

    Prints length, minutes (4.8 km/h plus the winter slowdown when snow lies), steps
    (length / 0.7 m), minutes per UTCI stress category (with a comfort field) and the
    underground share. With --json prints the route object (GeoJSON geometry included).
    """
    if ctx.invoked_subcommand is not None:
        return
    if origin is None or destination is None:
        raise typer.BadParameter("give both --from and --to (LON,LAT or a place id)")
    if mode not in routing.MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(routing.MODES)}; got {mode}")
    a = parse_point(origin, "--from")
    b = parse_point(destination, "--to")
    when = parse_at(at)
    cg = compiled_graph()
    cond = conditions(cg, when, snow_cm, use_field)
    weights = _weights(cg, mode, when, alpha, surface, cond)
    result = routing.route_lonlat(cg, a, b, weights, category_order=CATEGORY_ORDER)
    if as_json:
        obj = result.to_dict()
        obj["at"] = when.isoformat(timespec="minutes")
        obj["notes"] = [cond.snow_note, cond.field_note]
        obj["simulated"] = cond.simulated
        print_json(obj)
        return
    console.print(_summary_table(result))
    console.print(f"at {when:%Y-%m-%d %H:%M}; {cond.snow_note}")
    console.print(cond.field_note)
    console.print(
        f"snapped: origin {result.origin_snap_m:.0f} m, destination "
        f"{result.destination_snap_m:.0f} m from the network"
    )


@route_app.command("isochrone")
def isochrone_cmd(
    origin: FromOpt = None,
    minutes: Annotated[float, typer.Option(help="Time budget (min).")] = 10.0,
    at: AtOpt = None,
    mode: ModeOpt = "shortest",
    snow_cm: SnowOpt = None,
    surface: SurfaceOpt = "kept",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the area as a GeoJSON Feature.")
    ] = False,
) -> None:
    """
    Where one can walk from --from within --minutes at --at (walkways closed at night are not
    used; snow slows outdoor walking).
    """
    if origin is None:
        raise typer.BadParameter("give --from (LON,LAT or a place id)")
    if mode not in routing.MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(routing.MODES)}; got {mode}")
    lon, lat = parse_point(origin, "--from")
    when = parse_at(at)
    cg = compiled_graph()
    cond = conditions(cg, when, snow_cm, use_field=False)
    weights = _weights(cg, mode, when, 0.0, surface, cond)
    node, snap_m = cg.snap(lon, lat)
    iso = routing.isochrone(cg, weights, node, minutes)
    if as_json:
        feature = iso.to_geojson()
        feature["properties"].update(
            {"at": when.isoformat(timespec="minutes"), "mode": mode, "notes": [cond.snow_note]}
        )
        print_json(feature)
        return
    reached = np.isfinite(iso.node_minutes)
    console.print(
        f"{minutes:g} min from node {int(cg.node_ids[node])} ({snap_m:.0f} m from the point) at "
        f"{when:%Y-%m-%d %H:%M}: {int(reached.sum())} of {cg.n_nodes} nodes, "
        f"{(cg.length_m * iso.edge_fraction).sum() / 2000:.1f} km of network "
        f"(both directions halved); {cond.snow_note}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``route`` group to the CLI."""
    app.add_typer(route_app, name="route")
