"""
``kaiteki comfort kpi`` and ``kaiteki comfort scenario``: the comfortable-places KPI against the
baseline year, and planner "what if" scenarios on one place.

Both read the built fields (``<cache_dir>/field/<year>.nc``, :mod:`sensors.fieldstore`) and the
places layer (:mod:`sensors.places`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.cli._common import console, print_json, settings
from api.cli.comfort import comfort_app
from comfort.errors import KPIError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _band(text: str | None) -> tuple[float, float]:
    if text is None:
        return (9.0, 26.0)
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise KPIError(f"--band must be LOWER,UPPER in °C (e.g. 4,22); got {text!r}.") from exc
    return (lo, hi)


def _place_frames(year: int) -> tuple[Any, bool, float]:
    """Place part of the field of ``year``, whether it is simulated, and the wind height."""
    from comfort.field import place_field
    from sensors.fieldstore import load_year

    ds = load_year(settings().cache_dir, year)
    simulated = bool(ds.attrs.get("simulated", False))
    height = float(ds.attrs.get("wind_reference_height_m", 1.5))
    return place_field(ds).load(), simulated, height


def _years(baseline: int) -> list[int]:
    from sensors.fieldstore import available_years

    years = available_years(settings().cache_dir)
    if baseline not in years:
        raise KPIError(
            f"no field for the baseline year {baseline} in {settings().cache_dir / 'field'} "
            f"(built: {years}); run `kaiteki comfort build --year {baseline}` first."
        )
    return years


@comfort_app.command("kpi")
def kpi(
    share: Annotated[
        float, typer.Option(help="Share of daytime hours that must be neutral.")
    ] = 0.6,
    day_start: Annotated[int, typer.Option(help="First daytime hour (local).")] = 10,
    day_end: Annotated[int, typer.Option(help="End of daytime (local hour, exclusive).")] = 18,
    band: Annotated[
        str | None,
        typer.Option(help="Neutral UTCI band LOWER,UPPER (°C), e.g. a locally calibrated one."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Comfortable places per year and season against the baseline year (target 2×)."""
    import pandas as pd
    from rich.table import Table

    from comfort.kpi import comfortable_places, place_hours, places_kpi
    from sensors.places import load_places

    cfg = settings()
    baseline = cfg.baseline_year
    places = load_places()
    neutral = _band(band)
    hours = []
    simulated_any = False
    for year in _years(baseline):
        ds, simulated, _ = _place_frames(year)
        simulated_any |= simulated
        hours.append(
            place_hours(ds, places, daytime_hours=(day_start, day_end), neutral_band_c=neutral)
        )
    status = comfortable_places(pd.concat(hours, ignore_index=True), share)
    table = places_kpi(status, baseline)
    if as_json:
        print_json(
            {
                "baseline_year": baseline,
                "simulated": simulated_any,
                "share": share,
                "daytime_hours": [day_start, day_end],
                "neutral_band_c": list(neutral),
                "rows": table.to_dict("records"),
            }
        )
        return
    title = f"Comfortable places (baseline {baseline}, target 2×)" + (
        " — simulated data" if simulated_any else ""
    )
    out = Table(title=title)
    for col in ("year", "period", "places", "comfortable", "baseline", "ratio", "progress"):
        out.add_column(col, justify="right" if col not in ("period",) else "left")
    for r in table.itertuples():
        out.add_row(
            str(r.year),
            str(r.period),
            str(r.places),
            str(r.comfortable),
            "-" if pd.isna(r.baseline_comfortable) else str(int(r.baseline_comfortable)),
            "-" if pd.isna(r.ratio) else f"{r.ratio:.2f}×",
            "-" if pd.isna(r.progress) else f"{100 * r.progress:.0f} %",
        )
    console.print(out)


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
