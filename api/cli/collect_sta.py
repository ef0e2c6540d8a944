"""
``kaiteki collect sensorthings URL``: collect Things, Datastreams and Observations from any OGC
SensorThings API server into the store (:mod:`sensors.sta.client`; docs/SENSORTHINGS.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import console, print_json, settings
from api.cli.collect import collect_app


@collect_app.command("sensorthings")
def sensorthings(
    url: Annotated[str, typer.Argument(help="Service root, e.g. https://host/FROST-Server/v1.1.")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only observations after this ISO time (default: resume)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="ObservedProperty mapping (default sensors/data/sta_observed_properties.json).",
        ),
    ] = None,
    timeout_s: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Time-out (s) of each request.")
    ] = 30.0,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="Retries of a request on 5xx or time-out.")
    ] = 4,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """
    Pull Things, Datastreams and Observations (following @iot.nextLink), map ObservedProperties
    to kaiteki variables, store them with the usual QC and resume next time from the last
    phenomenonTime stored per Datastream. Exit 1 when a Datastream could not be read.
    """
    from rich.console import Console
    from rich.table import Table

    from api.cli.ingest import _area
    from sensors.sta.client import collect_sensorthings
    from sensors.sta.vocabulary import load_vocabulary
    from sensors.store import Store

    s = settings()
    voc = load_vocabulary(mapping) if mapping is not None else None
    with Store(s.store, wait_s=s.store_wait_s) as store:
        report = collect_sensorthings(
            store, url, since=since, voc=voc, timeout_s=timeout_s, retries=retries, area=_area()
        )
    if as_json:
        print_json(report.to_dict())
    else:
        table = Table("things", "datastreams", "mapped", "observations", "pages", "accepted",
                      "flagged", "quarantined", "retries")  # fmt: skip
        d = report.to_dict()
        table.add_row(*(str(d[k]) for k in ("things", "datastreams", "mapped", "observations",
                                             "pages", "accepted", "flagged", "quarantined",
                                             "retries")))  # fmt: skip
        Console().print(table, soft_wrap=True)
        for line in report.skipped:
            console.print(f"[yellow]skipped[/] {line}")
    for line in report.errors:
        console.print(f"[red]error[/] {line}")
    if report.errors:
        raise typer.Exit(1)
