"""
The ``kaiteki`` command line.

Each module in this package adds its commands through a ``register(app)`` function; this file
finds them, so a new command group is one new module. Logging is configured here and in the
app factory only.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

import typer

app = typer.Typer(
    name="kaiteki",
    help="kaiteki (快適): walkability and thermal comfort for downtown Sapporo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    """Entry point of the ``kaiteki`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from api.cli._errors import run_with_clear_errors

    run_with_clear_errors(app)
