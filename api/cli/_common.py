"""Helpers shared by the CLI modules: settings, console, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from api.settings import Settings, get_settings

console = Console(stderr=True)


def settings() -> Settings:
    """The process-wide settings."""
    return get_settings()


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
