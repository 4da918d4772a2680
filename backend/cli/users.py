"""`riskmap user`: users of the service."""

from __future__ import annotations

import sys

import typer

from backend.cli.common import clear_errors, out

app = typer.Typer(help="Users of the service.", no_args_is_help=True)


@app.command("add")
@clear_errors
def user_add(
    name: str = typer.Argument(..., help="username"),
    role: str = typer.Option("viewer", "--role", help="viewer, operator or admin"),
    scope: str | None = typer.Option(None, "--scope", help="township code the user works for"),
) -> None:
    """Add a user; the password is read from standard input (one line)."""
    from sqlalchemy.orm import Session

    from backend.auth.service import add_user
    from backend.db import get_engine

    password = sys.stdin.readline().rstrip("\n")
    with Session(get_engine()) as session, session.begin():
        user = add_user(session, name, password, role, scope=scope)
        username, user_role = user.username, user.role
    out.print(f"user {username} added with role {user_role}")
