"""
Settings for kaiteki, read from ``KAITEKI_*`` environment variables.

There is one settings object, built by :func:`get_settings` (cached), so that the CLI, the app
and the tests share it and tests can override it (``get_settings.cache_clear()`` after changing
the environment, or FastAPI's ``dependency_overrides``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sensors.errors import DataDirError

#: The repository root: the folder holding ``pyproject.toml`` above this package.
REPO_ROOT = Path(__file__).resolve().parent.parent


def _repo_root() -> Path:
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT
    return Path.cwd()


class Settings(BaseSettings):
    """Where kaiteki reads and writes; every field has a ``KAITEKI_`` environment variable."""

    model_config = SettingsConfigDict(env_prefix="KAITEKI_", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: (_repo_root() / ".." / "shared" / "data").resolve(),
        description="Folder with the real Sapporo data files (KAITEKI_DATA_DIR).",
    )
    store: Path = Field(
        default_factory=lambda: _repo_root() / "var" / "kaiteki.duckdb",
        description="The DuckDB store file (KAITEKI_STORE).",
    )
    area: Path | None = Field(
        default=None,
        description=(
            "Planning-area GeoJSON (KAITEKI_AREA); default: the embedded downtown area "
            "(South 6 to North 7, West 9 to East 2)."
        ),
    )
    cache_dir: Path = Field(
        default_factory=lambda: _repo_root() / "var" / "cache",
        description="Cache of built networks and fields (KAITEKI_CACHE_DIR).",
    )
    pseudonym_key: str = Field(
        default="kaiteki-demo-key-change-me",
        description="Secret key for pseudonymising participant ids (KAITEKI_PSEUDONYM_KEY).",
    )
    k_anonymity: int = Field(
        default=10, ge=2, description="Smallest group published (KAITEKI_K_ANONYMITY)."
    )
    demo_year: int = Field(
        default=2022,
        description=(
            "Current year of the demo: simulated sensors follow the real Sapporo daily weather "
            "of this year (KAITEKI_DEMO_YEAR)."
        ),
    )
    baseline_year: int = Field(
        default=2021,
        description="Baseline year of the comfortable-places KPI (KAITEKI_BASELINE_YEAR).",
    )
    max_body_bytes: int = Field(
        default=5_000_000, description="Request body limit (bytes) (KAITEKI_MAX_BODY_BYTES)."
    )
    max_batch_rows: int = Field(
        default=10_000,
        ge=1,
        description="Most rows in one POSTed ingest batch (KAITEKI_MAX_BATCH_ROWS); more is 413.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Other origins allowed to call the JSON API from a browser (KAITEKI_CORS_ORIGINS, "
            'a JSON list such as ["https://example.org"]); default none: same origin only.'
        ),
    )
    tiles: str | None = Field(
        default=None,
        description="Base-map tile URL template (KAITEKI_TILES); default none (offline).",
    )

    def require_data_dir(self) -> Path:
        """
        Return the data directory, or raise a message saying where it looked.

        Raises
        ------
        DataDirError
            The folder does not exist.
        """
        if not self.data_dir.is_dir():
            raise DataDirError(
                f"kaiteki data directory not found: looked in {self.data_dir}. "
                "Put the shared data folder beside the repository (../shared/data) or point "
                "KAITEKI_DATA_DIR at the folder that holds sapporo_downtown_chome_2015.geojson."
            )
        return self.data_dir

    def data_file(self, name: str) -> Path:
        """
        Path of one file in the data directory, checked to exist.

        Raises
        ------
        DataDirError
            The data directory or the file is missing.
        """
        path = self.require_data_dir() / name
        if not path.is_file():
            raise DataDirError(
                f"{name} not found in the data directory {self.data_dir}. "
                "Check KAITEKI_DATA_DIR points at the shared data folder."
            )
        return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` to re-read)."""
    return Settings()
