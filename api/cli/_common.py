"""
Helpers shared by the CLI modules: settings, console, JSON output, tables.

Every module of ``api.cli`` imports only typer, rich's console and light kaiteki modules at
module level, so ``kaiteki --help`` starts fast; pandas, geopandas, the settings model and the
data layers are imported inside the commands that use them
(``tests/api/test_cli_imports.py`` keeps it so).

Tables go to stdout, progress and logs to stderr (:data:`console`): ``kaiteki kpi places >
kpi.txt`` writes the table to the file. A command that prints a table takes ``--json`` and
``--csv`` (:data:`JsonOption`, :data:`CsvOption`) and prints through :func:`print_table`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

if TYPE_CHECKING:
    from api.settings import Settings

console = Console(stderr=True)

#: How a table command prints its result.
OutputFormat = Literal["table", "json", "csv"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOption = Annotated[
    bool,
    typer.Option(
        "--csv",
        help="Print CSV instead of a table (text cells that start like a spreadsheet formula "
        "get a leading ').",
    ),
]


def settings() -> Settings:
    """The process-wide settings."""
    from api.settings import get_settings

    return get_settings()


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


#: Width (characters) of tables written to a file or pipe: wide enough that no column is cut.
FILE_WIDTH = 200


def stdout_console() -> Console:
    """The console of results (stdout): the terminal's width, or :data:`FILE_WIDTH` when
    stdout is a file or pipe (``kaiteki kpi places > kpi.txt``), so cells are not cut."""
    return Console(width=None if sys.stdout.isatty() else FILE_WIDTH)


def output_format(as_json: bool, as_csv: bool) -> OutputFormat:
    """
    The output format of the ``--json`` and ``--csv`` flags.

    Raises
    ------
    typer.BadParameter
        Both flags were given.
    """
    if as_json and as_csv:
        raise typer.BadParameter("give --json or --csv, not both.")
    return "json" if as_json else "csv" if as_csv else "table"


def _cell(value: Any, pattern: str | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if pattern is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return pattern.format(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return str(value)


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """
    Rows as CSV on stdout (header line first), formula-like text cells neutralised.

    The rule is :func:`sensors.export.formulas.neutralise_formulas` (OWASP CSV injection), the
    same as the exports'.
    """
    import pandas as pd

    from sensors.export.formulas import neutralise_formulas

    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    safe, _ = neutralise_formulas(frame)
    sys.stdout.write(safe.to_csv(index=False, lineterminator="\n"))


def print_table(
    rows: Sequence[Mapping[str, Any]],
    *,
    fmt: OutputFormat = "table",
    title: str | None = None,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    caption: str | None = None,
    json_obj: Any = None,
) -> None:
    """
    Print a table on stdout as a rich table, JSON or CSV.

    Parameters
    ----------
    rows
        One mapping per row; the keys are the column names of the JSON and CSV outputs.
    fmt
        ``table`` (rich, for people), ``json`` (``json_obj`` if given, else the rows as a list)
        or ``csv`` (the ``columns`` of every row, with a header line).
    title, caption
        Shown above and below the rich table only.
    columns
        Which keys, in which order (default: the keys of the first row).
    headers
        Column headings of the rich table (default: the keys).
    formats
        ``str.format`` patterns of numeric cells of the rich table, by key (e.g. ``"{:.2f}"``).
        JSON and CSV keep full precision.
    json_obj
        What ``--json`` prints instead of the rows (a command's whole result object).
    """
    cols = list(columns) if columns is not None else list(rows[0]) if rows else []
    if fmt == "json":
        print_json(list(rows) if json_obj is None else json_obj)
        return
    if fmt == "csv":
        write_csv(rows, cols)
        return
    from rich.table import Table

    heads = headers or {}
    pats = formats or {}
    table = Table(title=title, caption=caption)
    for c in cols:
        numeric = any(
            isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool) for r in rows
        )
        table.add_column(heads.get(c, c), justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(_cell(r.get(c), pats.get(c)) for c in cols))
    stdout_console().print(table)
