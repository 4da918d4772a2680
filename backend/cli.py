"""The ``riskmap`` command line (typer). Domain errors become one clear line and exit code 1."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer
from rich.console import Console

from backend.errors import RiskmapError

app = typer.Typer(
    help="riskmap: county risk one-map, warnings and evacuation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database set-up and migrations.", no_args_is_help=True)
sample_app = typer.Typer(help="The synthetic sample county.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sample_app, name="sample")
user_app = typer.Typer(help="Users of the service.", no_args_is_help=True)
app.add_typer(user_app, name="user")
evac_app = typer.Typer(help="Evacuation transfer plans.", no_args_is_help=True)
app.add_typer(evac_app, name="evac")
warn_app = typer.Typer(help="Graded warnings.", no_args_is_help=True)
app.add_typer(warn_app, name="warn")
pipeline_app = typer.Typer(help="Hazard pipelines and risk runs.", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")

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


@db_app.command("upgrade")
@clear_errors
def db_upgrade() -> None:
    """Create the database if missing, enable PostGIS (and pgRouting), migrate to head."""
    from backend.migrate import upgrade

    actions, before, head = upgrade()
    for a in actions:
        out.print(f"• {a}")
    if before == head:
        out.print(f"database is up to date (revision {head})")


@db_app.command("check")
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


@sample_app.command("generate")
@clear_errors
def sample_generate(
    out_dir: Path = typer.Option(..., "--out", help="directory to write the sample files into"),
    seed: int = typer.Option(20260701, "--seed", help="random seed; the same seed gives the same files"),
    size: str = typer.Option("county", "--size", help="county (≈3,000 km²) or province (≈20× larger)"),
) -> None:
    """Write a deterministic synthetic county (GeoPackage, COG GeoTIFF, NetCDF)."""
    from sample_data.generate import SIZES, generate

    if size not in SIZES:
        raise typer.BadParameter(f"--size must be one of {', '.join(SIZES)}")
    from backend.progress import stage_progress

    with stage_progress(out) as progress:
        manifest = generate(out_dir, seed=seed, size=size, progress=progress)
    out.print(f"wrote {len(manifest['files'])} files to {out_dir}")
    for key, value in manifest["counts"].items():
        out.print(f"  {key:<22} {value:>10,}")


@sample_app.command("load")
@clear_errors
def sample_load(
    directory: Path = typer.Argument(..., help="a directory written by `sample generate`"),
) -> None:
    """Load a sample directory into PostGIS (idempotent: loading twice changes nothing)."""
    from sample_data.load import load

    counts = load(directory)
    for table, (before, after) in counts.items():
        note = "unchanged" if before == after else f"{before:,} → {after:,}"
        out.print(f"  {table:<14} {after:>8,}  ({note})")


@pipeline_app.command("run")
@clear_errors
def pipeline_run(
    rain: Path = typer.Option(None, "--rain", help="hourly rain: CF NetCDF, or a directory of GeoTIFFs"),
    weather: Path = typer.Option(None, "--weather", help="daily noon weather (CF NetCDF)"),
    sample: bool = typer.Option(False, "--sample", help="use the sample county's scenario files"),
    terrain: Path = typer.Option(
        None, "--terrain", help="directory with dem.tif and landcover.tif (default: the sample directory)"
    ),
    force: bool = typer.Option(False, "--force", help="recompute even if identical inputs were published"),
    scheduler: str = typer.Option(None, "--scheduler", help="dask.distributed scheduler, tcp://HOST:PORT"),
) -> None:
    """Compute rain, fire and geohazard levels and publish one immutable run; print its id."""
    from rich.table import Table

    from backend.config import get_settings
    from backend.db import get_engine
    from backend.errors import InvalidInput
    from backend.progress import stage_progress
    from pipelines.levels import HAZARD_ZH, LEVELS
    from pipelines.run import RunInputs, run_pipeline

    settings = get_settings()
    if not sample and (rain is None or weather is None):
        raise InvalidInput("give --rain FILE and --weather FILE, or --sample for the sample scenario")
    base = terrain or settings.sample_dir
    inputs = RunInputs.sample(base, rain=rain, weather=weather)
    engine = get_engine()
    with stage_progress(err) as progress:
        outcome = run_pipeline(
            engine, inputs, settings.data_dir, force=force, scheduler=scheduler, progress=progress
        )
    if outcome.reused:
        err.print(f"identical inputs: reusing published run {outcome.run_id} (--force recomputes)")
    else:
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in outcome.result.timings.items())
        err.print(f"run {outcome.run_id} published in {outcome.seconds:.1f} s ({timings})")
    from sqlalchemy.orm import Session

    from backend.services.runs import township_risk

    with Session(engine) as session:
        rows = township_risk(session, outcome.run_id)
    table = Table(title=f"run {outcome.run_id}: townships by risk")
    for col in ("code", "township", "level", "dominant", "people red", "people orange"):
        table.add_column(col, justify="right" if col.startswith("people") else "left")
    styles = {4: "bold red", 3: "dark_orange", 2: "yellow", 1: "blue", 0: "dim"}
    for r in rows:
        lv = LEVELS[r["level"]]
        table.add_row(
            r["code"],
            r["name"],
            f"[{styles[lv.value]}]{lv.zh}{lv.roman or '—'}[/]",
            HAZARD_ZH.get(r["dominant_hazard"] or "", "—"),
            f"{r['exposed']['red']:,}",
            f"{r['exposed']['orange']:,}",
        )
    err.print(table)
    out.print(outcome.run_id)


@app.command("fwi")
@clear_errors
def fwi(
    station: Path = typer.Argument(..., help="CSV with columns date,temp,rh,wind,rain"),
    lat: float = typer.Option(25.8, "--lat", help="latitude in degrees (day-length factors)"),
    ffmc0: float = typer.Option(85.0, "--ffmc0"),
    dmc0: float = typer.Option(6.0, "--dmc0"),
    dc0: float = typer.Option(15.0, "--dc0"),
) -> None:
    """Daily FWI codes of a station, as CSV on stdout: date,ffmc,dmc,dc,isi,bui,fwi,level."""
    from pipelines.fire import read_station_csv, station_fwi

    if not -90 <= lat <= 90:
        raise typer.BadParameter("--lat must be within -90..90")
    table = station_fwi(read_station_csv(station), lat, ffmc0, dmc0, dc0)
    sys.stdout.write(table.to_csv(index=False, lineterminator="\n", float_format="%.1f"))


@user_app.command("add")
@clear_errors
def user_add(
    name: str = typer.Argument(..., help="username"),
    role: str = typer.Option("viewer", "--role", help="viewer, operator or admin"),
) -> None:
    """Add a user; the password is read from standard input (one line)."""
    from sqlalchemy.orm import Session

    from backend.db import get_engine
    from backend.services.auth import add_user

    password = sys.stdin.readline().rstrip("\n")
    with Session(get_engine()) as session, session.begin():
        user = add_user(session, name, password, role)
        username, user_role = user.username, user.role
    out.print(f"user {username} added with role {user_role}")


@evac_app.command("plan")
@clear_errors
def evac_plan(
    run: int = typer.Option(..., "--run", help="a published run id"),
    options: Path = typer.Option(None, "--options", help="JSON file of plan options (policy, fleet …)"),
    out_dir: Path = typer.Option(None, "--out", help="where to write the exports (default data/plans/ID)"),
) -> None:
    """Plan who goes where for a run; print the summary and write JSON, GeoJSON, CSV and sheets."""
    import json

    from sqlalchemy.orm import Session

    from backend.config import get_settings
    from backend.db import get_engine
    from backend.errors import InvalidInput
    from backend.progress import stage_progress
    from backend.services.auth import audit
    from backend.services.evacuation import exports
    from backend.services.evacuation.plan import plan_evacuation

    raw = {}
    if options is not None:
        try:
            raw = json.loads(options.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{options}: not a readable JSON file ({exc})") from exc
    with Session(get_engine()) as session:
        with stage_progress(err) as progress, session.begin():
            result = plan_evacuation(session, run, raw, progress=progress)
            audit(
                session,
                "cli",
                "evacuation_plan.create",
                "evacuation_plan",
                result.plan_id,
                None,
                {"run_id": run, "totals": result.totals},
            )
        target = out_dir or get_settings().data_dir / "plans" / str(result.plan_id)
        target.mkdir(parents=True, exist_ok=True)
        (target / "plan.json").write_text(
            json.dumps(exports.plan_json(session, result.plan_id), default=str, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        (target / "routes.geojson").write_text(
            json.dumps(exports.plan_geojson(session, result.plan_id), ensure_ascii=False), encoding="utf-8"
        )
        (target / "assignments.csv").write_text(exports.plan_csv(session, result.plan_id), encoding="utf-8")
        (target / "sheet.html").write_text(exports.plan_sheet(session, result.plan_id), encoding="utf-8")
    t = result.totals
    out.print(
        f"plan {result.plan_id} for run {run}: {t['people_to_move']:,} people to move "
        f"({t['elderly_to_move']:,} elderly) from {t['villages']} villages"
    )
    out.print(
        f"  assigned {t['assigned']:,} · unserved {t['unserved']:,} "
        f"({t['unreachable_villages']} villages unreachable) · walkers {t['walkers']:,} · "
        f"bus trips {t['trips']:,} · done in ≈{t['finish_minutes']:.0f} min · "
        f"{t['person_minutes']:,.0f} person-minutes"
    )
    out.print(f"  exports in {target}")


@app.command("serve")
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


@app.command("worker")
@clear_errors
def worker(
    concurrency: int = typer.Option(None, help="jobs at once (default RISKMAP_WORKER_CONCURRENCY)"),
    once: bool = typer.Option(False, help="work through the jobs due now, then stop"),
) -> None:
    """Send queued warning messages (with retries) and chase unacknowledged ones (procrastinate)."""
    from backend.config import get_settings
    from backend.logs import configure_logging
    from backend.services.dispatch.queue import run_worker

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    run_worker(settings, wait=not once, concurrency=concurrency)


@warn_app.command("propose")
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
    from backend.services.warnings import propose_from_run

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


@warn_app.command("chase")
@clear_errors
def warn_chase() -> None:
    """One round of chasing now: expire, resend to the silent, escalate (the worker does it every minute)."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from backend.config import get_settings
    from backend.db import make_engine
    from backend.services.escalation import chase_overdue

    settings = get_settings()
    with Session(make_engine(settings)) as session:
        result = chase_overdue(session, settings, datetime.now(UTC))
        session.commit()
    out.print(", ".join(f"{k} {v}" for k, v in result.items()))


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
