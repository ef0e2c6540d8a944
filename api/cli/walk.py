"""
``kaiteki walk``: walkability tables of the walking network in use (nodes, edges, blocks, grid).

``kaiteki walk score`` computes the measures of :mod:`comfort.walkability` and saves four
GeoParquet tables (EPSG:6680 for the embedded Sapporo default) under
``<cache_dir>/walkability/`` or ``--out``. With a built comfort field it adds the
comfort-adjusted variant for a season and hour (mean comfort of that season's days at that hour).
"""

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
from api.cli.route import compiled_graph
from comfort.constants import SEASONS, season_of_month
from comfort.errors import RoutingError

walk_app = typer.Typer(help="Walkability scores of the walking network.", no_args_is_help=True)

_SEASON_MONTHS = {s: tuple(m for m in range(1, 13) if season_of_month(m) == s) for s in SEASONS}


def _season_comfort(cg, season: str, hour: int, year: int | None):  # type: ignore[no-untyped-def]
    """Mean comfort per directed edge for a season and hour, with a note; None without field."""
    import numpy as np
    import pandas as pd

    from sensors import fieldstore
    from sensors.conditions import is_simulated

    years = fieldstore.available_years(settings().cache_dir)
    if not years:
        return None, "no comfort field built: comfort-adjusted columns left out"
    y = year if year in years else years[-1]
    ds = fieldstore.load_year(settings().cache_dir, y, chunks={})
    times = pd.DatetimeIndex(ds["time"].to_numpy())
    sel = np.flatnonzero(times.month.isin(_SEASON_MONTHS[season]) & (times.hour == hour))
    if sel.size == 0:
        return None, f"comfort field {y} has no {season} hours at {hour}:00; left out"
    comfort = ds["comfort"].isel(time=sel).mean("time").compute()
    try:
        per_edge = cg.per_edge(
            np.asarray(comfort.to_numpy(), dtype=float), comfort["edge"].to_numpy()
        )
    except RoutingError as exc:
        return None, f"comfort field {y} does not fit this network ({exc}); left out"
    simulated = is_simulated(ds)
    note = f"comfort-adjusted: mean comfort of {season} {y} at {hour:02d}:00 ({sel.size} hours)"
    return per_edge, note + (" from simulated sensor readings" if simulated else "")


@walk_app.command("score")
def score(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the GeoParquet tables (default <cache_dir>/walkability)."),
    ] = None,
    season: Annotated[
        str, typer.Option(help="Season of the comfort-adjusted variant: DJF, MAM, JJA or SON.")
    ] = "DJF",
    hour: Annotated[int, typer.Option(help="Hour of day (0–23) of the comfort variant.")] = 8,
    year: Annotated[
        int | None, typer.Option(help="Field year (default: the latest built).")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Perceived-distance weight α.")] = 1.0,
    osm_pois: Annotated[
        Path | None,
        typer.Option(
            "--osm-pois", help="OSM extract whose shops, food and services become destinations."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    as_csv: CsvOption = False,
) -> None:
    """
    Compute walkability per node, edge, census block and 100 m JIS mesh cell and save the tables.
    """
    if season not in SEASONS:
        raise typer.BadParameter(f"--season must be one of {', '.join(SEASONS)}; got {season}")
    if not 0 <= hour <= 23:
        raise typer.BadParameter(f"--hour must be 0..23; got {hour}")
    import pandas as pd

    from api import resources
    from comfort import walkability
    from sensors.destinations import destinations_from_osm_file, load_destinations

    s = settings()
    cg = compiled_graph()
    dest = load_destinations()
    sources = ["embedded stations and parks"]
    if osm_pois is not None:
        dest = pd.concat([dest, destinations_from_osm_file(osm_pois)], ignore_index=True)
        sources.append(f"OSM tags of {osm_pois.name}")
    dest = dest.to_crs(cg.crs)
    dest = dest.assign(x=dest.geometry.x, y=dest.geometry.y)
    blocks = resources.blocks().to_crs(cg.crs)
    comfort, note = _season_comfort(cg, season, hour, year)
    tables = walkability.walkability_tables(cg, dest, blocks, edge_comfort=comfort, alpha=alpha)
    folder = out or (s.cache_dir / "walkability")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, gdf in tables.items():
        path = folder / f"{name}.parquet"
        gdf.to_parquet(path)
        paths[name] = str(path)
    nodes = tables["nodes"]
    street = nodes[nodes["level"] == 0]
    summary = {
        "tables": paths,
        "nodes": len(nodes),
        "segments": len(tables["edges"]),
        "blocks": len(tables.get("blocks", [])),
        "grid_cells": len(tables["grid"]),
        "intersections": walkability.intersection_count(cg),
        "walkability_mean_street_nodes": round(float(street["walkability"].mean()), 1),
        "destination_categories": nodes.attrs.get("categories", []),
        "destinations_outside_network": nodes.attrs.get("destinations_dropped", 0),
        "destination_sources": sources,
        "comfort": note,
    }
    if "walkability_comfort" in nodes:
        summary["walkability_comfort_mean_street_nodes"] = round(
            float(street["walkability_comfort"].mean()), 1
        )
    fmt = output_format(as_json, as_csv)
    if fmt == "json":
        print_json(summary)
        return
    rows = [
        {"table": name, "rows": len(gdf), "mean_walkability": float(gdf["walkability"].mean())}
        for name, gdf in tables.items()
    ]
    print_table(
        rows,
        fmt=fmt,
        title="walkability (0–100)",
        headers={"mean_walkability": "mean walkability"},
        formats={"mean_walkability": "{:.1f}"},
    )
    console.print(f"saved to {folder}")
    console.print(note)


def register(app: typer.Typer) -> None:
    """Add the ``walk`` group to the CLI."""
    app.add_typer(walk_app, name="walk")
