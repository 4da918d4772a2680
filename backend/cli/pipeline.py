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
    rain: Path = typer.Option(
        None, "--rain", help="gridded rain: CF NetCDF, GRIB/GRIB2, or a directory of hourly GeoTIFFs"
    ),
    rain_var: str = typer.Option(None, "--rain-var", help="the rain variable (default: found by name)"),
    accumulated: bool = typer.Option(
        None, "--accumulated/--not-accumulated", help="rain accumulated since the start (default: detected)"
    ),
    rain_stations: Path = typer.Option(
        None, "--rain-stations", help="station rain CSV: station, lon, lat, time, rain_mm (or 站号, 经度 …)"
    ),
    stations_tz: str = typer.Option("+08:00", "--stations-tz", help="zone of station times with no offset"),
    station_radius_km: float = typer.Option(20.0, "--station-radius-km", min=0.1, help="IDW search radius"),
    weather: Path = typer.Option(None, "--weather", help="daily noon weather (CF NetCDF)"),
    sample: bool = typer.Option(False, "--sample", help="use the sample county's scenario files"),
    terrain: Path = typer.Option(
        None, "--terrain", help="a DEM GeoTIFF (any CRS), or a directory with dem.tif and landcover.tif "
        "(default: the latest run's terrain, else the sample directory)"
    ),  # fmt: skip
    landcover: Path = typer.Option(None, "--landcover", help="land-cover GeoTIFF (any CRS)"),
    landcover_classes: str = typer.Option(
        None, "--landcover-classes", help="class mapping FILE (TOML/YAML/CSV), or worldcover / riskmap "
        "(default: worldcover for --landcover, riskmap for a terrain directory)"
    ),  # fmt: skip
    rules: Path = typer.Option(None, "--rules", help="county rules file, TOML/YAML (default: shipped rules)"),
    grid_crs: str = typer.Option(None, "--grid-crs", help="CRS of the analysis grid (default: from the DEM)"),
    force: bool = typer.Option(False, "--force", help="recompute even if identical inputs were published"),
    scheduler: str = typer.Option(None, "--scheduler", help="dask.distributed scheduler, tcp://HOST:PORT"),
) -> None:
    """Compute the hazards with new input, carry the others from the latest run, publish one
    immutable run; print its id."""
    from backend.config import get_settings
    from backend.db import get_engine
    from backend.errors import InvalidInput
    from backend.progress import stage_progress
    from pipelines.inputs import NOTHING_NEW
    from pipelines.run import RunInputs, RunParams, default_terrain, run_pipeline

    settings = get_settings()
    engine = get_engine()
    if sample:
        rain = rain or settings.sample_dir / "rain.nc"
        weather = weather or settings.sample_dir / "weather.nc"
    if rain is None and weather is None and rain_stations is None:
        raise InvalidInput(NOTHING_NEW + ", or --sample for the sample scenario")
    if terrain is not None:
        dem, lc = RunInputs.terrain(terrain)
        classes = "riskmap" if terrain.is_dir() else "worldcover"
    else:
        dem, lc, classes = default_terrain(engine, settings.sample_dir)
    if landcover is not None:
        lc, classes = landcover, "worldcover"
    inputs = RunInputs(
        rain=rain,
        weather=weather,
        dem=dem,
        landcover=lc,
        rain_stations=rain_stations,
        landcover_classes=landcover_classes or classes,
        rules=rules,
    )
    params = RunParams(
        rain_var=rain_var,
        accumulated=accumulated,
        stations_tz=stations_tz,
        idw_radius_km=station_radius_km,
        grid_crs=grid_crs,
    )
    with stage_progress(err) as progress:
        outcome = run_pipeline(
            engine, inputs, settings.data_dir, params, force=force, scheduler=scheduler, progress=progress
        )
    if outcome.reused:
        err.print(f"identical inputs: reusing published run {outcome.run_id} (--force recomputes)")
    else:
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in outcome.result.timings.items())
        err.print(f"run {outcome.run_id} published in {outcome.seconds:.1f} s ({timings})")
        for note in outcome.result.notes:
            err.print(f"  note: {note}", highlight=False)
    _print_run(engine, outcome.run_id)
    out.print(outcome.run_id)


def _print_run(engine, run_id: int) -> None:
    from rich.table import Table
    from sqlalchemy.orm import Session

    from backend.models.runs import get_run
    from backend.runs.service import hazard_sources, township_flood_villages, township_risk
    from pipelines.levels import HAZARD_ZH, LEVELS

    with Session(engine) as session:
        rows = township_risk(session, run_id)
        sources = hazard_sources(get_run(session, run_id))
        villages = township_flood_villages(session, run_id)
    said = {"new": "新数据", "none": "无"}
    err.print(
        "  ".join(
            f"{HAZARD_ZH[h]} {said.get(s['source']) or '沿用运算 #' + str(s.get('from_run'))}"
            for h, s in sources.items()
        ),
        highlight=False,
    )
    table = Table(title=f"run {run_id}: townships by risk")
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
    crossing = [v for vs in villages.values() for v in vs]
    if crossing:
        vt = Table(title=f"run {run_id}: villages reaching their flash-flood indicators (Beijing time)")
        for col in ("village", "township", "准备转移", "立即转移"):
            vt.add_column(col)
        for v in crossing[:30]:
            vt.add_row(v["name"], v["township"], _at(v["prepare"]), _at(v["move"]))
        err.print(vt)


def _at(stage: dict | None) -> str:
    if not stage:
        return "—"
    from zoneinfo import ZoneInfo

    at = stage["at"].astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{at:%m-%d %H:%M} ({stage['hours']} h ≥ {stage['mm']:g} mm)"


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
