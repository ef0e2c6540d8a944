"""
``kaiteki ingest KIND FILE...``: load data files into the store with QC.

The command waits up to ``KAITEKI_STORE_WAIT_S`` while another process (the server's writer, a
key command) holds the store, and also commits the batches the API has queued in the spool
(``api.spool``), so an ingest run and a running server never lose or double a batch. It warns
while the public demo pseudonym key is in use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli._common import (
    CsvOption,
    JsonOption,
    console,
    output_format,
    print_json,
    print_table,
    settings,
)
from sensors.errors import SensorsError

KIND_HELP = {
    "thermal": "thermal readings (CSV or .jsonl)",
    "sensors": "sensor registry (CSV)",
    "flow": "people counts per line, interval and direction (CSV)",
    "dwell": "dwell counts per zone and interval (CSV)",
    "mesh": "MLIT 1 km mesh stay population (GeoJSON)",
    "steps": "step counts (Fitbit export or kaiteki CSV); ids pseudonymised",
    "survey": "questionnaire responses (CSV)",
    "weather": "Sapporo daily reference weather (the Chi-Ka-Ho daily file)",
    "chikaho": "Chi-Ka-Ho J1..J5 daily counts and subway boardings (the daily file)",
    "ngsi-ld": "FIWARE NGSI-LD WeatherObserved → readings and CrowdFlowObserved → counts (JSON)",
}

#: ``--format`` of a kind → the registered kind that reads it (docs/DATA_FORMATS.md).
FORMATS: dict[str, dict[str, str]] = {
    "survey": {"kaiteki": "survey", "ashrae-db2": "survey-ashrae-db2", "cozie": "survey-cozie"},
    "dwell": {"kaiteki": "dwell", "pldp": "dwell-pldp"},
}


def layouts_of(kind: str) -> dict[str, str]:
    """The ``--format`` values of ``kind`` → the registered kind that reads each."""
    return FORMATS.get(kind, {"kaiteki": kind})


def _area() -> Any:
    """
    The planning area for the outside-area test: the same one the app uses (KAITEKI_AREA, the
    embedded default, or the extent of a graph built from OSM); None when it cannot be built.
    """
    from api import resources

    try:
        return resources.planning_area()
    except SensorsError as exc:
        console.print(f"[yellow]planning area unavailable ({exc}); outside-area test skipped[/]")
        return None


def _drain_spool(store: Any, s: Any) -> None:
    """Commit the batches the API queued (the server's writer may be stopped or waiting)."""
    from api import resources, spool

    queue = spool.Spool(s.spool_dir)
    if not queue.pending():
        return
    try:
        area = resources.planning_area()
    except SensorsError:
        area = None
    report = spool.drain(queue, store, area=area, pseudonym_key=s.pseudonym_key)
    if report.batches or report.failed:
        console.print(
            f"committed {report.batches:,} queued API batches ({report.rows:,} rows)"
            + (f"; {report.failed} set aside in {queue.failed_dir}" if report.failed else ""),
            highlight=False,
        )


def _make_command(kind: str) -> Any:
    def command(
        files: Annotated[list[Path], typer.Argument(help="Files to ingest.", show_default=False)],
        json_out: Annotated[
            bool, typer.Option("--json", help="Print one JSON object per file on stdout.")
        ] = False,
        no_area: Annotated[
            bool, typer.Option("--no-area", help="Skip the outside-planning-area test.")
        ] = False,
        fmt: str = typer.Option(
            "kaiteki", "--format", help=f"Input layout: {', '.join(layouts_of(kind))}."
        ),
    ) -> None:
        from rich.console import Console
        from rich.progress import Progress
        from rich.table import Table

        from api.settings import DEMO_KEY_WARNING
        from sensors.ingest import ingest_file
        from sensors.store import Store

        layouts = layouts_of(kind)
        if fmt not in layouts:
            raise typer.BadParameter(
                f"unknown format {fmt!r} for {kind}; expected one of {', '.join(layouts)}.",
                param_hint="--format",
            )
        read_as = layouts[fmt]
        s = settings()
        if s.uses_demo_pseudonym_key:
            console.print(f"[yellow]warning:[/] {DEMO_KEY_WARNING}", highlight=False)
        area = None if no_area or kind in ("weather", "chikaho", "mesh", "steps") else _area()
        rejected = 0
        results: list[dict[str, Any]] = []
        store = Store(s.store, wait_s=s.store_wait_s)
        with store, Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"ingest {kind}", total=len(files))
            for path in files:
                progress.update(task, description=f"ingest {kind}: {path.name}")
                try:
                    if kind == "ngsi-ld":
                        from sensors.kinds.ngsi_ld import ingest_ngsi_ld

                        parts = ingest_ngsi_ld(
                            store, path, area=area, pseudonym_key=s.pseudonym_key
                        )
                        results.extend(r.summary() for r in parts[:-1])
                        summary = parts[-1].summary()
                    else:
                        res = ingest_file(
                            store, read_as, path, area=area, pseudonym_key=s.pseudonym_key
                        )
                        summary = res.summary()
                except Exception as exc:  # one file's failure never skips the others
                    rejected += 1
                    error = str(exc) if isinstance(exc, SensorsError) else (
                        f"{path.name}: unexpected error ({type(exc).__name__}: {exc}); nothing "
                        "of this file was stored. Please report it with the file."
                    )  # fmt: skip
                    summary = {
                        "file": str(path), "kind": kind, "sha256": None, "rows_read": 0,
                        "accepted": 0, "flagged": 0, "quarantined": 0, "duplicate_file": False,
                        "rejected": True, "error": error,
                    }  # fmt: skip
                results.append(summary)
                progress.advance(task)
            _drain_spool(store, s)
        table = Table(title=f"kaiteki ingest {kind} → {s.store}")
        for col in ("file", "rows read", "accepted", "flagged", "quarantined", "note"):
            table.add_column(col, justify="left" if col in ("file", "note") else "right")
        for r in results:
            note = (
                "REJECTED (see below)"
                if r.get("rejected")
                else "already ingested; nothing added"
                if r["duplicate_file"]
                else ("simulated" if r.get("simulated") else "")
            )
            table.add_row(
                Path(r["file"]).name + (f" ({r['kind']})" if r["kind"] != kind else ""),
                f"{r['rows_read']:,}", f"{r['accepted']:,}",
                f"{r['flagged']:,}", f"{r['quarantined']:,}", note,
            )  # fmt: skip
        # the summary table is the result (stdout); with --json the JSON lines are, and the
        # table goes with the logs (stderr)
        (console if json_out else Console()).print(table)
        for r in results:
            if r.get("rejected"):
                console.print(f"  rejected: {r['error']}", markup=False, highlight=False)
            for m in r.get("messages", [])[:20]:
                console.print(f"  {m}", markup=False, highlight=False)
        if json_out:
            for r in results:
                print_json(r)
        if rejected:
            raise typer.Exit(1)

    command.__doc__ = f"Ingest {KIND_HELP[kind]} into the store (KAITEKI_STORE)."
    return command


def recheck(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change without writing.")
    ] = False,
    no_area: Annotated[
        bool, typer.Option("--no-area", help="Skip the outside-planning-area test.")
    ] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Re-run the registry checks of readings flagged 'unregistered' whose sensor is now
    registered (idempotent; each run that changes flags is appended to <store>.audit.jsonl)."""
    from sensors.recheck import recheck_registry
    from sensors.store import Store

    fmt = output_format(as_json, as_csv)
    s = settings()
    area = None if no_area else _area()
    with Store(s.store, wait_s=s.store_wait_s) as store:
        result = recheck_registry(store, area, dry_run=dry_run)
    rows = [
        {
            "sensor_id": r["sensor_id"],
            "rows": r["rows"],
            "flags_before": "; ".join(f"{k}: {n:,}" for k, n in r["flags_before"].items()),
            "flags_after": "; ".join(f"{k}: {n:,}" for k, n in r["flags_after"].items()),
        }
        for r in result.sensors
    ]
    verb = "would change" if dry_run else "changed"
    print_table(
        rows,
        fmt=fmt,
        columns=("sensor_id", "rows", "flags_before", "flags_after"),
        title=f"kaiteki ingest recheck → {s.store}",
        caption=f"{result.rows_changed:,} readings {verb}"
        + (f"; audit: {result.audit_path}" if result.audit_path else ""),
        json_obj=result.as_dict(),
    )
    if not result.sensors:
        console.print("nothing to recheck: no reading of a registered sensor is flagged "
                      "'unregistered'.")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``kaiteki ingest`` with one sub-command per data kind."""
    sub = typer.Typer(
        help="Load data files into the store with quality control (one transaction per file).",
        no_args_is_help=True,
    )
    for kind in KIND_HELP:
        sub.command(name=kind)(_make_command(kind))
    sub.command(name="recheck")(recheck)
    app.add_typer(sub, name="ingest")
