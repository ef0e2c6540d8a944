"""The ``kaiteki`` CLI: help on every command, and the area commands end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import osmnx as ox
import pytest
import typer
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import TEST_PBF

runner = CliRunner()


def _all_command_paths() -> list[list[str]]:
    """Every command path of the CLI (Typer vendors its own click: walk groups by duck typing)."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_the_walk_finds_every_group() -> None:
    found = {" ".join(p) for p in _all_command_paths()}
    assert {
        "area info",
        "ingest thermal",
        "simulate thermal",
        "comfort build",
        "comfort kpi",
        "walk score",
        "route",
        "export",
        "keys create",
        "serve",
        "prepare",
    } <= found


@pytest.mark.parametrize("path", _all_command_paths(), ids=lambda p: " ".join(p) or "kaiteki")
def test_help_on_every_command(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_area_info_json_on_the_embedded_default(sapporo_graph) -> None:
    result = runner.invoke(app, ["area", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert set(info) == {
        "nodes",
        "edges",
        "street_km",
        "underground_km",
        "planning_area_ha",
        "components",
    }
    assert 270 <= info["planning_area_ha"] <= 300
    assert info["components"] == 1
    assert 1.0 <= info["underground_km"] <= 1.6


def test_area_export_graphml(sapporo_graph, tmp_path: Path) -> None:
    out = tmp_path / "sapporo.graphml"
    result = runner.invoke(app, ["area", "export", "--format", "graphml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ox.load_graphml(out).number_of_nodes() == sapporo_graph.number_of_nodes()


def _kaiteki(env: dict[str, str], *args: str) -> str:
    """Run the ``kaiteki`` CLI in its own process (as a user would) and return its stdout."""
    cmd = [sys.executable, "-c", "from api.cli import main; main()", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout


def test_area_build_from_osm_then_back_to_default(tmp_path: Path) -> None:
    env = {**os.environ, "KAITEKI_CACHE_DIR": str(tmp_path / "cache")}
    report = json.loads(_kaiteki(env, "area", "build", "--osm", str(TEST_PBF), "--json"))
    assert report["ways_dropped_clipped"] > 0 and report["nodes"] > 0
    info = json.loads(_kaiteki(env, "area", "info", "--json"))
    assert info["nodes"] == report["nodes"] and info["underground_km"] == 0
    _kaiteki(env, "area", "build")
    info = json.loads(_kaiteki(env, "area", "info", "--json"))
    assert info["underground_km"] > 1.0


def test_missing_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "KAITEKI_DATA_DIR": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "area", "info"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "kaiteki: error: kaiteki data directory not found" in result.stderr
    assert "Traceback" not in result.stderr
