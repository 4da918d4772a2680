"""Evacuation plans: POST /api/evacuation/plans (operators); GET …/plans, …/{id}, …/{id}.geojson,
…/{id}.csv (public, like the map); …/{id}/sheet (signed-in users, bearer or the sign-in cookie; phone
numbers for operators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.auth.deps import operator, page_user
from backend.auth.privacy import sees_phones
from backend.evacuation import core, exports
from backend.evacuation.plan import options_json, plan_evacuation
from backend.http import get_session, id_path, id_query, problems
from backend.models import AppUser
from backend.models.audit import audit
from backend.models.base import INT_MAX
from backend.security.asgi import csp_allowing_style

router = APIRouter(prefix="/api/evacuation", tags=["evacuation"])


class PlanRequest(BaseModel):
    run_id: int = Field(ge=1, le=INT_MAX)
    options: dict = Field(default_factory=dict, description="policy, fleet, fleets, walk_km, …")


@router.post(
    "/plans",
    status_code=201,
    summary="Plan an evacuation transfer for a run (operators)",
    responses=problems(401, 403, 404),
)
def create_plan(
    body: PlanRequest, user: AppUser = Depends(operator), session: Session = Depends(get_session)
) -> dict:
    result = plan_evacuation(session, body.run_id, body.options, created_by=user.id)
    audit(
        session,
        user.username,
        "evacuation_plan.create",
        "evacuation_plan",
        result.plan_id,
        None,
        {"run_id": body.run_id, "totals": result.totals},
    )
    session.commit()
    return {"id": result.plan_id, "run_id": body.run_id, "totals": result.totals, "timings_s": result.timings}


@router.get("/options", summary="The default planning options (what the page lets a person change)")
def default_options() -> dict:
    return options_json(core.Options())


@router.get("/plans", summary="Plans, newest first (optionally of one run)")
def list_plans(
    run: int | None = id_query("only the plans of this run"),
    limit: int = Query(20, ge=1, le=200),
    session: Session = Depends(get_session),
) -> list[dict]:
    return exports.list_plans(session, run, limit)


@router.get("/plans/{plan_id:int}.geojson", summary="Routes of a plan as GeoJSON", responses=problems(404))
def plan_geojson(plan_id: int = id_path("plan id"), session: Session = Depends(get_session)) -> dict:
    return exports.plan_geojson(session, plan_id)


@router.get(
    "/plans/{plan_id:int}.csv",
    summary="Assignments of a plan as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problems(404)},
)
def plan_csv(plan_id: int = id_path("plan id"), session: Session = Depends(get_session)):
    return Response(
        exports.plan_csv(session, plan_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}.csv"'},
    )


@router.get(
    "/plans/{plan_id:int}/sheet",
    summary="Printable per-township transfer sheet (HTML, A4)",
    response_class=HTMLResponse,
    responses=problems(401, 404),
)
def plan_sheet(
    plan_id: int = id_path("plan id"),
    township: str | None = Query(None, pattern=r"^\d{12}$"),
    user: AppUser = Depends(page_user),
    session: Session = Depends(get_session),
):
    # the responsible persons' phone numbers for operators and admins only (backend.auth.privacy)
    html = exports.plan_sheet(session, plan_id, township, with_phones=sees_phones(user))
    # a self-contained page (printed, saved): nothing runs in it, its one stylesheet allowed by hash
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": csp_allowing_style(exports.SHEET_CSS),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/plans/{plan_id:int}/changes",
    summary="What changed against an earlier plan (default: the previous plan of the same run)",
    responses=problems(404),
)
def plan_changes(
    plan_id: int = id_path("plan id"),
    against: int | None = id_query("the earlier plan"),
    session: Session = Depends(get_session),
) -> dict:
    return exports.plan_changes(session, plan_id, against)


@router.get(
    "/plans/{plan_id:int}",
    summary="A plan: totals, assignments and the unserved by village",
    responses=problems(404),
)
def get_plan(plan_id: int = id_path("plan id"), session: Session = Depends(get_session)) -> dict:
    return exports.plan_json(session, plan_id)
