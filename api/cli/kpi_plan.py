"""
``kaiteki kpi steps``, ``kaiteki kpi scenario`` and ``kaiteki kpi plan``: the steps KPI with the
season held fixed, planner scenarios on several places, and the smallest plan that reaches the
places target under the reference climate (docs/PLANNING.md).

Registered on the ``kpi`` group of :mod:`api.cli.kpi` (loaded before this module). Heavy
imports stay inside the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli._common import console, print_json, settings
from api.cli.kpi import kpi_app

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _clear_errors() -> Iterator[None]:
    """A kaiteki error becomes one line on stderr and exit code 2 (also under CliRunner)."""
    from comfort.errors import ComfortError
    from sensors.errors import SensorsError

    try:
        yield
    except (ComfortError, SensorsError) as exc:
        print(f"kaiteki: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


# --------------------------------------------------------------------------------------------
# kaiteki kpi steps
# --------------------------------------------------------------------------------------------


@kpi_app.command("steps")
def steps(
    baseline: Annotated[
        str, typer.Option(help="Baseline period START..END (YYYY-MM-DD, YYYY-MM or YYYY).")
    ],
    later: Annotated[str, typer.Option(help="Later period START..END.")],
    path: Annotated[
        Path | None,
        typer.Argument(help="Steps file (Fitbit export or kaiteki CSV); default: the store."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Steps file (same as the argument).")
    ] = None,
    seasonal_profile: Annotated[
        str | None,
        typer.Option(
            help="Profile FILE (CSV month,factor[,factor_se]) or 'estimate' (from data covering "
            "every month); needed when the periods share no calendar month."
        ),
    ] = None,
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 1000,
    level: Annotated[float, typer.Option(help="Interval level, e.g. 0.9.")] = 0.9,
    seed: Annotated[int, typer.Option(help="Bootstrap random seed.")] = 20160412,
    as_json: JsonOption = False,
) -> None:
    """Participants' mean daily steps, later vs baseline period, with the season held fixed."""
    with _clear_errors():
        from comfort.seasonality import estimate_seasonal_profile, seasonal_profile_from_table
        from comfort.steps import parse_period, steps_ratio
        from sensors.steps import load_daily_steps, read_seasonal_profile

        cfg = settings()
        periods = (parse_period(baseline, "--baseline"), parse_period(later, "--later"))
        source = file if file is not None else path
        daily = load_daily_steps(source, store=cfg.store, pseudonym_key=cfg.pseudonym_key)
        profile = None
        if seasonal_profile == "estimate":
            profile = estimate_seasonal_profile(daily, seed=seed)
        elif seasonal_profile is not None:
            table = read_seasonal_profile(seasonal_profile)
            profile = seasonal_profile_from_table(table, str(seasonal_profile))
        result = steps_ratio(
            daily, *periods, k=int(cfg.k_anonymity), profile=profile,
            replicates=replicates, level=level, seed=seed,
        )  # fmt: skip
        result["simulated"] = bool(daily.attrs.get("simulated", False))
        result["source"] = str(daily.attrs.get("source", ""))
        result["dropped_days"] = daily.attrs.get("dropped_days")
        result["flagged_rows"] = daily.attrs.get("flagged_rows")
    if as_json:
        print_json(result)
        return
    _print_steps(result)


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "suppressed (< k)" if value is None else pattern.format(value)


def _print_steps(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    title = f"Daily steps, later vs baseline ({r['method'].replace('_', ' ')})" + (
        " — simulated data" if r["simulated"] else ""
    )
    level = f"{100 * r['bootstrap']['level']:.0f} %"
    out = Table(title=title, caption=f"k = {r['k']}; targets {r['targets'][0]}× and "
                f"{r['targets'][1]}×; {level} participant bootstrap intervals")  # fmt: skip
    out.add_column("")
    out.add_column("value", justify="right")
    ratio = _fmt(r["ratio"])
    if r["ratio_low"] is not None:
        ratio += f" [{r['ratio_low']:.3f}, {r['ratio_high']:.3f}]"
    everyone = _fmt(r["ratio_all_participants"])
    if r["ratio_all_participants_low"] is not None:
        everyone += (
            f" [{r['ratio_all_participants_low']:.3f}, {r['ratio_all_participants_high']:.3f}]"
        )
    rows = [
        ("baseline", f"{r['baseline']['start']}..{r['baseline']['end']}"),
        ("later", f"{r['later']['start']}..{r['later']['end']}"),
        ("months compared", ", ".join(r["months_compared"] or ["all (seasonal profile)"])),
        ("participants baseline / later", f"{_fmt(r['participants_baseline'], '{}')} / "
                                          f"{_fmt(r['participants_later'], '{}')}"),
        ("participants in both", _fmt(r["participants_both"], "{}")),
        ("ratio, present in both", ratio),
        ("ratio, all participants", everyone),
        ("ratio, raw (no season adjustment)", _fmt(r["ratio_raw"])),
    ]  # fmt: skip
    for name, value in rows:
        out.add_row(name, value)
    Console().print(out)


# --------------------------------------------------------------------------------------------
# Planning inputs: the registry, the reference climate, the baseline
# --------------------------------------------------------------------------------------------


def _registry() -> pd.DataFrame:
    """The registry the places KPI reads (store read-only, else the embedded layer)."""
    from api.services.places_kpi import read_registry

    registry, _ = read_registry(settings())
    frame: pd.DataFrame = registry
    return frame


def planning_inputs(year: int | None = None) -> dict[str, Any]:
    """
    What the scenario and plan commands work on: the registry, the reference climate's place
    conditions (the baseline year's hourly field), the per-place probabilities under it, the
    places counted in ``year`` and in the baseline year, and the baseline's expected count.
    """
    from comfort.errors import KPIError
    from sensors.fieldstore import available_years, load_year
    from sensors.placefield import reference_inputs

    cfg = settings()
    baseline = int(cfg.baseline_year)
    year = int(cfg.demo_year if year is None else year)
    built = available_years(cfg.cache_dir)
    if baseline not in built:
        raise KPIError(
            f"no field for the baseline year {baseline} (the reference climate) in "
            f"{Path(cfg.cache_dir) / 'field'} (built: {built}); run `kaiteki comfort build "
            f"--year {baseline}` (or `make prepare`) first."
        )
    registry = _registry().reset_index(drop=True)
    registry["place_id"] = registry["place_id"].astype(str)
    inputs = reference_inputs(load_year(cfg.cache_dir, baseline), registry, year, baseline)
    inputs["reference_climate"] = f"baseline year {baseline} (hourly field)"
    return inputs


def _header(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "year": inputs["year"],
        "baseline_year": inputs["baseline_year"],
        "reference_climate": inputs["reference_climate"],
        "simulated": inputs["simulated"],
    }


def _conditions_of(inputs: dict[str, Any]) -> xr.Dataset:
    conditions: xr.Dataset = inputs["conditions"]
    return conditions


# --------------------------------------------------------------------------------------------
# kaiteki kpi scenario
# --------------------------------------------------------------------------------------------


@kpi_app.command("scenario")
def scenario(
    place: Annotated[
        list[str] | None, typer.Option("--place", help="Place id (repeat; pairs with --add).")
    ] = None,
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add", help="shade | wind_screen | warm_shelter | mist | enclose | open (repeat)."
        ),
    ] = None,
    intervention: Annotated[
        list[str] | None,
        typer.Option("--intervention", help="PLACE_ID:KEY, e.g. odori-5:shade (repeat)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Year whose registry is changed (default: demo year).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Several interventions on several places in one run: the KPI before and after, and what
    each action contributes (alone, marginal, in sequence) under the reference climate."""
    with _clear_errors():
        from comfort.scenarios import parse_actions, run_scenario

        actions = parse_actions(place or [], add or [], intervention or [])
        inputs = planning_inputs(year)
        result = run_scenario(
            _conditions_of(inputs),
            inputs["registry"],
            actions,
            inputs["evaluate"],
            counted=inputs["counted"],
            baseline_expected=inputs["baseline_expected"],
            wind_height_m=inputs["wind_height_m"],
            probabilities=inputs["probabilities"],
        )
    body = {**_header(inputs), "actions": [str(a) for a in actions], **result.as_dict()}
    if as_json:
        print_json(body)
        return
    _print_scenario(body, f"Scenario for {inputs['year']}")


def _print_scenario(body: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    b, a = body["before"], body["after"]
    caption = (
        f"reference climate: {body['reference_climate']}; baseline {body['baseline_year']} "
        f"expects {body['baseline_expected']:.2f} comfortable places; "
        f"{b['comfortable_expected']:.2f} ({b['ratio']:.2f}×) → "
        f"{a['comfortable_expected']:.2f} ({a['ratio']:.2f}×)"
    )
    out = Table(title=title + (" — simulated data" if body["simulated"] else ""), caption=caption)
    for col in ("place", "action", "p before", "alone", "marginal", "in sequence", "ratio after"):
        out.add_column(col, justify="left" if col in ("place", "action") else "right")
    for s in body["steps"]:
        out.add_row(
            s["place_id"],
            s["action"],
            f"{s['p_before']:.2f}",
            f"{s['alone']:+.2f}",
            f"{s['marginal']:+.2f}",
            f"{s['in_sequence']:+.2f}",
            f"{s['ratio_after']:.2f}×",
        )
    Console().print(out)


# --------------------------------------------------------------------------------------------
# kaiteki kpi plan
# --------------------------------------------------------------------------------------------


def _read_menu(path: Path) -> pd.DataFrame:
    import json

    import pandas as pd

    from comfort.plan import PlanError

    if not path.is_file():
        raise PlanError(f"menu {path} not found; give a CSV with place_id,action[,cost].")
    if path.suffix.lower() == ".json":
        try:
            return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValueError) as exc:
            raise PlanError(f"{path}: not a JSON list of options ({exc}).") from exc
    return pd.read_csv(path)


@kpi_app.command("plan")
def plan(
    target: Annotated[float, typer.Option(help="Target multiple of the baseline.")] = 2.0,
    menu: Annotated[
        Path | None,
        typer.Option(
            help="Menu CSV/JSON place_id,action[,cost]; default: every applicable "
            "intervention on every place plus opening each planned place."
        ),
    ] = None,
    year: Annotated[int | None, typer.Option(help="Year planned for (default: demo year).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The smallest (or cheapest) set of interventions and planned places that reaches TARGET×
    the baseline's expected comfortable places under the reference climate (scipy milp)."""
    with _clear_errors():
        from comfort.errors import KPIError
        from comfort.plan import make_plan

        if target <= 0:
            raise KPIError(f"--target must be > 0 (e.g. 2.0 for 2×); got {target}.")
        table = None if menu is None else _read_menu(menu)
        inputs = planning_inputs(year)
        console.print(f"planning for {inputs['year']} under the {inputs['reference_climate']}…")
        found = make_plan(
            _conditions_of(inputs),
            inputs["registry"],
            inputs["evaluate"],
            counted=inputs["counted"],
            baseline_expected=inputs["baseline_expected"],
            target_ratio=target,
            menu=table,
            wind_height_m=inputs["wind_height_m"],
            probabilities=inputs["probabilities"],
        )
    body = {**_header(inputs), **found.as_dict()}
    if as_json:
        print_json(body)
        return
    from rich.console import Console
    from rich.table import Table

    out = Table(
        title=f"Plan to {target}× for {inputs['year']}"
        + (" — simulated data" if inputs["simulated"] else ""),
        caption=f"apply it: {body['scenario_command']}",
    )
    for col in ("place", "action", "cost", "effect (linear)"):
        out.add_column(col)
    for o in body["options"]:
        cost = "-" if o["cost"] is None else f"{o['cost']:g}"
        out.add_row(o["place_id"], o["action"], cost, f"{o['effect']:+.2f}")
    Console().print(out)
    _print_scenario({**_header(inputs), **body["result"]}, "Applied as a scenario")
