"""
``kaiteki export KIND --format FORMAT --out PATH``: tables and the comfort field for researchers.

The logic lives in :mod:`sensors.export`; this module picks the data (store, field cache,
walkability tables, places layer) from the settings and shows a progress bar.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import console, print_json, settings

#: Kinds holding one row per person and moment: exported only with ``--researcher``.
ROW_LEVEL_PERSONAL = ("steps", "survey")


class Kind(StrEnum):
    """What to export."""

    readings = "readings"
    counts = "counts"
    steps = "steps"
    survey = "survey"
    field = "field"
    walkability = "walkability"
    places = "places"


class Format(StrEnum):
    """Output format."""

    parquet = "parquet"
    geoparquet = "geoparquet"
    gpkg = "gpkg"
    netcdf = "netcdf"
    csv = "csv"
    ngsi_ld = "ngsi-ld"


@contextmanager
def _progress(label: str, quiet: bool) -> Iterator[object]:
    if quiet:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def export(
    kind: Annotated[Kind, typer.Argument(help="What to export.")],
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help=(
                "parquet, geoparquet, gpkg, netcdf, csv or ngsi-ld (not every format fits "
                "every kind; ngsi-ld: readings and counts)."
            ),
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    start: Annotated[
        str | None, typer.Option(help="Store tables: first time (ISO; naive = Asia/Tokyo).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Store tables: end time, exclusive.")] = None,
    year: Annotated[
        int | None, typer.Option(help="Field: the year (default: the latest built).")
    ] = None,
    layer: Annotated[
        str, typer.Option(help="Walkability: nodes, edges, blocks or grid.")
    ] = "edges",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    researcher: Annotated[
        bool,
        typer.Option(
            "--researcher",
            help=(
                "Required for steps and survey: confirms a researcher export of row-level "
                "personal data (pseudonymised steps per participant, single questionnaire "
                "answers with time and place), to be kept under the project's data agreement."
            ),
        ),
    ] = False,
) -> None:
    """
    Export data with its metadata (units, sources and licences, simulated flags).

    steps and survey are row-level personal data: they are exported only with --researcher.

    Kinds and formats: readings (parquet, geoparquet, gpkg, netcdf, csv, ngsi-ld); counts
    (parquet, netcdf, csv, ngsi-ld: NGSI-LD entities); steps (parquet, netcdf, csv; pseudonyms
    only); survey, walkability, places (parquet, geoparquet, gpkg, csv); field (netcdf; geoparquet: a long table per segment and hour with
    standard errors and nearest_sensor_m). Metadata goes into Parquet key-value metadata,
    NetCDF attributes, or a sidecar FILE.json beside CSV and GeoPackage files.
    """
    from sensors import export as ex

    k, f = kind.value, fmt.value
    ex.check_combination(k, f)
    if k in ROW_LEVEL_PERSONAL and not researcher:
        from sensors.errors import ExportError

        raise ExportError(
            f"{k} export refused: it writes row-level personal data ("
            + ("each participant's pseudonymised steps" if k == "steps" else
               "single questionnaire answers with their time and place")
            + "). Researchers add --researcher to confirm; published figures come from the "
            "k-anonymous aggregates (GET /v1/kpi) instead."
        )  # fmt: skip
    s = settings()
    with _progress(f"export {k} → {out.name}", as_json) as progress:
        cb = progress if callable(progress) else None
        if k in ("readings", "counts", "steps", "survey"):
            from sensors.store import Store

            blocks = None
            if k == "survey":  # answers located by census block get the block's centroid
                from comfort.constants import CENSUS_FILE
                from sensors.area import load_blocks

                blocks = load_blocks(s.data_file(CENSUS_FILE))
            with Store(s.store, read_only=True) as store:
                result = ex.export_store(
                    store, k, f, out, start=start, end=end, progress=cb,
                    pseudonym_key=s.pseudonym_key, blocks=blocks,
                )  # fmt: skip
        elif k == "field":
            from sensors import fieldstore
            from sensors.errors import FieldNotFoundError

            years = fieldstore.available_years(s.cache_dir)
            if not years and year is None:
                raise FieldNotFoundError(
                    f"no comfort field built under {s.cache_dir}; run `kaiteki comfort build "
                    "--year YEAR` (or `kaiteki prepare`) first."
                )
            y = year if year is not None else years[-1]
            ds = fieldstore.load_year(s.cache_dir, y, chunks={})
            try:
                if f == "geoparquet":
                    from sensors.export.field import write_field_table

                    result = write_field_table(ds, out, progress=cb)
                else:
                    result = ex.write_field(ds, out, progress=cb)
            finally:
                ds.close()
        elif k == "walkability":
            table = ex.walkability_layer(s.cache_dir / "walkability", layer)
            simulated = any("comfort" in str(c) for c in table.columns) and _field_simulated()
            sources = [ex.KNOWN_SOURCES["sapporo_downtown_chome_2015.geojson"]]
            if simulated:
                sources.append(f"comfort-adjusted columns: comfort field, {ex.SIMULATED_SOURCE}")
            result = ex.write_table(
                table, out, f, k, layer=layer, simulated=simulated, progress=cb,
                sources=sources, extra={"layer_name": layer},
            )  # fmt: skip
        else:
            from sensors.places import PLACES_FILE, load_places

            table = load_places()
            result = ex.write_table(
                table, out, f, k, simulated=False, progress=cb,
                sources=[f"{PLACES_FILE.name}: derived from "
                         + ex.KNOWN_SOURCES["sapporo_downtown_chome_2015.geojson"]],
            )  # fmt: skip
    summary = {
        "path": str(result.path),
        "kind": result.kind,
        "format": result.format,
        "rows": result.rows,
        "simulated": result.metadata["simulated"],
        "metadata": str(result.sidecar) if result.sidecar else "embedded in the file",
    }
    if as_json:
        print_json(summary)
        return
    label = " [yellow](contains simulated data)[/yellow]" if summary["simulated"] else ""
    console.print(
        f"[green]exported[/green] {result.rows} {'time steps' if k == 'field' else 'rows'} of "
        f"{k} to {result.path}{label}; metadata: {summary['metadata']}"
    )


def _field_simulated() -> bool:
    """Whether the latest built comfort field (behind comfort-adjusted walkability) is simulated."""
    from sensors import fieldstore

    years = fieldstore.available_years(settings().cache_dir)
    if not years:
        return False
    with fieldstore.load_year(settings().cache_dir, years[-1], chunks={}) as ds:
        return bool(ds.attrs.get("simulated", False))


def register(app: typer.Typer) -> None:
    """Add the ``export`` command."""
    app.command("export")(export)
