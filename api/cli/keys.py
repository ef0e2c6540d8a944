"""``kaiteki keys create|list|revoke``: API keys for the ingest endpoints (stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli._common import (
    CsvOption,
    console,
    output_format,
    print_json,
    print_table,
    settings,
)
from sensors.errors import StoreError

keys_app = typer.Typer(
    help=(
        "API keys for POST /v1/readings|counts|steps|survey (only SHA-256 digests are stored). "
        "Waits up to KAITEKI_STORE_WAIT_S while another process holds the store."
    ),
    no_args_is_help=True,
)


def _fail(exc: Exception) -> None:
    console.print(f"kaiteki: error: {exc}", markup=False)
    raise typer.Exit(2)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key, e.g. 'thermal-kit-3'.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a key; its secret is printed once and cannot be shown again."""
    from api import auth
    from api.errors import ApiError

    try:
        s = settings()
        key = auth.create_key(s.store, name, wait_s=s.store_wait_s)
    except (ApiError, StoreError) as exc:
        _fail(exc)
        return
    if json_out:
        print_json({"key_id": key.key_id, "name": key.name, "key": key.secret})
        return
    console.print(f"created key [bold]{key.key_id}[/bold] ({key.name}); send it as X-API-Key:")
    typer.echo(key.secret)
    console.print("Store it now: only its SHA-256 digest is kept.")


@keys_app.command("list")
def list_(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: CsvOption = False,
) -> None:
    """List keys (id, name, created, revoked, last used); secrets are never shown."""
    from api import auth

    s = settings()
    try:
        frame = auth.list_keys(s.store, wait_s=s.store_wait_s)
    except StoreError as exc:
        console.print(f"kaiteki: error: {exc}", markup=False)
        raise typer.Exit(2) from None
    fmt = output_format(json_out, as_csv)
    rows = [
        {k: (None if v is None or v != v else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]
    if fmt == "json":
        for row in rows:
            print_json(row)
        return
    if fmt == "csv":
        print_table(rows, fmt="csv", columns=list(frame.columns))
        return
    if frame.empty:
        console.print("no API keys yet; create one with `kaiteki keys create NAME`")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("key_id", "name", "created", "revoked", "last used")
    for row in frame.itertuples(index=False):
        cells = [str(v) if v is not None and v == v else "" for v in row]
        table.add_row(*cells)
    Console().print(table)  # the result: stdout


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`.")]) -> None:
    """
    Revoke a key: requests with it get 401 once the server's key cache is refreshed (within
    KAITEKI_KEY_REFRESH_S seconds, default 5).
    """
    from api import auth
    from api.errors import ApiError

    s = settings()
    try:
        auth.revoke_key(s.store, key_id, wait_s=s.store_wait_s)
    except (ApiError, StoreError) as exc:
        _fail(exc)
        return
    console.print(f"revoked key {key_id}")


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group."""
    app.add_typer(keys_app, name="keys")
