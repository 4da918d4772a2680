"""`riskmap pipeline run` (compute and publish a run) and `riskmap fwi` (a station's FWI codes)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from backend.cli.common import clear_errors, err, out

app = typer.Typer(help="Hazard pipelines and risk runs.", no_args_is_help=True)


@app.command("run")
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

    from backend.runs.service import township_risk

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
