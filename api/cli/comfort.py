"""``kaiteki comfort``: the comfort field, the places KPI and planner scenarios.

The group is defined here; its commands live in ``comfort_*.py`` modules beside this one.
"""

from __future__ import annotations

import typer

comfort_app = typer.Typer(
    help="Comfort field (UTCI on every street and place), places KPI and scenarios.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``comfort`` group to the CLI."""
    app.add_typer(comfort_app, name="comfort")
