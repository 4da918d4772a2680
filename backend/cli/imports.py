"""`riskmap import KIND FILE` (a county's own data in the formats bureaus have) and
`riskmap import template KIND --out FILE`.

Exit status: 0 imported (or, with --dry-run, checked) — 1 rows rejected (the report names each;
with --rejects FILE the valid rows were written and the rejected ones saved there) — 2 the file
cannot be read or the command cannot be carried out as given.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import typer

from backend.cli.common import clear_errors, err, out
from backend.imports.kinds import KINDS
from backend.imports.spec import ImportUsageError, Kind, Options, Report, parse_mapping

app = typer.Typer(
    help="Import the county's own places and people (see `riskmap import KIND --help`).",
    no_args_is_help=True,
)
SHOWN = 30  # problems listed on the terminal; --json or --rejects give them all


def print_report(report: Report) -> None:
    from rich.table import Table

    r = report
    where = ", ".join(
        x for x in (r.format, r.layer and f"layer {r.layer}", r.crs, r.coords != "wgs84" and r.coords) if x
    )
    err.print(f"[bold]{r.file}[/] → {r.kind} ({where})", highlight=False)
    if r.columns:
        err.print("  columns: " + ", ".join(f"{k} ← {v}" for k, v in r.columns.items()), highlight=False)
    err.print(f"  {r.rows:,} rows: {r.valid:,} valid, {r.rejected:,} rejected", highlight=False)
    for title, problems, style in (("rejected", r.errors, "red"), ("warnings", r.warnings, "yellow")):
        if not problems:
            continue
        table = Table(title=f"{title} ({len(problems)})", title_style=style, title_justify="left")
        for col in ("where", "field", "value", "reason"):
            table.add_column(col, overflow="fold")
        for p in problems[:SHOWN]:
            table.add_row(p.where, p.field, p.value, p.reason)
        err.print(table)
        if len(problems) > SHOWN:
            err.print(f"  … and {len(problems) - SHOWN} more (--json lists all)")
    for note in r.notes:
        err.print(f"  note: {note}", highlight=False)
    graph = r.extras.get("graph")
    if graph:
        err.print(
            f"  road graph: {graph['edges']:,} segments, {graph['nodes']:,} nodes, {graph['components']} "
            f"component(s), {graph['largest_share']:.1%} in the largest",
            highlight=False,
        )
    c = r.changes
    counts = (
        f"{c.get('inserted', 0):,} new, {c.get('updated', 0):,} changed, {c.get('unchanged', 0):,} unchanged"
    )
    if c.get("deleted"):
        counts += f", {c['deleted']:,} removed"
    if r.written:
        line = f"[green]imported[/]: {counts}"
        if r.rejected:
            line += f"; {r.rejected:,} rejected row(s) left out"
    elif r.dry_run and r.status == "checked":
        line = f"[green]checked[/] (dry run, nothing written): would be {counts}"
    else:
        line = "[red]nothing written[/]: fix the rows above"
        if not any(p.row is None for p in r.errors):
            line += ", or give --rejects FILE to import the valid rows"
    if r.rejects_file:
        line += f"; rejected rows saved to {r.rejects_file}"
    err.print(f"  {line} ({r.seconds:.1f} s)", highlight=False)


def _command(kind: Kind):
    def run(
        file: Path = typer.Argument(
            ...,
            help="GeoPackage, Shapefile (.shp/.zip), GeoJSON, CSV or XLSX"
            + (", or an OpenStreetMap .osm.pbf" if kind.readers else ""),
        ),
        mapping: list[str] = typer.Option(None, "--map", help="COLUMN=FIELD: the file's column for a field"),
        crs: str = typer.Option(None, "--crs", help="the file's CRS when it names none, e.g. EPSG:4547"),
        coords: str = typer.Option("wgs84", "--coords", help="wgs84, or gcj02 / bd09 (web-map coordinates)"),
        sheet: str = typer.Option(None, "--sheet", help="XLSX sheet or GeoPackage layer"),
        encoding: str = typer.Option(None, "--encoding", help="text encoding (default: detected)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="check everything, write nothing"),
        rejects: Path = typer.Option(None, "--rejects", help="write the valid rows; save rejected ones here"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
    ) -> None:
        _run(kind, file, mapping, crs, coords, sheet, encoding, dry_run, rejects, as_json)

    run.__doc__ = f"{kind.zh} {kind.en}: {kind.help}."
    return run


@clear_errors
def _run(kind, file, mapping, crs, coords, sheet, encoding, dry_run, rejects, as_json) -> None:
    from backend.db import get_engine
    from backend.imports.service import run_import

    try:
        options = Options(
            mapping=parse_mapping(mapping),
            crs=crs,
            coords=coords,
            sheet=sheet,
            encoding=encoding,
            dry_run=dry_run,
            partial=rejects is not None,
        )
        report = run_import(
            get_engine(), kind.name, file, options, f"cli:{getpass.getuser()}", rejects=rejects
        )
    except ImportUsageError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    print_report(report)
    if report.status in ("rejected", "partial"):
        raise typer.Exit(1)


for _name, _kind in KINDS.items():
    app.command(_name)(_command(_kind))


@app.command("template")
@clear_errors
def template(
    kind: str = typer.Argument(..., help=f"one of {', '.join(KINDS)}"),
    out_file: Path = typer.Option(..., "--out", help="FILE.xlsx or FILE.csv"),
) -> None:
    """Write an empty template for KIND: bilingual headers (required ones marked *) and one example row."""
    from backend.imports.templates import write_template

    try:
        write_template(kind, out_file)
    except ImportUsageError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out.print(f"wrote {out_file}")
