"""
``kaiteki kpi``: the plan's KPIs. ``kaiteki kpi places`` is the climate-normalised
comfortable-places KPI (``api.services.places_kpi``, the same object as ``GET /v1/kpi``).

The group is :data:`kpi_app`; other modules add their commands to it (``steps``, ``plan``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.cli._common import (
    CsvOption,
    output_format,
    print_json,
    settings,
    stdout_console,
    write_csv,
)
from comfort.errors import KPIError

kpi_app = typer.Typer(
    help="The plan's KPIs: comfortable places (climate-normalised), steps, planner targets.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ShareOption = Annotated[
    float, typer.Option(help="Share of a place's meant hours that must be comfortable.")
]
BandOption = Annotated[
    str | None,
    typer.Option(help="Acceptable UTCI band LOWER,UPPER (°C), e.g. a locally calibrated one."),
]
ReferenceOption = Annotated[
    str,
    typer.Option(
        help="Reference climate: baseline (the baseline year's hourly field) or typical (a "
        "typical year from the real 2019-2022 series)."
    ),
]


def parse_band(text: str | None) -> tuple[float, float] | None:
    """``"4,22"`` → (4.0, 22.0); None stays None."""
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise KPIError(f"--band must be LOWER,UPPER in °C (e.g. 4,22); got {text!r}.") from exc
    if not lo < hi:
        raise KPIError(f"--band lower bound must be below the upper; got {text!r}.")
    return (lo, hi)


def places_object(
    reference: str = "baseline",
    share: float = 0.6,
    band: str | None = None,
    daytime_hours: tuple[int, int] = (10, 18),
) -> dict[str, Any]:
    """The places KPI object of the current settings (one code path for every command)."""
    from api.services.places_kpi import criteria_from, places_kpi

    crit = criteria_from(share, parse_band(band), "given" if band else None, daytime_hours)
    return places_kpi(settings(), reference=reference, criteria=crit)


def _fmt(value: Any, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def print_places_table(obj: dict[str, Any]) -> None:
    """The KPI object as tables on stdout: normalised series, actual weather, sensitivity."""
    from rich.table import Table

    out = stdout_console()
    sim = " — simulated data" if obj.get("simulated") else ""
    ref = obj.get("reference", {}).get("label", obj["reference_climate"])
    for key, title in (
        ("series", f"Comfortable places, climate-normalised (reference: {ref}){sim}"),
        ("actual_weather", f"Comfortable places under {obj['actual_weather_label']}{sim}"),
    ):
        table = Table(
            title=title,
            caption=f"baseline {obj['baseline_year']}, target {obj['target_ratio']:g}×; "
            "expected count with 90 % interval",
        )
        for col in ("year", "period", "places", "comfortable", "expected", "90 % interval",
                    "ratio", "progress"):  # fmt: skip
            table.add_column(col, justify="left" if col == "period" else "right")
        for r in obj[key]:
            table.add_row(
                str(r["year"]), r["period"], str(r["places"]), str(r["comfortable"]),
                f"{r['comfortable_expected']:.2f}",
                f"{r['comfortable_low']}–{r['comfortable_high']}",
                _fmt(r["ratio"], "{:.2f}×"),
                _fmt(None if r["progress"] is None else 100 * r["progress"], "{:.0f} %"),
            )  # fmt: skip
        out.print(table)
    if obj.get("sensitivity"):
        table = Table(title="Sensitivity (normalised, whole year)")
        for col in ("band", "share", "baseline expected", "year", "comfortable", "expected",
                    "ratio"):  # fmt: skip
            table.add_column(col)
        for r in obj["sensitivity"]:
            band = r["band"] + (f" {r['band_c']}" if r.get("band_c") else "")
            table.add_row(
                band, f"{r['share']:.2f}", f"{r['baseline_expected']:.2f}", str(r["year"]),
                str(r["comfortable"]), f"{r['comfortable_expected']:.2f}",
                _fmt(r["ratio"], "{:.2f}×"),
            )  # fmt: skip
        out.print(table)


#: Columns of ``kaiteki kpi places --csv``: both series in one table, told apart by ``basis``.
PLACES_CSV_COLUMNS = ("basis", "year", "period", "places", "comfortable", "comfortable_expected",
                      "comfortable_low", "comfortable_high", "ratio", "progress")  # fmt: skip


def places_csv_rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The normalised and actual-weather rows of a KPI object, with a ``basis`` column."""
    sim = bool(obj.get("simulated"))
    return [
        {"basis": basis, **r, "simulated": sim}
        for basis, key in (("climate_normalised", "series"), ("actual_weather", "actual_weather"))
        for r in obj[key]
    ]


@kpi_app.command("places")
def places(
    reference: ReferenceOption = "baseline",
    share: ShareOption = 0.6,
    band: BandOption = None,
    day_start: Annotated[int, typer.Option(help="First daytime hour (local).")] = 10,
    day_end: Annotated[int, typer.Option(help="End of daytime (local hour, exclusive).")] = 18,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Comfortable places per year and season under one reference climate (target 2×)."""
    fmt = output_format(as_json, as_csv)
    obj = places_object(reference, share, band, (day_start, day_end))
    if fmt == "json":
        print_json(obj)
    elif fmt == "csv":
        write_csv(places_csv_rows(obj), (*PLACES_CSV_COLUMNS, "simulated"))
    else:
        print_places_table(obj)


def register(app: typer.Typer) -> None:
    """Add the ``kpi`` group to the CLI."""
    app.add_typer(kpi_app, name="kpi")
