"""`riskmap serve` (the API and page, by default with the dispatch worker in-process) and `riskmap worker`."""

from __future__ import annotations

import typer

from backend.cli.common import clear_errors


def serve(
    host: str = typer.Option(None, help="default RISKMAP_HOST or 127.0.0.1"),
    port: int = typer.Option(None, help="default RISKMAP_PORT or 8000"),
    workers: int = typer.Option(1, help="worker processes"),
    worker: bool = typer.Option(True, help="also run the dispatch worker (sends warnings) in-process"),
) -> None:
    """Serve the API and the one-map page (and, by default, send queued warning messages)."""
    import uvicorn

    from backend.config import get_settings

    settings = get_settings()
    uvicorn.run(
        "backend.app:build_with_worker" if worker else "backend.app:build",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
    )


@clear_errors
def worker(
    concurrency: int = typer.Option(None, help="jobs at once (default RISKMAP_WORKER_CONCURRENCY)"),
    once: bool = typer.Option(False, help="work through the jobs due now, then stop"),
) -> None:
    """Send queued warning messages (with retries) and chase unacknowledged ones (procrastinate)."""
    from backend.config import get_settings
    from backend.logs import configure_logging
    from backend.worker import run_worker

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    run_worker(settings, wait=not once, concurrency=concurrency)
