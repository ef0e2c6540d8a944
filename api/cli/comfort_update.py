"""
``kaiteki comfort update``: recompute the comfort field for the hours recent readings touched
and publish them atomically into the year's field file (:mod:`sensors.fieldupdate`), so routes
and the home page's "now" use them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.cli._common import console, print_json, settings
from api.cli.comfort import comfort_app


def run_update(hours: int) -> Any:
    """Update the field for the hours with readings among the last ``hours`` hours."""
    from api import resources
    from sensors.fieldupdate import FieldUpdate, touched_hours, update_hours
    from sensors.places import load_places
    from sensors.store import Store

    s = settings()
    with Store(s.store, wait_s=max(s.store_wait_s, 10.0)) as store:
        touched = touched_hours(store, hours=hours)
        if len(touched) == 0:
            return FieldUpdate()
        return update_hours(store, s.cache_dir, resources.segments(), load_places(), touched)


@comfort_app.command("update")
def update(
    hours: Annotated[
        int,
        typer.Option(
            "--hours", min=1, help="Recompute the hours with readings among the last N hours."
        ),
    ] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Recompute the comfort field of the hours new readings touched (the last N hours)."""
    res = run_update(hours)
    out = {"hours": res.hours, "files": res.files, "simulated": res.simulated,
           "seconds": round(res.seconds, 2)}  # fmt: skip
    if as_json:
        print_json(out)
        return
    if not res.hours:
        console.print(f"no thermal readings in the last {hours} hours; the field is unchanged.")
        return
    label = " [yellow](simulated)[/yellow]" if res.simulated else ""
    console.print(
        f"comfort field{label}: {len(res.hours)} hours recomputed ({res.hours[0]} … "
        f"{res.hours[-1]}) → {', '.join(res.files)} ({out['seconds']} s)"
    )
