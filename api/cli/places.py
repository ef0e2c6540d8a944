"""
``kaiteki places``: the places registry with history (``sensors.registry``).

``list``/``show``/``export`` read the store read-only (the embedded layer while it holds no
registry); ``add``/``edit``/``retire``/``import`` write it directly as its single writer (waiting
up to ``KAITEKI_STORE_WAIT_S`` while another process holds it), each change with an audit row.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli._common import (
    CsvOption,
    console,
    output_format,
    print_json,
    print_table,
    settings,
)
from comfort.errors import PlacesError

places_app = typer.Typer(help="The places registry: list, add, edit, retire, import, export.",
                         no_args_is_help=True)  # fmt: skip

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
WhoOption = Annotated[
    str | None, typer.Option("--who", help="Who makes the change (default: the OS user).")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Only places existing on this date (YYYY-MM-DD); default all."),
]

#: Declared conditioning assumed for an indoor place added without ``--features``.
INDOOR_DEFAULT_FEATURES = "heating,cooling,seats"


def _who(who: str | None) -> str:
    if who:
        return who
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read() -> Any:
    from sensors import registry
    from sensors.store import Store, store_exists

    path = settings().store
    if not store_exists(path):
        return registry.read_registry(None)
    with Store(path, read_only=True, wait_s=settings().store_wait_s) as store:
        return registry.read_registry(store if store.schema_version() else None)


def _write(action: Any) -> Any:
    from sensors.store import Store

    with Store(settings().store, wait_s=settings().store_wait_s) as store:
        return action(store)


def _hours(text: str | None) -> tuple[int, int] | None:
    """``"9:00-22:00"`` → (540, 1320); a closing after midnight as e.g. ``"5:00-24:30"``."""
    if text is None:
        return None
    try:
        a, b = text.split("-")
        mins = [int(h) * 60 + int(m) for h, m in (t.strip().split(":") for t in (a, b))]
    except ValueError:
        raise PlacesError(f"--hours must be HH:MM-HH:MM (e.g. 9:00-22:00); got {text!r}.") from None
    return mins[0], mins[1]


def _records(frame: Any) -> list[dict[str, Any]]:
    out = []
    for rec, geom in zip(
        frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
    ):
        clean = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()}
        clean = {k: (v.item() if hasattr(v, "item") else v) for k, v in clean.items()}
        clean = {k: (None if isinstance(v, float) and v != v else v) for k, v in clean.items()}
        c = geom.centroid
        clean.update(lon=round(c.x, 7), lat=round(c.y, 7))
        out.append(clean)
    return out


@places_app.command("list")
def list_places(
    as_of: AsOfOption = None, as_json: JsonOption = False, as_csv: CsvOption = False
) -> None:
    """Every place of the registry (or those existing on --as-of)."""
    from rich.console import Console
    from rich.table import Table

    from comfort.places import valid_on

    reg = _read()
    if as_of is not None:
        reg = reg[valid_on(reg, as_of)]
    rows = _records(reg)
    fmt = output_format(as_json, as_csv)
    if fmt == "json":
        print_json({"count": len(rows), "as_of": as_of, "places": rows})
        return
    if fmt == "csv":
        print_table(rows, fmt="csv")
        return
    table = Table(
        title=f"Places registry ({len(rows)} places{', as of ' + as_of if as_of else ''})"
    )
    for col in ("place_id", "name_en", "kind", "status", "valid_from", "valid_to", "approx."):
        table.add_column(col)
    for r in rows:
        table.add_row(r["place_id"], r["name_en"], r["kind"], r["status"],
                      str(r["valid_from"] or "-"), str(r["valid_to"] or "-"),
                      "yes" if r["approximate"] else "")  # fmt: skip
    Console().print(table)


@places_app.command("show")
def show(place_id: str, as_json: JsonOption = False) -> None:
    """One place with its change history."""
    from sensors import registry
    from sensors.store import Store, store_exists

    reg = _read()
    row = reg[reg["place_id"] == place_id]
    if row.empty:
        raise PlacesError(f"no place {place_id!r}; `kaiteki places list` shows the ids.")
    rec = _records(row)[0]
    history: list[dict[str, Any]] = []
    path = settings().store
    if store_exists(path):
        with Store(path, read_only=True, wait_s=settings().store_wait_s) as store:
            log = registry.audit_log(store if store.schema_version() else None, place_id)
            history = [{k: str(v) if k == "changed_at" else v for k, v in r.items()}
                       for r in log.drop(columns=["audit_id"]).to_dict("records")]  # fmt: skip
    if as_json:
        print_json({**rec, "history": history})
        return
    for k, v in rec.items():
        typer.echo(f"{k:14} {v}")
    for h in history:
        typer.echo(f"history        {h['changed_at']} {h['who']} {h['action']}")


def _fields(**opts: Any) -> dict[str, Any]:
    out = {k: v for k, v in opts.items() if v is not None}
    hours = _hours(out.pop("hours", None))
    if hours is not None:
        out["open_min"], out["close_min"] = hours
    return out


@places_app.command("add")
def add(
    place_id: Annotated[str, typer.Option("--id", help="New id (letters, digits, '-').")],
    name_ja: Annotated[str, typer.Option(help="Japanese name.")],
    name_en: Annotated[str, typer.Option(help="English name.")],
    source: Annotated[str, typer.Option(help="Who documents it ('illustrative planned project').")],
    kind: Annotated[str, typer.Option(help="outdoor | semi_outdoor | indoor")] = "outdoor",
    type_: Annotated[str | None, typer.Option("--type", help="park, plaza, atrium, ...")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (°) of a point place.")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (°) of a point place.")] = None,
    geometry: Annotated[str | None, typer.Option(help="WKT or GeoJSON geometry (lon/lat).")] = None,
    level: Annotated[int, typer.Option(help="0 street, -1 underground.")] = 0,
    months: Annotated[str, typer.Option(help="Months meant for: 1-12, 5-10, winter, ...")] = "1-12",
    hours: Annotated[str | None, typer.Option(help="Opening hours HH:MM-HH:MM.")] = None,
    features: Annotated[
        str | None,
        typer.Option(
            help="shade,trees,wind_screen,heating,cooling,seats,water (indoor places "
            f"without it: {INDOOR_DEFAULT_FEATURES})."
        ),
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="First day it exists (YYYY-MM-DD).")
    ] = None,
    valid_to: Annotated[str | None, typer.Option(help="First day it no longer exists.")] = None,
    status: Annotated[str, typer.Option(help="existing | planned")] = "existing",
    public: Annotated[bool, typer.Option("--public/--private", help="Public access.")] = True,
    approximate: Annotated[bool, typer.Option(help="Position or hours are estimates.")] = False,
    who: WhoOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a place to the registry (audited)."""
    from sensors import registry

    if features is None and kind == "indoor":
        features = INDOOR_DEFAULT_FEATURES
        console.print(f"indoor place without --features: assumed {features}")
    fields = _fields(
        place_id=place_id, name_ja=name_ja, name_en=name_en, source=source, kind=kind,
        type=type_ or kind, lon=lon, lat=lat, geometry=geometry, level=level, months=months,
        hours=hours, features=features, valid_from=valid_from, valid_to=valid_to, status=status,
        public_access=public, approximate=approximate,
    )  # fmt: skip
    row = _write(lambda store: registry.add_place(store, fields, _who(who)))
    if as_json:
        print_json(row)
    else:
        console.print(f"added {place_id} ({kind}, {status}, valid from {valid_from or 'always'})")


@places_app.command("edit")
def edit(
    place_id: str,
    set_: Annotated[
        list[str],
        typer.Option("--set", help="FIELD=VALUE (repeatable), e.g. --set hours=9:00-21:00"),
    ],
    who: WhoOption = None,
) -> None:
    """Change fields of a place (audited with before and after)."""
    from sensors import registry

    changes: dict[str, Any] = {}
    for item in set_:
        if "=" not in item:
            raise PlacesError(f"--set takes FIELD=VALUE; got {item!r}.")
        k, v = item.split("=", 1)
        changes[k.strip()] = v.strip() or None
    fields = _fields(**changes)
    _write(lambda store: registry.edit_place(store, place_id, fields, _who(who)))
    console.print(f"edited {place_id}: {', '.join(sorted(fields))}")


@places_app.command("retire")
def retire(
    place_id: str,
    on: Annotated[
        str | None, typer.Option("--on", help="First day it no longer exists (default today).")
    ] = None,
    who: WhoOption = None,
) -> None:
    """A place stops existing from a date (history is kept; audited)."""
    import datetime as dt

    from sensors import registry

    day = on or dt.date.today().isoformat()
    _write(lambda store: registry.retire_place(store, place_id, day, _who(who)))
    console.print(f"retired {place_id} from {day}")


@places_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A .geojson or .csv (geometry WKT or lon/lat).")],
    who: WhoOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add new places and update existing ones from a file (each change audited)."""
    from sensors import registry

    counts = _write(lambda store: registry.import_places(store, path, _who(who)))
    if as_json:
        print_json(counts)
    else:
        console.print(f"{path.name}: {counts['added']} added, {counts['edited']} changed")


@places_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="Target .geojson or .csv.")],
    as_of: AsOfOption = None,
) -> None:
    """Write the registry (or the places existing on --as-of) as GeoJSON or CSV."""
    from comfort.places import valid_on
    from sensors import registry

    reg = _read()
    if as_of is not None:
        reg = reg[valid_on(reg, as_of)]
    registry.export_places(reg, path)
    console.print(f"wrote {len(reg)} places to {path}")


def register(app: typer.Typer) -> None:
    """Add the ``places`` group to the CLI."""
    app.add_typer(places_app, name="places")
