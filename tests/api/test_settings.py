"""Settings from the environment, and the clear message for a missing data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import REPO_ROOT, Settings
from sensors.errors import DataDirError


def test_defaults_resolve_from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAITEKI_DATA_DIR", "KAITEKI_STORE", "KAITEKI_CACHE_DIR", "KAITEKI_AREA"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.data_dir == (REPO_ROOT / ".." / "shared" / "data").resolve()
    assert s.store == REPO_ROOT / "var" / "kaiteki.duckdb"
    assert s.area is None
    assert s.require_data_dir().is_dir()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAITEKI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("KAITEKI_AREA", str(tmp_path / "area.geojson"))
    monkeypatch.setenv("KAITEKI_CACHE_DIR", str(tmp_path / "c"))
    s = Settings()
    assert (s.data_dir, s.store, s.area, s.cache_dir) == (
        tmp_path,
        tmp_path / "s.duckdb",
        tmp_path / "area.geojson",
        tmp_path / "c",
    )


def test_missing_data_dir_says_where_and_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAITEKI_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataDirError, match=r"looked in .*nowhere.*KAITEKI_DATA_DIR"):
        Settings().require_data_dir()
    monkeypatch.setenv("KAITEKI_DATA_DIR", str(tmp_path))
    with pytest.raises(DataDirError, match="not found in the data directory"):
        Settings().data_file("sapporo_downtown_chome_2015.geojson")
