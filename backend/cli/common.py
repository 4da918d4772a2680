"""What every command shares: the consoles, and domain errors as one clear line and exit code 1."""

from __future__ import annotations

import functools

import typer
from rich.console import Console

from backend.errors import RiskmapError

out = Console()
err = Console(stderr=True)


def clear_errors(fn):
    """Turn our own errors (and a broken database connection) into one line, exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import OperationalError

        from backend.config import get_settings
        from backend.db import explain_connection_error, parse_url

        try:
            return fn(*args, **kwargs)
        except RiskmapError as exc:
            err.print(f"[bold red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OperationalError as exc:
            url = parse_url(get_settings().database_url)
            err.print(
                f"[bold red]error:[/] {explain_connection_error(url, exc)}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper
