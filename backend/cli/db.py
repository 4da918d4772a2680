"""`riskmap db`: create, migrate and check the database."""

from __future__ import annotations

import typer

from backend.cli.common import clear_errors, err, out

app = typer.Typer(help="Database set-up and migrations.", no_args_is_help=True)


@app.command("upgrade")
@clear_errors
def db_upgrade() -> None:
    """Create the database if missing, enable PostGIS (and pgRouting), migrate to head."""
    from backend.migrate import upgrade

    actions, before, head = upgrade()
    for a in actions:
        out.print(f"• {a}")
    if before == head:
        out.print(f"database is up to date (revision {head})")


@app.command("check")
@clear_errors
def db_check() -> None:
    """Say whether the database is reachable and migrated."""
    from backend.migrate import current_revision, head_revision

    cur, head = current_revision(), head_revision()
    if cur != head:
        err.print(
            f"[yellow]database at revision {cur or 'none'}, head is {head}: run `riskmap db upgrade`[/]"
        )
        raise typer.Exit(1)
    out.print(f"database reachable and migrated (revision {head})")
