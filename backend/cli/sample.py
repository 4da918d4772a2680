"""`riskmap sample`: generate and load the synthetic sample county."""

from __future__ import annotations

from pathlib import Path

import typer

from backend.cli.common import clear_errors, out

app = typer.Typer(help="The synthetic sample county.", no_args_is_help=True)


@app.command("generate")
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


@app.command("load")
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
