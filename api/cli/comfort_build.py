"""
``kaiteki comfort build`` and ``kaiteki comfort cv``: the comfort field of a year.

``build`` reads the year's thermal readings and the sensor registry from the store, the walking
network's segments and the places layer, fits the field (:mod:`comfort.field`), writes it to
``<cache_dir>/field/<year>.nc`` (:func:`sensors.fieldstore.field_path`) block by block with a
progress bar, and prints the leave-one-sensor-out cross-validation table. ``cv`` prints the
table only. ``calibrate`` fits the locally calibrated comfort band from the questionnaire votes
of a year whose field is built.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli._common import (
    CsvOption,
    console,
    output_format,
    print_json,
    print_table,
    settings,
    stdout_console,
)
from api.cli.comfort import comfort_app
from comfort.errors import FieldInputError

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from comfort import field

YearOption = Annotated[
    int | None,
    typer.Option("--year", help="Calendar year (default: the demo year, KAITEKI_DEMO_YEAR)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _places() -> Any:
    """The embedded places layer (sensors/data/places.geojson)."""
    from sensors.places import load_places

    return load_places()


def _inputs(year: int) -> tuple[pd.DataFrame, pd.DataFrame, Any, Any]:
    import pandas as pd

    from api import resources
    from sensors.store import Store, store_exists

    s = settings()
    with Store(s.store, read_only=store_exists(s.store)) as store:
        readings = store.readings(start=f"{year}-01-01", end=f"{year + 1}-01-01")
        registry = store.sensors()
    if readings.empty:
        raise FieldInputError(
            f"no thermal readings for {year} in the store {s.store}. Ingest some first, e.g. "
            f"`kaiteki simulate thermal --year {year} --out DIR` then "
            "`kaiteki ingest sensors DIR/sensors*.csv` and `kaiteki ingest thermal DIR/thermal*.csv`."
        )
    return (
        readings,
        pd.DataFrame(registry.drop(columns="geometry", errors="ignore")),
        (resources.segments()),
        _places(),
    )


def _fit(year: int, say: Any = None) -> field.FieldModel:
    import pandas as pd

    from comfort import field

    readings, registry, segments, places = _inputs(year)
    times = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    return field.fit_field(
        readings,
        registry,
        segments,
        places,
        times=times,
        source=f"kaiteki store {settings().store.name}, thermal readings {year}",
        progress=say,
    )


def _cv_table(cv: pd.DataFrame, simulated: bool) -> Table:
    from rich.table import Table

    title = "Leave-one-sensor-out cross-validation" + (" (simulated data)" if simulated else "")
    table = Table(title=title)
    cols = ("group", "variable", "RMSE", "bias", "MAE", "n", "sensors", "90% interval coverage")
    for col in cols:
        table.add_column(col, justify="left" if col in ("group", "variable") else "right")
    for row in cv.itertuples():
        cover = getattr(row, "coverage_90", float("nan"))
        table.add_row(
            str(row.group),
            str(row.variable),
            f"{row.rmse:.2f}",
            f"{row.bias:+.2f}",
            f"{row.mae:.2f}",
            f"{row.n:,}",
            str(row.sensors),
            "" if cover != cover else f"{cover:.3f}",
        )
    return table


def _cv_records(cv: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            k: (None if v != v else round(v, 4)) if isinstance(v, float) else v
            for k, v in rec.items()
        }
        for rec in cv.to_dict("records")
    ]


@comfort_app.command("build")
def build(
    year: YearOption = None,
    block_hours: Annotated[
        int, typer.Option("--block-hours", min=24, help="Hours computed and written at once.")
    ] = 744,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help=(
                "memory: NetCDF <year>.nc built in this process; dask: Zarr <year>.zarr built "
                "chunk by chunk on a Dask cluster (KAITEKI_DASK_*); auto: dask above "
                "KAITEKI_DASK_ABOVE_CELLS targets x hours."
            ),
        ),
    ] = "auto",
    keepbits: Annotated[
        int | None,
        typer.Option(
            "--keepbits",
            min=1,
            max=23,
            help=(
                "Float32 mantissa bits kept in the Zarr store (relative error at most "
                "2^-(keepbits+1); 12 halves a city's store); implies --engine dask. "
                "Default: lossless."
            ),
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build the hourly comfort field of a year on every street segment and place."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sensors.fieldstore import FieldWriter, field_path

    if engine not in ("auto", "memory", "dask"):
        raise typer.BadParameter(
            f"--engine must be auto, memory or dask; got {engine!r}.", param_hint="--engine"
        )
    if keepbits is not None:
        if engine == "memory":
            raise typer.BadParameter(
                "--keepbits rounds the Zarr store of the Dask engine; --engine memory writes "
                "a lossless NetCDF file. Use --engine dask (or auto) or leave --keepbits out.",
                param_hint="--keepbits",
            )
        engine = "dask"  # only the Zarr store rounds mantissas
    s = settings()
    year = year or s.demo_year
    t0 = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        fit_task = progress.add_task(f"fit field {year}", total=3)
        model = _fit(year, say=lambda _msg: progress.advance(fit_task))
        cells = (len(model.edges) + len(model.places)) * len(model.times)
        if engine == "auto":
            engine = "dask" if cells > s.dask_above_cells else "memory"
        if engine == "dask":
            out = _build_dask(model, year, progress, keepbits)
        else:
            n_blocks = -(-len(model.times) // block_hours)
            write_task = progress.add_task(f"write field {year}", total=n_blocks)
            out = field_path(s.cache_dir, year)
            with FieldWriter(out) as writer:
                for block in model.iter_blocks(block_hours):
                    writer.append(block)
                    progress.advance(write_task)
    simulated = bool(model.arrays.simulated)
    sensors_with_data = _with_data(model.arrays.values)
    summary = {
        "year": year,
        "path": str(out),
        "engine": engine,
        "keepbits": keepbits,
        "hours": len(model.times),
        "hours_with_data": int(sensors_with_data.any(axis=1).sum()),
        "sensors_with_data": int(sensors_with_data.any(axis=0).sum()),
        "edges": len(model.edges),
        "places": len(model.places),
        "sensors": len(model.arrays.sensors),
        "simulated": simulated,
        "readings_excluded": model.arrays.excluded,
        "seconds": round(time.perf_counter() - t0, 1),
        "cv": _cv_records(model.cv),
    }
    if as_json:
        print_json(summary)
        return
    console.print(_cv_table(model.cv, simulated))
    label = " [yellow](simulated)[/yellow]" if simulated else ""
    console.print(
        f"comfort field {year}{label}: {summary['edges']} edges, {summary['places']} places, "
        f"{summary['hours_with_data']:,} hours with data of {summary['hours']:,} "
        f"(readings from {summary['sensors_with_data']} of {summary['sensors']} sensors) → "
        f"{out} ({summary['seconds']} s)"
    )


def _with_data(values: dict[str, Any]) -> Any:
    """``(hour, sensor)`` booleans: any variable measured (finite) at that sensor and hour."""
    import numpy as np

    arrays = [np.isfinite(np.asarray(v, dtype=np.float64)) for v in values.values()]
    return np.logical_or.reduce(arrays)


def _build_dask(
    model: field.FieldModel, year: int, progress: Any, keepbits: int | None = None
) -> Any:
    """Write the field to ``<cache_dir>/field/<year>.zarr`` with Dask (KAITEKI_DASK_*)."""
    from sensors.dask_ import dask_client
    from sensors.fieldzarr import write_field_zarr, zarr_path

    s = settings()
    task = progress.add_task(f"write field {year} (dask)", total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    with dask_client(s.dask_scheduler, s.dask_workers, s.dask_memory_limit) as client:
        return write_field_zarr(
            model, zarr_path(s.cache_dir, year), client, progress=advance, keepbits=keepbits
        )


@comfort_app.command("cv")
def cv(year: YearOption = None, as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """Leave-one-sensor-out cross-validation RMSE of the field (air, MRT, wind, RH, UTCI)."""
    fmt = output_format(as_json, as_csv)
    year = year or settings().demo_year
    model = _fit(year)
    records = _cv_records(model.cv)
    if fmt == "json":
        print_json({"year": year, "simulated": model.arrays.simulated, "cv": records})
    elif fmt == "csv":
        sim = bool(model.arrays.simulated)
        print_table([{**r, "simulated": sim} for r in records], fmt="csv")
    else:
        stdout_console().print(_cv_table(model.cv, model.arrays.simulated))


@comfort_app.command("calibrate")
def calibrate(
    year: YearOption = None,
    min_votes: Annotated[int, typer.Option("--min-votes", min=5)] = 30,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Fit the UTCI band questionnaire respondents find neutral / acceptable, by season."""
    import pandas as pd
    from rich.table import Table

    from comfort.calibration import fit_comfort_band, votes_with_utci
    from sensors.fieldstore import load_year
    from sensors.store import Store, store_exists

    s = settings()
    year = year or s.demo_year
    ds = load_year(s.cache_dir, year)
    with Store(s.store, read_only=store_exists(s.store)) as store:
        votes = store.survey(start=f"{year}-01-01", end=f"{year + 1}-01-01")
    if votes.empty:
        raise FieldInputError(
            f"no questionnaire votes for {year} in the store {s.store}; ingest some with "
            "`kaiteki ingest survey FILE` (or simulate them: `kaiteki simulate survey`)."
        )
    located = votes_with_utci(pd.DataFrame(votes.drop(columns="geometry", errors="ignore")), ds)
    table = fit_comfort_band(located, min_votes=min_votes)
    simulated = bool(ds.attrs.get("simulated")) or bool(
        "simulated" in votes.columns and votes["simulated"].astype(bool).any()
    )
    if output_format(as_json, as_csv) == "json":
        rec = table.reset_index().astype(object).where(table.reset_index().notna(), None)
        print_json(
            {
                "year": year,
                "simulated": simulated,
                "votes_flagged_skipped": table.attrs["n_flagged"],
                "bands": rec.to_dict("records"),
            }
        )
        return
    if as_csv:
        rec = table.reset_index().astype(object).where(table.reset_index().notna(), None)
        print_table([{**r, "simulated": simulated} for r in rec.to_dict("records")], fmt="csv")
        return
    title = f"Calibrated UTCI bands {year} (°C)" + (" (simulated data)" if simulated else "")
    out = Table(title=title)
    for col in ("season", "votes", "neutral", "neutral band", "acceptable band", "note"):
        out.add_column(col, justify="left" if col in ("season", "note") else "right")

    def num(v: float) -> str:
        return "n/a" if pd.isna(v) else f"{v:.1f}"

    for season, row in table.iterrows():
        out.add_row(
            str(season),
            str(row["n"]),
            num(row["neutral_utci_c"]),
            f"{num(row['neutral_low_c'])} – {num(row['neutral_high_c'])}",
            f"{num(row['acceptable_low_c'])} – {num(row['acceptable_high_c'])}",
            str(row["note"] or ""),
        )
    stdout_console().print(out)
    overall = table.loc["all"]
    console.print(
        f"{table.attrs['n_flagged']} flagged votes skipped (QC flags); {overall['model']} "
        f"model, UTCI error correction: {overall['correction']} (slope "
        f"{overall['slope_naive_per_c']:.3f} → {overall['slope_per_c']:.3f} per °C, all seasons)"
    )
