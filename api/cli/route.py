"""
``kaiteki route``: comfort-aware walking routes and isochrones on the walking network in use.

The route object is built by the same function as ``GET /v1/route``
(:func:`api.wayfinding.route_answer`), so ``--json`` prints what the API answers, with the
``conditions`` it was computed under (comfort field hour, snow depth, weather, walkways, and
where each came from: docs/CONDITIONS.md). The readable output prints a note for every input
that is not the data of that exact hour or day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli._common import console, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from comfort import routing

#: Default of ``--alpha``: :data:`comfort.routing.DEFAULT_ALPHA`, written out so that building the
#: CLI does not import the routing engine (``tests/api/test_cli_imports.py`` checks they agree).
DEFAULT_ALPHA = 1.0

route_app = typer.Typer(
    help=(
        "Walking routes (shortest, comfortable, winter, accessible) and isochrones. "
        "Run `kaiteki route --from LON,LAT --to LON,LAT`."
    ),
    invoke_without_command=True,
)


def compiled_graph() -> routing.CompiledGraph:
    """The compiled walking graph in use (:func:`api.resources.current`, one cache for all)."""
    from api import resources

    return resources.current().compiled()


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
    """A local (Asia/Tokyo) date and time, to the minute; default now."""
    from api import wayfinding
    from api.clock import to_minute
    from api.errors import BadRequestError
    from comfort.constants import TZ

    now = to_minute(dt.datetime.now(TZ))
    try:
        return wayfinding.parse_at(text, now)
    except BadRequestError:
        raise typer.BadParameter(
            f"--at: expected a date and time such as '2025-01-20 08:00'; got {text!r}"
        ) from None


def _answer(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call an answer function, turning a bad request into a CLI usage error."""
    from api.errors import BadRequestError

    try:
        return fn(*args, **kwargs)
    except BadRequestError as exc:
        raise typer.BadParameter(str(exc)) from None


def print_notes(conditions: dict[str, Any]) -> None:
    """Print the note of every condition that is not the data of that exact hour or day."""
    from api.i18n import condition_notes

    for note in condition_notes(conditions, "en"):
        console.print(note)


def _summary_table(route: dict[str, Any]) -> Table:
    """The route's figures beside the shortest route's (from the route object)."""
    from rich.table import Table

    mode = route["mode"]
    table = Table(title=f"{mode} route vs shortest")
    table.add_column("")
    table.add_column(mode, justify="right")
    table.add_column("shortest", justify="right")
    r, s = route, route["shortest"]
    table.add_row("length (m)", f"{r['length_m']:,.0f}", f"{s['length_m']:,.0f}")
    table.add_row("minutes", f"{r['minutes']:.1f}", f"{s['minutes']:.1f}")
    table.add_row("steps", f"{r['steps']:,}", f"{s['steps']:,}")
    table.add_row(
        "underground share", f"{r['underground_share']:.0%}", f"{s['underground_share']:.0%}"
    )
    table.add_row("walkways", ", ".join(r["walkways"]) or "-", ", ".join(s["walkways"]) or "-")
    if r["utci_minutes"] is not None and s["utci_minutes"] is not None:
        for cat, a in r["utci_minutes"].items():
            b = s["utci_minutes"].get(cat, 0.0)
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
    alpha: AlphaOpt = DEFAULT_ALPHA,
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
    from api import resources, wayfinding
    from comfort import routing

    if origin is None or destination is None:
        raise typer.BadParameter("give both --from and --to (LON,LAT or a place id)")
    if mode not in routing.MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(routing.MODES)}; got {mode}")
    a = parse_point(origin, "--from")
    b = parse_point(destination, "--to")
    when = parse_at(at)
    obj = wayfinding.route_json(
        _answer(
            wayfinding.route_answer,
            resources.current(),
            a,
            b,
            when,
            mode,
            alpha,
            snow_cm=snow_cm,
            surface=surface,
            use_field=use_field,
        )
    )
    if as_json:
        print_json(obj)
        return
    console.print(_summary_table(obj))
    console.print(f"at {when:%Y-%m-%d %H:%M}")
    print_notes(obj["conditions"])
    console.print(
        f"snapped: origin {obj['origin_snap_m']:.0f} m, destination "
        f"{obj['destination_snap_m']:.0f} m from the network"
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
    from api import resources, wayfinding
    from comfort import routing

    if origin is None:
        raise typer.BadParameter("give --from (LON,LAT or a place id)")
    if mode not in routing.MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(routing.MODES)}; got {mode}")
    lon, lat = parse_point(origin, "--from")
    when = parse_at(at)
    feature = _answer(
        wayfinding.isochrone_answer,
        resources.current(),
        (lon, lat),
        minutes,
        when,
        mode,
        snow_cm=snow_cm,
        surface=surface,
    )
    if as_json:
        print_json(feature)
        return
    props = feature["properties"]
    console.print(
        f"{minutes:g} min from the point ({props['origin_snap_m']:.0f} m from the network) at "
        f"{when:%Y-%m-%d %H:%M}: {props['nodes_reached']} nodes reached"
    )
    print_notes(props["conditions"])


def register(app: typer.Typer) -> None:
    """Add the ``route`` group to the CLI."""
    app.add_typer(route_app, name="route")
