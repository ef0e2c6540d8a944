"""``kaiteki views compact``: fold the page-view logs of finished days into the store."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli._common import console, print_json, settings

views_app = typer.Typer(
    help="Content views (daily counts per page; nothing about visitors).", no_args_is_help=True
)


@views_app.command("compact")
def compact(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """
    Fold the page-view logs of the days before today into the store's page_views table (the
    KPI reads both, so this only keeps the logs short). Needs the store for writing: run it
    while no ingest runs; the server may keep serving.
    """
    from api import pageviews

    s = settings()
    folded = pageviews.compact(s.store, s.cache_dir, wait_s=s.store_wait_s)
    if json_out:
        print_json({"views_folded": folded})
        return
    console.print(f"folded {folded:,} page views into {s.store.name}")


def register(app: typer.Typer) -> None:
    """Add the ``views`` command group."""
    app.add_typer(views_app, name="views")
