"""Tables go to stdout (``kaiteki kpi places > kpi.txt``), logs to stderr; --json and --csv."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer

from api.cli._common import output_format, print_table

REPO = Path(__file__).resolve().parents[2]


def _kaiteki(prepared, args: list[str], out: Path) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env.update(
        KAITEKI_STORE=str(prepared.store),
        KAITEKI_CACHE_DIR=str(prepared.cache_dir),
        KAITEKI_DEMO_YEAR=str(prepared.demo_year),
        COLUMNS="160",
    )
    with out.open("wb") as fh:
        return subprocess.run(
            [str(Path(sys.executable).with_name("kaiteki")), *args],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.PIPE, check=False, timeout=300,
        )  # fmt: skip


def test_kpi_places_table_goes_to_the_file(prepared, tmp_path: Path) -> None:
    out = tmp_path / "kpi.txt"
    done = _kaiteki(prepared, ["kpi", "places"], out)
    assert done.returncode == 0, done.stderr.decode()
    text = out.read_text(encoding="utf-8")
    assert "Comfortable places, climate-normalised" in text
    assert "2021" in text and "2022" in text and "simulated" in text
    assert "comfortable" in text and "…" not in text  # no column cut in a file
    assert "Comfortable places" not in done.stderr.decode()


def test_kpi_places_csv_and_json_agree(prepared, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    csv_path = tmp_path / "kpi.csv"
    assert _kaiteki(prepared, ["kpi", "places", "--csv"], csv_path).returncode == 0
    frame = pd.read_csv(csv_path)
    res = CliRunner().invoke(app, ["kpi", "places", "--json"])
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    assert set(frame["basis"]) == {"climate_normalised", "actual_weather"}
    normalised = frame[frame["basis"] == "climate_normalised"]
    assert len(normalised) == len(obj["series"])
    assert normalised["comfortable"].tolist() == [r["comfortable"] for r in obj["series"]]
    assert frame["simulated"].all()
    both = _kaiteki(prepared, ["kpi", "places", "--csv", "--json"], tmp_path / "x")
    assert both.returncode != 0 and b"--json or --csv" in both.stderr


def test_print_table_formats(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"name": "=cmd()", "value_c": -3.25}, {"name": "ok", "value_c": None}]
    print_table(rows, fmt="csv")
    back = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert back["name"].tolist() == ["'=cmd()", "ok"]  # formula neutralised, numbers kept
    assert back["value_c"].iloc[0] == -3.25
    print_table(rows, fmt="json")
    assert json.loads(capsys.readouterr().out) == rows
    print_table(rows, title="T", formats={"value_c": "{:.1f}"})
    captured = capsys.readouterr()
    assert "-3.2" in captured.out and "=cmd()" in captured.out and captured.err == ""
    with pytest.raises(typer.BadParameter, match="--json or --csv"):
        output_format(True, True)


def test_comfort_build_counts_the_hours_that_have_data() -> None:
    import numpy as np

    from api.cli.comfort_build import _with_data

    hours, sensors = 8760, 4
    air = np.full((hours, sensors), np.nan)
    wind = np.full((hours, sensors), np.nan)
    air[100:148, 0] = -3.0  # 48 hours from one sensor
    wind[120:130, 2] = 1.5  # inside the same hours, from another
    with_data = _with_data({"air_temp_c": air, "wind_speed_m_s": wind})
    assert int(with_data.any(axis=1).sum()) == 48
    assert int(with_data.any(axis=0).sum()) == 2


def test_keys_and_places_lists_as_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings

    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "s.duckdb"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(app, ["keys", "create", "=kit-3", "--json"])
        assert made.exit_code == 0, made.output
        secret = json.loads(made.stdout)["key"]
        res = runner.invoke(app, ["keys", "list", "--csv"])
        assert res.exit_code == 0, res.output
        keys = pd.read_csv(io.StringIO(res.stdout))
        assert keys["name"].tolist() == ["'=kit-3"]  # formula-like name neutralised
        assert secret not in res.stdout
        res = runner.invoke(app, ["places", "list", "--csv"])
        assert res.exit_code == 0, res.output
        places = pd.read_csv(io.StringIO(res.stdout))
        assert {"place_id", "name_en", "kind", "status"} <= set(places.columns)
        assert len(places) >= 10
    finally:
        get_settings.cache_clear()


def test_area_info_as_csv_and_table() -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["area", "info", "--csv"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert frame["measure"].tolist()[:2] == ["nodes", "edges"]
    as_json = json.loads(runner.invoke(app, ["area", "info", "--json"]).stdout)
    assert int(frame.loc[frame["measure"] == "nodes", "value"].iloc[0]) == as_json["nodes"]
    table = runner.invoke(app, ["area", "info"])
    assert "walking network" in table.stdout and "street_km" in table.stdout
