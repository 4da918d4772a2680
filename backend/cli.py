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


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="default RISKMAP_HOST or 127.0.0.1"),
    port: int = typer.Option(None, help="default RISKMAP_PORT or 8000"),
    workers: int = typer.Option(1, help="worker processes"),
) -> None:
    """Serve the API and the one-map page."""
    import uvicorn

    from backend.config import get_settings

    settings = get_settings()
    uvicorn.run(
        "backend.app:build",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
    )


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
