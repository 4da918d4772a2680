"""Settings, read from the environment (prefix ``RISKMAP_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
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
    #: connections of the asyncio pool that serves acknowledgements (叫应), per process
    ack_pool_size: int = 4
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
    #: FastAPI's native OpenTelemetry spans and metrics (needs a configured provider, e.g.
    #: FASTAPI_OTEL_AUTO_CONFIGURE=true with OTEL_* exporter variables)
    telemetry: bool = False
    #: freeze the objects alive after start-up out of garbage collection and collect the young
    #: generation less often (backend/heap.py: full collections no longer stall the event
    #: loop); false = CPython's defaults
    gc_tuning: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    #: directory with index.html and src/ of the one-map page
    frontend_dir: Path = Path(__file__).resolve().parent.parent / "frontend"

    # ---- warnings and their dissemination ---------------------------------------------------
    #: the address people reach this service at: acknowledgement links and CAP links use it
    public_url: str = "http://127.0.0.1:8000"
    #: who issues warnings (CAP senderName, message signatures)
    issuer_name: str = "县应急管理局"
    #: CAP <sender>: a globally unique address of the issuing office
    cap_sender: str = "emergency-bureau@riskmap.invalid"
    #: how a person is reached: the first channel in this order their record allows
    #: (email needs an address, sms a phone number, webhook a configured webhook_url)
    person_channels: str = "email,sms"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "riskmap@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    #: messaging gateway (e.g. the bureau's app push service) that receives signed JSON
    webhook_url: str | None = None
    #: HMAC-SHA256 key for webhook signatures (default: derived from the secret key)
    webhook_secret: str | None = None
    webhook_timeout_s: float = 10.0
    #: "logging", or "module:Class" of an SmsProvider / BroadcastProvider
    sms_provider: str = "logging"
    broadcast_provider: str = "logging"
    #: minutes a recipient has to acknowledge, by level (4 red … 1 blue); at the deadline the
    #: message is sent again, after a second deadline the silence is escalated (fractions of a
    #: minute are allowed, for drills and tests)
    ack_deadlines_min: dict[int, float] = {4: 15, 3: 30, 2: 60, 1: 120}
    #: how often the worker chases silence (resends, escalations, expiry): every minute by
    #: default; a divisor of 60 seconds, or whole minutes dividing an hour
    chase_every_s: int = 60
    #: retries of a failed send: waits base, 2·base, 4·base … capped, at most max_attempts tries
    dispatch_backoff_s: float = 10.0
    dispatch_backoff_cap_s: float = 900.0
    dispatch_max_attempts: int = 10
    #: jobs a worker runs at once
    worker_concurrency: int = 8
    #: a worker silent this long (no heartbeat: killed, or cut off from the database) is taken
    #: for dead, and the jobs it had taken are run again by another (or by itself, restarted)
    worker_stalled_s: float = 30.0
    #: validity of a proposal whose run's window has already ended (replays, exercises)
    default_validity_h: int = 24

    # ---- the service's door (backend/security, docs/security.md) -----------------------------
    #: largest request body for JSON and forms; larger ones are refused (413) before being read
    max_json_bytes: int = 1_048_576
    #: largest request body under /api/import/ (file uploads)
    max_upload_bytes: int = 52_428_800
    #: origins allowed to call the API from a browser (comma-separated); none by default
    cors_origins: str = ""
    #: sign-in: failures per username, and per source address, within the window lock it out
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_s: int = 900
    login_lockout_s: int = 300
    #: unknown acknowledgement links per source address within the window lock it out
    ack_max_failures_per_address: int = 20
    ack_window_s: int = 600
    ack_lockout_s: int = 600
    #: where pg_dump / pg_restore are (default: /usr/lib/postgresql/<server major>/bin, then PATH)
    pg_bin_dir: Path | None = None

    @field_validator("chase_every_s")
    @classmethod
    def _a_schedulable_period(cls, v: int) -> int:
        minutes, rest = divmod(v, 60)
        if (0 < v < 60 and 60 % v == 0) or (rest == 0 and 0 < minutes <= 60 and 60 % minutes == 0):
            return v
        raise ValueError(
            f"chase_every_s={v}: use a divisor of 60 seconds (1 … 30) or of 60 minutes (60 … 3600)"
        )

    @property
    def channel_order(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.person_channels.split(",") if c.strip())

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def sample_dir(self) -> Path:
        return self.data_dir / "sample"


@lru_cache
def get_settings() -> Settings:
    return Settings()
