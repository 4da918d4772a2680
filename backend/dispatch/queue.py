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

import asyncio
import contextlib
import hashlib
import hmac
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import procrastinate
import psycopg
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


_queue_apps: dict[str, procrastinate.App] = {}


def queue_app(dsn: str, timeout_s: float = 10.0) -> procrastinate.App:
    """The worker's App (asynchronous connector), with every job registered on :data:`tasks`;
    one per database and process (the first call's ``timeout_s`` stands: the jobs can be added
    to one App only). ``timeout_s`` bounds its waits for a connection (the pool timeout): a
    worker whose database went away stops within it and is started again, instead of hanging in
    its shutdown while the pool's reconnection attempts back off."""
    if dsn not in _queue_apps:
        connector = procrastinate.PsycopgConnector(conninfo=dsn, timeout=timeout_s)
        app = procrastinate.App(connector=connector)
        app.add_tasks_from(tasks, namespace=NAMESPACE)
        _queue_apps[dsn] = app
    return _queue_apps[dsn]


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


def stalled_check_s(settings: Settings) -> int:
    """How often the worker looks for the jobs of dead workers: a third of the stall time, as a
    period :func:`cron_every` can schedule."""
    third = max(1.0, settings.worker_stalled_s / 3)
    return max(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if d <= third)


@every(stalled_check_s)
@tasks.task(name="retry_stalled", queue="maintenance", queueing_lock="retry_stalled", pass_context=True)
async def retry_stalled(context, timestamp: int) -> int:
    """Run again the jobs a dead worker had taken (killed, or cut off from the database): a worker
    sends a heartbeat every third of ``worker_stalled_s`` and counts as dead after it. Sending
    again is safe: a message recorded as sent is not sent twice; one sent but not yet recorded
    when its worker died goes again with the same idempotency key."""
    manager = context.app.job_manager
    settings = runtime().settings
    n = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_s):
        try:
            await manager.retry_job(job)
            n += 1
        except (procrastinate.exceptions.AlreadyEnqueued, procrastinate.exceptions.UniqueViolation):
            # a periodic job whose next run is already queued (its queueing lock): drop this one
            await manager.finish_job(job, status=procrastinate.jobs.Status.FAILED, delete_job=False)
    if n:
        log.warning("re-queued %d job(s) of workers that stopped sending heartbeats", n)
    return n


#: what stops a worker when its database goes away (anything else is a bug, logged with a traceback)
DATABASE_AWAY = (procrastinate.exceptions.ConnectorException, psycopg.Error, OSError)


def worker_options(settings: Settings, concurrency: int | None) -> dict:
    return {
        "concurrency": concurrency or settings.worker_concurrency,
        "update_heartbeat_interval": settings.worker_stalled_s / 3,
        "stalled_worker_timeout": settings.worker_stalled_s,
    }


def run_worker(
    settings: Settings,
    *,
    wait: bool = True,
    queues: tuple[str, ...] | None = None,
    concurrency: int | None = None,
) -> None:
    """Run a worker (every queue unless ``queues``) until SIGINT or SIGTERM, restarting it when
    it fails (:func:`run_worker_async`). ``wait=False`` works through the jobs that are due now,
    then returns. Import the jobs first (:mod:`backend.worker` does)."""
    if not wait:
        if _runtime is None or _runtime.settings is not settings:
            configure(settings)
        app = queue_app(libpq_dsn(settings.database_url), settings.pool_timeout_s)
        schedule(app, settings)
        try:
            app.run_worker(
                queues=list(queues) if queues else None,
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                **worker_options(settings, concurrency),
            )
        finally:
            runtime().channels.smtp.close()  # QUIT the kept SMTP sessions
        return

    async def until_signalled() -> None:
        task = asyncio.ensure_future(run_worker_async(settings, concurrency, queues))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # graceful: the running sends finish first
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(until_signalled())


async def run_worker_async(
    settings: Settings, concurrency: int | None = None, queues: tuple[str, ...] | None = None
) -> None:
    """The worker in the running event loop (``riskmap serve`` runs one beside the API) until
    cancelled. A worker stops when its database connections fail (a restart, a failover, the
    network): it is started again a second later (and waits for the database to answer); one that
    fails at once is started again after a pause doubling up to 10 s. So the service never
    silently stops sending."""
    if _runtime is None or _runtime.settings is not settings:
        configure(settings)
    app = queue_app(libpq_dsn(settings.database_url), settings.pool_timeout_s)
    schedule(app, settings)
    pause = 1.0
    try:
        while True:
            started = time.monotonic()
            try:
                async with app.open_async():
                    await app.run_worker_async(
                        queues=list(queues) if queues else None,
                        install_signal_handlers=False,
                        **worker_options(settings, concurrency),
                    )
                log.error("the dispatch worker stopped (database unreachable?); starting it again")
            except Exception as exc:  # whatever stopped it, sending must go on
                lost_db = isinstance(exc, DATABASE_AWAY)
                log.log(
                    logging.ERROR,
                    "the dispatch worker failed (%s); starting it again in %.0f s",
                    (exc.__cause__ or exc) if lost_db else exc,
                    pause,
                    exc_info=not lost_db,  # a database away is no news; anything else is a bug
                )
            if time.monotonic() - started > 5:  # it had been working: the database went away
                pause = 1.0
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10.0)
    finally:
        runtime().channels.smtp.close()  # QUIT the kept SMTP sessions
