"""The job queue (procrastinate on PostgreSQL) and the runtime its jobs use.

Generic: domains register their jobs on :data:`tasks` (``@queue.tasks.task(...)``) from their own
package, and the worker entry point (:mod:`backend.worker`) imports them before it starts.
Jobs are deferred on the caller's own database connection, inside the caller's transaction
(:func:`defer`): a warning is issued with every send job queued, or not at all (a transactional
outbox whose relay is procrastinate's worker). Deferring goes through an App of its own with a
*synchronous* connector, so it works the same whether or not this process also runs the
(asynchronous) worker — ``riskmap serve`` runs both in one process. Failed jobs are retried with
exponential back-off (:class:`Backoff`).
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

from backend.auth.service import secret_key
from backend.config import Settings, get_settings
from backend.db import libpq_dsn, make_engine
from backend.dispatch.channels import Channels, PermanentFailure

log = logging.getLogger("riskmap.dispatch")

NAMESPACE = "riskmap"
# every domain's jobs register here; the worker's App takes them all (namespace "riskmap:")
tasks = procrastinate.Blueprint()
#: periodic jobs whose period comes from the settings (:func:`every`)
_periodic: list[tuple[procrastinate.tasks.Task, Callable[[Settings], int]]] = []


def every(period: Callable[[Settings], int]):
    """Decorator above ``@tasks.task(...)``: the worker runs the task every ``period(settings)``
    seconds (procrastinate's periodic deferrer; the task takes the ``timestamp`` it passes)."""

    def register(task):
        _periodic.append((task, period))
        return task

    return register


def cron_every(seconds: int) -> str:
    """The cron line for "every ``seconds``": a divisor of a minute in procrastinate's sixth
    (seconds) field, whole minutes dividing an hour in the minute field."""
    if 0 < seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 0 < seconds // 60 <= 60 and 60 % (seconds // 60) == 0:
        return "* * * * *" if seconds == 60 else f"*/{seconds // 60} * * * *"
    raise ValueError(f"a period of {seconds} s cannot be scheduled: use a divisor of 60 s or of 60 min")


def schedule(app: procrastinate.App, settings: Settings) -> None:
    """(Re)register the periodic jobs on the worker's App with their periods from ``settings``."""
    for task, period in _periodic:
        app.periodic_registry.periodic_tasks.pop((task.name, ""), None)
        app.periodic_registry.register_task(
            task=task, cron=cron_every(period(settings)), periodic_id="", configure_kwargs={}
        )


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
    """The worker's App (asynchronous connector), with every job registered on :data:`tasks`."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    app.add_tasks_from(tasks, namespace=NAMESPACE)
    return app


@lru_cache
def defer_app(dsn: str) -> procrastinate.App:
    """An App that only defers, on the caller's synchronous connection (never opened itself)."""
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=dsn))


def defer(session: Session, settings: Settings, task: str, queue: str, jobs: list[dict]) -> list[int]:
    """Queue one job of ``task`` (its name as registered on :data:`tasks`) per argument dict, in the
    session's transaction; returns the job ids in order."""
    if not jobs:
        return []
    raw = session.connection().connection.driver_connection
    app = defer_app(libpq_dsn(settings.database_url))
    return app.configure_task(f"{NAMESPACE}:{task}", queue=queue, connection=raw).batch_defer(*jobs)


def run_worker(
    settings: Settings,
    *,
    wait: bool = True,
    queues: tuple[str, ...] | None = None,
    concurrency: int | None = None,
) -> None:
    """Run a worker (every queue unless ``queues``). ``wait=False`` works through the jobs that are
    due now, then returns. Import the jobs first (:mod:`backend.worker` does)."""
    if _runtime is None or _runtime.settings is not settings:
        configure(settings)
    app = queue_app(libpq_dsn(settings.database_url))
    schedule(app, settings)
    try:
        app.run_worker(
            queues=list(queues) if queues else None,
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
    schedule(app, settings)
    try:
        async with app.open_async():
            await app.run_worker_async(
                concurrency=concurrency or settings.worker_concurrency,
                install_signal_handlers=False,
            )
    finally:
        runtime().channels.smtp.close()
