"""The dispatch worker's entry point: imports every domain's jobs, then runs the queue.

``riskmap worker`` runs it on its own; ``riskmap serve`` runs it in the service's event loop.
A new capability with jobs adds its ``jobs`` module to the imports here.
"""

from __future__ import annotations

import backend.warnings.jobs  # noqa: F401  (registers the warning jobs on the queue)
from backend.config import Settings
from backend.dispatch import queue


def run_worker(
    settings: Settings,
    *,
    wait: bool = True,
    queues: tuple[str, ...] | None = None,
    concurrency: int | None = None,
) -> None:
    queue.run_worker(settings, wait=wait, queues=queues, concurrency=concurrency)


async def run_worker_async(settings: Settings, concurrency: int | None = None) -> None:
    await queue.run_worker_async(settings, concurrency)
