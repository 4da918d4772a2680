"""Settings, read from the environment (prefix ``RISKMAP_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/riskmap"


class Settings(BaseSettings):
    """Service configuration. Every field can be set as ``RISKMAP_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RISKMAP_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    #: where pipeline runs write their rasters (COG GeoTIFFs), and the sample county lives
    data_dir: Path = Path("data")
    #: bounded connection pool: at most pool_size + max_overflow connections per process
    pool_size: int = 10
    max_overflow: int = 5
    pool_timeout_s: float = 10.0
    #: a query running longer than this is cancelled by PostgreSQL
    statement_timeout_ms: int = 15_000
    #: seconds to wait for a connection before declaring the database unreachable
    connect_timeout_s: int = 3
    #: DEM for the relief base map (default: the sample county's, under data_dir/sample)
    dem_path: Path | None = None
    #: in-process tile cache per worker
    tile_cache_mb: int = 256
    #: signs access tokens; default: a random key kept in data_dir/.secret_key
    secret_key: str | None = None
    token_minutes: int = 60
    log_level: str = "INFO"
    #: "json" for machine-read logs, "console" for people
    log_format: str = "console"
    host: str = "127.0.0.1"
    port: int = 8000
    #: directory with index.html and src/ of the one-map page
    frontend_dir: Path = Path(__file__).resolve().parent.parent / "frontend"

    @property
    def sample_dir(self) -> Path:
        return self.data_dir / "sample"


@lru_cache
def get_settings() -> Settings:
    return Settings()
