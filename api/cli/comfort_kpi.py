"""
``kaiteki comfort kpi`` (an alias of ``kaiteki kpi places``: the climate-normalised
comfortable-places KPI) and ``kaiteki comfort scenario``: planner "what if" scenarios on one
place.

Both read the built fields (``<cache_dir>/field/<year>.nc``, :mod:`sensors.fieldstore`) and the
places layer (:mod:`sensors.places`).
"""

from __future__ import annotations

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
from api.cli.comfort import comfort_app
from comfort.errors import KPIError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _place_frames(year: int) -> tuple[Any, bool, float]:
    """Place part of the field of ``year``, whether it is simulated, and the wind height."""
    from comfort.field import place_field
    from sensors.fieldstore import load_year

    ds = load_year(settings().cache_dir, year)
    simulated = bool(ds.attrs.get("simulated", False))
    height = float(ds.attrs.get("wind_reference_height_m", 1.5))
    return place_field(ds).load(), simulated, height


@comfort_app.command("kpi")
def kpi(
    share: Annotated[
        float, typer.Option(help="Share of a place's meant hours that must be comfortable.")
    ] = 0.6,
    day_start: Annotated[int, typer.Option(help="First daytime hour (local).")] = 10,
    day_end: Annotated[int, typer.Option(help="End of daytime (local hour, exclusive).")] = 18,
    band: Annotated[
        str | None,
        typer.Option(help="Acceptable UTCI band LOWER,UPPER (°C), e.g. a locally calibrated one."),
    ] = None,
    reference: Annotated[
        str, typer.Option(help="Reference climate: baseline or typical.")
    ] = "baseline",
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Alias of `kaiteki kpi places`: comfortable places, climate-normalised (target 2×)."""
    from api.cli.kpi import PLACES_CSV_COLUMNS, places_csv_rows, places_object, print_places_table

    fmt = output_format(as_json, as_csv)
    obj = places_object(reference, share, band, (day_start, day_end))
    if fmt == "json":
        print_json(obj)
    elif fmt == "csv":
        print_table(places_csv_rows(obj), fmt="csv", columns=(*PLACES_CSV_COLUMNS, "simulated"))
    else:
        print_places_table(obj)


@comfort_app.command("scenario")
def scenario(
    place: Annotated[str, typer.Option(help="place_id of the place that gets the intervention.")],
    add: Annotated[str, typer.Option(help="shade | wind_screen | warm_shelter | mist")],
    year: Annotated[
        int | None, typer.Option(help="Year of the field (default: demo year).")
    ] = None,
    share: Annotated[
        float, typer.Option(help="Share of daytime hours that must be neutral.")
    ] = 0.6,
    as_json: JsonOption = False,
) -> None:
    """What if PLACE got an intervention: its neutral-hour share and the KPI before and after."""
    import pandas as pd
    from rich.table import Table

    from comfort.kpi import comfortable_places, place_hours, place_utci_frame, places_kpi
    from comfort.scenarios import CONDITION_COLUMNS, intervention, scenario_utci
    from sensors.places import load_places

    cfg = settings()
    item = intervention(add)
    year = cfg.demo_year if year is None else year
    places = load_places()
    ds, simulated, height = _place_frames(year)
    before_utci = place_utci_frame(ds)
    if place not in before_utci.columns:
        raise KPIError(
            f"place {place!r} is not in the {year} field; places: {sorted(before_utci.columns)}."
        )
    cond = pd.DataFrame(
        {c: ds[c].sel(place=place).values for c in CONDITION_COLUMNS},
        index=before_utci.index,
    )
    after_utci = scenario_utci({place: cond}, before_utci, place, item, wind_height_m=height)

    def summarise(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        status = comfortable_places(place_hours(frame, places), share)
        return status, places_kpi(status, year)

    s0, k0 = summarise(before_utci)
    s1, k1 = summarise(after_utci)
    rows = []
    for period in k0["period"]:
        p0 = s0[(s0.period == period) & (s0.place_id == place)].iloc[0]
        p1 = s1[(s1.period == period) & (s1.place_id == place)].iloc[0]
        rows.append(
            {
                "period": period,
                "share_neutral_before": float(p0.share_neutral),
                "share_neutral_after": float(p1.share_neutral),
                "comfortable_before": bool(p0.comfortable),
                "comfortable_after": bool(p1.comfortable),
                "comfortable_places_before": int(k0[k0.period == period].comfortable.iloc[0]),
                "comfortable_places_after": int(k1[k1.period == period].comfortable.iloc[0]),
            }
        )
    if as_json:
        print_json(
            {
                "year": year,
                "place": place,
                "intervention": item.key,
                "effect": item.source,
                "simulated": simulated,
                "rows": rows,
            }
        )
        return
    title = f"{place} + {item.name_en} ({year})" + (" — simulated data" if simulated else "")
    out = Table(title=title, caption=item.source)
    for col in ("period", "neutral share", "comfortable", "comfortable places"):
        out.add_column(col)
    for r in rows:
        out.add_row(
            r["period"],
            f"{r['share_neutral_before']:.0%} → {r['share_neutral_after']:.0%}",
            f"{r['comfortable_before']} → {r['comfortable_after']}",
            f"{r['comfortable_places_before']} → {r['comfortable_places_after']}",
        )
    console.print(out)
