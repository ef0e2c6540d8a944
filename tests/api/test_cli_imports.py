"""
The ``kaiteki`` CLI starts without the data stack: building every command and printing the help
imports no pandas, geopandas, xarray, scipy, numba, DuckDB, shapely, folium or matplotlib (they
load inside the commands that use them), so ``kaiteki --help`` stays fast (``bench/cli.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from comfort import routing

#: Modules that must not be loaded by importing ``api.cli`` or printing the help.
HEAVY = (
    "pandas",
    "geopandas",
    "xarray",
    "scipy",
    "numba",
    "duckdb",
    "shapely",
    "folium",
    "matplotlib",
    "numpy",
    "networkx",
    "osmnx",
    "pyproj",
)

#: Run in a fresh interpreter: import the CLI, then build every command and render every help
#: page (typer reads each command's annotations and defaults while building), then report which
#: heavy modules got loaded after each stage.
_SCRIPT = """
import json, sys
heavy = json.loads(sys.argv[1])
loaded = lambda: sorted(m for m in heavy if m in sys.modules)
import api.cli
after_import = loaded()
import typer
from typer.testing import CliRunner
runner = CliRunner()
root = typer.main.get_command(api.cli.app)
paths = []
def walk(cmd, prefix):
    paths.append(prefix)
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        walk(sub, [*prefix, name])
walk(root, [])
failed = [p for p in paths if runner.invoke(api.cli.app, [*p, "--help"]).exit_code != 0]
print(json.dumps({"import": after_import, "help": loaded(), "paths": len(paths), "failed": failed}))
"""


def _run() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_cli_import_and_help_load_no_heavy_module() -> None:
    result = _run()
    assert result["import"] == [], f"`import api.cli` loaded {result['import']}"
    assert result["help"] == [], f"building the commands and their help loaded {result['help']}"
    assert result["failed"] == []
    assert isinstance(result["paths"], int) and result["paths"] > 30


def test_route_alpha_default_is_the_routing_default() -> None:
    from api.cli import route

    assert route.DEFAULT_ALPHA == routing.DEFAULT_ALPHA
