"""`riskmap evac`: evacuation transfer plans."""

from __future__ import annotations

from pathlib import Path

import typer

from backend.cli.common import clear_errors, err, out

RUN_ID_MAX = 2**31 - 1  # a PostgreSQL integer, as backend.models.base.INT_MAX (not imported: startup)

app = typer.Typer(help="Evacuation transfer plans.", no_args_is_help=True)


@app.command("plan")
@clear_errors
def evac_plan(
    run: int = typer.Option(..., "--run", min=1, max=RUN_ID_MAX, help="a published run id"),
    options: Path = typer.Option(None, "--options", help="JSON file of plan options (policy, fleet …)"),
    out_dir: Path = typer.Option(None, "--out", help="where to write the exports (default data/plans/ID)"),
) -> None:
    """Plan who goes where for a run; print the summary and write JSON, GeoJSON, CSV and sheets."""
    import json

    from sqlalchemy.orm import Session

    from backend.config import get_settings
    from backend.db import get_engine
    from backend.errors import InvalidInput
    from backend.evacuation import exports
    from backend.evacuation.plan import parse_options, plan_evacuation
    from backend.models.audit import audit
    from backend.progress import stage_progress

    raw = {}
    if options is not None:
        try:
            raw = json.loads(options.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{options}: not a readable JSON file ({exc})") from exc
        try:
            parse_options(raw)
        except InvalidInput as exc:
            raise InvalidInput(f"{options}: {exc.detail}") from exc
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
