"""What every command shares: the consoles, and errors as one clear line and exit code 1.

No traceback reaches a user: our own errors are one line; a database that refuses a value says
which fault; anything else is one line naming the exception (``RISKMAP_TRACEBACK=1`` shows where).
"""

from __future__ import annotations

import functools
import os

import click
import typer
from rich.console import Console
from rich.markup import escape

from backend.errors import RiskmapError

out = Console()
err = Console(stderr=True)


def clear_errors(fn):
    """Turn our own errors, a broken database connection and any other exception into one line,
    exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import OperationalError

        from backend.config import get_settings
        from backend.db import explain_connection_error, parse_url

        try:
            return fn(*args, **kwargs)
        except RiskmapError as exc:
            err.print(f"[bold red]error:[/] {escape(exc.detail)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OperationalError as exc:
            url = parse_url(get_settings().database_url)
            err.print(
                f"[bold red]error:[/] {escape(explain_connection_error(url, exc))}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise  # typer's own: usage errors are already one line
        except Exception as exc:
            if os.environ.get("RISKMAP_TRACEBACK"):
                raise
            err.print(f"[bold red]error:[/] {unexpected(exc)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def unexpected(exc: Exception) -> str:
    """One line for an error that is not ours: the value a database refused, or the exception."""
    from backend.db import refused_value

    refused = refused_value(exc)
    if refused is not None:
        return escape(refused)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return escape(
        f"unexpected {type(exc).__name__}{': ' + first if first else ''} "
        "(a fault in riskmap: please report it; RISKMAP_TRACEBACK=1 shows where)"
    )
