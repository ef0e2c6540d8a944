"""
``kaiteki prepare``: everything ``make demo`` needs before serving, idempotent and cached.

It runs the same commands a user would, in order: build the embedded area; ingest the real
Sapporo files; simulate the sensors that do not exist offline for the baseline and current
years (labelled simulated) and ingest them; build the comfort field of both years; score
walkability; print the comfortable-places KPI (baseline year and current year); fold the
page-view logs of past days into the store (``kaiteki views compact``). Each step is
skipped when its output is already there, so a second run is quick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import console, settings


def _cli(args: list[str]) -> None:
    from api.cli import app

    try:
        app(args, standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise typer.Exit(int(exc.code) if isinstance(exc.code, int) else 1) from exc


def _step(title: str, done: bool, run: Callable[[], None]) -> None:
    if done:
        console.print(f"[dim]✓ {title} (already done)[/dim]")
        return
    t0 = time.perf_counter()
    console.print(f"[bold]→ {title}[/bold]")
    run()
    console.print(f"[green]✓ {title}[/green] ({time.perf_counter() - t0:.1f} s)")


def prepare(
    years: Annotated[
        list[int] | None,
        typer.Option("--year", help="Years to simulate (default: baseline and demo year)."),
    ] = None,
) -> None:
    """Prepare the embedded Sapporo data: area, real data, simulated sensors, field, walkability."""
    s = settings()
    s.require_data_dir()
    sim_dir = s.cache_dir / "simulated"
    years = years or sorted({s.baseline_year, s.demo_year})
    data = s.data_dir

    _step("walking network of the embedded area", False, lambda: _cli(["area", "info"]))
    real = [
        ("weather", data / "sapporo_daily_chikaho_subway_weather_2019-2022.csv"),
        ("chikaho", data / "sapporo_daily_chikaho_subway_weather_2019-2022.csv"),
        ("mesh", data / "mlit_peopleflow_1km_sapporo_downtown.geojson"),
        ("steps", data / "fitbit_hourlySteps_merged.csv"),
    ]
    for kind, path in real:
        _step(
            f"ingest real {kind} data ({path.name})",
            False,
            partial(_cli, ["ingest", kind, str(path)]),
        )
    for year in years:
        out = sim_dir / str(year)
        for what in ("thermal", "flow"):
            marker = out / f".{what}.done"
            _step(
                f"simulate {what} sensors for {year} (simulated)",
                marker.exists(),
                partial(_simulate, what, year, out, marker),
            )
        _step(f"ingest simulated sensors for {year}", False, partial(_ingest_dir, out))
    for year in years:
        _step(
            f"comfort field {year}",
            _field_exists(s.cache_dir, year),
            partial(_cli, ["comfort", "build", "--year", str(year)]),
        )
    last = years[-1]
    survey_dir = sim_dir / str(last)
    _step(
        f"simulate questionnaire {last} (simulated)",
        (survey_dir / ".survey.done").exists(),
        lambda: _simulate("survey", last, survey_dir, survey_dir / ".survey.done"),
    )
    _step("ingest simulated questionnaire", False, lambda: _ingest_dir(survey_dir, only="survey"))
    _step("walkability scores", False, lambda: _cli(["walk", "score"]))
    _step("comfortable places against the baseline year", False, lambda: _cli(["comfort", "kpi"]))
    _step("page-view logs of past days into the store", False, lambda: _cli(["views", "compact"]))
    console.print("[bold green]prepared[/bold green]: run `kaiteki serve` to open the app")


def _simulate(what: str, year: int, out: Path, marker: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _cli(["simulate", what, "--year", str(year), "--out", str(out)])
    marker.write_text("done\n")


#: Simulator output files by ingest kind, in the order they must be ingested (registry first).
SIMULATED_FILES = {
    "sensors": "thermal_sensors_*.csv",
    "thermal": "thermal_readings_*.csv",
    "flow": "flow_*.csv",
    "dwell": "dwell_*.csv",
    "survey": "survey_[0-9]*.csv",
}


def _ingest_dir(folder: Path, only: str | None = None) -> None:
    for kind, pattern in SIMULATED_FILES.items():
        if only and kind != only:
            continue
        files = sorted(folder.glob(pattern))
        if files:
            _cli(["ingest", kind, *map(str, files)])


def _field_exists(cache_dir: Path, year: int) -> bool:
    """Whether the field of ``year`` is built, as NetCDF or as Zarr (``--engine dask``)."""
    from sensors.fieldstore import built_path

    return built_path(cache_dir, year).exists()


def register(app: typer.Typer) -> None:
    """Add the ``prepare`` command."""
    app.command("prepare")(prepare)
