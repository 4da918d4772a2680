"""`riskmap import flood-indicators FILE`: village flash-flood indicators (山洪灾害预警指标).

Exit 0 imported (or nothing to change), 1 rows rejected (each named; nothing written unless
``--rejects FILE``), 2 an unreadable file or bad usage.
"""

from __future__ import annotations

from pathlib import Path

import typer

from backend.cli.common import err, out

app = typer.Typer(help="Import the county's own data files.", no_args_is_help=True)


def _mapping(pairs: list[str]) -> dict[str, str]:
    out_map = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src or not dst:
            raise typer.BadParameter(f"--map {pair!r}: write SRC=FIELD, e.g. --map 村代码=village_code")
        out_map[src] = dst
    return out_map


@app.command("flood-indicators")
def flood_indicators(
    file: Path = typer.Argument(..., help="CSV or XLSX: village, window hours, 准备转移 and 立即转移 mm"),
    map_: list[str] = typer.Option(
        [],
        "--map",
        help="SRC=FIELD (village_code, village, township, hours, prepare_mm, move_mm); repeatable",
    ),  # fmt: skip
    sheet: str = typer.Option(None, "--sheet", help="XLSX sheet (default the first)"),
    encoding: str = typer.Option(None, "--encoding", help="CSV encoding (default UTF-8, else GB18030)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check and report, write nothing"),
    rejects: Path = typer.Option(None, "--rejects", help="write the valid rows, save rejected ones here"),
) -> None:
    """Import each village's critical rainfall (临界雨量) for 准备转移 / 立即转移 over 1/3/6/24 h."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from backend.db import get_engine
    from backend.errors import RiskmapError
    from backend.places import flood_indicators as fi

    try:
        engine = get_engine()
        with Session(engine) as session:
            options = fi.Options(_mapping(map_), sheet, encoding, fi.village_index(session))
            rows, report = fi.read(file, options)
            for line in report.lines():
                err.print(line, highlight=False, soft_wrap=True)
            if report.problems and rejects is None:
                err.print(
                    f"[bold red]{len({p.row for p in report.problems})} row(s) rejected[/]; nothing written "
                    "(--rejects FILE writes the valid rows and saves the others)",
                    highlight=False,
                    soft_wrap=True,
                )
                raise typer.Exit(1)
            if report.problems:
                n = fi.write_rejects(file, options, report, rejects)
                err.print(f"{n} rejected row(s) saved to {rejects}", highlight=False)
            summary = (
                f"{report.indicators} indicator(s) for {report.villages} village(s), windows "
                f"{', '.join(f'{h} h' for h in report.windows_h) or 'none'} ({report.layout} layout)"
            )
            if dry_run:
                err.print(f"dry run: {summary}; nothing written", highlight=False, soft_wrap=True)
            else:
                counts = fi.write(session, rows, source=str(file))
                session.commit()
                err.print(
                    f"{summary}: {counts['inserted']} new, {counts['updated']} changed, "
                    f"{counts['unchanged']} unchanged",
                    highlight=False,
                    soft_wrap=True,
                )
            out.print(report.indicators)
    except RiskmapError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OperationalError as exc:
        err.print(f"[bold red]error:[/] database unreachable ({str(exc).splitlines()[0]})", highlight=False)
        raise typer.Exit(2) from None
    if report.problems:
        raise typer.Exit(1)
