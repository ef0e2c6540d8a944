"""
``kaiteki comfort index``: UTCI, WBGT, globe temperature, MRT and wind chill of one point.

The same function answers ``GET /v1/comfort/index``
(:func:`comfort.indices.calculator.thermal_indices`); docs/INDICES.md, "Calculator".
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli._common import print_json
from api.cli.comfort import comfort_app


@comfort_app.command("index")
def index(
    ta: Annotated[float, typer.Option("--ta", help="Air temperature (°C).")],
    rh: Annotated[float, typer.Option("--rh", help="Relative humidity (%), 0..100.")],
    wind: Annotated[float, typer.Option("--wind", help="Wind speed (m/s) at --wind-height, >= 0.")],
    mrt: Annotated[
        float | None, typer.Option("--mrt", help="Mean radiant temperature (°C).")
    ] = None,
    globe: Annotated[
        float | None,
        typer.Option("--globe", help="Globe temperature (°C) of a 0.15 m globe, instead of --mrt."),
    ] = None,
    wind_height: Annotated[
        float,
        typer.Option("--wind-height", help="Height (m) of the wind reading (10 m: a station)."),
    ] = 10.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """UTCI (and category), outdoor WBGT, globe temperature, MRT and wind chill of one point."""
    from rich.console import Console
    from rich.table import Table

    from comfort.indices.calculator import FLAGS, thermal_indices

    if (mrt is None) == (globe is None):
        raise typer.BadParameter("give exactly one of --mrt C and --globe C", param_hint="--mrt")
    result = thermal_indices(
        ta, rh, wind, mrt_c=mrt, globe_temp_c=globe, wind_height_m=wind_height
    ).to_dict()
    if as_json:
        print_json(result)
        return
    table = Table(title="Thermal indices of one point (°C)")
    table.add_column("index")
    table.add_column("value", justify="right")
    for key in ("utci_c", "wbgt_c", "globe_temperature_c", "mrt_c", "wind_chill_c"):
        value = result[key]
        table.add_row(key, "undefined" if value is None else f"{value:.1f}")
    table.add_row("utci_category", f"{result['utci_category_en']} / {result['utci_category_ja']}")
    out = Console()
    out.print(table)
    for flag in result["flags"]:
        out.print(f"flag {flag}: {FLAGS[flag]}")
