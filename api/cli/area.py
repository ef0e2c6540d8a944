"""``kaiteki area``: build, describe and export the planning area and its walking network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import (
    CsvOption,
    console,
    output_format,
    print_json,
    print_table,
    settings,
)

area_app = typer.Typer(help="The planning area and its walking network.", no_args_is_help=True)


@area_app.command("build")
def build(
    place: Annotated[
        str | None, typer.Option(help="Place name to download from OSM (needs internet).")
    ] = None,
    polygon: Annotated[
        Path | None, typer.Option(help="GeoJSON polygon to download OSM inside (needs internet).")
    ] = None,
    osm_file: Annotated[
        Path | None, typer.Option("--osm", help="Local .osm or .osm.pbf extract (offline).")
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="Projected CRS for OSM graphs (default: UTM zone).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the build report as JSON.")
    ] = False,
) -> None:
    """
    Build the walking network: the embedded Sapporo default (no option), or from OSM.

    The built graph becomes the one every command and the app use; `kaiteki area build` with no
    option switches back to the embedded default.
    """
    from rich.table import Table

    from api import resources
    from comfort import network
    from sensors import area, osm

    s = settings()
    chosen = [x for x in (place, polygon, osm_file) if x is not None]
    if len(chosen) > 1:
        raise typer.BadParameter("give at most one of --place, --polygon, --osm")
    if not chosen:
        area.set_current_graph(s.cache_dir, None)
        resources.clear()
        G = resources.graph()
        report = {"source": G.graph.get("source"), **network.summary(G)}
    else:
        if osm_file is not None:
            G, rep = osm.graph_from_osm_file(osm_file, to_crs=crs)
        elif polygon is not None:
            G, rep = osm.graph_from_polygon_file(polygon, to_crs=crs)
        else:
            G, rep = osm.graph_from_place(str(place), to_crs=crs)
        folder = area.save_osm_graph(G, s.cache_dir, rep.source)
        resources.clear()
        report = {**rep.as_dict(), "saved_to": str(folder)}
    if as_json:
        print_json(report)
        return
    table = Table(title="area build", show_header=False)
    for k, v in report.items():
        table.add_row(str(k), str(v))
    console.print(table)
    if report.get("ways_dropped_clipped"):
        console.print(
            f"[yellow]{report['ways_dropped_clipped']} ways dropped and "
            f"{report['ways_truncated']} cut because the extract clips them[/yellow]"
        )


@area_app.command("info")
def info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    as_csv: CsvOption = False,
) -> None:
    """Nodes, edges, street and underground km, planning-area ha, connected components."""
    from api import resources
    from comfort import network

    G = resources.graph()
    pa = resources.planning_area()
    full = network.summary(G, float(pa.geometry.iloc[0].area))
    keys = ("nodes", "edges", "street_km", "underground_km", "planning_area_ha", "components")
    out = {k: full[k] for k in keys}
    print_table(
        [{"measure": k, "value": out[k]} for k in keys],
        fmt=output_format(as_json, as_csv),
        title=f"walking network ({G.graph.get('source', 'unknown source')})",
        json_obj=out,
    )


@area_app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="graphml or geoparquet.")],
    out: Annotated[Path, typer.Option(help="Output file (graphml) or folder (geoparquet).")],
) -> None:
    """Write the graph as GraphML (osmnx.load_graphml reads it) or GeoParquet (geopandas)."""
    from api import resources
    from sensors import area

    path = area.export_graph(resources.graph(), fmt, out)
    console.print(f"wrote {fmt} to {path}")


@area_app.command("planning-area")
def planning_area_cmd(
    out: Annotated[Path, typer.Option(help="GeoJSON file to write (EPSG:4326).")],
) -> None:
    """Write the planning area as GeoJSON, to edit and pass back through KAITEKI_AREA."""
    from api import resources

    pa = resources.planning_area().to_crs("EPSG:4326")
    out.parent.mkdir(parents=True, exist_ok=True)
    pa.to_file(out, driver="GeoJSON")
    console.print(f"wrote the planning area ({pa['area_ha'].iloc[0]} ha) to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``area`` group."""
    app.add_typer(area_app, name="area")
