"""
Helpers shared by the CLI modules: settings, console, JSON output.

Every module of ``api.cli`` imports only typer, rich's console and light kaiteki modules at
module level, so ``kaiteki --help`` starts fast; pandas, geopandas, the settings model and the
data layers are imported inside the commands that use them
(``tests/api/test_cli_imports.py`` keeps it so).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from api.settings import Settings

console = Console(stderr=True)


def settings() -> Settings:
    """The process-wide settings."""
    from api.settings import get_settings

    return get_settings()


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
