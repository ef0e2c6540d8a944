"""Turn domain errors into one clear line on stderr and a non-zero exit code."""

from __future__ import annotations

import sys

import typer

from comfort.errors import ComfortError
from sensors.errors import SensorsError


def run_with_clear_errors(app: typer.Typer) -> None:
    """Run the CLI; a kaiteki error prints its message (no traceback) and exits with 2."""
    try:
        app()
    except (ComfortError, SensorsError) as exc:
        print(f"kaiteki: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
