"""
Packaging: what the runtime needs is exactly what ``pyproject.toml`` installs for it.

Test- and bench-only packages (pythermalcomfort, psutil, ...) live in the ``dev`` extra;
no module of the four packages may import them, and every third-party import of those packages
is a pinned runtime dependency.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("comfort", "sensors", "api", "maps")
#: Import name → distribution name, where they differ.
DIST_OF = {
    "yaml": "pyyaml",
    "netCDF4": "netcdf4",
    "paho": "paho-mqtt",
    "psycopg": "psycopg",
}


def _pins(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, _, version = item.partition("==")
        assert version, f"{item!r} in pyproject.toml is not pinned with =="
        out[re.sub(r"\[.*\]", "", name).lower()] = version
    return out


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level import names of third-party modules, with the files that import them."""
    local = set(PACKAGES)
    found: dict[str, set[str]] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in local or top in sys.stdlib_module_names:
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_runtime_dependencies_are_pinned_and_lean(project: dict) -> None:
    runtime = _pins(project["dependencies"])
    dev = _pins(project["optional-dependencies"]["dev"])
    for name in ("pythermalcomfort", "psutil", "pytest", "hypothesis", "httpx2"):
        assert name not in runtime, f"{name} is a test/bench tool; keep it in the dev extra"
        assert name in dev, f"{name} is used by tests or benchmarks; pin it in the dev extra"
    for unused in ("tqdm",):
        assert unused not in runtime and unused not in dev, f"{unused} is not used; drop it"


def test_packages_import_only_runtime_dependencies(project: dict) -> None:
    runtime = set(_pins(project["dependencies"]))
    missing = {
        top: files
        for top, files in _third_party_imports().items()
        if DIST_OF.get(top, top).lower().replace("_", "-") not in runtime
        and top.lower() not in runtime
    }
    assert not missing, (
        f"imported by the packages but not a pinned runtime dependency in pyproject.toml: {missing}"
    )
