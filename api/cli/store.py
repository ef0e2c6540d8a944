"""
``kaiteki store migrate|info|copy``: the store's schema, what it holds, and copying it between
backends (a DuckDB file and PostgreSQL + PostGIS; ``KAITEKI_STORE`` chooses the one in use).
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli._common import console, print_json, settings

store_app = typer.Typer(
    help="The store: migrations, contents, copies between DuckDB and PostgreSQL.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@store_app.command("migrate")
def migrate(json_out: JsonOpt = False) -> None:
    """
    Apply the pending schema migrations to the store of KAITEKI_STORE (each in one
    transaction; safe to run while app workers serve, and run again).
    """
    from pathlib import Path

    from sensors.store import Store, is_postgres_url

    s = settings()
    before = 0
    if is_postgres_url(s.store) or Path(s.store).exists():
        with Store(s.store, read_only=True, wait_s=s.store_wait_s) as probe:
            before = probe.schema_version()
    with Store(s.store, wait_s=s.store_wait_s) as store:  # opening for writing migrates
        version = store.schema_version()
    applied = list(range(before + 1, version + 1))
    if json_out:
        print_json({"applied": applied, "schema_version": version, "was": before})
        return
    done = ", ".join(map(str, applied)) if applied else "none (up to date)"
    console.print(f"migrations applied: {done}; schema version {version}")


@store_app.command("info")
def info(json_out: JsonOpt = False) -> None:
    """Tables, rows and date ranges, ingested files per kind and QC flags per table."""
    from rich.table import Table

    from sensors.storage.transfer import info as store_info
    from sensors.store import Store

    s = settings()
    with Store(s.store, read_only=True, wait_s=s.store_wait_s) as store:
        data = store_info(store)
    if json_out:
        print_json(data)
        return
    head = f"{data['store']} ({data['backend']}, schema version {data['schema_version']})"
    tables = Table(title=head)
    for col in ("table", "rows", "from", "to"):
        tables.add_column(col, justify="right" if col == "rows" else "left")
    for name, row in data["tables"].items():
        tables.add_row(name, f"{row['rows']:,}", row.get("from", ""), row.get("to", ""))
    console.print(tables)
    files = Table(title="files by kind")
    for col in ("kind", "files", "rows_read", "accepted", "flagged", "quarantined"):
        files.add_column(col, justify="left" if col == "kind" else "right")
    for kind, row in data["files_by_kind"].items():
        files.add_row(kind, *(f"{v:,}" for v in row.values()))
    console.print(files)
    if data["flags_by_table"]:
        flags = Table(title="QC flags by table (rows with the flag)")
        for col in ("table", "flag", "rows"):
            flags.add_column(col, justify="right" if col == "rows" else "left")
        for t, hits in data["flags_by_table"].items():
            for flag, n in hits.items():
                flags.add_row(t, flag, f"{n:,}")
        console.print(flags)


@store_app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The target: postgresql://user@host:port/database or a .duckdb file; must be "
            "empty (it is created and migrated).",
        ),
    ],
    json_out: JsonOpt = False,
) -> None:
    """
    Copy the whole store of KAITEKI_STORE into another store (DuckDB → PostgreSQL or back),
    then verify row counts and per-table checksums; exits non-zero when they differ.
    """
    from rich.table import Table

    from sensors.storage.transfer import copy_store
    from sensors.store import Store

    s = settings()
    with (
        Store(s.store, read_only=True, wait_s=s.store_wait_s) as source,
        Store(to, wait_s=s.store_wait_s) as target,
    ):
        report = copy_store(source, target)
    if json_out:
        print_json(report.to_dict())
        return
    table = Table(title=f"kaiteki store copy {report.source} → {report.target}")
    for col in ("table", "rows", "checksum", "copied rows", "copied checksum"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, row in report.tables.items():
        table.add_row(name, f"{row['rows']:,}", row["checksum"], f"{row['target_rows']:,}",
                      row["target_checksum"])  # fmt: skip
    console.print(table)
    console.print("verified: equal row counts and checksums in every table")


def register(app: typer.Typer) -> None:
    """Add the ``store`` command group."""
    app.add_typer(store_app, name="store")
