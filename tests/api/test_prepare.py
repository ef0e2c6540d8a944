"""``kaiteki prepare``: a year whose comfort field is built, as NetCDF or as Zarr, is not rebuilt."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from api.cli import prepare
from api.settings import get_settings
from sensors.fieldstore import field_path
from sensors.fieldzarr import zarr_path


def _tiny(path: Path) -> None:
    """A stand-in field written where a build writes it (existence is what prepare asks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = xr.Dataset({"utci_c": (("time", "edge"), [[21.5, 22.0]])})
    if path.suffix == ".zarr":
        ds.to_zarr(path, mode="w", zarr_format=2)
    else:
        ds.to_netcdf(path)


def test_field_exists_in_either_form(tmp_path: Path) -> None:
    assert not prepare._field_exists(tmp_path, 2021)
    _tiny(zarr_path(tmp_path, 2021))  # kaiteki comfort build --engine dask
    _tiny(field_path(tmp_path, 2022))  # kaiteki comfort build
    assert prepare._field_exists(tmp_path, 2021)
    assert prepare._field_exists(tmp_path, 2022)
    assert not prepare._field_exists(tmp_path, 2023)
    # a published Zarr is a link to a version folder: a dangling link is no field
    zarr_path(tmp_path, 2023).symlink_to(tmp_path / "field" / "gone")
    assert not prepare._field_exists(tmp_path, 2023)


def test_prepare_builds_only_the_years_without_a_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli import app

    cache = tmp_path / "cache"
    monkeypatch.setenv("KAITEKI_CACHE_DIR", str(cache))
    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "s.duckdb"))
    get_settings.cache_clear()
    _tiny(zarr_path(cache, 2021))  # built with Dask: Zarr only
    calls: list[list[str]] = []
    monkeypatch.setattr(prepare, "_cli", calls.append)
    monkeypatch.setattr(prepare, "_simulate", lambda *args: None)
    try:
        res = CliRunner().invoke(app, ["prepare", "--year", "2021", "--year", "2022"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert [c for c in calls if c[:2] == ["comfort", "build"]] == [
        ["comfort", "build", "--year", "2022"]
    ]
    assert "comfort field 2021 (already done)" in res.output
