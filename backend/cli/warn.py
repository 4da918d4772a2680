"""`riskmap warn`: graded warnings from the command line."""

from __future__ import annotations

import typer

from backend.cli.common import clear_errors, out

app = typer.Typer(help="Graded warnings.", no_args_is_help=True)


@app.command("propose")
@clear_errors
def warn_propose(
    run: int = typer.Option(..., help="risk run id"),
    min_level: int = typer.Option(2, min=1, max=4, help="1 blue, 2 yellow, 3 orange, 4 red"),
    user: str = typer.Option(..., help="the operator drafting them (audit log)"),
) -> None:
    """Draft warnings from a run: one per township and hazard at or above --min-level."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from backend.config import get_settings
    from backend.db import make_engine
    from backend.errors import NotFound
    from backend.models import AppUser
    from backend.warnings.proposals import propose_from_run

    settings = get_settings()
    engine = make_engine(settings)
    with Session(engine) as session:
        actor = session.scalar(sa.select(AppUser).where(AppUser.username == user))
        if actor is None:
            raise NotFound(f"no user {user!r}: add one with riskmap user add")
        result = propose_from_run(session, settings, run, min_level, actor, datetime.now(UTC))
        session.commit()
        for w in result["created"]:
            out.print(f"  draft {w.id}: {w.headline}")
        out.print(f"{len(result['created'])} drafts, {len(result['skipped'])} skipped (already warned)")


@app.command("chase")
@clear_errors
def warn_chase() -> None:
    """One round of chasing now: expire, resend to the silent, escalate (the worker does it every minute)."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from backend.config import get_settings
    from backend.db import make_engine
    from backend.warnings.escalation import chase_overdue

    settings = get_settings()
    with Session(make_engine(settings)) as session:
        result = chase_overdue(session, settings, datetime.now(UTC))
        session.commit()
    out.print(", ".join(f"{k} {v}" for k, v in result.items()))
