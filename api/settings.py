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


#: The public demo pseudonymisation key: ``kaiteki serve`` and ``kaiteki ingest`` warn while it
#: is in use (set your own ``KAITEKI_PSEUDONYM_KEY``).
DEMO_PSEUDONYM_KEY = "kaiteki-demo-key-change-me"

#: What ``kaiteki serve`` and ``kaiteki ingest`` print while the demo key is in use.
DEMO_KEY_WARNING = (
    "KAITEKI_PSEUDONYM_KEY is the public demo key: anyone can recompute the pseudonyms of "
    "participant ids. Set a long random secret of your own before ingesting real steps or "
    "survey answers (see SECURITY.md)."
)


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
        default=DEMO_PSEUDONYM_KEY,
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
    store_wait_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "How long (s) a CLI command keeps retrying while another process holds the store "
            "(KAITEKI_STORE_WAIT_S)."
        ),
    )
    key_refresh_s: float = Field(
        default=5.0,
        ge=0,
        description=(
            "Age (s) after which the server re-reads API keys from the store; a revoked key is "
            "refused within this time (KAITEKI_KEY_REFRESH_S)."
        ),
    )
    key_recheck_s: float = Field(
        default=2.0,
        ge=0,
        description=(
            "Least time (s) between store reads caused by unknown key ids, per server process "
            "(KAITEKI_KEY_RECHECK_S): a flood of made-up keys reads the store no more often."
        ),
    )
    writer_interval_s: float = Field(
        default=0.5,
        gt=0,
        description=(
            "Pause (s) between the server writer's passes over the ingest spool "
            "(KAITEKI_WRITER_INTERVAL_S)."
        ),
    )
    last_used_flush_s: float = Field(
        default=10.0,
        gt=0,
        description="How often (s) key use times are queued for the store (KAITEKI_LAST_USED_FLUSH_S).",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description=(
            "A request's headers must arrive within this time (s) of the connection or of the "
            "previous response, else 408 and the connection is closed (KAITEKI_HEADER_TIMEOUT_S)."
        ),
    )
    body_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description=(
            "A request body must arrive within this time (s) of its first read, else 408 "
            "(KAITEKI_BODY_TIMEOUT_S)."
        ),
    )
    keep_alive_s: int = Field(
        default=5,
        gt=0,
        description="Idle keep-alive connections are closed after this time (s) (KAITEKI_KEEP_ALIVE_S).",
    )
    # -- the comfort field on Dask + Zarr (kaiteki comfort build --engine dask; docs/DEPLOY.md) --
    dask_scheduler: str | None = Field(
        default=None,
        description=(
            "Scheduler of an existing Dask cluster, tcp://HOST:8786 (KAITEKI_DASK_SCHEDULER); "
            "unset: a local cluster is started for the build."
        ),
    )
    dask_workers: int = Field(
        default=2,
        ge=1,
        description="Worker processes of the local Dask cluster (KAITEKI_DASK_WORKERS).",
    )
    dask_memory_limit: str = Field(
        default="4GB",
        description="Memory limit of each local Dask worker, e.g. 4GB (KAITEKI_DASK_MEMORY_LIMIT).",
    )
    dask_above_cells: int = Field(
        default=50_000_000,
        ge=0,
        description=(
            "kaiteki comfort build --engine auto uses Dask + Zarr when targets x hours exceed this "
            "(KAITEKI_DASK_ABOVE_CELLS); 514 edges x 8,760 hours is 4.5 million."
        ),
    )
    # -- live collection (kaiteki collect mqtt, make live; docs/LIVE.md) --
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="MQTT broker of the collector, mqtt[s]://[user:pass@]HOST[:PORT] (KAITEKI_MQTT_URL).",
    )
    mqtt_topic: str = Field(
        default="kaiteki/thermal/#",
        description="Topic filter the collector subscribes to (KAITEKI_MQTT_TOPIC).",
    )
    mqtt_client_id: str = Field(
        default="kaiteki-collector",
        description=(
            "Client id of the collector's persistent session (KAITEKI_MQTT_CLIENT_ID); one per "
            "collector: two collectors with one id take the session from each other."
        ),
    )
    field_update_s: float = Field(
        default=300.0,
        gt=0,
        description="How often (s) `kaiteki collect --update-field` refreshes the field (KAITEKI_FIELD_UPDATE_S).",
    )

    @property
    def uses_demo_pseudonym_key(self) -> bool:
        """Whether ``pseudonym_key`` is the public demo value (pseudonyms are then guessable)."""
        return self.pseudonym_key == DEMO_PSEUDONYM_KEY

    @property
    def spool_dir(self) -> Path:
        """
        The ingest spool of this store: ``<cache_dir>/spool/<store name>-<8 hex of its path>``
        (one spool per store, so two stores sharing a cache folder never mix batches).
        """
        import hashlib

        where = str(self.store.resolve()) if str(self.store) != ":memory:" else ":memory:"
        tag = hashlib.sha256(where.encode("utf-8")).hexdigest()[:8]
        return self.cache_dir / "spool" / f"{self.store.stem}-{tag}"

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
