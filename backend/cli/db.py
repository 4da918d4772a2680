"""`riskmap db`: create, migrate and check the database; back it up and restore it."""

from __future__ import annotations

from pathlib import Path

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


@app.command("backup")
@clear_errors
def db_backup(
    file: Path = typer.Argument(..., help="the archive to write (one file: the dump and the run rasters)"),
) -> None:
    """Back up the database (pg_dump, custom format) and the run rasters into one file."""
    from backend.backup import backup
    from backend.config import get_settings

    result = backup(get_settings(), file, say=lambda s: err.print(f"• {s}", highlight=False))
    out.print(
        f"backup written to {file}: {result['size_bytes'] / 1_048_576:.1f} MB, "
        f"{len(result['tables'])} tables, {sum(result['tables'].values()):,} rows, "
        f"{len(result['files']) - 1} files, in {result['seconds']:.1f} s",
        highlight=False,
    )


@app.command("restore")
@clear_errors
def db_restore(
    file: Path = typer.Argument(..., help="an archive written by `riskmap db backup`"),
    force: bool = typer.Option(False, "--force", help="replace a database and rasters that hold data"),
) -> None:
    """Restore a backup into the configured database and data directory (stop the service first)."""
    from backend.backup import restore
    from backend.config import get_settings
    from backend.migrate import head_revision

    result = restore(get_settings(), file, force=force, say=lambda s: err.print(f"• {s}", highlight=False))
    for aside in result["kept_aside"]:
        err.print(f"• kept the previous {aside} (delete it when satisfied)", highlight=False)
    out.print(
        f"restored {result['database']}: {result['tables']} tables, {result['rows']:,} rows (as in the "
        f"backup), {result['files']} files, in {result['seconds']:.1f} s",
        highlight=False,
    )
    if result["revision"] != head_revision():
        err.print(
            f"[yellow]the backup is at revision {result['revision']}, this riskmap at {head_revision()}: "
            "run `riskmap db upgrade`[/]"
        )
