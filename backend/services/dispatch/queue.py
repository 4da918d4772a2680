"""The job queue (procrastinate on PostgreSQL) and the runtime its tasks use.

Jobs are deferred on the caller's own database connection, inside the caller's transaction:
a warning is issued with every send job queued, or not at all (a transactional outbox whose
relay is procrastinate's worker). The worker retries failed sends with exponential back-off
(:class:`Backoff`), and a periodic job chases unacknowledged deliveries every minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import procrastinate
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings, get_settings
from backend.db import libpq_dsn, make_engine
from backend.services.auth import secret_key
from backend.services.dispatch.channels import Channels, PermanentFailure

log = logging.getLogger("riskmap.dispatch")

SEND_TASK = "riskmap:send_message"
CHASE_TASK = "riskmap:chase"
QUEUES = ("dispatch", "chase")


def backoff_s(settings: Settings, attempts_done: int) -> float:
    """Wait before the next try: base, 2·base, 4·base … capped."""
    return min(settings.dispatch_backoff_cap_s, settings.dispatch_backoff_s * 2 ** max(attempts_done - 1, 0))


class Backoff(BaseRetryStrategy):
    """Exponential back-off from the settings; a :class:`PermanentFailure` is not retried."""

    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        settings = runtime().settings
        done = job.attempts + 1
        if isinstance(exception, PermanentFailure) or done >= settings.dispatch_max_attempts:
            return None
        return RetryDecision(retry_in={"seconds": backoff_s(settings, done)})


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    channels: Channels
    secret: bytes
    clock: Callable[[], datetime]


_runtime: Runtime | None = None


def runtime_secret(settings: Settings) -> bytes:
    """The key acknowledgement tokens are derived from (the service's secret key)."""
    return secret_key(settings).encode()


def utc_now() -> datetime:
    return datetime.now(UTC)


def configure(
    settings: Settings, engine: Engine | None = None, clock: Callable[[], datetime] = utc_now
) -> Runtime:
    """Set up what the tasks use (a worker process, or a test) and return it."""
    global _runtime
    if _runtime is not None:
        _runtime.channels.close()
    engine = engine or make_engine(settings)
    key = runtime_secret(settings)
    webhook_secret = settings.webhook_secret or hmac.new(key, b"webhook", hashlib.sha256).hexdigest()
    _runtime = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker(engine, expire_on_commit=False),
        channels=Channels(settings, webhook_secret),
        secret=key,
        clock=clock,
    )
    return _runtime


def runtime() -> Runtime:
    return _runtime or configure(get_settings())


@lru_cache
def queue_app(dsn: str) -> procrastinate.App:
    from backend.services.dispatch.tasks import blueprint

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    app.add_tasks_from(blueprint, namespace="riskmap")
    return app


def defer_sends(session: Session, settings: Settings, outbox_ids: list[int]) -> list[int]:
    """Queue one send job per outbox row in the session's transaction; returns job ids."""
    if not outbox_ids:
        return []
    raw = session.connection().connection.driver_connection
    app = queue_app(libpq_dsn(settings.database_url))
    return app.configure_task(SEND_TASK, connection=raw).batch_defer(*({"outbox_id": i} for i in outbox_ids))


def run_worker(
    settings: Settings, *, wait: bool = True, queues: tuple[str, ...] = QUEUES, concurrency: int | None = None
) -> None:
    """Run a worker. ``wait=False`` works through the jobs that are due now, then returns."""
    if _runtime is None or _runtime.settings is not settings:
        configure(settings)
    app = queue_app(libpq_dsn(settings.database_url))
    try:
        app.run_worker(
            queues=list(queues),
            wait=wait,
            concurrency=concurrency or settings.worker_concurrency,
            install_signal_handlers=wait,
            listen_notify=wait,
        )
    finally:
        runtime().channels.smtp.close()  # QUIT the kept SMTP sessions


async def run_worker_async(settings: Settings, concurrency: int | None = None) -> None:
    """The worker inside another event loop (``riskmap serve`` runs one beside the API)."""
    if _runtime is None or _runtime.settings is not settings:
        configure(settings)
    app = queue_app(libpq_dsn(settings.database_url))
    try:
        async with app.open_async():
            await app.run_worker_async(
                queues=list(QUEUES),
                concurrency=concurrency or settings.worker_concurrency,
                install_signal_handlers=False,
            )
    finally:
        runtime().channels.smtp.close()
