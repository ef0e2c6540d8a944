"""
``kaiteki simulate``: write simulated thermal readings, people-flow/dwell counts and survey
responses (labelled simulated) that follow the real Sapporo daily data of the chosen year.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli._common import console, print_json, settings

if TYPE_CHECKING:
    import pandas as pd

#: The real Sapporo daily file (weather and Chi-Ka-Ho counts) in the data directory.
DAILY_FILE = "sapporo_daily_chikaho_subway_weather_2019-2022.csv"

simulate_app = typer.Typer(
    help=(
        "Write SIMULATED sensor data (thermal readings, Chi-Ka-Ho 15-minute counts and dwell, "
        "survey responses) that follow the real Sapporo daily data of a year."
    ),
    no_args_is_help=True,
)

Year = Annotated[int | None, typer.Option(help="Year to simulate (default: the demo year).")]
Out = Annotated[Path, typer.Option("--out", help="Output folder (created if needed).")]
Seed = Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _report(kind: str, year: int, written: dict[str, int], notes: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "simulated": True,
                "kind": kind,
                "year": year,
                "files": [{"file": f, "rows": r} for f, r in written.items()],
                "notes": notes,
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"simulated {kind} data, {year} (SIMULATED, not measurements)")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for f, r in written.items():
        table.add_row(f, f"{r:,}")
    console.print(table)
    for note in notes:
        console.print(f"simulated {kind}: {note}")


def _days_note(dates: pd.Series | pd.DatetimeIndex, year: int) -> str:
    import pandas as pd

    from sensors.simulate._base import TZ

    days = pd.DatetimeIndex(dates).tz_convert(TZ).normalize().unique()
    full = pd.date_range(f"{year}-01-01", f"{year}-12-31", tz=TZ)
    missing = full.difference(days)
    text = f"{len(days)} days of {year} follow the real daily data"
    if len(missing):
        text += (
            f"; {len(missing)} days are not in the real file and were not simulated "
            f"(first {missing[0].date()}, last {missing[-1].date()})"
        )
    return text


def _thermal(
    year: int, seed: int, interval_min: int, pattern: str = "covariates"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from api import resources
    from sensors.simulate import simulate_thermal
    from sensors.weather import read_daily_weather

    weather = read_daily_weather(settings().data_file(DAILY_FILE))
    G = resources.graph()
    area = resources.planning_area().to_crs(G.graph["crs"]).geometry.union_all()
    return simulate_thermal(G, weather, year, seed, interval_min, within=area, pattern=pattern)


@simulate_app.command("thermal")
def thermal(
    out: Out,
    year: Year = None,
    seed: Seed = 42,
    interval_min: Annotated[
        int, typer.Option("--interval-min", help="Reading interval in minutes (divides a day).")
    ] = 60,
    pattern: Annotated[
        str,
        typer.Option(
            "--pattern",
            help=(
                "Spatial pattern: 'covariates' (street orientation, width class, park, river: "
                "the field's own covariates) or 'canyon' (building height/width, bearing vs "
                "sun, trees: nothing the field regresses on, for an honest validation)."
            ),
        ),
    ] = "covariates",
    as_json: AsJson = False,
) -> None:
    """Simulated fixed-station thermal readings (~40 street, ~6 underground) for a year."""
    from sensors.simulate import write_tables

    y = year if year is not None else settings().demo_year
    registry, readings = _thermal(y, seed, interval_min, pattern)
    faults = readings.attrs["faults"]
    written = write_tables(
        {
            f"thermal_sensors_{y}.csv": registry,
            f"thermal_readings_{y}.csv": readings,
            f"thermal_faults_{y}.csv": faults,
        },
        out,
        "thermal",
        y,
        seed,
        [DAILY_FILE, "area graph in use"],
        {"interval_min": interval_min, "pattern": pattern},
    )
    notes = [
        _days_note(readings["time"], y),
        f"spatial pattern: {pattern}",
        f"{len(registry)} stations; {len(faults)} injected faults "
        f"(spikes, stuck periods, gaps) listed in thermal_faults_{y}.csv",
    ]
    _report("thermal", y, written, notes, as_json)


@simulate_app.command("flow")
def flow(out: Out, year: Year = None, seed: Seed = 42, as_json: AsJson = False) -> None:
    """Simulated Chi-Ka-Ho 15-minute counts (J1..J5, N/S) and plaza dwell counts for a year."""
    import pandas as pd

    from sensors.chikaho import read_chikaho_daily
    from sensors.simulate import simulate_flow, write_tables
    from sensors.weather import read_daily_weather

    y = year if year is not None else settings().demo_year
    path = settings().data_file(DAILY_FILE)
    counts, dwell = simulate_flow(read_chikaho_daily(path), y, seed, read_daily_weather(path))
    written = write_tables(
        {f"flow_chikaho_15min_{y}.csv": counts, f"dwell_chikaho_{y}.csv": dwell},
        out,
        "flow",
        y,
        seed,
        [DAILY_FILE],
        {"interval_min": 15},
    )
    notes = [
        _days_note(counts["time"] - pd.Timedelta(hours=5), y),
        "the 15-minute counts of each array (both directions) average exactly to the real "
        "daily value of that date",
    ]
    _report("flow", y, written, notes, as_json)


def _readings_for_survey(out: Path, year: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    import pandas as pd

    from sensors.simulate._base import TZ

    reg_file, read_file = out / f"thermal_sensors_{year}.csv", out / f"thermal_readings_{year}.csv"
    if reg_file.is_file() and read_file.is_file():
        registry = pd.read_csv(reg_file)
        readings = pd.read_csv(read_file)
        readings["time"] = pd.to_datetime(readings["time"], format="ISO8601").dt.tz_convert(TZ)
        return registry, readings, f"votes follow the simulated readings in {read_file}"
    registry, readings = _thermal(year, seed, 60)
    return registry, readings, "votes follow hourly simulated readings (same seed)"


@simulate_app.command("survey")
def survey(
    out: Out,
    year: Year = None,
    seed: Seed = 42,
    n: Annotated[int, typer.Option("--n", help="Number of responses.")] = 2000,
    as_json: AsJson = False,
) -> None:
    """
    Simulated questionnaire responses tied to the UTCI of the simulated readings.

    Uses thermal_readings_YEAR.csv in --out when present (write it first with `kaiteki
    simulate thermal`), else simulates hourly readings with the same seed.
    """
    from sensors.simulate import places_from_registry, simulate_survey, write_tables

    y = year if year is not None else settings().demo_year
    registry, readings, source = _readings_for_survey(out, y, seed)
    responses, conditions = simulate_survey(readings, places_from_registry(registry), y, seed, n)
    extra: dict[str, Any] = {"n": n}
    written = write_tables(
        {f"survey_{y}.csv": responses, f"survey_conditions_{y}.csv": conditions},
        out,
        "survey",
        y,
        seed,
        [DAILY_FILE, "simulated thermal readings"],
        extra,
    )
    _report("survey", y, written, [source], as_json)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` group to the CLI."""
    app.add_typer(simulate_app, name="simulate")
